#!/usr/bin/env bash
# Deterministic per-request cost: instructions (valgrind callgrind, user space only) and syscalls (strace -c) per
# request, ferredis-server vs Debian's C redis-server, for the same redis-benchmark workload. Useful on a loaded
# machine where the throughput figures of benches/compare.sh are noisy.
#
# For each server, test and pipeline depth: start the server under the tool, warm up with a short benchmark run,
# reset the counters, run `redis-benchmark -c CLIENTS -n N -P p -t test`, read the counters.
# Callgrind counts user-space instructions only; the kernel's share shows up as the syscall counts (at -P 1 both
# servers need one read and one write per request, plus a share of epoll_wait). Connection setup of the CLIENTS
# connections is included in both (accept4, setsockopt, close).
# Knobs: N (requests, default 20000), CLIENTS (50), TESTS (ping_mbulk,set,get,incr,mset), PIPELINES ("1 16"),
# MODE (both | instr | syscalls), FERREDIS (target/release/ferredis-server), REDIS (/usr/bin/redis-server),
# SETUP (a command sent to each server once it is up, before the warm-up: e.g. SETUP="info keysizes" measures
# with the key-size histograms kept; a server that does not know it answers an error, which is ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh
N=${N:-20000}
CLIENTS=${CLIENTS:-50}
TESTS=${TESTS:-ping_mbulk,set,get,incr,mset}
PIPELINES=${PIPELINES:-"1 16"}
MODE=${MODE:-both}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
case $FERREDIS in /*) ;; *) FERREDIS=$PWD/$FERREDIS ;; esac
for tool in redis-benchmark redis-cli valgrind callgrind_control strace awk; do
    command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool (apt-get install redis-tools valgrind strace gawk)"; exit 1; }
done
[ -x "$FERREDIS" ] || { echo "missing $FERREDIS (cargo build --release)"; exit 1; }
[ -x "$REDIS" ] || { echo "missing $REDIS (apt-get install redis-server)"; exit 1; }
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT


wait_ping() {
    local port=$1 i
    for i in $(seq 1 600); do
        [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && return 0
        sleep 0.1
    done
    return 1
}

# setup <port>: the SETUP command, if any (its reply is not looked at).
setup() { if [ -n "${SETUP:-}" ]; then read -r -a words <<<"$SETUP" && redis-cli -p "$1" "${words[@]}" >/dev/null 2>&1 || true; fi; }

bench() { redis-benchmark -p "$1" -c "$CLIENTS" -n "$2" -t "$3" -P "$4" -q >/dev/null 2>&1; }

# instr <bin> <test> <p>: callgrind instructions per request.
instr() {
    local bin=$1 t=$2 p=$3 port pid dir out
    port=$(free_port)
    dir=$WORK/cg-$port
    mkdir -p "$dir"
    # --set-proc-title no: callgrind_control finds the process by its command line, which a process title
    # replaces (the counters would then never be reset and startup would be counted).
    (cd "$dir" && exec valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$bin" --port "$port" \
        --save '' --appendonly no --daemonize no --bind 127.0.0.1 --set-proc-title no >"$dir/log" 2>&1) &
    pid=$!
    PIDS+=("$pid")
    wait_ping "$port" || { echo "server did not start" >&2; tail "$dir/log" >&2; return 1; }
    setup "$port"
    bench "$port" 2000 "$t" "$p"
    callgrind_control -z "$pid" >/dev/null 2>&1
    bench "$port" "$N" "$t" "$p"
    callgrind_control -d "$pid" >/dev/null 2>&1
    out=$(ls -t "$dir"/cg.out* | head -1)
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    awk -v n="$N" '/^(summary|totals):/ {s = $2} END {printf "%.0f", s / n}' "$out"
}

# syscalls <bin> <test> <p>: syscalls per request, and the top three calls.
syscalls() {
    local bin=$1 t=$2 p=$3 port pid dir spid
    port=$(free_port)
    dir=$WORK/st-$port
    mkdir -p "$dir"
    (cd "$dir" && exec "$bin" --port "$port" --save '' --appendonly no --daemonize no --bind 127.0.0.1 \
        >"$dir/log" 2>&1) &
    pid=$!
    PIDS+=("$pid")
    wait_ping "$port" || { echo "server did not start" >&2; return 1; }
    setup "$port"
    bench "$port" 2000 "$t" "$p"
    strace -c -f -p "$pid" -o "$dir/strace" 2>/dev/null &
    spid=$!
    sleep 0.5
    bench "$port" "$N" "$t" "$p"
    kill -INT "$spid"
    wait "$spid" 2>/dev/null || true
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    awk -v n="$N" 'NF >= 5 && $1 ~ /^[0-9.]+$/ && $4 ~ /^[0-9]+$/ {
            if ($NF == "total") tot = $4; else c[$NF] = $4
        }
        END {
            s = ""; for (k in c) if (c[k] / n >= 0.001) s = s sprintf(" %s=%.3f", k, c[k] / n)
            printf "%.3f%s", tot / n, s
        }' "$dir/strace"
}

IFS=',' read -r -a TEST_LIST <<<"$TESTS"
printf '%-11s %3s %12s %12s %7s\n' test P fer_instr/req red_instr/req ratio
for p in $PIPELINES; do
    for t in "${TEST_LIST[@]}"; do
        if [ "$MODE" != syscalls ]; then
            fi=$(instr "$FERREDIS" "$t" "$p")
            ri=$(instr "$REDIS" "$t" "$p")
            awk -v t="$t" -v p="$p" -v f="$fi" -v r="$ri" \
                'BEGIN {printf "%-11s %3s %12d %12d %7.2f\n", t, p, f, r, (r > 0) ? f / r : 0}'
        fi
        if [ "$MODE" != instr ]; then
            echo "  syscalls/req ferredis: $(syscalls "$FERREDIS" "$t" "$p")"
            echo "  syscalls/req redis:    $(syscalls "$REDIS" "$t" "$p")"
        fi
    done
done
