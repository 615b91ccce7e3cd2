// stats.go: the counts, and Stats(), shaped like database/sql's DBStats:
// gauges now, peaks since the start, and counters.
package probe

import (
	"sort"
	"time"
)

// Reason is why a conn closed, in poolsim's words (the JSON "closes" keys).
type Reason int8

const (
	ReasonIdleTimeout        Reason = iota // IdleConnTimeout passed while idle
	ReasonMaxIdlePerHost                   // no room in the host's idle list (MaxIdleConnsPerHost)
	ReasonMaxIdleTotal                     // evicted by MaxIdleConns
	ReasonServer                           // the server closed it
	ReasonBodyNotRead                      // the body was closed before EOF
	ReasonKeepAlivesDisabled               // DisableKeepAlives, or MaxIdleConnsPerHost < 0
	ReasonError                            // a dial, TLS or request error, a timeout
	NumReasons
	reasonNone Reason = -1
)

var reasonNames = [NumReasons]string{"idle_timeout", "max_idle_per_host", "max_idle_total",
	"server", "body_not_read", "keepalives_disabled", "error"}

func (r Reason) String() string {
	if r < 0 || r >= NumReasons {
		return "none"
	}
	return reasonNames[r]
}

type counts struct {
	requests, ok, failed                         int64
	dials, dialFailures, tlsHandshakes, reused   int64
	closed                                       int64
	closes                                       [NumReasons]int64
	open, dialing, active, idle, waiting, leaked int64
	peakOpen, peakIdle, peakActive               int64
}

// HostStats are one host's figures (or all hosts' together).
type HostStats struct {
	// Gauges, now.
	OpenConnections int64 // dialing, in TLS, in use, idle, or just dialed
	Dialing         int64 // TCP connect or TLS handshake in progress
	InUse           int64 // held by a request
	Idle            int64 // in the idle pool (inferred)
	Waiting         int64 // requests between GetConn and GotConn
	Leaked          int64 // conns held by a body marked leaked (MarkLeaked)

	// Peaks since the start.
	MaxOpen    int64 // poolsim's peak_open
	MaxIdle    int64 // peak_idle
	MaxInUse   int64
	MaxWaiting int64 // peak_waiting: requests served at once from the idle pool never count

	// Counters since the start.
	Requests      int64
	OK            int64 // body read to EOF or closed
	Failed        int64 // RoundTrip or a body Read returned an error
	Dials         int64 // dials started, failed ones included
	DialFailures  int64 // failed dials, failed TLS handshakes included
	TLSHandshakes int64
	Reused        int64 // requests served on a conn that served an earlier one
	Closed        int64 // the sum of Closes
	Closes        [NumReasons]int64

	// The same counts under sql.DBStats-like names.
	IdleTimeoutClosed        int64
	MaxIdlePerHostClosed     int64
	MaxIdleTotalClosed       int64
	ServerClosed             int64
	BodyNotReadClosed        int64
	KeepAlivesDisabledClosed int64
	ErrorClosed              int64
}

// Stats is Stats(): all hosts together (embedded), each host by its
// "host:port", and the event records' fate.
type Stats struct {
	HostStats
	Hosts         map[string]HostStats
	Unfinished    int64 // requests neither ok nor failed (in flight)
	EventsWritten int64 // records the writer delivered
	EventsDropped int64 // records dropped because the buffer was full
	Stopped       bool  // Stop was called: the figures are frozen
}

// Stats returns the figures now (after Stop: as they were at Stop).
func (p *Probe) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen != nil {
		st := *p.frozen
		st.Hosts = copyHosts(p.frozen.Hosts)
		p.addEmitterCounts(&st)
		return st
	}
	st := p.statsLocked()
	p.addEmitterCounts(&st)
	return st
}

func copyHosts(m map[string]HostStats) map[string]HostStats {
	out := make(map[string]HostStats, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (p *Probe) addEmitterCounts(st *Stats) {
	if p.out != nil {
		st.EventsWritten = p.out.written.Load()
		st.EventsDropped = p.out.dropped.Load()
	}
}

func (p *Probe) statsLocked() Stats {
	st := Stats{HostStats: p.total.export(&p.waits), Hosts: map[string]HostStats{}, Stopped: p.stopped}
	for _, h := range p.hostList {
		st.Hosts[h.name] = h.c.export(&h.waits)
	}
	st.Unfinished = st.Requests - st.OK - st.Failed
	return st
}

func (k *counts) export(w *waitLog) HostStats {
	h := HostStats{OpenConnections: k.open, Dialing: k.dialing, InUse: k.active, Idle: k.idle,
		Waiting: k.waiting, Leaked: k.leaked, MaxOpen: k.peakOpen, MaxIdle: k.peakIdle,
		MaxInUse: k.peakActive, MaxWaiting: w.peak(), Requests: k.requests, OK: k.ok, Failed: k.failed,
		Dials: k.dials, DialFailures: k.dialFailures, TLSHandshakes: k.tlsHandshakes, Reused: k.reused,
		Closed: k.closed, Closes: k.closes}
	h.IdleTimeoutClosed = k.closes[ReasonIdleTimeout]
	h.MaxIdlePerHostClosed = k.closes[ReasonMaxIdlePerHost]
	h.MaxIdleTotalClosed = k.closes[ReasonMaxIdleTotal]
	h.ServerClosed = k.closes[ReasonServer]
	h.BodyNotReadClosed = k.closes[ReasonBodyNotRead]
	h.KeepAlivesDisabledClosed = k.closes[ReasonKeepAlivesDisabled]
	h.ErrorClosed = k.closes[ReasonError]
	return h
}

// settleWaits folds the ended windows into their peak once no request
// waits: no later window can overlap them (caller holds mu).
func (p *Probe) settleWaits() {
	if p.waitingNow != 0 {
		return
	}
	p.waits.fold()
	for _, h := range p.hostList {
		h.waits.fold()
	}
}

// waitLog keeps the GetConn..GotConn windows that count as waiting, for
// their peak overlap. Windows are known only when they end (a request
// served at once from the idle pool does not count), so the peak is swept
// from the ended windows. Windows end in start order or nearly, and once
// no window is open the ended ones fold into `settled` (settleWaits);
// past maxWaitLog windows they fold in too, and the peak may then read
// low by windows that overlap the fold point.
type waitLog struct {
	ivs     []waitIv
	settled int64
}

type waitIv struct{ from, to time.Time }

const maxWaitLog = 1 << 14

func (w *waitLog) add(from, to time.Time) {
	w.ivs = append(w.ivs, waitIv{from, to})
	if len(w.ivs) >= maxWaitLog {
		w.fold()
	}
}

func (w *waitLog) fold() {
	if len(w.ivs) > 0 {
		w.settled = w.peak()
		w.ivs = w.ivs[:0]
	}
}

func (w *waitLog) peak() int64 {
	type edge struct {
		t time.Time
		d int64
	}
	es := make([]edge, 0, 2*len(w.ivs))
	for _, iv := range w.ivs {
		es = append(es, edge{iv.from, 1}, edge{iv.to, -1})
	}
	sort.Slice(es, func(i, j int) bool {
		if !es[i].t.Equal(es[j].t) {
			return es[i].t.Before(es[j].t)
		}
		return es[i].d < es[j].d
	})
	var cur, peak int64
	for _, e := range es {
		cur += e.d
		peak = max64(peak, cur)
	}
	return max64(peak, w.settled)
}
