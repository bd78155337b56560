#!/usr/bin/env bash
# `make dist`: release tarballs of the static binaries, with SHA-256 sums, in target/dist/.
#
#   deploy/dist.sh [ARCH...]        ARCH: x86_64, aarch64 (default: the host's, and aarch64 on an x86_64 host)
#
# Each architecture is built by `make static` (musl; the size budget holds for the host's build) into
# target/dist/<arch>-bin, then packed as ferredis-<version>-<triple>.tar.gz:
#
#   ferredis-1.0.0-x86_64-unknown-linux-musl/
#     bin/ferredis-server ferredis-cli ferredis-check-aof ferredis-check-rdb, ferredis-sentinel -> ferredis-server
#     etc/ferredis.conf etc/sentinel.conf  systemd/ferredis.service ferredis-sentinel.service ferredis.sysusers
#     README.md CHANGELOG.md LICENSE THIRD-PARTY.md
#
# The binaries keep their symbols (crash reports name functions from them). A cross build links with the Rust
# toolchain's own rust-lld and strips with its rust-objcopy, so it needs no cross C toolchain; it needs the target's
# musl standard library from rustup (when rustup cannot add it, that architecture is skipped and the script says
# so). Archives are reproducible: sorted names, owner 0, the last commit's time as every file's time.
#
# Every tarball is then checked as a user would see it: unpacked, its binaries statically linked, the server and
# the CLI run from the unpacked tree with nothing else (as root, inside a chroot of that tree: no libc, no Rust),
# the server answering the packaged CLI's PING. A foreign architecture runs under qemu-user-static when
# installed (else its run is skipped, and said).
# DIST_REUSE=1 packs the host's binaries already in target/static (after `make static`) instead of building.
set -euo pipefail
cd "$(dirname "$0")/.."
export RUST_BACKTRACE=0   # a failed `rustup target add` (a nightly without that target) says so in one line

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
host_arch=$(uname -m)
arches=("$@")
if [ ${#arches[@]} = 0 ]; then
    arches=("$host_arch")
    [ "$host_arch" = x86_64 ] && arches+=(aarch64)
fi
out=target/dist
mkdir -p "$out"
rm -f "$out"/ferredis-*.tar.gz "$out/SHA256SUMS"
sysroot=$(rustc --print sysroot)
host_bin="$sysroot/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin"
epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
made=()
skipped=()

build() { # arch -> directory of binaries (prints it), or fails
    local arch=$1 bin="$out/$1-bin"
    if [ "$arch" = "$host_arch" ] && [ "${DIST_REUSE:-0}" = 1 ] && [ -f target/static.build ] \
        && [ -x target/static/ferredis-server ]; then
        rm -rf "$bin"; cp -r target/static "$bin"; cp target/static.build "$bin.build"
        echo "$bin"; return
    fi
    local extra=() budget=()
    if [ "$arch" != "$host_arch" ]; then
        rustup target list --installed | grep -qx "$arch-unknown-linux-musl" \
            || rustup target add "$arch-unknown-linux-musl" >&2 || return 1
        extra=(STATIC_EXTRA_RUSTFLAGS="-C linker=$host_bin/rust-lld -C linker-flavor=ld.lld"
            STATIC_STRIP="env LD_LIBRARY_PATH=$sysroot/lib $host_bin/rust-objcopy --strip-all")
        budget=(STATIC_BUDGET=100000000)   # the budget is the host build's
    fi
    make --no-print-directory static TARGET_TRIPLE="$arch-unknown-linux-gnu" STATIC_OUT="$bin" \
        STATIC_TARGET_DIR=target/dist-build "${extra[@]}" "${budget[@]}" >&2 || return 1
    echo "$bin"
}

run_in() { # arch root /command args... : a packaged binary run as a user would, with nothing but the tree
    local arch=$1 root=$2 cmd=$3; shift 3
    local qemu=""
    if [ "$arch" != "$host_arch" ]; then
        local q
        q=$(command -v "qemu-$arch-static") || return 2
        cp "$q" "$root/qemu"; qemu=/qemu
    fi
    if [ "$(id -u)" = 0 ] && command -v chroot >/dev/null 2>&1; then
        chroot "$root" $qemu "$cmd" "$@"
    else
        env -i ${qemu:+"$root$qemu"} "$root$cmd" "$@"
    fi
}

check() { # arch tarball
    local arch=$1 tgz=$2 tmp
    tmp=$(mktemp -d)
    tar -xzf "$tgz" -C "$tmp"
    local root
    root=$(echo "$tmp"/ferredis-*)
    mkdir -p "$root/tmp"
    for b in ferredis-server ferredis-cli ferredis-check-aof ferredis-check-rdb; do
        # ldd fails on a static binary, so its words are read, not its status.
        grep -Eq "not a dynamic executable|statically linked" <<<"$(ldd "$root/bin/$b" 2>&1 || true)" \
            || { echo "dist: $tgz: bin/$b is not static"; return 1; }
    done
    local v rc=0
    v=$(run_in "$arch" "$root" /bin/ferredis-server --version) || rc=$?
    if [ $rc = 2 ]; then
        echo "dist: $(basename "$tgz"): static binaries; not run (no qemu-$arch-static: apt-get install qemu-user-static)"
        rm -rf "$tmp"; return 0
    fi
    [ $rc = 0 ] && [[ "$v" == "ferredis server v=$version "* ]] || { echo "dist: --version said: $v"; return 1; }
    local port=$((20000 + RANDOM % 20000))
    run_in "$arch" "$root" /bin/ferredis-server --port $port --save '' --dir /tmp --logfile /tmp/log \
        --bind 127.0.0.1 &
    local pid=$! pong=""
    for _ in $(seq 100); do
        pong=$(run_in "$arch" "$root" /bin/ferredis-cli -p $port ping 2>/dev/null) && [ "$pong" = PONG ] && break
        sleep 0.1
    done
    run_in "$arch" "$root" /bin/ferredis-cli -p $port shutdown nosave >/dev/null 2>&1 || kill $pid
    wait $pid || true
    [ "$pong" = PONG ] || { echo "dist: $(basename "$tgz"): the packaged server did not answer PING"; return 1; }
    echo "dist: $(basename "$tgz"): static; ran from the unpacked tree alone$([ "$(id -u)" = 0 ] && echo ' (chroot)')$([ "$arch" != "$host_arch" ] && echo " under qemu-$arch-static"): $v; PING answered"
    rm -rf "$tmp"
}

for arch in "${arches[@]}"; do
    echo "== dist: $arch"
    if ! bin=$(build "$arch"); then
        skipped+=("$arch (its build failed: see above)"); continue
    fi
    triple=$(head -1 "$bin.build")
    name="ferredis-$version-$triple"
    stage="$out/stage/$name"
    rm -rf "$out/stage"; mkdir -p "$stage/bin" "$stage/etc" "$stage/systemd"
    for b in ferredis-server ferredis-cli ferredis-check-aof ferredis-check-rdb; do
        install -m 0755 "$bin/$b" "$stage/bin/$b"
    done
    ln -s ferredis-server "$stage/bin/ferredis-sentinel"
    install -m 0644 ferredis.conf deploy/sentinel/sentinel.conf "$stage/etc/"
    install -m 0644 deploy/systemd/ferredis.service deploy/systemd/ferredis-sentinel.service \
        deploy/systemd/ferredis.sysusers "$stage/systemd/"
    install -m 0644 README.md CHANGELOG.md LICENSE THIRD-PARTY.md "$stage/"
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="@$epoch" -C "$out/stage" -cf - "$name" \
        | gzip -n -9 > "$out/$name.tar.gz"
    rm -rf "$out/stage"
    check "$arch" "$out/$name.tar.gz"
    made+=("$name.tar.gz")
done

[ ${#made[@]} -gt 0 ] || { echo "dist: nothing built"; exit 1; }
(cd "$out" && sha256sum "${made[@]}" > SHA256SUMS && cat SHA256SUMS)
for s in "${skipped[@]+"${skipped[@]}"}"; do echo "dist: skipped $s"; done
echo "dist: $out/"
