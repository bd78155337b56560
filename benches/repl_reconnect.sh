#!/usr/bin/env bash
# How fast a replica whose diskless full sync is cut gets back to loading the next one: ferredis-server against
# Debian's C redis-server as the replica, the same run, the same Redis master (only the replica differs). What Redis
# 7.0.15's own "diskless loading short read" test does, timed.
#
# The master (diskless sync, delay 0, no compression, KEYS keys of SIZE bytes, rdb-key-save-delay SAVE_DELAY_US so
# that a transfer lasts long enough to be cut) feeds a replica with repl-diskless-load swapdb. CUTS times: once the
# replica logs "Loading DB in memory", wait 0-49 ms, CLIENT KILL TYPE replica on the master, and note the time;
# the replica's next "Loading DB in memory" (its log's timestamp) ends the sample.
#
# Row per kind: median and largest cut-to-next-loading time (ms) over ROUNDS x CUTS cuts; the kinds alternate round
# by round. The ratio is ferredis/redis of the medians (lower is better). Knobs: KEYS (20000), SIZE (1000),
# SAVE_DELAY_US (100), CUTS (10), ROUNDS (3), SERVER_CPU (1, the master), REPLICA_CPU (0), FERREDIS, REDIS,
# SKIP_BUILD. Results: stdout and bench-results/<timestamp>-repl-reconnect/results.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

KEYS=${KEYS:-20000}
SIZE=${SIZE:-1000}
SAVE_DELAY_US=${SAVE_DELAY_US:-100}
CUTS=${CUTS:-10}
ROUNDS=${ROUNDS:-3}
SERVER_CPU=${SERVER_CPU:-1}
REPLICA_CPU=${REPLICA_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
bench_prepare repl-reconnect

# start <cpu> <label> <bin> [directives...]: start_server pinned to <cpu>; prints "<pid> <port>". Its log is
# $WORK/<label>-<port>/server.log.
start() {
    local cpu=$1
    shift
    SERVER_CPU=$cpu start_server "$@" --enable-debug-command yes
}

now_ms() { date +%s%3N; }

# loads <log>: how many loads the replica started.
loads() { grep -c 'MASTER <-> REPLICA sync: Loading DB in memory' "$1" 2>/dev/null || true; }

# load_ms <log> <n>: the log timestamp (epoch ms) of the replica's n-th "Loading DB in memory".
load_ms() {
    local line day mon year time
    line=$(grep 'MASTER <-> REPLICA sync: Loading DB in memory' "$1" | sed -n "${2}p")
    read -r _ day mon year time _ <<<"$line"
    echo $(($(date -d "$day $mon $year ${time%.*}" +%s) * 1000 + 10#${time#*.}))
}

# wait_loads <log> <n>: until the replica started its n-th load (at most 60 s).
wait_loads() {
    local i
    for i in $(seq 1 12000); do
        [ "$(loads "$1")" -ge "$2" ] && return 0
        sleep 0.005
    done
    echo "no load #$2 in $1" >&2
    tail -20 "$1" >&2
    exit 1
}

# round <kind> <bin>: CUTS cuts of a replica of kind <kind>; appends "<kind> <ms>" per cut to $WORK/samples.
round() {
    local kind=$1 bin=$2 mpid mport rpid rport log i cut_at
    read -r mpid mport < <(start "$SERVER_CPU" "master-$kind" "$REDIS" --repl-diskless-sync yes \
        --repl-diskless-sync-delay 0 --rdbcompression no)
    PIDS+=("$mpid")
    redis-cli -p "$mport" debug populate "$KEYS" key "$SIZE" >/dev/null
    redis-cli -p "$mport" config set rdb-key-save-delay "$SAVE_DELAY_US" >/dev/null
    read -r rpid rport < <(start "$REPLICA_CPU" "replica-$kind" "$bin" --repl-diskless-load swapdb)
    PIDS+=("$rpid")
    log=$WORK/replica-$kind-$rport/server.log
    redis-cli -p "$rport" replicaof 127.0.0.1 "$mport" >/dev/null
    for i in $(seq 1 "$CUTS"); do
        wait_loads "$log" "$i"
        sleep "0.0$((RANDOM % 50 / 10))$((RANDOM % 10))"
        cut_at=$(now_ms)
        redis-cli -p "$mport" client kill type replica >/dev/null
        wait_loads "$log" $((i + 1))
        echo "$kind $(($(load_ms "$log" $((i + 1))) - cut_at))" >>"$WORK/samples"
    done
    kill -9 "$mpid" "$rpid" 2>/dev/null || true
    wait "$mpid" "$rpid" 2>/dev/null || true
}

for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then
        round ferredis "$FERREDIS"
        round redis "$REDIS"
    else
        round redis "$REDIS"
        round ferredis "$FERREDIS"
    fi
done

stat() { awk -v k="$1" '$1 == k {print $2}' "$WORK/samples" | "$2"; }
largest() { sort -g | tail -1; }
f_med=$(stat ferredis median)
r_med=$(stat redis median)
{
    echo "cut to next loading, diskless swapdb replica of a Redis master: KEYS=$KEYS SIZE=$SIZE" \
        "SAVE_DELAY_US=$SAVE_DELAY_US, $ROUNDS rounds x $CUTS cuts"
    printf '%-10s %10s %10s\n' replica median_ms max_ms
    printf '%-10s %10s %10s\n' ferredis "$f_med" "$(stat ferredis largest)"
    printf '%-10s %10s %10s\n' redis "$r_med" "$(stat redis largest)"
    awk -v f="$f_med" -v r="$r_med" 'BEGIN {printf "ratio ferredis/redis (median): %.2f\n", (r > 0 ? f / r : 0)}'
} | tee "$OUT/results.txt"
