#!/usr/bin/env bash
# Throughput, CPU and memory comparison: ferredis-server vs Debian's C redis-server on the same machine.
#
# Throughput: for every test in TESTS and pipeline depth in PIPELINES, ROUNDS rounds of redis-benchmark
# (-c CLIENTS), alternating the two servers pair by pair (odd rounds ferredis first, even rounds redis first).
# Client and servers are pinned to different CPUs with taskset. Reported: median requests/s per server, the
# ferredis/redis ratio, and the server CPU seconds (utime+stime from /proc/<pid>/stat, median over rounds) spent
# on that run. The headline is the server's own cost: CPU seconds per million requests (fer_cpu/M, red_cpu/M) and
# their ratio, because at these rates the single-threaded redis-benchmark saturates its core against either server
# and throughput can only tie. Target: cpu_rat <= 0.70 on every row.
# Server-bound rows (SERVER_BOUND, at -P 16): rows where the server, not the client, is the bottleneck, so
# throughput shows the difference: zadd_100k (ZADD into one set growing to 100k members), zrangebyscore (10 members
# from a 10k-member set), sinter_10k (two 10k-member sets sharing 5k), lrange_600, set_4k (SET of 4 KiB values),
# mset (10 keys per MSET). Target: ratio >= 1.10. Their fixtures are loaded into both servers before the rows run.
# Memory: a fresh server of each kind, VmRSS before and after loading MEM_KEYS keys `key:%012d` -> `val%d` with
# `redis-cli --pipe`; reported as bytes per key.
# Collection memory: for each of four datasets, a fresh server of each kind, VmRSS growth while loading
# it with `redis-cli --pipe` (COLL_MEMBERS elements, default 1M): one hash `bighash` of fields `field:%d` ->
# `value:%d` (HSET, 100 fields per command), one set `bigset` of `member:%d` (SADD), one sorted set `bigzset` of
# `member:%d` with integer score %d (ZADD), and COLL_MEMBERS small hashes `hash:%d` of 5 fields `name`, `email`,
# `city`, `visits`, `score` (strings of 7-16 bytes and two integers, a typical record; listpack-encoded in both).
# Reported: bytes of RSS growth per element (per key for the small hashes) and the ferredis/redis ratio.
#
# Knobs (environment): N (requests at -P 1, default 100000; -P >1 runs use N*P_SCALE), P_SCALE (5), ROUNDS (3),
# CLIENTS (50), TESTS (redis-benchmark -t names, comma separated; default the string tests and the
# collection tests), PIPELINES ("1 16"), MEM_KEYS (1000000, 0 skips), COLL_MEMBERS (1000000, 0 skips), TX_N
# (transactions per MULTI/EXEC run, N/2; 0 skips), SERVER_CPU (1), CLIENT_CPU (0),
# FERREDIS (binary; default target/release/ferredis-server, built first unless SKIP_BUILD=1), FERREDIS_ARGS (extra
# command-line directives for ferredis only, e.g. "--busy-poll-us 0"), REDIS (/usr/bin/redis-server).
# Results go to stdout and bench-results/<timestamp>/ (summary.txt plus raw.csv with every run, which also has
# redis-benchmark's own CPU seconds and the run's wall seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

N=${N:-100000}
P_SCALE=${P_SCALE:-5}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
SERVER_BOUND=${SERVER_BOUND-zadd_100k,zrangebyscore,sinter_10k,lrange_600,set_4k,mset}
SB_N=${SB_N:-$((N * P_SCALE))}
TESTS=${TESTS-ping_mbulk,set,get,incr,mset,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_600}
PIPELINES=${PIPELINES:-"1 16"}
ISSUE3_TESTS=lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_600
COLL_MEMBERS=${COLL_MEMBERS:-1000000}
MEM_KEYS=${MEM_KEYS:-1000000}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
CLK_TCK=$(getconf CLK_TCK)
OUT=bench-results/$(date +%Y%m%d-%H%M%S)

for tool in redis-benchmark redis-cli taskset awk; do
    command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool (apt-get install redis-tools util-linux gawk)"; exit 1; }
done
[ -x "$REDIS" ] || { echo "missing $REDIS (apt-get install redis-server)"; exit 1; }
if [ "${SKIP_BUILD:-0}" != 1 ] && [ "$FERREDIS" = target/release/ferredis-server ]; then
    cargo build --release
