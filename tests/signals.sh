#!/bin/sh
# signals.sh POOLSIM [TRIES]: SIGINT at random moments of a busy scenario, sent
# to `run`, `real` (HTTP/1.1 and HTTP/2), `compare` and `watch` (watch inside tmux), TRIES times each
# (default 20). Each must exit within 1 s of the signal with status 130 and a
# summary whose ok + failed + unfinished = requests. SIGTERM is tried once per
# command (status 143). Real sockets talk to 127.0.0.1 only.
# Prints "signals: N passed, M failed" last.
set -u
case ${1:?usage: signals.sh POOLSIM [TRIES]} in
/*) bin=$1 ;;
*) bin=$(pwd)/$1 ;;
esac
tries=${2:-20}
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
busy=$here/harden/busy.ini
busy_h2=$here/harden/busy-h2.ini # the same over HTTP/2: streams in flight at the signal
# run: a simulated day of 50 workers, far longer than a try.
printf '[scenario]\nduration = 86400s\n[host a]\nservice_time = 2ms\n[load w]\nhost = a\nworkers = 50\nthink = 1ms\n' >"$tmp/day.ini"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
# pause: 50..550 ms, at random.
pause() { sleep "0.$(printf '%03d' $(($(od -An -N2 -tu2 /dev/urandom) % 500 + 50)))"; }

# adds_up FILE: the --json summary in FILE has ok + failed + unfinished = requests.
adds_up() {
	line=$(tr -d '\n' <"$1" | sed -n 's/.*"totals": {"requests": \([0-9]*\), "ok": \([0-9]*\), "failed": \([0-9]*\), "unfinished": \([0-9]*\).*/\1 \2 \3 \4/p')
	[ -n "$line" ] || return 1
	set -- $line
	[ $(($2 + $3 + $4)) -eq "$1" ]
}

# one SIG WANT CMD...: start CMD, signal it at a random moment, check the end.
one() {
	sig=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	pause
	kill -"$sig" "$pid"
	sent=$(now_ms)
	# wait for the exit, at most 3 s, polling every 10 ms
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.01; i=$((i + 1)); done
	took=$(($(now_ms) - sent))
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		wait "$pid"
		ko "$*: still running 3 s after SIG$sig"
		return
	fi
	wait "$pid"
	rc=$?
	if [ "$rc" -ne "$want" ]; then ko "$*: exit $rc after SIG$sig, want $want: $(head -c 300 "$tmp/err")"; return; fi
	if [ "$took" -gt 1000 ]; then ko "$*: took ${took} ms to end after SIG$sig"; return; fi
	if ! adds_up "$tmp/out"; then ko "$*: the summary does not add up: $(head -c 400 "$tmp/out")"; return; fi
	[ "$took" -gt "$slowest" ] && slowest=$took
	ok
}
slowest=0

for cmd in "run $tmp/day.ini" "real $busy" "real $busy_h2" "compare $busy"; do
	n=0
	while [ $n -lt "$tries" ]; do
		one INT 130 "$bin" $cmd --json
		n=$((n + 1))
	done
	one TERM 143 "$bin" $cmd --json
	echo "signals: ${cmd%% *}: slowest end ${slowest} ms after the signal (polled every 10 ms)"
	slowest=0
done

# watch, in a tmux pane: the wrapper records the exit status; the summary is on stderr.
if command -v tmux >/dev/null 2>&1; then
	TM="tmux -L poolsim-signals-$$ -f /dev/null"
	trap '$TM kill-server >/dev/null 2>&1; rm -rf "$tmp"' EXIT INT TERM
	n=0
	while [ $n -lt "$tries" ]; do
		rm -f "$tmp/wpid" "$tmp/wrc" "$tmp/werr"
		mode=$( [ $((n % 2)) -eq 0 ] && echo --real || echo --speed=1)
		file=$busy
		[ "$mode" = --speed=1 ] && file=$tmp/day.ini
		cat >"$tmp/w.sh" <<W
sh -c 'echo \$\$ >"$tmp/wpid"; exec "$bin" watch "$file" $mode' 2>"$tmp/werr"
echo \$? >"$tmp/wrc"
W
		$TM new-session -d -x 120 -y 40 "sh '$tmp/w.sh'"
		i=0
		while [ ! -s "$tmp/wpid" ] && [ $i -lt 200 ]; do sleep 0.01; i=$((i + 1)); done
		pause
		kill -INT "$(cat "$tmp/wpid")"
		sent=$(now_ms)
		i=0
		while [ ! -s "$tmp/wrc" ] && [ $i -lt 300 ]; do sleep 0.01; i=$((i + 1)); done
		took=$(($(now_ms) - sent))
		rc=$(cat "$tmp/wrc" 2>/dev/null)
		sums=$(sed -n 's/.*requests \([0-9]*\): ok \([0-9]*\), failed \([0-9]*\), unfinished \([0-9]*\).*/\1 \2 \3 \4/p' "$tmp/werr" | head -1)
		if [ "${rc:-none}" != 130 ]; then
			ko "watch $mode: exit ${rc:-none} after SIGINT: $(head -c 300 "$tmp/werr")"
			kill -KILL "$(cat "$tmp/wpid")" 2>/dev/null
		elif [ "$took" -gt 1000 ]; then
			ko "watch $mode: took ${took} ms to end after SIGINT"
		elif [ -z "$sums" ] || [ $(echo "$sums" | awk '{print $2 + $3 + $4 - $1}') -ne 0 ]; then
			ko "watch $mode: the summary does not add up: $(cat "$tmp/werr")"
		else
			[ "$took" -gt "$slowest" ] && slowest=$took
			ok
		fi
		$TM kill-server >/dev/null 2>&1
		n=$((n + 1))
	done
	echo "signals: watch: slowest end ${slowest} ms after the signal (polled every 10 ms)"
else
	echo "signals.sh: tmux missing, watch not tried" >&2
	ko "watch: needs tmux"
fi

finish signals
