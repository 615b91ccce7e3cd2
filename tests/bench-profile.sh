#!/bin/sh
# bench-profile.sh POOLSIM: the simulator's repeatable cost figures (issue 19).
#
# Owns the profile procedure of docs/performance.md: callgrind's instruction
# counts on the three profile runs (tools/gen-scenario.sh HOSTS WORKERS
# SECONDS), which, unlike CPU seconds, do not move with the load of a shared
# machine. Prints per run the requests, queue pops (calls of des_step),
# instructions, and both per request; then medium's steady state (the
# difference of a 4 s and a 2 s run, which cancels the t = 0 start and the
# summary); with PROFILE_CACHE=1 also cachegrind's L1d and LL misses on large
# with this machine's per-core caches. Needs valgrind. Not part of
# `make test`; `BENCH_PROFILE=1 make bench` runs it after the timings.
# Environment:
#   PROFILE_RUNS   which runs, default "small medium medium4 large"
#   PROFILE_CACHE  1: cachegrind on large too (about 5 minutes)
#   PROFILE_D1, PROFILE_LL  cachegrind's --D1 / --LL (size,assoc,line)
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
if ! command -v valgrind >/dev/null 2>&1; then
	echo "bench-profile.sh: needs valgrind (apt-get install -y valgrind)" >&2
	exit 2
fi
RUNS=${PROFILE_RUNS:-small medium medium4 large}
D1=${PROFILE_D1:-49152,12,64}
LL=${PROFILE_LL:-2097152,16,64}

TMP=$(mktemp -d) || exit 2
trap 'rm -rf "$TMP"' EXIT INT TERM

# shape NAME: the gen-scenario.sh arguments of a profile run.
shape() {
	case $1 in
	small) echo "10 100 60" ;;
	medium) echo "1000 10000 2" ;;
	medium4) echo "1000 10000 4" ;;
	large) echo "10000 100000 1" ;;
	*) return 1 ;;
	esac
}

# requests_of JSON: totals.requests (the first "requests" of the summary).
requests_of() {
	sed -n 's/.*"requests": \([0-9]*\).*/\1/p' "$1" | head -1
}

# pops_of OUT: calls of des_step, from callgrind's call records. Callgrind
# names a function once, as "(id) name" on the first fn= or cfn= line that
# mentions it, and by "(id)" alone after that, in either order: so the calls
# are summed per id and the id of des_step is resolved at the end.
pops_of() {
	awk '/^c?fn=\([0-9]+\) des_step$/ { line = $0; sub(/^c?fn=/, "", line); split(line, a, " "); id = a[1] }
	     /^cfn=/ { target = $0; sub(/^cfn=/, "", target); split(target, b, " "); callee = b[1]; want_calls = 1; next }
	     want_calls && /^calls=/ { split($0, n, /[= ]/); calls[callee] += n[2] }
	     { want_calls = 0 }
	     END { print calls[id] + 0 }' "$1"
}

# instructions_of OUT: the run's total Ir.
instructions_of() {
	sed -n 's/^summary: \([0-9]*\).*/\1/p; s/^totals: \([0-9]*\).*/\1/p' "$1" | head -1
}

per() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

[ -z "$(echo $RUNS)" ] || printf '%-8s %-16s %10s %10s %14s %9s %9s\n' \
	run shape requests pops instructions pops/req instr/req
for run in $RUNS; do
	args=$(shape "$run") || {
		echo "bench-profile.sh: unknown run '$run'" >&2
		exit 2
	}
	# shellcheck disable=SC2086
	sh tools/gen-scenario.sh $args >"$TMP/$run.ini"
	if ! valgrind --tool=callgrind --callgrind-out-file="$TMP/$run.cg" \
		"$POOLSIM" run "$TMP/$run.ini" --json >"$TMP/$run.json" 2>"$TMP/$run.err"; then
		echo "bench-profile.sh: $run failed:" >&2
		tail -5 "$TMP/$run.err" >&2
		exit 1
	fi
	req=$(requests_of "$TMP/$run.json")
	pops=$(pops_of "$TMP/$run.cg")
	ins=$(instructions_of "$TMP/$run.cg")
	eval "req_$run=$req ins_$run=$ins"
	printf '%-8s %-16s %10s %10s %14s %9s %9.0f\n' "$run" "$args" "$req" "$pops" "$ins" \
		"$(per "$pops" "$req")" "$(per "$ins" "$req")"
done
if [ -n "${ins_medium4:-}" ] && [ -n "${ins_medium:-}" ]; then
	printf 'medium steady state (4 s - 2 s): %.0f instructions per request\n' \
		"$(per $((ins_medium4 - ins_medium)) $((req_medium4 - req_medium)))"
fi

if [ "${PROFILE_CACHE:-0}" = 1 ]; then
	sh tools/gen-scenario.sh 10000 100000 1 >"$TMP/large.ini"
	valgrind --tool=cachegrind --cache-sim=yes --D1="$D1" --LL="$LL" \
		--cachegrind-out-file="$TMP/large.cachegrind" \
		"$POOLSIM" run "$TMP/large.ini" --json >"$TMP/large-c.json" 2>"$TMP/large-c.err" || {
		echo "bench-profile.sh: cachegrind on large failed" >&2
		exit 1
	}
	req=$(requests_of "$TMP/large-c.json")
	# D1mr D1mw DLmr DLmw: the read and write misses of D1 and LL.
	awk -v req="$req" -v d1s="$D1" -v lls="$LL" '/^events:/ { for (i = 2; i <= NF; i++) col[$i] = i - 1 }
		/^summary:/ { d1 = $(col["D1mr"] + 1) + $(col["D1mw"] + 1); ll = $(col["DLmr"] + 1) + $(col["DLmw"] + 1)
		printf "large cachegrind (D1 %s, LL %s): L1d misses %.1f M (%.1f per request), LL misses %.1f M (%.1f per request)\n",
			d1s, lls, d1 / 1e6, d1 / req, ll / 1e6, ll / req }' \
		"$TMP/large.cachegrind"
fi
