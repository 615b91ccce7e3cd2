// run.go: one replay of a scenario against Go's own http.Transport: builds
// the Transport(s) and Client from [transport]/[client], wraps every dialed
// conn, and counts the JSON contract's figures from the dial hook, the conn
// wrapper and httptrace. It must not second-guess the Transport's pool: every
// pool decision is Go's; this file only watches, and infers what it cannot see
// (close reasons, idle state) as described in README.md.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

type closeReason int

const (
	rNone closeReason = iota - 1
	rIdleTimeout
	rMaxIdlePerHost
	rMaxIdleTotal
	rServer
	rBodyNotRead
	rKeepAlivesDisabled
	rError
	nReasons
)

var reasonNames = [nReasons]string{"idle_timeout", "max_idle_per_host", "max_idle_total",
	"server", "body_not_read", "keepalives_disabled", "error"}

type counts struct {
	requests, ok, failed, unfinished                   int64
	dials, dialFailures, tlsHandshakes, reused, closed int64
	open, idle, peakOpen, peakIdle, peakWaiting        int64
	leaked                                             int64
}

// trState is what the watcher must know about one http.Transport.
type trState struct {
	keepAlivesOff  bool // DisableKeepAlives or MaxIdleConnsPerHost < 0 (P1)
	maxIdlePerHost int
	maxIdleTotal   int
	idleTimeout    time.Duration
}

type poolKey struct {
	tr   *trState
	host int
}

type connState int

const (
	stDialing connState = iota
	stReady             // dialed (and TLS done), not yet handed to a request
	stActive            // a request holds it
	stIdle              // in the idle pool, as far as we can tell
	stHandoff           // put back while a request waited: about to be handed off (P5)
)

// cconn wraps each client-side conn; guarded by run.mu except the embedded Conn.
type cconn struct {
	net.Conn
	r                                              *run
	key                                            poolKey
	addr                                           string
	state                                          connState
	served                                         int
	idleSince                                      time.Time
	holder                                         *reqRec
	pending                                        closeReason
	counted                                        bool
	orphanDone, earlyClosed, leakHeld, gotResponse bool
	respClose, serverClosed, closed                bool
}

func (c *cconn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil {
		c.r.peerClosed(c)
	}
	return n, err
}

func (c *cconn) Close() error {
	c.r.connClosed(c)
	return c.Conn.Close()
}

type reqRec struct {
	load          *loadSpec
	key           poolKey
	start         time.Time
	waiting       bool
	waitStart     time.Time
	gotConn       *cconn
	dialConn      *cconn
	reusedCounted bool
	done          bool
}

type waitIv struct{ from, to time.Duration }

type run struct {
	sc      *scenario
	scale   float64
	seed    int64
	roots   *x509.CertPool
	cert    tls.Certificate
	servers []*hostServer
	byAddr  map[string]int
	downs   map[int][][2]time.Time // per host: [from, to) refusal windows
	t0, end time.Time

	mu         sync.Mutex
	ended      bool
	done       chan struct{} // closed when the figures freeze
	busy       int           // load generators and events still to come
	starting   int           // request goroutines spawned, not yet counted
	quietAt    time.Duration // when the run was seen quiet (0: ran to the end)
	total      counts
	hosts      []counts
	closes     [nReasons]int64
	waitingKey map[poolKey]int
	idleKey    map[poolKey]int
	waits      []waitIv
	latencies  []time.Duration
	conns      map[string]*cconn // open client conns by local address
	live       map[*cconn]bool
	inflight   map[*reqRec]bool
	leaks      []*http.Response
	transports []*http.Transport
}

func newRun(sc *scenario, scale float64, seed int64, cert tls.Certificate, roots *x509.CertPool) *run {
	return &run{sc: sc, scale: scale, seed: seed, cert: cert, roots: roots, byAddr: map[string]int{},
		downs: map[int][][2]time.Time{}, hosts: make([]counts, len(sc.hosts)),
		waitingKey: map[poolKey]int{}, idleKey: map[poolKey]int{}, conns: map[string]*cconn{},
		live: map[*cconn]bool{}, inflight: map[*reqRec]bool{}, done: make(chan struct{})}
}

