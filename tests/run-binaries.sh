#!/usr/bin/env bash
# Runs every test binary `cargo test --all-targets` would run, two at a time instead of one after another.
#
# Most of the suite waits on servers (replication and cluster tests sleep through syncs, timeouts and failovers),
# so one binary at a time leaves the machine's second core mostly idle. Two lanes take binaries from one queue,
# longest first (a measured order; replication's heavy tests still run one at a time through `common::serial()`),
# so the lanes end close together whatever the machine's speed. A binary's output is printed whole when it
# finishes (so failures read as they do under cargo), then a table of every binary's status and time. Exit status:
# non-zero if any binary failed or the build failed.
#
# Usage: tests/run-binaries.sh. Env: CARGO (default cargo); TEST_LANES=1 runs everything in one lane;
# EXTRA_TARGETS and STATIC_WAIT: see below.
set -uo pipefail
cd "$(dirname "$0")/.."
CARGO=${CARGO:-cargo}
logs=$(mktemp -d "${TMPDIR:-/tmp}/ferredis-test-logs.XXXXXX")
trap 'rm -rf "$logs"' EXIT

# Build everything first (one cargo process; the lanes then only run what it built).
if ! $CARGO test --all-targets --no-run --message-format=json-render-diagnostics >"$logs/build.json"; then
    echo "run-binaries: the test build failed"
    exit 1
fi
# One "name<TAB>kind<TAB>path" line per test executable, from cargo's artifact messages.
python3 - "$logs/build.json" >"$logs/binaries" <<'EOF'
import json, sys
for line in open(sys.argv[1]):
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"].get("test"):
        t = m["target"]
        print(f"{t['name']}\t{t['kind'][0]}\t{m['executable']}")
EOF

if [ ! -s "$logs/binaries" ]; then
    echo "run-binaries: no test executables found in cargo's build output (is python3 installed?)"
    exit 1
fi

# The queue's order: longest first, as measured (cluster ~170 s, replication ~180, types ~130, protocol ~110,
# operations ~70, the library's unit tests ~55, cli and persistence ~45 each); `operations` waits for the static
# build when one runs beside (STATIC_WAIT), so it goes after the binaries that fill that time. Unknown names last.
ORDER="replication cluster types protocol ferredis cli persistence operations pubsub scripting layers"

# The static build .ci/run started in the background (STATIC_WAIT: the file its exit status will be written to):
# the deploy tests in `operations` check target/static, so that binary waits for it. Its log is printed then, and
# a failed build is a failed row of the table.
wait_static() {
    [ -n "${STATIC_WAIT:-}" ] || return 0
    local waited=0 rc
    while [ ! -s "$STATIC_WAIT" ] && [ $waited -lt 3600 ]; do sleep 2; waited=$((waited + 2)); done
    rc=$(cat "$STATIC_WAIT" 2>/dev/null || echo timeout)
    { echo "== make static (waited ${waited}s for it; exit $rc)"; cat "${STATIC_LOG:-/dev/null}"; } >"$logs/make-static.out"
    flock "$logs/print.lock" cat "$logs/make-static.out"
    echo "make-static $rc $waited" >>"$logs/status"
}

run_one() { # name path
    local name=$1 exe=$2 start rc
    [ "$name" = operations ] && wait_static
    start=$(date +%s)
    echo "== running $name ($exe)" >"$logs/$name.out"
    "$exe" >>"$logs/$name.out" 2>&1
    rc=$?
    echo "$name $rc $(($(date +%s) - start))" >>"$logs/status"
    # Print the whole log at once; flock keeps two lanes' logs from interleaving.
    flock "$logs/print.lock" cat "$logs/$name.out"
}

# Takes the next name off the queue (empty when it is done); flock makes the take atomic between the lanes.
next_name() {
    flock "$logs/queue.lock" sh -c 'head -n 1 "$1"; sed -i 1d "$1"' _ "$logs/queue"
}

