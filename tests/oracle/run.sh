#!/bin/sh
# run.sh: replay scenarios through poolsim's simulator and through Go's own
# net/http (the oracle), then print one comparison table.
#   sh tests/oracle/run.sh [--strict] POOLSIM_BINARY [scenario.ini ...]
# Default files: scenarios/*.ini and tests/scenarios/*.ini; with --strict (or
# ORACLE_STRICT=1) the files listed in tests/oracle/strict.txt, and the exit
# status is 1 unless every one of them is exact. Each file gets ORACLE_RUNS
# (default 5) Go runs with the file's seed, each at most ORACLE_BUDGET
# (default 3s) of wall time. The oracle is built into ORACLE_BUILD (default
# build/oracle). Standard library only: no network, no module downloads.
set -eu

STRICT=${ORACLE_STRICT:-0}
if [ "${1:-}" = "--strict" ]; then
	STRICT=1
	shift
fi
if [ $# -lt 1 ]; then
	echo "usage: sh tests/oracle/run.sh [--strict] POOLSIM_BINARY [scenario.ini ...]" >&2
	exit 2
fi
POOLSIM=$1
shift
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${ORACLE_BUILD:-$ROOT/build/oracle}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
case $POOLSIM in /*) ;; *) POOLSIM=$(pwd)/$POOLSIM ;; esac

GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GOCACHE=${GOCACHE:-$OUT/gocache} \
	sh -c 'cd "$1" && go build -o "$2/oracle" .' sh "$ROOT/tests/oracle" "$OUT"

if [ $# -eq 0 ]; then
	if [ "$STRICT" = 1 ]; then
		while read -r f _; do
			case $f in ''|'#'*) continue ;; esac
			set -- "$@" "$ROOT/$f"
		done <"$ROOT/tests/oracle/strict.txt"
	else
		for f in "$ROOT"/scenarios/*.ini "$ROOT"/tests/scenarios/*.ini; do
			[ -e "$f" ] && set -- "$@" "$f"
		done
	fi
fi
if [ $# -eq 0 ]; then
	echo "run.sh: no scenario files" >&2
	exit 2
fi

set -- --runs "${ORACLE_RUNS:-5}" --budget "${ORACLE_BUDGET:-3s}" "$POOLSIM" "$@"
if [ "$STRICT" = 1 ]; then
	set -- --strict "$@"
fi
exec "$OUT/oracle" compare "$@"
