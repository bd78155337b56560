#!/usr/bin/env bash
# Replication benchmarks: ferredis-server vs Debian's C redis-server on the same machine, same run. Each row uses a
# master and a replica of the same kind (ferredis → ferredis, redis → redis), fresh servers in scratch directories.
#
# Rows:
#   sync_disk / sync_diskless   full sync of KEYS keys (DEBUG POPULATE, ~10-byte values) to one replica: wall time
#                               from REPLICAOF to the replica's master_link_status:up (INFO polled every 10 ms),
#                               with repl-diskless-sync no / yes (delay 0). Median of ROUNDS.
#   set_p16_replica             redis-benchmark SET -P 16 -c 50 -r 100000 against the master with one replica
#                               attached: requests/s (median of ROUNDS).
#   lag_p16_max                 during that run, master_repl_offset minus the replica's acked offset (slave0 in the
#                               master's INFO), sampled every 100 ms: the largest sample (bytes; the ack is sent
#                               once a second by both kinds of replica, so this mostly measures a second of
#                               stream). Median of ROUNDS.
# Ratios are ferredis/redis: for times and lag lower is better, for requests/s higher is better. Knobs: KEYS
# (1000000), ROUNDS (3), N (2000000), SERVER_CPU (1, the master), REPLICA_CPU (0), CLIENT_CPU (0), FERREDIS, REDIS,
# SKIP_BUILD. Results: stdout and bench-results/repl-<timestamp>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

KEYS=${KEYS:-1000000}
ROUNDS=${ROUNDS:-3}
N=${N:-2000000}
SERVER_CPU=${SERVER_CPU:-1}
REPLICA_CPU=${REPLICA_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
mkdir -p bench-results
OUT=bench-results/repl-$(date +%Y%m%d-%H%M%S).txt

for tool in redis-benchmark redis-cli taskset awk; do
    command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool"; exit 1; }
done
if [ "${SKIP_BUILD:-0}" != 1 ] && [ "$FERREDIS" = target/release/ferredis-server ]; then
    cargo build --release
fi
case $FERREDIS in /*) ;; *) FERREDIS=$PWD/$FERREDIS ;; esac
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# start <cpu> <bin> <dir> [directives...]: starts a server in <dir> pinned to <cpu>, prints "<pid> <port>".
start() {
    local cpu=$1 bin=$2 dir=$3 port pid i
    shift 3
    port=$(free_port)
    mkdir -p "$dir"
    (cd "$dir" && exec taskset -c "$cpu" "$bin" --port "$port" --bind 127.0.0.1 --daemonize no --save '' \
        --appendonly no --enable-debug-command yes --logfile server.log "$@" >/dev/null 2>&1) &
    pid=$!
    for i in $(seq 1 6000); do
        if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then echo "$pid $port"; return 0; fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "server $bin did not start in $dir" >&2
    tail -5 "$dir/server.log" >&2
    return 1
}
stop() { redis-cli -p "$2" shutdown nosave >/dev/null 2>&1 || true; wait "$1" 2>/dev/null || true; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else if (a == 0) print "equal"; else print "n/a" }'; }
now_s() { date +%s.%N; }
info_field() { redis-cli -p "$1" info replication | tr -d '\r' | awk -F: -v f="$2" '$1 == f {print $2}'; }

row() { printf '%-18s %14s %14s %7s  %s\n' "$@" | tee -a "$OUT"; }
row test ferredis redis ratio target

# sync_time <bin> <diskless yes|no>: seconds for one full sync of KEYS keys.
sync_time() {
    local bin=$1 diskless=$2 m r mp rp t0 t1
    m=$(start "$SERVER_CPU" "$bin" "$WORK/m" --repl-diskless-sync "$diskless" --repl-diskless-sync-delay 0)
    mp=${m#* }
    PIDS+=("${m% *}")
    redis-cli -p "$mp" debug populate "$KEYS" >/dev/null
    r=$(start "$REPLICA_CPU" "$bin" "$WORK/r")
    rp=${r#* }
    PIDS+=("${r% *}")
    t0=$(now_s)
    redis-cli -p "$rp" replicaof 127.0.0.1 "$mp" >/dev/null
    until [ "$(info_field "$rp" master_link_status)" = up ]; do sleep 0.01; done
    t1=$(now_s)
    [ "$(redis-cli -p "$rp" dbsize)" = "$KEYS" ] || { echo "replica of $bin has $(redis-cli -p "$rp" dbsize) keys" >&2; exit 1; }
    stop "${r% *}" "$rp"
    stop "${m% *}" "$mp"
    rm -rf "$WORK/m" "$WORK/r"
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

# set_with_replica <bin>: "<requests/s> <max lag bytes>" of SET -P 16 with one replica attached.
set_with_replica() {
    local bin=$1 m r mp rp bpid rps lag max=0 moff roff
    m=$(start "$SERVER_CPU" "$bin" "$WORK/m")
    mp=${m#* }
    PIDS+=("${m% *}")
    r=$(start "$REPLICA_CPU" "$bin" "$WORK/r" --replicaof 127.0.0.1 "$mp")
    rp=${r#* }
    PIDS+=("${r% *}")
    until [ "$(info_field "$rp" master_link_status)" = up ]; do sleep 0.01; done
    taskset -c "$CLIENT_CPU" redis-benchmark -p "$mp" -c 50 -P 16 -n "$N" -r 100000 -t set -q --csv \
        >"$WORK/bench.csv" 2>/dev/null &
    bpid=$!
    while kill -0 "$bpid" 2>/dev/null; do
        moff=$(info_field "$mp" master_repl_offset)
        roff=$(info_field "$mp" slave0 | tr ',' '\n' | awk -F= '$1 == "offset" {print $2}')
        if [ -n "$moff" ] && [ -n "$roff" ]; then
            lag=$((moff - roff))
            [ "$lag" -gt "$max" ] && max=$lag
        fi
        sleep 0.1
    done
    wait "$bpid" || true
    rps=$(awk -F, '/SET/ {gsub(/"/, "", $2); print int($2)}' "$WORK/bench.csv")
    stop "${r% *}" "$rp"
    stop "${m% *}" "$mp"
    rm -rf "$WORK/m" "$WORK/r"
    echo "$rps $max"
}

for mode in no yes; do
    name=sync_disk
    [ "$mode" = yes ] && name=sync_diskless
    f=()
    r=()
    for _ in $(seq 1 "$ROUNDS"); do
        f+=("$(sync_time "$FERREDIS" "$mode")")
        r+=("$(sync_time "$REDIS" "$mode")")
    done
    fm=$(printf '%s\n' "${f[@]}" | median)
    rm_=$(printf '%s\n' "${r[@]}" | median)
    row "$name" "${fm}s" "${rm_}s" "$(ratio "$fm" "$rm_")" "<= 0.8"
done

fr=()
rr=()
fl=()
rl=()
for _ in $(seq 1 "$ROUNDS"); do
    read -r a b <<<"$(set_with_replica "$FERREDIS")"
    fr+=("$a")
    fl+=("$b")
    read -r a b <<<"$(set_with_replica "$REDIS")"
    rr+=("$a")
    rl+=("$b")
done
a=$(printf '%s\n' "${fr[@]}" | median)
b=$(printf '%s\n' "${rr[@]}" | median)
row set_p16_replica "$a" "$b" "$(ratio "$a" "$b")" ">= 1.2"
a=$(printf '%s\n' "${fl[@]}" | median)
b=$(printf '%s\n' "${rl[@]}" | median)
row lag_p16_max "$a" "$b" "$(ratio "$a" "$b")" "<= 1.0"
echo "results in $OUT"
