#!/bin/sh
# events.sh POOLSIM: `--events FILE` writes the event stream as JSON lines
# (docs/format.md, "Event records"), the same records the trace prints.
# Prints "events.sh: N passed, M failed" last.
set -u
bin=${1:?usage: events.sh POOLSIM}
case "$bin" in
	/*) ;;
	*) bin="$PWD/$bin" ;;
esac
cd "$(dirname "$0")/.." || exit 2
. tests/lib.sh

# count KIND FILE: records of that kind.
count() { grep -c "\"kind\":\"$1\"" "$2"; }

# 02: 100 requests in turn on one conn: one dial, 99 reused.
f=tests/scenarios/02-sequential-reuse.ini
"$bin" run $f --events "$tmp/02.jsonl" >/dev/null
"$bin" run $f --trace >"$tmp/02.trace"
if head -1 "$tmp/02.jsonl" | grep -q '^{"kind":"stream","format":"poolsim-events","version":1,"source":"sim",'; then ok; else
	ko "the first record is not the stream header: $(head -1 "$tmp/02.jsonl")"
fi
if sed -n 2p "$tmp/02.jsonl" | grep -q '"kind":"transport".*"IdleConnTimeout":"1m30s"' &&
	sed -n 3p "$tmp/02.jsonl" | grep -q '^{"kind":"host","host":0,"name":"api"}$'; then ok; else
	ko "transport and host records: $(sed -n 2,3p "$tmp/02.jsonl")"
fi
if [ "$(count req_start "$tmp/02.jsonl")" = 100 ] && [ "$(count dial_start "$tmp/02.jsonl")" = 1 ] &&
	[ "$(grep -c '"kind":"got_conn".*"reused"' "$tmp/02.jsonl")" = 99 ]; then ok; else
	ko "02: want 100 req_start, 1 dial_start, 99 reused got_conn"
fi
# One line per record: as many as the trace has lines, plus the three declarations.
records=$(grep -cE '^ *[0-9]+\.[0-9]{6}s ' "$tmp/02.trace")
if [ "$(wc -l <"$tmp/02.jsonl")" = "$((records + 3))" ]; then ok; else
	ko "02: $(wc -l <"$tmp/02.jsonl") lines for $records trace records"
fi
if tail -1 "$tmp/02.jsonl" | grep -q '"kind":"run_end".*"dropped":0}$'; then ok; else ko "the last record is not run_end"; fi

# 15: refused dials carry the reason and was_dialing; the same run twice is byte-identical.
f=tests/scenarios/15-down.ini
"$bin" run $f --events "$tmp/15a.jsonl" >/dev/null
"$bin" run $f --events "$tmp/15b.jsonl" >/dev/null
if grep -q '"kind":"conn_closed".*"reason":"error","cause":"connectionRefused","flags":\["was_dialing"\]' "$tmp/15a.jsonl"; then ok; else
	ko "15: no refused dial record"
fi
if cmp -s "$tmp/15a.jsonl" "$tmp/15b.jsonl"; then ok; else ko "15: two runs wrote different records"; fi

# A path that cannot be written is an input error, before the run.
"$bin" run $f --events /nonexistent/dir/x.jsonl >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" = 2 ] && grep -q -- "--events '/nonexistent/dir/x.jsonl': cannot open" "$tmp/err"; then ok; else
	ko "--events to a bad path: exit $rc: $(cat "$tmp/err")"
fi

finish events.sh
