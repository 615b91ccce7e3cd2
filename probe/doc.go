// Package probe shows the connection pool of a Go program's own
// http.Transport: per host, how many connections are open, dialing, in use
// and idle, how many requests wait for one, how many were dialed, reused and
// closed, and why each closed, in poolsim's words.
//
//	tr := &http.Transport{MaxIdleConnsPerHost: 10}
//	p := probe.Attach(tr)            // wraps DialContext / DialTLSContext
//	client := p.Client()             // or &http.Client{Transport: p.RoundTripper()}
//	...
//	st := p.Stats()                  // like sql.DB.Stats()
//	http.Handle("/metrics", p.Handler()) // Prometheus text format
//
// Go keeps its pool private, so the probe watches from outside: the dials it
// wraps, the life of each wrapped net.Conn (and who closed it first), and an
// httptrace.ClientTrace per request (GetConn, GotConn, PutIdleConn, the TLS
// handshake) plus the response body's EOF or Close. What it cannot see it
// infers, the same way poolsim's oracle (tests/oracle) always has, because the
// oracle counts with this package: see README.md for every inference.
//
// The probe never blocks the program: event records go through a bounded
// buffer to a writer goroutine; when the consumer is slow or gone, records
// are dropped and counted (Stats().EventsDropped, and a "dropped" record in
// the stream). Standard library only; Go 1.19 or newer.
package probe
