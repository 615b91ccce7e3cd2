#!/bin/sh
# scenarios.sh POOLSIM: the command-line tests: every scenario and lesson passes
# `check`, runs with the pool's invariants checked after every record, gives a
# byte-identical trace twice; flags and bad files fail with exit 2 and a clear
# message (tests/bad.sh). Prints "N passed, M failed" last.
set -u
bin=${1:?usage: scenarios.sh POOLSIM}
. "$(dirname "$0")/lib.sh"

# expect_exit CODE DESCRIPTION CMD...: the command exits with CODE.
expect_exit() {
	code=$1; what=$2; shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq "$code" ]; then ok; else ko "$what: exit $rc, expected $code"; cat "$tmp/err" >&2; fi
}

for f in tests/scenarios/*.ini scenarios/*.ini; do
	[ -f "$f" ] || continue
	expect_exit 0 "check $f" "$bin" check "$f"
	expect_exit 0 "run $f with invariants" "$bin" run "$f" --check-invariants
	"$bin" run "$f" --trace >"$tmp/t1" 2>&1
	"$bin" run "$f" --trace >"$tmp/t2" 2>&1
	if cmp -s "$tmp/t1" "$tmp/t2" && [ -s "$tmp/t1" ]; then ok; else ko "trace of $f differs between two runs"; fi
done

# The summary is valid JSON with the contract's keys (python3 only if present: not a dependency).
"$bin" run tests/scenarios/01-two-bursts.ini --json >"$tmp/j" 2>&1
for key in '"mode": "sim"' '"totals"' '"hosts"' '"closes"' '"latency_ms"' '"dials": 18'; do
	if grep -q "$key" "$tmp/j"; then ok; else ko "JSON lacks $key"; fi
done
if command -v python3 >/dev/null 2>&1; then
	if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/j"; then ok; else ko "JSON does not parse"; fi
fi

# --set overrides a Transport field: the fix of #13801 turns 18 dials into 10.
"$bin" run tests/scenarios/01-two-bursts.ini --json --set MaxIdleConnsPerHost=10 >"$tmp/j2" 2>&1
if grep -q '"dials": 10,' "$tmp/j2"; then ok; else ko "--set MaxIdleConnsPerHost=10 did not give 10 dials"; fi
# --set reaches [load] keys too: a second burst of 5 reuses the 2 idle conns and dials 3,
# whose 3 conns are then refused by P7: dials 10 + 3 = 13, closes 8 + 3 = 11, requests 15.
"$bin" run tests/scenarios/01-two-bursts.ini --json --set load.second.count=5 >"$tmp/j3" 2>&1
if grep -q '"requests": 15, "ok": 15' "$tmp/j3" && grep -q '"dials": 13,' "$tmp/j3" &&
   grep -q '"closed": 11,' "$tmp/j3"; then ok; else ko "--set load.second.count=5: not 15 requests, 13 dials, 11 closes"; fi
# The JSON says what was run: the --set value in the file's syntax, the load's stop filled in.
"$bin" run tests/scenarios/01-two-bursts.ini --json --set host.api.service_time=exp:30ms --seed 7 >"$tmp/j4" 2>&1
if grep -q '"service_time": "exp:30ms"' "$tmp/j4" && grep -q '"seed": 7,' "$tmp/j4" &&
   grep -q '"MaxIdleConnsPerHost": 0,' "$tmp/j4" && grep -q '"conn_wait_ms": {"p50"' "$tmp/j4" &&
   python3 -m json.tool "$tmp/j4" >/dev/null; then ok; else ko "--json settings/seed/conn_wait"; fi

# CSV: a header and one row per sample.
"$bin" run tests/scenarios/02-sequential-reuse.ini --csv "$tmp/c.csv" --sample 1s >/dev/null 2>&1
if [ "$(head -1 "$tmp/c.csv")" = "t,host,open,active,idle,dialing,waiting,dials,closed,time_wait" ] && [ "$(wc -l <"$tmp/c.csv")" -eq 12 ]; then ok; else ko "CSV has $(wc -l <"$tmp/c.csv") lines, expected 12"; fi

# --plot writes an SVG chart.
"$bin" run tests/scenarios/04-max-conns-per-host.ini --plot "$tmp/p.svg" >/dev/null 2>&1
if head -c 200 "$tmp/p.svg" | grep -q "<svg" && grep -q "MaxConnsPerHost" "$tmp/p.svg"; then ok; else ko "--plot wrote no chart"; fi

# Flags and usage.
expect_exit 0 "--help" "$bin" --help
expect_exit 0 "--version" "$bin" --version
expect_exit 2 "no command" "$bin"
expect_exit 2 "unknown command" "$bin" frobnicate
expect_exit 2 "unknown flag" "$bin" run tests/scenarios/01-two-bursts.ini --frobnicate
expect_exit 2 "missing flag value" "$bin" run tests/scenarios/01-two-bursts.ini --csv
expect_exit 2 "bad --set key" "$bin" run tests/scenarios/01-two-bursts.ini --set MaxIdleConnPerHost=3
expect_exit 2 "bad --set value" "$bin" run tests/scenarios/01-two-bursts.ini --set IdleConnTimeout=soon
expect_exit 2 "--set of a missing host" "$bin" run tests/scenarios/01-two-bursts.ini --set host.db.tls=true
expect_exit 2 "--set of a bad service time" "$bin" run tests/scenarios/01-two-bursts.ini --set host.api.service_time=exp:
expect_exit 2 "bad --seed" "$bin" run tests/scenarios/01-two-bursts.ini --seed -3
expect_exit 2 "missing file" "$bin" run "$tmp/none.ini"
expect_exit 2 "no file" "$bin" run
if grep -q "did you mean 'MaxIdleConnsPerHost'" "$tmp/err" 2>/dev/null || \
   "$bin" run tests/scenarios/01-two-bursts.ini --set MaxIdleConnPerHost=3 2>&1 | grep -q "MaxIdleConnsPerHost"; then ok; else ko "--set typo gets no suggestion"; fi

# A scenario that would pile up requests without bound stops with a message, never thrashes.
"$bin" run tests/limits/flood.ini >"$tmp/flood.out" 2>"$tmp/flood.err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q "rather than exhaust memory" "$tmp/flood.err"; then ok; else ko "flood: exit $rc"; cat "$tmp/flood.err" >&2; fi

# Every lesson's teaching point, in exact numbers (tests/lessons/expected.txt).
if sh tests/lessons/check.sh "$bin" >"$tmp/lessons" 2>&1; then ok; else ko "lesson numbers"; grep FAIL "$tmp/lessons" >&2; fi
tail -1 "$tmp/lessons"

# What the man page promises of the command line.
if sh tests/cli.sh "$bin" >"$tmp/cli" 2>&1; then ok; else ko "tests/cli.sh"; cat "$tmp/cli" >&2; fi
tail -1 "$tmp/cli"

# Malformed scenario files, each with its exact message.
if [ -f tests/bad.sh ]; then
	if sh tests/bad.sh "$bin" >"$tmp/bad" 2>&1; then ok; else ko "tests/bad.sh"; cat "$tmp/bad" >&2; fi
	tail -1 "$tmp/bad"
fi

finish scenarios.sh
