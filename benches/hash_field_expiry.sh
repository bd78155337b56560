#!/usr/bin/env bash
# Hash-field expiry against Redis 7.4.1 (the release that added it), same machine, same run:
#
#   memory   a fresh server of each kind; used_memory (INFO memory) and VmRSS before and after loading one hash of
#            FIELDS fields `f:<n>` -> `v:<n>` (HSET of 100 fields a command through redis-cli --pipe), each then
#            given a TTL of an hour (HPEXPIRE of 100 fields a command). Reported: bytes per field and the
#            ferredis/redis ratio (target: at most 0.70 of used_memory).
#   cpu      server CPU per request (utime+stime from /proc/<pid>/stat) over redis-benchmark -P 16 -c 50 runs on
#            that hash: HPEXPIRE h 3600 FIELDS 1 f:<rand>, HGET of a field with a TTL, and, on a fresh server holding
#            only a hash of the same size without TTLs, HGET (against OLD too when set: the within-2% check against the build before
#            field TTLs existed). Target: at most 0.80 of Redis's CPU per request on the HPEXPIRE and HGET rows.
#   active   FIELDS fields given a TTL of EXPIRE_MS, then benches/latency_probe.rs sends PING every millisecond on its
#            own connection (from when the TTLs are set) while active expiry deletes them all; reported: the prober's p50/p99/p99.9/max and how
#            long the hash took to go. Target: max under 5 ms.
#
# Knobs: FIELDS (1000000), N (requests per cpu row, 2000000), ROUNDS (3), EXPIRE_MS (10000; the TTLs' load must end before it), FERREDIS
# (target/release/ferredis-server, built first unless SKIP_BUILD=1), REDIS74 (a Redis 7.4.1 redis-server built from
# source with its default jemalloc; required: the script says so and stops without it), OLD (an older ferredis for
# the HGET-without-TTL row), SERVER_CPU (1), CLIENT_CPU (0), SECTIONS ("memory cpu active": the parts to run, e.g.
# SECTIONS=active to repeat the pause measurement alone), RT_PRIO (unset; e.g. 10: in the active section, the
# server's main thread, the threads it starts from then on, and the prober run under SCHED_FIFO at that priority
# once the data is loaded, so that other work on a shared machine cannot preempt them and what is left is the
# server's own pauses; needs root). Results: stdout and bench-results/<timestamp>-hfe/.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

FIELDS=${FIELDS:-1000000}
N=${N:-2000000}
ROUNDS=${ROUNDS:-3}
EXPIRE_MS=${EXPIRE_MS:-10000}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
CLIENTS=50
SECTIONS=${SECTIONS:-memory cpu active}
want() { [[ " $SECTIONS " == *" $1 "* ]]; }
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS74:-}
if [ -z "$REDIS" ] || [ ! -x "$REDIS" ]; then
    echo "skipped: set REDIS74 to a Redis 7.4.1 redis-server built from source (tests/README.md says how)"
    exit 0
fi
CLK_TCK=$(getconf CLK_TCK)
bench_prepare hfe
PROBE=$WORK/latency_probe
rustc --edition 2021 -C opt-level=3 -o "$PROBE" benches/latency_probe.rs

