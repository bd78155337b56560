#!/usr/bin/env bash
# Eviction hit ratio: ferredis-server vs Debian's redis-server on the same Zipf(0.99) cache trace.
#
# Replays ZIPF_OPS accesses (default 500000) over ZIPF_KEYS keys (default 100000), drawn from Zipf(0.99) with a
# fixed seed (ZIPF_SEED), as a cache-aside client would: GET the key, and SET it (300-byte value) on a miss; 100
# GETs per round trip, then the SETs of that batch's misses. Each server gets `maxmemory` = its own empty
# used_memory + 10% of the working set (keys x (value + key bytes)), i.e. the same budget for data. Both policies
# (allkeys-lfu, allkeys-lru) on both servers, one fresh server per run, in the same run of this script.
# Reported: hit ratio and keys held at the end, per policy and server.
#
# The replay is the test `zipf_hit_ratio_vs_redis` in tests/operations/eviction.rs (which asserts ferredis >= redis - 0.01),
# run here against the release server.
# Knobs (environment): ZIPF_KEYS, ZIPF_OPS, ZIPF_SEED, FERREDIS (binary; default target/release/ferredis-server,
# built first unless SKIP_BUILD=1), REDIS (/usr/bin/redis-server).
# Results go to stdout and bench-results/evict-<timestamp>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."

FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
if [ "${SKIP_BUILD:-0}" != 1 ] && [ "$FERREDIS" = target/release/ferredis-server ]; then
    cargo build --release --bin ferredis-server
fi
[ -x "$FERREDIS" ] || { echo "no ferredis binary at $FERREDIS" >&2; exit 1; }
[ -x "$REDIS" ] || { echo "no redis-server at $REDIS" >&2; exit 1; }

mkdir -p bench-results
out="bench-results/evict-$(date +%Y%m%d-%H%M%S).txt"
echo "== eviction hit ratio: Zipf(0.99) GET/SET-on-miss trace, maxmemory = 10% of the working set"
FERREDIS_BIN="$(realpath "$FERREDIS")" REDIS_SERVER="$REDIS" \
    ZIPF_KEYS="${ZIPF_KEYS:-100000}" ZIPF_OPS="${ZIPF_OPS:-500000}" ZIPF_SEED="${ZIPF_SEED:-20260101}" \
    cargo test --quiet --test operations eviction::zipf_hit_ratio_vs_redis -- --nocapture 2>&1 \
    | grep -E '^(Zipf|policy|allkeys|thread|test result)' | tee "$out"
grep -q "test result: ok" "$out"
