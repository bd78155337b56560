#!/usr/bin/env bash
# Threaded I/O: what `io-threads 4` takes off the main thread, ferredis against Debian's redis-server 7.0
# in the same run. The machine this was written on has 2 cores, so the figure is the main thread's CPU per request
# (the work that cannot be spread over threads), not the total throughput.
#
# Four servers, each in its own scratch directory, all pinned to SERVER_CPU (redis-benchmark to CLIENT_CPU):
#   fer-1  ferredis --io-threads 1                            (the baseline: the whole server's CPU per request)
#   fer-4  ferredis --io-threads 4 --io-threads-do-reads yes  (main thread and whole process)
#   red-1  redis-server --io-threads 1
#   red-4  redis-server --io-threads 4 --io-threads-do-reads yes
# (PREV=<binary> adds `prev`, an older ferredis at io-threads 1, e.g. the commit before io-threads: the io-threads 1
# path against it, target within 2%; without it `make bench`'s compare table is the check for fer-1.)
# For each of SET and GET at each depth in PIPELINES, ROUNDS rounds of `redis-benchmark -c CLIENTS -P p -n n`
# (n = N1 at -P 1, N16 otherwise: several seconds a run), the server order rotating round by round. Per run:
# requests/s, whole-process CPU (utime+stime of /proc/<pid>/stat) and main-thread CPU (/proc/<pid>/task/<pid>/stat:
# the main thread's tid is the pid) per request, in microseconds, and for fer-4 the share of its socket reads done
# on the I/O threads (INFO io_threaded_reads_processed / total_reads_processed over the run; 0 while the threads
# stay inactive). Medians over the rounds. Target: fer-4 main / fer-1 whole <= 0.35 at every depth.
# On 2 cores Redis's I/O threads busy-wait for work and its main thread busy-waits for them at each fan-in, and
# that busy-wait counts as its CPU: the red-4 columns show what that model costs here, not its ceiling elsewhere.
# With all its threads on one core that makes it 10-40x slower, so red-4 runs 1/RED4_DIV of the requests.
# Idle: fer-4 (and red-4 for reference) with CLIENTS idle connections (`redis-benchmark -I`), whole-process CPU over
# IDLE_SECS as % of one core. Target: fer-4 < 2%.
#
# Knobs (environment): ROUNDS (3), CLIENTS (50), PIPELINES ("1 16"), TESTS (set,get), N1 (400000), N16 (6000000),
# THREADS (4), RED4_DIV (40), IDLE_SECS (5), SECTIONS (rps,idle), SERVER_CPU (1), CLIENT_CPU (0), FERREDIS
# (target/release/ferredis-server, built first unless SKIP_BUILD=1), FERREDIS_ARGS (extra directives for fer-1 and
# fer-4, e.g. "--busy-poll-us 0": the main thread's adaptive busy poll counts as its CPU), REDIS
# (/usr/bin/redis-server), PREV (unset).
# Results: stdout and bench-results/<timestamp>-io-threads/ (summary.md, raw.csv).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-"1 16"}
TESTS=${TESTS:-set,get}
N1=${N1:-400000}
N16=${N16:-6000000}
THREADS=${THREADS:-4}
RED4_DIV=${RED4_DIV:-40}
IDLE_SECS=${IDLE_SECS:-5}
SECTIONS=${SECTIONS:-rps,idle}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
PREV=${PREV:-}
FERREDIS_ARGS=${FERREDIS_ARGS:-}
CLK_TCK=$(getconf CLK_TCK)
want() { case ",$SECTIONS," in *",$1,"*) return 0 ;; esac; return 1; }

