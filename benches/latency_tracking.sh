#!/usr/bin/env bash
# Cost of `latency-tracking` (per-command latency histograms) on the request path; the target: SET and GET
# at -P 16 with tracking on lose at most 3% against tracking off, measured in the same run.
#
# One ferredis-server and one Debian redis-server (as the reference: Redis pays for its own HdrHistogram the same
# way), both pinned to SERVER_CPU with taskset, redis-benchmark pinned to CLIENT_CPU. For each round, test and
# server, the benchmark runs once with `CONFIG SET latency-tracking yes` and once with `no` on the same process
# (same heap, same keys), the order of the two alternating between rounds. Reported per server and test, median
# over ROUNDS: requests/s and server CPU microseconds per request (utime+stime from /proc/<pid>/stat over the
# run; redis-benchmark saturates its own core at -P 16, so CPU per request is the real cost figure), and the
# on/off ratios. The verdict is on ferredis's CPU per request: on/off <= 1.03.
#
# INSTR=1 adds a deterministic row, usable on a loaded machine: user-space instructions per request under valgrind
# callgrind (INSTR_N requests per run, default 100000, after a warm-up), tracking on and off on the same ferredis
# and redis-server processes, toggled with CONFIG SET and the counters zeroed between runs.
#
# Knobs (environment): N (requests per run, default 1000000), ROUNDS (5), CLIENTS (50), PIPELINE (16),
# TESTS (set,get), SERVER_CPU (1), CLIENT_CPU (0), FERREDIS (target/release/ferredis-server, built first unless
# SKIP_BUILD=1), REDIS (/usr/bin/redis-server). Results: stdout and bench-results/<timestamp>-latency/.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

N=${N:-1000000}
ROUNDS=${ROUNDS:-5}
CLIENTS=${CLIENTS:-50}
PIPELINE=${PIPELINE:-16}
TESTS=${TESTS:-set,get}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
CLK_TCK=$(getconf CLK_TCK)

bench_prepare latency
start_pair

echo "ferredis: $FERREDIS pid $FPID | redis $("$REDIS" --version | awk '{print $3}') pid $RPID"
echo "servers on CPU $SERVER_CPU, redis-benchmark on CPU $CLIENT_CPU; -c $CLIENTS -P $PIPELINE -n $N; $ROUNDS rounds"
echo "server,test,tracking,round,rps,cpu_us_per_req" >"$OUT/raw.csv"

# bench_one <server> <pid> <port> <test> <yes|no> <round>: appends a raw row.
bench_one() {
    local server=$1 pid=$2 port=$3 t=$4 mode=$5 round=$6 before after out rps cpu
    redis-cli -p "$port" config set latency-tracking "$mode" >/dev/null
    before=$(cpu_ticks "$pid")
    out=$(taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c "$CLIENTS" -n "$N" -t "$t" -P "$PIPELINE" --csv \
        2>/dev/null)
    after=$(cpu_ticks "$pid")
    rps=$(printf '%s\n' "$out" | awk -F'"' 'NR > 1 && $2 != "" {r = $4} END {print r}')
    cpu=$(awk -v a="$after" -v b="$before" -v hz="$CLK_TCK" -v n="$N" 'BEGIN {printf "%.4f", (a - b) / hz * 1e6 / n}')
    echo "$server,$t,$mode,$round,${rps:-0},$cpu" >>"$OUT/raw.csv"
}

IFS=',' read -r -a TEST_LIST <<<"$TESTS"
for round in $(seq 1 "$ROUNDS"); do
    for t in "${TEST_LIST[@]}"; do
        for s in ferredis redis; do
            if [ "$s" = ferredis ]; then pid=$FPID port=$FPORT; else pid=$RPID port=$RPORT; fi
            if [ $((round % 2)) = 1 ]; then order="yes no"; else order="no yes"; fi
            for mode in $order; do
                bench_one "$s" "$pid" "$port" "$t" "$mode" "$round"
            done
        done
        printf '.' >&2
    done
