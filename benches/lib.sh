# Shell helpers shared by the benchmark scripts (sourced, not run).

# A free loopback port (never 6379): nothing answers a connect on it. Chosen below the kernel's ephemeral range
# (32768+ by default) so an outgoing connection cannot be holding it.
free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 12000))
        [ "$p" = 6379 ] && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
    done
}

# Server CPU time so far (utime + stime, in clock ticks) of a pid.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# Server CPU time so far of a pid, in nanoseconds: the scheduler's run time of each of its threads
# (/proc/<pid>/task/*/schedstat, first field), exact where clock ticks count in 10 ms steps (a -P 16 run of 200000
# requests takes about 15 ticks, so one tick more or less moved a ratio by 7%). Falls back to the ticks, in ns,
# on kernels without schedstat.
cpu_ns() {
    local f total=0 v
    for f in /proc/"$1"/task/*/schedstat; do
        read -r v _ <"$f" 2>/dev/null || continue
        total=$((total + v))
    done
    if [ "$total" = 0 ]; then
        total=$(($(cpu_ticks "$1") * 1000000000 / $(getconf CLK_TCK)))
    fi
    echo "$total"
}

# Resident set size of a pid, in kB.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# Median of the numbers on stdin (0 for none).
median() { sort -g | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]; else print 0}'; }

# start_server <label> <binary> [args...]: starts a server without persistence in $WORK/<label>-<port>, pinned to
# $SERVER_CPU, with the extra arguments last (so they override), and prints "<pid> <port>" once it answers PING
# (five attempts on fresh ports).
start_server() {
    local label=$1 bin=$2 port pid i attempt
    shift 2
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        mkdir -p "$WORK/$label-$port"
        (cd "$WORK/$label-$port" && exec taskset -c "$SERVER_CPU" "$bin" --port "$port" --save '' \
            --appendonly no --daemonize no --bind 127.0.0.1 "$@" >server.log 2>&1) &
        pid=$!
        for i in $(seq 1 200); do
            if [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ]; then
                echo "$pid $port"
                return 0
            fi
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        kill "$pid" 2>/dev/null || true
    done
    echo "server $label did not start" >&2
    return 1
}

# bench_prepare <name>: the prologue the ferredis-vs-redis scripts share. Needs FERREDIS and REDIS set. Checks the
# tools, builds target/release/ferredis-server (unless SKIP_BUILD=1 or FERREDIS points elsewhere), makes FERREDIS
# absolute, creates $OUT (bench-results/<timestamp>-<name>) and the scratch directory $WORK, and kills the servers
# listed in $PIDS when the script exits.
bench_prepare() {
    local tool
    for tool in redis-benchmark redis-cli taskset awk; do
        command -v "$tool" >/dev/null 2>&1 || { echo "missing $tool (apt-get install redis-tools util-linux gawk)"; exit 1; }
    done
    [ -x "$REDIS" ] || { echo "missing $REDIS (apt-get install redis-server)"; exit 1; }
    if [ "${SKIP_BUILD:-0}" != 1 ] && [ "$FERREDIS" = target/release/ferredis-server ]; then
        cargo build --release
    fi
    [ -x "$FERREDIS" ] || { echo "missing $FERREDIS"; exit 1; }
    case $FERREDIS in /*) ;; *) FERREDIS=$PWD/$FERREDIS ;; esac
    OUT=bench-results/$(date +%Y%m%d-%H%M%S)-$1
    mkdir -p "$OUT"
    WORK=$(mktemp -d)
    PIDS=()
    trap bench_cleanup EXIT
}

bench_cleanup() {
    local p
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    rm -rf "$WORK"
}

# start_pair [args...]: ferredis and redis through start_server (both with the same extra arguments); sets FPID
# FPORT RPID RPORT (and adds both to PIDS).
start_pair() {
    FPORT= RPORT=
    read -r FPID FPORT < <(start_server ferredis "$FERREDIS" "$@") || true
    [ -n "${FPORT:-}" ] || { echo "ferredis did not start"; exit 1; }
    PIDS+=("$FPID")
    read -r RPID RPORT < <(start_server redis "$REDIS" "$@") || true
    [ -n "${RPORT:-}" ] || { echo "redis did not start"; exit 1; }
    PIDS+=("$RPID")
}

# bench_prepare_module <name> <module.so>: bench_prepare for the module-type scripts (RedisJSON, RedisBloom), whose
# oracle is redis with the module loaded: checks the module file, writes raw.csv's header (bench_rb's columns), and
# starts ferredis and redis --loadmodule <module> (sets FPID FPORT RPID RPORT).
bench_prepare_module() {
    local module=$2
    [ -e "$module" ] || { echo "missing $module (tests/deps.sh fetches it)"; exit 1; }
    case $module in /*) ;; *) module=$PWD/$module ;; esac
    bench_prepare "$1"
    echo "server,test,round,count,time_ms,rate,server_cpu_ms,cpu_us_per_op,client_busy" >"$OUT/raw.csv"
    read -r FPID FPORT < <(start_server ferredis "$FERREDIS")
    PIDS+=("$FPID")
    read -r RPID RPORT < <(start_server redis "$REDIS" --loadmodule "$module")
    PIDS+=("$RPID")
}

# The throughput scripts' common pieces (they set OUT, WORK, CLIENT_CPU, CLIENTS and CLK_TCK first).
# raw <fields...>: one row of $OUT/raw.csv.
raw() { local IFS=,; echo "$*" >>"$OUT/raw.csv"; }
cli() { taskset -c "$CLIENT_CPU" redis-cli -p "$@"; }
now_ns() { date +%s%N; }

# client_run <command...>: runs the command pinned to CLIENT_CPU and leaves its CPU ticks (user + system, from the
# reaping shell's cutime + cstime) in $WORK/client_ticks. The command's status is returned.
client_run() {
    CPUF=$WORK/client_ticks bash -c 'taskset -c "$0" "$@"; rc=$?; awk "{print \$16 + \$17}" /proc/$$/stat >"$CPUF"; exit $rc' \
        "$CLIENT_CPU" "$@"
}

# bench_rb <server> <pid> <port> <test> <round> <requests> <redis-benchmark args...>
bench_rb() {
    local server=$1 pid=$2 port=$3 test=$4 round=$5 n=$6 before after t0 t1 out rps ct
    shift 6
    before=$(cpu_ns "$pid")
    t0=$(now_ns)
    out=$(client_run redis-benchmark -p "$port" -c "$CLIENTS" -n "$n" --csv "$@" 2>/dev/null)
    t1=$(now_ns)
    after=$(cpu_ns "$pid")
    rps=$(printf '%s\n' "$out" | awk -F'"' 'NR > 1 && $2 != "" {r = $4} END {print r}')
    ct=$(cat "$WORK/client_ticks")
    raw "$server" "$test" "$round" "$n" "$(awk -v a="$t0" -v b="$t1" -v c=$((after - before)) -v n="$n" -v ct="$ct" \
        -v r="${rps:-0}" -v hz="$CLK_TCK" 'BEGIN {
        wall = (b - a) / 1e9
        printf "%.1f,%s,%.1f,%.4f,%.3f", wall * 1e3, r, c / 1e6, c / 1e3 / n, (wall > 0) ? ct / hz / wall : 0
    }')"
}

# The summary's ratio rows over $OUT/raw.csv (bench_rb's columns), medians of the rounds.
# col <server> <test> <field>: the median of one column.
# one_round_both ROUND: the script's `one_round SERVER PID PORT ROUND` on both servers, back to back, ferredis first
# in odd rounds and Redis first in even ones, so neither always runs on the machine the other just warmed.
one_round_both() {
    if [ $(($1 % 2)) = 1 ]; then
        one_round ferredis "$FPID" "$FPORT" "$1"; one_round redis "$RPID" "$RPORT" "$1"
    else
        one_round redis "$RPID" "$RPORT" "$1"; one_round ferredis "$FPID" "$FPORT" "$1"
    fi
}

col() { awk -F, -v s="$1" -v t="$2" -v f="$3" '$1 == s && $2 == t && $f != "" {print $f}' "$OUT/raw.csv" | median; }
# rps_col <server> <test>: requests per second from the run's count and wall time (redis-benchmark's CSV test name
# may hold quotes, which its own rate column cannot be split from).
rps_col() { awk -F, -v s="$1" -v t="$2" '$1 == s && $2 == t && $5 > 0 {print $4 / $5 * 1000}' "$OUT/raw.csv" | median; }
# row <test> <label> <target: cpu|rps>: one markdown row, ferredis against redis: requests/s and their ratio,
# server CPU us/request and its ratio, the target (CPU <= 0.70 or rps >= 1.00) and whether it is met.
row() {
    awk -v label="$2" -v want="$3" -v fr="$(rps_col ferredis "$1")" -v rr="$(rps_col redis "$1")" \
        -v fc="$(col ferredis "$1" 8)" -v rc="$(col redis "$1" 8)" 'BEGIN {
        r = (rr > 0) ? fr / rr : 0; c = (rc > 0) ? fc / rc : 0
        met = (want == "cpu") ? (c <= 0.7 ? "yes" : "no") : (r >= 1.0 ? "yes" : "no")
        target = (want == "cpu") ? "CPU <= 0.70" : "rps >= 1.00"
        printf "| %s | %.0f | %.0f | %.3f | %.3f | %.3f | %.3f | %s | %s |\n", label, fr, rr, r, fc, rc, c, target, met
    }'
}
