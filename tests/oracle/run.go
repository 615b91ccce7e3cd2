// run.go: one replay of a scenario against Go's own http.Transport: builds
// the Transport(s) and Client from [transport]/[client], with the dial hook
// that emulates dial_latency and a host that is down, and hands every
// Transport to one probe (the probe/ package), which counts the JSON
// contract's figures: the oracle that checks the model and the probe users
// run count with the same code. Every pool decision is Go's; the probe only
// watches, and infers what it cannot see (close reasons, idle state) as
// probe/README.md describes.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"poolsim/probe"
)

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
	p       *probe.Probe

	mu         sync.Mutex
	ended      bool
	busy       int           // load generators and events still to come
	starting   int           // request goroutines spawned whose Do has not returned
	quietAt    time.Duration // when the run was seen quiet (0: ran to the end)
	leaks      []*http.Response
	transports []*http.Transport
	latencies  []time.Duration // of ok requests: the probe's req_done records
	inFlight   map[*inflight]bool
	retries    int // a request's second, third... GotConn: Go's roundTrip loop retried it (S3)
}

// inflight is one request an [event] cancel may end: its load, its phase
// (httptrace and the dial hook move it) and its context's cancel.
type inflight struct {
	load   int
	phase  string // waiting, dialing, awaiting_headers, done
	cancel context.CancelFunc
	conns  int // GotConn calls: one per attempt
}

type inflightKey struct{}

func newRun(sc *scenario, scale float64, seed int64, cert tls.Certificate, roots *x509.CertPool) *run {
	r := &run{sc: sc, scale: scale, seed: seed, cert: cert, roots: roots, byAddr: map[string]int{},
		downs: map[int][][2]time.Time{}, inFlight: map[*inflight]bool{}}
	// Observe runs under the probe's lock; latencies are read after Stop.
	r.p = probe.New(probe.Options{Observe: func(ev probe.Event) {
		if ev.Kind == probe.ReqDone {
			r.latencies = append(r.latencies, time.Duration(ev.Value))
		}
	}})
	return r
}

func (r *run) dur(d time.Duration) time.Duration { return scaleDur(d, r.scale) }

// newClient builds a Transport from [transport] on the chosen base, plus the
// Client from [client], through the run's probe. HTTP/2 is off: TLSNextProto
// is a non-nil empty map unless a host offers h2; then ForceAttemptHTTP2
// decides (H1: the Transport has a custom TLSClientConfig and DialContext).
func (r *run) newClient() *http.Client {
	t := r.sc.transport
	dialer := &net.Dialer{Timeout: r.dur(t.DialTimeout)}
	tr := &http.Transport{}
	if r.sc.base == "default" {
		dialer.KeepAlive = 30 * time.Second
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
	tr.ForceAttemptHTTP2 = t.ForceAttemptHTTP2
	if !r.sc.anyH2() { // HTTP/2 stays off unless a host offers it, as before it existed
		tr.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	}
	if t.StrictMaxConcurrentRequests {
		_ = setStrictMaxConcurrentRequests(tr) // execute refused it where it cannot be set
	}
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		return r.dial(ctx, dialer, addr)
	}
	rt := r.p.Instrument(tr)
	r.mu.Lock()
	r.transports = append(r.transports, tr)
	r.mu.Unlock()
	return &http.Client{Transport: rt, Timeout: r.dur(r.sc.timeout)}
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
// loopback connect; the probe wraps it and counts. Go 1.19 passes the
// request's context, so a canceled request aborts it here as it would abort
// a slow connect.
func (r *run) dial(ctx context.Context, d *net.Dialer, addr string) (net.Conn, error) {
	h := r.byAddr[addr]
	if f, ok := ctx.Value(inflightKey{}).(*inflight); ok {
		r.setPhase(f, "dialing") // its own dial (the ctx keeps its values when detached)
	}
	now := time.Now()
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
	if err != nil {
		return nil, err
	}
	return d.DialContext(ctx, "tcp", addr)
}

// request runs one request of load l to completion: Do, then the body as
// the load says. It returns false once the run has ended.
// spawned: started on its own goroutine, counted in r.starting until Do
// returns (by then the probe has the request in flight, or it is over).
func (r *run) request(l *loadSpec, cl *http.Client, spawned bool) bool {
	return r.exchange(l, cl, spawned, nil)
}

// requestRow: a replay row's request (always spawned), with its own body handling and service time.
func (r *run) requestRow(l *loadSpec, cl *http.Client, row *replayRow) {
	r.exchange(l, cl, true, row)
}

func (r *run) exchange(l *loadSpec, cl *http.Client, spawned bool, row *replayRow) bool {
	r.mu.Lock()
	ended := r.ended
	r.mu.Unlock()
	if ended {
		r.doneStarting(spawned)
		return false
	}
	req, f := r.newRequest(l)
	body := l.body
	if row != nil {
		if row.service >= 0 {
			req.Header.Set(serviceHeader, strconv.FormatInt(int64(row.service), 10))
		}
		if row.body != "" {
			body = row.body
		}
	}
	resp, err := cl.Do(req)
	r.setPhase(f, "done")
	r.mu.Lock()
	delete(r.inFlight, f)
	r.mu.Unlock()
	r.doneStarting(spawned)
	if err != nil {
		return true
	}
	switch body {
	case "close":
		copyDiscard(resp)
	case "early_close":
		resp.Body.Close()
	case "leak":
		// The caller walks away at once (a worker goes on); the request
		// stays in flight. Without Client.Timeout it never ends (unfinished);
		// with it, Go's deadline on the request's context ends the exchange
		// and closes the conn: the request fails then (the probe watches).
		r.p.MarkLeaked(resp)
		r.mu.Lock()
		r.leaks = append(r.leaks, resp)
		r.mu.Unlock()
	}
	return true
}

// newRequest: the load's method, body (a byte slice: GetBody set), Idempotency-Key and
// Close, on a context an [event] cancel can end, traced for its phase.
func (r *run) newRequest(l *loadSpec) (*http.Request, *inflight) {
	var body *bytes.Reader
	if l.reqBody > 0 {
		body = bytes.NewReader(make([]byte, l.reqBody))
	}
	var req *http.Request
	if body != nil {
		req, _ = http.NewRequest(l.method, r.servers[l.host].url, body)
	} else {
		req, _ = http.NewRequest(l.method, r.servers[l.host].url, nil)
	}
	if l.idemKey {
		req.Header.Set("Idempotency-Key", "oracle")
	}
	req.Close = l.reqClose
	ctx, cancel := context.WithCancel(context.Background())
	f := &inflight{load: l.index, phase: "waiting", cancel: cancel}
	ctx = context.WithValue(ctx, inflightKey{}, f)
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn:              func(httptrace.GotConnInfo) { r.gotConn(f) },
		WroteRequest:         func(httptrace.WroteRequestInfo) { r.setPhase(f, "awaiting_headers") },
		GotFirstResponseByte: func() { r.setPhase(f, "reading") },
	})
	r.mu.Lock()
	r.inFlight[f] = true
	r.mu.Unlock()
	return req.WithContext(ctx), f
}

