#!/usr/bin/env bash
# Streams: ferredis against Debian's redis-server 7.0 in the same run, as ratios (ferredis/redis).
#
# Throughput rows (one pair of servers; per round both servers, alternating which goes first; medians of ROUNDS).
# Per server: requests (or messages) per second, server CPU microseconds per request (utime+stime from
# /proc/<pid>/stat over the run) and how busy the client's core was (the client's own utime+stime over the wall
# time). Target: rps ratio >= 1.10, or server CPU ratio <= 0.80 where the client saturates its core; the
# table names the one that applies, measured rather than assumed (client core >= CLIENT_SATURATED busy in either
# server's run: the CPU one; other jobs on the client's core lower that share, so on a loaded machine it reads low)
# and counts a row as met when either holds, saying which.
# 1. `XADD s * f v` through redis-benchmark -c CLIENTS at -P 1 (N requests) and -P 16 (N*P_SCALE requests); `s` is
#    deleted before each run and XLEN checked after it (a run of error replies would count as requests). At -P 16
#    redis-benchmark saturates its core against a fast enough server, and server CPU per request is the figure
#    then; against redis-server itself XADD -P 16 is server-bound (about 1.3 us of server CPU per request at
#    ~700k requests/s on the 2-core VM), so which target applies is read from the run.
# 2. `XRANGE xr - + COUNT 100` on a stream of XRANGE_ENTRIES entries `f <i>` (XADD xr * f <i>, loaded with
#    redis-cli --pipe into both servers), -P 1, XRANGE_N requests. Both servers must return 100 entries first.
# 3. A work queue: a stream xg of GROUP_ENTRIES entries `f <i>` (same loading), then per run XGROUP DESTROY and
#    XGROUP CREATE xg g 0, and benches/stream_group.rs drains it: CONSUMERS threads, each with its own connection
#    and consumer name c<i>, loop `XREADGROUP GROUP g c<i> COUNT GROUP_COUNT STREAMS xg >` then `XACK xg g <ids>`
#    until XREADGROUP answers nil; it checks every reply and that all GROUP_ENTRIES messages were acknowledged.
#    Reported: messages/s (acked / the driver's elapsed time) and server CPU microseconds per message.
# Memory and RDB rows (a fresh pair, `--enable-debug-command yes`; one measurement per server for memory):
# 4. used_memory (INFO memory) growth while loading, with redis-cli --pipe, (a) one stream `big` of BIG_ENTRIES
#    entries `XADD big * f <i>`, reported as bytes per entry, and (b) after FLUSHALL, MEM_STREAMS streams st:<k>
#    of MEM_STREAM_ENTRIES entries `f <i>` each, each with a consumer group g (XGROUP CREATE st:<k> g 0) and one
#    consumer c that has read 10 entries (XREADGROUP ... COUNT 10 ... >, so 10 pending), reported as bytes per
#    stream. Target: ferredis <= 0.80x Redis's.
# 5. RDB of the BIG_ENTRIES-entry stream of 4a, per round alternating servers: SAVE, then DEBUG RELOAD NOSAVE
#    (flush, then load of the dump.rdb just saved), XLEN checked after it. Per command: its execution time as the
#    server measured it (the usec its INFO commandstats entry gained, cmdstat_save / cmdstat_debug: the client's
#    round trip and scheduling are not in it, which on a loaded machine swing by more than the command takes) and
#    the server's CPU time over it (used_cpu_user + used_cpu_sys of INFO cpu, getrusage's microseconds; /proc's
#    10 ms ticks are too coarse here). Target: ferredis's time <= 0.80x Redis's. The dump's size is printed
#    (information, no target).
#
# Servers pinned to SERVER_CPU, clients (redis-benchmark, redis-cli, the driver) to CLIENT_CPU. Knobs
# (environment): SECTIONS (xadd,xrange,group,memory,rdb), ROUNDS (5), CLIENTS (50), N (XADD requests at -P 1,
# 100000), P_SCALE (5), XRANGE_N (50000), XRANGE_ENTRIES (100000), GROUP_ENTRIES (500000), CONSUMERS (50),
# GROUP_COUNT (10), BIG_ENTRIES (1000000), MEM_STREAMS (1000), MEM_STREAM_ENTRIES (100), CLIENT_SATURATED (0.90),
# SERVER_CPU (1), CLIENT_CPU (0), FERREDIS (target/release/ferredis-server, built first unless SKIP_BUILD=1),
# REDIS (/usr/bin/redis-server), DRIVER (a prebuilt benches/stream_group.rs binary; by default the script compiles
# it with rustc into its scratch directory, std only, a second, even with SKIP_BUILD=1). Exits 1 if ferredis does
# not answer XADD yet. Prints a markdown table for the README; results in bench-results/<timestamp>-streams/:
# summary.md and raw.csv, one line per run: server, test, round, count (requests, messages, entries or streams),
# time_ms (the client's wall time; for the RDB rows the commandstats time), rate (requests or messages per second),
# server_cpu_ms, cpu_us_per_op, client_busy (client CPU / wall), bytes (memory rows: used_memory growth per unit).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

