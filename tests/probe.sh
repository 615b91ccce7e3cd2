#!/bin/sh
# probe.sh: `go test ./...` in probe/ (the Go probe package and its example)
# with each Go toolchain the machine has: Go 1.19 (Debian's golang-1.19-go,
# or $GO119) and the `go` on PATH (or $GO). Offline: GOPROXY=off,
# GOTOOLCHAIN=local, GOFLAGS=-mod=mod; the build cache is under build/.
# Without any Go it says so and passes (make test runs it when Go is present).
# Prints "probe: N passed, M failed" last (one pass per toolchain).
set -u
. "$(dirname "$0")/lib.sh"
root=$(cd "$(dirname "$0")/.." && pwd)
seen=""
for gobin in "${GO119:-/usr/lib/go-1.19/bin/go}" "${GO:-go}"; do
	command -v "$gobin" >/dev/null 2>&1 || continue
	ver=$(GOTOOLCHAIN=local "$gobin" env GOVERSION 2>/dev/null) || continue
	case " $seen " in *" $ver "*) continue ;; esac
	seen="$seen $ver"
	echo "== go test ./... in probe/ with $ver =="
	if (cd "$root/probe" && GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod \
		GOCACHE="${GOCACHE:-$root/build/gocache-probe-$ver}" "$gobin" test -count=1 ./...); then
		ok
	else
		ko "go test ./... in probe/ with $ver"
	fi
done
[ -n "$seen" ] || echo "probe.sh: no Go toolchain here: the probe's tests did not run"
finish probe
