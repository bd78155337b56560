#!/usr/bin/env bash
# Bitmaps: SETBIT and BITCOUNT over a 1 MB string, ferredis against Debian's redis-server 7.0 in the same
# run, as ratios (ferredis/redis).
#
# One pair of servers; both get the same key `bm`, BYTES (1048576) random bytes loaded with redis-cli -x SET, and
# its BITCOUNT is checked equal on both before anything is timed. Per round both servers, alternating which goes
# first; medians of ROUNDS. Per server: requests per second (redis-benchmark), server CPU microseconds per request
# (utime+stime from /proc/<pid>/stat over the run) and how busy the client's core was (the client's own
# utime+stime over the wall time). Target: rps ratio >= 1.10, or server CPU ratio <= 0.80 where the
# client saturates its core; the table names the one that applies, measured rather than assumed (client core >=
# CLIENT_SATURATED busy in either server's run), and counts a row as met when either holds, saying which.
# 1. `SETBIT bm <offset> 1` at -P 1 (N requests) and -P 16 (N*P_SCALE requests). redis-benchmark's __rand_int__
#    is zero-padded, which no bit offset parser accepts, so the offset is fixed: SETBIT_OFFSET (default the last
#    bit's byte, 8388600), within the string (no growth; the bit is set once, then each call is a no-op write).
#    The reply of every request must be an integer: the run is checked with one SETBIT before.
# 2. `BITCOUNT bm` over the whole megabyte at -P 1 (BITCOUNT_N requests): server-bound in both, so the rps ratio.
# 3. `BITCOUNT bm 1 -2 BIT`: the same with unaligned bit edges (BITCOUNT_N requests).
#
# Servers pinned to SERVER_CPU, clients to CLIENT_CPU. Knobs (environment): ROUNDS (5), CLIENTS (50), N (SETBIT
# requests at -P 1, 200000), P_SCALE (5), BITCOUNT_N (20000), BYTES (1048576), SETBIT_OFFSET (8388600),
# CLIENT_SATURATED (0.90), SERVER_CPU (1), CLIENT_CPU (0), FERREDIS (target/release/ferredis-server, built first
# unless SKIP_BUILD=1), REDIS (/usr/bin/redis-server). Exits 1 if ferredis does not answer BITCOUNT yet. Prints a
# markdown table for the README; results in bench-results/<timestamp>-bitmaps/: summary.md and raw.csv, one line
# per run: server, test, round, requests, time_ms (client wall time), rps, server_cpu_ms, cpu_us_per_op,
# client_busy.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

ROUNDS=${ROUNDS:-5}
CLIENTS=${CLIENTS:-50}
N=${N:-200000}
P_SCALE=${P_SCALE:-5}
BITCOUNT_N=${BITCOUNT_N:-20000}
BYTES=${BYTES:-1048576}
SETBIT_OFFSET=${SETBIT_OFFSET:-8388600}
CLIENT_SATURATED=${CLIENT_SATURATED:-0.90}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
CLK_TCK=$(getconf CLK_TCK)

bench_prepare bitmaps

echo "server,test,round,requests,time_ms,rps,server_cpu_ms,cpu_us_per_op,client_busy" >"$OUT/raw.csv"
start_pair
head -c "$BYTES" /dev/urandom >"$WORK/bm.bin"
for port in "$FPORT" "$RPORT"; do
    [ "$(cli "$port" -x set bm <"$WORK/bm.bin")" = OK ] || { echo "SET bm failed on port $port"; exit 1; }
    [ "$(cli "$port" strlen bm)" = "$BYTES" ] || { echo "STRLEN bm on port $port is not $BYTES"; exit 1; }
done
fc=$(cli "$FPORT" bitcount bm 2>&1)
rc=$(cli "$RPORT" bitcount bm)
[ "$fc" = "$rc" ] || { echo "ferredis does not answer BITCOUNT as Redis does: $fc (redis: $rc)"; exit 1; }
for port in "$FPORT" "$RPORT"; do
    out=$(cli "$port" setbit bm "$SETBIT_OFFSET" 1)
    [[ $out =~ ^[01]$ ]] || { echo "SETBIT bm $SETBIT_OFFSET 1 on port $port: $out"; exit 1; }
done
[ "$(cli "$FPORT" bitcount bm 1 -2 bit)" = "$(cli "$RPORT" bitcount bm 1 -2 bit)" ] ||
    { echo "BITCOUNT bm 1 -2 BIT differs"; exit 1; }

one_round() { # <server> <pid> <port> <round>
    bench_rb "$1" "$2" "$3" setbit_p1 "$4" "$N" -P 1 SETBIT bm "$SETBIT_OFFSET" 1
    bench_rb "$1" "$2" "$3" setbit_p16 "$4" $((N * P_SCALE)) -P 16 SETBIT bm "$SETBIT_OFFSET" 1
    bench_rb "$1" "$2" "$3" bitcount "$4" "$BITCOUNT_N" -P 1 BITCOUNT bm
    bench_rb "$1" "$2" "$3" bitcount_bits "$4" "$BITCOUNT_N" -P 1 BITCOUNT bm 1 -2 BIT
}

echo "ferredis: $FERREDIS | redis $("$REDIS" --version | awk '{print $3}')"
echo "servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU; $ROUNDS rounds, medians; -c $CLIENTS; key bm of $BYTES" \
    "random bytes; SETBIT -n $N (-P 16: $((N * P_SCALE))) at offset $SETBIT_OFFSET; BITCOUNT -n $BITCOUNT_N"
for r in $(seq 1 "$ROUNDS"); do
    one_round_both "$r"
    printf '.' >&2
done
echo >&2
[ "$(cli "$FPORT" bitcount bm)" = "$(cli "$RPORT" bitcount bm)" ] || { echo "bm differs after the runs"; exit 1; }

col() { # col <server> <test> <field#>
    awk -F, -v s="$1" -v t="$2" -v f="$3" '$1 == s && $2 == t && $f != "" {print $f}' "$OUT/raw.csv" | median
}

# line <test> <label>: rate, server CPU us per request, and the target that applies.
line() {
    awk -v label="$2" -v sat="$CLIENT_SATURATED" \
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
        printf "| %s | %.0f | %.0f | %.3f | %.3f | %.3f | %.3f | %s | %s |\n", label, fr, rr, r, fc, rc, c, target, met
    }'
}

{
    echo "| benchmark (requests/s; server CPU us/request) | ferredis | redis 7.0 | ratio | CPU ferredis | CPU redis | CPU ratio | target | target met |"
    echo "|---|---|---|---|---|---|---|---|---|"
    line setbit_p1 "SETBIT bm $SETBIT_OFFSET 1 on a $BYTES-byte string, -P 1 -c $CLIENTS"
    line setbit_p16 "SETBIT bm $SETBIT_OFFSET 1 on a $BYTES-byte string, -P 16 -c $CLIENTS"
    line bitcount "BITCOUNT bm (all $BYTES bytes), -P 1 -c $CLIENTS"
    line bitcount_bits "BITCOUNT bm 1 -2 BIT (unaligned edges), -P 1 -c $CLIENTS"
} | tee "$OUT/summary.md"
echo "medians of $ROUNDS rounds; raw rows: $OUT/raw.csv"
