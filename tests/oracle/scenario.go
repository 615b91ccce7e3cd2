// scenario.go: reads a poolsim scenario file (docs: scenario-format.md) into
// plain structs. It owns the INI reader and value parsing only; it must not
// start servers or clients. Errors come back as *inputError ("FILE:LINE: what
// is wrong"); only main prints them and exits 2.
package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"
)

type inputError struct {
	file string
	line int
	msg  string
}

func (e *inputError) Error() string { return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg) }

type svcKind int

const (
	svcConst svcKind = iota
	svcExp
	svcUniform
)

type serviceTime struct {
	kind svcKind
	a, b time.Duration // const/exp: a; uniform: a..b
}

type hostSpec struct {
	name              string
	tls               bool
	dialLatency       time.Duration
	tlsLatency        time.Duration
	service           serviceTime
	serverIdleTimeout time.Duration
	serverMaxRequests int
	rtt               time.Duration // transit: sends, closes and arrivals take rtt/2
	closeAfterResp    bool          // keep-alive promised, then the hang-up
	h2                bool          // the server offers h2 by ALPN
	maxStreams        int           // its SETTINGS_MAX_CONCURRENT_STREAMS
}

type loadKind int

const (
	loadWorkers loadKind = iota
	loadRate
	loadCount
	loadReplay
)

type loadSpec struct {
	name        string
	host        int // index into scenario.hosts
	kind        loadKind
	workers     int
	think       time.Duration
	requests    int
	rate        float64 // arrivals per second
	uniform     bool
	count       int
	start, stop time.Duration
	body        string // close, early_close, leak
	newPerReq   bool
	line        int
	hostName    string
	method      string // GET unless said
	idemKey     bool   // an Idempotency-Key header
	reqBody     int    // bytes of request body (a byte slice: GetBody is set)
	reqClose    bool   // Request.Close
	index       int    // its place in scenario.loads
	replayPath  string
	replaySpeed float64
	rows        []replayRow // a replay's, cut to [start, stop)
}

type eventSpec struct {
	name     string
	at       time.Duration
	host     int
	hostName string
	action   string // close_idle, restart, down, send_408; the client's: close_idle_connections, cancel
	dur      time.Duration
	line     int
	load     int    // cancel: the load
	phase    string // cancel: any, dialing, waiting, awaiting_headers
}

func clientAction(a string) bool { return a == "close_idle_connections" || a == "cancel" }

// transportSpec holds the [transport] fields; "set" records which were given
// so the base (default or zero) fills the rest.
type transportSpec struct {
	MaxIdleConns, MaxIdleConnsPerHost, MaxConnsPerHost int
	IdleConnTimeout, TLSHandshakeTimeout               time.Duration
	ResponseHeaderTimeout, DialTimeout                 time.Duration
	DisableKeepAlives                                  bool
	// ForceAttemptHTTP2: the Transport always has a custom TLSClientConfig and
	// DialContext, so it speaks HTTP/2 only with this (H1).
	ForceAttemptHTTP2 bool
	// StrictMaxConcurrentRequests: Transport.HTTP2's (Go 1.24+, H5b).
	StrictMaxConcurrentRequests bool
}

type scenario struct {
	file      string
	name      string
	duration  time.Duration
	seed      int64
	base      string
	goVersion string
	goSet     bool   // the file has a `go` key
	note      string // why this file cannot be compared, if it cannot
	transport transportSpec
	timeout   time.Duration
	hosts     []*hostSpec
	loads     []*loadSpec
	events    []*eventSpec
}

var wordRe = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// iniEntry is one key of one section, with the line it came from.
type iniEntry struct {
	key, value string
	line       int
}

type iniSection struct {
	kind, name string
	line       int
	entries    []iniEntry
}

// stripComment drops a ';' or '#' comment that starts the line or follows
// whitespace (inih's inline-comment rule).
func stripComment(s string) string {
	for i, r := range s {
		if (r == ';' || r == '#') && (i == 0 || s[i-1] == ' ' || s[i-1] == '\t') {
			return s[:i]
		}
	}
	return s
}

