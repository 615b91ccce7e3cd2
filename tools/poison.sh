#!/bin/sh
# poison.sh DIR LIB...: for each library (a pkg-config name), write DIR/LIB/ with
# a header of the same name for every header that library installs, each one
# an #error. A folder of sim/ that may not use LIB is compiled with -IDIR/LIB
# first on its include path, so `#include <ncurses.h>` there stops the build
# with a message instead of passing review unnoticed (Makefile, "layering").
# Uses dpkg to list the headers (poolsim's dependencies are Debian packages).
set -eu
[ $# -ge 1 ] || { echo "usage: $0 DIR LIB..." >&2; exit 2; }
out=$1
shift
rm -rf "$out"
for lib in "$@"; do
	case "$lib" in
	ncursesw) pkgs="libncurses-dev" ;;
	openssl) pkgs="libssl-dev" ;;
	inih) pkgs="libinih-dev" ;;
	libnghttp2) pkgs="libnghttp2-dev" ;;
	*) echo "poison.sh: no package known for $lib" >&2; exit 2 ;;
	esac
	mkdir -p "$out/$lib"
	# shellcheck disable=SC2086
	dpkg -L $pkgs 2>/dev/null | grep -E '^/usr/include/.*\.h$' | while read -r h; do
		rel=${h#/usr/include/}
		# multiarch headers (x86_64-linux-gnu/openssl/...) are included without that prefix
		case "$rel" in *-linux-gnu*/*) rel=${rel#*/} ;; esac
		mkdir -p "$out/$lib/$(dirname "$rel")"
		printf '#error "this folder of sim/ may not use %s (<%s>): see the Makefile'"'"'s layering"\n' \
			"$lib" "$rel" >"$out/$lib/$rel"
	done
	[ -n "$(ls "$out/$lib")" ] || { echo "poison.sh: found no headers of $lib (dpkg -L $pkgs)" >&2; exit 2; }
done
