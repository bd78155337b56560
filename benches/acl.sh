#!/usr/bin/env bash
# Cost of ACL permission checks: GET and SET at -P 16 as a restricted ACL user against both servers.
#
# One ferredis-server and one Debian redis-server, both pinned to SERVER_CPU with taskset, redis-benchmark pinned to
# CLIENT_CPU. Both get the same user, `ACL SETUSER app on >pw ~app:* +@read +@write`, and redis-benchmark logs in
# with `--user app -a pw` and runs `SET app:__rand_int__ xxx` / `GET app:__rand_int__` (-r 100000), so every request
# pays the command-bitmap test and one key-pattern match. The same commands also run as the unrestricted default user
# (rows `default`) to show what the check costs each server. Rounds alternate which server goes first. Reported per
# server, test and user, median over ROUNDS: requests/s and server CPU microseconds per request (utime+stime from
# /proc/<pid>/stat over the run; at -P 16 the single-threaded client saturates its core, so CPU per request is the
# real cost figure), and the ferredis/redis ratios. Target: throughput ratio >= 1.10 or CPU ratio <= 0.80 on the
# `app` rows.
#
# INSTR=1 adds a deterministic row, usable on a loaded machine: user-space instructions per request under valgrind
# callgrind (INSTR_N requests per run, default 100000, after a warm-up), as `app` and as `default` on the same
# ferredis and redis-server processes, the counters zeroed between runs.
#
# Knobs (environment): N (requests per run, default 1000000), ROUNDS (5), CLIENTS (50), PIPELINE (16),
# SERVER_CPU (1), CLIENT_CPU (0), FERREDIS (target/release/ferredis-server, built first unless SKIP_BUILD=1),
# REDIS (/usr/bin/redis-server). Results: stdout and bench-results/<timestamp>-acl/.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

N=${N:-1000000}
ROUNDS=${ROUNDS:-5}
CLIENTS=${CLIENTS:-50}
PIPELINE=${PIPELINE:-16}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
CLK_TCK=$(getconf CLK_TCK)

bench_prepare acl
start_pair
for port in "$FPORT" "$RPORT"; do
    [ "$(redis-cli -p "$port" acl setuser app on '>pw' '~app:*' +@read +@write)" = OK ] \
        || { echo "ACL SETUSER failed on port $port"; exit 1; }
    # The user really is restricted: another key and an admin command are refused.
    redis-cli -p "$port" --user app --pass pw --no-auth-warning get other | grep -q NOPERM
    redis-cli -p "$port" --user app --pass pw --no-auth-warning config get port | grep -q NOPERM
    redis-cli -p "$port" acl log reset >/dev/null
done

echo "ferredis: $FERREDIS pid $FPID | redis $("$REDIS" --version | awk '{print $3}') pid $RPID"
echo "servers on CPU $SERVER_CPU, redis-benchmark on CPU $CLIENT_CPU; -c $CLIENTS -P $PIPELINE -n $N; $ROUNDS rounds"
echo "server,test,user,round,rps,cpu_us_per_req" >"$OUT/raw.csv"

