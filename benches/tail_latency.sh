#!/usr/bin/env bash
# Tail latency while the keyspace grows, saves, expires and frees: ferredis against Debian's redis-server 7.0 in
# the same run.
#
# For each scenario and each server (ferredis first, then redis) a fresh server is started (pinned to SERVER_CPU,
# `--enable-debug-command local`, no persistence unless the scenario turns it on, `--dir` in the scratch
# directory), the scenario's data is set up, and then benches/latency_probe.rs (pinned to CLIENT_CPU, its own
# connection) sends PING every INTERVAL_MS ms on a fixed schedule, one request in flight, from BASELINE_S seconds
# before the scenario's load starts until BASELINE_S seconds after it ends. The prober's p50/p99/p99.9/max round
# trip is reported per row. Counts below are divided by SCALE (SCALE=20 is a quick smoke run). Scenarios (SCENARIOS,
# comma separated; default: all but growth50m):
#   growth10m        redis-benchmark -t set -r 10000000 -n 15000000 -P 16 -c 50 -d 8 into an empty server (the
#                    keyspace grows to ~7.8M keys through every table resize).
#   growth50m        the same with -r 50000000 -n 75000000 (opt-in: ~5 GB per server).
#   p1, p16          redis-benchmark -c 50 -n 1000000 -t set,get -r 1000000, pipeline 1 / 16.
#   expire5m         5M keys (DEBUG POPULATE, `key:<n>`), each given the same PEXPIREAT (redis-cli --pipe) a few
#                    seconds ahead (EXPIRE_AHEAD_S); probing from BASELINE_S before that moment until DBSIZE is 0.
#   flushall_async   10M keys, FLUSHALL ASYNC; probing until lazyfree_pending_objects is 0, then TAIL_S more.
#   sadd10m, hset10m one set (hash) grown to 10M members (fields) by SADDs (HSETs) of 1000 through redis-cli --pipe,
#                    probed while it grows through every table resize of the collection's own hash table.
#   unlink_set       a 10M-member set `myset` (members `m:<n>`, SADDs of 1000 through redis-cli --pipe), UNLINK
#                    myset; probing until lazyfree_pending_objects is 0, then TAIL_S more.
#   bgsave10m        10M keys, a SET load (redis-benchmark -t set -r 10000000 -P 16 -c 10, run until the save ends;
#                    its keys `key:<12 digits>` are new ones, so the keyspace also grows during the save), BGSAVE;
#                    probing until rdb_bgsave_in_progress is 0.
#   bgrewriteaof10m  the same with --appendonly yes and BGREWRITEAOF, until aof_rewrite_in_progress is 0.
#   fullsync         10M keys on the master; a second server of the same kind started as its replica (pinned to
#                    REPLICA_CPU), probing the master until the replica shows master_link_status:up and
#                    master_sync_in_progress:0 (Redis's default diskless sync waits repl-diskless-sync-delay, 5 s).
# Every load step is checked (DBSIZE, SCARD, INFO keyspace's expires, --pipe's error count, redis-benchmark's
# completed count, the save's or rewrite's status, the replica's DBSIZE); a failed check ends the run.
# The plain-load rows (growth*, p1, p16) also carry redis-benchmark's own latencies: p50, p99 and max are its
# summary's (the figures --csv prints), p99.9 is the first row of its percentile distribution at or above 99.9%
# (HdrHistogram's halving steps: the 99.902% row); with two tests the cells read SET/GET.
# Output: bench-results/<timestamp>-tail-latency/summary.md (one row per scenario and server, latencies in ms,
# "phase" the load's duration: the benchmark, expiry, free, save, rewrite or sync; the ferredis row carries the
# ferredis/redis ratios of the prober's max and p99.9, and redis-benchmark's for the plain-load rows; "load" the
# machine's 1-minute load average at the row's end, a hint of other work competing for the two cores) and raw.csv.
# REPEAT=N runs each scenario N times (odd runs ferredis first, even runs redis first) and adds a "median" row
# per server: each figure's median over the N runs. One run's maximum on a shared 2-core machine is one sample of
# whatever else ran then (kernel threads such as kdamond take a few ms of either CPU at random moments), so the
# median of several runs is the figure to compare; a "pooled" row per server adds the prober's percentiles over
# all the runs' samples together (its p99.9 is then a rank among REPEAT times as many samples).
# Knobs: SCENARIOS, SCALE (1), REPEAT (1), INTERVAL_MS (2), BASELINE_S (1), TAIL_S (3), EXPIRE_AHEAD_S (5 + BASELINE_S + 6 s
# per million keys; doubled and the scenario restarted, up to twice, when loading the TTLs takes longer), LIMIT_S (600: longest wait for an expiry, free, save, rewrite or sync), SERVER_CPU (1),
# CLIENT_CPU (0), REPLICA_CPU (CLIENT_CPU), FERREDIS (target/release/ferredis-server, built first unless
# SKIP_BUILD=1), REDIS (/usr/bin/redis-server), PROBE (a prebuilt benches/latency_probe.rs; by default compiled
# with rustc into the scratch directory), PROBE_RT (10 when run as root with chrt at hand, else unset; 0 turns it
# off: the prober runs under SCHED_FIFO at that priority, so the load generator it shares CLIENT_CPU with cannot
# hold its sends and reads back, and its figures are the server's delays rather than its own CPU's run queue; the
# same for both servers, and the summary's first line says which was used), SERVER_ARGS
# (unset; options given to both servers after the scenario's, e.g. "--bgsave_cpulist 0 --aof_rewrite_cpulist 0"
# to run the fork children off the server's CPU).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

