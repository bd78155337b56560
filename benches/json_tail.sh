#!/usr/bin/env bash
# JSON.GET of a 1 MB document and the other clients' latency: ferredis against Debian's redis-server 7.0 with
# RedisJSON 2.8 loaded, in the same run (issue 65: "JSON.GET of a 1 MB document does not stall other clients
# longer than Redis does").
#
# For each server (ferredis first, then redis) a fresh server is started (pinned to SERVER_CPU), `big` is set to a
# ~1 MB document (DOC_KB; nested objects and arrays of numbers and strings, as `JSON.SET big $ <text>`, its JSON.GET
# length checked), then benches/latency_probe.rs (pinned to CLIENT_CPU, its own connection) sends PING every
# INTERVAL_MS ms while redis-benchmark runs `JSON.GET big $` GETS times from CLIENTS clients (-P 1). The row holds
# the prober's p50/p99/p99.9/max round trip in ms, the JSON.GETs per second and the server's CPU per JSON.GET; the
# ferredis row carries the ferredis/redis ratios of the prober's p99.9 and max. One run's maximum on a shared
# 2-core machine is one sample: ROUNDS (3) repeats the pair and the summary takes each figure's median.
#
# Knobs (environment): DOC_KB (1024), GETS (2000), CLIENTS (4), ROUNDS (3), INTERVAL_MS (2), SERVER_CPU (1),
# CLIENT_CPU (0), FERREDIS (target/release/ferredis-server, built first unless SKIP_BUILD=1), REDIS
# (/usr/bin/redis-server), REJSON (target/redis-stack/lib/rejson.so), PROBE (a built latency_probe; compiled with
# rustc otherwise). Results in bench-results/<timestamp>-json-tail/: summary.md and raw.csv.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

DOC_KB=${DOC_KB:-1024}
GETS=${GETS:-2000}
CLIENTS=${CLIENTS:-4}
ROUNDS=${ROUNDS:-3}
INTERVAL_MS=${INTERVAL_MS:-2}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
REJSON=${REJSON:-target/redis-stack/lib/rejson.so}
PROBE=${PROBE:-}
CLK_TCK=$(getconf CLK_TCK)

[ -e "$REJSON" ] || { echo "missing $REJSON (tests/deps.sh fetches it)"; exit 1; }
case $REJSON in /*) ;; *) REJSON=$PWD/$REJSON ;; esac
bench_prepare json-tail
if [ -z "$PROBE" ]; then
    command -v rustc >/dev/null 2>&1 || { echo "missing rustc (or set PROBE to a built latency_probe)"; exit 1; }
    PROBE=$WORK/latency_probe
    rustc --edition 2021 -C opt-level=3 -o "$PROBE" benches/latency_probe.rs
fi
echo "server,round,gets,time_ms,gets_per_s,server_cpu_us_per_get,p50_ms,p99_ms,p999_ms,max_ms" >"$OUT/raw.csv"

# The document: about DOC_KB KB of records, each a small object with numbers, strings and an array.
python3 - "$DOC_KB" >"$WORK/doc.json" <<'PY'
import json, sys
target = int(sys.argv[1]) * 1024
recs, size, i = [], 2, 0
while size < target:
    r = {"id": i, "name": "user-%d" % i, "score": i * 0.25, "active": i % 2 == 0,
         "tags": ["t%d" % (i % 7), "u%d" % (i % 11)], "addr": {"city": "c%d" % (i % 97), "zip": 10000 + i}}
    size += len(json.dumps(r, separators=(",", ":"))) + 1
    recs.append(r)
    i += 1
print(json.dumps({"records": recs, "count": i}, separators=(",", ":")), end="")
PY
DOC_BYTES=$(wc -c <"$WORK/doc.json")
echo "document: $DOC_BYTES bytes"

run_one() { # <label> <round> <server args...>
    local label=$1 round=$2 pid port before after t0 t1 probe_out got
    shift 2
    read -r pid port < <(start_server "$label" "$@")
    PIDS+=("$pid")
    cli "$port" -x JSON.SET big '$' <"$WORK/doc.json" >/dev/null
    got=$(cli "$port" JSON.GET big '$' | wc -c)
    [ "$got" -gt "$DOC_BYTES" ] || { echo "$label: JSON.GET gave $got bytes"; exit 1; }
    mkfifo "$WORK/probe-in"
    taskset -c "$CLIENT_CPU" "$PROBE" "$port" "$INTERVAL_MS" <"$WORK/probe-in" >"$WORK/probe-out" &
    local ppid=$!
    exec 7>"$WORK/probe-in"
    sleep 1
    before=$(cpu_ticks "$pid")
    t0=$(now_ns)
    taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c "$CLIENTS" -n "$GETS" JSON.GET big '$' >/dev/null 2>&1
    t1=$(now_ns)
    after=$(cpu_ticks "$pid")
    sleep 1
    echo stop >&7
    exec 7>&-
    wait "$ppid"
    rm -f "$WORK/probe-in"
    probe_out=$(cat "$WORK/probe-out")
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    raw "$label" "$round" "$GETS" $(awk -v a="$t0" -v b="$t1" -v c=$((after - before)) -v n="$GETS" -v hz="$CLK_TCK" \
        -v p="$probe_out" 'BEGIN {
        wall = (b - a) / 1e9
        split(p, f, " "); for (i in f) { split(f[i], kv, "="); v[kv[1]] = kv[2] }
        printf "%.0f %.0f %.1f %.3f %.3f %.3f %.3f", wall * 1000, n / wall, c / hz * 1e6 / n,
            v["p50_us"] / 1000, v["p99_us"] / 1000, v["p99.9_us"] / 1000, v["max_us"] / 1000
    }')
    echo "$label round $round: $(tail -1 "$OUT/raw.csv")"
}

for round in $(seq 1 "$ROUNDS"); do
    run_one ferredis "$round" "$FERREDIS"
    run_one redis "$round" "$REDIS" --loadmodule "$REJSON"
done

# summary: medians per server, then the ratios.
{
    echo "# JSON.GET of a $DOC_BYTES-byte document: other clients' latency ($ROUNDS rounds, medians)"
    echo
    echo "| server | JSON.GET/s | server CPU us/GET | probe p50 ms | p99 ms | p99.9 ms | max ms | p99.9 ratio | max ratio |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for s in ferredis redis; do
        row=""
        for col in 5 6 7 8 9 10; do
            m=$(awk -F, -v s="$s" -v c="$col" '$1 == s {print $c}' "$OUT/raw.csv" | median)
            row="$row | $m"
            eval "M_${s}_$col=$m"
        done
        ratios=" | | "
        if [ "$s" = ferredis ]; then
            ratios=$(awk -v a="$M_ferredis_9" -v b="$(awk -F, '$1 == "redis" {print $9}' "$OUT/raw.csv" | median)" \
                -v c="$M_ferredis_10" -v d="$(awk -F, '$1 == "redis" {print $10}' "$OUT/raw.csv" | median)" \
                'BEGIN {printf " | %.2fx | %.2fx", (b > 0 ? a / b : 0), (d > 0 ? c / d : 0)}')
        fi
        echo "| $s$row$ratios |"
    done
} >"$OUT/summary.md"
cat "$OUT/summary.md"
