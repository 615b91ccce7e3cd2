#!/bin/sh
# replay.sh POOLSIM: replay loads ([load NAME] replay = FILE). A generated CSV of
# 100,000 rows replays to the same arrival times (the trace's req_start times are
# the file's); replay_speed and start/stop; each kind of bad row is FILE:LINE, exit 2; an
# nginx log in end order replays in start order with its request times (replay_format =
# nginx), and gives the per-host counts of `import --format nginx`.
# Prints "replay.sh: N passed, M failed".
set -u
bin=${1:?usage: replay.sh POOLSIM}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac
cd "$(dirname "$0")/.." || exit 2
. tests/lib.sh

scenario() { # scenario FILE [EXTRA LOAD LINES]: a one-host scenario replaying FILE
	printf '[scenario]\nduration = 300s\n[transport]\nMaxIdleConnsPerHost = 200\n[host api]\n[load r]\nhost = api\nreplay = %s\n%s\n' "$1" "${2:-}"
}

# 100,000 rows, a start every 0.000137 s or so (integers of microseconds, so every time is
# exact in the trace's microseconds), each with its own service time.
awk 'BEGIN { print "start,service"; t = 0
	for (i = 1; i <= 100000; i++) { t += 100 + (i * 7919) % 75; printf "%d.%06d,%dus\n", t / 1000000, t % 1000000, 1000 + (i * 104729) % 9000 } }' >"$tmp/rows.csv"
scenario rows.csv >"$tmp/r.ini"
"$bin" run "$tmp/r.ini" --trace >"$tmp/trace" 2>"$tmp/err" || { ko "replay run failed"; cat "$tmp/err" >&2; }
awk '$4 == "req_start" { sub(/s$/, "", $1); print $1 }' "$tmp/trace" >"$tmp/got"
tail -n +2 "$tmp/rows.csv" | cut -d, -f1 >"$tmp/want"
if [ "$(wc -l <"$tmp/got")" -eq 100000 ] && cmp -s "$tmp/got" "$tmp/want"; then ok; else
	ko "req_start times differ from the file's ($(wc -l <"$tmp/got") starts)"; diff "$tmp/got" "$tmp/want" | head -5 >&2
fi
"$bin" run "$tmp/r.ini" --json >"$tmp/j" 2>&1
if grep -q '"requests": 100000, "ok": 100000' "$tmp/j" && grep -q '"replay_rows": 100000' "$tmp/j"; then ok; else ko "replay --json counts"; fi

# The row's own service time: 3 rows served in 5ms, 50ms, 500ms, so latency max 501 ms
# (one 1 ms dial each: the rows are 10 s apart, the conn is reused, only the first dials).
printf 'start,service,body\n0,5ms,close\n10,50ms,close\n20,500ms,close\n' >"$tmp/s.csv"
scenario s.csv >"$tmp/s.ini"
"$bin" run "$tmp/s.ini" --json >"$tmp/j" 2>&1
if grep -q '"max": 500.000}' "$tmp/j" && grep -q '"p50": 50.000' "$tmp/j"; then ok; else ko "replay service column"; grep latency "$tmp/j" >&2; fi

# replay_speed = 2 and the cut: rows at 0, 10, 20 s play at 0, 5, 10 s; start = 4s, stop =
# 9s keep only the one at 5 s.
scenario s.csv 'replay_speed = 2
start = 4s
stop = 9s' >"$tmp/c.ini"
"$bin" run "$tmp/c.ini" --trace >"$tmp/trace" 2>&1
if [ "$(awk '$4 == "req_start" { print $1 }' "$tmp/trace")" = "5.000000s" ]; then ok; else ko "replay_speed/start/stop"; fi

