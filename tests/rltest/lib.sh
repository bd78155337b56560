# Shared by tests/redisjson-suite.sh and tests/redisbloom-suite.sh (sourced): the servers a module's own RLTest
# suite runs against, and the Python shims RLTest needs there (this folder goes on PYTHONPATH: paella.py and
# sitecustomize.py). Expects WORK (a scratch directory) and PIDS (an array the caller's EXIT trap kills).

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start NAME BIN PORT [ARGS...]: one server in $WORK/srv/NAME-PORT, waited for until it answers PING.
start() {
    local name=$1 bin=$2 port=$3
    shift 3
    local dir="$WORK/srv/$name-$port"
    mkdir -p "$dir"
    (cd "$dir" && exec "$bin" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --enable-debug-command yes \
        --dir "$dir" "$@" >"$dir/log" 2>&1) &
    PIDS+=($!)
    for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && return 0; sleep 0.1; done
    echo "$name on port $port did not start:"
    cat "$dir/log"
    exit 1
}