func readINI(file string) ([]*iniSection, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, &inputError{file, 0, err.Error()}
	}
	defer f.Close()
	var secs []*iniSection
	var cur *iniSection
	sc := bufio.NewScanner(f)
	ln := 0
	for sc.Scan() {
		ln++
		t := strings.TrimSpace(stripComment(sc.Text()))
		if t == "" {
			continue
		}
		if strings.HasPrefix(t, "[") {
			if !strings.HasSuffix(t, "]") {
				return nil, &inputError{file, ln, "section header without ']'"}
			}
			f := strings.Fields(t[1 : len(t)-1])
			if len(f) == 0 || len(f) > 2 {
				return nil, &inputError{file, ln, fmt.Sprintf("bad section header %s", t)}
			}
			cur = &iniSection{kind: f[0], line: ln}
			if len(f) == 2 {
				cur.name = f[1]
			}
			secs = append(secs, cur)
			continue
		}
		eq := strings.IndexByte(t, '=')
		if eq < 0 {
			return nil, &inputError{file, ln, fmt.Sprintf("expected key = value, got %q", t)}
		}
		if cur == nil {
			return nil, &inputError{file, ln, "key outside any section"}
		}
		k := strings.TrimSpace(t[:eq])
		v := strings.TrimSpace(t[eq+1:])
		for _, e := range cur.entries {
			if e.key == k {
				return nil, &inputError{file, ln, fmt.Sprintf("key %s given twice (first on line %d)", k, e.line)}
			}
		}
		cur.entries = append(cur.entries, iniEntry{k, v, ln})
	}
	if err := sc.Err(); err != nil {
		return nil, &inputError{file, ln, err.Error()}
	}
	return secs, nil
}

func parseDur(v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("bad duration %q", v)
	}
	return d, nil
}

func parseNonNegDur(v string) (time.Duration, error) {
	d, err := parseDur(v)
	if err == nil && d < 0 {
		err = fmt.Errorf("negative duration %q", v)
	}
	return d, err
}

func parseInt(v string, allowNeg bool) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("bad integer %q", v)
	}
	if n < 0 && !allowNeg {
		return 0, fmt.Errorf("negative value %q", v)
	}
	return n, nil
}

