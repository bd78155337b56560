#!/usr/bin/env bash
# Replication buffer memory: a master with three replicas that stop reading (SIGSTOP) while a write load runs, so
# the whole stream of the load waits for them in the master. With one shared replication buffer (Redis 7.0, and
# ferredis) the stream is held once; with a buffer per replica it would be held three times.
#
# For each kind (ferredis → three ferredis replicas, redis → three redis replicas; fresh servers): start, wait for
# the three replicas online, stop them, run `redis-benchmark -t set -n N -d SIZE -r 100000 -P 16 -c 20` against
# the master, then read the master's RSS (/proc) and INFO memory (used_memory, mem_total_replication_buffers,
# mem_clients_slaves) and the stream length (master_repl_offset grown). Prints MB, and the growth of used_memory
# and RSS over the stream length. Knobs: N (200000), SIZE (512), SERVER_CPU (1, the master), CLIENT_CPU (0),
# FERREDIS, REDIS, SKIP_BUILD.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

N=${N:-200000}
SIZE=${SIZE:-512}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
bench_prepare repl-buffer
STOPPED=()
cont_all() { local p; for p in "${STOPPED[@]:-}"; do [ -n "$p" ] && kill -CONT "$p" 2>/dev/null || true; done; }
trap 'cont_all; bench_cleanup' EXIT

info() { redis-cli -p "$1" info "$2" | tr -d '\r' | awk -F: -v k="$3" '$1 == k {print $2}'; }
mb() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }

printf '%-9s %10s %12s %10s %12s %12s %10s %10s\n' server stream_MB used_MB rss_MB repl_buf_MB clients_sl_MB used/strm rss/strm |
    tee "$OUT/summary.txt"
for kind in ferredis redis; do
    bin=$FERREDIS
    [ "$kind" = redis ] && bin=$REDIS
    read -r mpid mport < <(start_server "$kind-master" "$bin" --client-output-buffer-limit "replica 0 0 0" \
        --repl-diskless-sync-delay 0)
    PIDS+=("$mpid")
    rpids=()
    for i in 1 2 3; do
        read -r rpid rport < <(SERVER_CPU=$CLIENT_CPU start_server "$kind-replica$i" "$bin" --replicaof 127.0.0.1 "$mport")
        PIDS+=("$rpid")
        rpids+=("$rpid")
    done
    for i in $(seq 1 600); do
        [ "$(redis-cli -p "$mport" info replication | grep -c 'state=online')" = 3 ] && break
        sleep 0.1
    done
    base_used=$(info "$mport" memory used_memory)
    base_rss=$(($(rss_kb "$mpid") * 1024))
    off0=$(info "$mport" replication master_repl_offset)
    for p in "${rpids[@]}"; do kill -STOP "$p"; STOPPED+=("$p"); done
    taskset -c "$CLIENT_CPU" redis-benchmark -p "$mport" -t set -n "$N" -d "$SIZE" -r 100000 -P 16 -c 20 -q >/dev/null
    sleep 1
    used=$(info "$mport" memory used_memory)
    rss=$(($(rss_kb "$mpid") * 1024))
    buf=$(info "$mport" memory mem_total_replication_buffers)
    sl=$(info "$mport" memory mem_clients_slaves)
    stream=$(($(info "$mport" replication master_repl_offset) - off0))
    printf '%-9s %10s %12s %10s %12s %12s %10s %10s\n' "$kind" "$(mb "$stream")" "$(mb "$used")" "$(mb "$rss")" \
        "$(mb "$buf")" "$(mb "$sl")" "$(awk -v a=$((used - base_used)) -v s="$stream" 'BEGIN {printf "%.2f", a / s}')" \
        "$(awk -v a=$((rss - base_rss)) -v s="$stream" 'BEGIN {printf "%.2f", a / s}')" | tee -a "$OUT/summary.txt"
    cont_all
    STOPPED=()
    for p in "$mpid" "${rpids[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 0.5
done
echo "results: $OUT/summary.txt"