SCENARIOS=${SCENARIOS:-growth10m,p1,p16,sadd10m,hset10m,expire5m,flushall_async,unlink_set,bgsave10m,bgrewriteaof10m,fullsync}
SCALE=${SCALE:-1}
REPEAT=${REPEAT:-1}
INTERVAL_MS=${INTERVAL_MS:-2}
BASELINE_S=${BASELINE_S:-1}
TAIL_S=${TAIL_S:-3}
EXPIRE_AHEAD_S=${EXPIRE_AHEAD_S:-}
LIMIT_S=${LIMIT_S:-600}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
REPLICA_CPU=${REPLICA_CPU:-$CLIENT_CPU}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
PROBE=${PROBE:-}
if [ -z "${PROBE_RT+set}" ] && [ "$(id -u)" = 0 ] && command -v chrt >/dev/null 2>&1; then
    PROBE_RT=10
fi
[ "${PROBE_RT:-}" != 0 ] || PROBE_RT=""

fail() { echo "tail_latency: $*" >&2; exit 1; }
IFS=',' read -r -a SCENARIO_LIST <<<"$SCENARIOS"
for sc in "${SCENARIO_LIST[@]}"; do
    case $sc in
        growth10m | growth50m | p1 | p16 | sadd10m | hset10m | expire5m | flushall_async | unlink_set | bgsave10m | bgrewriteaof10m | fullsync) ;;
        *) fail "unknown scenario '$sc'" ;;
    esac
done
[[ $SCALE =~ ^[1-9][0-9]*$ ]] || fail "SCALE must be a positive integer"
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || fail "REPEAT must be a positive integer"

bench_prepare tail-latency
if [ -z "$PROBE" ]; then
    command -v rustc >/dev/null 2>&1 || fail "missing rustc (or set PROBE to a built latency_probe)"
    PROBE=$WORK/latency_probe
    rustc --edition 2021 -C opt-level=3 -o "$PROBE" benches/latency_probe.rs
fi

# scaled <count>: the count divided by SCALE (at least 1).
scaled() { local n=$(($1 / SCALE)); [ "$n" -ge 1 ] || n=1; echo "$n"; }
now_ms() { date +%s%3N; }
# alive <pid>: the process exists and is not a zombie.
alive() { [ -r "/proc/$1/stat" ] && [ "$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)" != Z ]; }
# info_get <port> <section> <field>
info_get() { cli "$1" info "$2" 2>/dev/null | tr -d '\r' | awk -F: -v f="$3" '$1 == f {print $2}'; }
info_is() { [ "$(info_get "$1" "$2" "$3")" = "$4" ]; }
dbsize() { cli "$1" dbsize | tr -d '\r'; }
dbsize_is() { [ "$(dbsize "$1" 2>/dev/null)" = "$2" ]; }
lazyfree_done() { info_is "$1" memory lazyfree_pending_objects 0; }
bgsave_done() { info_is "$1" persistence rdb_bgsave_in_progress 0; }
aof_idle() { info_is "$1" persistence aof_rewrite_in_progress 0 && info_is "$1" persistence aof_rewrite_scheduled 0; }
replica_synced() {
    info_is "$1" replication master_link_status up && info_is "$1" replication master_sync_in_progress 0
}