SECTIONS=${SECTIONS:-xadd,xrange,group,memory,rdb}
ROUNDS=${ROUNDS:-5}
CLIENTS=${CLIENTS:-50}
N=${N:-100000}
P_SCALE=${P_SCALE:-5}
XRANGE_N=${XRANGE_N:-50000}
XRANGE_ENTRIES=${XRANGE_ENTRIES:-100000}
GROUP_ENTRIES=${GROUP_ENTRIES:-500000}
CONSUMERS=${CONSUMERS:-50}
GROUP_COUNT=${GROUP_COUNT:-10}
BIG_ENTRIES=${BIG_ENTRIES:-1000000}
MEM_STREAMS=${MEM_STREAMS:-1000}
MEM_STREAM_ENTRIES=${MEM_STREAM_ENTRIES:-100}
CLIENT_SATURATED=${CLIENT_SATURATED:-0.90}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
DRIVER=${DRIVER:-}
CLK_TCK=$(getconf CLK_TCK)
want() { case ",$SECTIONS," in *",$1,"*) return 0 ;; esac; return 1; }

bench_prepare streams

if want group; then
    if [ -z "$DRIVER" ]; then
        command -v rustc >/dev/null 2>&1 || { echo "missing rustc (or set DRIVER to a built stream_group)"; exit 1; }
        DRIVER=$WORK/stream_group
        rustc --edition 2021 -C opt-level=3 -o "$DRIVER" benches/stream_group.rs
    fi
    [ -x "$DRIVER" ] || { echo "missing the stream_group driver $DRIVER"; exit 1; }
fi

echo "server,test,round,count,time_ms,rate,server_cpu_ms,cpu_us_per_op,client_busy,bytes" >"$OUT/raw.csv"

# The first reply of ferredis that is not Redis's ends the script before anything is timed.
check_streams() {
    local out
    out=$(redis-cli -p "$FPORT" xadd bench:probe '*' f v 2>&1)
    if ! [[ $out =~ ^[0-9]+-[0-9]+$ ]]; then
        echo "ferredis does not run XADD yet: $out"
        exit 1
    fi
    redis-cli -p "$FPORT" del bench:probe >/dev/null
}

pair() {
    start_pair "$@"
    check_streams
}

stop_pair() {
    kill "$FPID" "$RPID" 2>/dev/null || true
    wait "$FPID" "$RPID" 2>/dev/null || true
}

# xadd_resp <key> <n>: RESP of n commands `XADD <key> * f <i>` for redis-cli --pipe.
xadd_resp() {
    awk -v k="$1" -v n="$2" 'BEGIN {
        for (i = 0; i < n; i++) printf "*5\r\n$4\r\nXADD\r\n$%d\r\n%s\r\n$1\r\n*\r\n$1\r\nf\r\n$%d\r\n%d\r\n", length(k), k, length(i ""), i
    }'
}

# pipe_in <port> <file>: loads a RESP file; any error reply ends the script.
pipe_in() {
    local out
    out=$(cli "$1" --pipe <"$2" 2>&1)
    case $out in *"errors: 0,"*) ;; *) echo "redis-cli --pipe on port $1: $out"; exit 1 ;; esac
}

info_field() { cli "$1" info "$2" | tr -d '\r' | awk -F: -v f="$3" '$1 == f {print $2}'; }

