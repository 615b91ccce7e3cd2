// infer.go: what Go does not show, inferred: when a conn is idle, and why
// the Transport closed it. README.md ("Inferences") gives the rules in
// words; each close reason has a test in reasons_test.go that produces it
// against a real server on 127.0.0.1.
package probe

import (
	"strings"
	"time"
)

// setState moves c to st, keeping the dialing and in-use gauges (caller
// holds mu). The idle gauge is kept by setIdle / unsetIdle.
func (p *Probe) setState(c *conn, st connState) {
	old := c.state
	c.state = st
	if !c.counted || p.stopped || old == st {
		return
	}
	p.bump(c.key.host, func(k *counts) {
		p.leaveGauge(k, old)
		if st == stActive {
			k.active++
			k.peakActive = max64(k.peakActive, k.active)
		}
	})
}

// connReady: the conn is usable. If its request already got another conn,
// Go puts this one through put-or-close (G6); mirror that decision.
func (p *Probe) connReady(c *conn, rec *request) {
	p.setState(c, stReady)
	if c.counted {
		p.emit(p.connEvent(ConnReady, c))
	}
	if rec != nil && rec.gotConn != nil && rec.gotConn != c {
		p.orphanPut(c)
	}
}

// orphanPut mirrors tryPutIdleConn for a conn dialed for a request that was
// served by another: refused (keep-alives off, or the key's idle list
// full), handed to a waiting request, or made idle.
func (p *Probe) orphanPut(c *conn) {
	c.orphanDone = true
	switch {
	case c.key.tr.keepAlivesOff:
		c.pending = ReasonKeepAlivesDisabled
	case p.waitingKey[c.key] > 0:
		p.handoff(c)
	case p.idleKey[c.key] >= c.key.tr.maxIdlePerHost:
		c.pending = ReasonMaxIdlePerHost
	default:
		p.setIdle(c)
	}
}

func (p *Probe) handoff(c *conn) {
	p.setState(c, stHandoff)
	if c.counted {
		p.emit(p.connEvent(ConnHandoff, c))
	}
}

func (p *Probe) setIdle(c *conn) {
	p.setState(c, stIdle)
	c.idleSince = time.Now()
	p.moveIdle(c.key, +1)
	if c.counted {
		ev := p.connEvent(ConnIdle, c)
		ev.Value = -1
		if d := c.key.tr.idleTimeout; d > 0 {
			ev.Value = p.since(c.idleSince.Add(d))
		}
		p.emit(ev)
	}
}

func (p *Probe) unsetIdle(c *conn) {
	if c.state == stIdle {
		p.moveIdle(c.key, -1)
	}
}

// moveIdle changes a key's idle count. The gauge counts at most the key's
// MaxIdleConnsPerHost: Go never holds more, and a larger count only means
// a GotConn trace has not yet told us that Go already took a conn out.
func (p *Probe) moveIdle(key poolKey, d int) {
	limit := key.tr.maxIdlePerHost
	clamp := func(n int) int {
		if n > limit {
			return limit
		}
		return n
	}
	before := clamp(p.idleKey[key])
	p.idleKey[key] += d
	delta := int64(clamp(p.idleKey[key]) - before)
	if !p.stopped && delta != 0 {
		p.bump(key.host, func(k *counts) { k.idle += delta; k.peakIdle = max64(k.peakIdle, k.idle) })
	}
}

// idleOf counts the conns believed idle in one Transport (all hosts).
func (p *Probe) idleOf(tr *trState) int {
	n := 0
	for k, v := range p.idleKey {
		if k.tr == tr {
			n += v
		}
	}
	return n
}

// classify infers why the Transport closed c; first match wins.
func (p *Probe) classify(c *conn, wasIdle bool) Reason {
	switch {
	case c.leakHeld:
		return ReasonError
	case c.earlyClosed:
		return ReasonBodyNotRead
	case c.pending != reasonNone:
		return c.pending
	case c.state == stDialing:
		return ReasonError
	case wasIdle || c.state == stReady || c.state == stHandoff:
		// Not held by a request: the server closed it, it timed out, or a
		// put found no room (for a conn we saw as idle: LRU eviction).
		tr := c.key.tr
		switch {
		case c.serverClosed:
			return ReasonServer
		case wasIdle && tr.idleTimeout > 0 && time.Since(c.idleSince) >= tr.idleTimeout*9/10:
			return ReasonIdleTimeout
		case tr.maxIdleTotal < 0 || (tr.maxIdleTotal > 0 && p.idleOf(tr)+1 >= tr.maxIdleTotal):
			return ReasonMaxIdleTotal
		}
		return ReasonMaxIdlePerHost
	case c.key.tr.keepAlivesOff && c.gotResponse:
		return ReasonKeepAlivesDisabled
	case c.serverClosed || c.respClose:
		return ReasonServer
	}
	return ReasonError
}

// putReason reads PutIdleConn's error: Go's errTooManyIdleHost and
// errTooManyIdle; anything else (a broken conn, CloseIdleConnections) is an error.
func putReason(err error) Reason {
	s := err.Error()
	switch {
	case strings.Contains(s, "too many idle connections for host"):
		return ReasonMaxIdlePerHost
	case strings.Contains(s, "too many idle connections"):
		return ReasonMaxIdleTotal
	}
	return ReasonError
}
