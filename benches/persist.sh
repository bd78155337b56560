#!/usr/bin/env bash
# Persistence benchmarks: ferredis-server vs Debian's C redis-server on the same machine, same run.
#
# Rows (each a fresh pair of servers in scratch directories, servers pinned to SERVER_CPU, clients to CLIENT_CPU):
#   aof_everysec / aof_always   redis-benchmark SET -P 16 -c 50 with appendonly yes and that fsync policy:
#                               requests/s (median of ROUNDS, alternating servers) and server CPU seconds.
#   bgsave_strings              BGSAVE of KEYS string keys: wall time from BGSAVE to rdb_bgsave_in_progress:0
#                               (INFO polled every 5 ms) and the dump file's size.
#   bgsave_<coll>               the same for one hash, set and sorted set of COLL_MEMBERS elements each.
#   load_rdb                    start-up load of the strings dump: "DB loaded from disk: S seconds" in each log.
#   load_aof                    start-up load of an AOF of KEYS SETs (no RDB preamble): the same log line
#                               ("DB loaded from append only file" in Redis's wording).
#   rewrite_rss                 parent RSS growth during BGREWRITEAOF while redis-benchmark overwrites keys with
#                               same-size values (peak anonymous RSS, RssAnon, sampled every 10 ms, minus RssAnon
#                               just before the rewrite; median of ROUNDS; auto rewrite off).
#   fork_usec / bgsave_cow_b    BGSAVE of FORK_KEYS string keys under the same same-size overwrite load: INFO's
#                               latest_fork_usec (the parent's fork() call) and rdb_last_cow_size (the child's
#                               copy-on-write bytes at its end); median of ROUNDS, alternating servers.
# Ratios are ferredis/redis for throughput (higher is better) and ferredis/redis for times and sizes (lower is
# better). Knobs: SECTIONS (aof,save,aofload,rewrite,fork), KEYS (1000000), FORK_KEYS (KEYS), COLL_MEMBERS
# (1000000), ROUNDS (3), N (SET requests, 2000000), SERVER_CPU (1), CLIENT_CPU (0), FERREDIS, REDIS, SKIP_BUILD.
# Results: stdout and bench-results/persist-<timestamp>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

KEYS=${KEYS:-1000000}
SECTIONS=${SECTIONS:-aof,save,aofload,rewrite,fork}
FORK_KEYS=${FORK_KEYS:-$KEYS}
want() { case ",$SECTIONS," in *",$1,"*) return 0 ;; esac; return 1; }
COLL_MEMBERS=${COLL_MEMBERS:-1000000}
ROUNDS=${ROUNDS:-3}
N=${N:-2000000}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
CLK_TCK=$(getconf CLK_TCK)
mkdir -p bench-results
OUT=bench-results/persist-$(date +%Y%m%d-%H%M%S).txt

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


# start <bin> <dir> [directives...]: starts a server in <dir>, prints "<pid> <port>" once it answers PING
# (waits for loading to finish, as PING answers -LOADING meanwhile).
start() {
    local bin=$1 dir=$2 port pid i
    shift 2
    port=$(free_port)
    mkdir -p "$dir"
    (cd "$dir" && exec taskset -c "$SERVER_CPU" "$bin" --port "$port" --bind 127.0.0.1 --daemonize no \
        --logfile server.log "$@" >/dev/null 2>&1) &
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
# Anonymous resident memory only: the heap. File-backed RSS also grows by the first run of the rewrite's own code
# pages, which says nothing about memory use.
anon_kb() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else if (a == 0) print "equal"; else print "n/a" }'; }
now_s() { date +%s.%N; }

row() { printf '%-18s %14s %14s %7s  %s\n' "$@" | tee -a "$OUT"; }
row test ferredis redis ratio target

# Loads data through redis-cli --pipe: $1 port, $2 generator name.
fill() {
    local port=$1 what=$2
    case $what in
        strings) awk -v n="$KEYS" 'BEGIN { for (i = 0; i < n; i++) printf "SET key:%012d val%d\n", i, i }' ;;
        strings10) awk -v n="${FILL_KEYS:-$KEYS}" 'BEGIN { for (i = 0; i < n; i++) printf "SET key:%012d val%07d\n", i, i }' ;;
        hash) awk -v n="$COLL_MEMBERS" 'BEGIN { for (i = 0; i < n; i += 100) { printf "HSET bighash"; for (j = i; j < i + 100 && j < n; j++) printf " field:%d value:%d", j, j; print "" } }' ;;
        set) awk -v n="$COLL_MEMBERS" 'BEGIN { for (i = 0; i < n; i += 100) { printf "SADD bigset"; for (j = i; j < i + 100 && j < n; j++) printf " member:%d", j; print "" } }' ;;
        zset) awk -v n="$COLL_MEMBERS" 'BEGIN { for (i = 0; i < n; i += 100) { printf "ZADD bigzset"; for (j = i; j < i + 100 && j < n; j++) printf " %d member:%d", j, j; print "" } }' ;;
    esac | redis-cli -p "$port" --pipe >/dev/null
}

