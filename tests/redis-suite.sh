#!/usr/bin/env bash
# Runs Redis 7.0.15's own TCL test suite against ferredis, one test file at a time, and prints a table of the
# per-file results (not part of `make test`: the suite is Redis's code, fetched, not committed).
#
#   tests/redis-suite.sh REDIS_SRC [UNIT...]
#
# REDIS_SRC is a Redis 7.0.15 source tree (or `git archive 7.0.15 tests utils runtest` of one); it is copied to a
# scratch directory with ferredis-server as src/redis-server and Debian's redis-cli, redis-benchmark and checkers
# beside it. With no UNIT, every file of the suite's `all_tests` list runs.
# Knobs: MODE=own (the suite starts and kills its own servers, the default) or MODE=external (one ferredis started
# here, `--host/--port`; tests tagged external:skip are skipped by the suite itself); FERREDIS
# (target/release/ferredis-server); EXTRA (more runtest arguments, e.g. "--config io-threads 4"); OUT (a
# directory for each file's log, default a scratch one); CLIENTS (runtest --clients, 1); TLS=1 (MODE=own only:
# Redis's TLS test mode, `runtest --tls`, every server and client over TLS with the certificates of the suite's
# utils/gen-test-certs.sh; needs ferredis built with `--features tls` and Tcl's tls package, Debian's tcl-tls).
# Each file's line: its name, the tests that passed, failed (err), raised an exception, were skipped, and seconds.
# A file that stops at an exception counts the one exception; its log names the test.
set -uo pipefail
cd "$(dirname "$0")/.."
REDIS_SRC=${1:?usage: tests/redis-suite.sh REDIS_SRC [UNIT...]}
shift
MODE=${MODE:-own}
CLIENTS=${CLIENTS:-1}
EXTRA=${EXTRA:-}
FERREDIS=$(readlink -f "${FERREDIS:-target/release/ferredis-server}")
[ -x "$FERREDIS" ] || { echo "missing $FERREDIS (cargo build --release)"; exit 1; }
for t in redis-cli redis-benchmark tclsh; do
    command -v $t >/dev/null 2>&1 || { echo "missing $t (apt-get install redis-tools tcl)"; exit 1; }
done
WORK=$(mktemp -d)
OUT=${OUT:-$WORK/logs}
mkdir -p "$OUT" "$WORK/suite/src"
cp -r "$REDIS_SRC/tests" "$REDIS_SRC/utils" "$REDIS_SRC/runtest" "$WORK/suite/"
cp "$FERREDIS" "$WORK/suite/src/redis-server"
for t in redis-cli redis-benchmark redis-check-rdb redis-check-aof; do
    p=$(command -v $t) && ln -sf "$p" "$WORK/suite/src/$t"
done
if [ "${TLS:-0}" = 1 ]; then
    [ "$MODE" = own ] || { echo "TLS=1 needs MODE=own"; exit 1; }
    echo 'package require tls' | tclsh >/dev/null 2>&1 || { echo "missing Tcl's tls package (apt-get install tcl-tls)"; exit 1; }
    (cd "$WORK/suite" && ./utils/gen-test-certs.sh) >"$WORK/gen-test-certs.log" 2>&1 || {
        echo "utils/gen-test-certs.sh failed: $WORK/gen-test-certs.log"
        exit 1
    }
fi
SPID=
cleanup() {
    [ -n "$SPID" ] && kill "$SPID" 2>/dev/null
    rm -rf "$WORK/suite"
}
trap cleanup EXIT

units=("$@")
if [ ${#units[@]} -eq 0 ]; then
    mapfile -t units < <(sed -n '/^set ::all_tests {/,/^}/p' "$WORK/suite/tests/test_helper.tcl" | sed '1d;$d' | awk '{print $1}')
fi
# A port range of this run's own (from its pid), so two runs on one machine do not collide.
base=$((20000 + ($$ % 20) * 1000))
args=(--clients "$CLIENTS" --timeout 1200 --baseport "$base" --portcount 900)
[ "${TLS:-0}" = 1 ] && args+=(--tls)
if [ "$MODE" = external ]; then
    port=$((base + 950))
    "$FERREDIS" --port "$port" --enable-debug-command yes --enable-protected-configs yes --save "" \
        --dir "$WORK" --daemonize no $EXTRA >"$WORK/server.log" 2>&1 &
    SPID=$!
    for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    args+=(--host 127.0.0.1 --port "$port")
elif [ -n "$EXTRA" ]; then
    # Options for every server the suite starts (runtest's --config takes one name and value each).
    read -ra extra <<<"$EXTRA"
    for ((i = 0; i + 1 < ${#extra[@]}; i += 2)); do args+=(--config "${extra[i]}" "${extra[i + 1]}"); done
fi
printf '%-42s %5s %5s %5s %5s %6s\n' file ok err exc skip secs
tot_ok=0 tot_err=0 tot_exc=0
for u in "${units[@]}"; do
    log="$OUT/$(echo "$u" | tr / _).log"
    start=$(date +%s)
    # The suite colours its tags: the log keeps plain text.
    # Tests whose Redis behaviour is an assertion we deliberately do not copy (README, Known gaps), and that would
    # stop the file: tests/redis-suite/<file>.skip lists them.
    skipargs=()
    skipfile=$PWD/tests/redis-suite/$(basename "$u").skip
    [ -f "$skipfile" ] && skipargs=(--skipfile "$skipfile")
    (cd "$WORK/suite" && ./runtest --single "$u" "${args[@]}" "${skipargs[@]}") 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >"$log"
    secs=$(($(date +%s) - start))
    # Each result line starts with its tag (the summary at the end repeats failures after `*** `).
    ok=$(grep -c '^\[ok\]:' "$log")
    err=$(grep -c '^\[err\]:' "$log")
    exc=$(grep -c '^\[exception\]:' "$log")
    skip=$(grep -c '^\[skip\]:' "$log")
    tot_ok=$((tot_ok + ok)) tot_err=$((tot_err + err)) tot_exc=$((tot_exc + exc))
    printf '%-42s %5d %5d %5d %5d %6d\n' "$u" "$ok" "$err" "$exc" "$skip" "$secs"
    if [ "$MODE" = external ] && ! redis-cli -p "$port" ping >/dev/null 2>&1; then
        echo "the external server stopped answering after $u; restarting it"
        "$FERREDIS" --port "$port" --enable-debug-command yes --enable-protected-configs yes --save "" \
            --dir "$WORK" --daemonize no $EXTRA >>"$WORK/server.log" 2>&1 &
        SPID=$!
        for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
    fi
done
printf '%-42s %5d %5d %5d\n' total "$tot_ok" "$tot_err" "$tot_exc"
echo "logs: $OUT"
