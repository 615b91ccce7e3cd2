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

# attach_run NAME FLAGS: the example against `poolsim watch --attach SOCKET FLAGS`; leaves the
# probe's p.Stats() in $tmp/NAME.json, the dashboard's stderr in $tmp/NAME.err and its screen
# (while the program ran) in $tmp/NAME.screen.
attach_run() {
	name=$1
	flags=$2
	sock=$tmp/$name.sock
	# The program starts its requests 1.5 s after it listens, so the dashboard attaches first.
	"$tmp/example" -hosts 2 -workers 3 -requests 80 -think 2ms -MaxIdleConnsPerHost 2 \
		-start-after 1500ms -socket "$sock" >"$tmp/$name.json" 2>"$tmp/$name.example.err" &
	pid=$!
	i=0
	while [ ! -S "$sock" ] && [ "$i" -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	printf "'%s' watch --attach '%s' %s 2>'%s'\necho \"EXIT=\$?\" >>'%s'\nsleep 60\n" \
		"$bin" "$sock" "$flags" "$tmp/$name.err" "$tmp/$name.err" >"$tmp/$name.sh"
	$TM new-session -d -s "$name" -x 160 -y 40 "sh '$tmp/$name.sh'"
	i=0
	until $TM capture-pane -p -t "$name" | grep -q '\[go\].*(the probe)'; do
		[ "$i" -lt 100 ] || break
		sleep 0.1
		i=$((i + 1))
	done
	wait "$pid"
	sleep 0.5
	$TM capture-pane -p -t "$name" >"$tmp/$name.screen"
	$TM send-keys -t "$name" q
	i=0
	until grep -q '^EXIT=' "$tmp/$name.err" 2>/dev/null; do
		[ "$i" -lt 100 ] || break
		sleep 0.1
		i=$((i + 1))
	done
}
# num PANE WORD: the number after a word of a pane's final line ("dials 12" -> 12).
num() { grep "^poolsim watch: $1: " "$tmp/$name.err" | grep -oE "$2 [0-9]+" | head -1 | grep -oE '[0-9]+$'; }

attach_run go ""
if grep -q '\[go\] (the probe)' "$tmp/go.screen"; then ok; else ko "no go pane on the screen: $(head -5 "$tmp/go.screen")"; fi
if grep -q '^EXIT=0$' "$tmp/go.err"; then ok; else ko "watch --attach did not end well: $(cat "$tmp/go.err")"; fi
for pair in Requests:requests OK:ok Failed:failed Dials:dials Reused:reused MaxOpen:open Closed:closed; do
	p=$(grep -m1 "^  \"${pair%%:*}\": " "$tmp/go.json" | grep -oE '[0-9]+')
	d=$(num go "${pair##*:}")
	if [ -n "$p" ] && [ "$p" = "$d" ]; then ok; else ko "dashboard ${pair##*:} $d, p.Stats() ${pair%%:*} $p"; fi
done
if grep -q '"EventsDropped": 0' "$tmp/go.json"; then ok; else ko "the probe dropped records"; fi

# --compare-sim: a sim pane beside the go pane, replaying the same requests as they come; at
# the end it started every request the program did (2 hosts x 3 workers x 80 = 480), and the
# go pane's counts still equal p.Stats().
attach_run cmp --compare-sim
if grep -q '\[go\].*(the probe)' "$tmp/cmp.screen" && grep -q '\[sim\]' "$tmp/cmp.screen"; then ok; else
	ko "not both panes on the screen: $(head -5 "$tmp/cmp.screen")"
fi
if grep -q '^EXIT=0$' "$tmp/cmp.err"; then ok; else ko "watch --attach --compare-sim did not end well: $(cat "$tmp/cmp.err")"; fi
p=$(grep -m1 '^  "Requests": ' "$tmp/cmp.json" | grep -oE '[0-9]+')
g=$(num go requests)
s=$(num sim requests)
if [ "$p" = 480 ] && [ "$g" = "$p" ] && [ "$s" = "$g" ]; then ok; else ko "requests: p.Stats() $p, go pane $g, sim pane $s (480 expected)"; fi
sok=$(num sim ok)
if [ "$sok" = "$s" ]; then ok; else ko "sim pane: $s requests, $sok ok: every replayed request should end"; fi
for w in dials reused; do
	echo "attach.sh: --compare-sim $w: go $(num go $w), sim $(num sim $w)"
done
finish attach.sh
