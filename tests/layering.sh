#!/bin/sh
# layering.sh: the build enforces the architecture (Makefile, "layering").
# For every folder of sim/, a one-line file that includes a header it must
# not see is compiled with that folder's own flags (make print-cflags-DIR),
# and must fail: a header of every sim/ folder it may not use, and of every
# library it may not use (ncurses, OpenSSL, inih, nghttp2). A header it may use must
# compile, so the test cannot pass by failing everything. Run from make test.
set -u
cd "$(dirname "$0")/.." || exit 2
MAKE=${MAKE:-make}
CC=${CC:-cc}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
pass=0
fail=0

# one header that stands for each library and each folder
lib_header() {
	case "$1" in
	ncursesw) echo "<ncurses.h>" ;;
	openssl) echo "<openssl/ssl.h>" ;;
	inih) echo "<ini.h>" ;;
	libnghttp2) echo "<nghttp2/nghttp2.h>" ;;
	esac
}
folder_header() { # the first header of a folder
	h=$(cd "sim/$1" && ls ./*.h 2>/dev/null | head -n 1)
	echo "\"${h#./}\""
}

# compiles `#include HEADER` with the flags of folder DIR; 0 if it compiled
compiles() {
	printf '#include %s\nint layering_probe;\n' "$2" >"$tmp/probe.c"
	# shellcheck disable=SC2046
	"$CC" -std=c11 -D_GNU_SOURCE -fsyntax-only $($MAKE -s --no-print-directory print-cflags-"$1") \
		"$tmp/probe.c" >"$tmp/out" 2>&1
}

expect() { # expect DIR HEADER ok|refused
	if compiles "$1" "$2"; then got=ok; else got=refused; fi
	if [ "$got" = "$3" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: sim/$1 including $2: expected $3, got $got" >&2
		sed 's/^/    /' "$tmp/out" >&2
	fi
}

layering=$($MAKE -s --no-print-directory print-layering) || exit 2
all_dirs=$(echo "$layering" | cut -d'|' -f1)
for line in $(echo "$layering" | tr ' ' ','); do
	dir=$(echo "$line" | cut -d'|' -f1)
	uses=$(echo "$line" | cut -d'|' -f2 | tr ',' ' ')
	libs=$(echo "$line" | cut -d'|' -f3 | tr ',' ' ')
	for other in $all_dirs; do
		[ "$other" = "$dir" ] && continue
		case " $uses " in
		*" $other "*) expect "$dir" "$(folder_header "$other")" ok ;;
		*) expect "$dir" "$(folder_header "$other")" refused ;;
		esac
	done
	for lib in ncursesw openssl inih libnghttp2; do
		case " $libs " in
		*" $lib "*) expect "$dir" "$(lib_header "$lib")" ok ;;
		*) expect "$dir" "$(lib_header "$lib")" refused ;;
		esac
	done
done
# core/ sees libc and nothing else
expect core "<stdint.h>" ok
echo "layering.sh: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
