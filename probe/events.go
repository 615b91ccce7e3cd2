// events.go: the event records (poolsim's struct ps_event, with the same
// kind, reason and flag names), their JSON-lines form (docs/format.md,
// "Event records"), and the emitter: a bounded buffer the program never
// waits on, drained by one writer goroutine.
package probe

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is a record's kind; the values and names are poolsim's enum ev_kind.
type Kind uint16

const (
	ReqStart Kind = iota
	ReqWait
	PermitWait
	GotConn
	ReqRetry
	ReqDone
	ReqFailed
	BodyLeaked
	DialStart
	TLSStart
	ConnReady
	ConnIdle
	ConnHandoff
	ConnClosed
	ServerAction
	KernelSample
	RunEnd
	numKinds
)

var kindNames = [numKinds]string{"req_start", "req_wait", "permit_wait", "got_conn", "req_retry",
	"req_done", "req_failed", "body_leaked", "dial_start", "tls_start", "conn_ready", "conn_idle",
	"conn_handoff", "conn_closed", "server_action", "kernel_sample", "run_end"}

func (k Kind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return "unknown"
}

// Flags are poolsim's EVF_* bits.
const (
	FlagReused     uint32 = 0x01 // got_conn: the conn served an earlier request
	FlagWasIdle    uint32 = 0x02 // got_conn: taken from the idle pool; conn_closed: it was idle
	FlagWaited     uint32 = 0x04 // got_conn / req_failed: closes a req_wait
	FlagGoReused   uint32 = 0x08 // got_conn: Go's GotConnInfo.Reused
	FlagWasDialing uint32 = 0x10 // conn_closed: the dial (or TLS) never finished
	FlagTLS        uint32 = 0x20 // dial_start: an https conn
	FlagPermit     uint32 = 0x40 // req_failed: it waited for a MaxConnsPerHost permit
	FlagLeaked     uint32 = 0x80 // conn_closed: it was held by a leaked body
)

var flagNames = []struct {
	bit  uint32
	name string
}{{FlagReused, "reused"}, {FlagWasIdle, "was_idle"}, {FlagWaited, "waited"}, {FlagGoReused, "go_reused"},
	{FlagWasDialing, "was_dialing"}, {FlagTLS, "tls"}, {FlagPermit, "permit"}, {FlagLeaked, "leaked"}}

// Event is one record. Host indexes the stream's "host" records; Conn is a
// slot (-1: none) reused only after its conn_closed; ConnID numbers conns
// in dial order from 1; Req numbers requests from 1 (0: none). T is
// nanoseconds since the probe started. Value: req_done latency (ns),
// conn_idle idle deadline (ns since start, -1: never), run_end requests in
// flight.
type Event struct {
	T      int64
	Kind   Kind
	Host   int32
	Conn   int32
	ConnID uint32
	Req    uint32
	Reason Reason // for conn_closed and req_failed; reasonNone otherwise
	Flags  uint32
	Value  int64

	line        []byte // a preformatted record (host, transport) instead
	dropsBefore int64  // records dropped just before this one
	total       int64  // run_end: records dropped in all
}

// appendJSON appends the record's JSON line.
func (ev *Event) appendJSON(b []byte) []byte {
	b = append(b, `{"t":`...)
	b = strconv.AppendInt(b, ev.T, 10)
	b = append(b, `,"kind":"`...)
	b = append(b, ev.Kind.String()...)
	b = append(b, '"')
	if ev.Host >= 0 {
		b = append(b, `,"host":`...)
		b = strconv.AppendInt(b, int64(ev.Host), 10)
	}
	if ev.Conn >= 0 {
		b = append(b, `,"conn":`...)
		b = strconv.AppendInt(b, int64(ev.Conn), 10)
		b = append(b, `,"conn_id":`...)
		b = strconv.AppendUint(b, uint64(ev.ConnID), 10)
	}
	if ev.Req > 0 {
		b = append(b, `,"req":`...)
		b = strconv.AppendUint(b, uint64(ev.Req), 10)
	}
	if ev.Reason >= 0 && (ev.Kind == ConnClosed || ev.Kind == ReqFailed) {
		b = append(b, `,"reason":"`...)
		b = append(b, ev.Reason.String()...)
		b = append(b, '"')
	}
	if ev.Flags != 0 {
		b = append(b, `,"flags":[`...)
		first := true
		for _, f := range flagNames {
			if ev.Flags&f.bit != 0 {
				if !first {
					b = append(b, ',')
				}
				first = false
				b = append(b, '"')
				b = append(b, f.name...)
				b = append(b, '"')
			}
		}
		b = append(b, ']')
	}
	if ev.Value != 0 && !(ev.Kind == ConnIdle && ev.Value < 0) {
		b = append(b, `,"value":`...)
		b = strconv.AppendInt(b, ev.Value, 10)
	}
	if ev.Kind == RunEnd {
		b = append(b, `,"dropped":`...)
		b = strconv.AppendInt(b, ev.total, 10)
	}
	b = append(b, '}')
	return b
}

