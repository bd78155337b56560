#!/usr/bin/env bash
# Runs RedisJSON 2.8.3's own test suite (its tests/pytest, RLTest) against ferredis and against redis-server 7.0
# with RedisJSON's rejson.so loaded, side by side, as a second JSON oracle (not part of `make test`: the suite is
# RedisJSON's code, fetched, not committed).
#
#   tests/redisjson-suite.sh [REDISJSON_TESTS]
#
# REDISJSON_TESTS is a directory holding RedisJSON's `tests` folder at v2.8.3 (`tests/pytest`, `tests/files`), for
# instance `git -C <RedisJSON clone> archive v2.8.3 tests | tar -x -C DIR`. Without it the script takes v2.8.3 from
# REDISJSON_GIT (a clone or bare repository of RedisJSON/RedisJSON, default /work/.mirror/RedisJSON+RedisJSON/repo)
# when there is one. RLTest 0.7 (`RLTest~=0.7.2`, RedisJSON's requirement), redis-py 5.0 (the client the suite was
# written for: redis-py 5.1+ parses JSON.* replies itself) and gevent come from PyPI into a venv (VENV, default
# target/rltest-venv). Each server runs on a free port and the suite runs against it as RLTest's `existing-env`:
# - a shim module (written into the scratch dir) stands in for `paella`, the build helper `includes.py` imports
#   for the OS name, and makes `existing-env` honour `Env(protocol=3)` (RLTest 0.7 connects with RESP2 there, so
#   test_resp3.py would otherwise test RESP2 on every server);
# - tests that restart the server, read its files or need a build-only setting fail on both servers the same way
#   (see tests/README.md); the table lists them and their reason.
# Prints, per test, the outcome on each server, the tests whose outcome differs, and the totals. Exit status 1 when
# a test passes on redis-server with RedisJSON and not on ferredis. Knobs: FERREDIS (target/release/ferredis-server),
# REDIS_SERVER (/usr/bin/redis-server), REJSON (target/redis-stack/lib/rejson.so, from tests/deps.sh), TEST (one
# test, `file:name`), OUT (where the logs go; default a scratch dir).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
FERREDIS=$(readlink -f "${FERREDIS:-target/release/ferredis-server}")
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REJSON=$(readlink -f "${REJSON:-target/redis-stack/lib/rejson.so}")
REDISJSON_GIT=${REDISJSON_GIT:-/work/.mirror/RedisJSON+RedisJSON/repo}
VENV=${VENV:-$ROOT/target/rltest-venv}
source "$ROOT/tests/rltest/lib.sh"
scratch

[ -x "$FERREDIS" ] || { echo "missing $FERREDIS (cargo build --release)"; exit 1; }
for t in "$REDIS_SERVER" redis-cli python3; do
    command -v "$t" >/dev/null 2>&1 || { echo "skipped: $t is missing"; exit 0; }
done
[ -f "$REJSON" ] || { echo "skipped: no RedisJSON module at $REJSON (bash tests/deps.sh fetches it)"; exit 0; }

TESTS=${1:-}
if [ -z "$TESTS" ] && git -C "$REDISJSON_GIT" rev-parse -q --verify v2.8.3 >/dev/null 2>&1; then
    TESTS=$WORK/redisjson
    mkdir -p "$TESTS"
    git -C "$REDISJSON_GIT" archive v2.8.3 tests | tar -x -C "$TESTS"
fi
if [ -z "$TESTS" ] || [ ! -f "$TESTS/tests/pytest/test.py" ]; then
    echo "skipped: no RedisJSON tests at '${TESTS}' (usage: tests/redisjson-suite.sh DIR, DIR holding RedisJSON v2.8.3's tests/)"
    exit 0
fi
TESTS=$(readlink -f "$TESTS")

if ! "$VENV/bin/python" -c 'import RLTest, gevent, redis; assert redis.__version__.startswith("5.0")' 2>/dev/null; then
    python3 -m venv "$VENV" && "$VENV/bin/pip" install -q 'RLTest~=0.7.2' 'redis==5.0.8' 'gevent>=23.9.1' \
        'six>=1.10.0' packaging || { echo "skipped: could not install RLTest into $VENV"; exit 0; }
fi

# The servers (free_port, start) and RLTest's shims.

# suite SIDE PORT: one RLTest run; the outcome of every test in $OUT/SIDE.tsv (name, PASS/FAIL/SKIP).
suite() {
    local side=$1 port=$2 args=()
    [ -n "${TEST:-}" ] && args+=(--test "$TEST")
    (cd "$TESTS/tests/pytest" && PYTHONPATH="$ROOT/tests/rltest" timeout 3000 "$VENV/bin/python" -m RLTest --env existing-env \
        --existing-env-addr "127.0.0.1:$port" --no-progress --log-dir "$OUT/$side-logs" "${args[@]}" \
        >"$OUT/$side.log" 2>&1)
    # RLTest prints "<file>:<test>:" then "[PASS]", "[FAIL]", "[ERROR]" or "[SKIP]" on the next line.
    sed -e 's/\x1b\[[0-9;]*m//g' -e 's/\r$//' "$OUT/$side.log" | awk '
        /^\t?[A-Za-z0-9_.]+:[A-Za-z0-9_.]+:$/ { name = substr($1, 1, length($1) - 1); next }
        name != "" && /\[(PASS|FAIL|ERROR|SKIP)\]/ {
            s = $0; sub(/.*\[/, "", s); sub(/\].*/, "", s); if (s == "ERROR") s = "FAIL"
            print name "\t" s; name = ""
        }' | sort -u -k1,1 >"$OUT/$side.tsv"
}

rport=$(free_port)
start redis "$REDIS_SERVER" "$rport" --enable-protected-configs yes --loadmodule "$REJSON"
fport=$(free_port)
start ferredis "$FERREDIS" "$fport" --enable-protected-configs yes
suite redis "$rport" &
r1=$!
suite ferredis "$fport" &
r2=$!
wait $r1 $r2

join -t $'\t' -a1 -a2 -e MISSING -o 0,1.2,2.2 "$OUT/redis.tsv" "$OUT/ferredis.tsv" >"$OUT/both.tsv"
printf '%-62s %-8s %-8s\n' test redis ferredis
awk -F'\t' '{ printf "%-62s %-8s %-8s%s\n", $1, $2, $3, ($2 != $3 ? "  <- differs" : "") }' "$OUT/both.tsv"
count() { awk -F'\t' -v c="$1" -v s="$2" '$c == s' "$OUT/both.tsv" | wc -l; }
echo
printf '%-30s %8s %8s %8s\n' "" passed failed skipped
for side in redis ferredis; do
    c=2
    [ $side = ferredis ] && c=3
    printf '%-30s %8d %8d %8d\n' "$side" "$(count $c PASS)" "$(count $c FAIL)" "$(count $c SKIP)"
done
echo "logs in $OUT"
if awk -F'\t' '$2 == "PASS" && $3 != "PASS"' "$OUT/both.tsv" | grep -q .; then
    echo "tests passing on redis-server with RedisJSON and not on ferredis:"
    awk -F'\t' '$2 == "PASS" && $3 != "PASS" { print "  " $1 }' "$OUT/both.tsv"
    exit 1
fi
exit 0
