#!/bin/sh
# oracle-build.sh POOLSIM: `compare --go` finds the toolchain of the file's Go
# release, builds the oracle with it beside the binary when it is missing or
# older than tests/oracle's sources, and never when it is fresh; a release
# without a toolchain is "not checkable" (exit 2), never a pass. No real Go is
# needed: a fake `go` (a shell script in a temporary tree) records how it was
# called and "builds" a fake oracle. Prints "oracle-build: N passed, M failed".
set -u
case ${1:?usage: oracle-build.sh POOLSIM} in
/*) bin=$1 ;;
*) bin=$(pwd)/$1 ;;
esac
. "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
tiny=$here/harden/tiny.ini

# A tree like the source tree: build/poolsim and tests/oracle/{go.mod,main.go}.
mkdir -p "$tmp/tree/build" "$tmp/tree/tests/oracle"
cp "$bin" "$tmp/tree/build/poolsim"
echo "module poolsim/oracle" >"$tmp/tree/tests/oracle/go.mod"
echo "package main" >"$tmp/tree/tests/oracle/main.go"
touch -d '2020-01-01' "$tmp/tree/tests/oracle/go.mod" "$tmp/tree/tests/oracle/main.go"
poolsim=$tmp/tree/build/poolsim

# fake-go VERSION: `env GOVERSION` prints it; `build -o OUT .` writes an oracle
# that prints a summary, and logs its argv, working folder and Go settings.
fake_go() {
	cat >"$tmp/go$1" <<EOF
#!/bin/sh
if [ "\$1" = env ]; then echo "go$1.8"; exit 0; fi
echo "\$* | \$(pwd) | \$GOTOOLCHAIN \$GOPROXY \$GOFLAGS" >>"$tmp/builds"
cat >"\$3" <<'ORACLE'
#!/bin/sh
echo "\$*" >"$tmp/oracle-args"
echo '{"totals": {"requests": 1, "ok": 1, "dials": 1}}'
ORACLE
chmod +x "\$3"
EOF
	chmod +x "$tmp/go$1"
}
fake_go 1.19
fake_go 1.27

# run_compare NAME WANT_RC ARGS...: poolsim compare --go ARGS on the tiny file.
# The fake oracle's numbers are not the simulator's: a run that got as far as
# the Go column exits 1 (mismatch) and prints "sim vs go".
run_compare() {
	name=$1 want=$2
	shift 2
	timeout -k 5 60 "$poolsim" compare --go "$@" --time-scale 0.2 "$tiny" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -eq "$want" ]; then ok; else ko "$name: exit $got, want $want: $(head -c 300 "$tmp/err")"; fi
}
builds() { [ -e "$tmp/builds" ] && wc -l <"$tmp/builds" || echo 0; }

# 1. Missing: built with Go 1.19's toolchain, in tests/oracle, with no download possible.
GO119=$tmp/go1.19 run_compare "first 1.19 run" 1 --go=1.19
grep -q "sim vs go" "$tmp/out" && ok || ko "no Go column: $(head -c 300 "$tmp/out")"
if [ "$(builds)" -eq 1 ]; then ok; else ko "want 1 build, got $(builds)"; fi
if grep -q "^build -o $tmp/tree/build/oracle/go1.19/oracle\.[0-9]* \. | $tmp/tree/tests/oracle | local off -mod=mod$" "$tmp/builds"; then
	ok
else
	ko "the build was not 'go build -o build/oracle/go1.19/oracle.PID .' in tests/oracle: $(cat "$tmp/builds")"
fi
if [ -x "$tmp/tree/build/oracle/go1.19/oracle" ]; then ok; else ko "no oracle at build/oracle/go1.19/oracle"; fi
if grep -q -- "--go 1.19 --current" "$tmp/oracle-args"; then ok; else ko "the oracle was not told the release: $(cat "$tmp/oracle-args")"; fi
# 2. Fresh: not built again.
GO119=$tmp/go1.19 run_compare "second 1.19 run" 1 --go=1.19
if [ "$(builds)" -eq 1 ]; then ok; else ko "a fresh oracle was rebuilt"; fi
# 3. Stale (a source newer than the binary): built again.
touch "$tmp/tree/tests/oracle/main.go"
GO119=$tmp/go1.19 run_compare "stale 1.19 run" 1 --go=1.19
if [ "$(builds)" -eq 2 ]; then ok; else ko "a stale oracle was not rebuilt ($(builds) builds)"; fi
# 4. No toolchain for the release: not checkable, nothing run.
run_compare "go 1.22" 2 --go=1.22
grep -q "not checkable" "$tmp/err" && ok || ko "go 1.22: $(cat "$tmp/err")"
# 5. A current Go that is not the release `current` names: not checkable.
GO=$tmp/go1.27 run_compare "go on PATH is 1.27" 2
grep -q "not checkable here: .* is Go 1.27" "$tmp/err" && ok || ko "go 1.27: $(cat "$tmp/err")"
# A fresh oracle needs no toolchain: an absent one matters only when a build is due.
GO119=$tmp/absent run_compare "no Go 1.19, fresh oracle" 1 --go=1.19
[ "$(builds)" -eq 2 ] && ok || ko "a build was attempted"
rm -rf "$tmp/tree/build/oracle"
GO119=$tmp/absent run_compare "no Go 1.19, no oracle" 2 --go=1.19
grep -q "install golang-1.19-go" "$tmp/err" && ok || ko "no Go 1.19: $(cat "$tmp/err")"

finish oracle-build
