/*
 * poller.h: epoll behind a small fixed interface (so no caller sees epoll), shared by the
 * loopback servers' thread (server.c) and the real network's loop (realnet.c).
 * Error and hang-up are reported as readable AND writable, so connection code
 * meets a failure on its next read or write; EINTR is not an error.
 */
#ifndef POOLSIM_POLLER_H
#define POOLSIM_POLLER_H

#include <stdbool.h>
#include <stdint.h>

/* The most events one poller_wait reports. */
#define POLLER_BATCH 256

#define POLLER_READ  0x1u
#define POLLER_WRITE 0x2u

struct poller;

struct poller_event {
	uint64_t tag; /* what the caller gave poller_add */
	bool readable, writable;
};

struct poller *poller_create(void);
void poller_destroy(struct poller *p);
/* want: POLLER_READ | POLLER_WRITE, or 0 (errors are still reported). 0 or -errno. */
int poller_add(struct poller *p, int fd, uint64_t tag, unsigned want);
int poller_mod(struct poller *p, int fd, uint64_t tag, unsigned want);
int poller_del(struct poller *p, int fd);
/*
 * poller_wait: wait up to timeout_ns (< 0: forever, 0: just look), with ns
 * precision where the kernel has epoll_pwait2. Fills at most `max` events and
 * returns how many (0 on timeout or EINTR), or -errno.
 */
int poller_wait(struct poller *p, int64_t timeout_ns, struct poller_event *out, int max);

/* CLOCK_MONOTONIC in ns. */
int64_t poller_clock_ns(void);

#endif
