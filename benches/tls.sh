#!/usr/bin/env bash
# TLS: ferredis built with the `tls` feature against Debian's redis-server 7.0.15 (built with OpenSSL) in the same
# run, both serving `redis-benchmark --tls` on a TLS port with the same certificates (made with openssl as Redis's
# utils/gen-test-certs.sh makes them; mutual TLS, Redis's default `tls-auth-clients yes`).
#
# Both servers pinned to SERVER_CPU, redis-benchmark to CLIENT_CPU. For each of SET and GET, at -P 16 and -P 1,
# ROUNDS rounds of `redis-benchmark --tls -c CLIENTS -n n` (n = N16 at -P 16, N1 at -P 1), the server order
# alternating. Per run: requests/s and the server's CPU (utime+stime) per request in microseconds. Medians over the
# rounds. Targets (issue 67): at -P 16 ferredis's CPU per request at most Redis's; at -P 1 its throughput at least
# Redis's.
#
# Knobs (environment): ROUNDS (3), CLIENTS (50), N16 (2000000), N1 (200000), TESTS (set,get), SERVER_CPU (1),
# CLIENT_CPU (0), FERREDIS (target/release/ferredis-server, built with --features tls first unless SKIP_BUILD=1),
# REDIS (/usr/bin/redis-server).
# Results: stdout and bench-results/<timestamp>-tls/ (summary.md, raw.csv).
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/lib.sh

ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
N16=${N16:-2000000}
N1=${N1:-200000}
TESTS=${TESTS:-set,get}
SERVER_CPU=${SERVER_CPU:-1}
CLIENT_CPU=${CLIENT_CPU:-0}
FERREDIS=${FERREDIS:-target/release/ferredis-server}
REDIS=${REDIS:-/usr/bin/redis-server}
CLK_TCK=$(getconf CLK_TCK)

command -v openssl >/dev/null 2>&1 || { echo "missing openssl (apt-get install openssl)"; exit 1; }
if [ "${SKIP_BUILD:-0}" != 1 ] && [ "$FERREDIS" = target/release/ferredis-server ]; then
    cargo build --release --features tls --bin ferredis-server
fi
SKIP_BUILD=1 bench_prepare tls

# Certificates (utils/gen-test-certs.sh's, without the DH parameters neither server needs here).
C=$WORK/tls
mkdir -p "$C"
(
    cd "$C"
    openssl genrsa -out ca.key 2048 2>/dev/null
    openssl req -x509 -new -nodes -sha256 -key ca.key -days 3650 -subj '/O=Redis Test/CN=Certificate Authority' \
        -out ca.crt
    printf '[ client_cert ]\nkeyUsage = digitalSignature, keyEncipherment\nnsCertType = client\n' >openssl.cnf
    for name in redis client; do
        openssl genrsa -out $name.key 2048 2>/dev/null
        ext=(); [ $name = client ] && ext=(-extfile openssl.cnf -extensions client_cert)
        openssl req -new -sha256 -subj "/O=Redis Test/CN=$name" -key $name.key |
            openssl x509 -req -sha256 -CA ca.crt -CAkey ca.key -CAserial ca.txt -CAcreateserial -days 365 \
                "${ext[@]}" -out $name.crt 2>/dev/null
    done
)
TLS_CLIENT=(--tls --cacert "$C/ca.crt" --cert "$C/client.crt" --key "$C/client.key")

FTLS=$(free_port)
read -r FPID FPORT < <(start_server ferredis "$FERREDIS" --tls-port "$FTLS" --tls-cert-file "$C/redis.crt" \
    --tls-key-file "$C/redis.key" --tls-ca-cert-file "$C/ca.crt") || { echo "ferredis did not start"; exit 1; }
PIDS+=("$FPID")
RTLS=$(free_port)
[ "$RTLS" = "$FTLS" ] && RTLS=$(free_port)
read -r RPID RPORT < <(start_server redis "$REDIS" --tls-port "$RTLS" --tls-cert-file "$C/redis.crt" \
    --tls-key-file "$C/redis.key" --tls-ca-cert-file "$C/ca.crt") || { echo "redis did not start"; exit 1; }
PIDS+=("$RPID")
for p in "$FTLS" "$RTLS"; do
    [ "$(redis-cli -p "$p" "${TLS_CLIENT[@]}" ping)" = PONG ] || { echo "no TLS on port $p"; exit 1; }
done
echo "ferredis $FERREDIS (TLS port $FTLS), redis $REDIS (TLS port $RTLS); results in $OUT"

echo "server,test,round,requests,wall_ms,rps,server_cpu_ms,server_cpu_us_per_req,client_cores" >"$OUT/raw.csv"
for round in $(seq 1 "$ROUNDS"); do
    for p in 16 1; do
        n=$N16; [ "$p" = 1 ] && n=$N1
        for t in ${TESTS//,/ }; do
            order="ferredis redis"; [ $((round % 2)) = 0 ] && order="redis ferredis"
            for s in $order; do
                if [ "$s" = ferredis ]; then pid=$FPID port=$FTLS; else pid=$RPID port=$RTLS; fi
                bench_rb "$s" "$pid" "$port" "$t-P$p" "$round" "$n" -P "$p" -t "$t" -r 100000 "${TLS_CLIENT[@]}"
            done
        done
    done
done

{
    echo "# TLS: ferredis (rustls) vs Redis 7.0.15 (OpenSSL), redis-benchmark --tls, mutual TLS"
    echo
    echo "$ROUNDS rounds, -c $CLIENTS, medians. Server CPU per request in microseconds (utime+stime)."
    echo
    echo "| test | ferredis rps | redis rps | ferredis us/req | redis us/req | rps ratio | cpu ratio |"
    echo "|---|---|---|---|---|---|---|"
    for p in 16 1; do
        for t in ${TESTS//,/ }; do
            k="$t-P$p"
            fr=$(awk -F, -v k="$k" '$1 == "ferredis" && $2 == k {print $6}' "$OUT/raw.csv" | median)
            rr=$(awk -F, -v k="$k" '$1 == "redis" && $2 == k {print $6}' "$OUT/raw.csv" | median)
            fc=$(awk -F, -v k="$k" '$1 == "ferredis" && $2 == k {print $8}' "$OUT/raw.csv" | median)
            rc=$(awk -F, -v k="$k" '$1 == "redis" && $2 == k {print $8}' "$OUT/raw.csv" | median)
            awk -v k="$k" -v fr="$fr" -v rr="$rr" -v fc="$fc" -v rc="$rc" 'BEGIN {
                printf "| %s | %.0f | %.0f | %.3f | %.3f | %.2f | %.2f |\n", k, fr, rr, fc, rc,
                    (rr > 0) ? fr / rr : 0, (rc > 0) ? fc / rc : 0 }'
        done
    done
    echo
    echo "Targets: cpu ratio <= 1.00 at -P 16; rps ratio >= 1.00 at -P 1."
} | tee "$OUT/summary.md"
