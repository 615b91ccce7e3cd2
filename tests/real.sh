#!/bin/sh
# real.sh POOLSIM: real mode against the simulator, and real mode under faults.
# Each run is short (scaled with --time-scale) and talks to 127.0.0.1 only.
# Prints "N passed, M failed" last.
set -u
bin=${1:?usage: real.sh POOLSIM}
. "$(dirname "$0")/lib.sh"

# row FILE NAME: the "verdict" of row NAME in compare --json output FILE.
row() { grep "\"name\": \"$2\"" "$1" | sed 's/.*"verdict": "\([a-zA-Z]*\)".*/\1/'; }
# row_value FILE NAME SIDE: the whole-number "sim" or "real" value of row NAME.
row_value() { grep "\"name\": \"$2\"" "$1" | sed "s/.*\"$3\": \([0-9]*\).*/\1/"; }

# agree FILE SCALE WANT: compare FILE at SCALE; dials, reused and peak_open (or the rows named
# in $ROWS) must have a verdict among WANT ("same", or "same close"). Real timing can lose a
# sub-millisecond race on a busy machine, so a mismatch is run once more before it counts; a
# retry that passes says so.
agree() {
	for attempt in 1 2; do
		timeout -k 5 30 "$bin" compare "$1" --json --time-scale "$2" >"$tmp/c.json" 2>"$tmp/c.err"
		bad=""
		for name in ${ROWS:-dials reused peak_open}; do
			v=$(row "$tmp/c.json" "$name")
			case " $3 " in
			*" $v "*) ;;
			*) bad="$bad $name=${v:-missing}" ;;
			esac
		done
		if [ -z "$bad" ]; then
			[ "$attempt" = 2 ] && echo "note: $1 agreed on its second run" >&2
			ok
			return
		fi
	done
	ko "$1 at scale $2:$bad"
	grep -E '"name": "(dials|reused|peak_open)"' "$tmp/c.json" >&2
	cat "$tmp/c.err" >&2
}

# 1. Sim and real agree exactly on dials, reused and peak_open (well-separated timing).
agree tests/scenarios/02-sequential-reuse.ini 0.1 same
agree tests/scenarios/01-two-bursts.ini 0.5 same
agree tests/scenarios/04-max-conns-per-host.ini 0.2 same
agree tests/scenarios/03-idle-timeout.ini 0.1 same
agree tests/scenarios/09-server-idle-timeout.ini 0.1 same
agree tests/scenarios/13-early-close.ini 0.2 same
agree tests/scenarios/24-replay-own-service.ini 0.5 same # rows' own service times reach the servers
agree tests/scenarios/25-replay-beside-workers.ini 1 same # and a workers load beside keeps its host's

# 1b. The lessons whose timing is well separated teach the same numbers on real sockets.
#     (13 is left out: its 20 TLS handshakes at once queue on the server's CPU, so some
#     requests are served by late binding in real mode; 17 is random high load; 16 may be
#     close rather than the same: its restart falls 1 ms from the end of a round; 19 fills
#     the ephemeral port range, which loopback's tcp_tw_reuse never lets fill, and 20
#     replays 7,600 TLS requests: too heavy for a loopback check.)
for f in scenarios/[0-9][0-9]-*.ini; do
	case "$f" in
	*/13-*|*/17-*|*/19-*|*/20-*|*/21-*) continue ;; # 21: its 10 ms race window is 1 ms here (1d runs the race)
	*/16-*|*/22-*) want="same close" ;; # 22: a slower real round trims a few requests
	*) want="same" ;;
	esac
	d=$(sed -n 's/^duration *= *\([0-9.]*\)s$/\1/p' "$f" | head -1)
	[ -n "$d" ] || continue
	# 26: 10 think-0 workers on 4-stream conns for 900 ms: its reused counts rounds, and a real
	# round (a loopback TLS exchange between two threads) is a few percent slower than 10 ms,
	# in HTTP/1.1 as in HTTP/2; its conns are what the test is about.
	case "$f" in */26-*) rows="dials peak_open" ;; *) rows="" ;; esac
	ROWS=$rows agree "$f" "$(awk -v v="$d" 'BEGIN { s = 3 / v; if (s > 1) s = 1; printf "%.3f", s }')" "$want"
done

