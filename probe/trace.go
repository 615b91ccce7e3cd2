// trace.go: the RoundTripper that follows each request: an
// httptrace.ClientTrace for GetConn / GotConn / PutIdleConn / the TLS
// handshake, and a wrapper on the response body for its EOF or Close.
package probe

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"strings"
	"time"
)

type requestKey struct{}

// request is one RoundTrip; guarded by the probe's mu.
type request struct {
	id            uint32
	key           poolKey
	https         bool
	start         time.Time
	waiting       bool // between GetConn and GotConn
	waitEmitted   bool // a req_wait record is open for this window
	waitStart     time.Time
	gotConn       *conn
	gotCount      int
	dialConn      *conn
	reusedCounted bool
	done          bool
}

type roundTripper struct {
	p  *Probe
	ts *trState
	tr *http.Transport
}

// hostOf is the pool target "host:port" Go dials for a request.
func hostOf(req *http.Request) string {
	h := req.URL.Host
	if _, _, err := net.SplitHostPort(h); err == nil {
		return h
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if req.URL.Scheme == "https" {
		return net.JoinHostPort(h, "443")
	}
	return net.JoinHostPort(h, "80")
}

func (rt *roundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	p := rt.p
	rec := &request{https: req.URL.Scheme == "https", start: time.Now()}
	p.mu.Lock()
	rec.key = poolKey{rt.ts, p.host(hostOf(req))}
	if !p.stopped {
		p.nextReq++
		rec.id = p.nextReq
		p.bump(rec.key.host, func(k *counts) { k.requests++ })
		p.inflight[rec] = true
		p.emit(p.reqEvent(ReqStart, rec))
	} else {
		rec.done = true
	}
	p.mu.Unlock()

	ctx := context.WithValue(req.Context(), requestKey{}, rec)
	ctx = httptrace.WithClientTrace(ctx, p.trace(rec))
	resp, err := rt.tr.RoundTrip(req.WithContext(ctx))
	if err != nil {
		p.finish(rec, false)
		return nil, err
	}
	p.mu.Lock()
	if c := rec.gotConn; c != nil {
		c.gotResponse = true
		c.respClose = resp.Close
	}
	p.mu.Unlock()
	if resp.StatusCode != http.StatusSwitchingProtocols {
		resp.Body = &body{ReadCloser: resp.Body, p: p, rec: rec}
	}
	return resp, nil
}

func (p *Probe) reqEvent(kind Kind, rec *request) Event {
	return Event{T: p.since(time.Now()), Kind: kind, Host: int32(rec.key.host.index), Conn: -1, Req: rec.id}
}

func (p *Probe) trace(rec *request) *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		GetConn:           func(string) { p.getConn(rec) },
		GotConn:           func(info httptrace.GotConnInfo) { p.gotConn(rec, info) },
		TLSHandshakeStart: func() { p.tlsStart(rec) },
		TLSHandshakeDone:  func(_ tls.ConnectionState, err error) { p.tlsDone(rec, err) },
		PutIdleConn:       func(err error) { p.putIdle(rec, err) },
	}
}

func (p *Probe) getConn(rec *request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	rec.gotConn = nil
	rec.waiting = true
	rec.waitStart = time.Now()
	// The record can only say "waits" now; whether Go serves it at once
	// from the idle pool shows at GotConn. Predict from the idle count.
	rec.waitEmitted = !rec.done && p.idleKey[rec.key] == 0
	if rec.waitEmitted {
		p.bump(rec.key.host, func(k *counts) { k.waiting++ })
		p.emit(p.reqEvent(ReqWait, rec))
	}
	p.waitingKey[rec.key]++
	p.waitingNow++
}

func (p *Probe) gotConn(rec *request, info httptrace.GotConnInfo) {
	p.mu.Lock()
	defer p.mu.Unlock()
	waited := p.stopWaiting(rec, !info.WasIdle)
	c := unwrap(info.Conn)
	if c == nil {
		return
	}
	ev := p.connEvent(GotConn, c)
	ev.Req = rec.id
	if waited {
		ev.Flags |= FlagWaited
	}
	if c.state == stIdle || info.WasIdle {
		ev.Flags |= FlagWasIdle
	}
	if info.Reused {
		ev.Flags |= FlagGoReused
	}
	// A request counts as reused by the conn that finally serves it: a
	// second GotConn (Go's retry, S3/S4) takes back the first one's count.
	if !p.stopped && !rec.done {
		if rec.gotCount > 0 {
			retry := p.reqEvent(ReqRetry, rec)
			if rec.reusedCounted {
				retry.Flags |= FlagReused
				p.bump(rec.key.host, func(k *counts) { k.reused-- })
			}
			p.emit(retry)
		}
		rec.reusedCounted = c.served > 0
		if rec.reusedCounted {
			ev.Flags |= FlagReused
			p.bump(c.key.host, func(k *counts) { k.reused++ })
		}
	}
	rec.gotCount++
	c.served++
	p.unsetIdle(c)
	p.setState(c, stActive)
	c.holder = rec
	rec.gotConn = c
	if c.counted && !rec.done {
		p.emit(ev)
	}
	if d := rec.dialConn; d != nil && d != c && d.state == stReady && !d.orphanDone {
		p.orphanPut(d)
	}
}

