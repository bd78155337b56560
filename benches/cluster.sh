#!/usr/bin/env bash
# Redis Cluster benchmarks: ferredis-server clusters against Debian's redis-server 7.0 clusters on the
# same machine, same run; each cluster is of one kind, fresh nodes in scratch directories, cluster-enabled yes,
# ports in 32000..32767 (bus port +10000).
#
# Rows:
#   set_p16 / get_p16   3 masters (redis-cli --cluster create, no replicas), `redis-benchmark --cluster -t set|get
#                       -P 16 -c CLIENTS -n N -r 100000`: requests/s, and server CPU per request (utime+stime of
#                       the three masters from /proc/<pid>/stat over the run, microseconds). Median of ROUNDS.
#                       Target: rps >= 1.1x Redis, or CPU/request <= 0.8x where the client saturates.
#   failover_ms         3 masters + 3 replicas, cluster-node-timeout NODE_TIMEOUT: a master killed (SIGKILL), then
#                       the time until `SET` of a key in its slots answers +OK from its promoted replica (polled
#                       every 10 ms). Median of ROUNDS. Target <= Redis's.
#   reshard_1m_s        2 masters, one owning every slot with KEYS keys (DEBUG POPULATE), the other empty:
#                       wall time of `redis-cli --cluster reshard --cluster-slots 16384` moving all of them (MIGRATE,
#                       default pipeline 10). One round (RESHARD_ROUNDS). Target <= 0.8x Redis.
#   bytes_key_*         used_memory growth per key for KEYS keys (DEBUG POPULATE) on a standalone server and on a
#                       cluster-enabled node owning all slots; the last row compares each kind with itself
#                       (cluster / standalone). Target for ferredis: cluster <= 1.1x its standalone figure.
# Ratios are ferredis/redis (higher is better for rps, lower for the rest). All servers pinned to SERVER_CPU,
# clients to CLIENT_CPU. Knobs: ROUNDS (3), N (1000000), CLIENTS (50), KEYS (1000000), NODE_TIMEOUT (2000),
# RESHARD_ROUNDS (1), SECTIONS (rps,failover,reshard,memory), SERVER_CPU (1), CLIENT_CPU (0), FERREDIS, REDIS,
# SKIP_BUILD. Results: stdout and bench-results/cluster-<timestamp>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

ROUNDS=${ROUNDS:-3}
N=${N:-1000000}
CLIENTS=${CLIENTS:-50}
KEYS=${KEYS:-1000000}
NODE_TIMEOUT=${NODE_TIMEOUT:-2000}
RESHARD_ROUNDS=${RESHARD_ROUNDS:-1}
SECTIONS=${SECTIONS:-rps,failover,reshard,memory}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
CLK_TCK=$(getconf CLK_TCK)
want() { case ",$SECTIONS," in *",$1,"*) return 0 ;; esac; return 1; }
mkdir -p bench-results
OUT=bench-results/cluster-$(date +%Y%m%d-%H%M%S).txt

for tool in redis-benchmark redis-cli taskset awk; do
    command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool"; exit 1; }
done
if [ "${SKIP_BUILD:-0}" != 1 ] && [ "$FERREDIS" = target/release/ferredis-server ]; then
    cargo build --release
