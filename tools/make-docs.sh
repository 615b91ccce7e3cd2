#!/bin/sh
# make-docs.sh POOLSIM: regenerate the guide's pictures and numbers from the lessons.
#
# For every scenarios/NN-*.ini: `POOLSIM run FILE --plot docs/img/NN.svg`, and the
# text summary of `POOLSIM run FILE` goes, as a fenced block, between
#     <!-- numbers: NN -->
#     <!-- /numbers -->
# in docs/guide.md (a start marker without an end marker gets one). It works on
# the tree it lives in (the folder above tools/), so tests/docs-fresh.sh can run
# it in a copy. Output is deterministic: a second run changes nothing.
# It writes only docs/img/NN.svg and docs/guide.md.
set -eu

bin=${1:?usage: make-docs.sh POOLSIM}
case "$bin" in
	/*) ;;
	*) bin="$PWD/$bin" ;;
esac
[ -x "$bin" ] || { echo "make-docs: $bin is not an executable" >&2; exit 2; }
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir -p docs/img

n=0
for f in scenarios/[0-9][0-9]-*.ini; do
	[ -f "$f" ] || continue
	nn=$(basename "$f" | cut -c1-2)
	# the summary first, so a failing lesson leaves the committed picture alone
	"$bin" run "$f" >"$tmp/$nn.txt"
	"$bin" run "$f" --plot "$tmp/$nn.svg" >/dev/null
	# A lesson whose header says "# sweep: ARGS" also has a sweep block (<!-- sweep: NN -->).
	args=$(sed -n 's/^# sweep: //p' "$f" | head -1)
	if [ -n "$args" ]; then
		# shellcheck disable=SC2086 # ARGS are words of the header line, none quoted
		"$bin" sweep "$f" $args --jobs 1 >"$tmp/$nn-sweep.txt" || true
	fi
	cp "$tmp/$nn.svg" "docs/img/$nn.svg"
	n=$((n + 1))
done

# Rewrite each marked block. The whole file is read first: a start marker owns
# the lines up to its end marker only if that comes before the next start marker.
awk -v dir="$tmp" '
	{ line[NR] = $0 }
	function is_start(s) { return s ~ /^<!-- (numbers|sweep): [0-9][0-9] -->$/ }
	function is_end(s) { return s == "<!-- /numbers -->" || s == "<!-- /sweep -->" }
	END {
		i = 1
		while (i <= NR) {
			print line[i]
			if (!is_start(line[i])) { i++; continue }
			nn = line[i]
			kind = nn ~ /^<!-- sweep/ ? "sweep" : "numbers"
			sub(/^<!-- (numbers|sweep): /, "", nn)
			sub(/ -->$/, "", nn)
			stop = 0
			for (j = i + 1; j <= NR && !is_start(line[j]); j++)
				if (is_end(line[j])) { stop = j; break }
			file = dir "/" nn (kind == "sweep" ? "-sweep" : "") ".txt"
			if ((getline text < file) <= 0) {
				print "make-docs: no lesson " nn " for its numbers block, left as it was" > "/dev/stderr"
				i++
				continue
			}
			print "```text"
			print text
			while ((getline text < file) > 0)
				print text
			close(file)
			print "```"
			print "<!-- /" kind " -->"
			i = stop ? stop + 1 : i + 1
		}
	}
' docs/guide.md >"$tmp/guide.md"
if ! cmp -s "$tmp/guide.md" docs/guide.md; then
	cat "$tmp/guide.md" >docs/guide.md
fi
echo "make-docs: $n lessons: docs/img/NN.svg and the numbers in docs/guide.md"
