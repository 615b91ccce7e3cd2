# lib.sh: what every shell test script shares. Source it after `set -u`:
#     . "$(dirname "$0")/lib.sh"
# It gives a private temporary folder $tmp (removed on exit), the counters
# behind ok / ko, and `finish NAME`, which prints the closing
# "NAME: N passed, M failed" line and returns non-zero on any failure.
pass=0
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
ok() { pass=$((pass + 1)); }
ko() { fail=$((fail + 1)); echo "FAIL: $*" >&2; }
finish() {
	echo "${1:+$1: }$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}