func jsonString(b []byte, s string) []byte { return strconv.AppendQuote(b, s) }

// EventSink is where the records go: an io.Writer (a file, a pipe) or a
// Unix socket the probe listens on (ListenUnix).
type EventSink interface {
	// next blocks until a consumer is there and returns its writer.
	next() (io.Writer, error)
	// done reports that the consumer's writer failed; the sink may offer
	// another (a socket) or end.
	done(w io.Writer) bool
	// shutdown: the stream is over (the probe stopped).
	shutdown()
}

type writerSink struct{ w io.Writer }

// Writer is a sink that writes every record to w, once.
func Writer(w io.Writer) EventSink { return &writerSink{w} }

func (s *writerSink) next() (io.Writer, error) { return s.w, nil }
func (s *writerSink) done(io.Writer) bool      { return false }
func (s *writerSink) shutdown()                {}

// UnixSink serves the records on a Unix socket: one consumer at a time
// (`poolsim watch --attach PATH`); each consumer first gets the stream's
// header, transport and host records, then the records from then on.
// Until a consumer comes, records wait in the buffer (then drop).
type UnixSink struct {
	ln   *net.UnixListener
	path string
}

// ListenUnix listens on a Unix socket at path (removing a stale socket there).
func ListenUnix(path string) (*UnixSink, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&os.ModeSocket != 0 {
		os.Remove(path)
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, err
	}
	return &UnixSink{ln: ln, path: path}, nil
}

func (s *UnixSink) next() (io.Writer, error) { return s.ln.Accept() }

func (s *UnixSink) done(w io.Writer) bool {
	if c, ok := w.(net.Conn); ok {
		c.Close()
	}
	return true
}

func (s *UnixSink) shutdown() { s.Close() }

// Close stops listening and removes the socket (Stop does it too).
func (s *UnixSink) Close() error {
	err := s.ln.Close()
	os.Remove(s.path)
	return err
}

// emitter is the bounded buffer and its writer goroutine.
type emitter struct {
	ch      chan Event
	sink    EventSink
	pending int64 // dropped since the last record that got in (under the probe's mu)
	dropped atomic.Int64
	written atomic.Int64
	closing atomic.Bool
	end     chan struct{}
	lastT   int64 // the time of the last record written (writer goroutine only)

	mu       sync.Mutex
	cur      io.Writer // the consumer being written to, for close
	preamble [][]byte  // header, transport and host records: replayed to each new consumer
}

const defaultBuffer = 8192

func newEmitter(sink EventSink, size int) *emitter {
	if size <= 0 {
		size = defaultBuffer
	}
	e := &emitter{ch: make(chan Event, size), sink: sink, end: make(chan struct{})}
	go e.run()
	return e
}

// push never blocks: a full buffer drops the record (caller holds the probe's mu).
func (e *emitter) push(ev Event) {
	ev.dropsBefore = e.pending
	if ev.Kind == RunEnd {
		ev.total = e.dropped.Load()
	}
	select {
	case e.ch <- ev:
		e.pending = 0
	default:
		e.pending++
		e.dropped.Add(1)
	}
}

func (e *emitter) header(t0 time.Time) {
	b := []byte(`{"kind":"stream","format":"poolsim-events","version":1,"source":"probe","go":`)
	b = jsonString(b, runtime.Version())
	b = append(b, `,"start":`...)
	b = jsonString(b, t0.UTC().Format(time.RFC3339Nano))
	b = append(b, "}\n"...)
	e.push(Event{line: b, Kind: numKinds})
}

func (e *emitter) host(index int, name string) {
	b := []byte(`{"kind":"host","host":`)
	b = strconv.AppendInt(b, int64(index), 10)
	b = append(b, `,"name":`...)
	b = jsonString(b, name)
	b = append(b, "}\n"...)
	e.push(Event{line: b, Kind: numKinds})
}

