// Command example is a small Go client whose pool you can watch: it starts
// servers on 127.0.0.1, sends them requests from worker goroutines through
// one http.Transport built from its flags (one flag per Transport setting),
// and attaches the probe. At the end it prints p.Stats() as JSON.
//
//	go run ./example -workers 8 -requests 50 -MaxIdleConnsPerHost 2 -events capture.jsonl
//	go run ./example -socket /tmp/pool.sock   # then: poolsim watch --attach /tmp/pool.sock
//
// It never connects anywhere but the servers it starts.
package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"time"

	"poolsim/probe"
)

type config struct {
	hosts, workers, requests int
	service, think           time.Duration
	useTLS                   bool
	body                     string
	events, socket, metrics  string
	tr                       http.Transport
	dialTimeout, timeout     time.Duration
	startAfter               time.Duration
}

func parse(args []string, out io.Writer) (*config, error) {
	c := &config{}
	fs := flag.NewFlagSet("example", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.IntVar(&c.hosts, "hosts", 2, "servers to start on 127.0.0.1")
	fs.IntVar(&c.workers, "workers", 8, "worker goroutines per host")
	fs.IntVar(&c.requests, "requests", 50, "requests per worker")
	fs.DurationVar(&c.service, "service", 2*time.Millisecond, "server time per request")
	fs.DurationVar(&c.think, "think", 0, "pause between a worker's requests")
	fs.BoolVar(&c.useTLS, "tls", false, "https servers (Go does the TLS handshake)")
	fs.StringVar(&c.body, "body", "close", "what a worker does with resp.Body: close (read, then Close) or early_close")
	fs.StringVar(&c.events, "events", "", "write the probe's event records (JSON lines) to this file")
	fs.StringVar(&c.socket, "socket", "", "serve the event records on this Unix socket (poolsim watch --attach)")
	fs.DurationVar(&c.startAfter, "start-after", 0, "wait this long before the first request (time for a consumer to attach)")
	fs.StringVar(&c.metrics, "metrics", "", "serve Prometheus metrics on this 127.0.0.1 address (e.g. 127.0.0.1:9090)")
	fs.IntVar(&c.tr.MaxIdleConns, "MaxIdleConns", 100, "Transport.MaxIdleConns")
	fs.IntVar(&c.tr.MaxIdleConnsPerHost, "MaxIdleConnsPerHost", 0, "Transport.MaxIdleConnsPerHost (0: Go's 2)")
	fs.IntVar(&c.tr.MaxConnsPerHost, "MaxConnsPerHost", 0, "Transport.MaxConnsPerHost (0: no limit)")
	fs.DurationVar(&c.tr.IdleConnTimeout, "IdleConnTimeout", 90*time.Second, "Transport.IdleConnTimeout")
	fs.BoolVar(&c.tr.DisableKeepAlives, "DisableKeepAlives", false, "Transport.DisableKeepAlives")
	fs.DurationVar(&c.tr.TLSHandshakeTimeout, "TLSHandshakeTimeout", 10*time.Second, "Transport.TLSHandshakeTimeout")
	fs.DurationVar(&c.tr.ResponseHeaderTimeout, "ResponseHeaderTimeout", 0, "Transport.ResponseHeaderTimeout")
	fs.DurationVar(&c.dialTimeout, "DialTimeout", 30*time.Second, "net.Dialer.Timeout")
	fs.DurationVar(&c.timeout, "Timeout", 0, "http.Client.Timeout")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if c.hosts < 1 || c.workers < 1 || c.requests < 1 {
		return nil, fmt.Errorf("-hosts, -workers and -requests must be at least 1")
	}
	if c.body != "close" && c.body != "early_close" {
		return nil, fmt.Errorf("-body must be close or early_close, not %q", c.body)
	}
	if c.metrics != "" && !strings.HasPrefix(c.metrics, "127.0.0.1:") {
		return nil, fmt.Errorf("-metrics must be a 127.0.0.1 address")
	}
	return c, nil
}

func main() {
	c, err := parse(os.Args[1:], os.Stderr)
	if err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintln(os.Stderr, "example:", err)
		}
		os.Exit(2)
	}
	st, err := run(c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "example:", err)
		os.Exit(1)
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	enc.Encode(st)
}

// transport is the Transport the flags describe, on a dialer with
// DialTimeout, HTTP/2 off (the pool rules watched are HTTP/1's).
func (c *config) transport(roots *tls.Config) *http.Transport {
	tr := &http.Transport{
		MaxIdleConns: c.tr.MaxIdleConns, MaxIdleConnsPerHost: c.tr.MaxIdleConnsPerHost,
		MaxConnsPerHost: c.tr.MaxConnsPerHost, IdleConnTimeout: c.tr.IdleConnTimeout,
		DisableKeepAlives: c.tr.DisableKeepAlives, TLSHandshakeTimeout: c.tr.TLSHandshakeTimeout,
		ResponseHeaderTimeout: c.tr.ResponseHeaderTimeout,
		DialContext:           (&net.Dialer{Timeout: c.dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       roots,
		TLSNextProto:          map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	return tr
}

// run starts the servers, attaches the probe, runs the workers and returns
// the probe's figures after Stop.
func run(c *config) (probe.Stats, error) {
	var urls []string
	var roots *tls.Config
	payload := strings.Repeat("x", 1024)
	for i := 0; i < c.hosts; i++ {
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(c.service)
			io.WriteString(w, payload)
		})
		var s *httptest.Server
		if c.useTLS {
			s = httptest.NewUnstartedServer(h)
			s.EnableHTTP2 = false
			s.StartTLS()
			roots = s.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
		} else {
			s = httptest.NewServer(h)
		}
		defer s.Close()
		urls = append(urls, s.URL)
	}
	var opts probe.Options
	if c.events != "" {
		f, err := os.Create(c.events)
		if err != nil {
			return probe.Stats{}, err
		}
		defer f.Close()
		opts.Events = probe.Writer(f)
	} else if c.socket != "" {
		sink, err := probe.ListenUnix(c.socket)
		if err != nil {
			return probe.Stats{}, err
		}
		defer sink.Close()
		opts.Events = sink
	}
	// The ten lines of docs/probe.md: attach, then use the probe's client.
	tr := c.transport(roots)
	p := probe.AttachWith(tr, opts)
	client := p.Client()
	client.Timeout = c.timeout
	if c.metrics != "" {
		srv := &http.Server{Addr: c.metrics, Handler: p.Handler()}
		go srv.ListenAndServe()
		defer srv.Shutdown(context.Background())
	}

	time.Sleep(c.startAfter)
	var wg sync.WaitGroup
	for _, u := range urls {
		for w := 0; w < c.workers; w++ {
			wg.Add(1)
			go func(u string) {
				defer wg.Done()
				for i := 0; i < c.requests; i++ {
					request(client, u, c.body)
					if c.think > 0 {
						time.Sleep(c.think)
					}
				}
			}(u)
		}
	}
	wg.Wait()
	p.CloseIdleConnections() // counted as closes "error" (errCloseIdleConns), as poolsim counts them
	p.Stop()
	return p.Stats(), nil
}

func request(c *http.Client, url, body string) {
	resp, err := c.Get(url)
	if err != nil {
		return
	}
	if body == "close" {
		io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
}
