#!/bin/sh
# bench-sweep.sh POOLSIM: `poolsim sweep` throughput, in points per wall second,
# with --jobs 1 and --jobs 2 (and the machine's CPU count if larger), on lesson 17
# (two hosts, 20 s of a spiking load) over 8 x 3 = 24 points. Prints its own
# lines; called by tests/bench.sh. Timings depend on the machine and its load.
set -u
bin=${1:?usage: bench-sweep.sh POOLSIM}
cd "$(dirname "$0")/.." || exit 2
POOLSIM_SCENARIOS=scenarios
export POOLSIM_SCENARIOS
jobs_list="1 2"
[ "$(nproc)" -gt 2 ] && jobs_list="$jobs_list $(nproc)"
printf '%-6s %7s %8s %9s %8s\n' jobs points "wall s" "points/s" speedup
first=""
for j in $jobs_list; do
	start=$(date +%s.%N)
	"$bin" sweep 17 --vary MaxIdleConnsPerHost=2..256x2 --vary MaxConnsPerHost=0,50,100 \
		--jobs "$j" --csv >/dev/null || { echo "bench-sweep.sh: the sweep failed" >&2; exit 1; }
	end=$(date +%s.%N)
	first=${first:-$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')}
	awk -v j="$j" -v s="$start" -v e="$end" -v f="$first" 'BEGIN {
		w = e - s; if (w <= 0) w = 0.001
		printf "%-6d %7d %8.2f %9.1f %7.2fx\n", j, 24, w, 24 / w, f / w }'
done