// gotConn: an attempt has its conn; every one after the first is a retry
// (Transport.roundTrip's loop after shouldRetryRequest), counted until the run stops.
func (r *run) gotConn(f *inflight) {
	r.mu.Lock()
	f.conns++
	if f.conns > 1 && !r.ended {
		r.retries++
	}
	r.mu.Unlock()
	r.setPhase(f, "writing")
}

func (r *run) setPhase(f *inflight, phase string) {
	r.mu.Lock()
	if f.phase != "done" {
		f.phase = phase
	}
	r.mu.Unlock()
}

// cancelLoad: [event] cancel: the load's requests in flight in the phase named.
func (r *run) cancelLoad(load int, phase string) int {
	r.mu.Lock()
	var victims []*inflight
	for f := range r.inFlight {
		if f.load != load || f.phase == "done" || f.phase == "reading" {
			continue
		}
		match := phase == "any" || f.phase == phase ||
			(phase == "waiting" && f.phase == "dialing")
		if match {
			victims = append(victims, f)
		}
	}
	r.mu.Unlock()
	for _, f := range victims {
		f.cancel()
	}
	return len(victims)
}

func (r *run) doneStarting(spawned bool) {
	if spawned {
		r.mu.Lock()
		r.starting--
		r.mu.Unlock()
	}
}

// stopAt freezes every figure: later completions stay `unfinished`.
func (r *run) stopAt() {
	r.mu.Lock()
	r.ended = true
	r.mu.Unlock()
	r.p.Stop()
}

// quiet reports whether nothing can change the figures before the end: no
// load or event to come, no request in flight, and every open conn idle
// with no timer (IdleConnTimeout, server_idle_timeout) due before the end.
// Stopping then gives the JSON that waiting for the end would give.
func (r *run) quiet() bool {
	r.mu.Lock()
	pending := r.busy > 0 || r.starting > 0
	r.mu.Unlock()
	return !pending && r.p.Quiescent(r.end, func(addr string) time.Duration {
		return r.dur(r.sc.hosts[r.byAddr[addr]].serverIdleTimeout)
	})
}

func (r *run) setBusy(d int) {
	r.mu.Lock()
	r.busy += d
	r.mu.Unlock()
}