# Bad rows: each is reported as FILE:LINE, exit 2, before anything runs.
bad() { # bad NAME CONTENT EXPECTED-MESSAGE-PART
	printf '%b' "$2" >"$tmp/$1.csv"
	scenario "$1.csv" >"$tmp/$1.ini"
	"$bin" run "$tmp/$1.ini" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 2 ] && grep -q "$1.csv:$3" "$tmp/err"; then ok; else
		ko "bad row $1: exit $rc, $(cat "$tmp/err")"; fi
}
bad badtime 'start\n1.5\nsoon\n' "3: bad start 'soon'"
bad backwards 'start\n1.5\n2\n1.9\n' "4: start 1.9s goes back in time"
bad badservice 'start,service\n1,10ms\n2,fast\n' "3: bad service 'fast'"
bad missing 'start,service\n1,10ms\n2\n' "3: missing column 'service'"
bad binary 'start\n1\n\001\002\377garbage\n' "3: binary data"
bad noheader '1.5\n2\n' "1: the header names no 'start' column"
bad badbody 'start,body\n1,keep\n' "2: bad body 'keep'"

# Event records: a run's --events file replays to the same req_start times (lesson 3: 60
# requests in 3 bursts of 20 at 0, 1 s and 2 s).
"$bin" run scenarios/03-idle-per-host-default.ini --events "$tmp/ev.jsonl" >/dev/null 2>&1
printf '[scenario]\nduration = 3s\n[host api]\n[load r]\nhost = api\nreplay = ev.jsonl\n' >"$tmp/ev.ini"
"$bin" run scenarios/03-idle-per-host-default.ini --trace | awk '$4 == "req_start" { print $1 }' >"$tmp/a"
"$bin" run "$tmp/ev.ini" --trace | awk '$4 == "req_start" { print $1 }' >"$tmp/b"
if [ "$(wc -l <"$tmp/a")" -eq 60 ] && cmp -s "$tmp/a" "$tmp/b"; then ok; else ko "events replay: req_start times differ"; fi
printf '{"kind":"nope"}\n' >"$tmp/notev.jsonl"
printf '[scenario]\nduration = 3s\n[host api]\n[load r]\nhost = api\nreplay = notev.jsonl\n' >"$tmp/nev.ini"
"$bin" run "$tmp/nev.ini" >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "notev.jsonl:1: a JSON line, but not the header" "$tmp/err"; then ok; else ko "not an event file: exit $rc"; fi

# import: an nginx log with $msec (written at each request's end) and $request_time, two
# upstreams; the scenario it writes replays every request to its host: the run's per-host
# counts are the log's.
awk 'BEGIN { t = 1764600000.000
	for (i = 1; i <= 3000; i++) { t += 0.004 + (i % 7) * 0.001; rt = 0.005 + (i % 13) * 0.003
		up = (i % 10 < 3) ? "10.0.0.2:8080" : "10.0.0.1:8080"
		printf "127.0.0.1 - - [01/Dec/2026:21:00:00 +0000] \"GET /x HTTP/1.1\" 200 512 \"-\" \"go\" %.3f %.3f %s\n", t + rt, rt, up } }' >"$tmp/access.log"
fmt='$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent" $msec $request_time $upstream_addr'
mkdir "$tmp/imp"
if "$bin" import "$tmp/access.log" --format nginx --log-format "$fmt" --out "$tmp/imp/site.ini" >"$tmp/out" 2>&1; then ok; else ko "import failed"; cat "$tmp/out" >&2; fi
"$bin" run "$tmp/imp/site.ini" --json >"$tmp/j" 2>&1
want1=$(grep -c '10.0.0.1:8080$' "$tmp/access.log")
want2=$(grep -c '10.0.0.2:8080$' "$tmp/access.log")
if grep -q "\"10.0.0.1_8080\": {\"requests\": $want1," "$tmp/j" && grep -q "\"10.0.0.2_8080\": {\"requests\": $want2," "$tmp/j"; then ok; else
	ko "import: per-host requests are not the log's ($want1, $want2)"; grep requests "$tmp/j" | head -3 >&2; fi
