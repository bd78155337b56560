#!/usr/bin/env bash
# Client-side caching: GET with CLIENT TRACKING on, ferredis against Debian's redis-server 7.0 in the
# same run, as ratios (ferredis/redis).
#
# Both servers get KEYS keys `key:<n>` (DEBUG POPULATE). benches/tracking_get.rs (redis-benchmark cannot turn
# tracking on) opens CLIENTS RESP3 connections, turns tracking on for each, and sends `GET key:<random n>` until N
# requests were answered (-P 1; PIPELINE to change). Every read is remembered in the tracking table (KEYS keys,
# up to CLIENTS ids each), so the run measures the table's cost on the read path, not invalidations.
# 1. Throughput, per round both servers (alternating which goes first), medians of ROUNDS: requests per second,
#    server CPU microseconds per request (utime+stime from /proc/<pid>/stat over the run) and how busy the
#    client's core was. Target: rps ratio >= 1.10, or server CPU ratio <= 0.80 where the client saturates its core
#    (client core >= CLIENT_SATURATED busy in either server's run; the table says which applied). The same runs
#    with tracking off are printed for reference.
# 2. Instructions per GET (valgrind callgrind, user space) with tracking off and on, per server: what tracking adds
#    to a GET (target for ferredis: at most 5%; off must cost GET nothing, which benches/instr.sh's plain GET row
#    shows against earlier runs). The driver's connections send INSTR_WARMUP requests, callgrind's counters are
#    zeroed, and they send INSTR_N more: the window holds GETs on established connections (a caching client's
#    connection stays open), and the table keeps filling through it (KEYS keys; KEYS=1 for the steady state).
#    Two figures per cell: the whole process, and the same without the server's cron (its inclusive cost:
#    `Server::cron` / `serverCron`), whose work is per second, not per request, and which valgrind's ~50x slowdown
#    charges to ~50x fewer requests than a real run (the 1 Hz crash-report snapshot alone moves a window by
#    +-35 instructions per GET, depending on how many of its runs land inside).
# Servers pinned to SERVER_CPU, the driver to CLIENT_CPU. Knobs: SECTIONS (rps,instr), ROUNDS (5), CLIENTS (50),
# N (200000), KEYS (10000), PIPELINE (1), INSTR_N (20000), INSTR_WARMUP (5000), CLIENT_SATURATED (0.90),
# SERVER_CPU (1), CLIENT_CPU (0),
# FERREDIS (target/release/ferredis-server, built first unless SKIP_BUILD=1), REDIS (/usr/bin/redis-server),
# DRIVER (a prebuilt benches/tracking_get.rs; by default compiled with rustc into the scratch directory).
# Results in bench-results/<timestamp>-tracking/: summary.md and raw.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

SECTIONS=${SECTIONS:-rps,instr}
ROUNDS=${ROUNDS:-5}
CLIENTS=${CLIENTS:-50}
N=${N:-200000}
KEYS=${KEYS:-10000}
PIPELINE=${PIPELINE:-1}
INSTR_N=${INSTR_N:-20000}
INSTR_WARMUP=${INSTR_WARMUP:-5000}
CLIENT_SATURATED=${CLIENT_SATURATED:-0.90}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
DRIVER=${DRIVER:-}
CLK_TCK=$(getconf CLK_TCK)
want() { case ",$SECTIONS," in *",$1,"*) return 0 ;; esac; return 1; }

bench_prepare tracking
if [ -z "$DRIVER" ]; then
    command -v rustc >/dev/null 2>&1 || { echo "missing rustc (or set DRIVER to a built tracking_get)"; exit 1; }
    DRIVER=$WORK/tracking_get
    rustc --edition 2021 -C opt-level=3 -o "$DRIVER" benches/tracking_get.rs
fi

echo "server,test,round,requests,time_s,rps,server_cpu_ms,cpu_us_per_req,client_busy" >"$OUT/raw.csv"
raw() { local IFS=,; echo "$*" >>"$OUT/raw.csv"; }

populate() { redis-cli -p "$1" debug populate "$KEYS" key 8 >/dev/null; }

# drive <label> <pid> <port> <on|off> <round>: one driver run; appends a raw row.
drive() {
    local label=$1 pid=$2 port=$3 mode=$4 round=$5 c0 c1 out n secs rps cpu_ms
    c0=$(cpu_ticks "$pid")
    out=$( { /usr/bin/time -f '%U %S' taskset -c "$CLIENT_CPU" "$DRIVER" "$port" "$CLIENTS" "$N" "$KEYS" "$mode" \
        "$PIPELINE"; } 2>"$WORK/time.$label")
    c1=$(cpu_ticks "$pid")
    read -r n secs rps <<<"$out"
    cpu_ms=$(( (c1 - c0) * 1000 / CLK_TCK ))
    local busy
    busy=$(awk -v s="$secs" '{printf "%.2f", ($1 + $2) / s}' "$WORK/time.$label")
    raw "$label" "get-$mode" "$round" "$n" "$secs" "$rps" "$cpu_ms" \
        "$(awk -v c="$cpu_ms" -v n="$n" 'BEGIN {printf "%.2f", c * 1000 / n}')" "$busy"
}

col() { awk -F, -v s="$1" -v t="$2" -v c="$3" '$1 == s && $2 == t {print $c}' "$OUT/raw.csv" | median; }

{
    echo "| GET, $CLIENTS clients, -P $PIPELINE, $KEYS keys | ferredis rps | redis rps | rps ratio | ferredis CPU us/req | redis CPU us/req | CPU ratio | client busy (fer/redis) | target |"
    echo "|---|---|---|---|---|---|---|---|---|"
} >"$OUT/summary.md"

