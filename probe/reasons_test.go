// reasons_test.go: each inferred close reason, produced in real Go against
// a server on 127.0.0.1, and the counts around it (computed by hand in the
// comments).
package probe

import (
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

func wantCloses(t *testing.T, st HostStats, r Reason, n int64) {
	t.Helper()
	if st.Closes[r] != n || st.Closed != n {
		t.Fatalf("closes[%v] = %d, closed = %d, want %d of %d: %+v", r, st.Closes[r], st.Closed, n, n, st.Closes)
	}
}

// One request, then the conn sits idle past IdleConnTimeout: Go closes it
// with errIdleConnTimeout. dials 1, closes idle_timeout 1, nothing open.
func TestReasonIdleTimeout(t *testing.T) {
	s := server(t, nil)
	p := Attach(&http.Transport{IdleConnTimeout: 30 * time.Millisecond})
	get(t, p.Client(), s.URL)
	eventually(t, "the idle timeout", func() bool { return p.Stats().Closed == 1 })
	st := p.Stats()
	wantCloses(t, st.HostStats, ReasonIdleTimeout, 1)
	if st.Dials != 1 || st.OpenConnections != 0 || st.Idle != 0 || st.MaxIdle != 1 {
		t.Fatalf("dials %d open %d idle %d max idle %d, want 1 0 0 1", st.Dials, st.OpenConnections, st.Idle, st.MaxIdle)
	}
}

// Two requests at once hold two conns (the server answers both only when
// both arrived); MaxIdleConnsPerHost = 1, so the second put is refused
// (errTooManyIdleHost). dials 2, closes max_idle_per_host 1, idle 1.
func TestReasonMaxIdlePerHost(t *testing.T) {
	s := server(t, barrier(2))
	p := Attach(&http.Transport{MaxIdleConnsPerHost: 1})
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); get(t, p.Client(), s.URL) }()
	}
	wg.Wait()
	eventually(t, "the refused put", func() bool { return p.Stats().Closed == 1 })
	st := p.Stats()
	wantCloses(t, st.HostStats, ReasonMaxIdlePerHost, 1)
	if st.Dials != 2 || st.Idle != 1 || st.MaxOpen != 2 {
		t.Fatalf("dials %d idle %d max open %d, want 2 1 2", st.Dials, st.Idle, st.MaxOpen)
	}
}

// MaxIdleConns = 1 and two hosts, one request each in turn: the second
// conn's put evicts the first, idle, conn (errTooManyIdle). closes
// max_idle_total 1, on the first host.
func TestReasonMaxIdleTotal(t *testing.T) {
	a, b := server(t, nil), server(t, nil)
	p := Attach(&http.Transport{MaxIdleConns: 1})
	get(t, p.Client(), a.URL)
	get(t, p.Client(), b.URL)
	eventually(t, "the eviction", func() bool { return p.Stats().Closed == 1 })
	st := p.Stats()
	wantCloses(t, st.HostStats, ReasonMaxIdleTotal, 1)
	if h := st.Hosts[hostOfURL(a.URL)]; h.Closes[ReasonMaxIdleTotal] != 1 || h.OpenConnections != 0 {
		t.Fatalf("host a: %+v", h)
	}
	if st.Idle != 1 {
		t.Fatalf("idle %d, want 1", st.Idle)
	}
}

// The server closes the idle conn (as after its own idle timeout): the
// client's read loop sees EOF and closes it. closes server 1.
func TestReasonServerClosedIdle(t *testing.T) {
	s := server(t, nil)
	p := Attach(&http.Transport{})
	get(t, p.Client(), s.URL)
	eventually(t, "the idle conn", func() bool { return p.Stats().Idle == 1 })
	s.CloseClientConnections()
	eventually(t, "the close", func() bool { return p.Stats().Closed == 1 })
	wantCloses(t, p.Stats().HostStats, ReasonServer, 1)
}

// The response says Connection: close (like a server's max requests per
// conn): Go closes the conn after the body. closes server 1, reused 0 of 2.
func TestReasonServerConnectionClose(t *testing.T) {
	s := server(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, body1k)
	})
	p := Attach(&http.Transport{})
	get(t, p.Client(), s.URL)
	get(t, p.Client(), s.URL)
	eventually(t, "both closes", func() bool { return p.Stats().Closed == 2 })
	st := p.Stats()
	wantCloses(t, st.HostStats, ReasonServer, 2)
	if st.Dials != 2 || st.Reused != 0 {
		t.Fatalf("dials %d reused %d, want 2 0", st.Dials, st.Reused)
	}
}

