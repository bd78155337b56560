#!/bin/sh
# The Lua VM against the reference interpreter on CPU-bound scripts (10M additions, fib(27), string building,
# table inserts, method calls, closures). Needs lua5.1 on the PATH. Prints one line per script:
# ferredis seconds, lua5.1 seconds, ratio (target: <= 1.5).
set -e
cd "$(dirname "$0")/.."
exec cargo test --release --lib lua::vm_tests::bench_vs_lua51 -- --ignored --nocapture --test-threads=1
