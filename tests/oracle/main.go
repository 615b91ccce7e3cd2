// main.go: the oracle's command line, the load generators and the JSON
// summary. Usage: oracle [--scale X] [--budget D] [--seed N] [--runs N]
// [--go R] [--current R] FILE.
// It replays a poolsim scenario on real loopback sockets through Go's own
// net/http (HTTP/1.1 only), so the simulator's figures can be checked
// against the real Transport. It must not connect anywhere but 127.0.0.1.
package main

import (
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"poolsim/probe"
)

func usage() {
	fmt.Fprintln(os.Stderr, "usage: oracle [--scale X] [--budget D] [--seed N] [--runs N] [--go R] [--current R] FILE")
	os.Exit(2)
}

type options struct {
	file    string
	scale   float64
	seed    int64
	hasSeed bool
	runs    int
	budget  time.Duration // if set: scale = min(scale, budget/duration)
	goKey   string        // --go: overrides the file's `go` key
}

func parseArgs(args []string) options {
	o := options{scale: 1, runs: 1}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		if !strings.HasPrefix(a, "--") {
			if o.file != "" {
				usage()
			}
			o.file = a
			continue
		}
		if !hasVal {
			if i+1 >= len(args) {
				usage()
			}
			i++
			val = args[i]
		}
		var err error
		switch name {
		case "--scale", "--time-scale":
			o.scale, err = strconv.ParseFloat(val, 64)
			if err == nil && !(o.scale > 0) {
				err = fmt.Errorf("scale must be > 0")
			}
		case "--seed":
			o.seed, err = strconv.ParseInt(val, 10, 64)
			o.hasSeed = true
		case "--budget":
			o.budget, err = time.ParseDuration(val)
			if err == nil && o.budget <= 0 {
				err = fmt.Errorf("budget must be > 0")
			}
		case "--go":
			o.goKey = val
		case "--current":
			err = setCurrent(val)
		case "--runs":
			o.runs, err = strconv.Atoi(val)
			if err == nil && o.runs < 1 {
				err = fmt.Errorf("runs must be >= 1")
			}
		default:
			usage()
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "oracle: %s %s: %v\n", name, val, err)
			os.Exit(2)
		}
	}
	if o.file == "" {
		usage()
	}
	if o.goKey != "" {
		if err := checkGoKey(o.goKey); err != nil {
			fmt.Fprintf(os.Stderr, "oracle: --go: %v\n", err)
			os.Exit(2)
		}
	}
	return o
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "compare" {
		os.Exit(compareMain(os.Args[2:]))
	}
	o := parseArgs(os.Args[1:])
	sc, err := loadScenario(o.file)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	if o.goKey != "" {
		sc.goVersion = o.goKey
	}
	if want, own := releaseOf(sc.goVersion), ownRelease(); want != own {
		sc.note = fmt.Sprintf("go = %s (Go 1.%d): not checkable by this oracle, built with Go %s (section 9 of go-transport-pool.md lists what differs)",
			sc.goVersion, want, strings.TrimPrefix(runtime.Version(), "go"))
		fmt.Fprintf(os.Stderr, "%s: %s\n", sc.file, sc.note)
	}
	cert, roots, err := selfSigned()
	if err != nil {
		fmt.Fprintln(os.Stderr, "oracle: certificate:", err)
		os.Exit(1)
	}
	if o.budget > 0 {
		o.scale = math.Min(o.scale, float64(o.budget)/float64(sc.duration))
	}
	seed := sc.seed
	if o.hasSeed {
		seed = o.seed
	}
	// Every run uses the same seed, hence the same arrivals and service
	// times: what differs between runs is Go's own timing.
	for i := 0; i < o.runs; i++ {
		runtime.GC()
		r := newRun(sc, o.scale, seed, cert, roots)
		if err := r.execute(); err != nil {
			fmt.Fprintln(os.Stderr, "oracle:", err)
			os.Exit(1)
		}
		r.printJSON(os.Stdout)
	}
}

