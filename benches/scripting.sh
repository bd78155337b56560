#!/usr/bin/env bash
# Scripting: ferredis against Debian's redis-server in the same run, three measurements.
#
# 1. EVALSHA of a small script doing GET + INCR + EXPIRE on one key (`EVALSHA <sha> 1 sc:__rand_int__`, -r 100000),
#    through redis-benchmark at -P 1 and at -P 16. Per server: requests/s and server CPU microseconds per request
#    (utime+stime from /proc/<pid>/stat over the run; at -P 16 the client saturates its core, so CPU per request is
#    the cost figure). Target: rps ratio >= 1.10, or CPU ratio <= 1/1.10 (0.909).
# 2. A CPU-bound script through EVAL: a million arithmetic operations in a loop, 100000 numbers turned into strings
#    and joined, 200000 table.insert calls, 2000 string concatenations. Per server: wall time of the EVAL (minus a
#    PING round trip measured the same way) and server CPU time. Both servers must return the same reply. Target:
#    ferredis time <= 1.5x Redis's.
# 3. SCRIPT LOAD of a 10 KB script: redis-benchmark -c 1 -P 1 sends SCRIPT LOAD with a body that ends in a
#    `__rand_int__` comment (-r 1e9), so nearly every load is a new script that must be compiled (both servers
#    return the cached SHA without compiling when the body is known). SCRIPT FLUSH before each run. Per server:
#    microseconds per load (1e6 / rps) and server CPU microseconds per load. Target: ferredis <= Redis.
#
# Servers pinned to SERVER_CPU, clients to CLIENT_CPU; rounds alternate which server goes first; medians over
# ROUNDS. Knobs (environment): N (EVALSHA requests per run, default 200000), ROUNDS (5), CLIENTS (50),
# LOADS (SCRIPT LOADs per run, 2000), SERVER_CPU (1), CLIENT_CPU (0), FERREDIS (target/release/ferredis-server,
# built first unless SKIP_BUILD=1), REDIS (/usr/bin/redis-server). Prints a markdown table for the README; results
# in bench-results/<timestamp>-scripting/.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

N=${N:-200000}
ROUNDS=${ROUNDS:-5}
CLIENTS=${CLIENTS:-50}
LOADS=${LOADS:-2000}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
CLK_TCK=$(getconf CLK_TCK)

bench_prepare scripting
start_pair

if [ "$(redis-cli -p "$FPORT" eval 'return 1' 0 2>&1)" != 1 ]; then
    echo "ferredis does not run EVAL yet: $(redis-cli -p "$FPORT" eval 'return 1' 0 2>&1)"
    exit 1
fi

