#!/usr/bin/env bash
# Compressed lists: ferredis against Debian's redis-server 7.0 in the same run, both started with
# `--list-compress-depth DEPTH` (default 1).
#
# Memory: a fresh pair of servers per depth in MEM_DEPTHS ("1 0"); ELEMENTS (1000000) elements `element:%d` are
# RPUSHed into one list with `redis-cli --pipe` (100 per command), after the same warm-up on both (the first 20000
# elements pushed into another list, deleted). Reported per server: VmRSS growth, used_memory
# growth and MEMORY USAGE of the list, in bytes per element, and the ferredis/redis ratio (target: RSS ratio <= 1 at
# depth 1). Both servers must answer the same LLEN and LINDEX at the middle first.
# Throughput: one pair at DEPTH holding the ELEMENTS-element list; per round both servers, alternating which goes
# first, medians of ROUNDS. Rows: `LPUSH pushed element:<rand>` -P 16 (N requests, into a list of its own);
# `LINDEX biglist 333333` -P 1 (an inner, compressed node: Redis decompresses and recompresses it per call);
# `LRANGE biglist 500000 500099` -P 1 (100 elements from the middle). Per row: requests/s, server CPU microseconds
# per request (utime+stime from /proc/<pid>/stat) and the ratios.
#
# Knobs (environment): ELEMENTS (1000000), DEPTH (1), MEM_DEPTHS ("1 0"), ROUNDS (3), CLIENTS (50), N (LPUSH
# requests, 1000000), READ_N (LINDEX/LRANGE requests, 100000), SERVER_CPU (1), CLIENT_CPU (0), FERREDIS
# (target/release/ferredis-server, built first unless SKIP_BUILD=1), REDIS (/usr/bin/redis-server). Prints markdown
# tables for the README; results in bench-results/<timestamp>-lists/ (summary.md, raw.csv).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

ELEMENTS=${ELEMENTS:-1000000}
DEPTH=${DEPTH:-1}
MEM_DEPTHS=${MEM_DEPTHS:-"1 0"}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
N=${N:-1000000}
READ_N=${READ_N:-100000}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
CLK_TCK=$(getconf CLK_TCK)

bench_prepare lists
echo "server,test,round,count,time_ms,rate,server_cpu_ms,cpu_us_per_op,client_busy" >"$OUT/raw.csv"

awk -v n="$ELEMENTS" 'BEGIN {
    for (i = 0; i < n; i += 100) {
        m = (n - i < 100) ? n - i : 100
        printf "*%d\r\n$5\r\nRPUSH\r\n$7\r\nbiglist\r\n", m + 2
        for (j = i; j < i + m; j++) { e = "element:" j; printf "$%d\r\n%s\r\n", length(e), e }
    }
}' >"$WORK/list.resp"

# The first 200 commands of the load (20000 elements), for the warm-up.
WARM_BYTES=$(awk -v RS='\r\n' 'BEGIN {c = 0; b = 0} /^\*/ {c++; if (c > 200) {print b; exit}} {b += length($0) + 2}' "$WORK/list.resp")

used_memory() { cli "$1" info memory | awk -F: '/^used_memory:/ {print $2 + 0}'; }

load_list() { # <port>
    local out
    out=$(cli "$1" --pipe <"$WORK/list.resp" 2>&1)
    case $out in *"errors: 0,"*) ;; *) echo "redis-cli --pipe on port $1: $out"; exit 1 ;; esac
}

check_same() {
    local mid=$((ELEMENTS / 2)) a b
    a="$(cli "$FPORT" llen biglist) $(cli "$FPORT" lindex biglist "$mid")"
    b="$(cli "$RPORT" llen biglist) $(cli "$RPORT" lindex biglist "$mid")"
    [ "$a" = "$b" ] || { echo "ferredis '$a' vs redis '$b'"; exit 1; }
}

