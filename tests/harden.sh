#!/bin/sh
# harden.sh POOLSIM: the attacks of issue #18, each a regression test: a
# hostile file name for compare --go, signals at random moments, FIFOs,
# closed and full outputs, descriptor limits, extreme values.
# Every run is bounded by `timeout`; real sockets talk to 127.0.0.1 only.
# Prints "harden: N passed, M failed" last.
set -u
case ${1:?usage: harden.sh POOLSIM} in
/*) bin=$1 ;;
*) bin=$(pwd)/$1 ;;
esac
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
tiny=$here/harden/tiny.ini

# expect_rc WANT NAME CMD...: CMD exits with WANT.
expect_rc() {
	want=$1 name=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else ko "$name: exit $got, want $want: $(head -c 300 "$tmp/err")"; fi
}

# expect_err PATTERN NAME: the last command's stderr matches PATTERN (grep -E).
expect_err() {
	if grep -Eq -- "$1" "$tmp/err"; then ok; else ko "$2: stderr lacks /$1/: $(head -c 300 "$tmp/err")"; fi
}

# ---- 1. compare --go: the oracle gets the path as one argument, never through a shell.
cat >"$tmp/fake-oracle" <<'ORACLE'
#!/bin/sh
for a in "$@"; do printf '%s\n' "$a"; done >"$FAKE_ARGS"
[ -n "${FAKE_SILENT:-}" ] && exit 0
echo '{"totals": {"requests": 1, "ok": 1}}'
ORACLE
chmod +x "$tmp/fake-oracle"
mkdir "$tmp/inj" && cd "$tmp/inj" || exit 2
evil="q'\$(id>PWNED)'.ini"
cp "$tiny" "$evil"
FAKE_ARGS=$tmp/args POOLSIM_ORACLE=$tmp/fake-oracle "$bin" compare --go "$evil" \
	--time-scale 0.2 >"$tmp/out" 2>"$tmp/err"
if [ -e PWNED ]; then ko "compare --go ran a shell on the file name"; else ok; fi
if [ "$(sed -n 3p "$tmp/args")" = "$evil" ]; then ok; else ko "the oracle got '$(sed -n 3p "$tmp/args")'"; fi
# A file named like a flag reaches the oracle as a path, not an option.
cp "$tiny" -- "-x.ini"
FAKE_ARGS=$tmp/args POOLSIM_ORACLE=$tmp/fake-oracle "$bin" compare --go -- "-x.ini" \
	--time-scale 0.2 >/dev/null 2>&1
if [ "$(sed -n 3p "$tmp/args")" = "./-x.ini" ]; then ok; else ko "a dash file reached the oracle as '$(sed -n 3p "$tmp/args")'"; fi
cd "$here/.." || exit 2
# A path longer than 255 bytes reaches the oracle whole.
long=$tmp
for i in 1 2 3 4 5 6; do long=$long/directory-number-$i-with-a-long-name-to-pass-255-bytes; done
mkdir -p "$long" && cp "$tiny" "$long/s.ini"
FAKE_ARGS=$tmp/args POOLSIM_ORACLE=$tmp/fake-oracle "$bin" compare --go "$long/s.ini" \
	--time-scale 0.2 >/dev/null 2>&1
if [ "$(sed -n 3p "$tmp/args")" = "$long/s.ini" ]; then ok; else ko "a long path was cut: '$(sed -n 3p "$tmp/args")'"; fi
# An oracle that prints nothing is a failure with a message, not a column of "-".
FAKE_SILENT=1 FAKE_ARGS=$tmp/args POOLSIM_ORACLE=$tmp/fake-oracle \
	expect_rc 1 "silent oracle" "$bin" compare --go "$tiny" --time-scale 0.2
expect_err "printed no summary" "silent oracle"
POOLSIM_ORACLE=$tmp/absent expect_rc 2 "missing oracle" "$bin" compare --go "$tiny" --time-scale 0.2
expect_err "no Go oracle at" "missing oracle"
# A path too long for the system is refused with its own message.
huge=$(printf '%05000d' 0).ini
expect_rc 2 "path too long" "$bin" check "$huge"
expect_err "path is 5004 bytes long" "path too long"

# ---- 3, 4. Progress: a rate far below 1/duration is one request, not a 1 ns gap.
expect_rc 0 "tiny rate" "$bin" run "$here/harden/tiny-rate.ini" --json
if grep -q '"requests": 1,' "$tmp/out"; then ok; else ko "tiny rate: $(grep requests "$tmp/out" | head -1)"; fi

# ---- 10. --seed: digits only, within the file's range.
expect_rc 2 "seed with a space" "$bin" run "$tiny" --seed ' -5'
expect_rc 2 "seed past 2^63-1" "$bin" run "$tiny" --seed 9223372036854775808
expect_rc 0 "seed 2^63-1" "$bin" run "$tiny" --seed 9223372036854775807

# ---- 5. Every live-limit stop says so: exit 1, a message, JSON "stopped". Heavy (0.5 GB, and
# minutes in a build that checks invariants after every record): HARDEN_HEAVY=0 skips it.
if [ "${HARDEN_HEAVY:-1}" = 1 ]; then
	for cmd in run real; do
		f=$here/limits/flood.ini
		[ "$cmd" = real ] && f=$here/harden/real-flood.ini
		expect_rc 1 "$cmd at the live limit" timeout -k 5 120 "$bin" $cmd "$f" --json
		expect_err "stopped at .*more than 4000000 requests and conns" "$cmd at the live limit"
		if grep -q '"stopped": "live_limit"' "$tmp/out"; then ok; else ko "$cmd live limit: no \"stopped\" in the JSON"; fi
	done
fi

# ---- 7. A FIFO as the scenario, or among the lessons, is refused at once, never waited on.
mkfifo "$tmp/fifo.ini"
for cmd in check run real; do
	expect_rc 2 "$cmd FIFO" timeout -k 2 5 "$bin" $cmd "$tmp/fifo.ini"
	expect_err "not a regular file" "$cmd FIFO"
done
mkdir "$tmp/lessons" && cp "$tiny" "$tmp/lessons/01-tiny.ini" && mkfifo "$tmp/lessons/02-fifo.ini"
POOLSIM_SCENARIOS=$tmp/lessons expect_rc 0 "lessons with a FIFO" timeout -k 2 5 "$bin" lessons
if grep -q "02-fifo.ini.*not a regular file" "$tmp/out"; then ok; else ko "lessons FIFO: $(cat "$tmp/out")"; fi
expect_rc 2 "lessons extra" "$bin" lessons extra
expect_err "takes no argument" "lessons extra"

# ---- 8. Every write checked; output files opened before the run; fds 0-2 never reused.
expect_rc 1 "json to /dev/full" sh -c '"$1" run "$2" --json >/dev/full' sh "$bin" "$tiny"
expect_err "cannot write to standard output: No space left" "json to /dev/full"
expect_rc 1 "stdout closed" sh -c '"$1" run "$2" --json >&-' sh "$bin" "$tiny"
expect_err "cannot write to standard output" "stdout closed"
rm -f "$tmp/o.csv"
expect_rc 1 "csv with stdout closed" sh -c '"$1" run "$2" --csv "$3" --trace >&-' sh "$bin" "$tiny" "$tmp/o.csv"
if grep -q "dial_start\|DIAL\|GetConn" "$tmp/o.csv"; then ko "the trace landed in the CSV"; else ok; fi
if head -1 "$tmp/o.csv" | grep -q '^t,host'; then ok; else ko "the CSV lost its header: $(head -1 "$tmp/o.csv")"; fi
expect_rc 1 "real with stdout closed" sh -c '"$1" real "$2" --time-scale 0.2 >&-' sh "$bin" "$tiny"
expect_rc 1 "csv to /dev/full" "$bin" run "$tiny" --csv /dev/full
expect_err "--csv '/dev/full': the write failed" "csv to /dev/full"
expect_rc 1 "plot to /dev/full" "$bin" run "$tiny" --plot /dev/full
expect_err "--plot '/dev/full': the write failed" "plot to /dev/full"
# A bad output path is refused before the run: the day-long scenario would take minutes.
printf '[scenario]\nduration = 86400s\n[host a]\n[load w]\nhost = a\nworkers = 50\n' >"$tmp/day.ini"
expect_rc 2 "plot to a folder" timeout -k 2 5 "$bin" run "$tmp/day.ini" --plot /
expect_err "--plot '/': cannot open for writing: Is a directory" "plot to a folder"
expect_rc 2 "csv ''" timeout -k 2 5 "$bin" run "$tmp/day.ini" --csv ''
expect_err "--csv '': cannot open for writing: the path is empty" "csv ''"

# ---- fd limits: a clear message, never a negative errno or a crash.
for n in 5 6; do
	expect_rc 1 "ulimit -n $n" sh -c 'ulimit -n "$1" && shift && exec "$@"' sh "$n" "$bin" real "$tiny" --time-scale 0.2
	expect_err "cannot start the loopback servers: Too many open files" "ulimit -n $n"
done

# ---- 2. Out of descriptors, requests failing as fast as the progress rule allows: Ctrl-C
# still ends real mode at once (it once spun in on_dial -> socket() for 12 minutes).
printf '[scenario]\nduration = 60s\n[host a]\nservice_time = 0\ndial_latency = 0\n[load w]\nhost = a\nworkers = 4\nthink = 1us\n' >"$tmp/spin.ini"
sh -c 'ulimit -n 12 && exec "$@"' sh "$bin" real "$tmp/spin.ini" --json >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 0.5
kill -INT $pid
i=0
while kill -0 $pid 2>/dev/null && [ $i -lt 100 ]; do sleep 0.01; i=$((i + 1)); done
if kill -0 $pid 2>/dev/null; then
	kill -KILL $pid
	ko "real out of fds: still running 1 s after SIGINT"
fi
wait $pid
rc=$?
if [ $rc -eq 130 ] && grep -q '"stopped": "interrupted"' "$tmp/out"; then ok; else ko "real out of fds: exit $rc: $(head -c 300 "$tmp/err")"; fi

# ---- 10. A file name with ESC, BEL and byte 0xFF: escaped in JSON, visible in text.
weird=$tmp/$(printf 'e\033[31m\007x\377')
cp "$tiny" "$weird.ini"
expect_rc 0 "weird name, json" "$bin" run "$weird.ini" --json
if python3 -c 'import json,sys; json.load(open(sys.argv[1], encoding="utf-8"))' "$tmp/out" 2>/dev/null; then ok; else ko "the JSON is not valid UTF-8 JSON: $(head -c 200 "$tmp/out" | od -c | head -3)"; fi
if grep -q '"scenario": "e\\\\x1b\[31m\\\\x07x\\ufffd\|"scenario": "e\\\\x1b\[31m\\\\x07x' "$tmp/out"; then ok; else ko "title: $(grep scenario "$tmp/out")"; fi
for cmd in run check; do
	"$bin" $cmd "$weird.ini" >"$tmp/out" 2>&1
	if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177\377]')" "$tmp/out"; then ko "$cmd prints raw control or invalid bytes"; else ok; fi
done
printf '[scenario]\nduration = 1s\n' >"$weird-bad.ini"
"$bin" check "$weird-bad.ini" >"$tmp/out" 2>&1
if LC_ALL=C grep -q "$(printf '[\001-\010\013-\037\177\377]')" "$tmp/out"; then ko "an error message prints the raw name"; else ok; fi

# ---- 10. --sample has a bound: at most 1,000,000 rows per host.
expect_rc 2 "sample 1ns" "$bin" run "$tiny" --csv "$tmp/s.csv" --sample 1ns
expect_err "at most 1000000 \(a --sample of 200ns or more\)" "sample 1ns"

finish harden
