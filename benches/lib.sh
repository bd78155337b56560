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

# Resident set size of a pid, in kB.
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

# Median of the numbers on stdin (0 for none).
median() { sort -g | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]; else print 0}'; }

# start_server <label> <binary>: starts a server without persistence in $WORK/<label>-<port>, pinned to
# $SERVER_CPU, and prints "<pid> <port>" once it answers PING (five attempts on fresh ports).
start_server() {
    local label=$1 bin=$2 port pid i attempt
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        mkdir -p "$WORK/$label-$port"
        (cd "$WORK/$label-$port" && exec taskset -c "$SERVER_CPU" "$bin" --port "$port" --save '' \
            --appendonly no --daemonize no --bind 127.0.0.1 >server.log 2>&1) &
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
