#!/usr/bin/env bash
# The headline comparison: ferredis against Debian's redis-server 7.0 in one run, on one machine, through reduced
# runs of the other scripts (their knobs, not copies of their code):
#   compare.sh       SET and GET, redis-benchmark -c 50 at -P 1 and -P 16, ROUNDS rounds alternating the servers:
#                    requests/s, server CPU per request and redis-benchmark's own CPU per request (a row is
#                    client-bound when redis-benchmark spent more CPU per request than the server, against both
#                    servers: with a core each, the client saturates first, so throughput can only tie and the
#                    server's CPU per request is the figure; CPU per request holds on a loaded machine, where
#                    requests/s does not); memory per key of 1M `SET key:%012d val%d`, without and with `EX`.
#   tail_latency.sh  scenarios p16 (SET and GET at -P 16 -c 50, 1M each) and growth10m (15M SETs into an empty
#                    server, ~7.8M keys), REPEAT runs each: the PING prober's p99.9 and maximum, medians of the runs.
#   persist.sh       SECTIONS=fork: BGSAVE of FORK_KEYS keys under a same-size overwrite load: latest_fork_usec and
#                    rdb_last_cow_size, medians of ROUNDS.
# Writes RESULTS (benches/headline.tsv): a header of `#` lines (date, CPU, kernel, builds, the load average during
# the run, the commands) and one tab-separated line per row: row, unit, ferredis, redis, ratio (ferredis/redis),
# better (which direction is better), advantage (ferredis's: redis/ferredis where lower is better, ferredis/redis
# where higher is better; above 1 means ferredis is better), note. Then draws benches/headline.svg from it
# (benches/headline_chart.py). The scripts' own outputs stay in bench-results/<timestamp>-headline/.
# Knobs: ROUNDS (5), N (requests at -P 1, 200000; -P 16 runs 10x), REPEAT (3), FORK_KEYS (5000000), RESULTS,
# CHART (benches/headline.svg), FERREDIS, REDIS, SKIP_BUILD. 6 minutes on a quiet 2-core VM, up to 14 under other load.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-5}
N=${N:-200000}
REPEAT=${REPEAT:-3}
FORK_KEYS=${FORK_KEYS:-5000000}
RESULTS=${RESULTS:-benches/headline.tsv}
CHART=${CHART:-benches/headline.svg}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
export FERREDIS REDIS

if [ "${SKIP_BUILD:-0}" != 1 ] && [ "$FERREDIS" = target/release/ferredis-server ]; then
    cargo build --release
fi
[ -x "$FERREDIS" ] || { echo "missing $FERREDIS"; exit 1; }
[ -x "$REDIS" ] || { echo "missing $REDIS (apt-get install redis-server)"; exit 1; }
LOG=bench-results/$(date +%Y%m%d-%H%M%S)-headline
mkdir -p "$LOG"
START=$(date +%s)
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')

# The machine's 1-minute load average every 5 s while the benchmarks run.
(while :; do cut -d' ' -f1 /proc/loadavg; sleep 5; done) >"$LOG/load.txt" &
SAMPLER=$!
trap 'kill "$SAMPLER" 2>/dev/null || true' EXIT

C1="SKIP_BUILD=1 TESTS=set,get PIPELINES='1 16' SERVER_BOUND= N=$N P_SCALE=10 ROUNDS=$ROUNDS MEM_KEYS=1000000 COLL_MEMBERS=0 TX_N=0 PUBSUB_SUBS= PUBSUB_SLOW_MB=0 benches/compare.sh"
C2="SKIP_BUILD=1 SCENARIOS=p16,growth10m REPEAT=$REPEAT benches/tail_latency.sh"
C3="SKIP_BUILD=1 SECTIONS=fork FORK_KEYS=$FORK_KEYS ROUNDS=$ROUNDS benches/persist.sh"
echo "$(date +%T) $C1" >&2
eval "$C1" >"$LOG/compare.txt"
echo "$(date +%T) $C2" >&2
eval "$C2" >"$LOG/tail.txt" 2>"$LOG/tail.err" || { tail -5 "$LOG/tail.err" >&2; exit 1; }
echo "$(date +%T) $C3" >&2
eval "$C3" >"$LOG/persist.txt"
kill "$SAMPLER" 2>/dev/null || true

COMPARE_RAW=$(sed -n 's/^results in \(.*\)\/$/\1/p' "$LOG/compare.txt")/raw.csv
TAIL_RAW=$(sed -n 's/^results in //p' "$LOG/tail.err")/raw.csv
[ -s "$COMPARE_RAW" ] && [ -s "$TAIL_RAW" ] || { echo "headline: the scripts' results were not found (see $LOG)"; exit 1; }
cp "$COMPARE_RAW" "$LOG/compare.csv"
cp "$TAIL_RAW" "$LOG/tail.csv"

med() { sort -g | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]; else print 0}'; }
# cmp_col <server> <test> <pipeline> <field#>: the median over the rounds of a compare.sh raw.csv field.
cmp_col() {
    awk -F, -v s="$1" -v t="$2" -v p="$3" -v f="$4" '$1 == s && $2 == t && $3 == p {print $f}' "$LOG/compare.csv" | med
}
# mem <server> <ttl>: bytes/key from compare.sh's memory table.
mem() { awk -v s="$1" -v t="$2" '$1 == s && $2 == t && NF >= 6 && $3 ~ /^[0-9]+$/ {print $6}' "$LOG/compare.txt"; }
# lat <scenario> <server> <field#>: from tail_latency.sh's raw.csv (the median row when REPEAT > 1), in ms.
lat() {
    local id=$1
    [ "$REPEAT" -gt 1 ] && id="$1 median"
    awk -F, -v id="$id" -v s="$2" -v f="$3" '$1 == id && $2 == s {printf "%.2f", $f / 1000}' "$LOG/tail.csv"
}
# fork_row <name>: "<ferredis> <redis>" from persist.sh's output.
fork_row() { awk -v r="$1" '$1 == r {print $2, $3}' "$LOG/persist.txt"; }

