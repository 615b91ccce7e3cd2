#!/bin/sh
# bench-memory.sh POOLSIM: the peak memory of a run that grows until the live
# limit (CLIENT_MAX_LIVE requests and conns at once) stops it, for every kind
# of load: the bound docs/performance.md ("Memory at the live limit") states.
# Runs `POOLSIM run FILE --json` under GNU time in a private temporary folder
# and prints one markdown table row per case: peak RSS, requests, peak_open,
# and what stopped the run. Not part of `make test` (a few GB of RAM, ~40 s).
set -u
bin=${1:?usage: bench-memory.sh POOLSIM}
tmp=$(mktemp -d) || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
if [ ! -x /usr/bin/time ]; then
	echo "bench-memory.sh: needs GNU time (apt-get install time)" >&2
	exit 2
fi
slow='[host a]\nservice_time = 10h\n'
fast='[host a]\n'
# case_ NAME HOST-TEXT LOAD-TEXT
case_() {
	f=$tmp/case
	printf '[scenario]\nduration = 100h\n%b[load l]\nhost = a\n%b\n' "$2" "$3" >"$f.ini"
	/usr/bin/time -f '%M' -o "$f.rss" "$bin" run "$f.ini" --json >"$f.json" 2>/dev/null
	rss=$(tail -1 "$f.rss")
	req=$(sed -n 's/.*"requests": \([0-9]*\),.*/\1/p' "$f.json" | head -1)
	peak=$(sed -n 's/.*"peak_open": \([0-9]*\),.*/\1/p' "$f.json" | head -1)
	why=$(sed -n 's/.*"stopped": "\([a-z_]*\)".*/\1/p' "$f.json")
	printf '| %s | %s MiB | %s | %s | %s |\n' "$1" $((rss / 1024)) "$req" "$peak" "${why:-(ran its course)}"
}
echo "| load | peak RSS | requests | peak_open | stopped |"
echo "|---|---|---|---|---|"
case_ "rate 1M/s, shared, slow server" "$slow" 'rate = 1000000/s'
case_ "rate 1M/s, new_per_request, slow server" "$slow" 'rate = 1000000/s\nclient = new_per_request'
case_ "rate 1M/s, new_per_request, 10ms server" "$fast" 'rate = 1000000/s\nclient = new_per_request'
case_ "count 10M, shared, slow server" "$slow" 'count = 10000000'
case_ "count 10M, new_per_request, slow server" "$slow" 'count = 10000000\nclient = new_per_request'
case_ "workers 1M, shared, slow server" "$slow" 'workers = 1000000'
case_ "workers 1M, new_per_request, 10ms server" "$fast" 'workers = 1000000\nclient = new_per_request'
