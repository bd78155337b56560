#!/usr/bin/env bash
# Runs redis-py's own test suite against redis-server 7.0 and ferredis side by side, as a differential oracle (not
# part of `make test`: the suite is redis-py's code, fetched, not committed).
#
#   tests/redis-py-suite.sh REDIS_PY [standalone|cluster|all]
#
# REDIS_PY is a redis-py checkout whose tests fit Redis 7.0 (5.0.x: `git archive v5.0.9` of redis/redis-py); the
# suite runs from it with its own `redis` package. pytest and what the conftest needs come from PyPI into a venv
# (VENV, default target/redis-py-venv). Each mode runs the sync and the asyncio tests under RESP2 and RESP3
# (KINDS="sync async", PROTOCOLS="2 3") on both servers at once: standalone on one server each, cluster on three
# masters each (`redis-cli --cluster create`). Module tests (JSON, search, graph, bloom, timeseries) and SSL are
# left out. For every run it prints the pytest counts of both servers, the tests whose outcome differs, and the
# commands whose replies differ within the same test (tests/redis-py/pyctrace.py records every command and reply;
# tests/redis-py/compare.py masks ids, addresses, times and random picks). Exit status 1 when a test passes on
# redis-server and not on ferredis, or a reply differs. Knobs: FERREDIS (target/release/ferredis-server),
# REDIS_SERVER (/usr/bin/redis-server), OUT (where the junit XML, traces and logs go; default a scratch dir).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
REDIS_PY=${1:-}
MODE=${2:-standalone}
if [ -z "$REDIS_PY" ] || [ ! -f "$REDIS_PY/tests/conftest.py" ] || [ ! -d "$REDIS_PY/redis" ]; then
    echo "skipped: no redis-py checkout at '${REDIS_PY}' (usage: tests/redis-py-suite.sh REDIS_PY [standalone|cluster|all])"
    exit 0
fi
REDIS_PY=$(readlink -f "$REDIS_PY")
FERREDIS=$(readlink -f "${FERREDIS:-target/release/ferredis-server}")
REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
[ -x "$FERREDIS" ] || { echo "missing $FERREDIS (cargo build --release)"; exit 1; }
for t in "$REDIS_SERVER" redis-cli python3; do
    command -v "$t" >/dev/null 2>&1 || { echo "skipped: $t is missing"; exit 0; }
done
KINDS=${KINDS:-sync async}
PROTOCOLS=${PROTOCOLS:-2 3}
VENV=${VENV:-$ROOT/target/redis-py-venv}
if ! "$VENV/bin/python" -c 'import pytest, pytest_asyncio, pytest_timeout, packaging, mock' 2>/dev/null; then
    python3 -m venv "$VENV" && "$VENV/bin/pip" install -q "pytest<8" "pytest-asyncio==0.21.1" pytest-timeout \
        packaging mock ujson async-timeout ||
        { echo "skipped: could not install pytest into $VENV"; exit 0; }
fi
source "$ROOT/tests/rltest/lib.sh"
scratch

# N consecutive free ports whose cluster-bus ports (+10000) are free too, below the ephemeral range.
free_ports() {
    python3 - "$1" <<'EOF'
import random, socket, sys
n = int(sys.argv[1])
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        return True
    except OSError:
        return False
    finally:
        s.close()
while True:
    b = random.randrange(12000, 22000)
    if all(free(p) and free(p + 10000) for p in range(b, b + n)) and not 6379 in range(b, b + n):
        print(b)
        break
EOF
}

# run LABEL REDIS_PORT FERREDIS_PORT MARKS EXTRA_ARGS: one pytest run per server (at once), then the comparison.
status=0
run() {
    local label=$1 rport=$2 fport=$3 marks=$4 extra=$5 kind proto
    for kind in $KINDS; do
        local dir=tests skip
        [ "$kind" = async ] && dir=tests/test_asyncio
        skip=()
        for m in search graph json bloom timeseries; do skip+=(--ignore="$dir/test_$m.py"); done
        # Its proxies bind fixed ports (5380...), which the two runs going at once would share.
        [ "$kind" = async ] && skip+=(--ignore=tests/test_asyncio/test_cwe_404.py)
        [ "$kind" = sync ] && skip+=(--ignore=tests/test_asyncio)
        for proto in $PROTOCOLS; do
            local tag="$label-$kind-resp$proto" side port runs=()
            for side in redis ferredis; do
                port=$rport
                [ $side = ferredis ] && port=$fport
                (cd "$REDIS_PY" && PYTHONPATH="$REDIS_PY:$ROOT/tests/redis-py" PYCTRACE_OUT="$OUT/$tag-$side.json" \
                    timeout 3000 "$VENV/bin/python" -m pytest -p pyctrace -p no:cacheprovider -q "$dir" "${skip[@]}" \
                    -m "$marks" --redis-url="redis://127.0.0.1:$port/0" --protocol="$proto" $extra \
                    --junitxml="$OUT/$tag-$side.xml" >"$OUT/$tag-$side.log" 2>&1) &
                runs+=($!)
            done
            wait "${runs[@]}"
            echo "== $tag"
            echo "redis-server: $(tail -1 "$OUT/$tag-redis.log")"
            echo "ferredis:     $(tail -1 "$OUT/$tag-ferredis.log")"
            "$VENV/bin/python" "$ROOT/tests/redis-py/compare.py" outcomes "$OUT/$tag-redis.xml" "$OUT/$tag-ferredis.xml" ||
                status=1
            "$VENV/bin/python" "$ROOT/tests/redis-py/compare.py" replies "$OUT/$tag-redis.json" "$OUT/$tag-ferredis.json" ||
                status=1
        done
    done
}

if [ "$MODE" = standalone ] || [ "$MODE" = all ]; then
    rp=$(free_ports 1)
    start redis "$REDIS_SERVER" "$rp"
    fp=$(free_ports 1)
    start ferredis "$FERREDIS" "$fp"
    run standalone "$rp" "$fp" "not redismod and not onlycluster and not ssl" ""
fi

if [ "$MODE" = cluster ] || [ "$MODE" = all ]; then
    bases=()
    for side in redis ferredis; do
        bin=$REDIS_SERVER
        [ $side = ferredis ] && bin=$FERREDIS
        b=$(free_ports 3)
        for p in $b $((b + 1)) $((b + 2)); do
            start "cl-$side" "$bin" "$p" --cluster-enabled yes --cluster-config-file nodes.conf
        done
        redis-cli --cluster create 127.0.0.1:$b 127.0.0.1:$((b + 1)) 127.0.0.1:$((b + 2)) --cluster-yes \
            >"$OUT/cluster-create-$side.log" 2>&1 || { echo "cluster create failed ($side)"; exit 1; }
        for _ in $(seq 1 100); do
            redis-cli -p "$b" cluster info 2>/dev/null | grep -q cluster_state:ok && break
            sleep 0.1
        done
        bases+=("$b")
    done
    run cluster "${bases[0]}" "${bases[1]}" "not redismod and not onlynoncluster and not ssl" "--redis-cluster-nodes=3"
fi
echo "outputs in $OUT"
exit $status