// transport reports a Transport's settings under Go's field names (the
// scenario format's [transport] keys); durations in Go's syntax.
func (e *emitter) transport(index int, tr *http.Transport) {
	b := []byte(`{"kind":"transport","transport":`)
	b = strconv.AppendInt(b, int64(index), 10)
	num := func(k string, v int) {
		b = append(b, `,"`+k+`":`...)
		b = strconv.AppendInt(b, int64(v), 10)
	}
	dur := func(k string, v time.Duration) {
		b = append(b, `,"`+k+`":`...)
		b = jsonString(b, v.String())
	}
	flag := func(k string, v bool) {
		b = append(b, `,"`+k+`":`...)
		b = strconv.AppendBool(b, v)
	}
	num("MaxIdleConns", tr.MaxIdleConns)
	num("MaxIdleConnsPerHost", tr.MaxIdleConnsPerHost)
	num("MaxConnsPerHost", tr.MaxConnsPerHost)
	dur("IdleConnTimeout", tr.IdleConnTimeout)
	flag("DisableKeepAlives", tr.DisableKeepAlives)
	dur("TLSHandshakeTimeout", tr.TLSHandshakeTimeout)
	dur("ResponseHeaderTimeout", tr.ResponseHeaderTimeout)
	dur("ExpectContinueTimeout", tr.ExpectContinueTimeout)
	flag("ForceAttemptHTTP2", tr.ForceAttemptHTTP2)
	flag("DisableCompression", tr.DisableCompression)
	flag("Proxy", tr.Proxy != nil)
	flag("DialTLSContext", tr.DialTLSContext != nil)
	b = append(b, "}\n"...)
	e.push(Event{line: b, Kind: numKinds})
}

func droppedLine(b []byte, t, n int64) []byte {
	b = append(b, `{"t":`...)
	b = strconv.AppendInt(b, t, 10)
	b = append(b, `,"kind":"dropped","value":`...)
	b = strconv.AppendInt(b, n, 10)
	return append(b, "}\n"...)
}

// run is the writer goroutine: one consumer after another (a socket), each
// given the preamble first; it ends when the buffer is closed and drained.
func (e *emitter) run() {
	defer close(e.end)
	var carry *Event // a record that failed to reach the last consumer
	for {
		w, err := e.sink.next()
		if err != nil {
			e.discard()
			return
		}
		e.mu.Lock()
		e.cur = w
		e.mu.Unlock()
		bw := bufio.NewWriterSize(w, 32<<10)
		if e.serve(bw, &carry) {
			e.sink.done(w) // the stream is over: a socket consumer sees EOF
			return
		}
		if !e.sink.done(w) || e.closing.Load() {
			e.discard()
			return
		}
	}
}

// serve writes the preamble and then records until the buffer closes
// (true) or the consumer fails (false).
func (e *emitter) serve(bw *bufio.Writer, carry **Event) bool {
	for _, l := range e.preamble {
		bw.Write(l)
	}
	var buf []byte
	for {
		var ev Event
		if *carry != nil {
			ev, *carry = **carry, nil
		} else {
			var open bool
			if ev, open = <-e.ch; !open {
				if n := e.pending; n > 0 {
					bw.Write(droppedLine(nil, e.lastT, n))
				}
				return bw.Flush() == nil
			}
		}
		buf = buf[:0]
		if ev.dropsBefore > 0 {
			buf = droppedLine(buf, ev.T, ev.dropsBefore)
		}
		if ev.line != nil {
			buf = append(buf, ev.line...)
			e.preamble = append(e.preamble, ev.line)
		} else {
			buf = ev.appendJSON(buf)
			buf = append(buf, '\n')
		}
		_, err := bw.Write(buf)
		if err == nil && len(e.ch) == 0 {
			err = bw.Flush()
		}
		if err != nil {
			*carry = &ev
			return false
		}
		if ev.line == nil {
			e.lastT = ev.T
		}
		e.written.Add(1)
	}
}

// discard drains the buffer when no consumer can be had any more.
func (e *emitter) discard() {
	for range e.ch {
		e.dropped.Add(1)
	}
}

// finish hands the last record (run_end) to the writer and ends the stream.
// Unlike push it waits for room, up to `wait` in all, because a stream
// without its run_end cannot say its counts add up: a consumer that
// connects while the buffer is full would otherwise lose it. No other
// record can arrive: the probe is stopped.
func (e *emitter) finish(last Event, wait time.Duration) {
	deadline := time.Now().Add(wait)
	last.dropsBefore = e.pending
	last.total = e.dropped.Load()
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case e.ch <- last:
		e.pending = 0
	case <-timer.C:
		e.pending++
		e.dropped.Add(1)
	}
	e.close(time.Until(deadline))
}

// close ends the stream: the writer drains the buffer, waiting up to
// `wait` for a slow consumer, then gives up on it.
func (e *emitter) close(wait time.Duration) {
	e.closing.Store(true)
	close(e.ch)
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-e.end:
	case <-timer.C:
		e.mu.Lock()
		if c, ok := e.cur.(io.Closer); ok {
			c.Close()
		}
		e.mu.Unlock()
	}
	e.sink.shutdown()
}