# wait_for <what> <command...>: runs the command every 0.1 s until it succeeds; fails after LIMIT_S seconds or
# when a server of the scenario ($LIVE) is gone.
wait_for() {
    local what=$1 t0 p
    shift
    t0=$(now_ms)
    until "$@"; do
        for p in "${LIVE[@]}"; do alive "$p" || fail "$what: server pid $p exited (logs in $WORK)"; done
        [ $(($(now_ms) - t0)) -lt $((LIMIT_S * 1000)) ] || fail "$what: not done after $LIMIT_S s"
        sleep 0.1
    done
}

# start_one <label> <binary> [args...]: a fresh server (lib.sh's start_server); sets SPID SPORT and LIVE.
start_one() {
    SPID="" SPORT=""
    # shellcheck disable=SC2086 # SERVER_ARGS is a list of options
    read -r SPID SPORT < <(start_server "$@" ${SERVER_ARGS:-}) || true
    [ -n "${SPORT:-}" ] || fail "$1 did not start"
    PIDS+=("$SPID")
    LIVE=("$SPID")
}

# stop_one <pid>: SIGTERM, then wait up to a minute for the process to go (SIGKILL after that).
stop_one() {
    kill "$1" 2>/dev/null || true
    for _ in $(seq 1 600); do
        alive "$1" || return 0
        sleep 0.1
    done
    kill -9 "$1" 2>/dev/null || true
}

# probe_start <port>: starts the prober and lets it run alone for BASELINE_S seconds.
probe_start() {
    local fifo=$WORK/probe.fifo
    rm -f "$fifo"
    mkfifo "$fifo"
    rm -f "$WORK/probe.samples"
    PROBE_SAMPLES_FILE=$WORK/probe.samples taskset -c "$CLIENT_CPU" ${PROBE_RT:+chrt -f "$PROBE_RT"} "$PROBE" "$1" \
        "$INTERVAL_MS" <"$fifo" >"$WORK/probe.out" 2>"$WORK/probe.err" &
    PROBE_PID=$!
    PIDS+=("$PROBE_PID")
    exec {PROBE_FD}>"$fifo"
    sleep "$BASELINE_S"
    alive "$PROBE_PID" || fail "the prober exited early: $(cat "$WORK/probe.err")"
}

# probe_stop: BASELINE_S seconds more, then stops the prober; sets PROBE_RESULT (samples p50 p99 p99.9 max, us).
probe_stop() {
    sleep "$BASELINE_S"
    (trap '' PIPE; echo stop >&"$PROBE_FD") 2>/dev/null || true
    exec {PROBE_FD}>&-
    wait "$PROBE_PID" || fail "the prober failed: $(cat "$WORK/probe.err")"
    PROBE_RESULT=$(sed 's/[a-z0-9._]*=//g' "$WORK/probe.out")
    [ -n "$PROBE_RESULT" ] || fail "the prober printed nothing"
}

# rb_load <port> <redis-benchmark args...>: a benchmark pinned to CLIENT_CPU; sets RB ("TEST p50 p99 p99.9 max"
# per test, ';' separated, ms) and checks every test completed all its requests.
rb_load() {
    local port=$1 n="" a
    shift
    for a in "$@"; do
        if [ "$n" = next ]; then n=$a; fi
        if [ "$a" = -n ]; then n=next; fi
    done
    taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" "$@" >"$WORK/rb.out" 2>"$WORK/rb.err" \
        || fail "redis-benchmark $*: $(tail -3 "$WORK/rb.err")"
    RB=$(tr '\r' '\n' <"$WORK/rb.out" | awk -v n="$n" '
        /^====== .* ======$/ {t = $2; order[++k] = t; next}
        / requests completed in / {done[t] = $1}
        /^Latency by percentile distribution:/ {dist = 1; next}
        dist && /^$/ {dist = 0}
        dist && /^[0-9.]+% <= / {p = $1; sub(/%/, "", p); if (p + 0 >= 99.9 && !(t in p999)) p999[t] = $3; next}
        /latency summary \(msec\):/ {getline; getline; s[t] = $0}
        END {
            for (i = 1; i <= k; i++) {
                t = order[i]
                if (done[t] != n || !(t in s)) {print "BAD " t " completed " done[t] " of " n; exit}
                split(s[t], a, " ")
                printf "%s%s %s %s %s %s", (i > 1 ? ";" : ""), t, a[3], a[5], p999[t], a[6]
            }
        }')
    case $RB in "" | BAD*) fail "redis-benchmark $*: ${RB:-no results}" ;; esac
}