func (r *run) dur(d time.Duration) time.Duration { return scaleDur(d, r.scale) }

// newClient builds a Transport from [transport] on the chosen base, plus the
// Client from [client]. HTTP/2 is off: TLSNextProto is a non-nil empty map.
func (r *run) newClient() (*http.Client, *trState) {
	t := r.sc.transport
	ts := &trState{keepAlivesOff: t.DisableKeepAlives || t.MaxIdleConnsPerHost < 0,
		maxIdlePerHost: t.MaxIdleConnsPerHost, maxIdleTotal: t.MaxIdleConns, idleTimeout: r.dur(t.IdleConnTimeout)}
	if t.MaxIdleConnsPerHost == 0 {
		ts.maxIdlePerHost = http.DefaultMaxIdleConnsPerHost
	} else if t.MaxIdleConnsPerHost < 0 {
		ts.maxIdlePerHost = 0
	}
	dialer := &net.Dialer{Timeout: r.dur(t.DialTimeout)}
	tr := &http.Transport{}
	if r.sc.base == "default" {
		dialer.KeepAlive = 30 * time.Second
		tr.ForceAttemptHTTP2 = true
		tr.ExpectContinueTimeout = r.dur(time.Second)
		// Proxy stays nil: ProxyFromEnvironment never proxies 127.0.0.1 anyway.
	}
	tr.MaxIdleConns = t.MaxIdleConns
	tr.MaxIdleConnsPerHost = t.MaxIdleConnsPerHost
	tr.MaxConnsPerHost = t.MaxConnsPerHost
	tr.IdleConnTimeout = r.dur(t.IdleConnTimeout)
	tr.TLSHandshakeTimeout = r.dur(t.TLSHandshakeTimeout)
	tr.ResponseHeaderTimeout = r.dur(t.ResponseHeaderTimeout)
	tr.DisableKeepAlives = t.DisableKeepAlives
	tr.TLSClientConfig = &tls.Config{RootCAs: r.roots}
	tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return r.dial(ctx, ts, dialer, addr)
	}
	r.mu.Lock()
	r.transports = append(r.transports, tr)
	r.mu.Unlock()
	return &http.Client{Transport: tr, Timeout: r.dur(r.sc.timeout)}, ts
}

func (r *run) isDown(h int, now time.Time) bool {
	for _, w := range r.downs[h] {
		if !now.Before(w[0]) && now.Before(w[1]) {
			return true
		}
	}
	return false
}

var errRefused = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}

type dialTimeoutError struct{}

func (dialTimeoutError) Error() string   { return "i/o timeout (emulated dial_latency > DialTimeout)" }
func (dialTimeoutError) Timeout() bool   { return true }
func (dialTimeoutError) Temporary() bool { return true }

