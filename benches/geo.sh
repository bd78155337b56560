#!/usr/bin/env bash
# Geo commands: ferredis against Debian's redis-server 7.0 in the same run, as ratios (ferredis/redis).
#
# One pair of servers; per round both servers, alternating which goes first; medians of ROUNDS. Per server:
# requests per second, server CPU microseconds per request (utime+stime from /proc/<pid>/stat over the run) and
# how busy the client's core was. Target: rps ratio >= 1.10, or server CPU ratio <= 0.80 where the
# client saturates its core (client core >= CLIENT_SATURATED busy in either server's run); a row counts as met
# when either holds, and says which.
# 0. Both servers get the same MEMBERS-member geo set `geo` (random points in lon -10..30, lat 35..60, loaded with
#    redis-cli --pipe); ZCARD is checked, and both must give the same GEOSEARCH reply before anything is timed.
# 1. `GEOADD ga 13.<rand> 45.<rand> m:<rand>` through redis-benchmark -r MEMBERS -c CLIENTS -P 1 (N requests; `ga` is
#    deleted before each run and must hold members after it, so a run of error replies can't count).
# 2. `GEOSEARCH geo FROMLONLAT 10 50 BYRADIUS 50 km ASC` (about 90 of the MEMBERS points, sorted), -P 1, SEARCH_N
#    requests.
# 3. `GEOSEARCH geo FROMLONLAT 10 50 BYRADIUS 200 km ASC COUNT 10 WITHDIST` (the 10 nearest of ~1500), -P 1.
#
# Servers pinned to SERVER_CPU, clients to CLIENT_CPU. Knobs (environment): ROUNDS (5), CLIENTS (50), N (100000),
# SEARCH_N (50000), MEMBERS (100000), CLIENT_SATURATED (0.90), SERVER_CPU (1), CLIENT_CPU (0), FERREDIS
# (target/release/ferredis-server, built first unless SKIP_BUILD=1), REDIS (/usr/bin/redis-server). Prints a
# markdown table; results in bench-results/<timestamp>-geo/: summary.md and raw.csv (server, test, round, count,
# time_ms, rate, server_cpu_ms, cpu_us_per_op, client_busy).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

ROUNDS=${ROUNDS:-5}
CLIENTS=${CLIENTS:-50}
N=${N:-100000}
SEARCH_N=${SEARCH_N:-50000}
MEMBERS=${MEMBERS:-100000}
CLIENT_SATURATED=${CLIENT_SATURATED:-0.90}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
CLK_TCK=$(getconf CLK_TCK)

bench_prepare geo

echo "server,test,round,count,time_ms,rate,server_cpu_ms,cpu_us_per_op,client_busy" >"$OUT/raw.csv"
geoadd_one() { # <server> <pid> <port> <round>
    cli "$3" del ga >/dev/null
    bench_rb "$1" "$2" "$3" geoadd "$4" "$N" -r "$MEMBERS" -P 1 GEOADD ga 13.__rand_int__ 45.__rand_int__ m:__rand_int__
    local got
    got=$(cli "$3" zcard ga)
    [ "${got:-0}" -gt 0 ] || { echo "GEOADD run on $1 added nothing (ZCARD ga = $got)"; exit 1; }
    cli "$3" del ga >/dev/null
}

search_one() {
    bench_rb "$1" "$2" "$3" search50 "$4" "$SEARCH_N" -P 1 GEOSEARCH geo FROMLONLAT 10 50 BYRADIUS 50 km ASC
    bench_rb "$1" "$2" "$3" search200 "$4" "$SEARCH_N" -P 1 GEOSEARCH geo FROMLONLAT 10 50 BYRADIUS 200 km ASC COUNT 10 WITHDIST
}

round_one() {
    geoadd_one "$@"
    search_one "$@"
}

echo "ferredis: $FERREDIS | redis $("$REDIS" --version | awk '{print $3}')"
echo "servers on CPU $SERVER_CPU, clients on CPU $CLIENT_CPU; $ROUNDS rounds, medians; -c $CLIENTS -P 1;" \
    "GEOADD -n $N -r $MEMBERS; GEOSEARCH -n $SEARCH_N over $MEMBERS members"