# 1c. Same-instant order on real sockets (#12): 30 think-0 workers, random service times, an
#     idle cap of 2. Each completion (put + that worker's next request) is carried out before
#     the next ready socket is read, so real mode dials what the simulator does (30; Go 1.19:
#     30-49), not the 132-159 of pooling a whole poll's responses first. A count, not a timing:
#     real dials stay within 1.5x the simulator's, and compare agrees on dials/reused/peak_open.
agree tests/real/thirty-workers-random.ini 1 "same close"
sim_dials=$(row_value "$tmp/c.json" dials sim)
real_dials=$(row_value "$tmp/c.json" dials real)
if [ -n "$sim_dials" ] && [ -n "$real_dials" ] && [ "$real_dials" -le $((sim_dials * 3 / 2)) ]; then ok; else
	ko "30 random workers: real mode dials ${real_dials:-?}, more than 1.5x the simulator's ${sim_dials:-?}"; fi
for f in tests/scenarios/16-*.ini tests/scenarios/17-*.ini tests/scenarios/18-*.ini \
	tests/scenarios/19-*.ini; do
	agree "$f" 1 same # the four tie workloads: real sockets dial what Go and the simulator do
done

# 1d. The stale-connection race on real sockets (#20, [host] rtt): scenario 30's think is 5ms
#     short of the server's idle timeout, so each request leaves in the middle of the 10ms
#     window in which the server has closed and its FIN is not yet in. Every reused GET is lost
#     and retried: 3 retries. At full scale (the window is the whole 10ms), up to three tries:
#     a scheduling stall of a few ms on a loaded machine can move a request out of the window.
race_ok=""
for attempt in 1 2 3; do
	timeout -k 5 30 "$bin" real tests/scenarios/30-rtt-stale-conn-get.ini --time-scale 1 \
		>"$tmp/race.out" 2>&1
	if grep -q "requests  4: ok 4, failed 0, unfinished 0, retried 3" "$tmp/race.out"; then race_ok=1; break; fi
done
if [ -n "$race_ok" ]; then ok; else ko "real stale-conn race: not 4 ok with 3 retries"; cat "$tmp/race.out" >&2; fi
#     The same race with POSTs (scenario 31): not replayable, so the two reused ones fail.
race_ok=""
for attempt in 1 2 3; do
	timeout -k 5 30 "$bin" real tests/scenarios/31-rtt-stale-conn-post.ini --time-scale 1 \
		>"$tmp/race.out" 2>&1
	if grep -q "requests  4: ok 2, failed 2, unfinished 0, retried 0" "$tmp/race.out"; then race_ok=1; break; fi
done
if [ -n "$race_ok" ]; then ok; else ko "real stale-conn race, POST: not 2 ok, 2 failed"; cat "$tmp/race.out" >&2; fi
#     The race at its tie (scenario 38: think = the server's idle timeout, the request leaves at
#     the instant the FIN arrives): real mode draws each tie from the host's tie stream as the
#     simulator does (sim/real/realnet_tie.c), so a seed's counts are the simulator's, exactly
#     (compare's rows allow 1 either way): seed 1 has all three outcomes (its scenario comment),
#     seed 4 two failed POSTs. One rerun, like agree().
for seed in 1 4; do
	want=$("$bin" run tests/scenarios/38-rtt-stale-conn-tie.ini --seed $seed | grep '^requests')
	tie_ok=""
	for attempt in 1 2; do
		timeout -k 5 30 "$bin" real tests/scenarios/38-rtt-stale-conn-tie.ini --seed $seed \
			--time-scale 0.2 >"$tmp/tie.out" 2>&1
		if [ -n "$want" ] && grep -qx "$want" "$tmp/tie.out"; then tie_ok=1; break; fi
	done
	if [ -n "$tie_ok" ]; then ok; else ko "real stale-conn tie, seed $seed: not the simulator's '$want'"; cat "$tmp/tie.out" >&2; fi
done

# 1e. The client's actions and the misbehaving servers (#20) on real sockets: CloseIdleConnections
#     then a return (33), a cancel in the dial (34), Request.Close (35), a 408 on an idle conn
#     (36), keep-alive then hang-up (37): the same dials, reuse and peak as the simulator.
for f in tests/scenarios/3[3-7]-*.ini; do
	agree "$f" 1 same
done

# 1f. HTTP/2 on real sockets (#17): the loopback servers speak h2 by ALPN (libnghttp2), the
#     client opens streams through the same pool. The h2 scenario tests give the
#     simulator's (and Go's) counts on real sockets: one conn under MaxConnsPerHost 1 (50),
#     10 dials and 9 unneeded conns closed without it (51), a second conn past 250 streams
#     (52), an idle conn timed out (53), a restart failing 5 streams (54), a request waiting
#     for a stream under StrictMaxConcurrentRequests (55), replay rows whose own service
#     times reach the server as a stream header (56), and the server's idle GOAWAY with its
#     close a second later, a new conn dialed beside the retired one (57), a cold burst of
#     150 on one conn past Go's 100-stream window before SETTINGS (58).
for f in tests/scenarios/5[0-8]-h2-*.ini; do
	ROWS="requests ok failed dials reused peak_open closed" agree "$f" 0.5 same