// dial emulates dial_latency (and a host that is down) before the real
// loopback connect; Go 1.19 passes the request's context, so a canceled
// request aborts it here as it would abort a slow connect.
func (r *run) dial(ctx context.Context, ts *trState, d *net.Dialer, addr string) (net.Conn, error) {
	rec, _ := ctx.Value(reqRecKey).(*reqRec)
	h := r.byAddr[addr]
	now := time.Now()
	c := &cconn{r: r, key: poolKey{ts, h}, state: stDialing, pending: rNone}
	r.mu.Lock()
	if !r.ended {
		c.counted = true
		r.bump(h, func(k *counts) { k.dials++; k.open++; k.peakOpen = max64(k.peakOpen, k.open) })
	}
	r.live[c] = true
	if rec != nil {
		rec.dialConn = c
	}
	r.mu.Unlock()

	lat := r.dur(r.sc.hosts[h].dialLatency)
	var err error
	if d.Timeout > 0 && d.Timeout < lat {
		lat, err = d.Timeout, dialTimeoutError{}
	}
	if cerr := sleepUntilCtx(ctx, now.Add(lat)); cerr != nil {
		err = cerr
	}
	// down is decided as the connect would complete, as the kernel refuses it (#12).
	if err == nil && r.isDown(h, now.Add(lat)) {
		err = errRefused
	}
	var nc net.Conn
	if err == nil {
		nc, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		r.dialFailed(c)
		return nil, err
	}
	c.Conn = nc
	c.addr = nc.LocalAddr().String()
	r.mu.Lock()
	r.conns[c.addr] = c
	if !r.sc.hosts[h].tls {
		r.connReady(c, rec)
	}
	r.mu.Unlock()
	return c, nil
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// bump applies f to the host's and the total counts (caller holds mu).
func (r *run) bump(h int, f func(*counts)) {
	f(&r.hosts[h])
	f(&r.total)
}

func (r *run) dialFailed(c *cconn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c.closed = true
	delete(r.live, c)
	if r.ended || !c.counted {
		return
	}
	r.bump(c.key.host, func(k *counts) { k.dialFailures++; k.open--; k.closed++ })
	r.closes[rError]++
}

// connReady: the conn is usable. If its request already got another conn,
// Go puts this one through put-or-close (G6); mirror that decision.
func (r *run) connReady(c *cconn, rec *reqRec) {
	c.state = stReady
	if rec != nil && rec.gotConn != nil && rec.gotConn != c {
		r.orphanPut(c)
	}
}

func (r *run) orphanPut(c *cconn) {
	c.orphanDone = true
	switch {
	case c.key.tr.keepAlivesOff:
		c.pending = rKeepAlivesDisabled
	case r.waitingKey[c.key] > 0:
		c.state = stHandoff
	case r.idleKey[c.key] >= c.key.tr.maxIdlePerHost:
		c.pending = rMaxIdlePerHost
	default:
		r.setIdle(c)
	}
}

func (r *run) setIdle(c *cconn) {
	c.state = stIdle
	c.idleSince = time.Now()
	r.moveIdle(c.key, +1)
}

func (r *run) unsetIdle(c *cconn) {
	if c.state == stIdle {
		r.moveIdle(c.key, -1)
	}
}

// moveIdle changes a key's idle count. The gauge counts at most the key's
// MaxIdleConnsPerHost: Go never holds more, and a larger count only means
// a GotConn trace has not yet told us that Go already took a conn out.
func (r *run) moveIdle(key poolKey, d int) {
	limit := key.tr.maxIdlePerHost
	clamp := func(n int) int {
		if n > limit {
			return limit
		}
		return n
	}
	before := clamp(r.idleKey[key])
	r.idleKey[key] += d
	delta := int64(clamp(r.idleKey[key]) - before)
	if !r.ended && delta != 0 {
		r.bump(key.host, func(k *counts) { k.idle += delta; k.peakIdle = max64(k.peakIdle, k.idle) })
	}
}

// idleOf counts the conns we believe idle in one Transport (all hosts).
func (r *run) idleOf(tr *trState) int {
	n := 0
	for k, v := range r.idleKey {
		if k.tr == tr {
			n += v
		}
	}
	return n
}

func (r *run) peerClosed(c *cconn) {
	r.mu.Lock()
	if !c.closed {
		c.serverClosed = true
	}
	r.mu.Unlock()
}

// serverClosing is called by a host's server just before it closes (or
// half-closes) its side of the conn whose client end is `remote`.
func (r *run) serverClosing(remote string) {
	r.mu.Lock()
	if c := r.conns[remote]; c != nil && !c.closed {
		c.serverClosed = true
	}
	r.mu.Unlock()
}

func (r *run) connClosed(c *cconn) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if c.closed {
		return
	}
	wasIdle := c.state == stIdle
	r.unsetIdle(c)
	c.closed = true
	delete(r.conns, c.addr)
	delete(r.live, c)
	if r.ended || !c.counted {
		return
	}
	inDial := c.state == stDialing // T2: a TLS handshake that fails is a failed dial
	r.bump(c.key.host, func(k *counts) {
		k.open--
		k.closed++
		if inDial {
			k.dialFailures++
		}
	})
	r.closes[r.classify(c, wasIdle)]++
}