xlen_is() { # xlen_is <port> <key> <n> <what>
    local got
    got=$(cli "$1" xlen "$2")
    [ "$got" = "$3" ] || { echo "$4: XLEN $2 is $got on port $1, expected $3"; exit 1; }
}


# record <server> <test> <round> <count> <t0_ns> <t1_ns> <server_ticks> <rate>: a raw row of a throughput run.
record() {
    local ct
    ct=$(cat "$WORK/client_ticks")
    raw "$1" "$2" "$3" "$4" "$(awk -v a="$5" -v b="$6" -v c="$7" -v n="$4" -v ct="$ct" -v r="$8" -v hz="$CLK_TCK" 'BEGIN {
        wall = (b - a) / 1e9
        printf "%.1f,%s,%.1f,%.4f,%.3f,", wall * 1e3, r, c / hz * 1e3, c / hz * 1e6 / n, (wall > 0) ? ct / hz / wall : 0
    }')"
}

# bench_rb <server> <pid> <port> <test> <round> <requests> <redis-benchmark args...>: lib.sh's, with this
# script's raw rows (they carry the memory rows' bytes column too).
bench_rb() {
    local server=$1 pid=$2 port=$3 test=$4 round=$5 n=$6 before after t0 t1 out rps
    shift 6
    before=$(cpu_ticks "$pid")
    t0=$(now_ns)
    out=$(client_run redis-benchmark -p "$port" -c "$CLIENTS" -n "$n" --csv "$@" 2>/dev/null)
    t1=$(now_ns)
    after=$(cpu_ticks "$pid")
    rps=$(printf '%s\n' "$out" | awk -F'"' 'NR > 1 && $2 != "" {r = $4} END {print r}')
    record "$server" "$test" "$round" "$n" "$t0" "$t1" $((after - before)) "${rps:-0}"
}

xadd_one() { # <server> <pid> <port> <round> <pipeline>
    local n=$N
    [ "$5" -gt 1 ] && n=$((N * P_SCALE))
    cli "$3" del s >/dev/null
    bench_rb "$1" "$2" "$3" "xadd_p$5" "$4" "$n" -P "$5" XADD s '*' f v
    xlen_is "$3" s "$n" "XADD -P $5 ($1)"
    cli "$3" del s >/dev/null
}

xrange_one() { bench_rb "$1" "$2" "$3" xrange_p1 "$4" "$XRANGE_N" -P 1 XRANGE xr - + COUNT 100; }

group_one() { # <server> <pid> <port> <round>
    local server=$1 pid=$2 port=$3 round=$4 before after t0 t1 out
    cli "$port" xgroup destroy xg g >/dev/null
    [ "$(cli "$port" xgroup create xg g 0)" = OK ] || { echo "XGROUP CREATE failed on $server"; exit 1; }
    before=$(cpu_ticks "$pid")
    t0=$(now_ns)
    out=$(client_run "$DRIVER" "$port" "$CONSUMERS" "$GROUP_ENTRIES" xg g "$GROUP_COUNT") ||
        { echo "stream_group driver failed against $server: $out"; exit 1; }
    t1=$(now_ns)
    after=$(cpu_ticks "$pid")
    # The driver's own clock (from the consumers' start to the last nil) for the rate; time_ms includes connecting.
    record "$server" group "$round" "$GROUP_ENTRIES" "$t0" "$t1" $((after - before)) "$(echo "$out" | awk '{print $3}')"
}

# rounds <fn>: calls <fn> <server> <pid> <port> <round> for both servers ROUNDS times, alternating which goes first.
rounds() {
    local fn=$1 r
    for r in $(seq 1 "$ROUNDS"); do
        if [ $((r % 2)) = 1 ]; then
            "$fn" ferredis "$FPID" "$FPORT" "$r"
            "$fn" redis "$RPID" "$RPORT" "$r"
        else
            "$fn" redis "$RPID" "$RPORT" "$r"
            "$fn" ferredis "$FPID" "$FPORT" "$r"
        fi
        printf '.' >&2
    done
}

