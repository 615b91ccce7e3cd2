#!/bin/sh
# cli.sh POOLSIM: what the man page and the guide promise of the command line
# (issue #14, finding 8 and 9), each checked against the program's own output.
# Prints "cli.sh: N passed, M failed" last.
set -u
bin=${1:?usage: cli.sh POOLSIM}
case "$bin" in
	/*) ;;
	*) bin="$PWD/$bin" ;;
esac
cd "$(dirname "$0")/.." || exit 2
. tests/lib.sh

# --trace: every decision carries its rule id (man page: "with rule ids").
"$bin" run scenarios/03-idle-per-host-default.ini --trace >"$tmp/t3"
if grep -Eq 'conn_closed +P7 .*errTooManyIdleHost' "$tmp/t3"; then ok; else ko "trace: P7 missing on errTooManyIdleHost"; fi
if grep -Eq 'got_conn +G2c .*was_idle' "$tmp/t3"; then ok; else ko "trace: G2c missing on an idle reuse"; fi
"$bin" run scenarios/06-max-conns-per-host.ini --trace >"$tmp/t6"
if grep -Eq 'permit_wait +G4 ' "$tmp/t6"; then ok; else ko "trace: G4 missing on a permit wait"; fi
# HTTP/2 (#17): the trace marks h2 conns and names H rules; check warns that
# MaxIdleConnsPerHost has no effect on an h2 host, and only when the file sets it.
"$bin" run tests/scenarios/51-h2-burst-no-limit.ini --trace >"$tmp/th2" 2>&1
if grep -Eq 'got_conn +H4 .* h2' "$tmp/th2" && grep -Eq 'conn_closed +H3 .*h2ConnNotNeeded' "$tmp/th2"; then ok; else ko "trace: H4/H3 or the h2 mark missing"; fi
printf '[scenario]\nduration = 1s\n[transport]\nMaxIdleConnsPerHost = 10\n[host api]\ntls = true\nh2 = true\n[load l]\nhost = api\ncount = 1\n' >"$tmp/h2w.ini"
"$bin" check "$tmp/h2w.ini" >/dev/null 2>"$tmp/h2w.err"
if grep -q 'h2w.ini:4: MaxIdleConnsPerHost has no effect on an h2 host' "$tmp/h2w.err"; then ok; else ko "check: no MaxIdleConnsPerHost warning on an h2 host: $(cat "$tmp/h2w.err")"; fi
"$bin" check tests/scenarios/51-h2-burst-no-limit.ini >/dev/null 2>"$tmp/h2n.err"
if [ ! -s "$tmp/h2n.err" ]; then ok; else ko "check warns on an h2 file without MaxIdleConnsPerHost: $(cat "$tmp/h2n.err")"; fi
# StrictMaxConcurrentRequests (H5b) does nothing where no host speaks HTTP/2; check says so.
printf '[scenario]\nduration = 1s\n[transport]\nStrictMaxConcurrentRequests = true\n[host api]\ntls = true\n[load l]\nhost = api\ncount = 1\n' >"$tmp/s1.ini"
"$bin" check "$tmp/s1.ini" >/dev/null 2>"$tmp/s1.err"
if grep -q 's1.ini:4: StrictMaxConcurrentRequests has no effect: no host speaks HTTP/2' "$tmp/s1.err"; then ok; else ko "check: no StrictMaxConcurrentRequests warning without h2: $(cat "$tmp/s1.err")"; fi
"$bin" check tests/scenarios/55-h2-strict-max-concurrent-requests.ini >/dev/null 2>"$tmp/s2.err"
if [ ! -s "$tmp/s2.err" ]; then ok; else ko "check warns on StrictMaxConcurrentRequests with an h2 host: $(cat "$tmp/s2.err")"; fi

# check FILE...: every file is checked and every bad one reported; status 2 if any is bad.
printf '[scenario]\nduration = 1s\nbogus = 1\n' >"$tmp/bad1.ini"
printf '[scenario]\nduration = soon\n' >"$tmp/bad2.ini"
"$bin" check scenarios/01-keepalive-reuse.ini "$tmp/bad1.ini" "$tmp/bad2.ini" scenarios/02-idle-timeout.ini \
	>"$tmp/check.out" 2>"$tmp/check.err"
rc=$?
if [ "$rc" = 2 ]; then ok; else ko "check with bad files: exit $rc, want 2"; fi
if grep -q 'bad1.ini:3:' "$tmp/check.err" && grep -q 'bad2.ini:2:' "$tmp/check.err"; then ok; else
	ko "check: not every bad file reported: $(cat "$tmp/check.err")"
fi
if [ "$(grep -c ': ok:' "$tmp/check.out")" = 2 ]; then ok; else ko "check: the good files after a bad one were not checked"; fi
# ... and every problem of a file, not only its first.
printf '[scenario]\nduration = 1s\nbogus = 1\n[host a]\ndial_latency = soon\n[load l]\nhost = a\nworkers = 1\nwat = 2\n' >"$tmp/bad3.ini"
"$bin" check "$tmp/bad3.ini" >/dev/null 2>"$tmp/check3.err"
if grep -q 'bad3.ini:3: unknown key' "$tmp/check3.err" && grep -q 'bad3.ini:5: bad duration' "$tmp/check3.err" &&
	grep -q "bad3.ini:9: unknown key 'wat'" "$tmp/check3.err" && [ "$(wc -l <"$tmp/check3.err")" -eq 3 ]; then ok; else
	ko "check: not every problem of one file: $(cat "$tmp/check3.err")"
fi
"$bin" check scenarios/01-keepalive-reuse.ini scenarios/02-idle-timeout.ini >/dev/null 2>&1
rc=$?
if [ "$rc" = 0 ]; then ok; else ko "check of two good files: exit $rc"; fi

# A lesson number that does not exist says so.
"$bin" run 99 >/dev/null 2>"$tmp/99.err"
rc=$?
if [ "$rc" = 2 ] && grep -q 'no lesson 99' "$tmp/99.err"; then ok; else ko "run 99: exit $rc: $(cat "$tmp/99.err")"; fi

# --csv - is standard output (and the summary moves to stderr); no file named '-'.
(cd "$tmp" && "$bin" run "$OLDPWD/scenarios/03-idle-per-host-default.ini" --csv - --sample 1s >csv.out 2>csv.err)
if head -1 "$tmp/csv.out" | grep -q '^t,host,open' && [ ! -e "$tmp/-" ] &&
	! grep -q 'requests' "$tmp/csv.out" && grep -q '^requests' "$tmp/csv.err"; then ok; else
	ko "--csv -: stdout $(head -2 "$tmp/csv.out"), file '-' $( [ -e "$tmp/-" ] && echo exists)"
fi

# A --set change is echoed above the (file's own) title.
"$bin" run 3 --set MaxIdleConnsPerHost=20 >"$tmp/set.out"
if head -1 "$tmp/set.out" | grep -q 'changed on the command line: MaxIdleConnsPerHost=20'; then ok; else
	ko "--set not echoed: $(head -1 "$tmp/set.out")"
fi
"$bin" run 3 >"$tmp/noset.out"
if ! grep -q 'changed on the command line' "$tmp/noset.out"; then ok; else ko "an echo without --set"; fi

# No dangling colon, and no latency without a finished request (finding 9).
"$bin" run 9 >"$tmp/9.out"
if grep -q '^closed    0$' "$tmp/9.out"; then ok; else ko "closed 0 line: $(grep '^closed' "$tmp/9.out")"; fi
if grep -q '^latency   n/a' "$tmp/9.out"; then ok; else ko "lesson 9 latency: $(grep '^latency' "$tmp/9.out")"; fi

"$bin" run 10 >"$tmp/10.out"
if grep -q '^latency   n/a' "$tmp/10.out"; then ok; else ko "lesson 10 latency: $(grep '^latency' "$tmp/10.out")"; fi

# The man page and the program name the same options (finding 8: docs/poolsim.1 must match).
"$bin" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u >"$tmp/usage.opts"
sed 's/\\-/-/g' docs/poolsim.1 | grep -oE -- '--[a-z][a-z-]+' | sort -u >"$tmp/man.opts"
missing=$(comm -23 "$tmp/usage.opts" "$tmp/man.opts" | tr '\n' ' ')
extra=$(comm -13 "$tmp/usage.opts" "$tmp/man.opts" | tr '\n' ' ')
if [ -z "$missing" ]; then ok; else ko "options in --help but not in the man page: $missing"; fi
if [ -z "$extra" ]; then ok; else ko "options in the man page but not in --help: $extra"; fi

# README's capture of make demo (tools/capture-demo.sh, 160x48) has nothing cut (finding 4).
awk '/^```text$/{on=1; next} /^```$/{on=0} on' README.md >"$tmp/readme.cap"
if [ "$(wc -l <"$tmp/readme.cap")" -eq 48 ] && grep -q 'q quit$' "$tmp/readme.cap" &&
	grep -q 'cache and search are calm' "$tmp/readme.cap" &&
	[ "$(grep -oE 'ok [0-9]+ +failed [0-9]+' "$tmp/readme.cap" | wc -l)" -ge 6 ] &&
	! grep -qE 'max_idle_p($|[^e])|errTooManyIdl($|[^e])|pausing delays' "$tmp/readme.cap"; then ok; else
	ko "README's capture is not a whole 160x48 screen of the current dashboard"
fi

# The lessons' texts agree with their numbers and with each other (finding 9).
# demo.ini quotes api's dials and requests: the simulator's, exactly.
"$bin" run scenarios/demo.ini --json | tr -d '\n' | grep -oE '"api": \{"requests": [0-9]+, "dials": [0-9]+' >"$tmp/demo.api"
req=$(grep -oE '"requests": [0-9]+' "$tmp/demo.api" | grep -oE '[0-9]+')
dials=$(grep -oE '"dials": [0-9]+' "$tmp/demo.api" | grep -oE '[0-9]+')
if [ -n "$req" ] && grep -q "api: $dials\$" scenarios/demo.ini && grep -q "dials for $req requests ($(((200 * dials / req + 1) / 2))%" scenarios/demo.ini &&
	! grep -q 'most requests' scenarios/demo.ini; then ok; else
	ko "demo.ini's api numbers: the run has $dials dials for $req requests"
fi
# Lesson 2's title says the timeout is shorter than the think time, as its file sets them.
if grep -q '^name *= IdleConnTimeout 5 s is shorter than the 6 s think' scenarios/02-idle-timeout.ini &&
	grep -q '^IdleConnTimeout *= *5s' scenarios/02-idle-timeout.ini && grep -q '^think *= *6s' scenarios/02-idle-timeout.ini; then ok; else
	ko "lesson 2's title and settings disagree"
fi
# Lesson 14 says nginx keeps 75 s; lesson 17 must not call DefaultTransport's 90 s shorter.
if grep -q 'nginx' scenarios/14-server-idle-timeout.ini && grep -q 'LONGER than many servers' scenarios/17-high-load-settings.ini &&
	! grep -q "shorter *$" scenarios/17-high-load-settings.ini; then ok; else ko "lessons 14 and 17 disagree on 90 s"; fi

finish cli.sh
