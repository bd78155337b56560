#!/usr/bin/env bash
# Active expiry effectiveness: KEYS keys (default 1M) of which every 4th gets a short TTL (TTL_MS,
# default 3000 ms), loaded into a fresh ferredis and a fresh Debian redis-server; nobody touches the keys after
# the load. Once the TTL has passed, DBSIZE is sampled every 100 ms and the script reports how long each server
# needs to delete 50%, 90% and 100% of the expired keys by active expiry alone (and the server CPU spent).
# Target: ferredis no slower than Redis to reach 100%.
# Knobs: KEYS, TTL_MS, LIMIT_S (give up after this many seconds, default 60), CLUSTER (1: both servers in cluster
# mode, one node owning every slot, so ferredis keeps its slot index), FERREDIS, REDIS, SKIP_BUILD.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh
KEYS=${KEYS:-1000000}
TTL_MS=${TTL_MS:-3000}
LIMIT_S=${LIMIT_S:-60}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release --quiet
WORK=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
awk -v n="$KEYS" -v ttl="$TTL_MS" 'BEGIN {
    for (i = 0; i < n; i++) {
        k = sprintf("key:%012d", i); v = "val" i
        if (i % 4 == 0)
            printf "*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$2\r\nPX\r\n$%d\r\n%s\r\n", length(k), k, length(v), v, length(ttl), ttl
        else
            printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
    }
}' >"$WORK/load.resp"
expired=$(( (KEYS + 3) / 4 ))
printf '%-10s %8s %8s %8s %8s %10s\n' server expired t50_s t90_s t100_s cpu_s
for label in ferredis redis; do
    bin=$FERREDIS
    [ "$label" = redis ] && bin=$REDIS
    port=$(free_port)
    cluster=()
    [ "${CLUSTER:-0}" = 1 ] && cluster=(--cluster-enabled yes --cluster-config-file "$WORK/$label-nodes.conf")
    "$bin" --port "$port" --save "" --appendonly no --daemonize no --logfile "$WORK/$label.log" "${cluster[@]}" &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
    if [ "${CLUSTER:-0}" = 1 ]; then
        redis-cli -p "$port" cluster addslotsrange 0 16383 >/dev/null
        for _ in $(seq 100); do redis-cli -p "$port" cluster info | grep -q cluster_state:ok && break; sleep 0.05; done
    fi
    start=$(date +%s%N)
    redis-cli -p "$port" --pipe <"$WORK/load.resp" >/dev/null
    # Wait until the TTL has passed for every key (counted from the start of the load).
    while [ $(( ($(date +%s%N) - start) / 1000000 )) -lt "$TTL_MS" ]; do sleep 0.05; done
    t0=$(date +%s%N)
    c0=$(cpu_ticks "$pid")
    t50="" t90="" t100=""
    while :; do
        n=$(redis-cli -p "$port" dbsize)
        gone=$(( KEYS - n ))
        el=$(awk -v a="$t0" -v b="$(date +%s%N)" 'BEGIN {printf "%.1f", (b - a) / 1e9}')
        [ -z "$t50" ] && [ "$gone" -ge $(( expired / 2 )) ] && t50=$el
        [ -z "$t90" ] && [ "$gone" -ge $(( expired * 9 / 10 )) ] && t90=$el
        if [ "$gone" -ge "$expired" ]; then t100=$el; break; fi
        if awk -v e="$el" -v l="$LIMIT_S" 'BEGIN {exit !(e > l)}'; then t100=">$LIMIT_S"; break; fi
        sleep 0.1
    done
    cpu=$(awk -v a="$c0" -v b="$(cpu_ticks "$pid")" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.2f", (b - a) / hz}')
    printf '%-10s %8d %8s %8s %8s %10s\n' "$label" "$expired" "${t50:--}" "${t90:--}" "$t100" "$cpu"
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
done
echo "target: ferredis t100 <= redis t100 (keys with a TTL are found in the keyspace walk as fast as Redis samples its expires table)"