# gen <key> <cmd...>: RESP for FIELDS fields in commands of 100: HSET key f:i v:i ... or HPEXPIRE key ms FIELDS 100 f:i ...
gen_hset() {
    awk -v n="$FIELDS" -v key="$1" 'BEGIN {
        for (s = 0; s < n; s += 100) {
            e = (s + 100 < n) ? s + 100 : n; c = e - s
            printf "*%d\r\n$4\r\nHSET\r\n$%d\r\n%s\r\n", 2 + 2 * c, length(key), key
            for (i = s; i < e; i++) { f = "f:" i; v = "v:" i; printf "$%d\r\n%s\r\n$%d\r\n%s\r\n", length(f), f, length(v), v }
        }
    }'
}
gen_ttl() {
    awk -v n="$FIELDS" -v key="$1" -v ms="$2" 'BEGIN {
        for (s = 0; s < n; s += 100) {
            e = (s + 100 < n) ? s + 100 : n; c = e - s
            printf "*%d\r\n$8\r\nHPEXPIRE\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$6\r\nFIELDS\r\n$%d\r\n%d\r\n", 5 + c, length(key), key, length(ms), ms, length(c ""), c
            for (i = s; i < e; i++) { f = "f:" i; printf "$%d\r\n%s\r\n", length(f), f }
        }
    }'
}
gen_hset h >"$WORK/hset.resp"
gen_hset plain >"$WORK/plain.resp"
gen_ttl h 3600000 >"$WORK/ttl.resp"
gen_ttl h "$EXPIRE_MS" >"$WORK/ttl_short.resp"
load() { cli "$1" --pipe <"$2" >/dev/null; }
used() { cli "$1" info memory | awk -F: '/^used_memory:/ {print $2 + 0}'; }

if want memory; then
    echo "== memory: one hash of $FIELDS fields with TTLs"
    declare -A PERF
    for kind in ferredis redis; do
        bin=$FERREDIS; [ $kind = redis ] && bin=$REDIS
        read -r pid port < <(start_server $kind "$bin")
        PIDS+=("$pid")
        u0=$(used "$port"); r0=$(rss_kb "$pid")
        load "$port" "$WORK/hset.resp"
        load "$port" "$WORK/ttl.resp"
        [ "$(cli "$port" hlen h)" = "$FIELDS" ] || { echo "load failed on $kind"; exit 1; }
        u1=$(used "$port"); r1=$(rss_kb "$pid")
        PERF[$kind.used]=$(awk -v a="$u0" -v b="$u1" -v n="$FIELDS" 'BEGIN {printf "%.1f", (b - a) / n}')
        PERF[$kind.rss]=$(awk -v a="$r0" -v b="$r1" -v n="$FIELDS" 'BEGIN {printf "%.1f", (b - a) * 1024 / n}')
        kill "$pid"; wait "$pid" 2>/dev/null || true
    done
    printf '%-10s %12s %12s\n' "" used_B/field rss_B/field | tee "$OUT/summary.txt"
    for kind in ferredis redis; do
        printf '%-10s %12s %12s\n' $kind "${PERF[$kind.used]}" "${PERF[$kind.rss]}" | tee -a "$OUT/summary.txt"
    done
    awk -v a="${PERF[ferredis.used]}" -v b="${PERF[redis.used]}" -v c="${PERF[ferredis.rss]}" -v d="${PERF[redis.rss]}" \
        'BEGIN {printf "ratio      %12.2f %12.2f   (target: used <= 0.70)\n", a / b, c / d}' | tee -a "$OUT/summary.txt"
fi