# bg_load_start <port> <keys> / bg_load_stop: the SET load that runs through a save or rewrite.
bg_load_start() {
    taskset -c "$CLIENT_CPU" redis-benchmark -p "$1" -t set -r "$2" -P 16 -c 10 -n 2000000000 -q \
        >/dev/null 2>"$WORK/bgload.err" &
    LOAD_PID=$!
    PIDS+=("$LOAD_PID")
    sleep 1
    alive "$LOAD_PID" || fail "the SET load exited early: $(cat "$WORK/bgload.err")"
}
bg_load_stop() {
    alive "$LOAD_PID" || fail "the SET load exited before the end: $(cat "$WORK/bgload.err")"
    kill "$LOAD_PID"
    wait "$LOAD_PID" 2>/dev/null || true
}

populate() {
    cli "$1" debug populate "$2" key 8 >/dev/null
    dbsize_is "$1" "$2" || fail "DEBUG POPULATE $2: DBSIZE is $(dbsize "$1")"
}
# at_least <what> <value> <minimum>
at_least() { [ "$2" -ge "$3" ] || fail "$1 is $2, expected at least $3"; }
# pipe_ok <port> <file|-> <replies>: redis-cli --pipe, checking the reply count and that no reply was an error.
pipe_ok() {
    local out
    if [ "$2" = - ]; then out=$(cli "$1" --pipe 2>&1); else out=$(cli "$1" --pipe <"$2" 2>&1); fi \
        || fail "redis-cli --pipe: $out"
    case $out in *"errors: 0, replies: $3"*) ;; *) fail "redis-cli --pipe, expected $3 replies, no errors: $out" ;; esac
}

# set_file <n> / hash_file <n>: $WORK/set-<n>.resp (SADD myset m:0 ..) and $WORK/hash-<n>.resp (HSET myhash
# f:0 v:0 ..), 1000 members or fields per command, written once per run.
set_file() {
    [ -s "$WORK/set-$1.resp" ] || awk -v n="$1" 'BEGIN {
        for (i = 0; i < n; i += 1000) {
            c = (n - i < 1000) ? n - i : 1000
            printf "*%d\r\n$4\r\nSADD\r\n$5\r\nmyset\r\n", c + 2
            for (j = i; j < i + c; j++) { m = "m:" j; printf "$%d\r\n%s\r\n", length(m), m }
        }
    }' >"$WORK/set-$1.resp"
}
hash_file() {
    [ -s "$WORK/hash-$1.resp" ] || awk -v n="$1" 'BEGIN {
        for (i = 0; i < n; i += 1000) {
            c = (n - i < 1000) ? n - i : 1000
            printf "*%d\r\n$4\r\nHSET\r\n$6\r\nmyhash\r\n", 2 * c + 2
            for (j = i; j < i + c; j++) {
                f = "f:" j; v = "v:" j
                printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(f), f, length(v), v
            }
        }
    }' >"$WORK/hash-$1.resp"
}