// execute starts the servers, schedules events and loads, waits `duration`
// (scaled) and freezes the figures.
func (r *run) execute() error {
	if r.sc.transport.StrictMaxConcurrentRequests {
		if err := setStrictMaxConcurrentRequests(&http.Transport{}); err != nil {
			return err
		}
	}
	for i, h := range r.sc.hosts {
		hs, err := startHost(h, i, r.seed, r.scale, r.cert, r.p.MarkServerClosed)
		if err != nil {
			return err
		}
		r.servers = append(r.servers, hs)
		r.byAddr[hs.addr] = i
	}
	shared := r.newClient()
	r.t0 = time.Now()
	r.end = r.t0.Add(r.dur(r.sc.duration))
	for _, ev := range r.sc.events {
		at := r.t0.Add(r.dur(ev.at))
		if ev.action == "down" {
			r.downs[ev.host] = append(r.downs[ev.host], [2]time.Time{at, at.Add(r.dur(ev.dur))})
			continue
		}
		if ev.at >= r.sc.duration {
			continue
		}
		r.setBusy(1)
		go func(ev *eventSpec) {
			sleepUntil(at)
			var n int
			switch ev.action {
			case "close_idle_connections":
				r.p.CloseIdleConnections()
			case "cancel":
				n = r.cancelLoad(ev.load, ev.phase)
			case "send_408":
				n = r.servers[ev.host].send408()
			default:
				n = r.servers[ev.host].closeConns(ev.action == "close_idle")
			}
			if os.Getenv("ORACLE_DEBUG") != "" {
				fmt.Fprintf(os.Stderr, "event %s at %v: closed %d server conns\n", ev.name, time.Since(r.t0), n)
			}
			r.setBusy(-1)
		}(ev)
	}
	for i, l := range r.sc.loads {
		g := &loadGen{r: r, l: l, idx: i, shared: shared}
		g.start()
	}
	r.waitEnd()
	r.stopAt()
	for _, resp := range r.leaks {
		resp.Body.Close()
	}
	for _, s := range r.servers {
		s.stop()
	}
	r.mu.Lock()
	trs := append([]*http.Transport(nil), r.transports...)
	r.mu.Unlock()
	for _, tr := range trs {
		tr.CloseIdleConnections()
	}
	return nil
}

type loadGen struct {
	r      *run
	l      *loadSpec
	idx    int
	shared *http.Client
}

func (g *loadGen) client() *http.Client {
	if g.l.newPerReq {
		return g.r.newClient()
	}
	return g.shared
}

func (g *loadGen) stopTime() time.Time {
	s := g.r.t0.Add(g.r.dur(g.l.stop))
	if s.After(g.r.end) {
		return g.r.end
	}
	return s
}

func (g *loadGen) one(spawned bool) bool {
	return g.r.request(g.l, g.client(), spawned)
}

// spawn starts one request on its own goroutine; r.starting covers the gap
// until its Do returns (the probe has it in flight from Do's start), so the
// run is never seen quiet in between.
func (g *loadGen) spawn() {
	g.r.mu.Lock()
	g.r.starting++
	g.r.mu.Unlock()
	go g.one(true)
}

// start launches the load's goroutines; each holds r.busy until it can
// start no more requests.
func (g *loadGen) start() {
	begin := g.r.t0.Add(g.r.dur(g.l.start))
	if g.l.start >= g.r.sc.duration {
		return
	}
	switch g.l.kind {
	case loadWorkers:
		g.r.setBusy(g.l.workers)
		for w := 0; w < g.l.workers; w++ {
			go g.worker(begin)
		}
	case loadCount:
		g.r.setBusy(1)
		go func() {
			defer g.r.setBusy(-1)
			sleepUntil(begin)
			for i := 0; i < g.l.count; i++ {
				g.spawn()
			}
		}()
	case loadRate:
		g.r.setBusy(1)
		go g.arrivals()
	case loadReplay:
		g.r.setBusy(1)
		go g.replay()
	}
}

func (g *loadGen) worker(begin time.Time) {
	defer g.r.setBusy(-1)
	sleepUntil(begin)
	stop := g.stopTime()
	for n := 1; ; n++ {
		if !time.Now().Before(stop) || !g.one(false) {
			return
		}
		if g.l.requests > 0 && n >= g.l.requests {
			return
		}
		if g.l.think > 0 {
			sleepFor(g.r.dur(g.l.think))
		}
	}
}