# bgsave_time <port>: seconds from BGSAVE to the end of the child.
bgsave_time() {
    local port=$1 t0 t1
    t0=$(now_s)
    redis-cli -p "$port" bgsave >/dev/null
    while redis-cli -p "$port" info persistence | grep -q '^rdb_bgsave_in_progress:1'; do sleep 0.005; done
    t1=$(now_s)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }'
}

loaded_seconds() { grep -Eo 'DB loaded from (disk|append only file): [0-9.]+ seconds' "$1" | tail -1 | awk '{print $(NF-1)}'; }

# ---- AOF write throughput ----------------------------------------------------------------------------------------
for policy in everysec always; do
    want aof || continue
    declare -A rps=() cpu=()
    for kind in ferredis redis; do rps[$kind]=""; cpu[$kind]=""; done
    for r in $(seq 1 "$ROUNDS"); do
        order="ferredis redis"; [ $((r % 2)) = 0 ] && order="redis ferredis"
        for kind in $order; do
            bin=$FERREDIS; [ "$kind" = redis ] && bin=$REDIS
            d=$WORK/aof-$policy-$kind-$r
            read -r pid port < <(start "$bin" "$d" --save '' --appendonly yes --appendfsync "$policy")
            PIDS+=("$pid")
            c0=$(cpu_ticks "$pid")
            v=$(taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c 50 -P 16 -n "$N" -t set -r 1000000 -q --csv \
                | awk -F, 'NR == 2 { gsub(/"/, "", $2); print $2 }')
            c1=$(cpu_ticks "$pid")
            rps[$kind]+="$v "
            cpu[$kind]+="$(awk -v a="$c0" -v b="$c1" -v t="$CLK_TCK" 'BEGIN { printf "%.2f", (b - a) / t }') "
            stop "$pid" "$port"
            rm -rf "$d"
        done
    done
    fr=$(echo "${rps[ferredis]}" | tr ' ' '\n' | grep . | median)
    rr=$(echo "${rps[redis]}" | tr ' ' '\n' | grep . | median)
    fc=$(echo "${cpu[ferredis]}" | tr ' ' '\n' | grep . | median)
    rc=$(echo "${cpu[redis]}" | tr ' ' '\n' | grep . | median)
    target=">=1.2"; [ "$policy" = always ] && target=">=1.0"
    row "aof_${policy}_rps" "$fr" "$rr" "$(ratio "$fr" "$rr")" "$target"
    row "aof_${policy}_cpu_s" "$fc" "$rc" "$(ratio "$fc" "$rc")" "(server CPU, lower is better)"
done

# ---- BGSAVE and load ---------------------------------------------------------------------------------------------
declare -A ld=()
for what in strings hash set zset; do
    want save || continue
    [ "$what" != strings ] && [ "$COLL_MEMBERS" = 0 ] && continue
    declare -A t=() sz=()
    for kind in ferredis redis; do
        bin=$FERREDIS; [ "$kind" = redis ] && bin=$REDIS
        d=$WORK/save-$what-$kind
        read -r pid port < <(start "$bin" "$d" --save '' --appendonly no)
        PIDS+=("$pid")
        fill "$port" "$what"
        t[$kind]=$(bgsave_time "$port")
        sz[$kind]=$(stat -c %s "$d/dump.rdb")
        stop "$pid" "$port"
        if [ "$what" = strings ]; then
            read -r pid port < <(start "$bin" "$d" --save '' --appendonly no)
            PIDS+=("$pid")
            ld[$kind]=$(loaded_seconds "$d/server.log")
            stop "$pid" "$port"
        fi
    done
    row "bgsave_${what}_s" "${t[ferredis]}" "${t[redis]}" "$(ratio "${t[ferredis]}" "${t[redis]}")" "<=0.8"
    row "rdb_${what}_bytes" "${sz[ferredis]}" "${sz[redis]}" "$(ratio "${sz[ferredis]}" "${sz[redis]}")" "<=1.0"
    if [ "$what" = strings ]; then
        row "load_rdb_s" "${ld[ferredis]}" "${ld[redis]}" "$(ratio "${ld[ferredis]}" "${ld[redis]}")" "<=0.8"
    fi
done

# ---- AOF load ----------------------------------------------------------------------------------------------------
declare -A la=()
want aofload && for kind in ferredis redis; do
    bin=$FERREDIS; [ "$kind" = redis ] && bin=$REDIS
    d=$WORK/aofload-$kind
    read -r pid port < <(start "$bin" "$d" --save '' --appendonly yes --aof-use-rdb-preamble no --appendfsync no)
    PIDS+=("$pid")
    fill "$port" strings
    stop "$pid" "$port"
    read -r pid port < <(start "$bin" "$d" --save '' --appendonly yes --aof-use-rdb-preamble no)
    PIDS+=("$pid")
    la[$kind]=$(loaded_seconds "$d/server.log")
    stop "$pid" "$port"
