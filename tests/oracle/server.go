// server.go: one real http.Server per [host] on 127.0.0.1:0, emulating the
// host's tls_latency, service_time, server_idle_timeout, server_max_requests,
// rtt (transit time, plain TCP), close_after_response and the close_idle /
// restart / send_408 events. It must not count client-side figures:
// it only tells the run which client connection the server closed first.
package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const bodySize = 1024 // so early_close leaves something unread

type ctxKey int

const connCountKey ctxKey = 0

// hostServer is one running [host].
type hostServer struct {
	spec          *hostSpec
	scale         float64
	srv           *http.Server
	ln            net.Listener
	url           string
	addr          string              // "127.0.0.1:port": the pool target, as the probe names it
	onServerClose func(remote string) // the run marks that client conn "server closed first"

	mu    sync.Mutex
	rng   *xoshiro // the host's service_time stream, as sim/simnet.c draws it
	conns map[net.Conn]http.ConnState
}

// selfSigned makes an in-memory ECDSA certificate for 127.0.0.1.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "poolsim oracle"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// srvConn delays the server's first read by tls_latency (so the handshake
// takes that long) and reports a server-initiated close before it happens.
// With rtt (transit time, plain TCP) it also holds back each write by rtt/2
// and takes what it reads as arriving rtt/2 later, and it keeps the idle
// timeout itself (http.Server's IdleTimeout is off then): the timeout's
// close happens when its FIN must reach the client (write done + idle), and a
// request read within rtt of it reached the server, in its own time, after
// the close: it is dropped and the conn closes then (the stale-connection
// race, as sim/real/server_conn.c does it).
type srvConn struct {
	net.Conn
	h         *hostServer
	delay     time.Duration
	firstRead sync.Once
	closeOnce sync.Once

	mu        sync.Mutex
	idleUntil time.Time // rtt mode: when the idle close's FIN is due (zero: not idle)
}

func (c *srvConn) Read(b []byte) (int, error) {
	c.firstRead.Do(func() {
		if c.delay > 0 {
			sleepFor(c.delay)
		}
	})
	rtt := scaleDur(c.h.spec.rtt, c.h.scale)
	if rtt == 0 || c.h.spec.tls {
		return c.Conn.Read(b)
	}
	c.mu.Lock()
	until := c.idleUntil
	c.mu.Unlock()
	if !until.IsZero() {
		c.Conn.SetReadDeadline(until)
	}
	n, err := c.Conn.Read(b)
	if !until.IsZero() {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			return 0, io.EOF // the idle timeout: the server closes now
		}
		if n > 0 && !time.Now().Before(until.Add(-rtt)) {
			sleepUntil(until) // lost: it arrived after the close
			return 0, io.EOF
		}
		c.Conn.SetReadDeadline(time.Time{})
		c.mu.Lock()
		c.idleUntil = time.Time{}
		c.mu.Unlock()
	}
	if n > 0 {
		sleepFor(rtt / 2) // the request reaches the server half an rtt after it was sent
	}
	return n, err
}

func (c *srvConn) Write(b []byte) (int, error) {
	rtt := scaleDur(c.h.spec.rtt, c.h.scale)
	if rtt == 0 || c.h.spec.tls {
		return c.Conn.Write(b)
	}
	sleepFor(rtt / 2)
	n, err := c.Conn.Write(b)
	if idle := scaleDur(c.h.spec.serverIdleTimeout, c.h.scale); idle > 0 {
		c.mu.Lock()
		c.idleUntil = time.Now().Add(idle)
		c.mu.Unlock()
	}
	return n, err
}

func (c *srvConn) mark() {
	c.closeOnce.Do(func() { c.h.onServerClose(c.Conn.RemoteAddr().String()) })
}

func (c *srvConn) Close() error {
	c.mark()
	return c.Conn.Close()
}

