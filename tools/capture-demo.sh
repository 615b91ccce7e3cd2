#!/bin/sh
# capture-demo.sh POOLSIM [SECONDS] [COLSxROWS]: the screen of `make demo`
# (poolsim watch --compare scenarios/demo.ini) SECONDS in (default 12), as
# tmux shows it in a COLSxROWS terminal (default 160x48), trailing blanks
# removed. README.md's capture is made with it. Uses its own tmux socket.
set -eu
bin=${1:?usage: capture-demo.sh POOLSIM [SECONDS] [COLSxROWS]}
secs=${2:-12}
size=${3:-160x48}
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
cd "$(dirname "$0")/.."
sock=poolsim-capture-$$
tm="tmux -L $sock -f /dev/null"
trap '$tm kill-server >/dev/null 2>&1' EXIT INT TERM
$tm new-session -d -s cap -x "${size%x*}" -y "${size#*x}" "'$bin' watch --compare scenarios/demo.ini; sleep 60"
sleep "$secs"
$tm capture-pane -p -t cap | sed 's/[[:space:]]*$//'