# run_scenario <scenario> <label> <binary>: one scenario on one server; sets PHASE_S, RB and PROBE_RESULT.
run_scenario() {
    local sc=$1 label=$2 bin=$3 k n t0 t1 port dir rdir deadline ahead
    RB=-
    dir=$WORK/data-$label-$sc
    mkdir -p "$dir"
    case $sc in
        growth10m | growth50m | p1 | p16)
            start_one "$label" "$bin" --enable-debug-command local
            port=$SPORT
            case $sc in
                growth10m) k=$(scaled 10000000) n=$(scaled 15000000) ;;
                growth50m) k=$(scaled 50000000) n=$(scaled 75000000) ;;
                *) k=$(scaled 1000000) n=$k ;;
            esac
            probe_start "$port"
            t0=$(now_ms)
            case $sc in
                growth*) rb_load "$port" -t set -r "$k" -n "$n" -P 16 -c 50 -d 8 ;;
                p1) rb_load "$port" -c 50 -n "$n" -t set,get -r "$k" ;;
                p16) rb_load "$port" -c 50 -n "$n" -t set,get -r "$k" -P 16 ;;
            esac
            t1=$(now_ms)
            probe_stop
            # n random keys out of k: k * (1 - e^(-n/k)) distinct ones expected (0.78 k for growth, 0.63 k for p1/p16).
            at_least "$sc: DBSIZE" "$(dbsize "$port")" "$(awk -v k="$k" -v n="$n" 'BEGIN {printf "%d", 0.97 * k * (1 - exp(-n / k))}')"
            ;;
        expire5m)
            k=$(scaled 5000000)
            ahead=${EXPIRE_AHEAD_S:-$((5 + BASELINE_S + 6 * k / 1000000))}
            local attempt lead
            for attempt in 1 2 3; do
                start_one "$label" "$bin" --enable-debug-command local
                port=$SPORT
                populate "$port" "$k"
                deadline=$(($(now_ms) + ahead * 1000))
                awk -v n="$k" -v t="$deadline" 'BEGIN {
                    for (i = 0; i < n; i++) {
                        key = "key:" i
                        printf "*3\r\n$9\r\nPEXPIREAT\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(key), key, length(t), t
                    }
                }' | pipe_ok "$port" - "$k"
                lead=$((deadline - $(now_ms) - BASELINE_S * 1000))
                [ "$lead" -lt 500 ] || break
                # The TTLs took longer to load than the lead: again on a fresh server, twice as far ahead.
                [ "$attempt" -lt 3 ] || fail "expire5m: loading the TTLs took more than ${ahead}s three times; raise EXPIRE_AHEAD_S"
                echo "expire5m: loading the TTLs took more than ${ahead}s; again with $((ahead * 2))s" >&2
                stop_one "$SPID"
                ahead=$((ahead * 2))
            done
            case $(info_get "$port" keyspace db0) in
                "keys=$k,expires=$k,"*) ;;
                *) fail "expire5m: INFO keyspace after the PEXPIREATs: $(info_get "$port" keyspace db0)" ;;
            esac
            sleep "$(awk -v ms="$lead" 'BEGIN {printf "%.3f", (ms - 100) / 1000}')"
            probe_start "$port"
            while [ "$(now_ms)" -lt "$deadline" ]; do sleep 0.01; done
            t0=$deadline
            wait_for "expire5m: DBSIZE 0" dbsize_is "$port" 0
            t1=$(now_ms)
            probe_stop
            ;;
        flushall_async)
            k=$(scaled 10000000)
            start_one "$label" "$bin" --enable-debug-command local
            port=$SPORT
            populate "$port" "$k"
            probe_start "$port"
            t0=$(now_ms)
            [ "$(cli "$port" flushall async | tr -d '\r')" = OK ] || fail "FLUSHALL ASYNC did not answer OK"
            dbsize_is "$port" 0 || fail "flushall_async: DBSIZE $(dbsize "$port") after FLUSHALL ASYNC"
            wait_for "flushall_async: lazyfree_pending_objects 0" lazyfree_done "$port"
            t1=$(now_ms)
            sleep "$TAIL_S"
            probe_stop
            ;;
        sadd10m | hset10m)
            k=$(scaled 10000000)
            start_one "$label" "$bin" --enable-debug-command local
            port=$SPORT
            probe_start "$port"
            t0=$(now_ms)
            if [ "$sc" = sadd10m ]; then
                set_file "$k"
                pipe_ok "$port" "$WORK/set-$k.resp" $(((k + 999) / 1000))
                t1=$(now_ms)
                probe_stop
                [ "$(cli "$port" scard myset | tr -d '\r')" = "$k" ] || fail "sadd10m: SCARD myset is not $k"
            else
                hash_file "$k"
                pipe_ok "$port" "$WORK/hash-$k.resp" $(((k + 999) / 1000))
                t1=$(now_ms)
                probe_stop
                [ "$(cli "$port" hlen myhash | tr -d '\r')" = "$k" ] || fail "hset10m: HLEN myhash is not $k"
            fi
            ;;
        unlink_set)
            k=$(scaled 10000000)
            start_one "$label" "$bin" --enable-debug-command local
            port=$SPORT
            set_file "$k"
            pipe_ok "$port" "$WORK/set-$k.resp" $(((k + 999) / 1000))
            [ "$(cli "$port" scard myset | tr -d '\r')" = "$k" ] || fail "unlink_set: SCARD myset is not $k"
            probe_start "$port"
            t0=$(now_ms)
            [ "$(cli "$port" unlink myset | tr -d '\r')" = 1 ] || fail "UNLINK myset did not answer 1"
            wait_for "unlink_set: lazyfree_pending_objects 0" lazyfree_done "$port"
            t1=$(now_ms)
            dbsize_is "$port" 0 || fail "unlink_set: DBSIZE $(dbsize "$port") after UNLINK"
            sleep "$TAIL_S"
            probe_stop
            ;;
        bgsave10m | bgrewriteaof10m)
            k=$(scaled 10000000)
            if [ "$sc" = bgsave10m ]; then
                start_one "$label" "$bin" --enable-debug-command local --dir "$dir"
            else
                start_one "$label" "$bin" --enable-debug-command local --dir "$dir" --appendonly yes
                wait_for "$sc: the startup rewrite" aof_idle "$SPORT"
            fi
            port=$SPORT
            populate "$port" "$k"
            probe_start "$port"
            bg_load_start "$port" "$k"
            t0=$(now_ms)
            if [ "$sc" = bgsave10m ]; then
                [ "$(cli "$port" bgsave | tr -d '\r')" = "Background saving started" ] || fail "BGSAVE did not start"
                wait_for "BGSAVE" bgsave_done "$port"
                t1=$(now_ms)
                bg_load_stop
                probe_stop
                info_is "$port" persistence rdb_last_bgsave_status ok || fail "BGSAVE failed ($WORK)"
                [ -s "$dir/dump.rdb" ] || fail "BGSAVE wrote no $dir/dump.rdb"
            else
                [ "$(cli "$port" bgrewriteaof | tr -d '\r')" = "Background append only file rewriting started" ] \
                    || fail "BGREWRITEAOF did not start"
                wait_for "BGREWRITEAOF" aof_idle "$port"
                t1=$(now_ms)
                bg_load_stop
                probe_stop
                info_is "$port" persistence aof_last_bgrewrite_status ok || fail "BGREWRITEAOF failed ($WORK)"
            fi
            # The load's keys (key:<12 digits>) are not DEBUG POPULATE's (key:<n>): the keyspace grew.
            at_least "$sc: DBSIZE after the SET load" "$(dbsize "$port")" $((k + 1))
            ;;
        fullsync)
            k=$(scaled 10000000)
            rdir=$WORK/data-$label-$sc-replica
            mkdir -p "$rdir"
            start_one "$label" "$bin" --enable-debug-command local --dir "$dir"
            port=$SPORT
            local mpid=$SPID rpid rport
            populate "$port" "$k"
            probe_start "$port"
            t0=$(now_ms)
            SERVER_CPU=$REPLICA_CPU start_one "$label-replica" "$bin" --enable-debug-command local --dir "$rdir" \
                --replicaof 127.0.0.1 "$port"
            rpid=$SPID rport=$SPORT
            LIVE=("$mpid" "$rpid")
            wait_for "fullsync: the replica's sync" replica_synced "$rport"
            t1=$(now_ms)
            probe_stop
            dbsize_is "$rport" "$k" || fail "fullsync: the replica has $(dbsize "$rport") keys, not $k"
            stop_one "$rpid"
            SPID=$mpid
            ;;
    esac
    PHASE_S=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", (b - a) / 1000}')
    stop_one "$SPID"
    rm -rf "$dir" "${rdir:-/nonexistent}"
}

