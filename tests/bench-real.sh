#!/bin/sh
# bench-real.sh POOLSIM: the real-mode and dashboard figures of `make bench`.
#  1. Real-mode schedule lag: how late each scheduled request started, at
#     2,000 requests/s over ~200 connections (target: p99 under 2 ms).
#  2. The dashboard at --speed max on 20 hosts / 2,000 connections: frames per
#     second (cap 30) and the CPU it uses, run in tmux for a fixed frame count.
# Figures only: nothing here passes or fails.
set -u
bin=${1:?usage: bench-real.sh POOLSIM}
echo "== real mode: schedule lag at 2000 requests/s over ~200 connections (wall ms) =="
printf "%-6s %10s %10s %10s %10s %10s\n" run requests dials lag_p50 lag_p99 lag_max
for i in 1 2 3; do
	out=$("$bin" real tests/bench/real-2000rps.ini --json)
	req=$(echo "$out" | tr -d '\n' | grep -o '"requests": [0-9]*' | head -1 | grep -o '[0-9]*$')
	dials=$(echo "$out" | tr -d '\n' | grep -o '"dials": [0-9]*' | head -1 | grep -o '[0-9]*$')
	lag=$(echo "$out" | tr -d '\n' | grep -o '"schedule_lag_ms": {[^}]*}' | grep -o ': [0-9.]*' | tr -d ': ' | tr '\n' ' ')
	# shellcheck disable=SC2086
	printf "%-6s %10s %10s %10s %10s %10s\n" "$i" "$req" "$dials" $lag
done
echo "target: p99 under 2 ms on a 2-core machine"

if command -v tmux >/dev/null 2>&1 && [ -x /usr/bin/time ]; then
	echo
	echo "== dashboard: watch --speed max, 20 hosts x 100 workers, 300 frames =="
	tmp=$(mktemp -d)
	sock="poolsim-bench-$$"
	tmux -L "$sock" new-session -d -x 160 -y 50 \
		"/usr/bin/time -f '%e %U %S' -o '$tmp/time' '$bin' watch tests/bench/dash-20x100.ini --speed max --frames 300"
	i=0
	while [ ! -s "$tmp/time" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
	tmux -L "$sock" kill-server 2>/dev/null
	if [ -s "$tmp/time" ]; then
		read -r wall user sys <"$tmp/time"
		awk -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN {
			printf "wall %.2fs  frames/s %.1f (cap 30)  CPU %.2fs (%.0f%% of one core)\n",
				w, 300 / w, u + s, 100 * (u + s) / w }'
	else
		echo "the dashboard did not finish 300 frames in 60 s"
	fi
	rm -rf "$tmp"
fi
