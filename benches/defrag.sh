#!/usr/bin/env bash
# Active defragmentation: memory after churn, ferredis-server vs Debian's redis-server in the same run.
#
# Per server: fill KEYS keys (`key:<i>`, values of 32, 200 and 1000 bytes in turn) with redis-cli --pipe, delete a
# random 80% (fixed seed, the same keys on both), then `CONFIG SET activedefrag yes` (Debian's Redis refuses: its
# jemalloc is not Redis's own) and, while it runs, redis-benchmark GET and SET (-P 1, 50 clients, 100-byte
# values on 100k keys of db 1, flushed afterwards) for the latency during defrag. WAIT seconds after the switch the RSS is read, the
# survivors are saved (SAVE) and loaded into a fresh server of the same kind, whose RSS is the reference.
# Reported per server: RSS after the deletes, after WAIT s, of the fresh reload, their ratio (target for
# ferredis: <= 1.1), and GET/SET p50/p99 latency and throughput during the defrag (and on the fresh server,
# without defrag, for comparison).
#
# Knobs (environment): KEYS (900000), WAIT (60), SERVER_CPU (1), CLIENT_CPU (0), FERREDIS (binary; default
# target/release/ferredis-server, built first unless SKIP_BUILD=1), REDIS (/usr/bin/redis-server).
# Results: stdout (a markdown table) and bench-results/<timestamp>-defrag/.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

KEYS=${KEYS:-900000}
WAIT=${WAIT:-60}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
bench_prepare defrag

gen() { # fill|del
    awk -v mode="$1" -v n="$KEYS" 'BEGIN {
        for (i = 0; i < 1000; i++) s = s "v"
        srand(31)
        for (i = 0; i < n; i++) {
            k = "key:" i
            if (mode == "fill") {
                v = substr(s, 1, (i % 3 == 0) ? 32 : (i % 3 == 1) ? 200 : 1000)
                printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
            } else if (rand() < 0.8) printf "*2\r\n$3\r\nDEL\r\n$%d\r\n%s\r\n", length(k), k
        }
    }'
}
gen fill >"$WORK/fill.resp"
gen del >"$WORK/del.resp"

mb() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }

# latency <port> <test>: "p50 p99 rps" of redis-benchmark GET or SET.
latency() {
    taskset -c "$CLIENT_CPU" redis-benchmark -p "$1" -c 50 -n 200000 -r 100000 -d 100 --dbnum 1 -t "$2" --csv 2>/dev/null |
        awk -F'"' 'NR > 1 && $2 != "" {print $10, $14, $4}'
}

ROWS=()
run() { # label binary
    local label=$1 bin=$2 pid port dir yes after_del after_wait fpid fport fresh t0 get set fget fset
    read -r pid port < <(start_server "$label" "$bin")
    PIDS+=("$pid")
    dir=$WORK/$label-$port
    redis-cli -p "$port" --pipe <"$WORK/fill.resp" >/dev/null
    redis-cli -p "$port" --pipe <"$WORK/del.resp" >/dev/null
    sleep 2
    after_del=$(rss_kb "$pid")
    t0=$(date +%s)
    yes=$(redis-cli -p "$port" config set activedefrag yes 2>&1 | head -c 60)
    get=$(latency "$port" get)
    set=$(latency "$port" set)
    redis-cli -p "$port" -n 1 flushdb >/dev/null
    sleep $((WAIT - ($(date +%s) - t0) > 0 ? WAIT - ($(date +%s) - t0) : 0))
    after_wait=$(rss_kb "$pid")
    redis-cli -p "$port" info all | tr -d '\r' | grep -E '^(active_defrag_|mem_fragmentation_ratio|used_memory:)' \
        >"$OUT/$label-info.txt" || true
    redis-cli -p "$port" save >/dev/null
    read -r fpid fport < <(start_server "$label-fresh" "$bin" --dir "$dir")
    PIDS+=("$fpid")
    while [ "$(redis-cli -p "$fport" info persistence | tr -d '\r' | awk -F: '/^loading:/ {print $2}')" != 0 ]; do
        sleep 0.2
    done
    sleep 2
    fresh=$(rss_kb "$fpid")
    fget=$(latency "$fport" get)
    fset=$(latency "$fport" set)
    echo "$label: activedefrag yes -> $yes; keys $(redis-cli -p "$port" dbsize) / fresh $(redis-cli -p "$fport" dbsize)"
    local f='{printf "%s / %s ms", $1, $2}' fr='{printf "%s / %s ms, %.0fk/s", $1, $2, $3 / 1000}'
    ROWS+=("| $label | $(mb "$after_del") | $(mb "$after_wait") | $(mb "$fresh") | $(awk -v a="$after_wait" \
        -v b="$fresh" 'BEGIN {printf "%.2f", a / b}') | $(awk "$fr" <<<"$get") | $(awk "$fr" <<<"$set") |\
 $(awk "$f" <<<"$fget"), $(awk "$f" <<<"$fset") |")
    kill "$pid" "$fpid" 2>/dev/null || true
}

run ferredis "$FERREDIS"
run redis "$REDIS"

{
    echo "Churn: $KEYS keys of 32/200/1000-byte values, 80% deleted at random, activedefrag yes, RSS after ${WAIT}s"
    echo
    echo "| server | RSS after deletes (MB) | RSS after ${WAIT}s (MB) | fresh reload (MB) | ratio | GET p50 / p99 during defrag | SET p50 / p99 during defrag | fresh GET / SET p50 / p99 |"
    echo "|---|---|---|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
} | tee "$OUT/table.md"
