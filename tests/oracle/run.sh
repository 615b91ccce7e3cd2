#!/bin/sh
# run.sh: replay scenarios through poolsim's simulator and through Go's own
# net/http (the oracle), under each Go toolchain here, then print the tables.
#   sh tests/oracle/run.sh [--strict] POOLSIM_BINARY [scenario.ini ...]
# Default files: scenarios/*.ini and tests/scenarios/*.ini; with --strict (or
# ORACLE_STRICT=1) the files listed in tests/oracle/strict.txt, and the exit
# status is 1 unless every one of them is exact under every Go. Toolchains:
# Go 1.19 (GO119, default /usr/lib/go-1.19/bin/go: Debian's golang-1.19-go)
# and the `go` on PATH (GO: the machine's current Go). Each file is checked
# under both: poolsim --go 1.19 beside the oracle built with Go 1.19, and
# poolsim --go current beside the oracle built with the Go that `current`
# names (poolsim --version). A release with no toolchain here is "not
# checkable", which --strict counts as a failure, never as a pass. Each check
# is ORACLE_RUNS (default 5) Go runs with the file's seed, each at most
# ORACLE_BUDGET (default 3s) of wall time. The oracles are built into
# ORACLE_BUILD (default build/oracle), one per toolchain: goX.Y/oracle.
# Standard library only: no network, no module downloads.
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

# The release poolsim's `current` stands for, as its --version names it.
current=$("$POOLSIM" --version | sed -n 's/.*current = Go \(1\.[0-9]*\).*/\1/p')
current=${current:-1.26}
minor() { echo "${1#1.}"; }

# go_release GO: "1.N" of that toolchain, nothing if it is not there.
go_release() {
	command -v "$1" >/dev/null 2>&1 || return 0
	GOTOOLCHAIN=local "$1" env GOVERSION 2>/dev/null | sed -n 's/^go\(1\.[0-9]*\).*/\1/p'
}

# build_oracle GO REL: the oracle built with that go, into $OUT/goREL/oracle.
build_oracle() {
	mkdir -p "$OUT/go$2"
	(cd "$ROOT/tests/oracle" && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local \
		GOCACHE="${GOCACHE:-$OUT/gocache-$2}" "$1" build -o "$OUT/go$2/oracle" .)
}

CHAINS=""
FIRST=""
have() { case " $CHAINS " in *" $1="*) return 0 ;; esac; return 1; }
for GOBIN in "${GO119:-/usr/lib/go-1.19/bin/go}" "${GO:-go}"; do
	rel=$(go_release "$GOBIN")
	[ -n "$rel" ] || continue
	have "$rel" && continue
	if [ "$(minor "$rel")" -gt "$(minor "$current")" ]; then
		echo "run.sh: $GOBIN is Go $rel, newer than poolsim models (current = Go $current): not used" >&2
		continue
	fi
	build_oracle "$GOBIN" "$rel"
	CHAINS="$CHAINS $rel=$OUT/go$rel/oracle"
	FIRST=${FIRST:-$OUT/go$rel/oracle}
done
for rel in 1.19 "$current"; do
	if ! have "$rel"; then
		echo "run.sh: no Go $rel toolchain here: its column is not checkable" >&2
		CHAINS="$CHAINS $rel="
	fi
done
if [ -z "$FIRST" ]; then
	echo "run.sh: no Go toolchain at all (install golang-1.19-go, or put a Go on PATH)" >&2
	exit 2
fi

if [ $# -eq 0 ]; then
	if [ "$STRICT" = 1 ]; then
		while read -r f _; do
			case $f in '' | '#'*) continue ;; esac
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

set -- --runs "${ORACLE_RUNS:-5}" --budget "${ORACLE_BUDGET:-3s}" --current "$current" "$POOLSIM" "$@"
for c in $CHAINS; do
	set -- --toolchain "$c" "$@"
done
if [ "$STRICT" = 1 ]; then
	set -- --strict "$@"
fi
exec "$FIRST" compare "$@"
