#!/bin/sh
# sweep.sh POOLSIM: `poolsim sweep`, with numbers computed by hand from lesson 3
# (scenarios/03-idle-per-host-default.ini: 3 bursts of 20 requests at 0, 1 s and
# 2 s, dial 1 ms, service 10 ms, 3 s long). Prints "sweep.sh: N passed, M failed".
set -u
bin=${1:?usage: sweep.sh POOLSIM}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
cd "$(dirname "$0")/.." || exit 2
. tests/lib.sh
POOLSIM_SCENARIOS=scenarios
export POOLSIM_SCENARIOS

expect_exit() {
	code=$1; what=$2; shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq "$code" ]; then ok; else ko "$what: exit $rc, expected $code"; cat "$tmp/err" >&2; fi
}

# MaxIdleConnsPerHost = k: the first burst dials 20, keeps k idle (min(k, 20)) and
# closes the rest (P7); each later burst reuses those and dials 20 - k. Dials
# 20 + 2 (20 - k) = 60 - 2k for k < 20, else 20; over 3 s: 18.667, 17.333, 14.667,
# 9.333, then 6.667 twice. Reused: 2k of 60 (6.7% ... 53.3%), then 40 of 60.
expect_exit 0 "sweep of lesson 3" "$bin" sweep 3 --vary MaxIdleConnsPerHost=2..64x2 --jobs 1
got=$(awk 'NR > 2 { printf "%s:%s:%s ", $1, $2, $3 }' "$tmp/out")
want="2:18.667:6.7% 4:17.333:13.3% 8:14.667:26.7% 16:9.333:53.3% 32:6.667:66.7% 64:6.667:66.7% "
if [ "$got" = "$want" ]; then ok; else ko "sweep rows: got '$got', want '$want'"; fi

# --jobs 2 prints exactly what --jobs 1 prints, in each format, on a two-host lesson.
for fmt in "" --json --csv; do
	"$bin" sweep 17 --vary MaxIdleConnsPerHost=2..64x2 --vary MaxConnsPerHost=0,50 $fmt --jobs 1 >"$tmp/j1" 2>&1
	"$bin" sweep 17 --vary MaxIdleConnsPerHost=2..64x2 --vary MaxConnsPerHost=0,50 $fmt --jobs 2 >"$tmp/j2" 2>&1
	if cmp -s "$tmp/j1" "$tmp/j2" && [ -s "$tmp/j1" ]; then ok; else ko "--jobs 2 differs from --jobs 1 ($fmt)"; fi
	if [ "$fmt" = --json ] && command -v python3 >/dev/null; then
		if python3 -m json.tool "$tmp/j1" >/dev/null 2>&1; then ok; else ko "sweep --json is not JSON"; fi
	fi
done

# --goal: MaxConnsPerHost = c serves a burst of 20 in waves of c: latencies 11, 21,
# 31, 41 ms for c = 5 (p99 41 ms), 11 and 21 ms for c = 10, 15; 11 ms for c = 20.
# p99 <= 25ms: c = 10, 15, 20 meet it; the fewest peak open (= c) is c = 10.
expect_exit 0 "--goal met" "$bin" sweep 3 --vary MaxConnsPerHost=5..20+5 --goal 'p99<=25ms,failed=0'
if grep -q '^\* 10 ' "$tmp/out" && grep -q '^+ 15 ' "$tmp/out" && grep -q '^  5 ' "$tmp/out" &&
   grep -q 'MaxConnsPerHost:     10,' "$tmp/out" && grep -q 'transport := &http.Transport{' "$tmp/out"
then ok; else ko "--goal did not pick MaxConnsPerHost=10 with its Go code"; cat "$tmp/out" >&2; fi
expect_exit 1 "--goal nobody meets" "$bin" sweep 3 --vary MaxConnsPerHost=5..20+5 --goal 'p99<=5ms'
if grep -q "No point of the sweep meets the goal 'p99<=5ms'" "$tmp/out"; then ok; else ko "unmet goal not said"; fi

