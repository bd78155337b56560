#!/usr/bin/env bash
# Bytes per key of the cluster-mode slot index (src/keyspace/slots/mod.rs), measured the way `make bench` measures
# memory (benches/compare.sh): a fresh ferredis-server, VmRSS before and after loading MEM_KEYS keys
# `key:%012d` -> `val%d` with `redis-cli --pipe`. Run once standalone and once with `--cluster-enabled yes` (the
# node then owns every slot, CLUSTER ADDSLOTSRANGE 0 16383, so it takes the writes). Also times
# `CLUSTER GETKEYSINSLOT s 10` + `CLUSTER COUNTKEYSINSLOT s` over SAMPLE_SLOTS slots.
# Target: cluster bytes/key <= 1.1 x standalone.
# Knobs: MEM_KEYS (1000000), SAMPLE_SLOTS (2000), SERVER_CPU (1), FERREDIS (target/release/ferredis-server, built
# first unless SKIP_BUILD=1).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh
MEM_KEYS=${MEM_KEYS:-1000000}
SAMPLE_SLOTS=${SAMPLE_SLOTS:-2000}
SERVER_CPU=${SERVER_CPU:-1}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
if [ "${SKIP_BUILD:-0}" != 1 ] && [ "$FERREDIS" = target/release/ferredis-server ]; then
    cargo build --release
fi
case $FERREDIS in /*) ;; *) FERREDIS=$PWD/$FERREDIS ;; esac
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

awk -v n="$MEM_KEYS" 'BEGIN {
    for (i = 0; i < n; i++) {
        k = sprintf("key:%012d", i); v = "val" i
        printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
    }
}' >"$WORK/load.resp"

declare -A PER
printf '%-10s %10s %12s %12s %10s\n' mode keys rss_before_kb rss_after_kb bytes/key
for mode in standalone cluster; do
    args=()
    [ "$mode" = cluster ] && args=(--cluster-enabled yes --cluster-config-file nodes.conf)
    read -r pid port < <(start_server "$mode" "$FERREDIS" "${args[@]}")
    PIDS+=("$pid")
    if [ "$mode" = cluster ]; then
        redis-cli -p "$port" cluster addslotsrange 0 16383 >/dev/null
        for _ in $(seq 1 100); do
            redis-cli -p "$port" cluster info | grep -q 'cluster_state:ok' && break
            sleep 0.1
        done
    fi
    sleep 0.2
    before=$(rss_kb "$pid")
    redis-cli -p "$port" --pipe <"$WORK/load.resp" >/dev/null
    keys=$(redis-cli -p "$port" dbsize)
    sleep 0.2
    after=$(rss_kb "$pid")
    PER[$mode]=$(awk -v k="$keys" -v b="$before" -v a="$after" 'BEGIN { printf "%.1f", (k > 0) ? (a - b) * 1024 / k : 0 }')
    printf '%-10s %10d %12d %12d %10s\n' "$mode" "$keys" "$before" "$after" "${PER[$mode]}"
    if [ "$mode" = cluster ]; then
        start=$(date +%s%N)
        for s in $(seq 0 $((16384 / SAMPLE_SLOTS)) 16383); do
            printf 'CLUSTER COUNTKEYSINSLOT %d\r\nCLUSTER GETKEYSINSLOT %d 10\r\n' "$s" "$s"
        done | redis-cli -p "$port" --pipe >"$WORK/slots.out"
        ns=$(( $(date +%s%N) - start ))
        echo "COUNTKEYSINSLOT + GETKEYSINSLOT 10 over $SAMPLE_SLOTS slots, pipelined: $((ns / 1000000)) ms" \
            "($(grep -o 'replies: [0-9]*' "$WORK/slots.out"), client included)"
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
done
awk -v s="${PER[standalone]}" -v c="${PER[cluster]}" 'BEGIN {
    r = (s > 0) ? c / s : 0
    printf "cluster/standalone: %.3f (target <= 1.10)%s\n", r, (r > 1.10) ? "  MISS" : ""
}'