if want rps; then
    command -v /usr/bin/time >/dev/null 2>&1 || { echo "missing /usr/bin/time (apt-get install time)"; exit 1; }
    start_pair --enable-debug-command local
    populate "$FPORT"
    populate "$RPORT"
    for mode in off on; do
        for r in $(seq 1 "$ROUNDS"); do
            if [ $((r % 2)) = 1 ]; then
                drive ferredis "$FPID" "$FPORT" "$mode" "$r"
                drive redis "$RPID" "$RPORT" "$mode" "$r"
            else
                drive redis "$RPID" "$RPORT" "$mode" "$r"
                drive ferredis "$FPID" "$FPORT" "$mode" "$r"
            fi
        done
    done
    # Tracking really was on: both tables hold the keys read.
    for p in "$FPORT" "$RPORT"; do
        k=$(redis-cli -p "$p" info stats | tr -d '\r' | awk -F: '/^tracking_total_keys:/ {print $2}')
        [ "${k:-0}" -gt 0 ] || { echo "tracking table empty on port $p after the tracking runs"; exit 1; }
    done
    for mode in on off; do
        fr=$(col ferredis "get-$mode" 6); rr=$(col redis "get-$mode" 6)
        fc=$(col ferredis "get-$mode" 8); rc=$(col redis "get-$mode" 8)
        fb=$(col ferredis "get-$mode" 9); rb=$(col redis "get-$mode" 9)
        awk -v m="$mode" -v fr="$fr" -v rr="$rr" -v fc="$fc" -v rc="$rc" -v fb="$fb" -v rb="$rb" -v sat="$CLIENT_SATURATED" 'BEGIN {
            rps = (rr > 0) ? fr / rr : 0; cpu = (rc > 0) ? fc / rc : 0
            saturated = (fb >= sat || rb >= sat)
            if (m == "off") target = "(reference)"
            else if (saturated) target = (cpu <= 0.80 || rps >= 1.10) ? sprintf("met (CPU %.2f <= 0.80 or rps %.2f >= 1.10)", cpu, rps) : "NOT met"
            else target = (rps >= 1.10 || cpu <= 0.80) ? sprintf("met (rps %.2f >= 1.10 or CPU %.2f <= 0.80)", rps, cpu) : "NOT met"
            printf "| tracking %s | %.0f | %.0f | %.2f | %.2f | %.2f | %.2f | %s/%s | %s |\n", m, fr, rr, rps, fc, rc, cpu, fb, rb, target
        }' >>"$OUT/summary.md"
    done
    kill "$FPID" "$RPID" 2>/dev/null || true
    wait "$FPID" "$RPID" 2>/dev/null || true
fi

# instr <bin> <on|off>...: callgrind instructions per GET, one server, for each mode in order: "whole/no-cron ".
instr() {
    local bin=$1 port pid dir out mode line cron
    shift
    command -v valgrind >/dev/null 2>&1 && command -v callgrind_control >/dev/null 2>&1 \
        || { echo "missing valgrind (apt-get install valgrind)"; exit 1; }
    port=$(free_port)
    dir=$WORK/cg-$port
    mkdir -p "$dir"
    (cd "$dir" && exec valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$bin" --port "$port" \
        --save '' --appendonly no --daemonize no --bind 127.0.0.1 --set-proc-title no \
        --enable-debug-command local >"$dir/log" 2>&1) &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 600); do
        [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break
        sleep 0.1
    done
    populate "$port"
    for mode in "$@"; do
        coproc DRV { "$DRIVER" "$port" "$CLIENTS" "$INSTR_N" "$KEYS" "$mode" "$PIPELINE" "$INSTR_WARMUP"; }
        read -r line <&"${DRV[0]}"
        [ "$line" = ready ] || { echo "driver: expected ready, got '$line'" >&2; exit 1; }
        callgrind_control -z "$pid" >/dev/null 2>&1
        echo go >&"${DRV[1]}"
        read -r line <&"${DRV[0]}"
        callgrind_control -d "$pid" >/dev/null 2>&1
        echo close >&"${DRV[1]}"
        wait "$DRV_PID"
        out=$(ls -t "$dir"/cg.out* | head -1)
        # Inclusive cost of the cron function (the first match: its own entry in callgrind_annotate's list).
        cron=$(callgrind_annotate --inclusive=yes --threshold=100 "$out" 2>/dev/null \
            | awk '/(ferredis::server::Server::cron|:serverCron) / && !found {gsub(",", "", $1); print $1; found = 1}')
        printf '%s ' "$(awk -v n="$INSTR_N" -v c="${cron:-0}" \
            '/^(summary|totals):/ {s = $2} END {printf "%.0f/%.0f", s / n, (s - c) / n}' "$out")"
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

if want instr; then
    read -r f_off f_on < <(instr "$FERREDIS" off on; echo)
    read -r r_off r_on < <(instr "$REDIS" off on; echo)
    {
        echo
        echo "| instructions per GET ($CLIENTS clients, -P $PIPELINE, $KEYS keys, callgrind) | tracking off | tracking on | on/off |"
        echo "|---|---|---|---|"
        for row in "ferredis $f_off $f_on" "redis $r_off $r_on"; do
            set -- $row
            awk -v who="$1" -v a="${2%/*}" -v b="${3%/*}" -v a2="${2#*/}" -v b2="${3#*/}" 'BEGIN {
                printf "| %s, whole process | %d | %d | %.3f |\n", who, a, b, b / a
                printf "| %s, without the cron | %d | %d | %.3f |\n", who, a2, b2, b2 / a2
            }'
        done
    } >>"$OUT/summary.md"
fi

cat "$OUT/summary.md"
