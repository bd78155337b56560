#!/usr/bin/env bash
# JSON, large objects: ferredis against Debian's redis-server 7.0 with RedisJSON 2.8 loaded (as benches/json.sh),
# in the same run. ferredis indexes the keys of an object past 32 members; RedisJSON's objects are hashed.
#
# Rows:
# 1. server CPU of one JSON.MERGE of an object of MEMBERS members into another of MEMBERS (half the patch's keys
#    new, a tenth of the target's deleted with null, the rest replaced), and of one JSON.SET of a BIG-member object
#    (each the median of ROUNDS, the argument parsed in both);
# 2. `JSON.GET big $.k<rand>` and `JSON.SET big $.k<rand> 1` on the BIG-member object, -P 16: server CPU per
#    request (a key lookup in a large object, and the write through it).
#
# Knobs (environment): ROUNDS (5), MEMBERS (20000), BIG (100000), N (200000), CLIENTS (50), SERVER_CPU (1),
# CLIENT_CPU (0), FERREDIS (target/release/ferredis-server, built first unless SKIP_BUILD=1), REDIS
# (/usr/bin/redis-server), REJSON (target/redis-stack/lib/rejson.so). Results in bench-results/<timestamp>-json-large/:
# summary.md and raw.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

ROUNDS=${ROUNDS:-5}
MEMBERS=${MEMBERS:-20000}
BIG=${BIG:-100000}
N=${N:-200000}
CLIENTS=${CLIENTS:-50}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
REJSON=${REJSON:-target/redis-stack/lib/rejson.so}
CLK_TCK=$(getconf CLK_TCK)

bench_prepare_module json-large "$REJSON"

# object <from> <to> <value>: members "k<12 digits>" (redis-benchmark's __rand_int__ form) for from..to-1; value
# "null" deletes in a patch, "i" is the member's number, anything else is written as is.
object() {
    awk -v a="$1" -v b="$2" -v v="$3" 'BEGIN {
        printf "{"
        for (i = a; i < b; i++) printf "%s\"k%012d\":%s", (i > a ? "," : ""), i, (v == "i" ? i : v)
        printf "}"
    }'
}
object 0 "$MEMBERS" i >"$WORK/target.json"
{ object "$((MEMBERS / 2))" "$((MEMBERS + MEMBERS / 2))" '[1]' | sed 's/}$//'; printf ','
  object 0 "$((MEMBERS / 10))" null | sed 's/^{//'; } >"$WORK/patch.json"
object 0 "$BIG" i >"$WORK/big.json"

# timed <server> <pid> <port> <test> <round> <command...>: server CPU of one command whose last argument is read
# from the file named by $ARGFILE.
timed() {
    local s=$1 pid=$2 port=$3 test=$4 r=$5 before after
    shift 5
    before=$(cpu_ns "$pid")
    cli "$port" -x "$@" <"$ARGFILE" >/dev/null
    after=$(cpu_ns "$pid")
    raw "$s" "$test" "$r" 1 0 0 "$(awk -v c=$((after - before)) 'BEGIN {printf "%.3f", c / 1e6}')" \
        "$(awk -v c=$((after - before)) 'BEGIN {printf "%.1f", c / 1e3}')" 0
}

one_round() { # <server> <pid> <port> <round>
    local s=$1 p=$2 port=$3 r=$4
    cli "$port" flushall >/dev/null
    ARGFILE=$WORK/target.json timed "$s" "$p" "$port" set_members "$r" JSON.SET a '$'
    ARGFILE=$WORK/patch.json timed "$s" "$p" "$port" merge "$r" JSON.MERGE a '$'
    ARGFILE=$WORK/big.json timed "$s" "$p" "$port" set_big "$r" JSON.SET big '$'
    bench_rb "$s" "$p" "$port" get_key "$r" "$N" -P 16 -r "$BIG" JSON.GET big '$.k__rand_int__'
    bench_rb "$s" "$p" "$port" set_key "$r" "$N" -P 16 -r "$BIG" JSON.SET big '$.k__rand_int__' 1
}

for r in $(seq 1 "$ROUNDS"); do
    one_round_both "$r"
    printf '.' >&2
done
echo >&2
for port in "$FPORT" "$RPORT"; do
    cli "$port" -x JSON.SET a '$' <"$WORK/target.json" >/dev/null
    cli "$port" -x JSON.MERGE a '$' <"$WORK/patch.json" >/dev/null
done
[ "$(cli "$FPORT" json.get a | md5sum)" = "$(cli "$RPORT" json.get a | md5sum)" ] || { echo "merged objects differ"; exit 1; }

# line <test> <raw.csv column: 7 server CPU ms, 8 us/request> <label>: one row, the medians and their ratio.
line() {
    awk -v l="$3" -v f="$(col ferredis "$1" "$2")" -v r="$(col redis "$1" "$2")" \
        'BEGIN {printf "| %s | %.2f | %.2f | %.2f |\n", l, f, r, (r > 0) ? f / r : 0}'
}

{
    echo "| benchmark | ferredis | RedisJSON | ratio |"
    echo "|---|---|---|---|"
    line merge 7 "JSON.MERGE of $MEMBERS members into $MEMBERS, server CPU (ms)"
    line set_members 7 "JSON.SET of a $MEMBERS-member object, server CPU (ms)"
    line set_big 7 "JSON.SET of a $BIG-member object, server CPU (ms)"
    line get_key 8 "JSON.GET big \$.k<rand> ($BIG members), -P 16, CPU us/request"
    line set_key 8 "JSON.SET big \$.k<rand> 1 ($BIG members), -P 16, CPU us/request"
} | tee "$OUT/summary.md"
echo "medians of $ROUNDS rounds; raw rows: $OUT/raw.csv"
