#!/bin/sh
# svg.sh POOLSIM: the --plot charts render in a real browser. Optional: without
# `chromium` it says so and exits 0 (it is not a dependency of make test).
# For a one-host lesson, a two-host lesson and a title full of XML specials:
# the SVG is well-formed (xmllint if present), Chromium parses it as SVG with
# no parser error (a malformed control file must show one), and its headless
# screenshot is a 1000x700 PNG far larger than that of a blank SVG of the same
# size (PNG signature and IHDR read with od). Everything goes to a temporary
# folder. Prints "N passed, M failed" last.
set -u
bin=${1:?usage: svg.sh POOLSIM}
cd "$(dirname "$0")/.." || exit 2
. tests/lib.sh

browser=$(command -v chromium || true)
if [ -z "$browser" ]; then
	echo "svg: chromium is not installed; skipping the render test (apt-get install chromium)"
	echo "0 passed, 0 failed"
	exit 0
fi

limit=""
command -v timeout >/dev/null 2>&1 && limit="timeout -k 5 120"

# chrome ARGS...: headless Chromium with nothing that reaches the network, a fresh profile each time.
chrome() {
	profile=$(mktemp -d "$tmp/profile.XXXXXX")
	$limit "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" "$@" 2>/dev/null
}

# png_dims FILE: "WIDTH HEIGHT" from the IHDR chunk, or nothing if FILE is not a PNG.
png_dims() {
	sig=$(od -A n -t x1 -N 8 "$1" | tr -d ' \n')
	[ "$sig" = "89504e470d0a1a0a" ] || return 0
	# shellcheck disable=SC2046 # the eight numbers are meant to split
	set -- $(od -A n -t u1 -j 16 -N 8 "$1")
	[ $# -eq 8 ] || return 0
	echo "$(($1 * 16777216 + $2 * 65536 + $3 * 256 + $4)) $(($5 * 16777216 + $6 * 65536 + $7 * 256 + $8))"
}

size_of() { wc -c <"$1" | tr -d ' '; }

# The baseline: a white SVG of a chart's size renders to a small PNG.
printf '<svg xmlns="http://www.w3.org/2000/svg" width="1000" height="320"><rect width="1000" height="320" fill="#ffffff"/></svg>\n' >"$tmp/blank.svg"
chrome --screenshot="$tmp/blank.png" --window-size=1000,700 "file://$tmp/blank.svg" >/dev/null
blank=$(size_of "$tmp/blank.png" 2>/dev/null || echo 0)
if [ "$blank" -gt 0 ]; then ok; else ko "chromium made no screenshot of a blank SVG"; blank=4000; fi

# The control: a malformed SVG must show Chromium's parser error, or the check below proves nothing.
printf '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><text>a & b</text></svg>\n' >"$tmp/bad.svg"
if chrome --dump-dom "file://$tmp/bad.svg" | grep -q parsererror; then ok; else ko "chromium did not flag a malformed SVG"; fi

cat >"$tmp/escape.ini" <<'EOF'
[scenario]
name     = Escapes: a<b & "c" > 'd' ]]> café
duration = 2s

[transport]
MaxConnsPerHost = 2

[host api]
service_time = 20ms

[load w]
host    = api
workers = 4
think   = 30ms

[event r]
at     = 1s
host   = api
action = restart
EOF

for f in scenarios/06-*.ini scenarios/17-*.ini "$tmp/escape.ini"; do
	[ -f "$f" ] || { ko "no scenario $f"; continue; }
	name=$(basename "$f" .ini)
	svg="$tmp/$name.svg"
	png="$tmp/$name.png"
	if "$bin" run "$f" --plot "$svg" >/dev/null 2>"$tmp/err" && [ -s "$svg" ]; then ok; else
		ko "$name: poolsim run --plot failed"; cat "$tmp/err" >&2; continue
	fi
	if [ "$(head -c 4 "$svg")" = "<svg" ]; then ok; else ko "$name: the file does not start with <svg"; fi
	if command -v xmllint >/dev/null 2>&1; then
		if xmllint --noout "$svg" 2>"$tmp/err"; then ok; else ko "$name: not well-formed XML"; cat "$tmp/err" >&2; fi
	fi
	chrome --dump-dom "file://$svg" >"$tmp/dom"
	if grep -q parsererror "$tmp/dom"; then ko "$name: chromium reports a parser error"; grep -o 'error on line[^<]*' "$tmp/dom" >&2
	elif ! grep -q '^<svg' "$tmp/dom"; then ko "$name: chromium did not load it as an SVG document"
	else ok; fi
	rm -f "$png"
	chrome --screenshot="$png" --window-size=1000,700 "file://$svg" >/dev/null
	if [ ! -s "$png" ]; then ko "$name: no screenshot"; continue; fi
	dims=$(png_dims "$png")
	if [ "$dims" = "1000 700" ]; then ok; else ko "$name: screenshot is not a 1000x700 PNG (got '$dims')"; fi
	size=$(size_of "$png")
	if [ "$size" -gt $((blank + 10000)) ]; then ok; else
		ko "$name: screenshot looks blank: $size bytes, a blank page is $blank"
	fi
	if [ -n "${SVG_KEEP:-}" ]; then mkdir -p "$SVG_KEEP" && cp "$svg" "$png" "$SVG_KEEP/"; fi
done

# The sweep's trade-off chart: two panels, a legend, the --goal's pick ringed.
svg="$tmp/sweep.svg"
if "$bin" sweep 17 --vary MaxIdleConnsPerHost=2..64x2 --vary MaxConnsPerHost=0,50 \
	--goal 'p99<=300ms' --plot "$svg" >/dev/null 2>"$tmp/err" && [ -s "$svg" ]; then ok; else
	ko "sweep --plot failed"; cat "$tmp/err" >&2
fi
if grep -q 'dials per second (1/s)' "$svg" && grep -q 'conn wait p99 (ms)' "$svg" &&
   grep -q 'MaxConnsPerHost=50' "$svg" && grep -q "the --goal's pick" "$svg"; then ok; else
	ko "sweep --plot lacks its axes, legend or pick"
fi
chrome --dump-dom "file://$svg" >"$tmp/dom"
if grep -q parsererror "$tmp/dom" || ! grep -q '^<svg' "$tmp/dom"; then ko "sweep.svg: chromium does not load it as SVG"; else ok; fi
chrome --screenshot="$tmp/sweep.png" --window-size=1000,700 "file://$svg" >/dev/null
if [ -s "$tmp/sweep.png" ] && [ "$(size_of "$tmp/sweep.png")" -gt $((blank + 10000)) ]; then ok; else
	ko "sweep.svg: the screenshot looks blank"
fi
if [ -n "${SVG_KEEP:-}" ]; then mkdir -p "$SVG_KEEP" && cp "$svg" "$tmp/sweep.png" "$SVG_KEEP/"; fi

finish svg.sh