# cmd_usec <port> <command name>: "<calls> <usec>" of INFO commandstats (0 0 before the first call).
cmd_usec() {
    cli "$1" info commandstats | tr -d '\r' | awk -F'[:,=]' -v c="cmdstat_$2" '$1 == c {print $3, $5; f = 1} END {if (!f) print 0, 0}'
}
# cpu_s <port>: the server's used_cpu_user + used_cpu_sys (INFO cpu: getrusage, microsecond resolution).
cpu_s() { cli "$1" info cpu | tr -d '\r' | awk -F: '$1 == "used_cpu_user" || $1 == "used_cpu_sys" {s += $2} END {printf "%.6f", s}'; }

# timed_cmd <server> <port> <test> <round> <command...>: one command's execution time as the server measured it
# (the usec its INFO commandstats entry gained: no client round trip or scheduling of redis-cli in it) and the
# server's CPU time over it (INFO cpu), both in ms; the reply must be OK and the entry must count one call.
timed_cmd() {
    local server=$1 port=$2 test=$3 round=$4 name c0 c1 u0 u1 out
    shift 4
    name=$(echo "$1" | tr '[:upper:]' '[:lower:]')
    c0=$(cpu_s "$port")
    read -r -a u0 <<<"$(cmd_usec "$port" "$name")"
    out=$(cli "$port" "$@" 2>&1)
    read -r -a u1 <<<"$(cmd_usec "$port" "$name")"
    c1=$(cpu_s "$port")
    [ "$out" = OK ] || { echo "$* on $server: $out"; exit 1; }
    [ $((u1[0] - u0[0])) = 1 ] || { echo "$* on $server: INFO commandstats counted $((u1[0] - u0[0])) calls of $name, expected 1"; exit 1; }
    raw "$server" "$test" "$round" 1 "$(awk -v a="${u0[1]}" -v b="${u1[1]}" 'BEGIN {printf "%.1f", (b - a) / 1e3}')" \
        "" "$(awk -v a="$c0" -v b="$c1" 'BEGIN {printf "%.1f", (b - a) * 1e3}')" "" "" ""
}

rdb_one() { # <server> <pid> <port> <round>
    timed_cmd "$1" "$3" rdb_save "$4" save
    timed_cmd "$1" "$3" rdb_load "$4" debug reload nosave
    xlen_is "$3" big "$BIG_ENTRIES" "DEBUG RELOAD ($1)"
}

# mem_fill <server> <port> <test> <file> <units>: used_memory growth while loading <file>, per unit.
mem_fill() {
    local server=$1 port=$2 test=$3 file=$4 units=$5 before after
    before=$(info_field "$port" memory used_memory)
    pipe_in "$port" "$file"
    after=$(info_field "$port" memory used_memory)
    raw "$server" "$test" 1 "$units" "" "" "" "" "" "$(awk -v a="$after" -v b="$before" -v n="$units" 'BEGIN {printf "%.1f", (a - b) / n}')"
}

echo "ferredis: $FERREDIS | redis $("$REDIS" --version | awk '{print $3}')"
echo "servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU; $ROUNDS rounds, medians; -c $CLIENTS; XADD -n $N" \
    "(-P 16: $((N * P_SCALE))); XRANGE -n $XRANGE_N on $XRANGE_ENTRIES entries; $CONSUMERS consumers drain" \
    "$GROUP_ENTRIES entries (COUNT $GROUP_COUNT); BIG_ENTRIES $BIG_ENTRIES; $MEM_STREAMS x $MEM_STREAM_ENTRIES"

