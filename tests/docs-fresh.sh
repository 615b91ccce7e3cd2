#!/bin/sh
# docs-fresh.sh POOLSIM: the committed pictures and numbers match what the
# lessons produce now. Runs tools/make-docs.sh in a temporary copy of tools/,
# scenarios/ and docs/, then diffs docs/img and docs/guide.md against it.
# Exits 1 on any difference (run `make docs` and commit the result).
# It changes nothing in the tree. Prints "N passed, M failed" last.
set -u
bin=${1:?usage: docs-fresh.sh POOLSIM}
case "$bin" in
	/*) ;;
	*) bin="$PWD/$bin" ;;
esac
cd "$(dirname "$0")/.." || exit 2
. tests/lib.sh

cp -R tools scenarios docs "$tmp/"
if sh "$tmp/tools/make-docs.sh" "$bin" >"$tmp/log" 2>&1; then ok; else ko "make-docs failed:"; cat "$tmp/log" >&2; fi

if diff -u docs/guide.md "$tmp/docs/guide.md" >"$tmp/guide.diff"; then ok; else
	ko "docs/guide.md is stale (make docs):"; head -40 "$tmp/guide.diff" >&2
fi
if diff -r docs/img "$tmp/docs/img" >"$tmp/img.diff"; then ok; else
	ko "docs/img is stale (make docs):"; grep -v '^[<>]' "$tmp/img.diff" | head -20 >&2
fi
for f in scenarios/[0-9][0-9]-*.ini; do
	[ -f "$f" ] || continue
	nn=$(basename "$f" | cut -c1-2)
	if [ -f "docs/img/$nn.svg" ]; then ok; else ko "docs/img/$nn.svg missing for $f"; fi
done

finish docs-fresh.sh