// CloseWrite keeps Go's server behaviour (closeWriteAndWait) for plain TCP.
func (c *srvConn) CloseWrite() error {
	c.mark()
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

type srvListener struct {
	net.Listener
	h     *hostServer
	delay time.Duration
}

func (l *srvListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &srvConn{Conn: c, h: l.h, delay: l.delay}, nil
}

// connCounter counts a conn's requests; HTTP/2 runs them concurrently.
type connCounter struct{ n int64 }

func startHost(spec *hostSpec, idx int, seed int64, scale float64, cert tls.Certificate,
	onServerClose func(string)) (*hostServer, error) {
	h := &hostServer{spec: spec, scale: scale, onServerClose: onServerClose,
		rng: newXoshiro(uint64(seed), hostStream+uint64(idx)), conns: map[net.Conn]http.ConnState{}}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	var ln net.Listener = &srvListener{Listener: raw, h: h}
	scheme := "http"
	if spec.tls {
		ln.(*srvListener).delay = scaleDur(spec.tlsLatency, scale)
		protos := []string{"http/1.1"}
		if spec.h2 {
			protos = []string{"h2", "http/1.1"}
		}
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: protos})
		scheme = "https"
	}
	h.ln = ln
	h.addr = raw.Addr().String()
	h.url = scheme + "://" + h.addr + "/"
	h.srv = &http.Server{
		Handler:      http.HandlerFunc(h.serve),
		IdleTimeout:  serverIdleTimeout(spec, scale),
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ErrorLog:     log.New(io.Discard, "", 0),
		ConnState:    h.connState,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connCountKey, &connCounter{})
		},
	}
	if spec.tls && spec.h2 {
		// Go's server speaks h2 when TLSNextProto is nil (its default).
		h.srv.TLSNextProto = nil
		if err := setMaxConcurrentStreams(h.srv, spec.maxStreams); err != nil {
			return nil, err
		}
	}
	go h.srv.Serve(ln)
	return h, nil
}

// serverIdleTimeout: http.Server's own, unless srvConn keeps it (rtt on plain TCP).
func serverIdleTimeout(spec *hostSpec, scale float64) time.Duration {
	if spec.rtt > 0 && !spec.tls {
		return 0
	}
	return scaleDur(spec.serverIdleTimeout, scale)
}

func (h *hostServer) connState(c net.Conn, st http.ConnState) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if st == http.StateClosed || st == http.StateHijacked {
		delete(h.conns, c)
		return
	}
	h.conns[c] = st
}

func (h *hostServer) sample() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return scaleDur(h.rng.sample(h.spec.service), h.scale)
}

// serviceOf: a replay row's own service time when the request brings one
// (scenario nanoseconds), else a draw from the host's stream; scaled.
func (h *hostServer) serviceOf(r *http.Request) time.Duration {
	if v := r.Header.Get(serviceHeader); v != "" {
		if ns, err := strconv.ParseInt(v, 10, 64); err == nil && ns >= 0 {
			return scaleDur(time.Duration(ns), h.scale)
		}
	}
	return h.sample()
}

var filler = make([]byte, bodySize)

func (h *hostServer) serve(w http.ResponseWriter, r *http.Request) {
	cc := r.Context().Value(connCountKey).(*connCounter)
	n := atomic.AddInt64(&cc.n, 1) // HTTP/2 runs a conn's requests concurrently
	io.Copy(io.Discard, r.Body)    // the whole body before the answer, as the loopback servers do
	sleepFor(h.serviceOf(r))
	if h.spec.closeAfterResp {
		h.hangUp(w)
		return
	}
	if m := h.spec.serverMaxRequests; m > 0 && n >= int64(m) {
		w.Header().Set("Connection", "close")
	}
	w.Header().Set("Content-Length", strconv.Itoa(bodySize))
	w.Write(filler)
}

// hangUp: close_after_response: a keep-alive response (no Connection: close),
// then the close at once (TestTransportIssue10457's handler).
func (h *hostServer) hangUp(w http.ResponseWriter) {
	conn, bufrw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	bufrw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: " + strconv.Itoa(bodySize) + "\r\n\r\n")
	bufrw.Write(filler)
	bufrw.Flush()
	conn.Close()
}

// send408 writes a 408 on every idle conn and closes it (TestTransportIgnores408).
func (h *hostServer) send408() int {
	h.mu.Lock()
	var victims []net.Conn
	for c, st := range h.conns {
		if st == http.StateIdle {
			victims = append(victims, c)
		}
	}
	h.mu.Unlock()
	for _, c := range victims {
		c.Write([]byte("HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))
		c.Close()
	}
	return len(victims)
}

// closeConns closes the server side of every conn (restart) or of the
// idle ones only (close_idle: StateIdle means it finished a response).
func (h *hostServer) closeConns(idleOnly bool) int {
	h.mu.Lock()
	var victims []net.Conn
	for c, st := range h.conns {
		if !idleOnly || st == http.StateIdle {
			victims = append(victims, c)
		}
	}
	h.mu.Unlock()
	for _, c := range victims {
		c.Close()
	}
	return len(victims)
}

func (h *hostServer) stop() {
	h.srv.Close()
}

func scaleDur(d time.Duration, scale float64) time.Duration {
	return time.Duration(float64(d) * scale)
}
