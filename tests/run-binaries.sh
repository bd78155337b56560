#!/usr/bin/env bash
# Runs every test binary `cargo test --all-targets` would run, in two lanes at once instead of one after another.
#
# Most of the suite waits on servers (replication and cluster tests sleep through syncs, timeouts and failovers),
# so one binary at a time leaves the machine's second core mostly idle. Lane 1 takes the binaries that mostly wait
# (cluster, replication, cli; replication's heavy tests still run one at a time through `common::serial()`),
# lane 2 the rest; each lane runs its binaries in turn, longest first. A
# binary's output is printed whole when it finishes (so failures read as they do under cargo), then a table of
# every binary's status and time. Exit status: non-zero if any binary failed or the build failed.
#
# Usage: tests/run-binaries.sh. Env: CARGO (default cargo); TEST_LANES=1 runs everything in one lane.
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

# Lane 1: the waiting, forking binaries. Lane 2: the rest, longest first (measured order; unknown names last).
LANE1="cluster replication cli"
ORDER2="types protocol ferredis operations persistence scripting layers"

run_one() { # name path
    local name=$1 exe=$2 start rc
    start=$(date +%s)
    echo "== running $name ($exe)" >"$logs/$name.out"
    "$exe" >>"$logs/$name.out" 2>&1
    rc=$?
    echo "$name $rc $(($(date +%s) - start))" >>"$logs/status"
    # Print the whole log at once; flock keeps two lanes' logs from interleaving.
    flock "$logs/print.lock" cat "$logs/$name.out"
}

lane() { # names...
    local n exe
    for n in "$@"; do
        exe=$(awk -F'\t' -v n="$n" '$1 == n { print $3; exit }' "$logs/binaries")
        [ -n "$exe" ] && run_one "$n" "$exe"
    done
}

all=$(cut -f1 "$logs/binaries")
lane1=() lane2=()
for n in $LANE1; do grep -qx "$n" <<<"$all" && lane1+=("$n"); done
for n in $ORDER2; do grep -qx "$n" <<<"$all" && lane2+=("$n"); done
for n in $all; do
    case " $LANE1 $ORDER2 " in *" $n "*) ;; *) lane2+=("$n") ;; esac
done

if [ "${TEST_LANES:-2}" = 1 ]; then
    lane "${lane1[@]}" "${lane2[@]}"
else
    lane "${lane1[@]}" &
    lane "${lane2[@]}" &
    wait
fi

echo
echo "== test binaries (status, seconds)"
status=0
expected=$(wc -l <"$logs/binaries")
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
if [ -n "$failed" ]; then
    echo "== failed:"
    sed 's/^/  /' <<<"$failed"
    if [ -n "${FAILED_TESTS_FILE:-}" ]; then sed 's/^/  /' <<<"$failed" >>"$FAILED_TESTS_FILE"; fi
fi
exit $status
