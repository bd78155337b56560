#!/usr/bin/env bash
# MSETEX (Redis 8.4) of 10 keys with EX against MSET of the same 10 keys, on ferredis, with Debian's redis-server
# 7.0's MSET in the same run for scale. Issue 64's target: ferredis's server CPU per MSETEX at most its CPU per
# MSET plus 10% (ratio <= 1.10), at -P 1 and at -P 16.
#
# One pair of servers. Each request writes the keys {m}k0 .. {m}k9 (one slot, as a cluster needs) with an 8-byte
# value: `MSET {m}k0 v ... {m}k9 v` and `MSETEX 10 {m}k0 v ... {m}k9 v EX 1000` (the keys exist after the first
# request, so both overwrite; MSETEX also sets ten TTLs and publishes nothing more, notifications being off). Per
# round: MSET on both servers (alternating which goes first), then MSETEX on ferredis; medians of ROUNDS. Server
# CPU per request is the scheduler's run time of the server's threads over the run (benches/lib.sh's cpu_ns) over
# the requests. The reply of each command is checked before the runs (MSETEX answers `1`, the TTLs are set).
#
# Servers pinned to SERVER_CPU, clients to CLIENT_CPU. Knobs (environment): ROUNDS (5), CLIENTS (50), N (requests
# at -P 1, 100000), P_SCALE (4: -P 16 runs N*P_SCALE requests), SERVER_CPU (1), CLIENT_CPU (0), FERREDIS
# (target/release/ferredis-server, built first unless SKIP_BUILD=1), REDIS (/usr/bin/redis-server). Prints a
# markdown table; results in bench-results/<timestamp>-msetex/: summary.md and raw.csv (benches/lib.sh's bench_rb
# columns).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

ROUNDS=${ROUNDS:-5}
CLIENTS=${CLIENTS:-50}
N=${N:-100000}
P_SCALE=${P_SCALE:-4}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
CLK_TCK=$(getconf CLK_TCK)

bench_prepare msetex
echo "server,test,round,requests,time_ms,rps,server_cpu_ms,cpu_us_per_op,client_busy" >"$OUT/raw.csv"
start_pair

pairs=()
for i in $(seq 0 9); do pairs+=("{m}k$i" vvvvvvvv); done
[ "$(cli "$FPORT" msetex 10 "${pairs[@]}" ex 1000)" = 1 ] || { echo "ferredis does not answer MSETEX with 1"; exit 1; }
ttl=$(cli "$FPORT" ttl "{m}k9")
[ "$ttl" -gt 990 ] || { echo "MSETEX did not set the TTL ({m}k9: $ttl)"; exit 1; }
for port in "$FPORT" "$RPORT"; do
    [ "$(cli "$port" mset "${pairs[@]}")" = OK ] || { echo "MSET failed on port $port"; exit 1; }
done

one_round() { # <server> <pid> <port> <round>
    bench_rb "$1" "$2" "$3" mset_p1 "$4" "$N" -P 1 MSET "${pairs[@]}"
    bench_rb "$1" "$2" "$3" mset_p16 "$4" $((N * P_SCALE)) -P 16 MSET "${pairs[@]}"
}
msetex_round() { # <round>
    bench_rb ferredis "$FPID" "$FPORT" msetex_p1 "$1" "$N" -P 1 MSETEX 10 "${pairs[@]}" EX 1000
    bench_rb ferredis "$FPID" "$FPORT" msetex_p16 "$1" $((N * P_SCALE)) -P 16 MSETEX 10 "${pairs[@]}" EX 1000
}

echo "ferredis: $FERREDIS | redis $("$REDIS" --version | awk '{print $3}')"
echo "servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU; $ROUNDS rounds, medians; -c $CLIENTS; 10 keys of 8" \
    "bytes per request; -n $N at -P 1, $((N * P_SCALE)) at -P 16"
for r in $(seq 1 "$ROUNDS"); do
    one_round_both "$r"
    msetex_round "$r"
    printf '.' >&2
done
echo >&2
ttl=$(cli "$FPORT" ttl "{m}k0")
[ "$ttl" -gt 900 ] || { echo "the TTLs are gone after the runs ({m}k0: $ttl)"; exit 1; }

# line <p>: MSETEX against ferredis's own MSET at pipeline <p>, Redis 7.0's MSET beside.
line() {
    awk -v p="$1" -v fm="$(col ferredis "mset_p$1" 8)" -v fx="$(col ferredis "msetex_p$1" 8)" \
        -v rm="$(col redis "mset_p$1" 8)" -v fmr="$(rps_col ferredis "mset_p$1")" \
        -v fxr="$(rps_col ferredis "msetex_p$1")" -v rmr="$(rps_col redis "mset_p$1")" 'BEGIN {
        c = (fm > 0) ? fx / fm : 0
        printf "| 10 keys, -P %s | %.3f (%.0f/s) | %.3f (%.0f/s) | %.3f | %.3f (%.0f/s) | %s |\n", p, fx, fxr, fm, fmr,
            c, rm, rmr, (c > 0 && c <= 1.10) ? "yes" : "no"
    }'
}

{
    echo "| request | ferredis MSETEX EX, CPU us/request | ferredis MSET | MSETEX / MSET | redis 7.0 MSET | met (<= 1.10) |"
    echo "|---|---|---|---|---|---|"
    line 1
    line 16
} | tee "$OUT/summary.md"
echo "medians of $ROUNDS rounds; raw rows: $OUT/raw.csv"
