// probe.go: the Probe, Attach, and the per-Transport settings the
// inference needs. The watching itself is in conn.go (dials and conns),
// trace.go (requests) and infer.go (idle state and close reasons).
package probe

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// Options configure a Probe. The zero value is usable: counts only, no
// event records.
type Options struct {
	// Events receives the event records as JSON lines (docs/format.md,
	// "Event records"). Writes happen on the probe's own goroutine.
	Events EventSink
	// Buffer is how many records may wait for the writer; beyond it
	// records are dropped and counted. Default 8192.
	Buffer int
	// Observe, if set, is called with every record, synchronously, while
	// the probe holds its lock: it must be quick and must not call the
	// probe. For harnesses (the oracle collects latencies with it).
	Observe func(Event)
}

// Probe watches one or more http.Transports. Its methods are safe for
// concurrent use.
type Probe struct {
	mu       sync.Mutex
	t0       time.Time
	stopped  bool
	done     chan struct{}
	observe  func(Event)
	out      *emitter
	first    http.RoundTripper
	trs      []*trState
	hosts    map[string]*hostRec
	hostList []*hostRec
	total    counts
	frozen   *Stats // set by Stop

	idleKey    map[poolKey]int
	waitingKey map[poolKey]int
	conns      map[string]*conn // open conns by local address
	live       map[*conn]bool
	inflight   map[*request]bool
	waits      waitLog
	waitingNow int // requests between GetConn and GotConn, all keys
	slots      slotPool
	nextConnID uint32
	nextReq    uint32
}

// trState is what the inference must know about one http.Transport.
type trState struct {
	tr             *http.Transport
	index          int
	keepAlivesOff  bool // DisableKeepAlives or MaxIdleConnsPerHost < 0 (P1)
	maxIdlePerHost int  // Go's effective limit (0 means 2)
	maxIdleTotal   int
	idleTimeout    time.Duration
}

type poolKey struct {
	tr   *trState
	host *hostRec
}

type hostRec struct {
	index int
	name  string
	c     counts
	waits waitLog
}

// New returns a Probe that watches nothing yet: give it Transports with
// Instrument.
func New(o Options) *Probe {
	p := &Probe{t0: time.Now(), done: make(chan struct{}), observe: o.Observe,
		hosts: map[string]*hostRec{}, idleKey: map[poolKey]int{}, waitingKey: map[poolKey]int{},
		conns: map[string]*conn{}, live: map[*conn]bool{}, inflight: map[*request]bool{}}
	if o.Events != nil {
		p.out = newEmitter(o.Events, o.Buffer)
		p.out.header(p.t0)
	}
	return p
}

// Attach instruments tr and returns its Probe; send requests through
// p.Client() or p.RoundTripper(). Call it before tr makes its first request.
func Attach(tr *http.Transport) *Probe { return AttachWith(tr, Options{}) }

// AttachWith is Attach with Options (an event sink, a buffer size).
func AttachWith(tr *http.Transport, o Options) *Probe {
	p := New(o)
	p.first = p.Instrument(tr)
	return p
}

// Instrument wraps tr's dial functions (DialContext, or Dial, or Go's
// default dialer; and DialTLSContext if set) and returns the RoundTripper
// that adds the per-request trace. The Transport's settings are reported as
// a "transport" record. Use it once per Transport, before its first request.
func (p *Probe) Instrument(tr *http.Transport) http.RoundTripper {
	ts := newTrState(tr)
	p.mu.Lock()
	ts.index = len(p.trs)
	p.trs = append(p.trs, ts)
	if p.out != nil {
		p.out.transport(ts.index, tr)
	}
	p.mu.Unlock()
	inner := tr.DialContext
	if inner == nil && tr.Dial != nil {
		dial := tr.Dial
		inner = func(_ context.Context, network, addr string) (net.Conn, error) { return dial(network, addr) }
	}
	if inner == nil {
		var zero net.Dialer // what Go uses when no dial function is set
		inner = zero.DialContext
	}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return p.dial(ctx, ts, inner, network, addr, false)
	}
	tr.Dial = nil
	if tlsDial := tr.DialTLSContext; tlsDial != nil {
		tr.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
			return p.dial(ctx, ts, tlsDial, network, addr, true)
		}
	}
	return &roundTripper{p: p, ts: ts, tr: tr}
}

