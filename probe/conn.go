// conn.go: the dial wrapper and the wrapped net.Conn. A conn counts as
// open from the moment its dial starts until the dial fails or the
// Transport closes it; a Read error means the peer closed it first.
package probe

import (
	"context"
	"crypto/tls"
	"net"
	"time"
)

type connState int

const (
	stDialing connState = iota // TCP connect, or TLS, in progress
	stReady                    // usable, not yet handed to a request
	stActive                   // a request holds it
	stIdle                     // in the idle pool, as far as we can tell
	stHandoff                  // put back while a request waited: handed off (P5)
)

// conn wraps each dialed conn; guarded by the probe's mu except the
// embedded Conn.
type conn struct {
	net.Conn
	p         *Probe
	key       poolKey
	slot      int32
	id        uint32
	addr      string
	tls       bool
	state     connState
	served    int
	idleSince time.Time
	holder    *request
	pending   Reason // a close reason already decided (put refused), or reasonNone
	counted   bool   // dialed before Stop

	orphanDone, earlyClosed, leakHeld, gotResponse bool
	respClose, serverClosed, closed                bool
}

func (c *conn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if err != nil {
		c.p.peerClosed(c)
	}
	return n, err
}

func (c *conn) Close() error {
	c.p.connClosed(c)
	return c.Conn.Close()
}

// dial wraps one dial of the Transport. preTLS: the dial function does the
// TLS handshake itself (DialTLSContext), so the conn is ready when it returns.
func (p *Probe) dial(ctx context.Context, ts *trState, inner func(context.Context, string, string) (net.Conn, error),
	network, addr string, preTLS bool) (net.Conn, error) {
	rec, _ := ctx.Value(requestKey{}).(*request)
	p.mu.Lock()
	c := &conn{p: p, key: poolKey{ts, p.host(addr)}, state: stDialing, pending: reasonNone, slot: -1}
	c.tls = !preTLS && rec != nil && rec.https
	if !p.stopped {
		c.counted = true
		c.slot = p.slots.get()
		p.nextConnID++
		c.id = p.nextConnID
		p.bump(c.key.host, func(k *counts) {
			k.dials++
			k.open++
			k.dialing++
			k.peakOpen = max64(k.peakOpen, k.open)
		})
		ev := p.connEvent(DialStart, c)
		if rec != nil {
			ev.Req = rec.id
		}
		if c.tls || preTLS {
			ev.Flags |= FlagTLS
		}
		p.emit(ev)
	}
	p.live[c] = true
	if rec != nil {
		rec.dialConn = c
	}
	p.mu.Unlock()

	nc, err := inner(ctx, network, addr)
	if err != nil {
		p.dialFailed(c)
		return nil, err
	}
	c.Conn = nc
	c.addr = nc.LocalAddr().String()
	p.mu.Lock()
	p.conns[c.addr] = c
	if _, isTLS := nc.(*tls.Conn); preTLS && isTLS && c.counted {
		p.bump(c.key.host, func(k *counts) { k.tlsHandshakes++ })
	}
	if !c.tls {
		p.connReady(c, rec)
	}
	p.mu.Unlock()
	return c, nil
}

func (p *Probe) connEvent(kind Kind, c *conn) Event {
	return Event{T: p.since(time.Now()), Kind: kind, Host: int32(c.key.host.index), Conn: c.slot, ConnID: c.id}
}

func (p *Probe) dialFailed(c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c.closed = true
	delete(p.live, c)
	if p.stopped || !c.counted {
		return
	}
	p.bump(c.key.host, func(k *counts) {
		k.dialFailures++
		k.open--
		k.dialing--
		k.closed++
		k.closes[ReasonError]++
	})
	ev := p.connEvent(ConnClosed, c)
	ev.Reason = ReasonError
	ev.Flags = FlagWasDialing
	p.emit(ev)
	p.slots.put(c.slot)
}

// peerClosed: a Read on the conn failed, so the peer closed it (or it
// broke) before the Transport did.
func (p *Probe) peerClosed(c *conn) {
	p.mu.Lock()
	if !c.closed {
		c.serverClosed = true
	}
	p.mu.Unlock()
}

// MarkServerClosed tells the probe that the server is about to close (or
// half-close) the conn whose client side has local address clientAddr, so
// that its close counts as "server" even if the client never read the EOF.
// For harnesses that run the server too (the oracle); a program need not.
func (p *Probe) MarkServerClosed(clientAddr string) {
	p.mu.Lock()
	if c := p.conns[clientAddr]; c != nil && !c.closed {
		c.serverClosed = true
	}
	p.mu.Unlock()
}

func (p *Probe) connClosed(c *conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.closed {
		return
	}
	wasIdle := c.state == stIdle
	p.unsetIdle(c)
	c.closed = true
	delete(p.conns, c.addr)
	delete(p.live, c)
	if p.stopped || !c.counted {
		return
	}
	inDial := c.state == stDialing // T2: a TLS handshake that fails is a failed dial
	reason := p.classify(c, wasIdle)
	p.bump(c.key.host, func(k *counts) {
		k.open--
		k.closed++
		k.closes[reason]++
		p.leaveGauge(k, c.state)
		if c.leakHeld {
			k.leaked--
		}
		if inDial {
			k.dialFailures++
		}
	})
	ev := p.connEvent(ConnClosed, c)
	ev.Reason = reason
	if wasIdle {
		ev.Flags |= FlagWasIdle
	}
	if inDial {
		ev.Flags |= FlagWasDialing
	}
	if c.leakHeld {
		ev.Flags |= FlagLeaked
	}
	p.emit(ev)
	p.slots.put(c.slot)
}

// leaveGauge takes a conn out of the dialing / in-use gauge of its state.
// The idle gauge has its own bookkeeping (moveIdle).
func (p *Probe) leaveGauge(k *counts, st connState) {
	switch st {
	case stDialing:
		k.dialing--
	case stActive:
		k.active--
	}
}

func unwrap(nc net.Conn) *conn {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	c, _ := nc.(*conn)
	return c
}

// slotPool hands out conn slots, reusing a slot only after its conn closed
// (the "conn" field of a record, as in poolsim's stream).
type slotPool struct {
	free []int32
	n    int32
}

func (s *slotPool) get() int32 {
	if k := len(s.free); k > 0 {
		v := s.free[k-1]
		s.free = s.free[:k-1]
		return v
	}
	s.n++
	return s.n - 1
}

func (s *slotPool) put(v int32) {
	if v >= 0 {
		s.free = append(s.free, v)
	}
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
