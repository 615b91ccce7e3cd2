#!/bin/sh
# check.sh: run every lesson of tests/lessons/expected.txt through
# `poolsim run --json` and compare the summary with the hand-computed numbers.
# Usage (from the repository root): sh tests/lessons/check.sh POOLSIM [EXPECTED]
# Owns only the comparison; the numbers and their arithmetic live in
# expected.txt. Exit 0 when every asserted key matches, 1 otherwise, 2 on
# bad usage. Keys written KEY?= only warn (points the format leaves open).
set -u

poolsim=${1:-}
expected=${2:-tests/lessons/expected.txt}
if [ -z "$poolsim" ] || [ ! -x "$poolsim" ] || [ ! -f "$expected" ]; then
	echo "usage: $0 POOLSIM [EXPECTED]  (run from the repository root)" >&2
	exit 2
fi

# flatten: one "path=value" line per scalar of a JSON object (no arrays expected).
flatten() {
	awk '
	{ text = text $0 "\n" }
	END {
		n = length(text); depth = 0; want_key = 0; key = ""
		for (i = 1; i <= n; i++) {
			c = substr(text, i, 1)
			if (c ~ /[ \t\r\n:]/) continue
			if (c == "{") { path[++depth] = key; want_key = 1; continue }
			if (c == "}") { depth--; continue }
			if (c == ",") { want_key = 1; continue }
			if (c == "[" || c == "]") continue
			if (c == "\"") {
				j = i + 1; s = ""
				while (j <= n && substr(text, j, 1) != "\"") {
					if (substr(text, j, 1) == "\\") j++
					s = s substr(text, j, 1); j++
				}
				i = j
				if (want_key) { key = s; want_key = 0; continue }
				emit(s); continue
			}
			j = i
			while (j <= n && substr(text, j, 1) !~ /[,}\] \t\r\n]/) j++
			emit(substr(text, i, j - i)); i = j - 1
		}
	}
	function emit(v,   p, k) {
		p = ""
		for (k = 2; k <= depth; k++) if (path[k] != "totals") p = p path[k] "."
		print p key "=" v
	}'
}

# compare FLAT_FILE "KEY=VALUE ..." -> prints problems; exit status 1 on a failure.
compare() {
	awk -v want="$2" '
	BEGIN { FS = "=" }
	{ got[$1] = $2 }
	END {
		bad = 0
		m = split(want, items, " ")
		for (k = 1; k <= m; k++) {
			item = items[k]
			if (item == "") continue
			eq = index(item, "=")
			name = substr(item, 1, eq - 1); val = substr(item, eq + 1)
			soft = (substr(name, length(name), 1) == "?")
			if (soft) name = substr(name, 1, length(name) - 1)
			if (!(name in got)) { report(soft, name " missing from --json"); continue }
			g = got[name] + 0
			if (index(val, "..")) {
				split(val, r, "\\.\\.")
				ok = (g >= r[1] + 0 && g <= r[2] + 0)
			} else ok = (g == val + 0)
			if (!ok) report(soft, name "=" got[name] " (expected " val ")")
		}
		exit bad
	}
	function report(soft, msg) {
		if (soft) print "    warn: " msg
		else { print "    FAIL: " msg; bad = 1 }
	}' "$1"
}

tmp=$(mktemp) || exit 2
trap 'rm -f "$tmp"' EXIT INT TERM
fails=0
total=0
while IFS= read -r line; do
	case "$line" in '' | '#'*) continue ;; esac
	cmd=${line%%|*}
	cmd=${cmd% }
	want=${line#*|}
	set -- $cmd
	file=$1
	shift
	total=$((total + 1))
	if ! "$poolsim" run "scenarios/$file" "$@" --json >"$tmp.json" 2>"$tmp.err"; then
		echo "FAIL $cmd: poolsim exited $? ($(head -n 1 "$tmp.err"))"
		fails=$((fails + 1))
		continue
	fi
	flatten <"$tmp.json" >"$tmp"
	if out=$(compare "$tmp" "$want"); then
		echo "ok   $cmd"
	else
		echo "FAIL $cmd"
		fails=$((fails + 1))
	fi
	[ -n "$out" ] && echo "$out"
done <"$expected"
rm -f "$tmp.json" "$tmp.err"
echo "lessons: $((total - fails)) of $total passed"
[ "$fails" -eq 0 ]
