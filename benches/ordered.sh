#!/usr/bin/env bash
# Ordered insertion and reloads: ferredis-server vs Debian's redis-server, same machine, same run.
#
# Keys, members and fields inserted in the order of another hash table (SCAN order, a set's or hash's own
# iteration order, an AOF rewritten from another table) are the input that makes a linear-probing table with
# monotonic home slots quadratic; ferredis defends in the table (per-dict seeds, a probe guard). Rows:
#   move_scan / move_shuffled     KEYS keys (DEBUG POPULATE) moved to db 1 with MOVE, one `redis-cli --pipe`, in
#                                 the order `redis-cli --scan` listed them / in a shuffled order.
#   sunionstore                   SUNIONSTORE dst src of a KEYS-member set (the server iterates src's table).
#   sadd_smembers / sadd_shuffled the same members written to a new set by a client, 1000 per SADD, in the order
#                                 SMEMBERS returned them (src's table order) / shuffled.
#   copy_hash                     COPY of a KEYS-field hash.
#   hset_hkeys / hset_shuffled    the same fields written to a new hash with HSET, in HKEYS order / shuffled.
#   reload                        DEBUG RELOAD (save + flush + load) of LOAD_KEYS keys.
#   loadaof_rdb / loadaof_cmd     DEBUG LOADAOF (flush + load) of LOAD_KEYS keys whose AOF base was rewritten
#                                 with the RDB preamble / as commands (aof-use-rdb-preamble no).
#   loadaof_incr                  DEBUG LOADAOF of LOAD_KEYS SETs that clients sent (the incremental file).
# Each figure is the median of ROUNDS runs, alternating which server goes first: wall ms from the client's side
# and the server's CPU ms (utime+stime from /proc). Ratios: ferredis/redis (the issue's targets: <= 1.0 for the
# insertion rows, <= 0.8 for the reloads) and, for the ordered rows, ferredis's ordered/shuffled time (<= 1.5).
#
# Knobs: KEYS (1000000), LOAD_KEYS (2000000), ROUNDS (3), SECTIONS (keys,set,hash,load), SERVER_CPU (1),
# CLIENT_CPU (0), FERREDIS (target/release/ferredis-server, built unless SKIP_BUILD=1), REDIS.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

KEYS=${KEYS:-1000000}
LOAD_KEYS=${LOAD_KEYS:-2000000}
ROUNDS=${ROUNDS:-3}
SECTIONS=${SECTIONS:-keys,set,hash,load}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
CLK_TCK=$(getconf CLK_TCK)
want() { case ",$SECTIONS," in *",$1,"*) return 0 ;; esac; return 1; }

bench_prepare ordered
command -v shuf >/dev/null 2>&1 || { echo "missing shuf (coreutils)"; exit 1; }
RESULTS=$OUT/ordered.txt
: >"$WORK/raw.txt"

cli() { taskset -c "$CLIENT_CPU" redis-cli -p "$@"; }

# timed <row> <server> <pid> <command...>: runs the command, appends "<row> <server> <wall_ms> <cpu_ms>".
timed() {
    local row=$1 who=$2 pid=$3 t0 t1 c0 c1 out
    shift 3
    c0=$(cpu_ticks "$pid")
    t0=$(date +%s%N)
    out=$("$@" 2>&1) || { echo "$row/$who failed: $out" >&2; exit 1; }
    t1=$(date +%s%N)
    c1=$(cpu_ticks "$pid")
    case $out in *ERR* | *errors:\ [1-9]*) echo "$row/$who: $out" >&2; exit 1 ;; esac
    echo "$row $who $(((t1 - t0) / 1000000)) $(((c1 - c0) * 1000 / CLK_TCK))" >>"$WORK/raw.txt"
}

# RESP for redis-cli --pipe: one command per input line, arguments separated by single spaces (no spaces inside).
to_resp() {
    awk '{ printf "*%d\r\n", NF; for (i = 1; i <= NF; i++) printf "$%d\r\n%s\r\n", length($i), $i }'
}

