#!/bin/sh
# e2e.sh: end-to-end tests of the live dashboard (`poolsim watch`) in tmux.
#
# Usage: sh tests/e2e.sh POOLSIM
# Runs the dashboard in a detached tmux server on a private socket, sends
# keys, reads the screen with capture-pane and checks the text. Every wait is
# bounded (a poll of the screen, 0.1 s apart). Each case runs its command
# through a wrapper that prints EXIT=<status> and TTY-RESTORED (the terminal
# modes equal those before the run) once it ends. Prints `N passed, M failed`
# last; exits 1 if anything failed. Needs tmux; touches nothing outside its
# own temporary directory and its own tmux socket.
set -u

if [ $# -ne 1 ]; then
	echo "usage: $0 POOLSIM" >&2
	exit 2
fi
case "$1" in
/*) POOLSIM=$1 ;;
*) POOLSIM=$(pwd)/$1 ;;
esac
cd "$(dirname "$0")/.." || exit 2
if ! command -v tmux >/dev/null 2>&1; then
	echo "e2e.sh: tmux is not installed (apt-get install tmux)" >&2
	exit 2
fi

TMP=$(mktemp -d) || exit 2
SOCK=poolsim-e2e-$$
TM="tmux -L $SOCK -f /dev/null"
PASSED=0
FAILED=0
trap '$TM kill-server >/dev/null 2>&1; rm -rf "$TMP"' EXIT INT TERM

pass() { PASSED=$((PASSED + 1)); echo "ok   $1"; }
fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL $1"
	if [ -n "${2:-}" ]; then echo "---- screen ----"; echo "$2" | grep -v '^ *$' | head -45; echo "----------------"; fi
}

# start NAME COLS ROWS ENV... -- ARGS...: `poolsim watch ARGS` in a new window of the test server.
start() {
	name=$1 cols=$2 rows=$3
	shift 3
	envs=""
	while [ "$1" != "--" ]; do envs="$envs $1"; shift; done
	shift
	args=""
	for a in "$@"; do args="$args '$a'"; done
	# The wrapper outlives a Ctrl-C sent to the pane (a handler, not SIG_IGN, so poolsim still gets it).
	cat >"$TMP/$name.sh" <<EOF
trap : INT
s=\$(stty -g)
env $envs '$POOLSIM' watch $args
rc=\$?
echo "EXIT=\$rc"
[ "\$(stty -g)" = "\$s" ] && echo TTY-RESTORED
sleep 60
EOF
	if $TM has-session -t e2e 2>/dev/null; then
		$TM new-window -d -t e2e -n "$name" "sh '$TMP/$name.sh'"
	else
		$TM new-session -d -s e2e -n "$name" -x "$cols" -y "$rows" "sh '$TMP/$name.sh'"
	fi
	$TM resize-window -t "e2e:$name" -x "$cols" -y "$rows" 2>/dev/null
}

screen() { $TM capture-pane -p -t "e2e:$1"; }

# wait_for NAME PATTERN [TRIES [-F]]: poll the screen until grep -E (or -F) PATTERN matches.
wait_for() {
	i=0
	while [ "$i" -lt "${3:-50}" ]; do
		screen "$1" | grep "${4:--E}" -q -- "$2" && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

keys() { $TM send-keys -t "e2e:$1" "$2"; }

clock_of() { screen "$1" | head -1 | grep -Eo '[0-9]+\.[0-9]{3}s /' | head -1; }

# json_host FILE HOST KEY: a number from `poolsim run FILE --json`'s "hosts" object.
json_host() {
	"$POOLSIM" run "$1" --json | tr -d '\n' | grep -Eo "\"$2\": \\{[^}]*\\}" |
		grep -Eo "\"$3\": [0-9]+" | grep -Eo '[0-9]+$'
}

# ---------------------------------------------------------------- cases

# A pipe is not a terminal: refuse with a hint and status 2.
{
	"$POOLSIM" watch tests/e2e/slow.ini 2>"$TMP/refuse.err"
	echo $? >"$TMP/refuse.rc"
} | cat >/dev/null
if [ "$(cat "$TMP/refuse.rc")" = 2 ] && grep -q "needs a terminal; try: poolsim run" "$TMP/refuse.err"; then
	pass "stdout a pipe: 'needs a terminal', exit 2"
else
	fail "stdout a pipe: got status $(cat "$TMP/refuse.rc"): $(cat "$TMP/refuse.err")"
fi

# A bad scenario is reported as FILE:LINE before any terminal is needed.
printf '[scenario]\nduration = 1s\nbogus = 1\n[host a]\n[load l]\nhost = a\ncount = 1\n' >"$TMP/bad.ini"
"$POOLSIM" watch "$TMP/bad.ini" >/dev/null 2>"$TMP/bad.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "bad.ini:3:" "$TMP/bad.err"; then
	pass "bad scenario: FILE:LINE, exit 2"
else
	fail "bad scenario: status $rc: $(cat "$TMP/bad.err")"
fi

# Run to the end at max speed: host names, then the final counts equal `poolsim run --json`.
start fin 120 40 -- tests/e2e/two-hosts.ini --speed max
if wait_for fin "finished" 100; then
	s=$(screen fin)
	if echo "$s" | grep -q ' api ' && echo "$s" | grep -q ' db (https)'; then
		pass "host names shown"
	else
		fail "host names shown" "$s"
	fi
	ok=1
	n=0
	for host in api db; do
		n=$((n + 1))
		line=$(echo "$s" | grep -E '^ +dials [0-9]+ +reused [0-9]+' | sed -n "${n}p")
		got_d=$(echo "$line" | sed -E 's/^ +dials ([0-9]+).*/\1/')
		got_r=$(echo "$line" | sed -E 's/^ +dials [0-9]+ +reused ([0-9]+).*/\1/')
		want_d=$(json_host tests/e2e/two-hosts.ini $host dials)
		want_r=$(json_host tests/e2e/two-hosts.ini $host reused)
		if [ -z "$want_d" ] || [ "$got_d" != "$want_d" ] || [ "$got_r" != "$want_r" ]; then
			ok=0
			echo "     $host: screen dials=$got_d reused=$got_r, --json dials=$want_d reused=$want_r"
		fi
	done
	if [ $ok = 1 ]; then pass "final dials/reused equal poolsim run --json"; else fail "final counts" "$s"; fi
	keys fin q
	if wait_for fin "EXIT=0" 30 && wait_for fin "TTY-RESTORED" 10; then
		pass "q after the end: exit 0, terminal restored"
	else
		fail "q after the end" "$(screen fin)"
	fi
else
	fail "run to the end (no 'finished' within 10 s)" "$(screen fin)"
fi

# HTTP/2: the host line marks the host and counts its streams; tab lists each conn's streams
# against its server's limit (tests/e2e/h2-streams.ini: 10 streams on conn #1 at the end).
start h2 120 40 -- tests/e2e/h2-streams.ini --speed max
if wait_for h2 "finished" 100; then
	if screen h2 | grep -q 'api (https, h2) .*streams 10, 250 a conn'; then
		pass "h2: the host line counts streams against the limit"
	else
		fail "h2 host line" "$(screen h2)"
	fi
	keys h2 Tab
	if wait_for h2 "streams idle total" 20 && screen h2 | grep -Eq '^ *#1 +active .* 10/250 ' &&
		screen h2 | grep -Eq '^ *#2 +closed .* - +[0-9.]+s +- +h2ConnNotNeeded'; then
		pass "h2: tab shows conn #1's 10/250 streams, '-' for a closed conn"
	else
		fail "h2: tab streams column" "$(screen h2)"
	fi
	keys h2 q
	wait_for h2 "EXIT=0" 30 || fail "h2: q" "$(screen h2)"
else
	fail "h2: run to the end" "$(screen h2)"
fi

# Interactive keys on a slow run.
start keys 120 40 -- tests/e2e/slow.ini --speed 1
if wait_for keys "running" 30; then
	keys keys n
	if wait_for keys "press space first" 20; then pass "n while running says why it does nothing"; else fail "n while running" "$(screen keys)"; fi
	keys keys ' '
	if wait_for keys "PAUSED" 20; then
		c1=$(clock_of keys)
		sleep 0.5
		c2=$(clock_of keys)
		if [ -n "$c1" ] && [ "$c1" = "$c2" ]; then pass "space pauses: the clock stops"; else fail "pause: clock $c1 -> $c2" "$(screen keys)"; fi
		for _ in 1 2 3 4 5 6; do keys keys n; done
		i=0
		c3=$c1
		while [ $i -lt 20 ] && [ "$c3" = "$c1" ]; do sleep 0.1; c3=$(clock_of keys); i=$((i + 1)); done
		if [ "$c3" != "$c1" ] && screen keys | grep -q PAUSED; then
			pass "n steps while paused ($c1 -> $c3)"
		else
			fail "n: clock $c1 -> $c3" "$(screen keys)"
		fi
	else
		fail "space: no PAUSED" "$(screen keys)"
	fi
	keys keys '+'
	if wait_for keys "speed x2 " 20; then pass "+ doubles the speed"; else fail "+" "$(screen keys)"; fi
	keys keys '-'
	keys keys '-'
	if wait_for keys "speed x1/2 " 20; then pass "- halves the speed"; else fail "-" "$(screen keys)"; fi
	keys keys '?'
	if wait_for keys "poolsim watch help" 20 && screen keys | grep -q "MaxIdleConnsPerHost"; then
		pass "? shows the help overlay"
	else
		fail "?" "$(screen keys)"
	fi
	keys keys x
	i=0
	while [ $i -lt 20 ] && screen keys | grep -q "poolsim watch help"; do sleep 0.1; i=$((i + 1)); done
	if screen keys | grep -q "poolsim watch help"; then fail "a key closes the help" "$(screen keys)"; else pass "a key closes the help"; fi
	keys keys Tab
	if wait_for keys "idle total" 20 && screen keys | grep -Eq '^ *#1 +(idle|active)'; then
		pass "tab: the host's connections"
	else
		fail "tab" "$(screen keys)"
	fi
	keys keys Escape
	if wait_for keys "req [0-9]+ (reused|got)" 20; then pass "esc: back to the log"; else fail "esc" "$(screen keys)"; fi
	keys keys r
	if wait_for keys "^ poolsim watch .* 0\.[0-9]{3}s /" 20; then pass "r restarts the run"; else fail "r" "$(screen keys)"; fi
	keys keys q
	if wait_for keys "EXIT=0" 30 && wait_for keys "TTY-RESTORED" 10; then
		pass "q: exit 0, terminal restored"
	else
		fail "q" "$(screen keys)"
	fi
else
	fail "slow run did not start" "$(screen keys)"
fi

# Ctrl-C quits too, restoring the terminal (status 128 + SIGINT).
start intr 120 40 -- tests/e2e/slow.ini
if wait_for intr "running" 30; then
	keys intr C-c
	if wait_for intr "EXIT=130" 30 && wait_for intr "TTY-RESTORED" 10; then
		pass "Ctrl-C: exit 130, terminal restored"
	else
		fail "Ctrl-C" "$(screen intr)"
	fi
else
	fail "Ctrl-C run did not start" "$(screen intr)"
fi

# Below 80x24 a message replaces the layout.
start small 60 20 -- tests/e2e/slow.ini
if wait_for small "needs at least 80x24" 30; then pass "small terminal: a clear message"; else fail "small terminal" "$(screen small)"; fi
keys small q
wait_for small "EXIT=0" 30 || fail "q on the small terminal" "$(screen small)"

# No UTF-8 locale: ASCII only; NO_COLOR honoured (runs, quits clean).
start ascii 120 40 LC_ALL=C LANG=C NO_COLOR=1 -- tests/e2e/slow.ini --speed 4
if wait_for ascii "MaxIdleConnsPerHost 0->2" 30 && ! screen ascii | grep -q '→'; then
	pass "C locale: ASCII glyphs"
else
	fail "C locale" "$(screen ascii)"
fi
keys ascii q
wait_for ascii "EXIT=0" 30 || fail "q in the C locale" "$(screen ascii)"

# --frames N: headless, ends by itself with status 0.
start frames 120 40 -- tests/e2e/slow.ini --frames 10
if wait_for frames "EXIT=0" 40 && wait_for frames "TTY-RESTORED" 10; then pass "--frames 10 ends by itself"; else fail "--frames" "$(screen frames)"; fi

# --compare: two panes, sim and real.
start cmp 140 40 -- tests/e2e/two-hosts.ini --compare --time-scale 0.5
if wait_for cmp "finished" 100 && screen cmp | grep -q '\[sim\]' && screen cmp | grep -q '\[real\]'; then
	pass "--compare: two panes"
else
	fail "--compare" "$(screen cmp)"
fi
keys cmp q

# A lesson by number, when the lessons are there.
first=$(ls scenarios/01-*.ini 2>/dev/null | head -1)
if [ -n "$first" ]; then
	title=$(sed -n 's/^name *= *//p' "$first" | head -1 | cut -c1-30)
	start lesson 160 40 -- 1 --speed max
	if wait_for lesson "$title" 30 -F; then pass "watch 1 opens $first"; else fail "watch 1" "$(screen lesson)"; fi
	keys lesson q
fi

# The dashboard as a class sees it: flags, legend, layouts, compare pause, teaching mode.
. tests/e2e/classroom.sh

echo "$PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
