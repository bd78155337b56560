#!/usr/bin/env bash
# Instructions (valgrind callgrind, user space) per EVAL of CPU-bound scripts, for one or more ferredis binaries
# and Debian's redis-server in the same run. Deterministic, so it can compare two builds of the Lua VM (e.g. the
# release and the static profile) on a loaded machine where wall-clock timings are noisy.
#
# The scripts: benches/lua_vm.sh's six (scaled down ten times: callgrind runs ~50x slower) and the CPU-bound
# EVAL of benches/scripting.sh. Per script and server: start the server under callgrind, run the script once to
# warm up, reset the counters, run it again, read the counters. Every server must return the same reply.
# Knobs: FERREDIS ("target/release/ferredis-server"; several paths separated by spaces give one column each),
# REDIS (/usr/bin/redis-server; empty to skip it).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS-/usr/bin/redis-server}
for tool in redis-cli valgrind callgrind_control awk; do
    command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool (apt-get install redis-tools valgrind gawk)"; exit 1; }
done
BINS=()
for b in $FERREDIS; do
    case $b in /*) ;; *) b=$PWD/$b ;; esac
    [ -x "$b" ] || { echo "missing $b"; exit 1; }
    BINS+=("$b")
done
[ -z "$REDIS" ] || [ -x "$REDIS" ] || { echo "missing $REDIS (apt-get install redis-server)"; exit 1; }
[ -n "$REDIS" ] && BINS+=("$REDIS")
WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

NAMES=(add_1M fib_22 string_build table_insert method_calls closures cpu_eval)
SCRIPTS=(
    "local s = 0 for i = 1, 1000000 do s = s + i end return s"
    "local function fib(n) if n < 2 then return n end return fib(n-1) + fib(n-2) end return fib(22)"
    "local n = 0 for i = 1, 30000 do local s = 'key:' .. i .. ':' .. (i * 2) n = n + #s end
     local acc = '' for i = 1, 2000 do acc = acc .. 'ab' end return n + #acc"
    "local t = {} for i = 1, 100000 do t[i] = i end local h = {} for i = 1, 20000 do h['k' .. i] = i end
     local s = 0 for i = 1, #t do s = s + t[i] end return s + h.k777"
    "local P = {} P.__index = P function P.new(x) return setmetatable({x = x}, P) end
     function P:get() return self.x end local s = 0 local o = P.new(3)
     for i = 1, 300000 do s = s + o:get() end return s"
    "local s = 0 for i = 1, 30000 do local f = function() return i end s = s + f() end return s"
    "local s = 0
     for i = 1, 100000 do s = s + (i % 7) * 3 - i / 5 end
     local parts = {}
     for i = 1, 10000 do parts[#parts + 1] = tostring(i) end
     local joined = table.concat(parts, ',')
     local t = {}
     for i = 1, 20000 do table.insert(t, i * 2) end
     local acc = ''
     for i = 1, 2000 do acc = acc .. 'x' end
     return {math.floor(s), #joined, #t, #acc, t[20000]}"
)

# instr <bin> <script>: prints "<instructions> <reply digest>".
instr() {
    local bin=$1 script=$2 port pid dir out i reply
    port=$(free_port)
    dir=$WORK/cg-$port
    mkdir -p "$dir"
    (cd "$dir" && exec valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$bin" --port "$port" \
        --save '' --appendonly no --daemonize no --bind 127.0.0.1 --set-proc-title no >"$dir/log" 2>&1) &
    pid=$!
    PIDS+=("$pid")
    for i in $(seq 1 600); do
        [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break
        sleep 0.1
    done
    redis-cli -p "$port" eval "$script" 0 >/dev/null
    callgrind_control -z "$pid" >/dev/null 2>&1
    reply=$(redis-cli -p "$port" eval "$script" 0 | md5sum | cut -c1-8)
    callgrind_control -d "$pid" >/dev/null 2>&1
    out=$(ls -t "$dir"/cg.out* | head -1)
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    echo "$(awk '/^(summary|totals):/ {s = $2} END {printf "%.0f", s}' "$out") $reply"
}

printf '%-13s' script
for b in "${BINS[@]}"; do printf ' %16s' "$(basename "$(dirname "$b")")/$(basename "$b" | cut -c1-8)"; done
echo
status=0
for k in "${!NAMES[@]}"; do
    printf '%-13s' "${NAMES[$k]}"
    first=
    for b in "${BINS[@]}"; do
        read -r n digest < <(instr "$b" "${SCRIPTS[$k]}")
        printf ' %16s' "$n"
        if [ -z "$first" ]; then first=$digest; elif [ "$digest" != "$first" ]; then printf '(reply differs)'; status=1; fi
    done
    echo
done
exit $status