# batch <cmd> <key> <n>: lines of "<cmd> <key> m1 .. mn" from the members on stdin.
batch() {
    awk -v c="$1" -v k="$2" -v n="$3" '{ line = line " " $0; if (NR % n == 0) { print c " " k line; line = "" } }
        END { if (line != "") print c " " k line }'
}

wait_rewrite() { # port
    local i
    for i in $(seq 1 2400); do
        if cli "$1" info persistence | tr -d '\r' | grep -q '^aof_rewrite_in_progress:0' &&
            cli "$1" info persistence | tr -d '\r' | grep -q '^aof_rewrite_scheduled:0'; then
            return 0
        fi
        sleep 0.05
    done
    echo "rewrite did not finish" >&2
    exit 1
}

# rounds <fn>: calls <fn> <server> <pid> <port> for both servers ROUNDS times, alternating which goes first.
rounds() {
    local fn=$1 r
    for r in $(seq 1 "$ROUNDS"); do
        if [ $((r % 2)) = 1 ]; then
            "$fn" ferredis "$FPID" "$FPORT"
            "$fn" redis "$RPID" "$RPORT"
        else
            "$fn" redis "$RPID" "$RPORT"
            "$fn" ferredis "$FPID" "$FPORT"
        fi
    done
}

pair() { start_pair --enable-debug-command yes "$@"; }

stop_pair() {
    kill "$FPID" "$RPID" 2>/dev/null || true
    wait "$FPID" "$RPID" 2>/dev/null || true
}

# --- keyspace: MOVE in SCAN order vs shuffled -------------------------------------------------------------
moves() { # server pid port
    local who=$1 pid=$2 port=$3
    cli "$port" flushall >/dev/null
    cli "$port" debug populate "$KEYS" >/dev/null
    cli "$port" --scan | awk '{print "MOVE " $0 " 1"}' | to_resp >"$WORK/move-scan.resp"
    timed move_scan "$who" "$pid" cli "$port" --pipe <"$WORK/move-scan.resp"
    cli "$port" flushall >/dev/null
    cli "$port" debug populate "$KEYS" >/dev/null
    cli "$port" --scan | shuf --random-source=<(yes) | awk '{print "MOVE " $0 " 1"}' |
        to_resp >"$WORK/move-shuf.resp"
    timed move_shuffled "$who" "$pid" cli "$port" --pipe <"$WORK/move-shuf.resp"
}

# --- a 1M-member set: SUNIONSTORE, and a client re-adding the members in SMEMBERS order vs shuffled --------------
sets() {
    local who=$1 pid=$2 port=$3
    cli "$port" del dst d2 >/dev/null
    timed sunionstore "$who" "$pid" cli "$port" sunionstore dst src
    cli "$port" --raw smembers src | batch SADD d2 1000 | to_resp >"$WORK/sadd-order.resp"
    timed sadd_smembers "$who" "$pid" cli "$port" --pipe <"$WORK/sadd-order.resp"
    cli "$port" del d2 >/dev/null
    cli "$port" --raw smembers src | shuf --random-source=<(yes) | batch SADD d2 1000 | to_resp >"$WORK/sadd-shuf.resp"
    timed sadd_shuffled "$who" "$pid" cli "$port" --pipe <"$WORK/sadd-shuf.resp"
}

hashes() {
    local who=$1 pid=$2 port=$3
    cli "$port" del h2 h3 >/dev/null
    timed copy_hash "$who" "$pid" cli "$port" copy h h2
    cli "$port" --raw hkeys h | awk '{print $0 " x"}' | batch HSET h3 500 | to_resp >"$WORK/hset-order.resp"
    timed hset_hkeys "$who" "$pid" cli "$port" --pipe <"$WORK/hset-order.resp"
    cli "$port" del h3 >/dev/null
    cli "$port" --raw hkeys h | shuf --random-source=<(yes) | awk '{print $0 " x"}' | batch HSET h3 500 |
        to_resp >"$WORK/hset-shuf.resp"
    timed hset_shuffled "$who" "$pid" cli "$port" --pipe <"$WORK/hset-shuf.resp"
}

