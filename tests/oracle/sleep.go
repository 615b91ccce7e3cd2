// sleep.go: sleeps that end on time. Go 1.19's timers wake an idle process
// through epoll_wait in whole milliseconds (runtime/netpoll_epoll.go), so a
// plain time.Sleep(10ms) lasts up to 11ms: a scenario's latencies, service
// times and think times would all run long. A Linux timerfd in the runtime's
// own poller wakes epoll_wait the moment it fires, and blocks no thread.
// Only for what the scenario emulates: the Transport's own timers stay Go's.
package main

import (
	"context"
	"os"
	"syscall"
	"time"
	"unsafe"
)

// ctxStretch: with a context, a Go timer (cancellable) runs to this much
// before the target; the timerfd sleeps the rest.
const ctxStretch = 1500 * time.Microsecond

func sleepUntil(target time.Time) {
	sleepUntilCtx(nil, target)
}

func sleepFor(d time.Duration) {
	sleepUntil(time.Now().Add(d))
}

// sleepUntilCtx returns nil at target, or ctx's error if ctx ends first
// (noticed up to ctxStretch late).
func sleepUntilCtx(ctx context.Context, target time.Time) error {
	if ctx != nil {
		if d := time.Until(target) - ctxStretch; d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
		}
	}
	if d := time.Until(target); d > 0 && timerfdSleep(d) != nil {
		time.Sleep(time.Until(target)) // no timerfd: a late wake beats none
	}
	if ctx != nil {
		return ctx.Err()
	}
	return nil
}

type itimerspec struct {
	interval, value syscall.Timespec
}

func timerfdSleep(d time.Duration) error {
	fd, _, errno := syscall.Syscall(syscall.SYS_TIMERFD_CREATE, 1, /* CLOCK_MONOTONIC */
		syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		return errno
	}
	f := os.NewFile(fd, "timerfd")
	defer f.Close()
	spec := itimerspec{value: syscall.NsecToTimespec(int64(d))}
	if _, _, errno := syscall.Syscall6(syscall.SYS_TIMERFD_SETTIME, fd, 0,
		uintptr(unsafe.Pointer(&spec)), 0, 0, 0); errno != 0 {
		return errno
	}
	var buf [8]byte
	_, err := f.Read(buf[:])
	return err
}