fi
[ -x "$FERREDIS" ] || { echo "missing $FERREDIS"; exit 1; }
mkdir -p "$OUT"
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT


# start_server <label> <binary>: prints "<pid> <port>"; retries on another port if the server fails to start.
start_server() {
    local attempt
    for attempt in 1 2 3 4 5; do
        if start_server_once "$@"; then return 0; fi
    done
    return 1
}

start_server_once() {
    local label=$1 bin=$2 port pid i extra=()
    port=$(free_port)
    mkdir -p "$WORK/$label-$port"
    # FERREDIS_ARGS: extra directives for ferredis only, e.g. "--busy-poll-us 0".
    [ "$label" = ferredis ] && read -r -a extra <<<"${FERREDIS_ARGS:-}"
    (cd "$WORK/$label-$port" && exec taskset -c "$SERVER_CPU" "$bin" --port "$port" --save '' \
        --appendonly no --daemonize no --bind 127.0.0.1 "${extra[@]}" >server.log 2>&1) &
    pid=$!
    for i in $(seq 1 200); do
        if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then
            echo "$pid $port"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    echo "server $label did not start on port $port; log:" >&2
    tail -5 "$WORK/$label-$port/server.log" >&2
    kill "$pid" 2>/dev/null || true
    return 1
}


# Absolute paths: servers run in scratch directories.
case $FERREDIS in /*) ;; *) FERREDIS=$PWD/$FERREDIS ;; esac
read -r FPID FPORT < <(start_server ferredis "$FERREDIS") || true
[ -n "${FPORT:-}" ] || { echo "ferredis did not start"; exit 1; }
PIDS+=("$FPID")
read -r RPID RPORT < <(start_server redis "$REDIS") || true
[ -n "${RPORT:-}" ] || { echo "redis did not start"; exit 1; }
PIDS+=("$RPID")

echo "ferredis: $FERREDIS pid $FPID port $FPORT | redis: $("$REDIS" --version | awk '{print $3}') pid $RPID port $RPORT"
echo "servers pinned to CPU $SERVER_CPU, redis-benchmark to CPU $CLIENT_CPU; -c $CLIENTS; $ROUNDS rounds; median"
echo "server,test,pipeline,round,requests,rps,cpu_seconds,client_cpu_seconds,wall_seconds" >"$OUT/raw.csv"

# row_args <test>: the redis-benchmark arguments of a row (a -t test name, or a server-bound row's own command).
row_args() {
    case $1 in
        zadd_100k) echo "-r 100000 -t zadd" ;;
        zrangebyscore) echo "-r 10000 zrangebyscore fix:zset __rand_int__ +inf LIMIT 0 10" ;;
        sinter_10k) echo "sinter fix:set:a fix:set:b" ;;
        set_4k) echo "-r 100000 -d 4096 -t set" ;;
        *) echo "-t $1" ;;
    esac
}

# row_n <test> <pipeline>: requests per run (the heavy server-bound rows run fewer).
row_n() {
    local n=$N
    [ "$2" -gt 1 ] && n=$((N * P_SCALE))
    case $1 in
        sinter_10k) n=$((SB_N / 50)) ;;
        zadd_100k | zrangebyscore | set_4k) n=$SB_N ;;
    esac
    echo "$n"
}

# Fixtures of the server-bound rows, loaded once into each server.
fixtures() {
    awk 'BEGIN {
        for (i = 0; i < 10000; i += 100) {
            printf "*202\r\n$4\r\nZADD\r\n$8\r\nfix:zset\r\n"
            for (j = i; j < i + 100; j++) printf "$%d\r\n%d\r\n$%d\r\nm:%d\r\n", length(j ""), j, length("m:" j), j
            printf "*102\r\n$4\r\nSADD\r\n$9\r\nfix:set:a\r\n"
            for (j = i; j < i + 100; j++) printf "$%d\r\nm:%d\r\n", length("m:" j), j
            printf "*102\r\n$4\r\nSADD\r\n$9\r\nfix:set:b\r\n"
            for (j = i + 5000; j < i + 5100; j++) printf "$%d\r\nm:%d\r\n", length("m:" j), j
        }
    }' >"$WORK/fixtures.resp"
    redis-cli -p "$FPORT" --pipe <"$WORK/fixtures.resp" >/dev/null
    redis-cli -p "$RPORT" --pipe <"$WORK/fixtures.resp" >/dev/null
}

# bench_one <server> <pid> <port> <test> <pipeline> <requests> <round>: appends a raw row.
bench_one() {
    local server=$1 pid=$2 port=$3 t=$4 p=$5 n=$6 round=$7 before after out rps cpu args t0 t1 extra
    read -r -a args <<<"$(row_args "$t")"
    before=$(cpu_ticks "$pid")
    t0=$(date +%s%N)
    out=$(client_run redis-benchmark -p "$port" -c "$CLIENTS" -n "$n" -P "$p" --csv "${args[@]}" 2>/dev/null)
    t1=$(date +%s%N)
    after=$(cpu_ticks "$pid")
    # The last row: lrange_* tests first print the LPUSH that fills their list.
    rps=$(printf '%s\n' "$out" | awk -F'"' 'NR > 1 && $2 != "" {r = $4} END {print r}')
    cpu=$(awk -v a="$after" -v b="$before" -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", (a - b) / hz}')
    # redis-benchmark's own CPU seconds, and the run's wall seconds.
    extra=$(awk -v c="$(cat "$WORK/client_ticks")" -v w=$((t1 - t0)) -v hz="$CLK_TCK" \
        'BEGIN {printf "%.2f,%.3f", c / hz, w / 1e9}')
    echo "$server,$t,$p,$round,$n,${rps:-0},$cpu,$extra" >>"$OUT/raw.csv"
}

# run_rows <pipeline> <test>...: every round of every row, alternating the servers.
run_rows() {
    local p=$1 t n round
    shift
    for t in "$@"; do
        n=$(row_n "$t" "$p")
        for round in $(seq 1 "$ROUNDS"); do
            if [ $((round % 2)) = 1 ]; then
                bench_one ferredis "$FPID" "$FPORT" "$t" "$p" "$n" "$round"
                bench_one redis "$RPID" "$RPORT" "$t" "$p" "$n" "$round"
            else
                bench_one redis "$RPID" "$RPORT" "$t" "$p" "$n" "$round"
                bench_one ferredis "$FPID" "$FPORT" "$t" "$p" "$n" "$round"
            fi
        done
        printf '.' >&2 # progress
    done
}

IFS=',' read -r -a TEST_LIST <<<"$TESTS"
IFS=',' read -r -a SB_LIST <<<"$SERVER_BOUND"
for p in $PIPELINES; do
    [ ${#TEST_LIST[@]} -gt 0 ] && run_rows "$p" "${TEST_LIST[@]}"
done
if [ ${#SB_LIST[@]} -gt 0 ]; then
    fixtures
    run_rows 16 "${SB_LIST[@]}"
fi
echo >&2

col() { # col <server> <test> <pipeline> <field#>
    awk -F, -v s="$1" -v t="$2" -v p="$3" -v f="$4" '$1 == s && $2 == t && $3 == p {print $f}' "$OUT/raw.csv" | median
}

# row_line <test> <pipeline> <kind>: one summary line (kind "" or "sb" for the server-bound rows).
row_line() {
    local t=$1 p=$2 kind=$3 f r fc rc n
    f=$(col ferredis "$t" "$p" 6)
    r=$(col redis "$t" "$p" 6)
    fc=$(col ferredis "$t" "$p" 7)
    rc=$(col redis "$t" "$p" 7)
    n=$(row_n "$t" "$p")
    awk -v t="$t${kind:+*}" -v p="$p" -v f="$f" -v r="$r" -v fc="$fc" -v rc="$rc" -v n="$n" -v sb="$kind" 'BEGIN {
        ratio = (r > 0) ? f / r : 0; cr = (rc > 0) ? fc / rc : 0
        fm = fc * 1e6 / n; rm = rc * 1e6 / n
        miss = (cr <= 0.70) ? "" : " cpu"
        if (sb != "" && ratio < 1.10) miss = miss " rps"
        printf "%-15s %3s %10.2f %10.2f %7.2f %12.0f %12.0f %6.2f  %s\n", t, p, fm, rm, cr, f, r, ratio,
            (miss == "") ? "ok" : "MISS" miss
    }'
}

{
    printf '%-15s %3s %10s %10s %7s %12s %12s %6s  %s\n' test P fer_cpu/M red_cpu/M cpu_rat ferredis_rps \
        redis_rps ratio "target: cpu_rat<=0.70 (rows*: also ratio>=1.10)"
    for p in $PIPELINES; do
        for t in "${TEST_LIST[@]}"; do row_line "$t" "$p" ""; done
    done
    for t in "${SB_LIST[@]}"; do row_line "$t" 16 sb; done
    echo "cpu/M: server CPU seconds per million requests (utime+stime); * = server-bound row"
} | tee "$OUT/summary.txt"

# ---- MULTI/EXEC of 10 SETs (transactions; section owned by the "tx" work) -------------------------------------
# redis-benchmark sends one command kind per run, so it cannot interleave MULTI, 10 x SET, EXEC: the load generator
# benches/multi_exec.rs does, over CLIENTS connections with one transaction (12 commands in one write) in flight per
# connection, checking every reply byte. Same servers, pinning and round alternation as above; TX_N transactions per
# run (0 skips). Reported as transactions/s.
TX_N=${TX_N:-$((N / 2))}
if [ "$TX_N" -gt 0 ]; then
    if [ "${SKIP_BUILD:-0}" != 1 ]; then
        cargo build --release --bench multi_exec >&2
    fi
    TXGEN=$(ls -t target/release/deps/multi_exec-* 2>/dev/null | grep -v '\.d$' | head -1 || true)
    [ -x "$TXGEN" ] || { echo "missing the multi_exec load generator (cargo build --release --bench multi_exec)"; exit 1; }
    bench_tx() { # bench_tx <server> <pid> <port> <round>
        local before after out cpu
        before=$(cpu_ticks "$2")
        out=$(taskset -c "$CLIENT_CPU" "$TXGEN" --port "$3" --clients "$CLIENTS" --transactions "$TX_N")
        after=$(cpu_ticks "$2")
        cpu=$(awk -v a="$after" -v b="$before" -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", (a - b) / hz}')
        echo "$1,multi_exec10,tx,$4,$TX_N,$(printf '%s\n' "$out" | awk '{print $3}'),$cpu" >>"$OUT/raw.csv"
    }
    for round in $(seq 1 "$ROUNDS"); do
        if [ $((round % 2)) = 1 ]; then
            bench_tx ferredis "$FPID" "$FPORT" "$round"
            bench_tx redis "$RPID" "$RPORT" "$round"
        else
            bench_tx redis "$RPID" "$RPORT" "$round"
            bench_tx ferredis "$FPID" "$FPORT" "$round"
        fi
    done
    {
        f=$(col ferredis multi_exec10 tx 6)
        r=$(col redis multi_exec10 tx 6)
        fc=$(col ferredis multi_exec10 tx 7)
        rc=$(col redis multi_exec10 tx 7)
        awk -v f="$f" -v r="$r" -v fc="$fc" -v rc="$rc" 'BEGIN {
            ratio = (r > 0) ? f / r : 0; cr = (rc > 0) ? fc / rc : 0
            printf "%-12s %3s %14.0f %14.0f %7.2f %9.2f %9.2f %7.2f %7s%s\n", "multi_exec10", "tx", f, r, ratio, fc, rc,
                cr, "1.00", (ratio >= 1.0 && fc <= rc) ? "" : "  MISS"
            print "  (multi_exec10: MULTI + 10 x SET + EXEC per transaction; columns are transactions/s)"
        }'
    } | tee -a "$OUT/summary.txt"
fi
# ---- end of the MULTI/EXEC section -------------------------------------------------------------------------------

kill "$FPID" "$RPID" 2>/dev/null || true
wait "$FPID" "$RPID" 2>/dev/null || true
PIDS=()

# ---- Pub/Sub (helper "pubsub") ---------------------------------------------------------------------------------
# PUBLISH throughput with PUBSUB_SUBS subscribers on the channel (each a bash /dev/tcp socket drained by `cat`, so
# the readers cost little), alternating the two servers round by round like the tests above; then the slow
# subscriber check: a subscriber that never reads while PUBSUB_SLOW_MB x 1 MiB messages are published, reporting the
# server's peak RSS (VmHWM) above its idle RSS against the default pubsub hard limit (32 MiB).
# Knobs: PUBSUB_SUBS ("1 50", empty skips), PUBSUB_N (requests per run, default N), PUBSUB_SLOW_MB (1024, 0 skips).
PUBSUB_SUBS=${PUBSUB_SUBS-"1 50"}
PUBSUB_N=${PUBSUB_N:-$N}
PUBSUB_SLOW_MB=${PUBSUB_SLOW_MB:-1024}

# start_subscribers <port> <count>: drains PUBLISH traffic on bench:ch; pids appended to SUB_PIDS.
start_subscribers() {
    local port=$1 count=$2 i
    for i in $(seq 1 "$count"); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf '*2\r\n$9\r\nSUBSCRIBE\r\n$8\r\nbench:ch\r\n' >&3 \
            && exec taskset -c "$CLIENT_CPU" cat <&3 >/dev/null) &
        SUB_PIDS+=("$!")
    done
    for i in $(seq 1 200); do
        [ "$(redis-cli -p "$port" pubsub numsub bench:ch | tail -1)" = "$count" ] && return 0
        sleep 0.05
    done
    echo "subscribers did not attach on port $port" >&2
    return 1
}

stop_subscribers() {
    local p
    for p in "${SUB_PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    for p in "${SUB_PIDS[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
    SUB_PIDS=()
}

# bench_publish <server> <pid> <port> <subs> <round>: appends a raw row (test publish_<subs>subs, pipeline 1).
bench_publish() {
    local server=$1 pid=$2 port=$3 subs=$4 round=$5 before after out rps cpu
    SUB_PIDS=()
    start_subscribers "$port" "$subs"
    before=$(cpu_ticks "$pid")
    out=$(taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c "$CLIENTS" -n "$PUBSUB_N" --csv \
        PUBLISH bench:ch hello-subscribers 2>/dev/null)
    after=$(cpu_ticks "$pid")
    stop_subscribers
    rps=$(printf '%s\n' "$out" | awk -F'"' 'NR > 1 && $2 != "" {print $4; exit}')
    cpu=$(awk -v a="$after" -v b="$before" -v hz="$CLK_TCK" 'BEGIN {printf "%.2f", (a - b) / hz}')
    echo "$server,publish_${subs}subs,1,$round,$PUBSUB_N,${rps:-0},$cpu" >>"$OUT/raw.csv"
}

if [ -n "$PUBSUB_SUBS" ]; then
    read -r FPID FPORT < <(start_server ferredis "$FERREDIS") || true
    [ -n "${FPORT:-}" ] || { echo "ferredis did not start"; exit 1; }
    read -r RPID RPORT < <(start_server redis "$REDIS") || true
    [ -n "${RPORT:-}" ] || { echo "redis did not start"; exit 1; }
    PIDS+=("$FPID" "$RPID")
    echo
    for subs in $PUBSUB_SUBS; do
        for round in $(seq 1 "$ROUNDS"); do
            if [ $((round % 2)) = 1 ]; then
                bench_publish ferredis "$FPID" "$FPORT" "$subs" "$round"
                bench_publish redis "$RPID" "$RPORT" "$subs" "$round"
            else
                bench_publish redis "$RPID" "$RPORT" "$subs" "$round"
                bench_publish ferredis "$FPID" "$FPORT" "$subs" "$round"
            fi
        done
        printf '.' >&2
    done
    echo >&2
    {
        printf '%-16s %3s %14s %14s %7s %9s %9s %7s %7s\n' test P ferredis_rps redis_rps ratio fer_cpu_s red_cpu_s \
            cpu_rat target
        for subs in $PUBSUB_SUBS; do
            t=publish_${subs}subs
            f=$(col ferredis "$t" 1 6)
            r=$(col redis "$t" 1 6)
            fc=$(col ferredis "$t" 1 7)
            rc=$(col redis "$t" 1 7)
            awk -v t="$t" -v f="$f" -v r="$r" -v fc="$fc" -v rc="$rc" 'BEGIN {
                ratio = (r > 0) ? f / r : 0; cr = (rc > 0) ? fc / rc : 0
                printf "%-16s %3s %14.0f %14.0f %7.2f %9.2f %9.2f %7.2f %7s%s\n", t, 1, f, r, ratio, fc, rc, cr, "1.00",
                    (ratio >= 1.0) ? "" : "  MISS"
            }'
        done
    } | tee -a "$OUT/summary.txt"
    kill "$FPID" "$RPID" 2>/dev/null || true
    wait "$FPID" "$RPID" 2>/dev/null || true
    PIDS=()
fi

if [ "$PUBSUB_SLOW_MB" -gt 0 ]; then
    echo
    {
        printf '%-10s %8s %12s %12s %14s %10s\n' server sent_mb idle_rss_kb peak_rss_kb peak-idle_kb limit_kb
        for label in ferredis redis; do
            bin=$FERREDIS
            [ "$label" = redis ] && bin=$REDIS
            pid="" port=""
            read -r pid port < <(start_server "$label" "$bin") || true
            [ -n "$port" ] || { echo "$label did not start"; exit 1; }
            PIDS+=("$pid")
            # The subscriber holds its socket open and never reads.
            (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf '*2\r\n$9\r\nSUBSCRIBE\r\n$7\r\nslow:ch\r\n' >&3 \
                && exec sleep 600) &
            slow=$!
            for i in $(seq 1 200); do
                [ "$(redis-cli -p "$port" pubsub numsub slow:ch | tail -1)" = 1 ] && break
                sleep 0.05
            done
            sleep 0.2
            idle=$(rss_kb "$pid")
            awk -v n="$PUBSUB_SLOW_MB" 'BEGIN {
                m = "mmmmmmmmmmmmmmmm"; while (length(m) < 1048576) m = m m
                for (i = 0; i < n; i++) printf "*3\r\n$7\r\nPUBLISH\r\n$7\r\nslow:ch\r\n$1048576\r\n%s\r\n", m
            }' | redis-cli -p "$port" --pipe >/dev/null
            peak=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
            awk -v l="$label" -v n="$PUBSUB_SLOW_MB" -v i="$idle" -v p="$peak" 'BEGIN {
                d = p - i; printf "%-10s %8d %12d %12d %14d %10d%s\n", l, n, i, p, d, 32768,
                    (d <= 32768 + 16384) ? "" : "  MISS"
            }'
            kill "$slow" 2>/dev/null || true
            wait "$slow" 2>/dev/null || true
            kill "$pid" 2>/dev/null || true
            wait "$pid" 2>/dev/null || true
        done
        echo "target: ferredis peak RSS - idle RSS <= pubsub hard limit (32 MiB) + 16 MiB"
    } | tee -a "$OUT/summary.txt"
    PIDS=()
fi

if [ "$MEM_KEYS" -gt 0 ]; then
    # RESP streams for MEM_KEYS SETs, without and with a TTL (EX 100000), generated once each.
    for ttl in none ex; do
        awk -v n="$MEM_KEYS" -v ttl="$ttl" 'BEGIN {
            for (i = 0; i < n; i++) {
                k = sprintf("key:%012d", i); v = "val" i
                if (ttl == "ex")
                    printf "*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$2\r\nEX\r\n$6\r\n100000\r\n", length(k), k, length(v), v
                else
                    printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
            }
        }' >"$WORK/load-$ttl.resp"
    done
    echo
    {
        printf '%-10s %-4s %10s %12s %12s %10s %7s\n' server ttl keys rss_before_kb rss_after_kb bytes/key target
        for ttl in none ex; do
            for label in ferredis redis; do
                bin=$FERREDIS
                [ "$label" = redis ] && bin=$REDIS
                pid="" port=""
                read -r pid port < <(start_server "$label" "$bin") || true
                [ -n "$port" ] || { echo "$label did not start"; exit 1; }
                PIDS+=("$pid")
                sleep 0.2
                before=$(rss_kb "$pid")
                redis-cli -p "$port" --pipe <"$WORK/load-$ttl.resp" >/dev/null
                keys=$(redis-cli -p "$port" dbsize)
                sleep 0.2
                after=$(rss_kb "$pid")
                target=""
                [ "$label" = ferredis ] && { [ "$ttl" = none ] && target=48 || target=64; }
                awk -v l="$label" -v t="$ttl" -v k="$keys" -v b="$before" -v a="$after" -v tg="$target" 'BEGIN {
                    per = (k > 0) ? (a - b) * 1024 / k : 0
                    printf "%-10s %-4s %10d %12d %12d %10.1f %7s%s\n", l, t, k, b, a, per, tg,
                        (tg != "" && per > tg) ? "  MISS" : ""
                }'
                kill "$pid" 2>/dev/null || true
                wait "$pid" 2>/dev/null || true
            done
        done
        echo "target: ferredis <= 48 bytes/key without a TTL, <= 64 with one"
    } | tee -a "$OUT/summary.txt"
    rm -f "$WORK"/load-*.resp
fi
# ---- Collection memory ------------------------------------------------------------------------------
if [ "$COLL_MEMBERS" -gt 0 ]; then
    # gen <dataset>: the RESP load stream, generated once per dataset.
    gen() {
        awk -v n="$COLL_MEMBERS" -v what="$1" '
        function bulk(s) { return sprintf("$%d\r\n%s\r\n", length(s), s) }
        BEGIN {
            if (what == "small") {
                for (i = 0; i < n; i++) {
                    printf "*12\r\n$4\r\nHSET\r\n%s%s%s%s%s%s%s%s%s%s%s", bulk("hash:" i),
                        bulk("name"), bulk("user" i), bulk("email"), bulk("user" i "@example.com"),
                        bulk("city"), bulk("Amsterdam"), bulk("visits"), bulk(i % 1000), bulk("score"), bulk(i % 97)
                }
                exit
            }
            batch = 100
            for (i = 0; i < n; i += batch) {
                m = (n - i < batch) ? n - i : batch
                if (what == "hash") {
                    printf "*%d\r\n$4\r\nHSET\r\n%s", 2 + 2 * m, bulk("bighash")
                    for (j = i; j < i + m; j++) printf "%s%s", bulk("field:" j), bulk("value:" j)
                } else if (what == "set") {
                    printf "*%d\r\n$4\r\nSADD\r\n%s", 2 + m, bulk("bigset")
                    for (j = i; j < i + m; j++) printf "%s", bulk("member:" j)
                } else {
                    printf "*%d\r\n$4\r\nZADD\r\n%s", 2 + 2 * m, bulk("bigzset")
                    for (j = i; j < i + m; j++) printf "%s%s", bulk(j), bulk("member:" j)
                }
            }
        }' >"$WORK/coll-$1.resp"
    }
    # count <port> <dataset>: elements loaded (keys for the small hashes).
    count() {
        case $2 in
            hash) redis-cli -p "$1" hlen bighash ;;
            set) redis-cli -p "$1" scard bigset ;;
            zset) redis-cli -p "$1" zcard bigzset ;;
            small) redis-cli -p "$1" dbsize ;;
        esac
    }
    echo
    {
        printf '%-6s %-10s %9s %12s %12s %10s %10s\n' data server elements rss_before_kb rss_after_kb bytes/elt \
            fer/red
        for ds in hash set zset small; do
            gen "$ds"
            fb=0
            for label in ferredis redis; do
                bin=$FERREDIS
                [ "$label" = redis ] && bin=$REDIS
                pid="" port=""
                read -r pid port < <(start_server "$label" "$bin") || true
                [ -n "$port" ] || { echo "$label did not start"; exit 1; }
                PIDS+=("$pid")
                sleep 0.2
                before=$(rss_kb "$pid")
                redis-cli -p "$port" --pipe <"$WORK/coll-$ds.resp" >/dev/null
                elems=$(count "$port" "$ds")
                sleep 0.2
                after=$(rss_kb "$pid")
                per=$(awk -v k="$elems" -v b="$before" -v a="$after" 'BEGIN {printf "%.1f", (k > 0) ? (a - b) * 1024 / k : 0}')
                [ "$label" = ferredis ] && fb=$per
                awk -v d="$ds" -v l="$label" -v k="$elems" -v b="$before" -v a="$after" -v per="$per" -v fb="$fb" 'BEGIN {
                    r = (l == "redis" && per > 0) ? sprintf("%.2f%s", fb / per, (fb <= per) ? "" : "  MISS") : ""
                    printf "%-6s %-10s %9d %12d %12d %10.1f %10s\n", d, l, k, b, a, per, r
                }'
                kill "$pid" 2>/dev/null || true
                wait "$pid" 2>/dev/null || true
            done
            rm -f "$WORK/coll-$ds.resp"
        done
        echo "target: ferredis bytes/element <= redis for each dataset"
    } | tee -a "$OUT/summary.txt"
    PIDS=()
fi
echo "results in $OUT/"
