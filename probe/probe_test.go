// probe_test.go: counts, the event records, the Prometheus page, and a
// consumer that never reads.
package probe

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// Three requests in turn on one host: one dial, then the idle conn serves
// the other two. dials 1, reused 2, max open 1, idle 1 at the end.
func TestSequentialReuse(t *testing.T) {
	s := server(t, nil)
	p := Attach(&http.Transport{})
	for i := 0; i < 3; i++ {
		get(t, p.Client(), s.URL)
	}
	st := p.Stats()
	h := st.Hosts[hostOfURL(s.URL)]
	if st.Requests != 3 || st.OK != 3 || st.Dials != 1 || st.Reused != 2 || st.MaxOpen != 1 ||
		h.Reused != 2 || st.Unfinished != 0 {
		t.Fatalf("%+v", st)
	}
	eventually(t, "the last put", func() bool { return p.Stats().Idle == 1 })
}

// https through Go's own TLS: each dial is a handshake. Two requests at
// once: dials 2, tls_handshakes 2, reused 0; a third reuses: reused 1.
func TestTLSHandshakes(t *testing.T) {
	s := httptest.NewTLSServer(barrier(2))
	defer s.Close()
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: s.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs}}
	p := Attach(tr)
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); get(t, p.Client(), s.URL) }()
	}
	wg.Wait()
	st := p.Stats()
	if st.Dials != 2 || st.TLSHandshakes != 2 || st.Reused != 0 || st.DialFailures != 0 {
		t.Fatalf("%+v", st)
	}
}

type record struct {
	T      int64    `json:"t"`
	Kind   string   `json:"kind"`
	Host   *int     `json:"host"`
	Name   string   `json:"name"`
	ConnID int      `json:"conn_id"`
	Reason string   `json:"reason"`
	Flags  []string `json:"flags"`
	Value  int64    `json:"value"`
	Drop   int64    `json:"dropped"`
	MaxIC  *int     `json:"MaxIdleConnsPerHost"`
}

func parseRecords(t *testing.T, data []byte) []record {
	t.Helper()
	var out []record
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		var r record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("not JSON: %q: %v", sc.Text(), err)
		}
		out = append(out, r)
	}
	return out
}

// The records of two requests in turn, in order: the header, the
// Transport's settings, the host, then poolsim's kinds.
func TestEventRecords(t *testing.T) {
	s := server(t, nil)
	var buf bytes.Buffer
	p := AttachWith(&http.Transport{MaxIdleConnsPerHost: 3}, Options{Events: Writer(&buf)})
	get(t, p.Client(), s.URL)
	get(t, p.Client(), s.URL)
	eventually(t, "the last put", func() bool { return p.Stats().Idle == 1 })
	p.Stop()
	recs := parseRecords(t, buf.Bytes())
	var kinds []string
	for _, r := range recs {
		kinds = append(kinds, r.Kind)
	}
	// Go puts the conn back (conn_idle) before the body's last Read returns EOF.
	want := "stream transport host req_start req_wait dial_start conn_ready got_conn conn_idle req_done " +
		"req_start got_conn conn_idle req_done run_end"
	if got := strings.Join(kinds, " "); got != want {
		t.Fatalf("kinds:\n got %s\nwant %s", got, want)
	}
	if recs[1].MaxIC == nil || *recs[1].MaxIC != 3 || recs[2].Name != hostOfURL(s.URL) {
		t.Fatalf("settings or host record: %+v %+v", recs[1], recs[2])
	}
	second := recs[11]
	if strings.Join(second.Flags, ",") != "reused,was_idle,go_reused" || second.ConnID != 1 {
		t.Fatalf("second got_conn: %+v", second)
	}
	if recs[9].Value <= 0 {
		t.Fatalf("req_done without a latency: %+v", recs[9])
	}
	if st := p.Stats(); st.EventsWritten != int64(len(recs)) || st.EventsDropped != 0 {
		t.Fatalf("written %d dropped %d, records %d", st.EventsWritten, st.EventsDropped, len(recs))
	}
}

// A refused dial's records: dial_start tls-less, then conn_closed with
// was_dialing and reason error, and req_failed.
func TestEventRecordsDialFailure(t *testing.T) {
	var buf bytes.Buffer
	p := AttachWith(&http.Transport{}, Options{Events: Writer(&buf)})
	p.Client().Get("http://" + closedPort(t) + "/")
	p.Stop()
	var got []string
	for _, r := range parseRecords(t, buf.Bytes())[3:] {
		got = append(got, r.Kind+":"+r.Reason+":"+strings.Join(r.Flags, ","))
	}
	want := "req_start:: req_wait:: dial_start:: conn_closed:error:was_dialing req_failed:error:waited run_end::"
	if strings.Join(got, " ") != want {
		t.Fatalf("got  %s\nwant %s", strings.Join(got, " "), want)
	}
}