# ---- throughput ----------------------------------------------------------------------------------------------
if want xadd || want xrange || want group; then
    pair
    if want xrange; then
        xadd_resp xr "$XRANGE_ENTRIES" >"$WORK/xr.resp"
        pipe_in "$FPORT" "$WORK/xr.resp"
        pipe_in "$RPORT" "$WORK/xr.resp"
        for port in "$FPORT" "$RPORT"; do
            xlen_is "$port" xr "$XRANGE_ENTRIES" "XRANGE prefill"
            lines=$(cli "$port" xrange xr - + COUNT 100 | wc -l)
            [ "$lines" = 300 ] || { echo "XRANGE xr - + COUNT 100 on port $port: $lines lines, expected 300"; exit 1; }
        done
        rm -f "$WORK/xr.resp"
    fi
    if want group; then
        xadd_resp xg "$GROUP_ENTRIES" >"$WORK/xg.resp"
        pipe_in "$FPORT" "$WORK/xg.resp"
        pipe_in "$RPORT" "$WORK/xg.resp"
        xlen_is "$FPORT" xg "$GROUP_ENTRIES" "group prefill"
        xlen_is "$RPORT" xg "$GROUP_ENTRIES" "group prefill"
        rm -f "$WORK/xg.resp"
    fi
    throughput_round() { # <server> <pid> <port> <round>
        if want xadd; then
            xadd_one "$@" 1
            xadd_one "$@" 16
        fi
        want xrange && xrange_one "$@"
        want group && group_one "$@"
        return 0
    }
    rounds throughput_round
    stop_pair
fi

# ---- memory and RDB --------------------------------------------------------------------------------------------
RDB_BYTES_F= RDB_BYTES_R=
if want memory || want rdb; then
    pair --enable-debug-command yes
    xadd_resp big "$BIG_ENTRIES" >"$WORK/big.resp"
    mem_fill ferredis "$FPORT" mem_big "$WORK/big.resp" "$BIG_ENTRIES"
    mem_fill redis "$RPORT" mem_big "$WORK/big.resp" "$BIG_ENTRIES"
    rm -f "$WORK/big.resp"
    xlen_is "$FPORT" big "$BIG_ENTRIES" "memory fill"
    xlen_is "$RPORT" big "$BIG_ENTRIES" "memory fill"
    if want rdb; then
        rounds rdb_one
        RDB_BYTES_F=$(stat -c %s "$WORK/ferredis-$FPORT/dump.rdb")
        RDB_BYTES_R=$(stat -c %s "$WORK/redis-$RPORT/dump.rdb")
    fi
    if want memory; then
        awk -v s="$MEM_STREAMS" -v e="$MEM_STREAM_ENTRIES" 'BEGIN {
            for (k = 0; k < s; k++) {
                key = "st:" k
                for (i = 0; i < e; i++) printf "*5\r\n$4\r\nXADD\r\n$%d\r\n%s\r\n$1\r\n*\r\n$1\r\nf\r\n$%d\r\n%d\r\n", length(key), key, length(i ""), i
                printf "*5\r\n$6\r\nXGROUP\r\n$6\r\nCREATE\r\n$%d\r\n%s\r\n$1\r\ng\r\n$1\r\n0\r\n", length(key), key
                printf "*9\r\n$10\r\nXREADGROUP\r\n$5\r\nGROUP\r\n$1\r\ng\r\n$1\r\nc\r\n$5\r\nCOUNT\r\n$2\r\n10\r\n$7\r\nSTREAMS\r\n$%d\r\n%s\r\n$1\r\n>\r\n", length(key), key
            }
        }' >"$WORK/many.resp"
        for port in "$FPORT" "$RPORT"; do cli "$port" flushall >/dev/null; done
        mem_fill ferredis "$FPORT" mem_groups "$WORK/many.resp" "$MEM_STREAMS"
        mem_fill redis "$RPORT" mem_groups "$WORK/many.resp" "$MEM_STREAMS"
        for port in "$FPORT" "$RPORT"; do
            got=$(cli "$port" dbsize)
            [ "$got" = "$MEM_STREAMS" ] || { echo "port $port holds $got keys, expected $MEM_STREAMS"; exit 1; }
            got=$(cli "$port" xpending st:0 g | head -1)
            [ "$got" = 10 ] || { echo "XPENDING st:0 g on port $port: $got pending, expected 10"; exit 1; }
        done
    fi
    stop_pair
fi
echo >&2

# ---- report ----------------------------------------------------------------------------------------------------
col() { # col <server> <test> <field#>
    awk -F, -v s="$1" -v t="$2" -v f="$3" '$1 == s && $2 == t && $f != "" {print $f}' "$OUT/raw.csv" | median
}
has() { grep -q "^[a-z]*,$1," "$OUT/raw.csv"; }

