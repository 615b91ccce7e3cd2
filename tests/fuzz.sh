#!/bin/sh
# fuzz.sh POOLSIM SECONDS: libFuzzer on the scenario reader and the model fuzzer.
# SECONDS 0 (what make test runs) builds the harnesses and runs the saved
# regressions and the seed corpora once each: harness drift breaks make test,
# not only CI's timed fuzzing.
#
# Owns building and running the two harnesses of tests/fuzz/ (clang,
# -fsanitize=fuzzer,address,undefined) into BUILD/fuzz/, where BUILD is the
# directory holding POOLSIM. First replays every saved regression input
# (tests/fuzz/regressions/scenario-* and model-*), then fuzzes each harness
# for SECONDS, starting from the seed corpora tests/fuzz/corpus_*/ (new
# inputs go to BUILD/fuzz/corpus_*, never into the source tree).
# Exits 1 if any run crashes, leaks, times out, runs out of memory or has a
# slow unit (one input over 5 s: a scenario that runs too long is a finding,
# issue #18), and names the input that did it; 2 on bad usage or a failed build.
# Must not: touch anything outside BUILD/fuzz/, or need the network.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 POOLSIM SECONDS" >&2
	exit 2
fi
case "$1" in
/*) POOLSIM=$1 ;;
*) POOLSIM=$(pwd)/$1 ;;
esac
SECONDS_EACH=$2
cd "$(dirname "$0")/.." || exit 2
OUT=$(dirname "$POOLSIM")/fuzz
CC_FUZZ=${CC_FUZZ:-clang}
if ! command -v "$CC_FUZZ" >/dev/null 2>&1; then
	echo "fuzz.sh: $CC_FUZZ not found (apt-get install clang libclang-rt-14-dev)" >&2
	exit 2
fi
mkdir -p "$OUT" || exit 2

# The simulator without its CLI, terminal, sockets and TLS: what a scenario and a run need.
SIM_SRC="sim/scenario/*.c sim/core/*.c sim/engine/*.c sim/simulate/*.c sim/outputs/stats.c sim/outputs/dist.c sim/outputs/settings.c sim/outputs/trace.c"
SIM_INC="-Isim/core -Isim/scenario -Isim/engine -Isim/simulate -Isim/outputs"
CFLAGS="-std=c11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer"
SAN="-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all"
INIH_CFLAGS=$(pkg-config --cflags inih 2>/dev/null)
INIH_LIBS=$(pkg-config --libs inih 2>/dev/null || echo -linih)

for h in scenario model; do
	echo "== building $OUT/fuzz_$h =="
	# shellcheck disable=SC2086
	if ! "$CC_FUZZ" $CFLAGS $SAN $INIH_CFLAGS $SIM_INC -o "$OUT/fuzz_$h" "tests/fuzz/fuzz_$h.c" $SIM_SRC $INIH_LIBS -lm; then
		echo "fuzz.sh: build of fuzz_$h failed" >&2
		exit 2
	fi
done

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0

# Regressions: every saved crash input must now pass.
for h in scenario model; do
	set -- tests/fuzz/regressions/"$h"-*
	[ -e "$1" ] || continue
	echo "== replaying $# regression input(s) through fuzz_$h =="
	if ! "$OUT/fuzz_$h" -runs=1 "$@" >"$OUT/regressions-$h.log" 2>&1; then
		echo "fuzz.sh: a regression input fails fuzz_$h; log: $OUT/regressions-$h.log" >&2
		tail -n 30 "$OUT/regressions-$h.log" >&2
		status=1
	fi
done

if [ "$SECONDS_EACH" = 0 ]; then
	for h in scenario model; do
		echo "== running the seed corpus of fuzz_$h once =="
		if ! "$OUT/fuzz_$h" -runs=0 -timeout=20 "tests/fuzz/corpus_$h" >"$OUT/seeds-$h.log" 2>&1; then
			echo "fuzz.sh: a seed input fails fuzz_$h; log: $OUT/seeds-$h.log" >&2
			tail -n 30 "$OUT/seeds-$h.log" >&2
			status=1
		fi
	done
	[ "$status" -eq 0 ] && echo "fuzz.sh: harnesses build; regressions and seeds pass"
	exit $status
fi

for h in scenario model; do
	corpus=$OUT/corpus_$h
	artifacts=$OUT/artifacts_$h
	mkdir -p "$corpus" "$artifacts"
	dict=""
	[ -f "tests/fuzz/$h.dict" ] && dict="-dict=tests/fuzz/$h.dict"
	echo "== fuzzing fuzz_$h for ${SECONDS_EACH}s (log: $OUT/fuzz-$h.log) =="
	# shellcheck disable=SC2086
	"$OUT/fuzz_$h" -max_total_time="$SECONDS_EACH" -timeout=20 -report_slow_units=5 -rss_limit_mb=2048 \
		-max_len=4096 -print_final_stats=1 $dict -artifact_prefix="$artifacts/" \
		"$corpus" "tests/fuzz/corpus_$h" >"$OUT/fuzz-$h.log" 2>&1
	rc=$?
	grep -E '^(stat::number_of_executed_units|stat::new_units_added|#[0-9]+ *DONE)' "$OUT/fuzz-$h.log" | sed 's/^/  /'
	found=$(find "$artifacts" -type f \( -name 'crash-*' -o -name 'leak-*' -o -name 'timeout-*' -o -name 'oom-*' \) -newer "$OUT/fuzz_$h" 2>/dev/null)
	slow=$(find "$artifacts" -type f -name 'slow-unit-*' -newer "$OUT/fuzz_$h" 2>/dev/null)
	if [ -n "$slow" ]; then
		echo "fuzz.sh: fuzz_$h found a slow unit (over 5 s):" >&2
		for f in $slow; do echo "  $f" >&2; done
		found="$found $slow"
	fi
	if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
		echo "fuzz.sh: fuzz_$h FAILED (exit $rc); input(s):" >&2
		for f in $found; do echo "  $f" >&2; done
		echo "  reproduce: $OUT/fuzz_$h FILE; log: $OUT/fuzz-$h.log" >&2
		grep -m 1 -E 'ERROR|property broken|invariant broken|SUMMARY' "$OUT/fuzz-$h.log" | sed 's/^/  /' >&2
		status=1
	else
		echo "  fuzz_$h: no crash"
	fi
done
exit $status