if want cpu; then
    echo "== cpu per request at -P 16 ($N requests, $ROUNDS rounds, median)"
    cpu_row() { # <label> <pid> <port> <args...>: prints µs of server CPU per request
        local pid=$2 port=$3 b a
        shift 3
        b=$(cpu_ticks "$pid")
        taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c "$CLIENTS" -n "$N" -P 16 -r "$FIELDS" "$@" >/dev/null 2>&1
        a=$(cpu_ticks "$pid")
        awk -v t=$((a - b)) -v hz="$CLK_TCK" -v n="$N" 'BEGIN {printf "%.4f\n", t / hz * 1e6 / n}'
    }
    kinds=(ferredis redis)
    [ -n "${OLD:-}" ] && kinds+=(old)
    declare -A P
    for kind in "${kinds[@]}"; do
        case $kind in ferredis) bin=$FERREDIS ;; redis) bin=$REDIS ;; old) bin=$OLD ;; esac
        # The TTL rows on a server holding the hash with TTLs.
        if [ $kind != old ]; then
            read -r pid port < <(start_server $kind "$bin")
            PIDS+=("$pid")
            load "$port" "$WORK/hset.resp"
            load "$port" "$WORK/ttl.resp"
            for r in $(seq 1 "$ROUNDS"); do
                P[$kind.hpexpire]+="$(cpu_row x "$pid" "$port" hpexpire h 3600000 FIELDS 1 f:__rand_int__) "
                P[$kind.hget_ttl]+="$(cpu_row x "$pid" "$port" hget h f:__rand_int__) "
            done
            kill "$pid"; wait "$pid" 2>/dev/null || true
        fi
        # The plain row on a fresh server holding only the hash without TTLs (the same data for every kind).
        read -r pid port < <(start_server $kind "$bin")
        PIDS+=("$pid")
        load "$port" "$WORK/plain.resp"
        for r in $(seq 1 "$ROUNDS"); do
            P[$kind.hget_plain]+="$(cpu_row x "$pid" "$port" hget plain f:__rand_int__) "
        done
        kill "$pid"; wait "$pid" 2>/dev/null || true
    done
    med() { tr ' ' '\n' | grep -v '^$' | median; }
    printf '%-12s %10s %10s %8s\n' row fer_us/req red_us/req ratio | tee -a "$OUT/summary.txt"
    for row in hpexpire hget_ttl hget_plain; do
        f=$(echo "${P[ferredis.$row]}" | med); r=$(echo "${P[redis.$row]}" | med)
        printf '%-12s %10s %10s %8s\n' $row "$f" "$r" "$(awk -v a="$f" -v b="$r" 'BEGIN {printf "%.2f", a / b}')" \
            | tee -a "$OUT/summary.txt"
    done
    if [ -n "${OLD:-}" ]; then
        f=$(echo "${P[ferredis.hget_plain]}" | med); o=$(echo "${P[old.hget_plain]}" | med)
        printf 'hget_plain against OLD: %s / %s = %s (target: within 2%%)\n' "$f" "$o" \
            "$(awk -v a="$f" -v b="$o" 'BEGIN {printf "%.3f", a / b}')" | tee -a "$OUT/summary.txt"
    fi
fi

if want active; then
    echo "== active expiry of $FIELDS fields (TTL ${EXPIRE_MS} ms), PING every 1 ms on another connection"
    for kind in ferredis redis; do
        bin=$FERREDIS; [ $kind = redis ] && bin=$REDIS
        read -r pid port < <(start_server $kind "$bin")
        PIDS+=("$pid")
        load "$port" "$WORK/hset.resp"
        t0=$(now_ns)
        load "$port" "$WORK/ttl_short.resp"
        # With RT_PRIO, the server's main thread and the prober run under SCHED_FIFO from here on (see the knobs).
        rt=()
        if [ -n "${RT_PRIO:-}" ]; then
            chrt -f -p "$RT_PRIO" "$pid" >/dev/null
            rt=(chrt -f "$RT_PRIO")
        fi
        # One redis-cli asks EXISTS every 50 ms until the hash is gone, started before the prober: a redis-cli
        # starting up takes about 4.5 ms of CPU here, and one started every 50 ms (as this loop once did) kept the
        # prober off its CPU for that long whenever they met, a pause of the client, not of the server.
        coproc POLL { cli "$port" -r -1 -i 0.05 exists h 2>/dev/null; }
        sleep 0.2
        # The prober starts once the TTLs are set (their load is not what is measured) and runs until the hash is gone.
        exec 3> >("${rt[@]}" taskset -c "$CLIENT_CPU" "$PROBE" "$port" 1 >"$WORK/probe-$kind.txt")
        while read -r x <&"${POLL[0]}"; do [ "$x" = 0 ] && break; done
        t1=$(now_ns)
        echo >&3; exec 3>&-
        kill "$POLL_PID" 2>/dev/null || true
        wait "$POLL_PID" 2>/dev/null || true
        sleep 0.5
        printf '%-10s gone %6.2f s after the TTL load began   %s\n' $kind "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print (b - a) / 1e9}')" \
            "$(cat "$WORK/probe-$kind.txt")" | tee -a "$OUT/summary.txt"
        kill "$pid"; wait "$pid" 2>/dev/null || true
    done
fi
echo "results: $OUT"
