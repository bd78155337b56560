#!/usr/bin/env bash
# DEBUG POPULATE: ferredis-server vs Debian's redis-server (issue target: ferredis's time <= 0.8 of Redis's).
#
# Both servers run at once, pinned to SERVER_CPU, with `--enable-debug-command yes`. For ROUNDS rounds,
# alternating which server goes first: FLUSHALL, then DEBUG POPULATE KEYS, timing the call (wall ms, from
# redis-cli's side) and the server's CPU (utime+stime from /proc/<pid>/stat, in ms). Reported: the median of each
# and the ferredis/redis ratios.
#
# Knobs (environment): KEYS (1000000), ROUNDS (5), SERVER_CPU (1), FERREDIS (binary; default
# target/release/ferredis-server, built first unless SKIP_BUILD=1), REDIS (/usr/bin/redis-server).
set -euo pipefail
cd "$(dirname "$0")/.."

KEYS=${KEYS:-1000000}
ROUNDS=${ROUNDS:-5}
SERVER_CPU=${SERVER_CPU:-1}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
CLK_TCK=$(getconf CLK_TCK)

for tool in redis-cli taskset awk; do
    command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool"; exit 1; }
done
if [ "${SKIP_BUILD:-0}" != 1 ] && [ "$FERREDIS" = target/release/ferredis-server ]; then
    cargo build --release
fi
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start() { # bin port -> pid
    taskset -c "$SERVER_CPU" "$1" --port "$2" --bind 127.0.0.1 --save '' --appendonly no \
        --enable-debug-command yes --dir "$WORK" >"$WORK/$2.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 100); do
        redis-cli -p "$2" ping >/dev/null 2>&1 && break
        sleep 0.05
    done
    echo "$pid"
}

cpu_ms() { awk -v t="$CLK_TCK" '{print int(($14+$15)*1000/t)}' "/proc/$1/stat"; }

FPORT=$(free_port)
RPORT=$(free_port)
FPID=$(start "$FERREDIS" "$FPORT")
RPID=$(start "$REDIS" "$RPORT")

run() { # name port pid
    redis-cli -p "$2" flushall >/dev/null
    local c0 t0 t1 c1
    c0=$(cpu_ms "$3")
    t0=$(date +%s%N)
    redis-cli -p "$2" debug populate "$KEYS" >/dev/null
    t1=$(date +%s%N)
    c1=$(cpu_ms "$3")
    echo "$1 $(((t1 - t0) / 1000000)) $((c1 - c0))"
}

for r in $(seq "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then
        run ferredis "$FPORT" "$FPID"
        run redis "$RPORT" "$RPID"
    else
        run redis "$RPORT" "$RPID"
        run ferredis "$FPORT" "$FPID"
    fi
done >"$WORK/raw.txt"

median() { sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
fw=$(awk '$1=="ferredis"{print $2}' "$WORK/raw.txt" | median)
rw=$(awk '$1=="redis"{print $2}' "$WORK/raw.txt" | median)
fc=$(awk '$1=="ferredis"{print $3}' "$WORK/raw.txt" | median)
rc=$(awk '$1=="redis"{print $3}' "$WORK/raw.txt" | median)
echo "DEBUG POPULATE $KEYS, median of $ROUNDS rounds"
printf '%-10s %10s %10s\n' server wall_ms cpu_ms ferredis "$fw" "$fc" redis "$rw" "$rc"
awk -v a="$fw" -v b="$rw" -v c="$fc" -v d="$rc" \
    'BEGIN {printf "ratio      %10.2f %10.2f   (target <= 0.80)\n", a/b, c/d}'
