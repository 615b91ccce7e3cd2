#!/bin/sh
# tests/bad.sh: every malformed scenario must be refused by `poolsim check`
# with exit status 2 and exactly one line on stderr, `FILE:LINE: message`
# (or `FILE: message` when no line applies).
#   sh tests/bad.sh PATH/TO/poolsim
# The committed cases are tests/bad/NN-name.ini, each with its expected stderr
# in NN-name.expect. Binary and oversized inputs (NUL bytes, garbage, a 10 MB
# file, a 1 MB line) are generated here into a temporary directory, so no big
# or binary file is committed. Last line of output: `N passed, M failed`.
set -u

if [ $# -ne 1 ]; then
	echo "usage: sh tests/bad.sh PATH/TO/poolsim" >&2
	exit 2
fi
case $1 in
/*) bin=$1 ;;
*) bin=$(pwd)/$1 ;;
esac
# The .expect files name tests/bad/..., so run from the repository root.
cd "$(dirname "$0")/.." || exit 2

tmp=$(mktemp -d "${TMPDIR:-/tmp}/poolsim-bad.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
passed=0
failed=0

# check_one FILE EXPECTED: run `check` on FILE; stderr must equal EXPECTED, status 2.
check_one() {
	"$bin" check "$1" >"$tmp/out" 2>"$tmp/err"
	status=$?
	printf '%s\n' "$2" >"$tmp/want"
	if [ "$status" -eq 2 ] && cmp -s "$tmp/err" "$tmp/want"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL $1 (exit $status)"
		echo "  want: $2"
		echo "  got:  $(cat "$tmp/err")"
	fi
}

for ini in tests/bad/*.ini; do
	check_one "$ini" "$(cat "${ini%.ini}.expect")"
done

# valid: a good scenario of six lines, to which a case appends.
valid() {
	printf '[scenario]\nduration = 10s\n[host api]\n[load w]\nhost = api\nworkers = 1\n'
}

# A NUL byte inside a value (line 2).
printf '[scenario]\nname = a\000b\n' >"$tmp/nul.ini"
check_one "$tmp/nul.ini" "$tmp/nul.ini:2: NUL byte in the file (not a text file?)"

# Binary garbage from the first byte.
printf '\177ELF\002\001\001\000\000\000' >"$tmp/garbage.ini"
check_one "$tmp/garbage.ini" "$tmp/garbage.ini:1: control byte 0x7f in the file (not a text file?)"

# A control byte and a Latin-1 byte in otherwise valid text.
printf '[scenario]\nduration = 10s\001\n' >"$tmp/control.ini"
check_one "$tmp/control.ini" "$tmp/control.ini:2: control byte 0x01 in the file (not a text file?)"
{ valid; printf '# caf\351\n'; } >"$tmp/latin1.ini"
check_one "$tmp/latin1.ini" "$tmp/latin1.ini:7: invalid UTF-8 (byte 0xe9; not a text file?)"

# A 10 MB file: refused before it is parsed.
valid >"$tmp/big.ini"
head -c 10000000 /dev/zero | tr '\000' '#' >>"$tmp/big.ini"
check_one "$tmp/big.ini" "$tmp/big.ini: file is larger than 1 MiB"

# A file of exactly 1 MiB (short comment lines) is read; one byte more is refused.
valid >"$tmp/edge.ini"
size=$(wc -c <"$tmp/edge.ini")
yes '# a comment line that is sixty-four bytes long, newline included' |
	head -c $((1048576 - size)) >>"$tmp/edge.ini"
if "$bin" check "$tmp/edge.ini" >/dev/null 2>&1; then
	passed=$((passed + 1))
else
	failed=$((failed + 1))
	echo "FAIL a file of exactly 1 MiB should be accepted"
fi
printf '#' >>"$tmp/edge.ini"
check_one "$tmp/edge.ini" "$tmp/edge.ini: file is larger than 1 MiB"

# A 1 MB line (inside the 1 MiB file limit): a clean error, not a truncation.
printf '[scenario]\nname = ' >"$tmp/longline.ini"
head -c 1000000 /dev/zero | tr '\000' 'x' >>"$tmp/longline.ini"
printf '\nduration = 10s\n' >>"$tmp/longline.ini"
check_one "$tmp/longline.ini" "$tmp/longline.ini:2: line is longer than 4096 bytes"

# A missing file and a directory.
check_one "$tmp/absent.ini" "$tmp/absent.ini: cannot open: No such file or directory"
check_one "$tmp" "$tmp: cannot read: it is a directory"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
