#!/bin/sh
# The Lua VM against the reference interpreter on CPU-bound scripts (10M additions, fib(27), string building,
# table inserts, method calls, closures). Needs lua5.1 on the PATH. Prints one line per script:
# ferredis seconds, lua5.1 seconds, ratio (target: <= 1.5). Both run in the same invocation, one after the other.
#
# The release profile (fat LTO, one codegen unit) takes long to build; QUICK=1 builds without LTO, 16 codegen
# units and incrementally into target/vmbench instead (faster to build; its numbers can differ from release).
set -e
cd "$(dirname "$0")/.."
if [ -n "$QUICK" ]; then
    export CARGO_PROFILE_RELEASE_LTO=off CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_INCREMENTAL=true
    set -- --target-dir target/vmbench
fi
exec cargo test --release "$@" --lib lua::vm_tests::bench_vs_lua51 -- --ignored --nocapture --test-threads=1