lane() {
    local n exe
    while n=$(next_name) && [ -n "$n" ]; do
        exe=$(awk -F'\t' -v n="$n" '$1 == n { print $3; exit }' "$logs/binaries")
        [ -n "$exe" ] && run_one "$n" "$exe"
    done
}

all=$(cut -f1 "$logs/binaries")
: >"$logs/queue"
for n in $ORDER; do grep -qx "$n" <<<"$all" && echo "$n" >>"$logs/queue"; done
for n in $all; do
    case " $ORDER " in *" $n "*) ;; *) echo "$n" >>"$logs/queue" ;; esac
done

# EXTRA_TARGETS: make targets run one after another as a third lane beside the binaries (make test passes the
# cross-platform clippy checks and the fuzz smoke run: the lanes leave part of the machine idle while their servers
# wait). The lane runs at the lowest priority (nice 19), so it takes only what the tests leave: tests that need a
# server busy enough (the I/O threads' ones) must not starve. Each target is a row of the table under its own name;
# a failed one does not stop the next.
extra_lane() {
    local t start rc
    for t in ${EXTRA_TARGETS:-}; do
        start=$(date +%s)
        echo "== running make $t (third lane)" >"$logs/extra-$t.out"
        nice -n 19 ${MAKE:-make} --no-print-directory "$t" >>"$logs/extra-$t.out" 2>&1
        rc=$?
        echo "$t $rc $(($(date +%s) - start))" >>"$logs/status"
        flock "$logs/print.lock" cat "$logs/extra-$t.out"
    done
}

if [ "${TEST_LANES:-2}" = 1 ]; then
    lane
    extra_lane
else
    lane &
    lane &
    extra_lane &
    wait
fi

echo
echo "== test binaries (status, seconds)"
status=0
expected=$(($(wc -l <"$logs/binaries") + $(wc -w <<<"${EXTRA_TARGETS:-}") \
    + $([ -n "${STATIC_WAIT:-}" ] && grep -qx operations <<<"$all" && echo 1 || echo 0)))
ran=$(wc -l <"$logs/status" 2>/dev/null || echo 0)
while read -r name rc secs; do
    printf '%-16s %s %5ss\n' "$name" "$([ "$rc" = 0 ] && echo ok || echo "FAILED (exit $rc)")" "$secs"
    [ "$rc" = 0 ] || status=1
done <"$logs/status"
if [ "$ran" != "$expected" ]; then
    echo "run-binaries: $ran of $expected binaries ran"
    status=1
fi
# The failing tests by name, last, so that the tail of a CI log names them. With FAILED_TESTS_FILE set they are
# also appended there (make test prints that file after its last step).
failed=$(cd "$logs" && grep -h -E '^test .* \.\.\. FAILED$' -- *.out 2>/dev/null | sed -E 's/^test (.*) \.\.\. FAILED$/\1/')
while read -r name rc secs; do
    [ "$rc" = 0 ] || failed+=$'\n'"$name: exit $rc"
done <"$logs/status"
failed=$(sed '/^$/d' <<<"$failed")
# Each failing test's panic (where and the first lines of its message), since a CI log's tail may be all there is.
why=$(cd "$logs" && awk '
    /^---- .* stdout ----$/ { name = $2; n = 0; next }
    name != "" && /panicked at/ { n = 3; print "  " name ":"; }
    n > 0 { print "    " substr($0, 1, 200); n--; if (n == 0) name = "" }
' *.out 2>/dev/null | head -n 60)
if [ -n "$failed" ]; then
    echo "== failed:"
    sed 's/^/  /' <<<"$failed"
    [ -z "$why" ] || { echo "== why:"; echo "$why"; }
    if [ -n "${FAILED_TESTS_FILE:-}" ]; then
        sed 's/^/  /' <<<"$failed" >>"$FAILED_TESTS_FILE"
        [ -z "$why" ] || { echo "  why:"; echo "$why"; } >>"$FAILED_TESTS_FILE"
    fi
fi
exit $status
