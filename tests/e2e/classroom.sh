# classroom.sh: the dashboard as a class sees it (issue #14), sourced by
# tests/e2e.sh after its own cases: it uses start, screen, wait_for, keys,
# pass and fail from there. Nothing here asserts a duration: every wait is a
# bounded poll of the screen.

# --speed is honoured (finding 1): the header says the speed asked for.
start speedflag 120 40 -- 6 --speed 0.1
if wait_for speedflag "speed x1/10 " 30; then pass "--speed 0.1: the header says x1/10"; else fail "--speed 0.1" "$(screen speedflag)"; fi
keys speedflag q

# The legend is the screen (finding 2): ? draws the glyphs of the locale in use.
start legend 120 40 -- tests/e2e/slow.ini
if wait_for legend "running" 30; then
	keys legend '?'
	if wait_for legend "what the screen draws" 20 &&
		screen legend | grep -q '◌ *dialing (yellow)' &&
		screen legend | grep -q '● *active: serving a request' &&
		screen legend | grep -q '┃ *MaxConnsPerHost' &&
		screen legend | grep -q '┊ *MaxIdleConnsPerHost' &&
		screen legend | grep -q '· *free position' &&
		screen legend | grep -q '+N  *N more open conns' &&
		screen legend | grep -q "the number after each: this second" &&
		screen legend | grep -q '0→2 *MaxIdleConnsPerHost 0 means'; then
		pass "UTF-8: ? draws ◌ ● ┃ ┊ · as the screen does, with +N, bars, sparklines, 0→2"
	else
		fail "UTF-8 legend" "$(screen legend)"
	fi
	keys legend x
	if wait_for legend '◌ dial +~ TLS +● active' 20; then pass "UTF-8: the legend strip"; else fail "UTF-8 legend strip" "$(screen legend)"; fi
fi
keys legend q
start legendc 120 40 LC_ALL=C LANG=C -- tests/e2e/slow.ini
if wait_for legendc "running" 30; then
	keys legendc '?'
	if wait_for legendc "what the screen draws" 20 &&
		screen legendc | grep -q '\. *dialing (yellow)' &&
		screen legendc | grep -q '# *active: serving a request' &&
		screen legendc | grep -q '| *MaxConnsPerHost' &&
		screen legendc | grep -q ': *MaxIdleConnsPerHost' &&
		screen legendc | grep -q '0->2 *MaxIdleConnsPerHost 0 means' &&
		! screen legendc | grep -q '[◌●┃┊·→]'; then
		pass "C locale: ? draws . # | : as the screen does, and no UTF-8"
	else
		fail "C locale legend" "$(screen legendc)"
	fi
	keys legendc x
	if wait_for legendc '\. dial +~ TLS +# active' 20; then pass "C locale: the legend strip"; else fail "C legend strip" "$(screen legendc)"; fi
fi
keys legendc q