start_pair
awk -v n="$MEMBERS" 'BEGIN {
    srand(30)
    for (i = 0; i < n; i++) {
        lon = sprintf("%.6f", -10 + 40 * rand()); lat = sprintf("%.6f", 35 + 25 * rand()); m = "m" i
        printf "*5\r\n$6\r\nGEOADD\r\n$3\r\ngeo\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(lon), lon, length(lat), lat, length(m), m
    }
}' >"$WORK/geo.resp"
for port in "$FPORT" "$RPORT"; do
    out=$(cli "$port" --pipe <"$WORK/geo.resp" 2>&1)
    case $out in *"errors: 0,"*) ;; *) echo "redis-cli --pipe on port $port: $out"; exit 1 ;; esac
    [ "$(cli "$port" zcard geo)" = "$MEMBERS" ] || { echo "port $port: ZCARD geo is not $MEMBERS"; exit 1; }
done
for q in "50 km ASC" "200 km ASC COUNT 10 WITHDIST"; do
    # shellcheck disable=SC2086
    f=$(cli "$FPORT" geosearch geo fromlonlat 10 50 byradius $q | md5sum)
    # shellcheck disable=SC2086
    r=$(cli "$RPORT" geosearch geo fromlonlat 10 50 byradius $q | md5sum)
    [ "$f" = "$r" ] || { echo "GEOSEARCH ... BYRADIUS $q: ferredis and redis replies differ"; exit 1; }
done
echo "GEOSEARCH BYRADIUS 50 km finds $(cli "$FPORT" geosearch geo fromlonlat 10 50 byradius 50 km | wc -l) members"
rm -f "$WORK/geo.resp"

for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then
        round_one ferredis "$FPID" "$FPORT" "$r"
        round_one redis "$RPID" "$RPORT" "$r"
    else
        round_one redis "$RPID" "$RPORT" "$r"
        round_one ferredis "$FPID" "$FPORT" "$r"
    fi
    printf '.' >&2
done
echo >&2
kill "$FPID" "$RPID" 2>/dev/null || true
wait "$FPID" "$RPID" 2>/dev/null || true

col() { awk -F, -v s="$1" -v t="$2" -v f="$3" '$1 == s && $2 == t && $f != "" {print $f}' "$OUT/raw.csv" | median; }

tput_line() { # <test> <label>
    awk -v label="$2" -v sat="$CLIENT_SATURATED" \
        -v fr="$(col ferredis "$1" 6)" -v rr="$(col redis "$1" 6)" \
        -v fc="$(col ferredis "$1" 8)" -v rc="$(col redis "$1" 8)" \
        -v fb="$(col ferredis "$1" 9)" -v rb="$(col redis "$1" 9)" 'BEGIN {
        r = (rr > 0) ? fr / rr : 0; c = (rc > 0) ? fc / rc : 0
        busy = (fb > rb) ? fb : rb
        if (busy >= sat) target = sprintf("CPU <= 0.80 applies (client core %.0f%% busy: saturated); or rps >= 1.10", busy * 100)
        else target = sprintf("rps >= 1.10 applies (client core %.0f%% busy); or CPU <= 0.80", busy * 100)
        met = ""
        if (r >= 1.10) met = "rps"
        if (c <= 0.80) met = (met == "") ? "CPU" : met ", CPU"
        met = (met == "") ? "no" : "yes (" met ")"
        printf "| %s | %.0f | %.0f | %.3f | %.3f | %.3f | %.3f | %s | %s |\n", label, fr, rr, r, fc, rc, c, target, met
    }'
}

{
    echo "| benchmark (requests/s; server CPU us/request) | ferredis | redis 7.0 | ratio | CPU ferredis | CPU redis | CPU ratio | target | target met |"
    echo "|---|---|---|---|---|---|---|---|---|"
    tput_line geoadd "GEOADD ga <lon> <lat> m:<rand> (-r $MEMBERS), -P 1 -c $CLIENTS"
    tput_line search50 "GEOSEARCH FROMLONLAT 10 50 BYRADIUS 50 km ASC over $MEMBERS members, -P 1 -c $CLIENTS"
    tput_line search200 "GEOSEARCH ... BYRADIUS 200 km ASC COUNT 10 WITHDIST over $MEMBERS members, -P 1 -c $CLIENTS"
} | tee "$OUT/summary.md"
echo "medians of $ROUNDS rounds; raw rows: $OUT/raw.csv"