// Close without reading: Go cannot reuse the conn (bodyEOFSignal's early
// close). closes body_not_read 1; the request still counts ok.
func TestReasonBodyNotRead(t *testing.T) {
	s := server(t, nil)
	p := Attach(&http.Transport{})
	resp, err := p.Client().Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	eventually(t, "the close", func() bool { return p.Stats().Closed == 1 })
	st := p.Stats()
	wantCloses(t, st.HostStats, ReasonBodyNotRead, 1)
	if st.OK != 1 || st.Failed != 0 {
		t.Fatalf("ok %d failed %d, want 1 0", st.OK, st.Failed)
	}
}

// DisableKeepAlives, and MaxIdleConnsPerHost < 0 (P1): one request per
// conn. Two requests: dials 2, closes keepalives_disabled 2.
func TestReasonKeepAlivesDisabled(t *testing.T) {
	for _, tr := range []*http.Transport{{DisableKeepAlives: true}, {MaxIdleConnsPerHost: -1}} {
		s := server(t, nil)
		p := Attach(tr)
		get(t, p.Client(), s.URL)
		get(t, p.Client(), s.URL)
		eventually(t, "both closes", func() bool { return p.Stats().Closed == 2 })
		st := p.Stats()
		wantCloses(t, st.HostStats, ReasonKeepAlivesDisabled, 2)
		if st.Dials != 2 {
			t.Fatalf("dials %d, want 2", st.Dials)
		}
	}
}

// A refused dial (nothing listens): dials 1, dial_failures 1, closes
// error 1, the request failed.
func TestReasonErrorDialRefused(t *testing.T) {
	p := Attach(&http.Transport{})
	if _, err := p.Client().Get("http://" + closedPort(t) + "/"); err == nil {
		t.Fatal("the dial to a closed port worked")
	}
	st := p.Stats()
	wantCloses(t, st.HostStats, ReasonError, 1)
	if st.Dials != 1 || st.DialFailures != 1 || st.Failed != 1 || st.OpenConnections != 0 {
		t.Fatalf("dials %d failures %d failed %d open %d, want 1 1 1 0", st.Dials, st.DialFailures, st.Failed, st.OpenConnections)
	}
}

// Client.Timeout ends a request whose response never comes: Go closes its
// conn. closes error 1, failed 1.
func TestReasonErrorTimeout(t *testing.T) {
	release := make(chan struct{})
	s := server(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	p := Attach(&http.Transport{})
	c := p.Client()
	c.Timeout = 20 * time.Millisecond
	if _, err := c.Get(s.URL); err == nil {
		t.Fatal("no timeout")
	}
	eventually(t, "the close", func() bool { return p.Stats().Closed == 1 })
	st := p.Stats()
	wantCloses(t, st.HostStats, ReasonError, 1)
	if st.Failed != 1 || st.Dials != 1 {
		t.Fatalf("failed %d dials %d, want 1 1", st.Failed, st.Dials)
	}
}

// A leaked body (MarkLeaked) holds its conn; with Client.Timeout the
// request fails at the deadline and Go closes the conn: closes error 1,
// leaked back to 0.
func TestReasonErrorLeakedBody(t *testing.T) {
	s := server(t, nil)
	p := Attach(&http.Transport{})
	c := p.Client()
	c.Timeout = 30 * time.Millisecond
	resp, err := c.Get(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	p.MarkLeaked(resp)
	if st := p.Stats(); st.Leaked != 1 || st.InUse != 1 {
		t.Fatalf("leaked %d in use %d, want 1 1", st.Leaked, st.InUse)
	}
	eventually(t, "the deadline", func() bool { return p.Stats().Closed == 1 && p.Stats().Failed == 1 })
	st := p.Stats()
	wantCloses(t, st.HostStats, ReasonError, 1)
	if st.Leaked != 0 {
		t.Fatalf("leaked %d, want 0", st.Leaked)
	}
}

// p.CloseIdleConnections closes the idle conn: closes error 1 (poolsim's
// errCloseIdleConns category), not an idle-limit reason.
func TestReasonErrorCloseIdleConnections(t *testing.T) {
	s := server(t, nil)
	p := Attach(&http.Transport{})
	get(t, p.Client(), s.URL)
	eventually(t, "the idle conn", func() bool { return p.Stats().Idle == 1 })
	p.CloseIdleConnections()
	eventually(t, "the close", func() bool { return p.Stats().Closed == 1 })
	wantCloses(t, p.Stats().HostStats, ReasonError, 1)
}
