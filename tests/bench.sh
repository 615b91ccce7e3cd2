#!/bin/sh
# bench.sh POOLSIM: the simulator's throughput and memory figures (issues 8, 19).
#
# Owns the benchmark procedure only: generates the scenarios with
# tools/gen-scenario.sh into a private temporary directory, runs
# `POOLSIM run FILE --json` under GNU time, and prints one table. Must not
# change the binary or anything outside its temporary directory; not part of
# `make test` (timings depend on the machine).
#
# Sizes (10 simulated minutes each; the large one is shortened by default,
# see BENCH_LARGE_SECONDS):
#   small   10 hosts x 100 workers
#   medium  1,000 hosts x 10,000 workers
#   large   10,000 hosts x 100,000 workers
# Environment:
#   BENCH_SIZES          which sizes, default "small medium large"
#   BENCH_SECONDS        simulated seconds of small and medium, default 600
#   BENCH_LARGE_SECONDS  simulated seconds of large, default 60 (600 takes
#                        several CPU minutes; the rate per CPU-second is what
#                        is compared)
#   BENCH_MARGINAL, BENCH_SWEEP, BENCH_REAL  0 leaves out the marginal memory
#                        runs, the sweep figures, the real-mode figures
# Columns: requests = totals.requests of the JSON; CPU s = user + sys;
# req/CPU-s = requests / CPU s; speed-up = simulated s / wall s; RSS/conn =
# (peak RSS - peak RSS of a 1-host, 1-worker run) / totals.peak_open;
# x heap = req/CPU-s / the pop+push pairs per CPU-second of a bare binary heap
# of 10,000 (time, id) pairs (tests/bench/bare_heap.c, built and run here, in
# the same run, so a loaded machine slows both sides of the ratio alike);
# ns/req = CPU ns per request, compared from size to size.
# Targets (issue 19): medium >= 0.3x the bare heap; large's cost per request
# within 1.5x of medium's; < 256 bytes per open connection at 100,000 open
# (the marginal figure). Never asserted: timings depend on the machine.
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 POOLSIM" >&2
	exit 2
