#!/usr/bin/env bash
# Runs Redis 7.0.15's own cluster test suite (tests/cluster, started by runtest-cluster: 20 instances with
# cluster-enabled yes and appendonly yes, driven by Debian's redis-cli --cluster) against ferredis, one unit file
# at a time, and prints a table of the per-file results (not part of `make test`: the suite is Redis's code).
#
#   tests/redis-cluster-suite.sh REDIS_SRC [UNIT...]
#
# REDIS_SRC is a Redis 7.0.15 source tree; its tests, utils and runtest-cluster are copied to a scratch directory
# with ferredis-server as src/redis-server and Debian's redis-cli beside it. UNIT is a file name (or a part of
# one) under tests/cluster/tests, e.g. 02-failover; with none, every file runs. The other cluster tests of the
# suite, tests/unit/cluster/*, run under the main runner: tests/redis-suite.sh REDIS_SRC unit/cluster/misc ...
# Knobs: FERREDIS (target/release/ferredis-server; /usr/bin/redis-server checks the script itself), BASEPORT
# (the instances' first port, 30000 as in Redis; cluster bus ports are +10000), OUT (a directory for each file's
# log, default a scratch one), EXTRA (more runtest-cluster arguments, e.g. "--config io-threads 2"), UNIT_TIMEOUT
# (600 seconds per unit file; the test it stops is counted failed, "TIMEOUT after" in the log), TLS=1 (the suite's
# TLS mode, `runtest-cluster --tls`: every instance with tls-port, tls-cluster and tls-replication, clients over
# TLS, certificates from utils/gen-test-certs.sh; needs ferredis built with `--features tls` and Tcl's tls package).
# Each file's line: the tests that passed, failed (an assertion; the unit stops there), raised an exception (the
# unit stops too), and seconds. A unit's log keeps every instance's log tail on failure (--dont-clean).
set -uo pipefail
cd "$(dirname "$0")/.."
REDIS_SRC=${1:?usage: tests/redis-cluster-suite.sh REDIS_SRC [UNIT...]}
shift
BASEPORT=${BASEPORT:-30000}
EXTRA=${EXTRA:-}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-600}
FERREDIS=$(readlink -f "${FERREDIS:-target/release/ferredis-server}")
[ -x "$FERREDIS" ] || { echo "missing $FERREDIS (cargo build --release)"; exit 1; }
for t in redis-cli tclsh; do
    command -v $t >/dev/null 2>&1 || { echo "missing $t (apt-get install redis-tools tcl)"; exit 1; }
done
WORK=$(mktemp -d)
OUT=${OUT:-$WORK/logs}
mkdir -p "$OUT" "$WORK/suite/src"
cp -r "$REDIS_SRC/tests" "$REDIS_SRC/utils" "$REDIS_SRC/runtest-cluster" "$WORK/suite/"
mkdir -p "$WORK/suite/tests/cluster/tmp"
sed -i "s/^set ::redis_base_port .*/set ::redis_base_port $BASEPORT/" "$WORK/suite/tests/instances.tcl"
cp "$FERREDIS" "$WORK/suite/src/redis-server"
for t in redis-cli redis-benchmark redis-check-rdb redis-check-aof; do
    p=$(command -v $t) && ln -sf "$p" "$WORK/suite/src/$t"
done
if [ "${TLS:-0}" = 1 ]; then
    echo 'package require tls' | tclsh >/dev/null 2>&1 || { echo "missing Tcl's tls package (apt-get install tcl-tls)"; exit 1; }
    (cd "$WORK/suite" && ./utils/gen-test-certs.sh) >"$WORK/gen-test-certs.log" 2>&1 || {
        echo "utils/gen-test-certs.sh failed: $WORK/gen-test-certs.log"
        exit 1
    }
    EXTRA="--tls $EXTRA"
fi
cleanup() { rm -rf "$WORK/suite"; }
trap cleanup EXIT

units=("$@")
if [ ${#units[@]} -eq 0 ]; then
    mapfile -t units < <(cd "$WORK/suite/tests/cluster/tests" && ls -1 ./*.tcl | sed 's|^\./||; s|\.tcl$||')
fi
read -ra extra <<<"$EXTRA"
printf '%-36s %5s %5s %5s %6s\n' unit ok err exc secs
tot_ok=0 tot_err=0 tot_exc=0
for u in "${units[@]}"; do
    log="$OUT/cluster-$u.log"
    start=$(date +%s)
    # The suite has no timeout of its own: a test waiting for a reply that never comes would wait forever.
    (cd "$WORK/suite" && timeout "$UNIT_TIMEOUT" ./runtest-cluster --single "$u" --dont-clean "${extra[@]}") 2>&1 |
        sed 's/\x1b\[[0-9;]*m//g' >"$log"
    # Instances a timed-out run left behind: this run's processes, found by their working directory.
    for p in /proc/[0-9]*; do
        case $(readlink "$p/cwd" 2>/dev/null) in "$WORK"/suite/*) kill -9 "${p#/proc/}" 2>/dev/null ;; esac
    done
    # A unit stopped by the timeout ends in the middle of a test's line ("HH:MM:SS> description: ").
    if tail -n 1 "$log" | grep -qE '^[0-9:]{8}> .*: $'; then echo "TIMEOUT after ${UNIT_TIMEOUT}s" >>"$log"; fi
    secs=$(($(date +%s) - start))
    # A test's line is "HH:MM:SS> description: OK" or "...: FAILED: why"; an error raised by a unit (not an
    # assertion) is "FAILED: caught an error in the test ..."; a test stopped by UNIT_TIMEOUT counts as failed.
    ok=$(grep -cE '^[0-9:]{8}> .*: OK$' "$log")
    err=$(grep -cE '^[0-9:]{8}> .*: (FAILED:|TIMEOUT after)' "$log")
    # An assertion's failure is re-raised as "caught an error" after "(Jumping to next unit after error)": only
    # the others are exceptions.
    exc=$(awk '/^FAILED: caught an error/ && prev !~ /^\(Jumping to next unit/ {n++} NF {prev = $0} END {print n + 0}' "$log")
    tot_ok=$((tot_ok + ok)) tot_err=$((tot_err + err)) tot_exc=$((tot_exc + exc))
    printf '%-36s %5d %5d %5d %6d\n' "$u" "$ok" "$err" "$exc" "$secs"
    # Keep the instances' logs of a failed unit next to its log.
    if [ $((err + exc)) -gt 0 ]; then
        for d in "$WORK"/suite/tests/cluster/tmp/redis_*; do
            [ -f "$d/log.txt" ] && tail -50 "$d/log.txt" >"$OUT/cluster-$u.$(basename "$d").log"
        done
    fi
    rm -rf "$WORK"/suite/tests/cluster/tmp/redis_*
done
printf '%-36s %5d %5d %5d\n' total "$tot_ok" "$tot_err" "$tot_exc"
echo "logs: $OUT"