// classify infers why the Transport closed c (see README: close reasons).
func (r *run) classify(c *cconn, wasIdle bool) closeReason {
	switch {
	case c.leakHeld:
		return rError
	case c.earlyClosed:
		return rBodyNotRead
	case c.pending != rNone:
		return c.pending
	case c.state == stDialing:
		return rError
	case wasIdle || c.state == stReady || c.state == stHandoff:
		// Not held by a request: the server closed it, it timed out, or a
		// put found no room (for a conn we saw as idle: LRU eviction).
		tr := c.key.tr
		switch {
		case c.serverClosed:
			return rServer
		case wasIdle && tr.idleTimeout > 0 && time.Since(c.idleSince) >= tr.idleTimeout*9/10:
			return rIdleTimeout
		case tr.maxIdleTotal < 0 || (tr.maxIdleTotal > 0 && r.idleOf(tr)+1 >= tr.maxIdleTotal):
			return rMaxIdleTotal
		}
		return rMaxIdlePerHost
	case c.key.tr.keepAlivesOff && c.gotResponse:
		return rKeepAlivesDisabled
	case c.serverClosed || c.respClose:
		return rServer
	}
	return rError
}

func unwrap(nc net.Conn) *cconn {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	c, _ := nc.(*cconn)
	return c
}

func putReason(err error) closeReason {
	s := err.Error()
	switch {
	case strings.Contains(s, "too many idle connections for host"):
		return rMaxIdlePerHost
	case strings.Contains(s, "too many idle connections"):
		return rMaxIdleTotal
	}
	return rError
}

func (r *run) trace(rec *reqRec) *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GetConn: func(string) {
			r.mu.Lock()
			rec.gotConn = nil
			rec.waiting = true
			rec.waitStart = time.Now()
			r.waitingKey[rec.key]++
			r.mu.Unlock()
		},
		GotConn: func(info httptrace.GotConnInfo) {
			r.mu.Lock()
			defer r.mu.Unlock()
			r.stopWaiting(rec, !info.WasIdle)
			c := unwrap(info.Conn)
			if c == nil {
				return
			}
			// A request counts as reused by the conn that finally serves it:
			// a second GotConn (Go's retry, S4) takes back the first one's count.
			if !r.ended {
				if rec.reusedCounted {
					r.bump(rec.key.host, func(k *counts) { k.reused-- })
				}
				rec.reusedCounted = c.served > 0
				if rec.reusedCounted {
					r.bump(c.key.host, func(k *counts) { k.reused++ })
				}
			}
			c.served++
			r.unsetIdle(c)
			c.state = stActive
			c.holder = rec
			rec.gotConn = c
			if d := rec.dialConn; d != nil && d != c && d.state == stReady && !d.orphanDone {
				r.orphanPut(d)
			}
		},
		TLSHandshakeStart: func() {
			r.mu.Lock()
			if !r.ended {
				r.bump(rec.key.host, func(k *counts) { k.tlsHandshakes++ })
			}
			r.mu.Unlock()
		},
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			r.mu.Lock()
			if d := rec.dialConn; err == nil && d != nil && d.state == stDialing {
				r.connReady(d, rec)
			}
			r.mu.Unlock()
		},
		PutIdleConn: func(err error) {
			r.mu.Lock()
			defer r.mu.Unlock()
			c := rec.gotConn
			if c == nil || c.holder != rec {
				return // already handed to the next request
			}
			c.holder = nil
			switch {
			case err != nil:
				c.pending = putReason(err)
			case r.waitingKey[c.key] > 0:
				c.state = stHandoff
			default:
				r.setIdle(c)
			}
		},
	}
}

// stopWaiting ends rec's GetConn..GotConn window; counted for peak_waiting
// unless it was served at once from the idle pool.
func (r *run) stopWaiting(rec *reqRec, count bool) {
	if !rec.waiting {
		return
	}
	rec.waiting = false
	r.waitingKey[rec.key]--
	if count && !r.ended {
		r.waits = append(r.waits, waitIv{rec.waitStart.Sub(r.t0), time.Since(r.t0)})
	}
}