# tput_line <test> <label> <unit>: a throughput row (rate, server CPU us per op, the target that applies).
tput_line() {
    has "$1" || return 0
    awk -v label="$2" -v unit="$3" -v sat="$CLIENT_SATURATED" \
        -v fr="$(col ferredis "$1" 6)" -v rr="$(col redis "$1" 6)" \
        -v fc="$(col ferredis "$1" 8)" -v rc="$(col redis "$1" 8)" \
        -v fb="$(col ferredis "$1" 9)" -v rb="$(col redis "$1" 9)" 'BEGIN {
        r = (rr > 0) ? fr / rr : 0; c = (rc > 0) ? fc / rc : 0
        busy = (fb > rb) ? fb : rb
        if (busy >= sat) target = sprintf("CPU <= 0.80 applies (client core %.0f%% busy: saturated); or rps >= 1.10", busy * 100)
        else target = sprintf("rps >= 1.10 applies (client core %.0f%% busy); or CPU <= 0.80", busy * 100)
        met = ""
        if (r >= 1.10) met = "rps"
        if (c <= 0.80) met = (met == "") ? "CPU" : met ", CPU"
        met = (met == "") ? "no" : "yes (" met ")"
        printf "| %s, %ss/s; server CPU us/%s | %.0f | %.0f | %.3f | %.3f | %.3f | %.3f | %s | %s |\n",
            label, unit, unit, fr, rr, r, fc, rc, c, target, met
    }'
}

# fixed_line <test> <label> <field#> <cpu field# or 0> <format>: a row whose target is ferredis <= 0.80x Redis.
fixed_line() {
    has "$1" || return 0
    awk -v label="$2" -v fmt="$5" -v f="$(col ferredis "$1" "$3")" -v r="$(col redis "$1" "$3")" \
        -v fc="$([ "$4" = 0 ] || col ferredis "$1" "$4")" -v rc="$([ "$4" = 0 ] || col redis "$1" "$4")" 'BEGIN {
        q = (r > 0) ? f / r : 0
        cpu = "| - | - | -"
        if (fc != "") cpu = sprintf("| %.1f | %.1f | %.3f", fc, rc, (rc > 0) ? fc / rc : 0)
        printf "| %s | " fmt " | " fmt " | %.3f %s | <= 0.80 | %s |\n", label, f, r, q, cpu, (q <= 0.80) ? "yes" : "no"
    }'
}

{
    echo "| benchmark | ferredis | redis 7.0 | ratio (ferredis/redis) | server CPU ferredis | server CPU redis | CPU ratio | target | target met |"
    echo "|---|---|---|---|---|---|---|---|---|"
    tput_line xadd_p1 "XADD s * f v, -P 1 -c $CLIENTS" request
    tput_line xadd_p16 "XADD s * f v, -P 16 -c $CLIENTS" request
    tput_line xrange_p1 "XRANGE xr - + COUNT 100 ($XRANGE_ENTRIES-entry stream), -P 1 -c $CLIENTS" request
    tput_line group "XREADGROUP COUNT $GROUP_COUNT + XACK, $CONSUMERS consumers draining $GROUP_ENTRIES entries" msg
    fixed_line mem_big "memory: one $BIG_ENTRIES-entry stream (f <i>), used_memory bytes/entry" 10 0 "%.1f"
    fixed_line mem_groups "memory: $MEM_STREAMS streams x $MEM_STREAM_ENTRIES entries + a group (1 consumer, 10 pending), used_memory bytes/stream" 10 0 "%.0f"
    fixed_line rdb_save "RDB: SAVE of the $BIG_ENTRIES-entry stream, ms (commandstats); server CPU ms" 5 7 "%.1f"
    fixed_line rdb_load "RDB: DEBUG RELOAD NOSAVE (flush + load) of it, ms (commandstats); server CPU ms" 5 7 "%.1f"
    if [ -n "$RDB_BYTES_F" ]; then
        awk -v f="$RDB_BYTES_F" -v r="$RDB_BYTES_R" 'BEGIN {
            printf "| RDB: dump.rdb size, bytes | %d | %d | %.3f | - | - | - | (information) | - |\n", f, r, (r > 0) ? f / r : 0 }'
    fi
} | tee "$OUT/summary.md"
echo "medians of $ROUNDS rounds (memory: one load per server); raw rows: $OUT/raw.csv"
