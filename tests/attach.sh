#!/bin/sh
# attach.sh POOLSIM: `poolsim watch --attach SOCKET` in tmux, fed by probe/example (a Go
# program with the probe serving its records on a Unix socket): the dashboard shows a "go"
# pane, and its final counts equal the probe's own p.Stats(). Needs tmux and the go on PATH
# (else it says so and passes). Prints "attach.sh: N passed, M failed" last.
set -u
bin=${1:?usage: attach.sh POOLSIM}
case "$bin" in
	/*) ;;
	*) bin="$PWD/$bin" ;;
esac
cd "$(dirname "$0")/.." || exit 2
. tests/lib.sh
if ! command -v tmux >/dev/null 2>&1 || ! command -v "${GO:-go}" >/dev/null 2>&1; then
	echo "attach.sh: needs tmux and Go: not run"
	finish attach.sh
	exit
fi
TM="tmux -L poolsim-attach-$$ -f /dev/null"
trap '$TM kill-server >/dev/null 2>&1; rm -rf "$tmp"' EXIT INT TERM

(cd probe && GOTOOLCHAIN=local GOPROXY=off GOFLAGS=-mod=mod GOCACHE="${GOCACHE:-$PWD/../build/gocache-attach}" \
	"${GO:-go}" build -o "$tmp/example" ./example) || { ko "go build ./example"; finish attach.sh; exit; }

sock=$tmp/pool.sock
# The program starts its requests 1.5 s after it listens, so the dashboard attaches first.
"$tmp/example" -hosts 2 -workers 3 -requests 80 -think 2ms -MaxIdleConnsPerHost 2 \
	-start-after 1500ms -socket "$sock" >"$tmp/stats.json" 2>"$tmp/example.err" &
pid=$!
i=0
while [ ! -S "$sock" ] && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
printf "'%s' watch --attach '%s' 2>'%s'\necho \"EXIT=\$?\" >>'%s'\nsleep 60\n" \
	"$bin" "$sock" "$tmp/watch.err" "$tmp/watch.err" >"$tmp/watch.sh"
$TM new-session -d -s a -x 120 -y 40 "sh '$tmp/watch.sh'"
screen() { $TM capture-pane -p -t a; }
i=0
until screen | grep -q '\[go\] (the probe)'; do
	[ "$i" -lt 100 ] || break
	sleep 0.1
	i=$((i + 1))
done
if screen | grep -q '\[go\] (the probe)'; then ok; else ko "no go pane on the screen: $(screen | head -5)"; fi
wait "$pid"
sleep 0.5
$TM send-keys -t a q
i=0
until grep -q '^EXIT=' "$tmp/watch.err" 2>/dev/null; do
	[ "$i" -lt 100 ] || break
	sleep 0.1
	i=$((i + 1))
done
if grep -q '^EXIT=0$' "$tmp/watch.err"; then ok; else ko "watch --attach did not end well: $(cat "$tmp/watch.err")"; fi
line=$(grep '^poolsim watch: go: ' "$tmp/watch.err")
# num WORD: the number after a word of the final line ("dials 12" -> 12).
num() { echo "$line" | grep -oE "$1 [0-9]+" | head -1 | grep -oE '[0-9]+$'; }
for pair in Requests:requests OK:ok Failed:failed Dials:dials Reused:reused MaxOpen:open Closed:closed; do
	p=$(grep -m1 "^  \"${pair%%:*}\": " "$tmp/stats.json" | grep -oE '[0-9]+')
	d=$(num "${pair##*:}")
	if [ -n "$p" ] && [ "$p" = "$d" ]; then ok; else ko "dashboard ${pair##*:} $d, p.Stats() ${pair%%:*} $p"; fi
done
if grep -q '"EventsDropped": 0' "$tmp/stats.json"; then ok; else ko "the probe dropped records"; fi
finish attach.sh