# ---- the scripts ----
SMALL="local v = redis.call('GET', KEYS[1]) local n = redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], 300) return n"
CPU_SCRIPT='
local s = 0
for i = 1, 1000000 do s = s + (i % 7) * 3 - i / 5 end
local parts = {}
for i = 1, 100000 do parts[#parts + 1] = tostring(i) end
local joined = table.concat(parts, ",")
local t = {}
for i = 1, 200000 do table.insert(t, i * 2) end
local acc = ""
for i = 1, 2000 do acc = acc .. "x" end
return {math.floor(s), #joined, #t, #acc, t[200000]}'
# A 10 KB script of ordinary Lua: functions, tables, string operations, loops, redis.call sites.
big_script() {
    local i
    for i in $(seq 1 34); do
        printf 'local function helper_%d(key, n)\n' "$i"
        printf '  local t = {name = "h%d", count = n, items = {1, 2, 3, n * %d}}\n' "$i" "$i"
        printf '  for j = 1, #t.items do t.count = t.count + t.items[j] %% 7 end\n'
        printf '  if t.count > %d then return string.format("%%s:%%d", key, t.count) end\n' "$((i * 10))"
        printf '  return redis.call("GET", key) or t.name .. tostring(t.count)\n'
        printf 'end\n'
    done
    printf 'return helper_1(KEYS[1], 5)\n'
}
BIG=$(big_script)
echo "SCRIPT LOAD body: ${#BIG} bytes"

SHA_F=$(redis-cli -p "$FPORT" script load "$SMALL")
SHA_R=$(redis-cli -p "$RPORT" script load "$SMALL")
[ "$SHA_F" = "$SHA_R" ] || { echo "SCRIPT LOAD SHAs differ: $SHA_F vs $SHA_R"; exit 1; }
# The replies agree before anything is timed.
for s in "$SMALL" "$CPU_SCRIPT"; do
    a=$(redis-cli -p "$FPORT" eval "$s" 1 sc:check 2>&1)
    b=$(redis-cli -p "$RPORT" eval "$s" 1 sc:check 2>&1)
    [ "$a" = "$b" ] || { printf 'replies differ:\nferredis: %s\nredis:    %s\n' "$a" "$b"; exit 1; }
done

echo "ferredis: $FERREDIS pid $FPID | redis $("$REDIS" --version | awk '{print $3}') pid $RPID"
echo "servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU; EVALSHA -c $CLIENTS -n $N; $LOADS loads; $ROUNDS rounds"
echo "server,test,round,rps,cpu_us_per_req,wall_ms,cpu_ms" >"$OUT/raw.csv"

now_ns() { date +%s%N; }

# requests/s from redis-benchmark --csv output: the first of the seven numbers ending the last row (a test name
# holding newlines, like the SCRIPT LOAD body, spans several lines).
rps_of() { printf '%s\n' "$1" | grep -oE '"[0-9.]+"(,"[0-9.]+"){6}$' | tail -1 | cut -d'"' -f2; }

# evalsha_one <server> <pid> <port> <pipeline> <round>
evalsha_one() {
    local server=$1 pid=$2 port=$3 p=$4 round=$5 before after out rps cpu
    # The SCRIPT LOAD runs flush the cache: load the script again (redis-benchmark stops at a NOSCRIPT).
    redis-cli -p "$port" script load "$SMALL" >/dev/null
    before=$(cpu_ticks "$pid")
    out=$(taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c "$CLIENTS" -n "$N" -r 100000 -P "$p" --csv \
        EVALSHA "$SHA_F" 1 'sc:__rand_int__' 2>/dev/null)
    after=$(cpu_ticks "$pid")
    rps=$(rps_of "$out")
    cpu=$(awk -v a="$after" -v b="$before" -v hz="$CLK_TCK" -v n="$N" 'BEGIN {printf "%.4f", (a - b) / hz * 1e6 / n}')
    echo "$server,evalsha_p$p,$round,${rps:-0},$cpu,," >>"$OUT/raw.csv"
}

# cpu_one <server> <pid> <port> <round>: one EVAL of the CPU-bound script.
cpu_one() {
    local server=$1 pid=$2 port=$3 round=$4 t0 t1 t2 before after wall cpu
    t0=$(now_ns)
    taskset -c "$CLIENT_CPU" redis-cli -p "$port" ping >/dev/null
    t1=$(now_ns)
    before=$(cpu_ticks "$pid")
    taskset -c "$CLIENT_CPU" redis-cli -p "$port" eval "$CPU_SCRIPT" 0 >/dev/null
    t2=$(now_ns)
    after=$(cpu_ticks "$pid")
    wall=$(awk -v a="$t0" -v b="$t1" -v c="$t2" 'BEGIN {printf "%.2f", ((c - b) - (b - a)) / 1e6}')
    cpu=$(awk -v a="$after" -v b="$before" -v hz="$CLK_TCK" 'BEGIN {printf "%.1f", (a - b) / hz * 1e3}')
    echo "$server,cpu_script,$round,,,$wall,$cpu" >>"$OUT/raw.csv"
}

# load_one <server> <pid> <port> <round>: LOADS SCRIPT LOADs of distinct 10 KB bodies.
load_one() {
    local server=$1 pid=$2 port=$3 round=$4 before after out rps cpu
    redis-cli -p "$port" script flush >/dev/null
    before=$(cpu_ticks "$pid")
    out=$(taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c 1 -n "$LOADS" -r 1000000000 -P 1 --csv \
        SCRIPT LOAD "$BIG
-- __rand_int__" 2>/dev/null)
    after=$(cpu_ticks "$pid")
    rps=$(rps_of "$out")
    cpu=$(awk -v a="$after" -v b="$before" -v hz="$CLK_TCK" -v n="$LOADS" 'BEGIN {printf "%.4f", (a - b) / hz * 1e6 / n}')
    echo "$server,script_load,$round,${rps:-0},$cpu,," >>"$OUT/raw.csv"
    redis-cli -p "$port" script flush >/dev/null
}

for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="ferredis redis"; else order="redis ferredis"; fi
    for s in $order; do
        if [ "$s" = ferredis ]; then pid=$FPID port=$FPORT; else pid=$RPID port=$RPORT; fi
        evalsha_one "$s" "$pid" "$port" 1 "$round"
        evalsha_one "$s" "$pid" "$port" 16 "$round"
        cpu_one "$s" "$pid" "$port" "$round"
        load_one "$s" "$pid" "$port" "$round"
    done
    printf '.' >&2
done
echo >&2

col() { # col <server> <test> <field#>
    awk -F, -v s="$1" -v t="$2" -v f="$3" '$1 == s && $2 == t {print $f}' "$OUT/raw.csv" | median
}

{
    echo "| benchmark | ferredis | redis 7.0 | ratio (ferredis/redis) | target | verdict |"
    echo "|---|---|---|---|---|---|"
    for p in 1 16; do
        awk -v p="$p" -v fr="$(col ferredis "evalsha_p$p" 4)" -v rr="$(col redis "evalsha_p$p" 4)" \
            -v fc="$(col ferredis "evalsha_p$p" 5)" -v rc="$(col redis "evalsha_p$p" 5)" 'BEGIN {
            r = (rr > 0) ? fr / rr : 0; c = (rc > 0) ? fc / rc : 0
            v = (r >= 1.10 || c <= 1 / 1.10) ? "ok" : "MISS"
            printf "| EVALSHA GET+INCR+EXPIRE -P %d, requests/s | %.0f | %.0f | %.3f | >= 1.10 (or CPU <= 0.909) | %s |\n", p, fr, rr, r, v
            printf "| EVALSHA GET+INCR+EXPIRE -P %d, server CPU us/request | %.3f | %.3f | %.3f | <= 0.909 (or rps >= 1.10) | %s |\n", p, fc, rc, c, v
        }'
    done
    awk -v fw="$(col ferredis cpu_script 6)" -v rw="$(col redis cpu_script 6)" \
        -v fc="$(col ferredis cpu_script 7)" -v rc="$(col redis cpu_script 7)" 'BEGIN {
        r = (rw > 0) ? fw / rw : 0; c = (rc > 0) ? fc / rc : 0
        printf "| CPU-bound EVAL (1M arithmetic ops, 100k tostring+concat, 200k inserts), wall ms | %.1f | %.1f | %.3f | <= 1.5 | %s |\n", fw, rw, r, (r <= 1.5) ? "ok" : "MISS"
        printf "| CPU-bound EVAL, server CPU ms | %.1f | %.1f | %.3f | <= 1.5 | %s |\n", fc, rc, c, (c <= 1.5) ? "ok" : "MISS"
    }'
    awk -v fr="$(col ferredis script_load 4)" -v rr="$(col redis script_load 4)" \
        -v fc="$(col ferredis script_load 5)" -v rc="$(col redis script_load 5)" -v bytes="${#BIG}" 'BEGIN {
        fu = (fr > 0) ? 1e6 / fr : 0; ru = (rr > 0) ? 1e6 / rr : 0
        r = (ru > 0) ? fu / ru : 0; c = (rc > 0) ? fc / rc : 0
        printf "| SCRIPT LOAD of a %d-byte script, us/load (round trip) | %.1f | %.1f | %.3f | <= 1.0 | %s |\n", bytes, fu, ru, r, (r <= 1.0) ? "ok" : "MISS"
        printf "| SCRIPT LOAD, server CPU us/load | %.1f | %.1f | %.3f | <= 1.0 | %s |\n", fc, rc, c, (c <= 1.0) ? "ok" : "MISS"
    }'
} | tee "$OUT/summary.md"
echo "raw rows: $OUT/raw.csv"