fi
case "$1" in
/*) POOLSIM=$1 ;;
*) POOLSIM=$(pwd)/$1 ;;
esac
cd "$(dirname "$0")/.." || exit 2
GEN="sh tools/gen-scenario.sh"
SIZES=${BENCH_SIZES:-small medium large}
SECS=${BENCH_SECONDS:-600}
LARGE_SECS=${BENCH_LARGE_SECONDS:-60}

TMP=$(mktemp -d) || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM

have_gnu_time=no
if [ -x /usr/bin/time ] && /usr/bin/time -f '%U' -o "$TMP/probe" true 2>/dev/null; then
	have_gnu_time=yes
fi

# measure NAME FILE: run the scenario; writes NAME.json and NAME.time ("user sys wall maxrss_kb").
measure() {
	if [ "$have_gnu_time" = yes ]; then
		/usr/bin/time -f '%U %S %e %M' -o "$TMP/$1.time" "$POOLSIM" run "$2" --json >"$TMP/$1.json"
		rc=$?
	else
		# Without GNU time: CPU from the shell's `times` (children), no RSS.
		start=$(date +%s.%N)
		"$POOLSIM" run "$2" --json >"$TMP/$1.json"
		rc=$?
		end=$(date +%s.%N)
		times | awk -v s="$start" -v e="$end" 'NR == 2 {
			split($1, u, "m"); split($2, k, "m")
			printf "%.2f %.2f %.2f 0\n", u[1] * 60 + u[2], k[1] * 60 + k[2], e - s }' >"$TMP/$1.time"
	fi
	if [ "$rc" -ne 0 ]; then
		echo "bench.sh: $POOLSIM run $2 failed (exit $rc)" >&2
		exit 1
	fi
}

# json_total KEY NAME: the first "KEY": N of NAME.json (totals come before hosts).
json_total() {
	grep -o "\"$1\": [0-9]*" "$TMP/$2.json" | head -n 1 | sed 's/.*: //'
}

echo "== poolsim simulator benchmark =="
cpu=$(grep -m 1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //')
echo "machine: $(uname -n), $(nproc) CPUs, ${cpu:-unknown CPU}, $(uname -sr)"
echo "binary:  $POOLSIM"
[ "$have_gnu_time" = yes ] || echo "note: /usr/bin/time (Debian package 'time') missing: no peak RSS"

$GEN 1 1 1 >"$TMP/tiny.ini" && measure tiny "$TMP/tiny.ini"
base_kb=$(cut -d' ' -f4 "$TMP/tiny.time")
echo "baseline RSS (1 host, 1 worker, 1 s): ${base_kb} KiB"
heap_rate=0
if ${CC:-cc} -std=c11 -O2 -o "$TMP/bare_heap" tests/bench/bare_heap.c 2>"$TMP/cc.err"; then
	heap_rate=$("$TMP/bare_heap" 10000 10000000 | cut -d' ' -f4)
	echo "bare binary heap (10,000 pairs, tests/bench/bare_heap.c): ${heap_rate} pop+push pairs per CPU-s"
else
	echo "note: tests/bench/bare_heap.c did not build (${CC:-cc}): no x heap column"
fi
echo

printf '%-7s %6s %7s %5s %11s %8s %10s %6s %6s %8s %8s %9s %8s\n' size hosts workers simm requests "CPU s" "req/CPU-s" "x heap" ns/req speedup "RSS MiB" peak_open RSS/conn
: >"$TMP/rows"
for size in $SIZES; do
	case $size in
	small) h=10 w=100 s=$SECS ;;
	medium) h=1000 w=10000 s=$SECS ;;
	large) h=10000 w=100000 s=$LARGE_SECS ;;
	*) echo "bench.sh: unknown size '$size'" >&2; exit 2 ;;
	esac
	$GEN "$h" "$w" "$s" >"$TMP/$size.ini" || exit 2
	measure "$size" "$TMP/$size.ini"
	req=$(json_total requests "$size")
	peak=$(json_total peak_open "$size")
	read -r user sys wall kb <"$TMP/$size.time"
	echo "$size $h $w $s $req $user $sys $wall $kb $peak" >>"$TMP/rows"
	awk -v size="$size" -v h="$h" -v w="$w" -v s="$s" -v req="$req" -v u="$user" -v k="$sys" \
		-v wall="$wall" -v kb="$kb" -v base="$base_kb" -v peak="$peak" -v hr="$heap_rate" 'BEGIN {
		cpu = u + k; if (cpu <= 0) cpu = 0.01; if (wall <= 0) wall = 0.01
		per = (kb > 0 && peak > 0) ? sprintf("%d", (kb - base) * 1024 / peak) : "n/a"
		ratio = hr > 0 ? sprintf("%.3f", req / cpu / hr) : "n/a"
		printf "%-7s %6d %7d %5.1f %11d %8.2f %10.0f %6s %6.0f %7.1fx %8.1f %9d %8s\n",
			size, h, w, s / 60, req, cpu, req / cpu, ratio, cpu * 1e9 / req, s / wall, kb / 1024, peak, per }'
done

echo
echo "growth (n = workers; cost = CPU s per simulated s; n log n allows n2 log n2 / n1 log n1):"
awk 'function lg(x) { return log(x) / log(2) }
{ n[NR] = $3; cost[NR] = ($6 + $7) / $4; name[NR] = $1 }
END {
	for (i = 2; i <= NR; i++) {
		if (cost[i - 1] <= 0) continue
		r = cost[i] / cost[i - 1]
		bound = n[i] * lg(n[i]) / (n[i - 1] * lg(n[i - 1] > 1 ? n[i - 1] : 2))
		printf "  %s -> %s: cost x%.1f for n x%.0f; n log n bound x%.1f: %s\n", name[i - 1], name[i],
			r, n[i] / n[i - 1], bound, (r <= bound ? "within" : "FASTER THAN n log n")
	}
}' "$TMP/rows"
echo "cost per request (CPU ns per request) from size to size:"
awk '{ name[NR] = $1; per[NR] = ($6 + $7) / ($5 > 0 ? $5 : 1) }
END {
	for (i = 2; i <= NR; i++)
		if (per[i - 1] > 0)
			printf "  %s -> %s: %.0f ns -> %.0f ns per request, x%.2f\n", name[i - 1], name[i],
				per[i - 1] * 1e9, per[i] * 1e9, per[i] / per[i - 1]
}' "$TMP/rows"

echo
echo "targets (issue 19; never asserted):"
awk -v base="$base_kb" -v hr="$heap_rate" '{ per[$1] = ($6 + $7) / ($5 > 0 ? $5 : 1) }
$1 == "medium" && hr > 0 {
	ratio = $5 / ($6 + $7) / hr
	printf "  medium %.3fx the bare heap'"'"'s rate (target >= 0.3x): %s\n", ratio, (ratio >= 0.3 ? "met" : "NOT met")
}
$9 > 0 && $10 > 0 && $1 != "small" {
	b = ($9 - base) * 1024 / $10
	printf "  %s bytes per open conn %d (RSS - tiny) / peak_open (includes per-host state)\n", $1, b
}
END {
	if (per["medium"] > 0 && per["large"] > 0) {
		r = per["large"] / per["medium"]
		printf "  large cost per request x%.2f of medium (target <= 1.5x): %s\n", r, (r <= 1.5 ? "met" : "NOT met")
	}
}' "$TMP/rows"

# Marginal memory per conn: the same 1,000 hosts with 10x the workers (every
# worker holds one conn at the peak here: all start at t=0); the difference
# leaves out per-host and fixed costs. Two figures:
#   bench shape: 2 s each. The shape churns (MaxIdleConnsPerHost 2 under 100
#     workers a host: 45% of requests dial), so the 100,000-worker run also
#     holds ~10x the TIME_WAIT sockets (12 bytes each per view, for 60 s) and
#     10x the requests (fuller per-host latency histograms).
#   no churn: MaxIdleConnsPerHost 1000 (no client close, no TIME_WAIT), and
#     10,000 workers for 10 s against 100,000 for 1 s, so both runs make the
#     same requests (1.1 M, the same per host) and the difference is the
#     memory of an open conn with its request, worker and pending events.
# marginal NAME SECONDS_SMALL SECONDS_LARGE SED: the two runs, edited by SED; prints the line.
marginal() {
	$GEN 1000 10000 "$2" | sed "$4" >"$TMP/m1.ini" && measure m1 "$TMP/m1.ini"
	$GEN 1000 100000 "$3" | sed "$4" >"$TMP/m2.ini" && measure m2 "$TMP/m2.ini"
	kb1=$(cut -d' ' -f4 "$TMP/m1.time")
	kb2=$(cut -d' ' -f4 "$TMP/m2.time")
	p1=$(json_total peak_open m1)
	p2=$(json_total peak_open m2)
	r1=$(json_total requests m1)
	r2=$(json_total requests m2)
	tw=$(json_total time_wait m2)
	awk -v kb1="$kb1" -v kb2="$kb2" -v p1="$p1" -v p2="$p2" -v name="$1" -v tw="$tw" \
		-v r1="$r1" -v r2="$r2" 'BEGIN {
		per = (kb2 - kb1) * 1024 / (p2 - p1)
		printf "  marginal bytes per open conn, %s: %d ((RSS %d - %d KiB) / (peak_open %d - %d); requests %d, %d; %d in TIME_WAIT at the end; target < 256 at 100,000 open): %s\n",
			name, per, kb2, kb1, p2, p1, r1, r2, tw, (per < 256 ? "met" : "NOT met") }'
}
if [ "$have_gnu_time" = yes ] && [ "${BENCH_MARGINAL:-1}" = 1 ]; then
	marginal "bench shape" 2 2 's/^x$//'
	marginal "no churn" 10 1 's/^MaxIdleConns=0$/MaxIdleConns=0\
MaxIdleConnsPerHost=1000/'
fi

# ---- sweep -------------------------------------------------------------------
if [ -f tests/bench-sweep.sh ] && [ "${BENCH_SWEEP:-1}" = 1 ]; then
	echo
	echo "== poolsim sweep (tests/bench-sweep.sh) =="
	sh tests/bench-sweep.sh "$POOLSIM" || exit 1
fi

# ---- real mode ---------------------------------------------------------------
# Hook for the real-mode schedule-lag figures (owned by another engineer):
# tests/bench-real.sh POOLSIM prints its own lines here when it exists.
if [ -f tests/bench-real.sh ] && [ "${BENCH_REAL:-1}" = 1 ]; then
	echo
	echo "== real mode (tests/bench-real.sh) =="
	sh tests/bench-real.sh "$POOLSIM" || exit 1
fi
exit 0