// arrivals starts one goroutine per arrival at the times poolsim draws
// (sim/client.c: next_gap, on_arrival), from the same seeded stream, in
// scenario nanoseconds, scaled only when slept.
func (g *loadGen) arrivals() {
	defer g.r.setBusy(-1)
	rng := newXoshiro(uint64(g.r.seed), loadStream+uint64(g.idx))
	mean := 1e9 / g.l.rate
	gap := func() time.Duration {
		if g.l.uniform {
			if d := time.Duration(mean + 0.5); d > 0 {
				return d
			}
			return 1
		}
		return rng.exp(mean)
	}
	stop := g.l.stop
	if stop > g.r.sc.duration {
		stop = g.r.sc.duration
	}
	next := g.l.start
	if !g.l.uniform {
		next += gap()
	}
	for next < stop {
		sleepUntil(g.r.t0.Add(g.r.dur(next)))
		g.spawn()
		next += gap()
	}
}

// waitEnd sleeps until the scenario's end, or until the run is quiet.
func (r *run) waitEnd() {
	for {
		left := time.Until(r.end)
		if left <= 0 {
			return
		}
		if r.quiet() {
			r.quietAt = time.Since(r.t0)
			return
		}
		if left > 2*time.Millisecond {
			left = 2 * time.Millisecond
		}
		time.Sleep(left)
	}
}

func copyDiscard(resp *http.Response) (int64, error) {
	n, err := io.Copy(io.Discard, resp.Body)
	if cerr := resp.Body.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// percentile: nearest rank over the ok latencies, in scenario-time ms.
func (r *run) percentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	if i < 0 {
		i = 0
	}
	return float64(sorted[i]) / r.scale / float64(time.Millisecond)
}

func (r *run) printJSON(w io.Writer) {
	st := r.p.Stats() // frozen at stopAt
	t := st.HostStats
	lat := append([]time.Duration(nil), r.latencies...)
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	var b strings.Builder
	fmt.Fprintf(&b, "{\n  \"mode\": \"go\",\n  \"scenario\": %s,\n", strconv.Quote(r.sc.name))
	if r.sc.note != "" {
		fmt.Fprintf(&b, "  \"note\": %s,\n", strconv.Quote(r.sc.note))
	}
	fmt.Fprintf(&b, "  \"scale\": %g,\n", r.scale)
	if r.quietAt > 0 {
		// Nothing could change after this (scenario time): the run stopped early.
		fmt.Fprintf(&b, "  \"quiet_from_ms\": %.3f,\n", float64(r.quietAt)/r.scale/float64(time.Millisecond))
	}
	fmt.Fprintf(&b, "  \"totals\": {\"requests\": %d, \"ok\": %d, \"failed\": %d, \"unfinished\": %d,\n",
		t.Requests, t.OK, t.Failed, st.Unfinished)
	fmt.Fprintf(&b, "             \"dials\": %d, \"dial_failures\": %d, \"tls_handshakes\": %d, \"reused\": %d,\n",
		t.Dials, t.DialFailures, t.TLSHandshakes, t.Reused)
	fmt.Fprintf(&b, "             \"closed\": %d, \"peak_open\": %d, \"peak_idle\": %d, \"peak_waiting\": %d,\n",
		t.Closed, t.MaxOpen, t.MaxIdle, t.MaxWaiting)
	r.mu.Lock()
	retries := r.retries
	r.mu.Unlock()
	fmt.Fprintf(&b, "             \"leaked\": %d, \"retries\": %d},\n  \"hosts\": {", t.Leaked, retries)
	for i, h := range r.sc.hosts {
		k := st.Hosts[r.servers[i].addr]
		sep := ",\n            "
		if i == 0 {
			sep = ""
		}
		fmt.Fprintf(&b, "%s%s: {\"requests\": %d, \"dials\": %d, \"reused\": %d, \"peak_open\": %d,\n"+
			"                    \"peak_idle\": %d, \"closed\": %d}",
			sep, strconv.Quote(h.name), k.Requests, k.Dials, k.Reused, k.MaxOpen, k.MaxIdle, k.Closed)
	}
	b.WriteString("},\n  \"closes\": {")
	for i, n := range t.Closes {
		switch {
		case i == 4:
			b.WriteString(",\n             ")
		case i > 0:
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%q: %d", probe.Reason(i).String(), n)
	}
	fmt.Fprintf(&b, "},\n  \"latency_ms\": {\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"max\": %.3f}\n}\n",
		r.percentile(lat, 0.50), r.percentile(lat, 0.90), r.percentile(lat, 0.99), r.percentile(lat, 1))
	io.WriteString(w, b.String())
}