# bench_one <server> <pid> <port> <test> <user> <round>: appends a raw row.
bench_one() {
    local server=$1 pid=$2 port=$3 t=$4 user=$5 round=$6 before after out rps cpu auth=()
    [ "$user" = app ] && auth=(--user app -a pw)
    before=$(cpu_ticks "$pid")
    if [ "$t" = set ]; then
        out=$(taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" "${auth[@]}" -c "$CLIENTS" -n "$N" -r 100000 \
            -P "$PIPELINE" --csv SET 'app:__rand_int__' xxx 2>/dev/null)
    else
        out=$(taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" "${auth[@]}" -c "$CLIENTS" -n "$N" -r 100000 \
            -P "$PIPELINE" --csv GET 'app:__rand_int__' 2>/dev/null)
    fi
    after=$(cpu_ticks "$pid")
    rps=$(printf '%s\n' "$out" | awk -F'"' 'NR > 1 && $2 != "" {r = $4} END {print r}')
    cpu=$(awk -v a="$after" -v b="$before" -v hz="$CLK_TCK" -v n="$N" 'BEGIN {printf "%.4f", (a - b) / hz * 1e6 / n}')
    echo "$server,$t,$user,$round,${rps:-0},$cpu" >>"$OUT/raw.csv"
}

for round in $(seq 1 "$ROUNDS"); do
    if [ $((round % 2)) = 1 ]; then order="ferredis redis"; else order="redis ferredis"; fi
    for t in set get; do
        for user in app default; do
            for s in $order; do
                if [ "$s" = ferredis ]; then pid=$FPID port=$FPORT; else pid=$RPID port=$RPORT; fi
                bench_one "$s" "$pid" "$port" "$t" "$user" "$round"
            done
        done
        printf '.' >&2
    done
done
echo >&2
# No request was refused: no key denial in either ACL LOG (redis-benchmark's own CONFIG GET at connect is refused
# and logged by both servers, as `app` has no @admin).
for port in "$FPORT" "$RPORT"; do
    if redis-cli -p "$port" acl log 100 | grep -qx key; then echo "unexpected key denials on port $port"; exit 1; fi
done

col() { # col <server> <test> <user> <field#>
    awk -F, -v s="$1" -v t="$2" -v u="$3" -v f="$4" '$1 == s && $2 == t && $3 == u {print $f}' "$OUT/raw.csv" | median
}

{
    printf '%-4s %-8s %12s %12s %8s %11s %11s %8s %s\n' test user fer_rps red_rps rps_rat fer_cpu_us red_cpu_us \
        cpu_rat verdict
    for t in set get; do
        for user in app default; do
            awk -v t="$t" -v u="$user" -v fr="$(col ferredis "$t" "$user" 5)" -v rr="$(col redis "$t" "$user" 5)" \
                -v fc="$(col ferredis "$t" "$user" 6)" -v rc="$(col redis "$t" "$user" 6)" 'BEGIN {
                r = (rr > 0) ? fr / rr : 0; c = (rc > 0) ? fc / rc : 0
                v = (u == "app") ? ((r >= 1.10 || c <= 0.80) ? "ok (rps >= 1.10 or cpu <= 0.80)" : "MISS") : "reference"
                printf "%-4s %-8s %12.0f %12.0f %8.3f %11.4f %11.4f %8.3f %s\n", t, u, fr, rr, r, fc, rc, c, v
            }'
        done
    done
} | tee "$OUT/summary.txt"
echo "raw rows: $OUT/raw.csv"

[ "${INSTR:-0}" = 1 ] || exit 0
for tool in valgrind callgrind_control; do
    command -v "$tool" >/dev/null 2>&1 || { echo "INSTR=1 needs $tool (apt-get install valgrind)"; exit 1; }
done
INSTR_N=${INSTR_N:-100000}
# instr_server <label> <binary>: instructions per request for each test and user, as rows.
instr_server() {
    local label=$1 bin=$2 port pid dir t user out i auth cmd
    port=$(free_port)
    dir=$WORK/cg-$label
    mkdir -p "$dir"
    # No process title: callgrind_control finds the server by its command line.
    (cd "$dir" && exec valgrind --tool=callgrind --callgrind-out-file="$dir/cg.out" "$bin" --port "$port" \
        --save '' --appendonly no --daemonize no --bind 127.0.0.1 --set-proc-title no >"$dir/log" 2>&1) &
    pid=$!
    PIDS+=("$pid")
    for i in $(seq 1 600); do
        [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break
        sleep 0.1
    done
    redis-cli -p "$port" acl setuser app on '>pw' '~app:*' +@read +@write >/dev/null
    for t in set get; do
        if [ "$t" = set ]; then cmd=(SET 'app:__rand_int__' xxx); else cmd=(GET 'app:__rand_int__'); fi
        for user in default app; do
            auth=()
            [ "$user" = app ] && auth=(--user app -a pw)
            redis-benchmark -p "$port" "${auth[@]}" -c "$CLIENTS" -n 2000 -r 100000 -P "$PIPELINE" "${cmd[@]}" \
                >/dev/null 2>&1
            callgrind_control -z "$pid" >/dev/null 2>&1
            redis-benchmark -p "$port" "${auth[@]}" -c "$CLIENTS" -n "$INSTR_N" -r 100000 -P "$PIPELINE" "${cmd[@]}" \
                >/dev/null 2>&1
            callgrind_control -d "$pid" >/dev/null 2>&1
            out=$(ls -t "$dir"/cg.out* | head -1)
            awk -v n="$INSTR_N" -v s="$label" -v t="$t" -v u="$user" \
                '/^(summary|totals):/ {x = $2} END {printf "%s,%s,%s,%.1f\n", s, t, u, x / n}' "$out"
        done
    done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
{
    instr_server ferredis "$FERREDIS"
    instr_server redis "$REDIS"
} >"$OUT/instr.csv"
printf '%-9s %-4s %12s %12s %8s\n' server test instr_app instr_default ratio | tee -a "$OUT/summary.txt"
awk -F, '{v[$1 "," $2 "," $3] = $4; k[$1 "," $2] = 1}
    END {for (x in k) {split(x, a, ","); ap = v[x ",app"]; d = v[x ",default"]
        printf "%-9s %-4s %12.1f %12.1f %8.3f\n", a[1], a[2], ap, d, (d > 0) ? ap / d : 0}}' "$OUT/instr.csv" \
    | sort | tee -a "$OUT/summary.txt"