# emit <scenario>: the scenario's two rows of summary.md, from raw.csv.
emit() {
    awk -F, -v sc="$1" '
        function ms(us) { return sprintf("%.3f", us / 1000) }
        function ratio(a, b) { return (b > 0) ? sprintf("%.2f", a / b) : "-" }
        # rb field: "TEST p50 p99 p999 max;..." -> cell i (2..5) joined with "/"
        function rbcell(rb, i,    t, n, j, f, out) {
            if (rb == "-") return "-"
            n = split(rb, t, ";"); out = ""
            for (j = 1; j <= n; j++) { split(t[j], f, " "); out = out (j > 1 ? "/" : "") f[i] }
            return out
        }
        function rbratio(a, b, i,    ta, tb, n, j, fa, fb, out) {
            if (a == "-" || b == "-") return ""
            n = split(a, ta, ";"); split(b, tb, ";"); out = ""
            for (j = 1; j <= n; j++) {
                split(ta[j], fa, " "); split(tb[j], fb, " ")
                out = out (j > 1 ? "/" : "") ratio(fa[i], fb[i])
            }
            return " (rb " out ")"
        }
        $1 == sc { row[$2] = $0; phase[$2] = $3; n[$2] = $4; p50[$2] = $5; p99[$2] = $6; p999[$2] = $7; mx[$2] = $8; rb[$2] = $9; la[$2] = $10 }
        END {
            split("ferredis redis", order, " ")
            for (o = 1; o <= 2; o++) {
                s = order[o]
                if (!(s in row)) continue
                rmax = rp999 = ""
                if (s == "ferredis" && ("redis" in row)) {
                    rmax = ratio(mx["ferredis"], mx["redis"]) rbratio(rb["ferredis"], rb["redis"], 5)
                    rp999 = ratio(p999["ferredis"], p999["redis"]) rbratio(rb["ferredis"], rb["redis"], 4)
                }
                printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", sc, s, phase[s], n[s],
                    ms(p50[s]), ms(p99[s]), ms(p999[s]), ms(mx[s]),
                    rbcell(rb[s], 2), rbcell(rb[s], 3), rbcell(rb[s], 4), rbcell(rb[s], 5), rmax, rp999, la[s]
            }
        }' "$OUT/raw.csv" >>"$OUT/summary.md"
}

