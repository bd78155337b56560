#!/usr/bin/env bash
# Runs RedisBloom's own flow tests (`tests/flow`, RLTest) against ferredis and against redis-server with
# RedisBloom loaded, side by side, as a second oracle of the probabilistic types (not part of `make test`: the
# suite is RedisBloom's code, fetched, not committed).
#
#   tests/redisbloom-suite.sh REDISBLOOM [REF] [test_file.py ...]
#
# REDISBLOOM is a RedisBloom git repository (bare or not: `git archive REF tests` takes its tests at REF, default
# v2.8.2, the release the oracle's redisbloom.so was built from) or a tree that holds tests/flow (REF is then
# ignored). Without test files every tests/flow/test_*.py runs. RLTest, at the version tests/flow/requirements.txt
# asks for, and numpy < 2 (the tests use numpy.NaN, gone in numpy 2) come from PyPI into a venv
# (target/rltest-<version>). The tests import `paella` from RedisBloom's readies submodule only for platform names;
# a stand-in module of three names takes its place, and a `sitecustomize` (both in tests/rltest/) makes RLTest's
# existing env connect with the RESP version the test asks for (test_resp3).
#
# Each server is started once (`--enable-debug-command yes`; no save, no AOF) and the suite runs on it as RLTest's
# existing env (`--env existing-env --existing-env-addr`, as tests.sh's EXT=1). Each test class (or top-level test
# function) runs in an RLTest process of its own: RLTest keeps one connection per env and does not compare the
# classes' decodeResponses, so a class that wants raw bytes (the *NoCodec ones, the corrupt-RDB ones) would
# otherwise get the previous class's decoding connection and fail on both servers alike. The two servers run at
# once; a server that went down during a run is listed and started again for the next. A test counts as failed
# when RLTest says FAIL or ERROR, or when it printed a failed assertion (RLTest marks some of those PASS).
# tests/redisbloom-suite/out-of-scope lists the tests that need what only a module server has (MODULE LOAD with
# arguments, a module's defrag callbacks, a replica started by RLTest), each with its reason: they still run and
# are reported apart, not counted. The table (tests/redisbloom-suite/report.py) prints passed / failed / skipped
# / out of scope per file for both servers, then every test whose outcome differs and every test both fail. Exit
# status 1 when a test passes on redis-server and not on ferredis.
#
# Knobs: FERREDIS (target/release/ferredis-server), REDIS_SERVER (/usr/bin/redis-server), REDISBLOOM_MODULE
# (target/redis-stack/lib/redisbloom.so, fetched by tests/deps.sh; missing, ferredis runs alone), OUT (where the
# RLTest logs go; default a scratch dir), TEST_TIMEOUT (seconds per class and server, default 1200).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SRC=${1:-}
REF=${2:-v2.8.2}
shift $(($# > 2 ? 2 : $#))
if [ -z "$SRC" ] || { [ ! -d "$SRC/tests/flow" ] && ! git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; }; then
    echo "skipped: no RedisBloom repository or tree at '${SRC}' (usage: tests/redisbloom-suite.sh REDISBLOOM [REF] [test_file.py ...])"
    exit 0
fi
FERREDIS=$(readlink -f "${FERREDIS:-target/release/ferredis-server}")
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
MODULE=$(readlink -f "${REDISBLOOM_MODULE:-target/redis-stack/lib/redisbloom.so}")
TEST_TIMEOUT=${TEST_TIMEOUT:-1200}
[ -x "$FERREDIS" ] || { echo "missing $FERREDIS (cargo build --release)"; exit 1; }
for t in redis-cli python3; do
    command -v "$t" >/dev/null 2>&1 || { echo "skipped: $t is missing"; exit 0; }
done
SIDES="ferredis"
if command -v "$REDIS_SERVER" >/dev/null 2>&1 && [ -f "$MODULE" ]; then
    SIDES="redis ferredis"
else
    echo "no oracle: $REDIS_SERVER or $MODULE is missing (bash tests/deps.sh); ferredis runs alone"
fi

source "$ROOT/tests/rltest/lib.sh"
scratch src

# The flow tests, from the tree or from the repository at REF.
if [ -d "$SRC/tests/flow" ]; then
    FLOW=$(readlink -f "$SRC/tests/flow")
    REF="(tree)"
else
    mkdir -p "$WORK/src"
    git -C "$SRC" archive "$REF" tests/flow | tar -x -C "$WORK/src" || { echo "no tests/flow at $REF in $SRC"; exit 1; }
    FLOW=$WORK/src/tests/flow
fi

# RLTest at the version the tests ask for.
RLTEST_VERSION=$(sed -n 's/^ *RLTest *== *\([0-9.]*\).*/\1/Ip' "$FLOW/requirements.txt" 2>/dev/null | head -1)
RLTEST_VERSION=${RLTEST_VERSION:-0.7.5}
VENV=${VENV:-$ROOT/target/rltest-$RLTEST_VERSION}
if ! "$VENV/bin/python" -c 'import RLTest, numpy, packaging' 2>/dev/null; then
    python3 -m venv "$VENV" && "$VENV/bin/pip" install -q "RLTest==$RLTEST_VERSION" "numpy<2" packaging "setuptools<81" ||
        { echo "skipped: could not install RLTest $RLTEST_VERSION into $VENV"; exit 0; }
fi
# The servers (free_port, start) and RLTest's shims.

declare -A PORT
# launch SIDE: starts that side's server on a new free port.
launch() {
    PORT[$1]=$(free_port)
    if [ "$1" = redis ]; then
        start redis "$REDIS_SERVER" "${PORT[$1]}" --loadmodule "$MODULE"
    else
        start ferredis "$FERREDIS" "${PORT[$1]}"
    fi
}
for side in $SIDES; do launch "$side"; done

# The runs: one per test class or top-level test function.
FILES=("$@")
[ ${#FILES[@]} = 0 ] && FILES=($(cd "$FLOW" && ls test_*.py))
for file in "${FILES[@]}"; do
    file=$(basename "$file")
    [ -f "$FLOW/$file" ] || { echo "no $file in $FLOW"; exit 1; }
    for unit in $(sed -n 's/^class \([A-Za-z0-9_]*\).*/\1/p; s/^def \(test[A-Za-z0-9_]*\).*/\1/p' "$FLOW/$file"); do
        runs=()
        for side in $SIDES; do
            (cd "$FLOW" && PYTHONPATH="$ROOT/tests/rltest" PYTHONUNBUFFERED=1 timeout "$TEST_TIMEOUT" "$VENV/bin/python" -m RLTest \
                --env existing-env --existing-env-addr "127.0.0.1:${PORT[$side]}" --enable-debug-command \
                --log-dir "$OUT/logs-$side" -t "$file:$unit" >"$OUT/$side-$file-$unit.log" 2>&1) &
            runs+=($!)
        done
        wait "${runs[@]}"
        # A server a test brought down (RedisBloom 2.8.2 aborts on some damaged payloads newer tests send) is
        # reported and started again, so that it does not fail every later test.
        for side in $SIDES; do
            if ! redis-cli -p "${PORT[$side]}" ping >/dev/null 2>&1; then
                echo "$side went down during $file:$unit; started again" | tee -a "$OUT/crashes"
                launch "$side"
            fi
        done
    done
done

echo "RedisBloom flow tests at $REF (RLTest $RLTEST_VERSION): $FLOW"
"$VENV/bin/python" "$ROOT/tests/redisbloom-suite/report.py" "$OUT" "$ROOT/tests/redisbloom-suite/out-of-scope" $SIDES
status=$?
echo "outputs in $OUT"
exit $status