// RoundTripper is the instrumented Transport given to Attach.
func (p *Probe) RoundTripper() http.RoundTripper { return p.first }

// Client is an http.Client whose Transport is RoundTripper().
func (p *Probe) Client() *http.Client { return &http.Client{Transport: p.first} }

func newTrState(tr *http.Transport) *trState {
	ts := &trState{tr: tr, keepAlivesOff: tr.DisableKeepAlives || tr.MaxIdleConnsPerHost < 0,
		maxIdlePerHost: tr.MaxIdleConnsPerHost, maxIdleTotal: tr.MaxIdleConns, idleTimeout: tr.IdleConnTimeout}
	if tr.MaxIdleConnsPerHost == 0 {
		ts.maxIdlePerHost = http.DefaultMaxIdleConnsPerHost
	} else if tr.MaxIdleConnsPerHost < 0 {
		ts.maxIdlePerHost = 0
	}
	return ts
}

// host returns the record of a host (an "addr:port" pool target), adding
// and announcing it the first time (caller holds mu).
func (p *Probe) host(name string) *hostRec {
	if h := p.hosts[name]; h != nil {
		return h
	}
	h := &hostRec{index: len(p.hostList), name: name}
	p.hosts[name] = h
	p.hostList = append(p.hostList, h)
	if p.out != nil {
		p.out.host(h.index, name)
	}
	return h
}

// bump applies f to the host's and the total counts (caller holds mu).
func (p *Probe) bump(h *hostRec, f func(*counts)) {
	f(&h.c)
	f(&p.total)
}

// since is a record's time: nanoseconds since the probe started.
func (p *Probe) since(t time.Time) int64 { return int64(t.Sub(p.t0)) }

// emit hands a record to the observer and the writer (caller holds mu).
func (p *Probe) emit(ev Event) {
	if p.stopped {
		return
	}
	if p.observe != nil {
		p.observe(ev)
	}
	if p.out != nil {
		p.out.push(ev)
	}
}

// Stop freezes every count (later activity is not counted: requests still
// running stay unfinished), writes the "run_end" record and waits up to
// one second for the writer to drain. Stats after Stop return the frozen
// figures. For harnesses and the end of a program; calling it twice is fine.
func (p *Probe) Stop() {
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	now := time.Now()
	for rec := range p.inflight {
		if rec.waiting {
			p.waits.add(rec.waitStart, now)
			rec.key.host.waits.add(rec.waitStart, now)
		}
	}
	ev := Event{T: p.since(now), Kind: RunEnd, Host: -1, Conn: -1, Value: int64(len(p.inflight))}
	if p.observe != nil {
		p.observe(ev)
	}
	p.stopped = true
	close(p.done)
	st := p.statsLocked()
	p.frozen = &st
	p.mu.Unlock()
	if p.out != nil {
		p.out.finish(ev, time.Second)
	}
}

// CloseIdleConnections calls CloseIdleConnections on every instrumented
// Transport; the conns it closes count as closes "error", as poolsim counts
// errCloseIdleConns (a Transport's own CloseIdleConnections, called directly,
// would be read as an idle close: max_idle_per_host).
func (p *Probe) CloseIdleConnections() {
	p.mu.Lock()
	trs := make([]*http.Transport, 0, len(p.trs))
	for c := range p.live {
		if c.state == stIdle || c.state == stReady {
			c.pending = ReasonError
		}
	}
	for _, ts := range p.trs {
		trs = append(trs, ts.tr)
	}
	p.mu.Unlock()
	for _, tr := range trs {
		tr.CloseIdleConnections()
	}
}

// Quiescent reports whether nothing can change a count before `until`: no
// request in flight, every open conn idle, and none with its
// IdleConnTimeout, or a timeout serverIdle(host) says the server applies
// (nil: none), due before then. For harnesses that stop early.
func (p *Probe) Quiescent(until time.Time, serverIdle func(host string) time.Duration) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.inflight) > 0 {
		return false
	}
	for c := range p.live {
		if c.state != stIdle {
			return false
		}
		ds := []time.Duration{c.key.tr.idleTimeout}
		if serverIdle != nil {
			ds = append(ds, serverIdle(c.key.host.name))
		}
		for _, d := range ds {
			if d > 0 && c.idleSince.Add(d).Before(until) {
				return false
			}
		}
	}
	return true
}