done
#     Waiters handed a ticket leave the permit queue, each H5a retry dialing afresh (60): its
#     three dials finish at one instant, in whatever order the sockets' events come, as Go's
#     goroutines do (the file's comment: Go itself gives reused 0-1, peak_open 5-7); on real
#     sockets 10 runs gave reused 0-1, peak_open 6-7, closed 1-3, and always 5 ok in 7 dials.
ROWS="requests ok failed dials" agree tests/scenarios/60-h2-ticket-waiters-leave-permit-queue.ini 0.5 same
#     The kernel's view of 50: one ESTABLISHED socket carries all 10 requests.
h2_ok=""
for attempt in 1 2; do
	timeout -k 5 30 "$bin" real tests/scenarios/50-h2-max-conns-per-host-1.ini --json \
		--time-scale 0.5 >"$tmp/h2.json" 2>&1
	est=$(grep -o '"peak_established": [0-9]*' "$tmp/h2.json" | head -1 | grep -o '[0-9]*$')
	if [ "${est:-0}" -eq 1 ] && grep -q '"ok": 10' "$tmp/h2.json"; then h2_ok=1; break; fi
done
if [ -n "$h2_ok" ]; then ok; else ko "h2 MaxConnsPerHost 1: peak_established ${est:-none} (want 1)"; fi
#     ForceAttemptHTTP2 off (H1): the client offers no h2, and the same h2 server falls back to
#     HTTP/1.1 by ALPN; a side speaking the wrong protocol would fail every request.
sed 's/^MaxConnsPerHost = 1$/MaxConnsPerHost = 1\nForceAttemptHTTP2 = false/' \
	tests/scenarios/50-h2-max-conns-per-host-1.ini >"$tmp/h1-on-h2.ini"
timeout -k 5 30 "$bin" real "$tmp/h1-on-h2.ini" --json --time-scale 0.5 >"$tmp/h1.json" 2>&1
if grep -q '"ok": 10' "$tmp/h1.json" && grep -q '"dials": 1,' "$tmp/h1.json" &&
	grep -q '"reused": 9' "$tmp/h1.json"; then ok; else
	ko "h2 server, ForceAttemptHTTP2 false: not 10 ok over HTTP/1.1 on 1 conn"; cat "$tmp/h1.json" >&2; fi

# 2. No leaked descriptors: /proc/self/fd of a run is what it was before (checked inside the
#    Check suite too); here: the process's own count at the end of the kernel view equals
#    its count at the start, i.e. fds_end is the baseline.
timeout -k 5 20 "$bin" real tests/scenarios/01-two-bursts.ini --json --time-scale 0.1 >"$tmp/r.json" 2>&1
if grep -q '"kernel"' "$tmp/r.json"; then ok; else ko "real --json has no kernel object"; fi

# 2a. The kernel view misses no burst (issue #14, finding 5): lesson 3 opens 20 conns at once
#     for about 10 ms, three times; every run's peak ESTABLISHED is those 20 (taken at each
#     connect from the kernel's own socket states), and its peak fds holds both ends of them.
for run in 1 2 3; do
	timeout -k 5 30 "$bin" real scenarios/03-idle-per-host-default.ini --json >"$tmp/k.json" 2>&1
	est=$(grep -o '"peak_established": [0-9]*' "$tmp/k.json" | grep -o '[0-9]*$')
	fds=$(grep -o '"peak_fds": [0-9]*' "$tmp/k.json" | grep -o '[0-9]*$')
	if [ "${est:-0}" -eq 20 ] && [ "${fds:-0}" -ge 40 ]; then ok; else
		ko "lesson 3 run $run: peak_established ${est:-none} (want 20), peak_fds ${fds:-none} (want >= 40)"
	fi
done

# 2b. The same sinks as the simulator: --csv and --trace on a real run.
timeout -k 5 20 "$bin" real tests/scenarios/02-sequential-reuse.ini --time-scale 0.1 --csv "$tmp/r.csv" --sample 1s --trace >"$tmp/r.trace" 2>&1
if [ "$(head -1 "$tmp/r.csv")" = "t,host,open,active,idle,dialing,waiting,dials,closed,time_wait" ] && [ "$(wc -l <"$tmp/r.csv")" -eq 12 ]; then ok; else ko "real --csv"; fi
if grep -q "got_conn .*reused" "$tmp/r.trace" && grep -q "kernel_sample" "$tmp/r.trace"; then ok; else ko "real --trace lacks got_conn or kernel_sample lines"; fi