func parseBool(v string) (bool, error) {
	switch v {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, fmt.Errorf("bad boolean %q (true or false)", v)
}

func parseService(v string) (serviceTime, error) {
	switch {
	case strings.HasPrefix(v, "exp:"):
		d, err := parseNonNegDur(v[4:])
		return serviceTime{kind: svcExp, a: d}, err
	case strings.HasPrefix(v, "uniform:"):
		parts := strings.SplitN(v[8:], "..", 2)
		if len(parts) != 2 {
			return serviceTime{}, fmt.Errorf("bad service_time %q (uniform:A..B)", v)
		}
		a, err := parseNonNegDur(parts[0])
		if err != nil {
			return serviceTime{}, err
		}
		b, err := parseNonNegDur(parts[1])
		if err == nil && b < a {
			err = fmt.Errorf("bad service_time %q: B < A", v)
		}
		return serviceTime{kind: svcUniform, a: a, b: b}, err
	}
	d, err := parseNonNegDur(v)
	return serviceTime{kind: svcConst, a: d}, err
}

// parseRate turns "200/s", "5/ms", "30/m" into arrivals per second.
func parseRate(v string) (float64, error) {
	parts := strings.SplitN(v, "/", 2)
	if len(parts) != 2 {
		return 0, fmt.Errorf("bad rate %q (e.g. 200/s)", v)
	}
	n, err := strconv.ParseFloat(parts[0], 64)
	if err != nil || n <= 0 || math.IsInf(n, 0) || math.IsNaN(n) {
		return 0, fmt.Errorf("bad rate %q", v)
	}
	unit := map[string]float64{"us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}[parts[1]]
	if unit == 0 {
		return 0, fmt.Errorf("bad rate unit in %q (us, ms, s, m, h)", v)
	}
	return n / unit, nil
}

func loadScenario(file string) (*scenario, error) {
	secs, err := readINI(file)
	if err != nil {
		return nil, err
	}
	s := &scenario{file: file, seed: 1, base: "default", goVersion: "current", name: baseName(file)}
	seen := map[string]int{}
	var scenSec, transSec *iniSection
	for _, sec := range secs {
		id := sec.kind + " " + sec.name
		if prev, ok := seen[id]; ok {
			return nil, &inputError{file, sec.line, fmt.Sprintf("section [%s] given twice (first on line %d)", strings.TrimSpace(id), prev)}
		}
		seen[id] = sec.line
		switch sec.kind {
		case "scenario", "transport", "client":
			if sec.name != "" {
				return nil, &inputError{file, sec.line, fmt.Sprintf("[%s] takes no name", sec.kind)}
			}
		case "host", "load", "event":
			if !wordRe.MatchString(sec.name) {
				return nil, &inputError{file, sec.line, fmt.Sprintf("[%s] needs a NAME of [A-Za-z0-9_.-]", sec.kind)}
			}
		default:
			return nil, &inputError{file, sec.line, fmt.Sprintf("unknown section [%s]", sec.kind)}
		}
		switch sec.kind {
		case "scenario":
			scenSec = sec
		case "transport":
			transSec = sec
		}
	}
	if scenSec == nil {
		return nil, &inputError{file, 1, "missing [scenario] section"}
	}
	if err := s.readScenario(scenSec); err != nil {
		return nil, err
	}
	s.setTransportBase()
	if transSec != nil {
		if err := s.readTransport(transSec); err != nil {
			return nil, err
		}
	}
	for _, sec := range secs {
		var err error
		switch sec.kind {
		case "client":
			err = s.readClient(sec)
		case "host":
			err = s.readHost(sec)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(s.hosts) == 0 {
		return nil, &inputError{file, scenSec.line, "no [host] section"}
	}
	for _, sec := range secs {
		var err error
		switch sec.kind {
		case "load":
			err = s.readLoad(sec)
		case "event":
			err = s.readEvent(sec)
		}
		if err != nil {
			return nil, err
		}
	}
	return s, nil
}

func baseName(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		return p[i+1:]
	}
	return p
}

func (s *scenario) errAt(line int, err error) error {
	return &inputError{s.file, line, err.Error()}
}

func (s *scenario) unknown(sec *iniSection, e iniEntry) error {
	return &inputError{s.file, e.line, fmt.Sprintf("unknown key %s in [%s]", e.key, sec.kind)}
}

func (s *scenario) readScenario(sec *iniSection) error {
	haveDur := false
	for _, e := range sec.entries {
		var err error
		switch e.key {
		case "name":
			s.name = e.value
		case "duration":
			s.duration, err = parseNonNegDur(e.value)
			if err == nil && s.duration == 0 {
				err = fmt.Errorf("duration must be > 0")
			}
			haveDur = true
		case "seed":
			s.seed, err = strconv.ParseInt(e.value, 10, 64)
		case "base":
			if e.value != "default" && e.value != "zero" {
				err = fmt.Errorf("base must be default or zero")
			}
			s.base = e.value
		case "go":
			err = checkGoKey(e.value)
			s.goVersion, s.goSet = e.value, true
		default:
			return s.unknown(sec, e)
		}
		if err != nil {
			return s.errAt(e.line, err)
		}
	}
	if !haveDur {
		return &inputError{s.file, sec.line, "[scenario] needs duration"}
	}
	return nil
}

func (s *scenario) setTransportBase() {
	if s.base == "default" {
		s.transport = transportSpec{MaxIdleConns: 100, IdleConnTimeout: 90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second, DialTimeout: 30 * time.Second,
			ForceAttemptHTTP2: true}
	}
}

func (s *scenario) readTransport(sec *iniSection) error {
	t := &s.transport
	for _, e := range sec.entries {
		var err error
		switch e.key {
		case "MaxIdleConns":
			t.MaxIdleConns, err = parseInt(e.value, true)
		case "MaxIdleConnsPerHost":
			t.MaxIdleConnsPerHost, err = parseInt(e.value, true)
		case "MaxConnsPerHost":
			t.MaxConnsPerHost, err = parseInt(e.value, true)
		case "IdleConnTimeout":
			t.IdleConnTimeout, err = parseDur(e.value)
		case "DisableKeepAlives":
			t.DisableKeepAlives, err = parseBool(e.value)
		case "TLSHandshakeTimeout":
			t.TLSHandshakeTimeout, err = parseNonNegDur(e.value)
		case "ResponseHeaderTimeout":
			t.ResponseHeaderTimeout, err = parseNonNegDur(e.value)
		case "DialTimeout":
			t.DialTimeout, err = parseNonNegDur(e.value)
		case "ForceAttemptHTTP2":
			t.ForceAttemptHTTP2, err = parseBool(e.value)
		case "StrictMaxConcurrentRequests":
			t.StrictMaxConcurrentRequests, err = parseBool(e.value)
		default:
			return s.unknown(sec, e)
		}
		if err != nil {
			return s.errAt(e.line, err)
		}
	}
	return nil
}

func (s *scenario) readClient(sec *iniSection) error {
	for _, e := range sec.entries {
		if e.key != "Timeout" {
			return s.unknown(sec, e)
		}
		var err error
		if s.timeout, err = parseNonNegDur(e.value); err != nil {
			return s.errAt(e.line, err)
		}
	}
	return nil
}

func (s *scenario) readHost(sec *iniSection) error {
	h := &hostSpec{name: sec.name, dialLatency: time.Millisecond, tlsLatency: 2 * time.Millisecond,
		service: serviceTime{kind: svcConst, a: 10 * time.Millisecond}, maxStreams: 250}
	for _, e := range sec.entries {
		var err error
		switch e.key {
		case "tls":
			h.tls, err = parseBool(e.value)
		case "dial_latency":
			h.dialLatency, err = parseNonNegDur(e.value)
		case "tls_latency":
			h.tlsLatency, err = parseNonNegDur(e.value)
		case "service_time":
			h.service, err = parseService(e.value)
		case "server_idle_timeout":
			h.serverIdleTimeout, err = parseNonNegDur(e.value)
		case "server_max_requests":
			h.serverMaxRequests, err = parseInt(e.value, false)
		case "rtt":
			h.rtt, err = parseNonNegDur(e.value)
		case "close_after_response":
			h.closeAfterResp, err = parseBool(e.value)
		case "h2":
			h.h2, err = parseBool(e.value)
		case "max_concurrent_streams":
			h.maxStreams, err = parseInt(e.value, false)
			if err == nil && h.maxStreams < 1 {
				err = fmt.Errorf("max_concurrent_streams must be at least 1")
			}
		default:
			return s.unknown(sec, e)
		}
		if err != nil {
			return s.errAt(e.line, err)
		}
	}
	s.hosts = append(s.hosts, h)
	return nil
}

func (s *scenario) hostIndex(name string) int {
	for i, h := range s.hosts {
		if h.name == name {
			return i
		}
	}
	return -1
}

// loadKeyKinds says which load kinds accept a key; nil means all kinds.
var loadKeyKinds = map[string][]loadKind{
	"host": nil, "workers": nil, "rate": nil, "count": nil, "start": nil, "stop": nil,
	"body": nil, "client": nil, "method": nil, "idempotency_key": nil, "request_body": nil,
	"request_close": nil,
	"think":         {loadWorkers}, "requests": {loadWorkers}, "arrival": {loadRate},
	"replay": nil, "replay_speed": {loadReplay}, "replay_format": {loadReplay},
}

func (s *scenario) readLoad(sec *iniSection) error {
	l := &loadSpec{name: sec.name, host: -1, body: "close", stop: s.duration, line: sec.line,
		method: "GET", replaySpeed: 1}
	kinds := 0
	for _, e := range sec.entries {
		var err error
		switch e.key {
		case "workers":
			l.kind, kinds = loadWorkers, kinds+1
			l.workers, err = parseInt(e.value, false)
		case "rate":
			l.kind, kinds = loadRate, kinds+1
			l.rate, err = parseRate(e.value)
		case "count":
			l.kind, kinds = loadCount, kinds+1
			l.count, err = parseInt(e.value, false)
		case "replay":
			l.kind, kinds = loadReplay, kinds+1
			l.replayPath = e.value
		}
		if err != nil {
			return s.errAt(e.line, err)
		}
	}
	if kinds != 1 {
		return &inputError{s.file, sec.line, fmt.Sprintf("[load %s] needs exactly one of workers, rate, count, replay", sec.name)}
	}
	for _, e := range sec.entries {
		allowed, known := loadKeyKinds[e.key]
		if !known {
			return s.unknown(sec, e)
		}
		if allowed != nil && allowed[0] != l.kind {
			return &inputError{s.file, e.line, fmt.Sprintf("key %s does not fit this kind of load", e.key)}
		}
		var err error
		switch e.key {
		case "host":
			l.hostName = e.value
			if l.host = s.hostIndex(e.value); l.host < 0 {
				err = fmt.Errorf("[load %s] names a missing [host %s]", sec.name, e.value)
			}
		case "think":
			l.think, err = parseNonNegDur(e.value)
		case "requests":
			l.requests, err = parseInt(e.value, false)
		case "arrival":
			if e.value != "poisson" && e.value != "uniform" {
				err = fmt.Errorf("arrival must be poisson or uniform")
			}
			l.uniform = e.value == "uniform"
		case "start":
			l.start, err = parseNonNegDur(e.value)
		case "stop":
			l.stop, err = parseNonNegDur(e.value)
		case "body":
			if e.value != "close" && e.value != "early_close" && e.value != "leak" {
				err = fmt.Errorf("body must be close, early_close or leak")
			}
			l.body = e.value
		case "client":
			if e.value != "shared" && e.value != "new_per_request" {
				err = fmt.Errorf("client must be shared or new_per_request")
			}
			l.newPerReq = e.value == "new_per_request"
		case "method":
			switch e.value {
			case "GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE":
				l.method = e.value
			default:
				err = fmt.Errorf("method must be GET, POST, PUT, PATCH, DELETE, OPTIONS or TRACE")
			}
		case "idempotency_key":
			l.idemKey, err = parseBool(e.value)
		case "request_body":
			l.reqBody, err = parseInt(e.value, false)
		case "request_close":
			l.reqClose, err = parseBool(e.value)
		case "replay_speed":
			l.replaySpeed, err = strconv.ParseFloat(e.value, 64)
			if err != nil || !(l.replaySpeed > 0) || math.IsInf(l.replaySpeed, 0) {
				err = fmt.Errorf("replay_speed must be a number > 0")
			}
		case "replay_format":
			if e.value != "csv" {
				err = fmt.Errorf("this oracle replays CSV files only (replay_format = csv), not %s", e.value)
			}
		}
		if err != nil {
			return s.errAt(e.line, err)
		}
	}
	if l.host < 0 {
		return &inputError{s.file, sec.line, fmt.Sprintf("[load %s] needs host", sec.name)}
	}
	if l.kind == loadReplay {
		if err := readReplay(s.file, l); err != nil {
			return err
		}
	}
	l.index = len(s.loads)
	s.loads = append(s.loads, l)
	return nil
}

func (s *scenario) readEvent(sec *iniSection) error {
	ev := &eventSpec{name: sec.name, host: -1, at: -1, line: sec.line, load: -1, phase: "any"}
	for _, e := range sec.entries {
		var err error
		switch e.key {
		case "at":
			ev.at, err = parseNonNegDur(e.value)
		case "host":
			ev.hostName = e.value
			if ev.host = s.hostIndex(e.value); ev.host < 0 {
				err = fmt.Errorf("[event %s] names a missing [host %s]", sec.name, e.value)
			}
		case "action":
			switch e.value {
			case "close_idle", "restart", "down", "send_408", "close_idle_connections", "cancel":
			default:
				err = fmt.Errorf("action must be close_idle, restart, down, send_408, close_idle_connections or cancel")
			}
			ev.action = e.value
		case "load":
			for i, l := range s.loads {
				if l.name == e.value {
					ev.load = i
				}
			}
			if ev.load < 0 {
				err = fmt.Errorf("[event %s] names a missing [load %s]", sec.name, e.value)
			}
		case "phase":
			switch e.value {
			case "any", "dialing", "waiting", "awaiting_headers":
			default:
				err = fmt.Errorf("phase must be any, dialing, waiting or awaiting_headers")
			}
			ev.phase = e.value
		case "for":
			ev.dur, err = parseNonNegDur(e.value)
		default:
			return s.unknown(sec, e)
		}
		if err != nil {
			return s.errAt(e.line, err)
		}
	}
	switch {
	case ev.at < 0:
		return &inputError{s.file, sec.line, fmt.Sprintf("[event %s] needs at", sec.name)}
	case ev.host < 0 && !clientAction(ev.action):
		return &inputError{s.file, sec.line, fmt.Sprintf("[event %s] needs host", sec.name)}
	case ev.action == "cancel" && ev.load < 0:
		return &inputError{s.file, sec.line, fmt.Sprintf("[event %s] needs load", sec.name)}
	case ev.action == "":
		return &inputError{s.file, sec.line, fmt.Sprintf("[event %s] needs action", sec.name)}
	case (ev.action == "down") != (ev.dur > 0 || hasKey(sec, "for")):
		return &inputError{s.file, sec.line, fmt.Sprintf("[event %s]: for goes with action = down, and only there", sec.name)}
	}
	s.events = append(s.events, ev)
	return nil
}

func hasKey(sec *iniSection, key string) bool {
	for _, e := range sec.entries {
		if e.key == key {
			return true
		}
	}
	return false
}

// anyH2: some https host offers h2.
func (s *scenario) anyH2() bool {
	for _, h := range s.hosts {
		if h.tls && h.h2 {
			return true
		}
	}
	return false
}

// needsRelease: the oldest Go minor release whose net/http can express the
// file (Server.HTTP2 and Transport.HTTP2 arrived in Go 1.24), or 0. An older
// toolchain's column is then "not checkable" rather than an error.
func (s *scenario) needsRelease() int {
	if s.transport.StrictMaxConcurrentRequests {
		return 24
	}
	for _, h := range s.hosts {
		if h.tls && h.h2 && h.maxStreams != 250 {
			return 24
		}
	}
	return 0
}
