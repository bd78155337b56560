#!/usr/bin/env bash
# Runs a command on this machine as if the test oracles were not installed, to check what the README promises for
# a machine without apt-get: every test whose oracle is missing says `skipped: ...`, and nothing else breaks.
#
#   tests/without-oracles.sh cargo test --no-fail-fast
#
# Needs root (a private mount namespace): /usr/bin and /usr/sbin are overlaid with whiteouts for the oracles'
# binaries, so for the command (and only for it) they do not exist; the rest of the machine sees nothing. (/bin and
# /sbin are links to them on Debian 12.) redis-py in target/pydeps is not hidden.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: tests/without-oracles.sh COMMAND..."; exit 2; }
[ "$(id -u)" = 0 ] || { echo "tests/without-oracles.sh: needs root (a mount namespace)"; exit 2; }
hidden=(redis-server redis-cli redis-benchmark redis-check-rdb redis-check-aof redis-sentinel lua5.1 luac5.1
    tmux ip prometheus-redis-exporter podman valkey-server)
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for d in bin sbin; do
    mkdir -p "$scratch/$d/upper" "$scratch/$d/work"
    for b in "${hidden[@]}"; do mknod "$scratch/$d/upper/$b" c 0 0; done   # overlayfs whiteouts
done
export WITHOUT_ORACLES="$scratch"
exec unshare -m bash -c '
    set -e
    mount --make-rprivate /
    for d in bin sbin; do
        mount -t overlay overlay -o "lowerdir=/usr/$d,upperdir=$WITHOUT_ORACLES/$d/upper,workdir=$WITHOUT_ORACLES/$d/work" "/usr/$d"
    done
    for b in redis-server lua5.1 tmux ip; do ! command -v "$b" >/dev/null || { echo "still visible: $b"; exit 1; }; done
    exec "$@"' bash "$@"
