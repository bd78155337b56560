# Shared by the suites that run a client's or a module's own tests against both servers (sourced by
# tests/redisjson-suite.sh, tests/redisbloom-suite.sh and tests/redis-py-suite.sh): the scratch directory and the
# servers in it. The RLTest suites also put this folder on PYTHONPATH for the shims RLTest needs (paella.py and
# sitecustomize.py).

# scratch [DIR...]: WORK (a fresh scratch directory), OUT (the logs: $OUT, or $WORK/out) and PIDS (the servers
# `start` starts); on exit the servers are killed and $WORK/srv and each $WORK/DIR removed.
scratch() {
    WORK=$(mktemp -d)
    OUT=${OUT:-$WORK/out}
    mkdir -p "$OUT"
    PIDS=()
    SCRATCH_DIRS=(srv "$@")
    trap scratch_cleanup EXIT
}

scratch_cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
    for d in "${SCRATCH_DIRS[@]}"; do rm -rf "${WORK:?}/$d"; done
}

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