echo "ferredis: $FERREDIS | redis $("$REDIS" --version | awk '{print $3}')"
{
    echo "| list of $ELEMENTS elements \`element:<i>\` (bytes per element) | depth | RSS ferredis | RSS redis | RSS ratio | used_memory ferredis | used_memory redis | MEMORY USAGE ferredis | MEMORY USAGE redis |"
    echo "|---|---|---|---|---|---|---|---|---|"
} >"$OUT/memory.md"
for depth in $MEM_DEPTHS; do
    start_pair --list-compress-depth "$depth"
    # Warm-up, the same on both: a 20000-element list pushed and deleted, so first touches of allocator size
    # classes and connection buffers are not counted as the list's memory.
    for port in "$FPORT" "$RPORT"; do
        head -c "$WARM_BYTES" "$WORK/list.resp" | sed 's/biglist/warmlst/' | cli "$port" --pipe >/dev/null
        cli "$port" del warmlst >/dev/null
    done
    sleep 1
    frss0=$(rss_kb "$FPID") rrss0=$(rss_kb "$RPID") fu0=$(used_memory "$FPORT") ru0=$(used_memory "$RPORT")
    load_list "$FPORT"
    load_list "$RPORT"
    check_same
    sleep 1
    frss1=$(rss_kb "$FPID") rrss1=$(rss_kb "$RPID") fu1=$(used_memory "$FPORT") ru1=$(used_memory "$RPORT")
    echo "depth $depth: ferredis RSS $frss0 -> $frss1 kB, redis $rrss0 -> $rrss1 kB" >&2
    fmu=$(cli "$FPORT" memory usage biglist samples 0) rmu=$(cli "$RPORT" memory usage biglist samples 0)
    awk -v n="$ELEMENTS" -v d="$depth" -v fr=$((frss1 - frss0)) -v rr=$((rrss1 - rrss0)) -v fu=$((fu1 - fu0)) \
        -v ru=$((ru1 - ru0)) -v fm="$fmu" -v rm="$rmu" 'BEGIN {
        printf "| RPUSH into one list | %d | %.1f | %.1f | %.3f | %.1f | %.1f | %.1f | %.1f |\n", d, fr * 1024 / n,
            rr * 1024 / n, (rr > 0) ? fr / rr : 0, fu / n, ru / n, fm / n, rm / n
    }' >>"$OUT/memory.md"
    kill "$FPID" "$RPID" 2>/dev/null || true
    wait "$FPID" "$RPID" 2>/dev/null || true
    PIDS=()
done

start_pair --list-compress-depth "$DEPTH"
load_list "$FPORT"
load_list "$RPORT"
check_same

one_round() { # <server> <pid> <port> <round>
    cli "$3" del pushed >/dev/null
    bench_rb "$1" "$2" "$3" lpush "$4" "$N" -P 16 -r "$ELEMENTS" LPUSH pushed 'element:__rand_int__'
    bench_rb "$1" "$2" "$3" lindex "$4" "$READ_N" -P 1 LINDEX biglist 333333
    bench_rb "$1" "$2" "$3" lrange "$4" "$READ_N" -P 1 LRANGE biglist 500000 500099
}
for r in $(seq 1 "$ROUNDS"); do
    one_round_both "$r"
    printf '.' >&2
done
echo >&2

col() { awk -F, -v s="$1" -v t="$2" -v f="$3" '$1 == s && $2 == t && $f != "" {print $f}' "$OUT/raw.csv" | median; }
tput_line() { # <test> <label>
    awk -v label="$2" -v fr="$(col ferredis "$1" 6)" -v rr="$(col redis "$1" 6)" \
        -v fc="$(col ferredis "$1" 8)" -v rc="$(col redis "$1" 8)" 'BEGIN {
        printf "| %s | %.0f | %.0f | %.3f | %.3f | %.3f | %.3f |\n", label, fr, rr, (rr > 0) ? fr / rr : 0, fc, rc,
            (rc > 0) ? fc / rc : 0
    }'
}
{
    cat "$OUT/memory.md"
    echo
    echo "| depth $DEPTH (requests/s; server CPU us/request) | ferredis | redis 7.0 | ratio | CPU ferredis | CPU redis | CPU ratio |"
    echo "|---|---|---|---|---|---|---|"
    tput_line lpush "LPUSH pushed element:<rand>, -P 16 -c $CLIENTS"
    tput_line lindex "LINDEX biglist 333333 ($ELEMENTS elements), -P 1 -c $CLIENTS"
    tput_line lrange "LRANGE biglist 500000 500099, -P 1 -c $CLIENTS"
} | tee "$OUT/summary.md"
echo "medians of $ROUNDS rounds; raw rows: $OUT/raw.csv"