done
want aofload && row "load_aof_s" "${la[ferredis]}" "${la[redis]}" "$(ratio "${la[ferredis]}" "${la[redis]}")" "<=0.8"

# ---- Parent RSS growth during a rewrite under writes ---------------------------------------------------------------
# The load overwrites existing keys with values of the same size (10 bytes, as loaded), so growth comes from the
# rewrite (copy-on-write bookkeeping, buffers) rather than from the dataset growing. Median over ROUNDS.
declare -A growth=()
for kind in ferredis redis; do growth[$kind]=""; done
want rewrite && for r in $(seq 1 "$ROUNDS"); do
    for kind in ferredis redis; do
        bin=$FERREDIS; [ "$kind" = redis ] && bin=$REDIS
        d=$WORK/rw-$kind-$r
        read -r pid port < <(start "$bin" "$d" --save '' --appendonly yes --appendfsync everysec \
            --auto-aof-rewrite-percentage 0)
        PIDS+=("$pid")
        fill "$port" strings10
        taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c 20 -P 16 -n "$N" -t set -r "$KEYS" -d 10 -q \
            >/dev/null 2>&1 &
        bench=$!
        sleep 1
        before=$(anon_kb "$pid")
        redis-cli -p "$port" bgrewriteaof >/dev/null
        peak=$before
        while redis-cli -p "$port" info persistence | grep -q '^aof_rewrite_in_progress:1'; do
            cur=$(anon_kb "$pid"); [ "$cur" -gt "$peak" ] && peak=$cur
            sleep 0.01
        done
        kill "$bench" 2>/dev/null || true; wait "$bench" 2>/dev/null || true
        growth[$kind]+="$(( (peak - before) * 1024 )) "
        stop "$pid" "$port"
        rm -rf "$d"
    done
done
if want rewrite; then
    gf=$(echo "${growth[ferredis]}" | tr ' ' '\n' | grep . | median)
    gr=$(echo "${growth[redis]}" | tr ' ' '\n' | grep . | median)
    row "rewrite_rss_grow_b" "$gf" "$gr" "$(ratio "$gf" "$gr")" "<=1.0"
fi

# ---- Fork time and copy-on-write of a BGSAVE under writes ----------------------------------------------------------
# FORK_KEYS keys, the rewrite section's same-size overwrite load, BGSAVE a second into it; then INFO's
# latest_fork_usec and rdb_last_cow_size. Median over ROUNDS, the order alternating round by round.
info_field() { redis-cli -p "$1" info "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f {print $2}'; }
declare -A fk=() cow=()
for kind in ferredis redis; do fk[$kind]=""; cow[$kind]=""; done
want fork && for r in $(seq 1 "$ROUNDS"); do
    order="ferredis redis"; [ $((r % 2)) = 0 ] && order="redis ferredis"
    for kind in $order; do
        bin=$FERREDIS; [ "$kind" = redis ] && bin=$REDIS
        d=$WORK/fork-$kind-$r
        read -r pid port < <(start "$bin" "$d" --save '' --appendonly no)
        PIDS+=("$pid")
        FILL_KEYS=$FORK_KEYS fill "$port" strings10
        taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c 20 -P 16 -n 2000000000 -t set -r "$FORK_KEYS" -d 10 -q \
            >/dev/null 2>&1 &
        bench=$!
        sleep 1
        redis-cli -p "$port" bgsave >/dev/null
        while redis-cli -p "$port" info persistence | grep -q '^rdb_bgsave_in_progress:1'; do sleep 0.01; done
        kill "$bench" 2>/dev/null || true; wait "$bench" 2>/dev/null || true
        [ "$(info_field "$port" persistence rdb_last_bgsave_status)" = ok ] \
            || { echo "fork: BGSAVE failed ($kind)"; exit 1; }
        fk[$kind]+="$(info_field "$port" stats latest_fork_usec) "
        cow[$kind]+="$(info_field "$port" persistence rdb_last_cow_size) "
        stop "$pid" "$port"
        rm -rf "$d"
    done
done
if want fork; then
    ff=$(echo "${fk[ferredis]}" | tr ' ' '\n' | grep . | median)
    fr=$(echo "${fk[redis]}" | tr ' ' '\n' | grep . | median)
    cf=$(echo "${cow[ferredis]}" | tr ' ' '\n' | grep . | median)
    cr=$(echo "${cow[redis]}" | tr ' ' '\n' | grep . | median)
    row "fork_usec" "$ff" "$fr" "$(ratio "$ff" "$fr")" "(lower is better)"
    row "bgsave_cow_b" "$cf" "$cr" "$(ratio "$cf" "$cr")" "(lower is better)"
fi
echo "results: $OUT"
