#!/usr/bin/env bash
# Runs Redis 7.0.15's own Sentinel test suite (tests/sentinel, started by runtest-sentinel: 5 sentinels and 5
# Redis instances) against ferredis, one unit file at a time, and prints a table of the per-file results (not part
# of `make test`: the suite is Redis's code).
#
#   tests/redis-sentinel-suite.sh REDIS_SRC [UNIT...]
#
# REDIS_SRC is a Redis 7.0.15 source tree; its tests, utils and runtest-sentinel are copied to a scratch directory
# with ferredis-server as src/redis-sentinel and src/redis-server (the sentinels and the instances) and Debian's
# redis-cli beside it. UNIT is a file name (or a part of one) under tests/sentinel/tests, e.g. 02-slaves-reconf; with none, every
# file runs. Knobs: FERREDIS (target/release/ferredis-server; /usr/bin/redis-server checks the script itself),
# INSTANCES (the server the Redis instances run, default FERREDIS: /usr/bin/redis-server runs ferredis sentinels
# over Redis instances), BASEPORT (the sentinels' first port, 20000 as in Redis; the instances take 30000 up), OUT
# (a directory for each file's log, default a scratch one), EXTRA (more runtest-sentinel arguments), UNIT_TIMEOUT
# (600 seconds per unit file; the test it stops is counted failed, "TIMEOUT after" in the log).
# Each file's line: the tests that passed, failed (an assertion; the unit stops there), raised an exception (the
# unit stops too), and seconds. A unit's log keeps every instance's log tail on failure (--dont-clean).
set -uo pipefail
cd "$(dirname "$0")/.."
REDIS_SRC=${1:?usage: tests/redis-sentinel-suite.sh REDIS_SRC [UNIT...]}
shift
BASEPORT=${BASEPORT:-20000}
EXTRA=${EXTRA:-}
UNIT_TIMEOUT=${UNIT_TIMEOUT:-600}
FERREDIS=$(readlink -f "${FERREDIS:-target/release/ferredis-server}")
[ -x "$FERREDIS" ] || { echo "missing $FERREDIS (cargo build --release)"; exit 1; }
INSTANCES=$(readlink -f "${INSTANCES:-$FERREDIS}")
for t in redis-cli tclsh; do
    command -v $t >/dev/null 2>&1 || { echo "missing $t (apt-get install redis-tools tcl)"; exit 1; }
done
WORK=$(mktemp -d)
OUT=${OUT:-$WORK/logs}
mkdir -p "$OUT" "$WORK/suite/src"
cp -r "$REDIS_SRC/tests" "$REDIS_SRC/utils" "$WORK/suite/"
# The runner script (runtest-sentinel) is three lines: find tclsh, run tests/sentinel/run.tcl.
printf '#!/bin/sh\nexec tclsh tests/sentinel/run.tcl "$@"\n' >"$WORK/suite/runtest-sentinel"
chmod +x "$WORK/suite/runtest-sentinel"
mkdir -p "$WORK/suite/tests/sentinel/tmp"
sed -i "s/^set ::sentinel_base_port .*/set ::sentinel_base_port $BASEPORT/" "$WORK/suite/tests/instances.tcl"
# The suite starts the sentinels as src/redis-sentinel (sentinel mode by the program's name) and the instances as
# src/redis-server.
cp "$FERREDIS" "$WORK/suite/src/ferredis-server"
ln -s ferredis-server "$WORK/suite/src/redis-sentinel"
cp "$INSTANCES" "$WORK/suite/src/redis-server"
for t in redis-cli redis-benchmark redis-check-rdb redis-check-aof; do
    p=$(command -v $t) && ln -sf "$p" "$WORK/suite/src/$t"
done
cleanup() { rm -rf "$WORK/suite"; }
trap cleanup EXIT

units=("$@")
if [ ${#units[@]} -eq 0 ]; then
    mapfile -t units < <(cd "$WORK/suite/tests/sentinel/tests" && ls -1 ./*.tcl | sed 's|^\./||; s|\.tcl$||')
fi
read -ra extra <<<"$EXTRA"
printf '%-36s %5s %5s %5s %6s\n' unit ok err exc secs
tot_ok=0 tot_err=0 tot_exc=0
for u in "${units[@]}"; do
    log="$OUT/sentinel-$u.log"
    start=$(date +%s)
    # The suite has no timeout of its own: a test waiting for a reply that never comes would wait forever.
    (cd "$WORK/suite" && timeout "$UNIT_TIMEOUT" ./runtest-sentinel --single "$u" --dont-clean "${extra[@]}") 2>&1 |
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
        for d in "$WORK"/suite/tests/sentinel/tmp/redis_* "$WORK"/suite/tests/sentinel/tmp/sentinel_*; do
            [ -f "$d/log.txt" ] && tail -80 "$d/log.txt" >"$OUT/sentinel-$u.$(basename "$d").log"
        done
    fi
    rm -rf "$WORK"/suite/tests/sentinel/tmp/redis_* "$WORK"/suite/tests/sentinel/tmp/sentinel_*
done
printf '%-36s %5d %5d %5d\n' total "$tot_ok" "$tot_err" "$tot_exc"
echo "logs: $OUT"