if grep -q '^service_time = exp:' "$tmp/imp/site.ini"; then ok; else ko "import: no fitted service_time"; fi
printf '127.0.0.1 - - [x] "GET / HTTP/1.1" 200 1 "-" "go" 1764600000.1 0.01 a\n127.0.0.1 - - [x] "GET / HTTP/1.1" 200 1 "-" "go" soon 0.01 a\n' >"$tmp/bad.log"
"$bin" import "$tmp/bad.log" --format nginx --log-format "$fmt" --out "$tmp/imp/bad.ini" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" -eq 2 ] && grep -q "bad.log:2: bad \$msec 'soon'" "$tmp/out"; then ok; else ko "import of a bad line: exit $rc"; cat "$tmp/out" >&2; fi

# replay_format = nginx: a generated log of 20,000 requests written in END order ($msec is
# each one's end, $request_time its length, up to 1.2 s while they start 1-5 ms apart, so
# lines are far from start order), streamed through the reorder window: the req_start
# times are the requests' starts (msec - request_time, from the first), in order.
awk 'BEGIN { t = 0
	for (i = 1; i <= 20000; i++) { t += 1 + (i * 7919) % 5; rt = 1 + (i * 104729) % 1200
		printf "%d %d\n", t + rt, rt } }' | sort -n -s -k1,1 |
	awk '{ printf "10.0.0.9 - - [01/Dec/2026:21:00:00 +0000] \"GET /a HTTP/1.1\" 200 9 \"-\" \"go\" %d.%03d %d.%03d\n", 1764600000 + int($1 / 1000), $1 % 1000, int($2 / 1000), $2 % 1000 }' >"$tmp/end.log"
awk '{ printf "%d\n", int(($(NF - 1) - 1764600000) * 1000 + 0.5) - int($NF * 1000 + 0.5) }' "$tmp/end.log" |
	sort -n | awk 'NR == 1 { o = $1 } { d = $1 - o; printf "%d.%03d000\n", int(d / 1000), d % 1000 }' >"$tmp/want"
scenario end.log 'replay_format = nginx
replay_fields = 10,11' >"$tmp/n.ini"
"$bin" run "$tmp/n.ini" --trace >"$tmp/trace" 2>"$tmp/err" || { ko "nginx replay run failed"; cat "$tmp/err" >&2; }
awk '$4 == "req_start" { sub(/s$/, "", $1); print $1 }' "$tmp/trace" >"$tmp/got"
if [ "$(wc -l <"$tmp/got")" -eq 20000 ] && cmp -s "$tmp/got" "$tmp/want"; then ok; else
	ko "nginx: req_start times are not the log's starts ($(wc -l <"$tmp/got") starts)"; diff "$tmp/got" "$tmp/want" | head -5 >&2
fi
# The row's own service time is its request time: three requests 10 s apart served in 5 ms,
# 50 ms and 500 ms (written in end order, so the 500 ms one comes last), one 1 ms dial for
# the first: latency max 500 ms (the conn is reused), p50 50 ms. The log_format directive
# (as nginx.conf has it) names the fields; the format is not given, it is implied.
printf '1.1.1.1 [x] "GET / HTTP/1.1" 1764600000.005 0.005\n1.1.1.1 [x] "GET / HTTP/1.1" 1764600010.050 0.050\n1.1.1.1 [x] "GET / HTTP/1.1" 1764600020.500 0.500\n' >"$tmp/s.log"
scenario s.log "replay_log_format = log_format timed '\$remote_addr [\$time_local] \"\$request\" \$msec \$request_time';" >"$tmp/s.ini"
"$bin" run "$tmp/s.ini" --json >"$tmp/j" 2>&1
if grep -q '"max": 500.000}' "$tmp/j" && grep -q '"p50": 50.000' "$tmp/j" && grep -q '"replay_rows": 3, "replay_format": "nginx"' "$tmp/j"; then ok; else
	ko "nginx: per-request service times"; grep -E 'latency|replay' "$tmp/j" >&2; fi
