#!/bin/sh
# deps.sh: make sure the Debian packages poolsim needs are installed.
# Usage: tools/deps.sh [build|test|oracle|bench|all]
# Go: the oracle needs Debian's golang-1.19-go (Go 1.19 under /usr/lib/go-1.19,
# off PATH) and the machine's current Go as the `go` on PATH, which is not a
# Debian package: `oracle` only says so when it is missing. Never golang-go:
# its /usr/bin/go would shadow the current Go.
# As root it runs `apt-get update` then `apt-get install -y` for what is missing;
# otherwise it prints the exact command and exits 2. Prints nothing when all is there.
set -eu

want="pkg-config libncurses-dev check libssl-dev libinih-dev libnghttp2-dev"
case "${1:-build}" in
	build) ;;
	test) want="$want tmux valgrind clang clang-format libclang-rt-14-dev" ;;
	oracle) want="$want golang-1.19-go" ;;
	bench) want="$want valgrind time tmux" ;;
	fuzz) want="$want clang libclang-rt-14-dev" ;;
	all) want="$want clang-format tmux golang-1.19-go valgrind clang libclang-rt-14-dev chromium" ;;
	*) echo "usage: $0 [build|test|oracle|bench|fuzz|all]" >&2; exit 2 ;;
esac

if [ "${1:-build}" = oracle ] || [ "${1:-build}" = all ]; then
	command -v go >/dev/null 2>&1 ||
		echo "poolsim: no current Go on PATH: the oracle's current-Go column will be not checkable" >&2
fi

missing=""
for pkg in $want; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	case "$status" in
		*"install ok installed"*) ;;
		*) missing="$missing $pkg" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ]; then
	echo "poolsim: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q >&2
	# shellcheck disable=SC2086
	apt-get install -y -q $missing >&2
	exit 0
fi
echo "poolsim: missing Debian packages:$missing" >&2
echo "Run this, then try again:" >&2
echo "    sudo sh -c 'apt-get update && apt-get install -y$missing'" >&2
exit 2