others() { pgrep -c -x 'rustc|cargo' 2>/dev/null || true; }
{
    echo "Tail latency: ferredis $("$FERREDIS" --version | awk '{print $2, $3}') vs redis $("$REDIS" --version | awk '{print $3}'); SCALE=$SCALE, PING every $INTERVAL_MS ms (prober${PROBE_RT:+, SCHED_FIFO $PROBE_RT}), servers on CPU $SERVER_CPU${SERVER_ARGS:+ (both given: $SERVER_ARGS)}, clients on CPU $CLIENT_CPU; load average at start: $(cut -d' ' -f1-3 /proc/loadavg), other compiler processes: $(others)."
    echo
    echo "| scenario | server | phase s | probe samples | probe p50 ms | probe p99 ms | probe p99.9 ms | probe max ms | rb p50 ms | rb p99 ms | rb p99.9 ms | rb max ms | max ratio f/r | p99.9 ratio f/r | load |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$OUT/summary.md"
echo "scenario,server,phase_s,samples,p50_us,p99_us,p99.9_us,max_us,rb,loadavg" >"$OUT/raw.csv"

# median_row <scenario>: appends to raw.csv, for each server, a row "<scenario> median" whose every figure (the
# prober's and redis-benchmark's, field by field) is the median of that figure over the scenario's REPEAT runs.
median_row() {
    awk -F, -v sc="$1" '
        function med(list,    a, n, i, j, t) {
            n = split(list, a, " ")
            for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
            return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        }
        index($1, sc "#") == 1 && substr($1, length(sc) + 2) ~ /^[0-9]+$/ {
            s = $2; seen[s] = 1
            for (i = 3; i <= 8; i++) v[s, i] = v[s, i] " " $i
            v[s, 10] = v[s, 10] " " $10
            if ($9 == "-") { rbn[s] = 0; next }
            nt = split($9, t, ";"); rbn[s] = nt
            for (j = 1; j <= nt; j++) { nf = split(t[j], f, " "); name[s, j] = f[1]; for (k = 2; k <= nf; k++) rv[s, j, k] = rv[s, j, k] " " f[k] }
        }
        END {
            for (s in seen) {
                rb = "-"
                if (rbn[s] > 0) {
                    rb = ""
                    for (j = 1; j <= rbn[s]; j++) {
                        cell = name[s, j]
                        for (k = 2; k <= 5; k++) cell = cell " " sprintf("%.3f", med(rv[s, j, k]))
                        rb = rb (j > 1 ? ";" : "") cell
                    }
                }
                printf "%s median,%s,%.1f,%d,%d,%d,%d,%d,%s,%.2f\n", sc, s, med(v[s, 3]), med(v[s, 4]), med(v[s, 5]),
                    med(v[s, 6]), med(v[s, 7]), med(v[s, 8]), rb, med(v[s, 10])
            }
        }' "$OUT/raw.csv" >>"$OUT/raw.csv.median"
    cat "$OUT/raw.csv.median" >>"$OUT/raw.csv"
    rm -f "$OUT/raw.csv.median"
}

# pooled_row <scenario>: appends to raw.csv, for each server, a row "<scenario> pooled" with the prober's
# percentiles over the samples of all the scenario's REPEAT runs together (nearest rank, as the prober's own),
# phase the runs' total and no redis-benchmark figures. One run's p99.9 is its tenth-or-so worst probe, so it
# moves with the few preemptions that run happened to meet; pooled, it is the same rank over REPEAT times the
# samples.
pooled_row() {
    local label f
    for label in ferredis redis; do
        f=$WORK/pooled-$1-$label.samples
        [ -s "$f" ] || continue
        sort -n "$f" | awk -v sc="$1" -v s="$label" -v phase="${POOLED_PHASE[$label]:-0}" '
            { v[NR] = $1 }
            function pct(p,    r) { r = int(p / 100 * NR); if (r < p / 100 * NR) r++; if (r < 1) r = 1; return v[r] }
            END { printf "%s pooled,%s,%.1f,%d,%d,%d,%d,%d,-,-\n", sc, s, phase, NR, pct(50), pct(99), pct(99.9), v[NR] }
        ' >>"$OUT/raw.csv"
        rm -f "$f"
    done
}

declare -A POOLED_PHASE=()
for sc in "${SCENARIO_LIST[@]}"; do
    for rep in $(seq 1 "$REPEAT"); do
        id=$sc
        [ "$REPEAT" -eq 1 ] || id="$sc#$rep"
        # Odd runs start with ferredis, even runs with redis, so neither always meets the machine first.
        order="ferredis redis"
        [ $((rep % 2)) -eq 1 ] || order="redis ferredis"
        for label in $order; do
            if [ "$label" = ferredis ]; then bin=$FERREDIS; else bin=$REDIS; fi
            echo "$(date +%T) $id on $label" >&2
            run_scenario "$sc" "$label" "$bin"
            read -r samples p50 p99 p999 max <<<"$PROBE_RESULT"
            if [ "$REPEAT" -gt 1 ]; then
                cat "$WORK/probe.samples" >>"$WORK/pooled-$sc-$label.samples"
                POOLED_PHASE[$label]=$(awk -v a="${POOLED_PHASE[$label]:-0}" -v b="$PHASE_S" 'BEGIN {printf "%.1f", a + b}')
            fi
            raw "$id" "$label" "$PHASE_S" "$samples" "$p50" "$p99" "$p999" "$max" "$RB" "$(cut -d' ' -f1 /proc/loadavg)"
            echo "$(date +%T) $id on $label: phase ${PHASE_S}s, probe $PROBE_RESULT, rb $RB" >&2
        done
        emit "$id"
    done
    if [ "$REPEAT" -gt 1 ]; then
        median_row "$sc"
        emit "$sc median"
        pooled_row "$sc"
        emit "$sc pooled"
        POOLED_PHASE=()
    fi
done
echo >>"$OUT/summary.md"
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg), other compiler processes: $(others)." >>"$OUT/summary.md"
cat "$OUT/summary.md"
echo "results in $OUT" >&2