// A consumer that connects to the socket and never reads: the program's
// requests all finish, records are dropped and counted, in Stats and in
// the stream (the consumer's side holds at most the socket's buffers).
func TestSocketConsumerNeverReads(t *testing.T) {
	s := server(t, nil)
	path := filepath.Join(t.TempDir(), "probe.sock")
	sink, err := ListenUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	p := AttachWith(&http.Transport{}, Options{Events: sink, Buffer: 64})
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 3000 // about 18 records each: far more than the socket buffers hold
	for i := 0; i < n; i++ {
		get(t, p.Client(), s.URL)
	}
	st := p.Stats()
	if st.OK != n || st.EventsDropped == 0 {
		t.Fatalf("ok %d dropped %d, want %d and > 0", st.OK, st.EventsDropped, n)
	}
	p.Stop() // gives up on the consumer after a second
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("socket left behind: %v", err)
	}
}

// A consumer that reads after a while: it gets the preamble, a "dropped"
// record with the count, and the records written + dropped add up.
func TestSocketDroppedRecord(t *testing.T) {
	s := server(t, nil)
	path := filepath.Join(t.TempDir(), "probe.sock")
	sink, err := ListenUnix(path)
	if err != nil {
		t.Fatal(err)
	}
	p := AttachWith(&http.Transport{}, Options{Events: sink, Buffer: 16})
	for i := 0; i < 20; i++ { // nobody connected: the buffer fills, then drops
		get(t, p.Client(), s.URL)
	}
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []byte)
	go func() { b, _ := io.ReadAll(c); got <- b }()
	get(t, p.Client(), s.URL)
	p.Stop()
	recs := parseRecords(t, <-got)
	st := p.Stats()
	var dropped int64
	for _, r := range recs {
		if r.Kind == "dropped" {
			dropped += r.Value
		}
	}
	last := recs[len(recs)-1]
	if recs[0].Kind != "stream" || last.Kind != "run_end" || dropped != st.EventsDropped ||
		last.Drop != st.EventsDropped || st.EventsDropped == 0 {
		t.Fatalf("first %s last %+v, dropped records %d, stats %d", recs[0].Kind, last, dropped, st.EventsDropped)
	}
	if st.EventsWritten != int64(len(recs)-countKind(recs, "dropped")) {
		t.Fatalf("written %d, records %d", st.EventsWritten, len(recs))
	}
}

func countKind(recs []record, kind string) int {
	n := 0
	for _, r := range recs {
		if r.Kind == kind {
			n++
		}
	}
	return n
}

// A pipe nobody reads blocks the writer, never the program.
func TestWriterNeverReadDoesNotBlock(t *testing.T) {
	s := server(t, nil)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p := AttachWith(&http.Transport{}, Options{Events: Writer(w), Buffer: 32})
	for i := 0; i < 4000; i++ { // a pipe holds 64 KiB: about 600 records
		get(t, p.Client(), s.URL)
	}
	p.Stop()
	if st := p.Stats(); st.EventsDropped == 0 || st.OK != 4000 {
		t.Fatalf("dropped %d ok %d", st.EventsDropped, st.OK)
	}
}

func TestPrometheusHandler(t *testing.T) {
	s := server(t, nil)
	p := Attach(&http.Transport{DisableKeepAlives: true})
	get(t, p.Client(), s.URL)
	eventually(t, "the close", func() bool { return p.Stats().Closed == 1 })
	rec := httptest.NewRecorder()
	p.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	out := rec.Body.String()
	host := hostOfURL(s.URL)
	for _, line := range []string{
		"# TYPE poolsim_probe_dials_total counter",
		`poolsim_probe_dials_total{host="` + host + `"} 1`,
		`poolsim_probe_open_connections{host="` + host + `"} 0`,
		`poolsim_probe_closes_total{host="` + host + `",reason="keepalives_disabled"} 1`,
		"poolsim_probe_events_dropped_total 0",
	} {
		if !strings.Contains(out, line+"\n") {
			t.Errorf("no line %q in\n%s", line, out)
		}
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Errorf("content type %q", ct)
	}
}

// After Stop nothing counts: a later request stays out of the figures.
func TestStopFreezes(t *testing.T) {
	s := server(t, nil)
	p := Attach(&http.Transport{})
	get(t, p.Client(), s.URL)
	p.Stop()
	get(t, p.Client(), s.URL)
	if st := p.Stats(); st.Requests != 1 || st.Dials != 1 || !st.Stopped {
		t.Fatalf("%+v", st)
	}
}