bench_prepare io-threads
if [ -n "$PREV" ]; then
    [ -x "$PREV" ] || { echo "missing $PREV"; exit 1; }
    case $PREV in /*) ;; *) PREV=$PWD/$PREV ;; esac
fi

# utime + stime (clock ticks) of one thread of a pid; the comm field may hold spaces, so fields are counted after
# its closing parenthesis.
task_ticks() { sed 's/.*) //' "/proc/$1/task/$2/stat" | awk '{print $12 + $13}'; }
# reads <port>: "<threaded reads> <all reads>" so far (INFO io_threaded_reads_processed, total_reads_processed).
reads() {
    redis-cli -p "$1" info stats | tr -d '\r' | awk -F: '$1 == "io_threaded_reads_processed" {a = $2}
        $1 == "total_reads_processed" {b = $2} END {print a + 0, b + 0}'
}

declare -A PID PORT
# up <label> <binary> [args...]
up() {
    local label=$1 bin=$2 p q
    shift 2
    p= q=
    read -r p q < <(start_server "$label" "$bin" "$@") || true
    [ -n "$q" ] || { echo "$label did not start"; exit 1; }
    PIDS+=("$p")
    PID[$label]=$p PORT[$label]=$q
}

SERVERS=(fer-1 fer-4 red-1 red-4)
read -r -a FARGS <<<"$FERREDIS_ARGS"
up fer-1 "$FERREDIS" --io-threads 1 "${FARGS[@]}"
up fer-4 "$FERREDIS" --io-threads "$THREADS" --io-threads-do-reads yes "${FARGS[@]}"
up red-1 "$REDIS" --io-threads 1
up red-4 "$REDIS" --io-threads "$THREADS" --io-threads-do-reads yes
if [ -n "$PREV" ]; then
    up prev "$PREV"
    SERVERS+=(prev)
fi
# The threads exist: fer-4 and red-4 have THREADS tasks.
for s in fer-4 red-4; do
    n=$(ls "/proc/${PID[$s]}/task" | wc -l)
    [ "$n" -ge "$THREADS" ] || { echo "$s has $n threads, expected $THREADS"; exit 1; }
done

echo "ferredis $FERREDIS | redis $("$REDIS" --version | awk '{print $3}') | servers on CPU $SERVER_CPU," \
    "redis-benchmark on CPU $CLIENT_CPU | -c $CLIENTS, $ROUNDS rounds, medians | io-threads $THREADS"
echo "server,test,pipeline,round,requests,rps,whole_us_per_req,main_us_per_req,threaded_read_share" >"$OUT/raw.csv"

# run <server> <test> <pipeline> <round>: one redis-benchmark run; appends a raw row.
run() {
    local s=$1 t=$2 p=$3 round=$4 pid=${PID[$1]} port=${PORT[$1]} n w0 w1 m0 m1 r0 r1 a0 a1 out rps
    n=$N16
    [ "$p" = 1 ] && n=$N1
    [ "$s" = red-4 ] && n=$((n / RED4_DIV))
    read -r r0 a0 < <(reads "$port")
    w0=$(cpu_ticks "$pid")
    m0=$(task_ticks "$pid" "$pid")
    out=$(taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c "$CLIENTS" -n "$n" -P "$p" -t "$t" --csv 2>/dev/null)
    w1=$(cpu_ticks "$pid")
    m1=$(task_ticks "$pid" "$pid")
    read -r r1 a1 < <(reads "$port")
    rps=$(printf '%s\n' "$out" | awk -F'"' 'NR > 1 && $2 != "" {r = $4} END {print r}')
    raw "$s" "$t" "$p" "$round" "$n" "${rps:-0}" "$(awk -v w=$((w1 - w0)) -v m=$((m1 - m0)) -v hz="$CLK_TCK" \
        -v n="$n" -v r=$((r1 - r0)) -v a=$((a1 - a0)) \
        'BEGIN {printf "%.4f,%.4f,%.3f", w / hz * 1e6 / n, m / hz * 1e6 / n, (a > 0) ? r / a : 0}')"
}

col() { # col <server> <test> <pipeline> <field#>
    awk -F, -v s="$1" -v t="$2" -v p="$3" -v f="$4" '$1 == s && $2 == t && $3 == p {print $f}' "$OUT/raw.csv" | median
}

IFS=',' read -r -a TEST_LIST <<<"$TESTS"
if want rps; then
    for round in $(seq 1 "$ROUNDS"); do
        # Rotate the server order round by round.
        k=$(((round - 1) % ${#SERVERS[@]}))
        order=("${SERVERS[@]:k}" "${SERVERS[@]:0:k}")
        for p in $PIPELINES; do
            for t in "${TEST_LIST[@]}"; do
                for s in "${order[@]}"; do run "$s" "$t" "$p" "$round"; done
                printf '.' >&2
            done
        done
    done
    echo >&2
    {
        echo "| server CPU µs/request, -c $CLIENTS | fer-1 whole | fer-4 main | fer-4 whole | fer-4 main / fer-1 whole | red-1 whole | red-4 main | red-4 whole | red-4 main / red-1 whole | target | met |"
        echo "|---|---|---|---|---|---|---|---|---|---|---|"
        for p in $PIPELINES; do
            for t in "${TEST_LIST[@]}"; do
                awk -v t="$t" -v p="$p" -v f1="$(col fer-1 "$t" "$p" 7)" -v f4m="$(col fer-4 "$t" "$p" 8)" \
                    -v f4w="$(col fer-4 "$t" "$p" 7)" -v r1="$(col red-1 "$t" "$p" 7)" \
                    -v r4m="$(col red-4 "$t" "$p" 8)" -v r4w="$(col red-4 "$t" "$p" 7)" 'BEGIN {
                    rf = (f1 > 0) ? f4m / f1 : 0; rr = (r1 > 0) ? r4m / r1 : 0
                    printf "| %s -P %s | %.3f | %.3f | %.3f | **%.2f** | %.3f | %.3f | %.3f | %.2f | <= 0.35 | %s |\n",
                        toupper(t), p, f1, f4m, f4w, rf, r1, r4m, r4w, rr, (f1 > 0 && rf <= 0.35) ? "ok" : "MISS"
                }'
            done
        done
        echo
        echo "| requests/s | fer-1 | fer-4 | red-1 | red-4 | fer-4 reads done on I/O threads |$([ -n "$PREV" ] && echo " prev rps | prev whole µs/req | fer-1 / prev CPU (<= 1.02) |")"
        echo "|---|---|---|---|---|---|$([ -n "$PREV" ] && echo "---|---|---|")"
        for p in $PIPELINES; do
            for t in "${TEST_LIST[@]}"; do
                extra=
                if [ -n "$PREV" ]; then
                    extra=$(awk -v r="$(col prev "$t" "$p" 6)" -v c="$(col prev "$t" "$p" 7)" \
                        -v f1="$(col fer-1 "$t" "$p" 7)" 'BEGIN {
                        printf " %.0f | %.3f | %.3f %s |", r, c, (c > 0) ? f1 / c : 0, (c > 0 && f1 / c <= 1.02) ? "ok" : "MISS"
                    }')
                fi
                printf '| %s -P %s | %.0f | %.0f | %.0f | %.0f | %.0f%% |%s\n' "${t^^}" "$p" "$(col fer-1 "$t" "$p" 6)" \
                    "$(col fer-4 "$t" "$p" 6)" "$(col red-1 "$t" "$p" 6)" "$(col red-4 "$t" "$p" 6)" \
                    "$(awk -v x="$(col fer-4 "$t" "$p" 9)" 'BEGIN {print x * 100}')" "$extra"
            done
        done
        echo
        echo "main = the main thread's utime+stime (/proc/<pid>/task/<pid>/stat), whole = the process's, per request."
        echo "On $(nproc) cores Redis's I/O threads busy-wait and its main thread busy-waits for them; that counts as its CPU."
        [ -n "$PREV" ] || echo "fer-1 whole is the figure \`make bench\`'s compare table checks against earlier runs (io-threads 1)."
    } >>"$OUT/summary.md"
fi

# idle_pct <server>: whole-process CPU of the server over IDLE_SECS with CLIENTS idle connections, % of one core.
idle_pct() {
    local pid=${PID[$1]} port=${PORT[$1]} ipid c0 c1 n
    taskset -c "$CLIENT_CPU" redis-benchmark -p "$port" -c "$CLIENTS" -I >/dev/null 2>&1 &
    ipid=$!
    PIDS+=("$ipid")
    for _ in $(seq 1 100); do
        n=$(redis-cli -p "$port" info clients | tr -d '\r' | awk -F: '$1 == "connected_clients" {print $2}')
        [ "${n:-0}" -gt "$CLIENTS" ] && break
        sleep 0.1
    done
    sleep 1
    c0=$(cpu_ticks "$pid")
    sleep "$IDLE_SECS"
    c1=$(cpu_ticks "$pid")
    kill "$ipid" 2>/dev/null || true
    wait "$ipid" 2>/dev/null || true
    awk -v c=$((c1 - c0)) -v hz="$CLK_TCK" -v s="$IDLE_SECS" -v n="${n:-0}" \
        'BEGIN {printf "%.2f %d\n", c / hz / s * 100, n - 1}'
}

if want idle; then
    read -r f_idle f_conn < <(idle_pct fer-4)
    read -r r_idle r_conn < <(idle_pct red-4)
    {
        echo
        echo "| idle, io-threads $THREADS, $CLIENTS idle clients, ${IDLE_SECS} s | CPU % of one core | clients connected | target | met |"
        echo "|---|---|---|---|---|"
        awk -v x="$f_idle" -v c="$f_conn" 'BEGIN {printf "| ferredis | %.2f | %d | < 2 | %s |\n", x, c, (x < 2) ? "ok" : "MISS"}'
        printf '| redis | %.2f | %d | - | - |\n' "$r_idle" "$r_conn"
    } >>"$OUT/summary.md"
fi

cat "$OUT/summary.md"