// stopWaiting ends rec's GetConn..GotConn window, which counts towards the
// peak of waiting requests unless it was served at once from the idle
// pool. It reports whether a req_wait record was open (caller holds mu).
func (p *Probe) stopWaiting(rec *request, count bool) bool {
	if !rec.waiting {
		return false
	}
	rec.waiting = false
	p.waitingKey[rec.key]--
	p.waitingNow--
	defer p.settleWaits()
	if count && !p.stopped && !rec.done {
		now := time.Now()
		p.waits.add(rec.waitStart, now)
		rec.key.host.waits.add(rec.waitStart, now)
		if !rec.waitEmitted { // predicted wrong: the window opens and closes now
			rec.waitEmitted = true
			p.bump(rec.key.host, func(k *counts) { k.waiting++ })
			p.emit(p.reqEvent(ReqWait, rec))
		}
	}
	if !rec.waitEmitted {
		return false
	}
	rec.waitEmitted = false
	if !p.stopped {
		p.bump(rec.key.host, func(k *counts) { k.waiting-- })
	}
	return true
}

func (p *Probe) tlsStart(rec *request) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return
	}
	p.bump(rec.key.host, func(k *counts) { k.tlsHandshakes++ })
	if d := rec.dialConn; d != nil && d.counted && d.state == stDialing {
		p.emit(p.connEvent(TLSStart, d))
	}
}

func (p *Probe) tlsDone(rec *request, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if d := rec.dialConn; err == nil && d != nil && d.state == stDialing {
		p.connReady(d, rec)
	}
}

func (p *Probe) putIdle(rec *request, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := rec.gotConn
	if c == nil || c.holder != rec {
		return // already handed to the next request
	}
	c.holder = nil
	switch {
	case err != nil:
		c.pending = putReason(err)
	case p.waitingKey[c.key] > 0:
		p.handoff(c)
	default:
		p.setIdle(c)
	}
}

// finish ends a request: ok when its body was read to EOF or closed,
// failed when RoundTrip or a body Read returned an error.
func (p *Probe) finish(rec *request, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped || rec.done {
		return
	}
	waited := p.stopWaiting(rec, true)
	rec.done = true
	delete(p.inflight, rec)
	ev := p.reqEvent(ReqDone, rec)
	if ok {
		p.bump(rec.key.host, func(k *counts) { k.ok++ })
		ev.Value = int64(time.Since(rec.start))
	} else {
		p.bump(rec.key.host, func(k *counts) { k.failed++ })
		ev.Kind = ReqFailed
		ev.Reason = ReasonError
		if waited {
			ev.Flags |= FlagWaited
		}
	}
	if c := rec.gotConn; c != nil {
		ev.Conn, ev.ConnID = c.slot, c.id
	}
	p.emit(ev)
}

// body follows the response body: EOF or Close ends the request; a Close
// before EOF makes Go close the conn (body_not_read).
type body struct {
	io.ReadCloser
	p      *Probe
	rec    *request
	sawEOF bool
}

func (b *body) Read(buf []byte) (int, error) {
	n, err := b.ReadCloser.Read(buf)
	if err == io.EOF {
		b.sawEOF = true
		b.p.finish(b.rec, true)
	} else if err != nil {
		b.p.finish(b.rec, false)
	}
	return n, err
}

func (b *body) Close() error {
	if !b.sawEOF {
		b.p.mu.Lock()
		if c := b.rec.gotConn; c != nil && c.holder == b.rec {
			c.earlyClosed = true
		}
		b.p.mu.Unlock()
	}
	err := b.ReadCloser.Close()
	b.p.finish(b.rec, true)
	return err
}

// MarkLeaked tells the probe that the caller walked away from resp without
// reading or closing its body (a harness that leaks on purpose; a program
// cannot know it does). The conn it holds then counts as leaked, its close
// as an error, and if the request has a deadline (Client.Timeout) the
// request fails when it passes. resp must come from this probe's RoundTripper.
func (p *Probe) MarkLeaked(resp *http.Response) {
	if resp == nil || resp.Request == nil {
		return
	}
	rec, ok := resp.Request.Context().Value(requestKey{}).(*request)
	if !ok {
		return
	}
	p.mu.Lock()
	if c := rec.gotConn; c != nil {
		c.leakHeld = true
		if c.counted && !p.stopped {
			ev := p.connEvent(BodyLeaked, c)
			ev.Req = rec.id
			p.bump(c.key.host, func(k *counts) { k.leaked++ })
			p.emit(ev)
		}
	}
	p.mu.Unlock()
	if done := resp.Request.Context().Done(); done != nil {
		go func() {
			select {
			case <-done:
				p.finish(rec, false)
			case <-p.done:
			}
		}()
	}
}