done
echo >&2
# The histograms really were filled: INFO latencystats lists the tested commands.
redis-cli -p "$FPORT" config set latency-tracking yes >/dev/null
redis-cli -p "$FPORT" info latencystats | grep -E "^latency_percentiles_usec_(set|get):" | tee "$OUT/latencystats.txt"

col() { # col <server> <test> <mode> <field#>
    awk -F, -v s="$1" -v t="$2" -v m="$3" -v f="$4" '$1 == s && $2 == t && $3 == m {print $f}' "$OUT/raw.csv" | median
}

{
    printf '%-9s %-4s %12s %12s %8s %11s %11s %8s %s\n' server test rps_on rps_off rps_rat cpu_us_on cpu_us_off \
        cpu_rat verdict
    for s in ferredis redis; do
        for t in "${TEST_LIST[@]}"; do
            awk -v s="$s" -v t="$t" -v ron="$(col "$s" "$t" yes 5)" -v roff="$(col "$s" "$t" no 5)" \
                -v con="$(col "$s" "$t" yes 6)" -v coff="$(col "$s" "$t" no 6)" 'BEGIN {
                rr = (roff > 0) ? ron / roff : 0; cr = (coff > 0) ? con / coff : 0
                v = (s == "ferredis") ? ((cr <= 1.03) ? "ok (<= 1.03)" : "MISS (> 1.03)") : "reference"
                printf "%-9s %-4s %12.0f %12.0f %8.3f %11.4f %11.4f %8.3f %s\n", s, t, ron, roff, rr, con, coff, cr, v
            }'
        done
    done
} | tee "$OUT/summary.txt"
echo "raw rows: $OUT/raw.csv"

[ "${INSTR:-0}" = 1 ] || exit 0
for tool in valgrind callgrind_control; do
    command -v "$tool" >/dev/null 2>&1 || { echo "INSTR=1 needs $tool (apt-get install valgrind)"; exit 1; }
done
INSTR_N=${INSTR_N:-100000}
# instr_server <label> <binary>: instructions per request for each test, tracking off then on, as rows.
instr_server() {
    local label=$1 bin=$2 port pid dir t mode out i
    port=$(free_port)
    dir=$WORK/cg-$label
    mkdir -p "$dir"
    (cd "$dir" && exec valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$bin" --port "$port" \
        --save '' --appendonly no --daemonize no --bind 127.0.0.1 >"$dir/log" 2>&1) &
    pid=$!
    PIDS+=("$pid")
    for i in $(seq 1 600); do
        [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break
        sleep 0.1
    done
    for t in "${TEST_LIST[@]}"; do
        for mode in no yes; do
            redis-cli -p "$port" config set latency-tracking "$mode" >/dev/null
            redis-benchmark -p "$port" -c "$CLIENTS" -n 2000 -t "$t" -P "$PIPELINE" -q >/dev/null 2>&1
            callgrind_control -z "$pid" >/dev/null 2>&1
            redis-benchmark -p "$port" -c "$CLIENTS" -n "$INSTR_N" -t "$t" -P "$PIPELINE" -q >/dev/null 2>&1
            callgrind_control -d "$pid" >/dev/null 2>&1
            out=$(ls -t "$dir"/cg.out* | head -1)
            awk -v n="$INSTR_N" -v s="$label" -v t="$t" -v m="$mode" \
                '/^(summary|totals):/ {x = $2} END {printf "%s,%s,%s,%.1f\n", s, t, m, x / n}' "$out"
        done
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
{
    instr_server ferredis "$FERREDIS"
    instr_server redis "$REDIS"
} >"$OUT/instr.csv"
printf '%-9s %-4s %12s %12s %8s\n' server test instr_on instr_off ratio | tee -a "$OUT/summary.txt"
awk -F, '{v[$1 "," $2 "," $3] = $4; k[$1 "," $2] = 1}
    END {for (x in k) {split(x, a, ","); on = v[x ",yes"]; off = v[x ",no"]
        printf "%-9s %-4s %12.1f %12.1f %8.3f\n", a[1], a[2], on, off, (off > 0) ? on / off : 0}}' "$OUT/instr.csv" \
    | sort | tee -a "$OUT/summary.txt"
