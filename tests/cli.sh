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

finish cli.sh
