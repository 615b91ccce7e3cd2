#!/bin/sh
# events.sh POOLSIM: `--events FILE` writes the event stream as JSON lines
# (docs/format.md, "Event records"), the same records the trace prints.
# Prints "events.sh: N passed, M failed" last.
set -u
bin=${1:?usage: events.sh POOLSIM}
case "$bin" in
	/*) ;;
	*) bin="$PWD/$bin" ;;
esac
cd "$(dirname "$0")/.." || exit 2
. tests/lib.sh

# count KIND FILE: records of that kind.
count() { grep -c "\"kind\":\"$1\"" "$2"; }

# 02: 100 requests in turn on one conn: one dial, 99 reused.
f=tests/scenarios/02-sequential-reuse.ini
"$bin" run $f --events "$tmp/02.jsonl" >/dev/null
"$bin" run $f --trace >"$tmp/02.trace"
if head -1 "$tmp/02.jsonl" | grep -q '^{"kind":"stream","format":"poolsim-events","version":1,"source":"sim",'; then ok; else
	ko "the first record is not the stream header: $(head -1 "$tmp/02.jsonl")"
fi
if sed -n 2p "$tmp/02.jsonl" | grep -q '"kind":"transport".*"IdleConnTimeout":"1m30s"' &&
	sed -n 3p "$tmp/02.jsonl" | grep -q '^{"kind":"host","host":0,"name":"api"}$'; then ok; else
	ko "transport and host records: $(sed -n 2,3p "$tmp/02.jsonl")"
fi
if [ "$(count req_start "$tmp/02.jsonl")" = 100 ] && [ "$(count dial_start "$tmp/02.jsonl")" = 1 ] &&
	[ "$(grep -c '"kind":"got_conn".*"reused"' "$tmp/02.jsonl")" = 99 ]; then ok; else
	ko "02: want 100 req_start, 1 dial_start, 99 reused got_conn"
fi
# One line per record: as many as the trace has lines, plus the three declarations.
records=$(grep -cE '^ *[0-9]+\.[0-9]{6}s ' "$tmp/02.trace")
if [ "$(wc -l <"$tmp/02.jsonl")" = "$((records + 3))" ]; then ok; else
	ko "02: $(wc -l <"$tmp/02.jsonl") lines for $records trace records"
fi
if tail -1 "$tmp/02.jsonl" | grep -q '"kind":"run_end".*"dropped":0}$'; then ok; else ko "the last record is not run_end"; fi

# 15: refused dials carry the reason and was_dialing; the same run twice is byte-identical.
f=tests/scenarios/15-down.ini
"$bin" run $f --events "$tmp/15a.jsonl" >/dev/null
"$bin" run $f --events "$tmp/15b.jsonl" >/dev/null
if grep -q '"kind":"conn_closed".*"reason":"error","cause":"connectionRefused","flags":\["was_dialing"\]' "$tmp/15a.jsonl"; then ok; else
	ko "15: no refused dial record"
fi
if cmp -s "$tmp/15a.jsonl" "$tmp/15b.jsonl"; then ok; else ko "15: two runs wrote different records"; fi

# A path that cannot be written is an input error, before the run.
"$bin" run $f --events /nonexistent/dir/x.jsonl >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 2 ] && grep -q -- "--events '/nonexistent/dir/x.jsonl': cannot open" "$tmp/err"; then ok; else
	ko "--events to a bad path: exit $rc: $(cat "$tmp/err")"
fi

# summary CAPTURE: the records counted again by the same stats code give the run's own
# summary, every figure up to the settings (which a capture cannot know but the Transport's).
for f in tests/scenarios/02-sequential-reuse.ini tests/scenarios/06-leak-max-conns.ini \
	tests/scenarios/11-restart-retry.ini tests/scenarios/15-down.ini scenarios/08-tls-cold-warm.ini \
	scenarios/10-body-leak-timeout.ini scenarios/06-max-conns-per-host.ini; do
	"$bin" run $f --json --events "$tmp/c.jsonl" | sed '/"settings"/,$d' | grep -v '"seed"' >"$tmp/run.json"
	"$bin" summary "$tmp/c.jsonl" --json | sed '/"settings"/,$d' | grep -v '"seed"' >"$tmp/sum.json"
	if cmp -s "$tmp/run.json" "$tmp/sum.json"; then ok; else
		ko "summary of $f's records differs from its run:"; diff "$tmp/run.json" "$tmp/sum.json" | head -10 >&2
	fi
done
# The text summary and the trace of a capture read the same way.
"$bin" run tests/scenarios/15-down.ini --trace --events "$tmp/c.jsonl" | grep -E '^ *[0-9]+\.[0-9]{6}s ' >"$tmp/run.trace"
"$bin" summary "$tmp/c.jsonl" --trace | grep -E '^ *[0-9]+\.[0-9]{6}s ' >"$tmp/sum.trace"
if cmp -s "$tmp/run.trace" "$tmp/sum.trace"; then ok; else ko "the trace of a capture differs from the run's"; fi

# Bad captures: FILE:LINE and exit 2, never a crash.
printf '{"kind":"stream","format":"poolsim-events","version":1}\n{"t":5,"kind":"req_start","host":3}\n' >"$tmp/bad1"
printf '{"kind":"host"}\n' >"$tmp/bad2"
printf '{"kind":"stream","format":"poolsim-events","version":1}\n{"t":5,"kind":"got_conn","flags":["bogus"]}\n' >"$tmp/bad3"
printf '{"kind":"stream","format":"poolsim-events","version":1}\n{"t":5,"kind":' >"$tmp/bad4"
# a conn number no producer makes (it would be a byte per slot up to it in the summary)
printf '{"kind":"stream","format":"poolsim-events","version":1}\n{"kind":"host","host":0,"name":"a"}\n{"t":5,"kind":"req_start","host":0,"req":1,"conn":4000000000}\n' >"$tmp/bad5"
for b in bad1:2 bad2:1 bad3:2 bad4:2 bad5:3; do
	"$bin" summary "$tmp/${b%%:*}" >/dev/null 2>"$tmp/err"
	rc=$?
	if [ "$rc" = 2 ] && grep -q "${b%%:*}:${b##*:}: " "$tmp/err"; then ok; else
		ko "summary of ${b%%:*}: exit $rc: $(cat "$tmp/err")"
	fi
done
"$bin" summary "$tmp/missing" >/dev/null 2>&1
rc=$?
if [ "$rc" = 2 ]; then ok; else ko "summary of a missing file: exit $rc"; fi

# A Go program's capture (probe/example with the probe writing a file): poolsim's summary
# of it counts what the probe's own Stats counted. Needs the go on PATH (else skipped).
if command -v "${GO:-go}" >/dev/null 2>&1; then
	if (cd probe && GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOCACHE="${GOCACHE:-$PWD/../build/gocache-events}" \
		"${GO:-go}" build -o "$tmp/example" ./example); then ok; else ko "go build ./example"; fi
	"$tmp/example" -hosts 2 -workers 4 -requests 60 -think 3ms -MaxIdleConnsPerHost 2 \
		-events "$tmp/go.jsonl" >"$tmp/go.stats"
	"$bin" summary "$tmp/go.jsonl" --json >"$tmp/go.sum"
	# stat GO_KEY SUMMARY_KEY: the probe's total and the summary's, side by side.
	for pair in Requests:requests OK:ok Failed:failed Dials:dials DialFailures:dial_failures \
		Reused:reused MaxOpen:peak_open Closed:closed; do
		p=$(grep -m1 "^  \"${pair%%:*}\": " "$tmp/go.stats" | grep -oE '[0-9]+')
		s=$(grep -m1 -oE "\"${pair##*:}\": [0-9]+" "$tmp/go.sum" | grep -oE '[0-9]+$')
		if [ -n "$p" ] && [ "$p" = "$s" ]; then ok; else ko "capture: probe ${pair%%:*} $p, summary ${pair##*:} $s"; fi
	done
	if grep -q '"mode": "go"' "$tmp/go.sum" && grep -q '"EventsDropped": 0' "$tmp/go.stats"; then ok; else
		ko "capture: mode or dropped records"
	fi
	# import: the capture as a scenario (hosts, the reported Transport, measured dial times,
	# every request replayed at its start with its own service time); simulated, dials, reused and peak_open come within 10% of what the
	# probe counted in Go (docs/model.md, "Replaying a capture", says why not exactly). Go's
	# timing on a loaded machine moves a few pool decisions: a miss gets one more capture, as
	# real.sh's agree() does, before it counts.
	replay_agrees() {
		"$tmp/example" -hosts 2 -workers 3 -requests 60 -think 5ms -service 5ms \
			-MaxIdleConnsPerHost 2 -events "$tmp/r.jsonl" >"$tmp/r.stats" || return 1
		"$bin" import "$tmp/r.jsonl" --out "$tmp/r.ini" || return 1
		"$bin" run "$tmp/r.ini" --json >"$tmp/r.json" || return 1
		why=""
		for pair in Dials:dials Reused:reused MaxOpen:peak_open; do
			p=$(grep -m1 "^  \"${pair%%:*}\": " "$tmp/r.stats" | grep -oE '[0-9]+')
			s=$(grep -m1 -oE "\"${pair##*:}\": [0-9]+" "$tmp/r.json" | grep -oE '[0-9]+$')
			d=$((s > p ? s - p : p - s)) # within 10%: 10 * |s - p| <= p
			[ -n "$p" ] && [ $((10 * d)) -le "$p" ] || why="$why ${pair##*:} $s vs Go's $p;"
		done
		[ -z "$why" ]
	}
	if "$bin" import "$tmp/go.jsonl" --out "$tmp/go.ini" && "$bin" check "$tmp/go.ini" >/dev/null &&
		grep -q '^MaxIdleConnsPerHost = 2$' "$tmp/go.ini" && grep -q '^replay = go-127.0.0.1_[0-9]*.csv$' "$tmp/go.ini" &&
		[ "$(cat "$tmp"/go-127.0.0.1_*.csv | grep -c '^[0-9]*\.[0-9]\{9\},[0-9]')" = 480 ]; then ok; else
		ko "import: no valid scenario"
	fi
	if replay_agrees || replay_agrees; then ok; else ko "import: the replay is not within 10%:$why"; fi
fi
"$bin" import "$tmp/bad3" --out "$tmp/bad3.ini" >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'bad3:2: ' "$tmp/err"; then ok; else ko "import of a bad capture: exit $rc"; fi

finish events.sh