fi
case $FERREDIS in /*) ;; *) FERREDIS=$PWD/$FERREDIS ;; esac
WORK=$(mktemp -d)
PIDS=()
# Every node's pid goes to $WORK/pids too: most nodes are started inside $(...) subshells.
cleanup() {
    for p in "${PIDS[@]:-}" $(cat "$WORK/pids" 2>/dev/null); do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

# A client port in 32000..32767 whose bus port (+10000) is free too, not handed out before in this run.
USED=" "
cluster_port() {
    local p
    while :; do
        p=$((32000 + RANDOM % 768))
        case $USED in *" $p "*) continue ;; esac
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && ! (exec 3<>"/dev/tcp/127.0.0.1/$((p + 10000))") 2>/dev/null; then
            USED="$USED$p "
            echo "$p"
            return
        fi
    done
}

# start <bin> <dir> <cluster yes|no> [directives...]: a node pinned to SERVER_CPU; prints "<pid> <port>". A port
# (or its bus port) taken meanwhile by an outgoing connection makes the node exit: then it retries on another.
start() {
    local bin=$1 dir=$2 cl=$3 port pid i attempt
    shift 3
    for attempt in 1 2 3 4 5; do
        port=$(cluster_port)
        rm -rf "$dir"
        mkdir -p "$dir"
        (cd "$dir" && exec taskset -c "$SERVER_CPU" "$bin" --port "$port" --bind 127.0.0.1 --daemonize no --save '' \
            --appendonly no --enable-debug-command yes --logfile server.log --cluster-enabled "$cl" \
            --cluster-config-file nodes.conf --cluster-node-timeout "$NODE_TIMEOUT" --repl-diskless-sync-delay 0 \
            "$@" >/dev/null 2>&1) &
        pid=$!
        for i in $(seq 1 400); do
            if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then
                echo "$pid" >>"$WORK/pids"
                echo "$pid $port"
                return 0
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        kill -9 "$pid" 2>/dev/null || true
        grep -q 'in use' "$dir/server.log" 2>/dev/null || break
    done
    echo "server $bin did not start in $dir" >&2
    tail -5 "$dir/server.log" >&2
    return 1
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else if (a == 0) print "equal"; else print "n/a" }'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }
cinfo() { redis-cli -p "$1" cluster info 2>/dev/null | tr -d '\r' | awk -F: -v f="$2" '$1 == f {print $2}'; }
ifield() { redis-cli -p "$1" info "$2" 2>/dev/null | tr -d '\r' | awk -F: -v f="$3" '$1 == f {print $2}'; }
row() { printf '%-34s %14s %14s %7s  %s\n' "$@" | tee -a "$OUT"; }

# cluster_up <bin> <masters> <replicas per master>: starts the nodes, creates the cluster, waits for
# cluster_state:ok everywhere; sets NPIDS and NPORTS (masters first, as redis-cli --cluster create makes them).
cluster_up() {
    local bin=$1 m=$2 r=$3 i s addrs=() ok
    NPIDS=() NPORTS=()
    rm -rf "$WORK/c"
    for i in $(seq 1 $((m * (r + 1)))); do
        s=$(start "$bin" "$WORK/c/$i" yes) || exit 1
        NPIDS+=("${s% *}") NPORTS+=("${s#* }")
        PIDS+=("${s% *}")
        addrs+=("127.0.0.1:${s#* }")
    done
    redis-cli --cluster create "${addrs[@]}" --cluster-replicas "$r" --cluster-yes >"$WORK/create.log" 2>&1 ||
        { echo "cluster create with $bin failed:" >&2; cat "$WORK/create.log" >&2; exit 1; }
    for i in $(seq 1 600); do
        ok=1
        for p in "${NPORTS[@]}"; do [ "$(cinfo "$p" cluster_state)" = ok ] || ok=0; done
        [ $ok = 1 ] && return 0
        sleep 0.1
    done
    echo "cluster of $bin did not reach cluster_state:ok" >&2
    exit 1
}
cluster_down() {
    local p
    for p in "${NPIDS[@]}"; do kill -9 "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$WORK/c"
}
ticks_of() { local t=0 p; for p in "$@"; do t=$((t + $(cpu_ticks "$p"))); done; echo $t; }

# rps <bin> <test>: "<requests/s> <server CPU us/request>" of redis-benchmark --cluster on 3 masters.
rps() {
    local bin=$1 t=$2 before after r
    cluster_up "$bin" 3 0
    before=$(ticks_of "${NPIDS[@]}")
    r=$(taskset -c "$CLIENT_CPU" redis-benchmark --cluster -h 127.0.0.1 -p "${NPORTS[0]}" -c "$CLIENTS" -n "$N" \
        -r 100000 -P 16 -t "$t" --csv 2>/dev/null | awk -F'"' 'NR > 1 && $2 != "" {r = $4} END {print int(r)}')
    after=$(ticks_of "${NPIDS[@]}")
    cluster_down
    echo "$r $(awk -v c=$((after - before)) -v hz="$CLK_TCK" -v n="$N" 'BEGIN {printf "%.3f", c / hz * 1e6 / n}')"
}

# failover_ms <bin>: ms from a master's SIGKILL to +OK for a SET of one of its keys from the promoted replica.
failover_ms() {
    local bin=$1 key port slot owner rep t0 t1 i mp
    cluster_up "$bin" 3 1
    key=foo
    slot=$(redis-cli -p "${NPORTS[0]}" cluster keyslot "$key")
    # The master owning the key, and its replica.
    owner=$(redis-cli -p "${NPORTS[0]}" cluster nodes | awk -v s="$slot" '$3 ~ /master/ {
        for (i = 9; i <= NF; i++) { split($i, r, "-"); if (r[2] == "") r[2] = r[1]; if (s >= r[1] && s <= r[2]) print $1 " " $2 } }')
    mp=$(echo "$owner" | awk '{split($2, a, "[:@]"); print a[2]}')
    for i in $(seq 1 200); do
        rep=$(redis-cli -p "$mp" cluster nodes | awk -v m="${owner%% *}" '$4 == m {split($2, a, "[:@]"); print a[2]}')
        [ -n "$rep" ] && [ "$(ifield "$rep" replication master_link_status)" = up ] && break
        sleep 0.1
    done
    [ -n "$rep" ] || { echo "no replica for the master of $key" >&2; exit 1; }
    redis-cli -p "$mp" set "$key" 1 >/dev/null
    redis-cli -p "$mp" wait 1 2000 >/dev/null
    for i in "${!NPORTS[@]}"; do [ "${NPORTS[$i]}" = "$mp" ] && kill -9 "${NPIDS[$i]}"; done
    t0=$(now_ms)
    until [ "$(redis-cli -p "$rep" set "$key" 2 2>/dev/null)" = OK ]; do
        [ $(($(now_ms) - t0)) -gt 60000 ] && { echo "no promotion within 60 s ($bin)" >&2; exit 1; }
        sleep 0.01
    done
    t1=$(now_ms)
    cluster_down
    echo $((t1 - t0))
}

# reshard_s <bin>: seconds for redis-cli --cluster reshard of all 16384 slots holding KEYS keys, node A -> node B.
reshard_s() {
    local bin=$1 a b ap bp bid t0 t1 i
    rm -rf "$WORK/c"
    a=$(start "$bin" "$WORK/c/a" yes) || exit 1
    b=$(start "$bin" "$WORK/c/b" yes) || exit 1
    PIDS+=("${a% *}" "${b% *}")
    ap=${a#* } bp=${b#* }
    redis-cli -p "$ap" cluster addslotsrange 0 16383 >/dev/null
    redis-cli -p "$ap" cluster meet 127.0.0.1 "$bp" >/dev/null
    for i in $(seq 1 600); do
        [ "$(cinfo "$ap" cluster_state)" = ok ] && [ "$(cinfo "$bp" cluster_state)" = ok ] &&
            [ "$(cinfo "$bp" cluster_known_nodes)" = 2 ] && break
        sleep 0.1
    done
    redis-cli -p "$ap" debug populate "$KEYS" >/dev/null
    bid=$(redis-cli -p "$bp" cluster myid)
    t0=$(now_ms)
    taskset -c "$CLIENT_CPU" redis-cli --cluster reshard "127.0.0.1:$ap" --cluster-from "$(redis-cli -p "$ap" cluster myid)" \
        --cluster-to "$bid" --cluster-slots 16384 --cluster-yes >"$WORK/reshard.log" 2>&1 ||
        { echo "reshard with $bin failed:" >&2; tail -20 "$WORK/reshard.log" >&2; exit 1; }
    t1=$(now_ms)
    [ "$(redis-cli -p "$bp" dbsize)" = "$KEYS" ] ||
        { echo "$bin: the target has $(redis-cli -p "$bp" dbsize) keys of $KEYS" >&2; exit 1; }
    kill -9 "${a% *}" "${b% *}" 2>/dev/null || true
    wait "${a% *}" "${b% *}" 2>/dev/null || true
    rm -rf "$WORK/c"
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1000 }'
}

# bytes_key <bin> <cluster yes|no>: used_memory growth per key over DEBUG POPULATE KEYS.
bytes_key() {
    local bin=$1 cl=$2 s p m0 m1
    rm -rf "$WORK/m"
    s=$(start "$bin" "$WORK/m" "$cl") || exit 1
    p=${s#* }
    PIDS+=("${s% *}")
    [ "$cl" = yes ] && redis-cli -p "$p" cluster addslotsrange 0 16383 >/dev/null
    m0=$(ifield "$p" memory used_memory)
    redis-cli -p "$p" debug populate "$KEYS" >/dev/null
    m1=$(ifield "$p" memory used_memory)
    kill -9 "${s% *}" 2>/dev/null || true
    wait "${s% *}" 2>/dev/null || true
    rm -rf "$WORK/m"
    awk -v a="$m0" -v b="$m1" -v n="$KEYS" 'BEGIN { printf "%.1f", (b - a) / n }'
}

med() { printf '%s\n' "$@" | median; }
row test ferredis redis ratio target
if want rps; then
    for t in set get; do
        fr=() fc=() rr=() rc=()
        for _ in $(seq 1 "$ROUNDS"); do
            read -r a b <<<"$(rps "$FERREDIS" "$t")"
            fr+=("$a") fc+=("$b")
            read -r a b <<<"$(rps "$REDIS" "$t")"
            rr+=("$a") rc+=("$b")
        done
        a=$(med "${fr[@]}") b=$(med "${rr[@]}")
        row "${t}_p16 (3 masters, rps)" "$a" "$b" "$(ratio "$a" "$b")" ">= 1.1"
        a=$(med "${fc[@]}") b=$(med "${rc[@]}")
        row "${t}_p16 server CPU us/request" "$a" "$b" "$(ratio "$a" "$b")" "<= 0.8 (if the client saturates)"
    done
fi
if want failover; then
    f=() r=()
    for _ in $(seq 1 "$ROUNDS"); do
        f+=("$(failover_ms "$FERREDIS")")
        r+=("$(failover_ms "$REDIS")")
    done
    a=$(med "${f[@]}") b=$(med "${r[@]}")
    row "failover_ms (node-timeout $NODE_TIMEOUT)" "$a" "$b" "$(ratio "$a" "$b")" "<= 1.0"
fi
if want reshard; then
    f=() r=()
    for _ in $(seq 1 "$RESHARD_ROUNDS"); do
        f+=("$(reshard_s "$FERREDIS")")
        r+=("$(reshard_s "$REDIS")")
    done
    a=$(med "${f[@]}") b=$(med "${r[@]}")
    row "reshard_${KEYS}_keys_s" "$a" "$b" "$(ratio "$a" "$b")" "<= 0.8"
fi
if want memory; then
    fs=$(bytes_key "$FERREDIS" no) rs=$(bytes_key "$REDIS" no)
    fc=$(bytes_key "$FERREDIS" yes) rc=$(bytes_key "$REDIS" yes)
    row bytes_key_standalone "$fs" "$rs" "$(ratio "$fs" "$rs")" ""
    row bytes_key_cluster "$fc" "$rc" "$(ratio "$fc" "$rc")" ""
    row "bytes_key cluster/standalone" "$(ratio "$fc" "$fs")" "$(ratio "$rc" "$rs")" "" "ferredis <= 1.1"
fi
echo "results in $OUT"