# The layouts (finding 4): at each size, with both panes, nothing the README shows is cut:
# the whole title, the settings, each pane's totals and clock, the kernel line, the host
# counters with their closes by reason, and the key bar.
for size in 80x24 120x40 160x48; do
	cols=${size%x*} rows=${size#*x}
	start "lay$cols" "$cols" "$rows" -- scenarios/demo.ini --compare
	if wait_for "lay$cols" ' [1-9]\.[0-9]{3}s / 60s' 80; then
		s=$(screen "lay$cols")
		bad=""
		echo "$s" | grep -q 'Demo: api churns at MaxIdleConnsPerHost=2, cache and search are calm' || bad="$bad title"
		echo "$s" | grep -q 'IdleConnTimeout 10s' || bad="$bad settings"
		[ "$(echo "$s" | grep -oE '\[(sim|real)\] [0-9]+\.[0-9]{3}s' | wc -l)" = 2 ] || bad="$bad pane-clocks"
		[ "$(echo "$s" | grep -oE 'ok [0-9]+ +failed [0-9]+' | wc -l)" -ge 4 ] || bad="$bad totals"
		echo "$s" | grep -qE '\(pool open [0-9]+\)' || bad="$bad kernel"
		echo "$s" | grep -qE 'closes: (max_idle_per_host [0-9]+|none)' || bad="$bad closes"
		echo "$s" | grep -qE 'q quit *$' || bad="$bad keys"
		# the cuts the README's capture had: a reason, Go's error name, a setting mid-word
		echo "$s" | grep -qE 'max_idle_p($|[^e])|errTooManyIdl($|[^e])|MaxIdleConnsPerHost=($|[^0-9])|clos($|[^ei])' &&
			bad="$bad cut-mid-word"
		if [ -z "$bad" ]; then pass "layout $size: nothing cut"; else fail "layout $size:$bad" "$s"; fi
		keys "lay$cols" '?'
		if wait_for "lay$cols" "the chart's title gives the scale 0\.\.max" 20 &&
			screen "lay$cols" | grep -q "0→2 *MaxIdleConnsPerHost 0 means Go's default, 2" &&
			screen "lay$cols" | grep -q 'M is MaxIdleConnsPerHost' &&
			screen "lay$cols" | grep -q 'MaxIdleConnsPerHost: idle ones beyond it are closed (blue)'; then
			pass "layout $size: the help fits"
		else
			fail "layout $size: the help is cut" "$(screen "lay$cols")"
		fi
	else
		fail "layout $size: no clock" "$(screen "lay$cols")"
	fi
	keys "lay$cols" q
done

# Compare mode through pause, three steps, resume and + (finding 3): while paused the clock
# holds on both sides; n moves the simulator only; + is refused with a message; after it all
# the real pane has failed nothing and never held more than MaxConnsPerHost conns.
start cmpp 140 40 -- tests/e2e/compare-pause.ini --compare
if wait_for cmpp ' [1-9]\.[0-9]{3}s / 40s .*running' 80; then
	keys cmpp ' '
	if wait_for cmpp 'PAUSED' 20; then
		sleep 0.3
		c1=$(clock_of cmpp)
		real1=$(screen cmpp | grep -oE '\[real\] [0-9]+\.[0-9]{3}s' | head -1)
		sleep 1.5 # longer than Client.Timeout: a clock that ran on would fail requests
		c2=$(clock_of cmpp)
		real2=$(screen cmpp | grep -oE '\[real\] [0-9]+\.[0-9]{3}s' | head -1)
		if [ -n "$c1" ] && [ "$c1" = "$c2" ] && [ "$real1" = "$real2" ]; then
			pass "compare: pause holds the clock of both sides ($c1)"
		else
			fail "compare pause: clock $c1 -> $c2, $real1 -> $real2" "$(screen cmpp)"
		fi
		sim1=$(screen cmpp | grep -oE '\[sim\] [0-9]+\.[0-9]{3}s' | head -1)
		for _ in 1 2 3; do keys cmpp n; sleep 0.2; done
		sleep 0.3
		sim2=$(screen cmpp | grep -oE '\[sim\] [0-9]+\.[0-9]{3}s' | head -1)
		real3=$(screen cmpp | grep -oE '\[real\] [0-9]+\.[0-9]{3}s' | head -1)
		if [ "$sim1" != "$sim2" ] && [ "$real3" = "$real1" ] && screen cmpp | grep -q PAUSED; then
			pass "compare: n steps the simulator only ($sim1 -> $sim2; $real3 stays)"
		else
			fail "compare n: $sim1 -> $sim2, $real1 -> $real3" "$(screen cmpp)"
		fi
		keys cmpp ' '
		wait_for cmpp 'running' 20 || fail "compare resume" "$(screen cmpp)"
		keys cmpp '+'
		if wait_for cmpp 'real sockets run on the wall clock' 20 && ! screen cmpp | grep -q 'speed x2'; then
			pass "compare: + is refused with a message"
		else
			fail "compare +" "$(screen cmpp)"
		fi
		c3=$(clock_of cmpp)
		i=0
		while [ $i -lt 30 ] && [ "$(clock_of cmpp)" = "$c3" ]; do sleep 0.1; i=$((i + 1)); done
		sleep 1
		s=$(screen cmpp)
		real_failed=$(echo "$s" | grep -oE 'ok [0-9]+ +failed [0-9]+' | sed -n 2p | grep -oE '[0-9]+$')
		opens=$(echo "$s" | awk -F'│' '{print $2}' | grep -oE '^ ?api +open [0-9]+' | grep -oE '[0-9]+$')
		over=0
		for o in $opens; do [ "$o" -gt 4 ] && over=1; done
		if [ "$real_failed" = 0 ] && [ -n "$opens" ] && [ "$over" = 0 ]; then
			pass "compare after pause/steps/resume/+: real failed 0, open <= 4 ($opens)"
		else
			fail "compare after the sequence: real failed '${real_failed}', open '${opens}'" "$s"
		fi
	else
		fail "compare: no PAUSED" "$(screen cmpp)"
	fi
else
	fail "compare-pause did not start" "$(screen cmpp)"
fi
keys cmpp q

# Teaching mode (watch 3 --teach): it stops at the first errTooManyIdleHost close, with the
# explanation `poolsim run 3 --teach` prints, and a key goes on.
"$POOLSIM" run 3 --teach >"$TMP/teach.txt" 2>&1
want=$(grep -m1 '>> P7 in' "$TMP/teach.txt" | sed 's/^ *>> //')
want2=$(grep -A1 -m1 '>> P7 in' "$TMP/teach.txt" | tail -1 | sed 's/^ *>> *//')
if [ -n "$want" ] && grep -Eq 'conn_closed +P7' "$TMP/teach.txt"; then pass "run 3 --teach: the P7 explanation inline with the trace"; else fail "run 3 --teach: $(head -5 "$TMP/teach.txt")"; fi
start teach 160 48 -- 3 --teach
if wait_for teach 'TEACH' 40; then
	# The window is resized to 160 columns after it opens (start): the explanation is
	# wrapped to the width of the latest frame, so wait for the one drawn after the resize.
	wait_for teach "$want" 20 -F
	s=$(screen teach)
	if echo "$s" | grep -qF "$want" && echo "$s" | grep -qF "$want2" &&
		echo "$s" | head -1 | grep -q ' 0\.011s / 3s'; then
		pass "watch 3 --teach: paused at 0.011s on the first errTooManyIdleHost, run's text"
	else
		fail "watch 3 --teach: want '$want' / '$want2'" "$s"
	fi
	if echo "$s" | grep -q '^ *Shows: Go keeps at most MaxIdleConnsPerHost'; then pass "teach: the lesson's Shows text"; else fail "teach: no lesson text" "$s"; fi
	keys teach x
	if wait_for teach 'G2c in Transport.queueForIdleConn' 60; then pass "teach: a key goes on, to the next rule (G2c)"; else fail "teach: next rule" "$(screen teach)"; fi
else
	fail "watch 3 --teach: no TEACH" "$(screen teach)"
fi
keys teach q

# The connection table (finding 7): a closed conn's age stops at its close, and the
# table says what closed it.
start detail 160 48 -- 3 --speed 0.01
if wait_for detail 'errTooManyIdleHost' 60; then
	keys detail Tab
	if wait_for detail 'closed by' 20; then
		row1=$(screen detail | grep -E '^ *#[0-9]+ +closed ' | head -1)
		sleep 1
		row2=$(screen detail | grep -E "^ *$(echo "$row1" | awk '{print $1}') +closed " | head -1)
		if [ -n "$row1" ] && [ "$row1" = "$row2" ] && echo "$row1" | grep -q 'errTooManyIdleHost'; then
			pass "detail: a closed conn's age stays, with its close reason"
		else
			fail "detail: '$row1' then '$row2'" "$(screen detail)"
		fi
	else
		fail "detail: no table" "$(screen detail)"
	fi
else
	fail "detail: no close" "$(screen detail)"
fi
keys detail q

# Lesson 12's idle conns sit in Transports of their own: the host line says so.
start own 120 40 -- 12 --speed max
if wait_for own 'each in its own Transport' 60; then pass "lesson 12: idle conns each in its own Transport"; else fail "lesson 12" "$(screen own)"; fi
keys own q

# `+N` counts open conns only (finding 7: `+408` under an empty row at the end of the demo).
start over 80 24 -- tests/e2e/overflow.ini --speed 0.1
if wait_for over 'active 300' 60 && screen over | grep -qE '\+[0-9]+ *$'; then
	pass "+N: the open conns beyond the row"
else
	fail "+N while 300 are active" "$(screen over)"
fi
if wait_for over 'errTooManyIdleHost' 60 && wait_for over 'open 2 ' 30; then
	s=$(screen over)
	if echo "$s" | grep -q ' x' && ! echo "$s" | grep -qE '[x·o ]\+[0-9]+ *$'; then
		pass "+N: no count of closed conns ($(echo "$s" | grep -c x) lines with x)"
	else
		fail "+N after the closes" "$s"
	fi
else
	fail "+N: no closes" "$(screen over)"
fi
keys over q

# Lesson 19 (port exhaustion): the host line and the totals show TIME_WAIT and ports in use, and
# at the end they are the --json summary's own figures (one counting: core/timewait.c).
tw_json=$("$POOLSIM" run 19 --json 2>/dev/null | grep -oE '"time_wait": [0-9]+' | head -1 | grep -oE '[0-9]+$')
start ports 120 40 -- 19 --speed max
if wait_for ports 'finished' 60 && [ -n "$tw_json" ] && [ "$tw_json" -gt 0 ] &&
	[ "$(screen ports | grep -cE "TIME_WAIT $tw_json  ports [0-9]+")" = 2 ]; then
	pass "lesson 19: TIME_WAIT $tw_json on the host line and the totals, as in --json"
else
	fail "lesson 19: TIME_WAIT (--json says ${tw_json:-nothing})" "$(screen ports)"
fi
keys ports q