fill_collections() { # port
    seq 1 "$KEYS" | awk '{print "member:" $0}' | batch SADD src 1000 | to_resp | cli "$1" --pipe >/dev/null
    seq 1 "$KEYS" | awk '{print "field:" $0 " " $0}' | batch HSET h 500 | to_resp | cli "$1" --pipe >/dev/null
}

# --- reloads of LOAD_KEYS keys ----------------------------------------------------------------------------
reload() { timed reload "$1" "$2" cli "$3" debug reload; }
loadaof() { timed "$ROW" "$1" "$2" cli "$3" debug loadaof; }

if want keys; then
    pair --appendonly no
    rounds moves
    stop_pair
fi
if want set || want hash; then
    pair --appendonly no
    fill_collections "$FPORT"
    fill_collections "$RPORT"
    want set && rounds sets
    want hash && rounds hashes
    stop_pair
fi
if want load; then
    pair --appendonly no
    cli "$FPORT" debug populate "$LOAD_KEYS" >/dev/null
    cli "$RPORT" debug populate "$LOAD_KEYS" >/dev/null
    rounds reload
    stop_pair
    for form in rdb cmd; do
        preamble=yes
        [ $form = cmd ] && preamble=no
        pair --appendonly yes --aof-use-rdb-preamble $preamble --auto-aof-rewrite-percentage 0
        for port in "$FPORT" "$RPORT"; do
            cli "$port" debug populate "$LOAD_KEYS" >/dev/null
            cli "$port" bgrewriteaof >/dev/null
            wait_rewrite "$port"
        done
        ROW=loadaof_$form
        rounds loadaof
        stop_pair
    done
    pair --appendonly yes --auto-aof-rewrite-percentage 0
    seq 1 "$LOAD_KEYS" | awk '{print "SET key:" $0 " value:" $0}' | to_resp >"$WORK/sets.resp"
    for port in "$FPORT" "$RPORT"; do
        cli "$port" --pipe <"$WORK/sets.resp" >/dev/null
    done
    ROW=loadaof_incr
    rounds loadaof
    stop_pair
fi

# --- report -----------------------------------------------------------------------------------------------
fig() { awk -v r="$1" -v w="$2" -v c="$3" '$1 == r && $2 == w {print $c}' "$WORK/raw.txt" | median; }
{
    echo "Ordered insertion and reloads: KEYS=$KEYS LOAD_KEYS=$LOAD_KEYS, median of $ROUNDS rounds" \
        "(servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU)"
    printf '%-15s %12s %12s %12s %12s %9s %9s %11s\n' row ferredis_ms redis_ms ferredis_cpu redis_cpu \
        wall_x cpu_x vs_shuffled
    for row in move_scan move_shuffled sunionstore sadd_smembers sadd_shuffled copy_hash hset_hkeys hset_shuffled \
        reload loadaof_rdb loadaof_cmd loadaof_incr; do
        grep -q "^$row " "$WORK/raw.txt" || continue
        fw=$(fig "$row" ferredis 3)
        rw=$(fig "$row" redis 3)
        fc=$(fig "$row" ferredis 4)
        rc=$(fig "$row" redis 4)
        vs=-
        case $row in
            move_scan) vs=$(awk -v a="$fw" -v b="$(fig move_shuffled ferredis 3)" 'BEGIN {printf "%.2f", a / b}') ;;
            sadd_smembers) vs=$(awk -v a="$fw" -v b="$(fig sadd_shuffled ferredis 3)" 'BEGIN {printf "%.2f", a / b}') ;;
            hset_hkeys) vs=$(awk -v a="$fw" -v b="$(fig hset_shuffled ferredis 3)" 'BEGIN {printf "%.2f", a / b}') ;;
        esac
        awk -v r="$row" -v fw="$fw" -v rw="$rw" -v fc="$fc" -v rc="$rc" -v vs="$vs" 'BEGIN {
            printf "%-15s %12d %12d %12d %12d %9.2f %9.2f %11s\n", r, fw, rw, fc, rc,
                (rw > 0 ? fw / rw : 0), (rc > 0 ? fc / rc : 0), vs }'
    done
} | tee "$RESULTS"
