// helpers_test.go: servers on 127.0.0.1 and small waits for the tests.
package probe

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

var body1k = strings.Repeat("x", 1024)

// server answers every request with a 1 KiB body (Content-Length set).
func server(t testing.TB, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	if h == nil {
		h = func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, body1k) }
	}
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// get does one request and reads its body to EOF, then closes it.
func get(t *testing.T, c *http.Client, url string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// eventually polls cond until it holds; it fails the test after 10 s
// (a hang guard, not a timing assertion).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// closedPort is a 127.0.0.1 port nothing listens on (bound, then closed).
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

func hostOfURL(url string) string { return strings.TrimPrefix(url, "http://") }

// barrier lets n handlers return only once all n have arrived, so n
// requests hold n conns at once.
func barrier(n int) http.HandlerFunc {
	var mu sync.Mutex
	arrived := 0
	release := make(chan struct{})
	return func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		if arrived++; arrived == n {
			close(release)
		}
		mu.Unlock()
		<-release
		io.WriteString(w, body1k)
	}
}
