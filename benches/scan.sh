#!/usr/bin/env bash
# SCAN-family cost per returned element: instructions (valgrind callgrind, user space) the server spends
# per element a full SCAN / SSCAN / HSCAN / ZSCAN iteration returns, ferredis against Debian's redis-server 7.0 in
# the same run, and against an earlier ferredis build when FERREDIS_BASE names one (the issue's "within 5% of
# today's": build the earlier commit once outside the tree and point FERREDIS_BASE at its ferredis-server).
#
# Each server runs under callgrind and gets KEYS string keys (DEBUG POPULATE) and a set, a hash and a sorted set of
# MEMBERS non-integer members each (hash-table encodings), loaded with redis-cli --pipe. For each scan the driver
# (benches/scan_walk.rs) connects, callgrind's counters are zeroed, the driver walks the whole iteration with
# COUNT c on that one connection, the counters are dumped, and the driver closes: the window holds the scan calls
# only. Cells are instructions per returned element (whole process, the cron included: a full scan takes a few
# seconds under valgrind, so each cell holds a few cron runs) and, in the last columns, how many calls the walk
# took and the largest cursor it saw.
# Knobs: KEYS (100000), MEMBERS (100000), COUNTS ("10 100"), FERREDIS (target/release/ferredis-server, built first
# unless SKIP_BUILD=1), FERREDIS_BASE (unset: no column), REDIS (/usr/bin/redis-server), DRIVER (a prebuilt
# benches/scan_walk.rs; by default compiled with rustc into the scratch directory).
# Results in bench-results/<timestamp>-scan/summary.md.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

KEYS=${KEYS:-100000}
MEMBERS=${MEMBERS:-100000}
COUNTS=${COUNTS:-"10 100"}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
FERREDIS_BASE=${FERREDIS_BASE:-}
REDIS=${REDIS:-/usr/bin/redis-server}
DRIVER=${DRIVER:-}
SERVER_CPU=${SERVER_CPU:-1}

bench_prepare scan
for tool in valgrind callgrind_control; do
    command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool (apt-get install valgrind)"; exit 1; }
done
if [ -n "$FERREDIS_BASE" ]; then
    case $FERREDIS_BASE in /*) ;; *) FERREDIS_BASE=$PWD/$FERREDIS_BASE ;; esac
    [ -x "$FERREDIS_BASE" ] || { echo "missing $FERREDIS_BASE"; exit 1; }
fi
if [ -z "$DRIVER" ]; then
    command -v rustc >/dev/null 2>&1 || { echo "missing rustc (or set DRIVER to a built scan_walk)"; exit 1; }
    DRIVER=$WORK/scan_walk
    rustc --edition 2021 -C opt-level=3 -o "$DRIVER" benches/scan_walk.rs
fi

# The collections' load, as RESP for redis-cli --pipe.
awk -v n="$MEMBERS" 'BEGIN {
    for (i = 0; i < n; i++) {
        m = "member:" i; f = "field:" i; s = i ""
        printf "*3\r\n$4\r\nSADD\r\n$1\r\ns\r\n$%d\r\n%s\r\n", length(m), m
        printf "*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(f), f, length(s), s
        printf "*4\r\n$4\r\nZADD\r\n$1\r\nz\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(s), s, length(m), m
    }
}' >"$WORK/load.resp"

SCANS=("scan" "sscan s" "hscan h" "zscan z")

# measure <bin>: one line per scan and count: "<name> <count> <instr/element> <calls> <elements> <max cursor>".
measure() {
    local bin=$1 port pid dir out line c s calls elems total
    port=$(free_port)
    dir=$WORK/cg-$port
    mkdir -p "$dir"
    (cd "$dir" && exec taskset -c "$SERVER_CPU" valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$bin" \
        --port "$port" --save '' --appendonly no --daemonize no --bind 127.0.0.1 --set-proc-title no \
        --enable-debug-command local >"$dir/log" 2>&1) &
    pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 600); do
        [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break
        sleep 0.1
    done
    redis-cli -p "$port" debug populate "$KEYS" key 8 >/dev/null
    redis-cli -p "$port" --pipe <"$WORK/load.resp" >/dev/null
    for s in "${SCANS[@]}"; do
        for c in $COUNTS; do
            # shellcheck disable=SC2086
            coproc DRV { "$DRIVER" "$port" "$c" $s; }
            read -r line <&"${DRV[0]}"
            [ "$line" = ready ] || { echo "driver: expected ready, got '$line'" >&2; exit 1; }
            callgrind_control -z "$pid" >/dev/null 2>&1
            echo go >&"${DRV[1]}"
            read -r calls elems maxc <&"${DRV[0]}"
            callgrind_control -d "$pid" >/dev/null 2>&1
            echo close >&"${DRV[1]}"
            wait "$DRV_PID"
            out=$(ls -t "$dir"/cg.out* | head -1)
            total=$(awk '/^(summary|totals):/ {s = $2} END {print s}' "$out")
            echo "${s%% *} $c $(awk -v t="$total" -v e="$elems" 'BEGIN {printf "%.1f", t / e}') $calls $elems $maxc"
        done
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

measure "$FERREDIS" >"$WORK/fer.txt"
measure "$REDIS" >"$WORK/red.txt"
if [ -n "$FERREDIS_BASE" ]; then measure "$FERREDIS_BASE" >"$WORK/base.txt"; else : >"$WORK/base.txt"; fi

{
    echo "| scan ($KEYS keys; $MEMBERS members) | COUNT | ferredis instr/element | redis instr/element | ferredis/redis | earlier ferredis instr/element | ferredis/earlier | calls (fer/redis) | largest cursor (fer/redis) |"
    echo "|---|---|---|---|---|---|---|---|---|"
    paste -d' ' "$WORK/fer.txt" "$WORK/red.txt" | while read -r n c fi fc fe fm _ _ ri rc re rm; do
        [ "$fe" = "$re" ] || echo "warning: $n COUNT $c returned $fe elements on ferredis, $re on redis" >&2
        b=$(awk -v n="$n" -v c="$c" '$1 == n && $2 == c {print $3}' "$WORK/base.txt")
        awk -v n="$n" -v c="$c" -v fi="$fi" -v ri="$ri" -v b="${b:-}" -v fc="$fc" -v rc="$rc" -v fm="$fm" -v rm="$rm" 'BEGIN {
            if (b == "") { bs = "-"; rs = "-" } else { bs = b; rs = sprintf("%.3f", fi / b) }
            printf "| %s | %s | %s | %s | %.2f | %s | %s | %s/%s | %s/%s |\n", toupper(n), c, fi, ri, fi / ri, bs, rs, fc, rc, fm, rm
        }'
    done
} >"$OUT/summary.md"
cat "$OUT/summary.md"