// request runs one request of load l to completion: Do, then the body as
// the load says. It returns false once the run has ended.
// spawned: started on its own goroutine, counted in r.starting until now.
func (r *run) request(l *loadSpec, cl *http.Client, ts *trState, spawned bool) bool {
	rec := &reqRec{load: l, key: poolKey{ts, l.host}, start: time.Now()}
	r.mu.Lock()
	if spawned {
		r.starting--
	}
	if r.ended {
		r.mu.Unlock()
		return false
	}
	r.bump(l.host, func(k *counts) { k.requests++ })
	r.inflight[rec] = true
	r.mu.Unlock()

	ctx := context.WithValue(context.Background(), reqRecKey, rec)
	ctx = httptrace.WithClientTrace(ctx, r.trace(rec))
	req, _ := http.NewRequestWithContext(ctx, "GET", r.servers[l.host].url, nil)
	resp, err := cl.Do(req)
	if err != nil {
		r.finish(rec, false)
		return true
	}
	r.mu.Lock()
	c := rec.gotConn
	if c != nil {
		c.gotResponse = true
		c.respClose = resp.Close
	}
	r.mu.Unlock()
	switch l.body {
	case "close":
		_, err = copyDiscard(resp)
		r.finish(rec, err == nil)
	case "early_close":
		r.mu.Lock()
		if c != nil {
			c.earlyClosed = true
		}
		r.mu.Unlock()
		resp.Body.Close()
		r.finish(rec, true)
	case "leak":
		r.mu.Lock()
		if c != nil {
			c.leakHeld = true
		}
		r.leaks = append(r.leaks, resp)
		r.mu.Unlock()
		// The caller walks away at once (a worker goes on); the request
		// stays in flight. Without Client.Timeout it never ends (unfinished);
		// with it, Go's deadline on the request's context ends the exchange
		// and closes the conn: the request fails then.
		if cl.Timeout > 0 {
			go func() {
				select {
				case <-resp.Request.Context().Done():
					r.finish(rec, false)
				case <-r.done:
				}
			}()
		}
	}
	return true
}

func (r *run) finish(rec *reqRec, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ended || rec.done {
		return
	}
	rec.done = true
	delete(r.inflight, rec)
	r.stopWaiting(rec, true)
	if ok {
		r.total.ok++
		r.latencies = append(r.latencies, time.Since(rec.start))
	} else {
		r.total.failed++
	}
}

// stopAt freezes every figure: later completions stay `unfinished`.
func (r *run) stopAt() {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := time.Since(r.t0)
	for rec := range r.inflight {
		if rec.waiting {
			r.waits = append(r.waits, waitIv{rec.waitStart.Sub(r.t0), now})
		}
	}
	r.ended = true
	close(r.done)
	r.total.unfinished = r.total.requests - r.total.ok - r.total.failed
	for c := range r.live {
		if c.leakHeld && c.counted {
			r.total.leaked++
		}
	}
	r.total.peakWaiting = peakOf(r.waits)
}

func peakOf(ws []waitIv) int64 {
	type edge struct {
		t time.Duration
		d int64
	}
	es := make([]edge, 0, 2*len(ws))
	for _, w := range ws {
		es = append(es, edge{w.from, 1}, edge{w.to, -1})
	}
	sort.Slice(es, func(i, j int) bool {
		if es[i].t != es[j].t {
			return es[i].t < es[j].t
		}
		return es[i].d < es[j].d
	})
	var cur, peak int64
	for _, e := range es {
		cur += e.d
		peak = max64(peak, cur)
	}
	return peak
}

// quiet reports whether nothing can change the figures before the end: no
// load or event still to come, no request in flight, and every open conn
// idle with no timer (IdleConnTimeout, server_idle_timeout) due before the
// end. Stopping then gives the JSON that waiting for the end would give.
func (r *run) quiet() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.busy > 0 || r.starting > 0 || len(r.inflight) > 0 {
		return false
	}
	for c := range r.live {
		if c.state != stIdle {
			return false
		}
		for _, d := range []time.Duration{c.key.tr.idleTimeout, r.dur(r.sc.hosts[c.key.host].serverIdleTimeout)} {
			if d > 0 && c.idleSince.Add(d).Before(r.end) {
				return false
			}
		}
	}
	return true
}

func (r *run) setBusy(d int) {
	r.mu.Lock()
	r.busy += d
	r.mu.Unlock()
}
