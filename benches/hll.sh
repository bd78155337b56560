#!/usr/bin/env bash
# HyperLogLog: ferredis against Debian's redis-server 7.0 in the same run, as ratios (ferredis/redis).
#
# One pair of servers; per round both servers, alternating which goes first; medians of ROUNDS. Per server:
# requests per second, server CPU microseconds per request (utime+stime from /proc/<pid>/stat over the run) and
# how busy the client's core was (the client's own utime+stime over the wall time). Target: rps ratio
# >= 1.10, or server CPU ratio <= 0.80 where the client saturates its core (client core >= CLIENT_SATURATED busy in
# either server's run; measured, not assumed); a row counts as met when either holds, and says which.
# 1. `PFADD hll e:__rand_int__` (-r 100000000) through redis-benchmark -c CLIENTS -P 16, N requests: one key, dense
#    after its first few thousand elements (register updates in place).
# 2. `PFADD hll:__rand_int__ e:__rand_int__` (-r KEYSPACE) -P 16, N requests: KEYSPACE keys of a few elements each,
#    sparse (opcode splits and merges, new keys).
# 3. `PFCOUNT a b c` -P 1, PFCOUNT_N requests: the union of three dense sketches of PFCOUNT_ELEMENTS elements each
#    (loaded with redis-cli --pipe into both servers; both must answer the same count first).
# After each PFADD run, PFCOUNT hll must be > 0 on the server (a run of error replies would count as requests).
#
# Servers pinned to SERVER_CPU, clients to CLIENT_CPU. Knobs (environment): ROUNDS (5), CLIENTS (50), N (PFADD
# requests, 1000000), KEYSPACE (100000), PFCOUNT_N (30000), PFCOUNT_ELEMENTS (50000), CLIENT_SATURATED (0.90),
# SERVER_CPU (1), CLIENT_CPU (0), FERREDIS (target/release/ferredis-server, built first unless SKIP_BUILD=1), REDIS
# (/usr/bin/redis-server). Exits 1 if ferredis does not answer PFADD yet. Prints a markdown table for the README;
# results in bench-results/<timestamp>-hll/: summary.md and raw.csv (server, test, round, requests, time_ms, rate,
# server_cpu_ms, cpu_us_per_op, client_busy).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

ROUNDS=${ROUNDS:-5}
CLIENTS=${CLIENTS:-50}
N=${N:-1000000}
KEYSPACE=${KEYSPACE:-100000}
PFCOUNT_N=${PFCOUNT_N:-30000}
PFCOUNT_ELEMENTS=${PFCOUNT_ELEMENTS:-50000}
CLIENT_SATURATED=${CLIENT_SATURATED:-0.90}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
CLK_TCK=$(getconf CLK_TCK)

bench_prepare hll

echo "server,test,round,count,time_ms,rate,server_cpu_ms,cpu_us_per_op,client_busy" >"$OUT/raw.csv"

positive_count() { # <port> <key> <what>
    local got
    got=$(cli "$1" pfcount "$2")
    [[ $got =~ ^[1-9][0-9]*$ ]] || { echo "$3: PFCOUNT $2 is '$got' on port $1"; exit 1; }
}

one_round() { # <server> <pid> <port> <round>
    cli "$3" del hll >/dev/null
    bench_rb "$1" "$2" "$3" pfadd_dense "$4" "$N" -P 16 -r 100000000 PFADD hll 'e:__rand_int__'
    positive_count "$3" hll "PFADD dense ($1)"
    bench_rb "$1" "$2" "$3" pfadd_sparse "$4" "$N" -P 16 -r "$KEYSPACE" PFADD 'hll:__rand_int__' 'e:__rand_int__'
    positive_count "$3" hll:000000000001 "PFADD sparse ($1)"
    bench_rb "$1" "$2" "$3" pfcount3 "$4" "$PFCOUNT_N" -P 1 PFCOUNT a b c
}

echo "ferredis: $FERREDIS | redis $("$REDIS" --version | awk '{print $3}')"
echo "servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU; $ROUNDS rounds, medians; -c $CLIENTS; PFADD -n $N -P 16" \
    "(sparse: $KEYSPACE keys); PFCOUNT of 3 keys x $PFCOUNT_ELEMENTS elements -n $PFCOUNT_N -P 1"

start_pair
probe=$(cli "$FPORT" pfadd bench:probe a 2>&1)
[ "$probe" = 1 ] || { echo "ferredis does not run PFADD yet: $probe"; exit 1; }
# The three PFCOUNT sketches, loaded with redis-cli --pipe.
awk -v n="$PFCOUNT_ELEMENTS" 'BEGIN {
    split("a b c", keys, " ")
    for (k = 1; k <= 3; k++) for (i = 0; i < n; i += 100) {
        printf "*102\r\n$5\r\nPFADD\r\n$1\r\n%s\r\n", keys[k]
        for (j = i; j < i + 100; j++) { e = keys[k] ":" j; printf "$%d\r\n%s\r\n", length(e), e }
    }
}' >"$WORK/pf.resp"
for port in "$FPORT" "$RPORT"; do
    out=$(cli "$port" --pipe <"$WORK/pf.resp" 2>&1)
    case $out in *"errors: 0,"*) ;; *) echo "redis-cli --pipe on port $port: $out"; exit 1 ;; esac
done
fc=$(cli "$FPORT" pfcount a b c)
rc=$(cli "$RPORT" pfcount a b c)
[ "$fc" = "$rc" ] || { echo "PFCOUNT a b c: ferredis $fc, redis $rc"; exit 1; }

for r in $(seq 1 "$ROUNDS"); do
    one_round_both "$r"
    printf '.' >&2
done
echo >&2

col() { awk -F, -v s="$1" -v t="$2" -v f="$3" '$1 == s && $2 == t && $f != "" {print $f}' "$OUT/raw.csv" | median; }

tput_line() { # <test> <label>
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
    tput_line pfadd_dense "PFADD hll e:<rand> (one dense key), -P 16 -c $CLIENTS"
    tput_line pfadd_sparse "PFADD hll:<rand> e:<rand> ($KEYSPACE sparse keys), -P 16 -c $CLIENTS"
    tput_line pfcount3 "PFCOUNT a b c (3 dense keys, $PFCOUNT_ELEMENTS elements each), -P 1 -c $CLIENTS"
} | tee "$OUT/summary.md"
echo "medians of $ROUNDS rounds; raw rows: $OUT/raw.csv"