# --print-jobs, run here, then --merge: the same table as the sweep run at once.
mkdir "$tmp/jobs"
"$bin" sweep 3 --vary MaxIdleConnsPerHost=2,16 --vary host.api.service_time=10ms,exp:10ms --print-jobs >"$tmp/jobs.txt"
if [ "$(wc -l <"$tmp/jobs.txt")" -eq 4 ]; then ok; else ko "--print-jobs: not 4 lines"; fi
(cd "$tmp/jobs" && while read -r _ args; do
	# The lines are for a shell; these hold no quotes, so word splitting is enough here.
	# shellcheck disable=SC2086
	"$bin" $args || exit 1
done <"$tmp/jobs.txt") && ok || ko "a --print-jobs line failed"
"$bin" sweep --merge "$tmp/jobs" >"$tmp/merged" 2>&1
"$bin" sweep 3 --vary MaxIdleConnsPerHost=2,16 --vary host.api.service_time=10ms,exp:10ms >"$tmp/direct" 2>&1
if cmp -s "$tmp/merged" "$tmp/direct"; then ok; else ko "--merge differs from the sweep"; diff "$tmp/merged" "$tmp/direct" >&2; fi
rm "$tmp/jobs/sweep-000002.json"
expect_exit 2 "--merge with a point missing" "$bin" sweep --merge "$tmp/jobs"
if grep -q "holds 3 of the sweep's 4 points" "$tmp/err"; then ok; else ko "missing point not said"; fi

# --seeds: 3 runs a point; a constant-time scenario gives the same numbers for each.
expect_exit 0 "--seeds 3" "$bin" sweep 3 --vary MaxIdleConnsPerHost=2 --seeds 3 --json
if grep -q '"seeds": 3,' "$tmp/out" && grep -q '"dials_per_s": 18.6666667' "$tmp/out"; then ok; else ko "--seeds 3"; fi

# TIME_WAIT columns, from tests/scenarios/22-ports-exhausted.ini (see its comment): with no
# TIME_WAIT one port serves all 15; with 500 ms at most 5 are held; with 60 s all 10 fill
# and the last 5 requests fail. --goal failed=0 picks the first (peak open 1 each, dials 15).
expect_exit 0 "sweep of time_wait" "$bin" sweep tests/scenarios/22-ports-exhausted.ini \
	--vary scenario.time_wait=0s,500ms,60s --goal failed=0
got=$(awk 'NR > 2 && NR < 6 { m = substr($0, 1, 1); $0 = substr($0, 3); printf "%s%s:%s:%s:%s ", m, $1, $10, $11, $12 }' "$tmp/out")
want="*0s:0:0:1 +500ms:0:5:5  60s:5:10:10 "
if [ "$got" = "$want" ]; then ok; else ko "time_wait sweep: got '$got', want '$want'"; fi

# Bad input: exit 2 with the value named.
expect_exit 2 "bad --vary value" "$bin" sweep 3 --vary MaxIdleConnsPerHost=2,abc
if grep -q "^poolsim sweep: --vary MaxIdleConnsPerHost=abc: bad number 'abc'" "$tmp/err"; then ok; else ko "bad value not named"; fi
expect_exit 2 "range without a step" "$bin" sweep 3 --vary MaxIdleConnsPerHost=2..64
expect_exit 2 "range going down" "$bin" sweep 3 --vary MaxIdleConnsPerHost=64..2x2
expect_exit 2 "unknown --vary key" "$bin" sweep 3 --vary MaxIdleConnPerHost=1,2
expect_exit 2 "bad --goal" "$bin" sweep 3 --vary MaxIdleConnsPerHost=1,2 --goal 'p98<=1ms'
expect_exit 2 "no --vary" "$bin" sweep 3
expect_exit 2 "bad --jobs" "$bin" sweep 3 --vary MaxIdleConnsPerHost=1 --jobs 0
expect_exit 2 "--merge of no folder" "$bin" sweep --merge "$tmp/none"

finish sweep.sh
