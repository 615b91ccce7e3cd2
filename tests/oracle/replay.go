package main

// replay.go: a [load] with `replay = FILE` (a CSV replay file, the format of
// docs/format.md "Replay files"): the rows, read once when the scenario
// is, and the arrivals they make. Each row's own service time travels to the
// server in the serviceHeader of its request, so the host's random stream is
// drawn only for rows without one, as sim/simulate/simnet.c draws it. The
// simulator's other replay formats (nginx logs, event records) are refused:
// this oracle replays what the lessons replay, CSV.

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// serviceHeader carries a replay row's own service time, in scenario
// nanoseconds, to the server (poolsim's real mode sends the same header:
// sim/real/http.h HTTP_SERVICE_HEADER).
const serviceHeader = "X-Poolsim-Service"

type replayRow struct {
	start   time.Duration // scenario time, after replay_speed
	service time.Duration // scenario time, after replay_speed; -1: the host's
	body    string        // "" for the load's
}

// readReplay reads a load's CSV replay file (path relative to the scenario's
// folder); errors are FILE:LINE as the simulator's are.
func readReplay(scenarioFile string, l *loadSpec) error {
	path := l.replayPath
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(scenarioFile), path)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("[load %s] replay: %v", l.name, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 16384), 16384)
	r := csvReader{path: path}
	for sc.Scan() {
		r.line++
		if err := r.take(sc.Text(), l); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return &inputError{path, r.line + 1, err.Error()}
	}
	if r.cols == nil {
		return &inputError{path, 1, "an empty replay file (it needs a header line)"}
	}
	return nil
}

type csvReader struct {
	path          string
	line          int
	cols          map[string]int // column name -> index, from the header
	first, last   float64        // seconds: the first row's (RFC 3339 origin) and the last's
	any, rfc3339  bool
	start, serv   int
	body, columns int
}

func (r *csvReader) errorf(format string, a ...interface{}) error {
	return &inputError{r.path, r.line, fmt.Sprintf(format, a...)}
}

func (r *csvReader) header(text string) error {
	if strings.HasPrefix(strings.TrimSpace(text), "{") {
		return r.errorf("event records: this oracle replays CSV files only")
	}
	r.cols = map[string]int{}
	for i, c := range strings.Split(text, ",") {
		r.cols[strings.TrimSpace(c)] = i
	}
	col := func(name string) int {
		if i, ok := r.cols[name]; ok {
			return i
		}
		return -1
	}
	r.start, r.serv, r.body = col("start"), col("service"), col("body")
	if r.start < 0 {
		return r.errorf("the header has no start column")
	}
	return nil
}

// take reads one line: the header first, then rows (blank lines skipped).
func (r *csvReader) take(text string, l *loadSpec) error {
	text = strings.TrimRight(text, "\r")
	if r.cols == nil {
		return r.header(text)
	}
	if strings.TrimSpace(text) == "" {
		return nil
	}
	f := strings.Split(text, ",")
	field := func(i int) string {
		if i < 0 || i >= len(f) {
			return ""
		}
		return strings.TrimSpace(f[i])
	}
	at, err := r.startOf(field(r.start))
	if err != nil {
		return err
	}
	if r.any && at < r.last {
		return r.errorf("start %s goes back in time", field(r.start))
	}
	r.any, r.last = true, at
	row := replayRow{service: -1}
	if s := field(r.serv); s != "" {
		d, err := parseNonNegDur(s)
		if err != nil {
			return r.errorf("%v", err)
		}
		row.service = time.Duration(float64(d)/l.replaySpeed + 0.5)
	}
	if b := field(r.body); b != "" {
		if b != "close" && b != "early_close" && b != "leak" {
			return r.errorf("bad body '%s' (close, early_close or leak)", b)
		}
		row.body = b
	}
	// As sim/engine/client.c next_row: the row's ns, divided by the speed, cut to [start, stop).
	ns := math.Floor(at*1e9 + 0.5)
	scaled := ns / l.replaySpeed
	if scaled < float64(l.start) || scaled >= float64(l.stop) {
		return nil
	}
	row.start = time.Duration(scaled + 0.5)
	l.rows = append(l.rows, row)
	return nil
}

// startOf: seconds from the start, or an RFC 3339 time counted from the first row's.
func (r *csvReader) startOf(s string) (float64, error) {
	if !r.any && !r.rfc3339 {
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			r.rfc3339, r.first = true, float64(t.UnixNano())/1e9
		}
	}
	if r.rfc3339 {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return 0, r.errorf("bad start '%s': the file's first row is an RFC 3339 timestamp, so every row's must be", s)
		}
		return float64(t.UnixNano())/1e9 - r.first, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !(v >= 0) || v > 3.6e6 || strings.ContainsAny(s, "eEnNiIxX") {
		return 0, r.errorf("bad start '%s' (seconds from the start, like 12.5, or an RFC 3339 timestamp)", s)
	}
	return v, nil
}

// replay starts one goroutine per row at its time, as the rate load does.
func (g *loadGen) replay() {
	defer g.r.setBusy(-1)
	for i := range g.l.rows {
		row := &g.l.rows[i]
		sleepUntil(g.r.t0.Add(g.r.dur(row.start)))
		g.r.mu.Lock()
		g.r.starting++
		g.r.mu.Unlock()
		go g.r.requestRow(g.l, g.client(), row)
	}
}