# replay_speed and the cut work as for CSV: starts 0, 10, 20 s at speed 2 play at 0, 5,
# 10 s; start = 4s, stop = 9s keep the one at 5 s.
scenario s.log 'replay_fields = 4,5
replay_speed = 2
start = 4s
stop = 9s' >"$tmp/c.ini"
"$bin" run "$tmp/c.ini" --trace >"$tmp/trace" 2>&1
if [ "$(awk '$4 == "req_start" { print $1 }' "$tmp/trace")" = "5.000000s" ]; then ok; else ko "nginx: replay_speed/start/stop"; fi

# Bad nginx lines: FILE:LINE, exit 2. The window: a request started 1 s before one already
# released, with replay_window = 0s and 100 ms the longest request time so far.
nbad() { # nbad NAME CONTENT EXPECTED-MESSAGE-PART [EXTRA KEYS]
	printf '%b' "$2" >"$tmp/$1.log"
	scenario "$1.log" "replay_fields = 2,3
${4:-}" >"$tmp/$1.ini"
	"$bin" run "$tmp/$1.ini" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq 2 ] && grep -q "$1.log:$3" "$tmp/err"; then ok; else
		ko "bad nginx line $1: exit $rc, $(cat "$tmp/err")"; fi
}
nbad nbadtime 'a 1764600000.1 0.01\nb soon 0.01\n' "2: bad \$msec 'soon'"
nbad nbadrt 'a 1764600000.1 0.01\nb 1764600000.2 -\n' "2: bad request time '-'"
nbad nfields 'a 1764600000.1 0.01\nb 1764600000.2\n' "2: 2 fields, the \$msec/request time/host fields need 3"
nbad nbinary 'a 1764600000.1 0.01\n\001\002\377 garbage\n' "2: binary data"
nbad nmissing 'a 1764600000.1 0.01\n\n  \n' "3: 0 fields"
nbad nwindow 'a 1764600001.1 0.1\nb 1764600005.0 5.0\n' "2: this request started (at \$msec - request time) 1s before the one at line 1" 'replay_window = 0s'
printf 'a 1764600001.1 0.1\nb 1764600005.0 5.0\n' >"$tmp/w.log"
scenario w.log 'replay_fields = 2,3' >"$tmp/w.ini"
if "$bin" run "$tmp/w.ini" --trace 2>&1 | awk '$4 == "req_start" { printf "%s ", $1 }' | grep -qx '0.000000s 1.000000s '; then ok; else
	ko "nginx: the default 60 s window reorders a long request"; fi
scenario s.log 'replay_format = nginx' >"$tmp/k.ini"
"$bin" run "$tmp/k.ini" >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "k.ini:9: replay_format = nginx needs replay_fields" "$tmp/err"; then ok; else ko "nginx without fields: exit $rc, $(cat "$tmp/err")"; fi

# import --format nginx and replay_format = nginx read the same lines the same way: a
# scenario replaying access.log once per upstream (replay_upstream) gets import's per-host
# request counts.
printf '[scenario]\nduration = 60s\n' >"$tmp/imp/direct.ini"
for up in 10.0.0.1:8080 10.0.0.2:8080; do
	h=$(echo "$up" | tr ':' '_')
	printf '[host %s]\n[load %s]\nhost = %s\nreplay = ../access.log\nreplay_log_format = %s\nreplay_upstream = %s\n' "$h" "$h" "$h" "$fmt" "$up" >>"$tmp/imp/direct.ini"
done
"$bin" run "$tmp/imp/site.ini" --json >"$tmp/j" 2>&1
"$bin" run "$tmp/imp/direct.ini" --json >"$tmp/j2" 2>&1
for h in 10.0.0.1_8080 10.0.0.2_8080; do
	a=$(grep -o "\"$h\": {\"requests\": [0-9]*" "$tmp/j" | sed 's/.*: //')
	b=$(grep -o "\"$h\": {\"requests\": [0-9]*" "$tmp/j2" | sed 's/.*: //')
	if [ -n "$a" ] && [ "$a" = "$b" ]; then ok; else ko "import and replay_format = nginx differ for $h: '$a' vs '$b'"; fi
done

finish replay.sh