# 3. Faults end in counted failures and a clean exit, never a crash or a hang.
expect_clean() { # DESCRIPTION TIMEOUT CMD...
	what=$1; limit=$2; shift 2
	timeout "$limit" "$@" >"$tmp/f.out" 2>"$tmp/f.err"
	rc=$?
	if [ "$rc" -eq 0 ]; then ok; else ko "$what: exit $rc"; tail -5 "$tmp/f.err" >&2; fi
}
expect_clean "restart event" 20 "$bin" real tests/scenarios/11-restart-retry.ini --time-scale 0.5
if grep -q "failed 1" "$tmp/f.out"; then ok; else ko "restart: expected exactly 1 failed request"; cat "$tmp/f.out" >&2; fi
expect_clean "down event" 20 "$bin" real tests/scenarios/15-down.ini --time-scale 0.3
if grep -q "failed 2" "$tmp/f.out"; then ok; else ko "down: expected 2 failed requests"; cat "$tmp/f.out" >&2; fi
expect_clean "silent server" 20 "$bin" real tests/real/silent-server.ini --time-scale 0.5
if grep -q "ok 0, failed [1-9]" "$tmp/f.out"; then ok; else ko "silent server: expected only failures"; cat "$tmp/f.out" >&2; fi
expect_clean "ulimit -n 64, 200 conns" 30 sh -c "ulimit -n 64 && exec \"$bin\" real tests/real/many-conns.ini --time-scale 0.5"
if grep -q "out of file descriptors" "$tmp/f.err" && grep -q "failed [1-9]" "$tmp/f.out"; then ok; else
	ko "fd limit: expected failures explained as out of file descriptors"; cat "$tmp/f.out" "$tmp/f.err" >&2; fi

# 4. SIGINT ends a real run cleanly with a summary and exit 130.
"$bin" real tests/scenarios/03-idle-timeout.ini --time-scale 1 >"$tmp/i.out" 2>"$tmp/i.err" &
pid=$!
sleep 1
kill -INT "$pid"
wait "$pid"
rc=$?
if [ "$rc" -eq 130 ] && grep -q interrupted "$tmp/i.err" && grep -q requests "$tmp/i.out"; then ok; else ko "SIGINT: exit $rc"; cat "$tmp/i.err" >&2; fi

# 5. Valgrind finds no leak on a TLS run (when valgrind is installed). At time scale 5, so
#    that the handshakes finish under valgrind's slowdown and the run is the one the leak
#    check is about: all 60 requests ended (none unfinished), over at least 3 TLS conns.
if command -v valgrind >/dev/null 2>&1; then
	if timeout -k 5 300 valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=3 \
		"$bin" real tests/real/tls-small.ini --time-scale 5 --json >"$tmp/v.out" 2>"$tmp/v.err"; then ok; else
		ko "valgrind on a TLS real run"; tail -30 "$tmp/v.err" >&2; fi
	tls=$(grep -o '"tls_handshakes": [0-9]*' "$tmp/v.out" | head -1 | grep -o '[0-9]*$')
	if grep -q '"requests": 60, "ok": [0-9]*, "failed": [0-9]*, "unfinished": 0' "$tmp/v.out" &&
		[ "${tls:-0}" -ge 3 ]; then ok; else
		ko "valgrind's TLS run did not do its work (60 requests ended, >= 3 handshakes)"; sed -n 4,6p "$tmp/v.out" >&2; fi
fi

# TIME_WAIT: lesson 3 closes 54 conns from the client side (P7: 18 per burst), all within
# its 3 s, so 54 sit in TIME_WAIT at the end in the simulator (core/timewait.h) and in the
# kernel; compare must say they agree within 10% (one rerun, like agree()).
tw_ok=no
for try in 1 2; do
	timeout -k 5 60 "$bin" compare scenarios/03-idle-per-host-default.ini >"$tmp/tw.out" 2>&1
	if grep -q '^TIME_WAIT at the end: sim 54, kernel [0-9]*: agree' "$tmp/tw.out"; then tw_ok=yes; break; fi
done
if [ "$tw_ok" = yes ]; then ok; else ko "compare lesson 3: TIME_WAIT not within 10%"; grep TIME_WAIT "$tmp/tw.out" >&2; fi
finish real.sh