# line <row> <unit> <ferredis> <redis> <better: lower|higher> [note]
line() {
    awk -v row="$1" -v unit="$2" -v f="$3" -v r="$4" -v b="$5" -v note="${6:-}" 'BEGIN {
        ratio = (r > 0) ? f / r : 0
        adv = (b == "higher") ? ratio : ((f > 0) ? r / f : 0)
        printf "%s\t%s\t%s\t%s\t%.2f\t%s\t%.2f\t%s\n", row, unit, f, r, ratio, b, adv, note
    }'
}

rows() {
    local t p fr rr fc rc n cbf cbr sbf sbr note
    for p in 1 16; do
        for t in set get; do
            n=$N
            [ "$p" = 1 ] || n=$((N * 10))
            fr=$(cmp_col ferredis "$t" "$p" 6)
            rr=$(cmp_col redis "$t" "$p" 6)
            fc=$(cmp_col ferredis "$t" "$p" 7)
            rc=$(cmp_col redis "$t" "$p" 7)
            ccf=$(cmp_col ferredis "$t" "$p" 8)
            ccr=$(cmp_col redis "$t" "$p" 8)
            note=$(awk -v cf="$ccf" -v cr="$ccr" -v sf="$fc" -v sr="$rc" -v n="$n" 'BEGIN {
                kind = (cf > sf) ? ((cr > sr) ? "client-bound" : "client-bound against ferredis only") \
                    : ((cr > sr) ? "client-bound against redis only" : "server-bound")
                printf "%s: redis-benchmark %.2f/%.2f us/request against ferredis/redis", kind, cf * 1e6 / n, cr * 1e6 / n
            }')
            T=$(echo "$t" | tr a-z A-Z)
            line "$T -P $p throughput" "requests/s" "${fr%.*}" "${rr%.*}" higher "$note"
            line "$T -P $p server CPU" "us/request" \
                "$(awk -v c="$fc" -v n="$n" 'BEGIN {printf "%.3f", c * 1e6 / n}')" \
                "$(awk -v c="$rc" -v n="$n" 'BEGIN {printf "%.3f", c * 1e6 / n}')" lower
        done
    done
    line "memory per key, no TTL" "bytes" "$(mem ferredis none)" "$(mem redis none)" lower "1M SET key:%012d val%d, RSS growth"
    line "memory per key, with TTL" "bytes" "$(mem ferredis ex)" "$(mem redis ex)" lower "the same with EX 100000"
    line "p99.9 under load" "ms" "$(lat p16 ferredis 7)" "$(lat p16 redis 7)" lower "PING prober; SET+GET -P 16 -c 50"
    line "max under load" "ms" "$(lat p16 ferredis 8)" "$(lat p16 redis 8)" lower "PING prober; SET+GET -P 16 -c 50"
    line "p99.9 during growth" "ms" "$(lat growth10m ferredis 7)" "$(lat growth10m redis 7)" lower "PING prober; 15M SETs, 0 to 7.8M keys"
    line "max during growth" "ms" "$(lat growth10m ferredis 8)" "$(lat growth10m redis 8)" lower "PING prober; 15M SETs, 0 to 7.8M keys"
    read -r ff fr < <(fork_row fork_usec)
    line "BGSAVE fork" "us" "$ff" "$fr" lower "latest_fork_usec, $FORK_KEYS keys"
    read -r cf cr < <(fork_row bgsave_cow_b)
    line "BGSAVE copy-on-write" "MB" "$(awk -v b="$cf" 'BEGIN {printf "%.1f", b / 1048576}')" \
        "$(awk -v b="$cr" 'BEGIN {printf "%.1f", b / 1048576}')" lower "rdb_last_cow_size, under a SET overwrite load"
}

ELAPSED=$(($(date +%s) - START))
LOAD=$(med <"$LOG/load.txt")
LOADMAX=$(sort -g "$LOG/load.txt" | tail -1)
LOADMIN=$(sort -g "$LOG/load.txt" | head -1)
{
    echo "# ferredis against redis-server, same machine, same run (benches/headline.sh)"
    echo "# redis: $("$REDIS" --version | awk '{print $3}' | sed 's/^v=//')"
    echo "# date: $STARTED; runtime $((ELAPSED / 60)) min $((ELAPSED % 60)) s"
    echo "# cpu: $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(nproc) CPUs; servers on CPU 1, clients on CPU 0"
    echo "# kernel: $(uname -sr)"
    COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
    git diff --quiet HEAD -- src Cargo.toml 2>/dev/null || COMMIT="$COMMIT (modified)"
    echo "# ferredis: $COMMIT, $("$FERREDIS" --version | awk '{print $2, $3}')"
    echo "# load average (1 min) during the run: median $LOAD, min $LOADMIN, max $LOADMAX"
    echo "# commands: $C1"
    echo "#           $C2"
    echo "#           $C3"
    echo "# ratio = ferredis/redis; advantage = ferredis's (redis/ferredis where lower is better), above 1 = ferredis better"
    printf 'row\tunit\tferredis\tredis\tratio\tbetter\tadvantage\tnote\n'
    rows
} >"$RESULTS"
cp "$RESULTS" "$LOG/"
python3 benches/headline_chart.py "$RESULTS" "$CHART"
column -t -s $'\t' "$RESULTS"
echo "results: $RESULTS, $CHART; the scripts' outputs in $LOG" >&2
