# ferredis build, test and benchmark entry points.
#   make run     release build, serve on port 6379 with defaults
#   make test    install what the tests need (Debian redis-server/redis-tools, rustfmt, clippy, redis-py from PyPI
#                into target/pydeps), then
#                fmt check, clippy -D warnings, and every test target (differential tests against redis-server),
#                with check-ports, doc (and, with FUZZ_SMOKE=1, fuzz-smoke) in a third lane beside the test binaries
#   make test-io-threads  every test target with each ferredis server the tests start on `io-threads 4` and
#                `io-threads-do-reads yes` (FERREDIS_EXTRA_ARGS, read by tests/common; IO_THREADS_ARGS overrides)
#   make bench   redis-benchmark + memory comparison against Debian's redis-server (benches/compare.sh), then the
#                persistence rows (benches/persist.sh; alone: make bench-persist), active expiry
#                (benches/expire.sh; make bench-expire), the eviction hit ratios (benches/evict.sh; make bench-evict)
#                the cost of latency tracking (benches/latency_tracking.sh; make bench-latency) and DEBUG
#                POPULATE 1000000 against Redis (benches/populate.sh), then replication (benches/repl.sh: full sync
#                of 1M keys disk/diskless, SET -P 16 with a replica and its lag)
#   make bench-headline  the headline table, ferredis against redis-server in one run (6-14 min): SET/GET throughput
#                and server CPU per request at -P 1/-P 16, memory per key, p99.9/max latency under load and during
#                growth, BGSAVE fork time and copy-on-write, through reduced runs of compare.sh, tail_latency.sh and
#                persist.sh (benches/headline.sh); writes benches/headline.tsv and draws benches/headline.svg
#   make bench-chart  redraws benches/headline.svg from benches/headline.tsv (benches/headline_chart.py, python3 only)
#   make bench-acl  GET/SET at -P 16 as a restricted ACL user vs redis-server with the same user (benches/acl.sh)
#   make bench-scripting  EVALSHA (GET+INCR+EXPIRE) at -P 1/-P 16, a CPU-bound EVAL and SCRIPT LOAD of a 10 KB
#                script vs redis-server (benches/scripting.sh, part of `make bench`)
#   make bench-streams  XADD at -P 1/-P 16, XRANGE COUNT 100, XREADGROUP + XACK from 50 consumers
#                (benches/stream_group.rs), stream memory and RDB save/load of a 1M-entry stream vs redis-server
#                (benches/streams.sh, part of `make bench`)
#   make bench-tracking  GET from 50 clients with CLIENT TRACKING on, and instructions per GET with tracking on/off,
#                vs redis-server (benches/tracking.sh + the benches/tracking_get.rs driver, part of `make bench`)
#   make bench-tail  p50/p99/p99.9/max of a PING prober while the keyspace grows, expires, frees, saves and
#                syncs, vs redis-server (benches/tail_latency.sh + benches/latency_probe.rs, part of `make bench`)
#   make bench-scan  instructions per element a full SCAN/SSCAN/HSCAN/ZSCAN returns, vs redis-server and, with
#                FERREDIS_BASE, an earlier build (benches/scan.sh + the benches/scan_walk.rs driver, part of `make bench`)
#   make bench-hll  PFADD at -P 16 (one dense key; many sparse keys) and PFCOUNT of 3 keys vs redis-server
#                (benches/hll.sh, part of `make bench`)
#   make bench-geo  GEOADD and GEOSEARCH BYRADIUS over 100k members vs redis-server (benches/geo.sh, part of
#                `make bench`)
#   make bench-bitmaps  SETBIT at -P 1/-P 16 and BITCOUNT over a 1 MB string vs redis-server (benches/bitmaps.sh,
#                part of `make bench`)
#   make bench-msetex  MSETEX of 10 keys with EX against MSET of the same keys, server CPU per request at -P 1/-P 16
#                (issue 64's target: at most MSET's plus 10%), redis-server's MSET beside (benches/msetex.sh, part
#                of `make bench`)
#   make bench-lists  memory of a 1M-element list at list-compress-depth 1 and 0, and LPUSH/LINDEX/LRANGE at depth 1
#                vs redis-server (benches/lists.sh, part of `make bench`)
#   make bench-defrag  RSS after a 900k-key churn with activedefrag yes vs a fresh reload, GET/SET latency during
#                the defrag, vs redis-server (benches/defrag.sh, part of `make bench`)
#   make bench-cluster  3 ferredis masters vs 3 redis-server masters: redis-benchmark --cluster SET/GET -P 16 (rps,
#                server CPU per request), master kill to promoted replica serving writes, redis-cli --cluster
#                reshard of 1M keys between two nodes, bytes/key in cluster mode vs standalone (benches/cluster.sh)
#   make bench-io-threads  io-threads 4 vs 1: the main thread's CPU per request (SET/GET, -P 1/-P 16) against the
#                whole server's with one thread, idle CPU with 50 clients, vs redis-server (benches/io_threads.sh, part
#                of `make bench`)
#   make bench-latency  cost of latency-tracking: SET/GET at -P 16 with tracking on vs off, same run
#   make bench-instr  per-request instructions (callgrind) and syscalls (strace) vs redis-server (benches/instr.sh);
#                deterministic, so usable on a loaded machine (needs valgrind and strace)
#   make static  fully static release binaries (ferredis-server, ferredis-cli when the crate has it, the check tools)
#                in target/static/, with their sizes
#   make dist    release tarballs in target/dist/: the static server, CLI, sentinel link and checkers with the
#                configs, units, README, CHANGELOG, LICENSE and THIRD-PARTY.md, for x86_64 and aarch64 (cross-built
#                with the toolchain's rust-lld), and SHA256SUMS; each is unpacked and run alone (deploy/dist.sh)
#   make msrv    builds the library and binaries with Cargo.toml's rust-version (the toolchain added by rustup),
#                so that the declared minimum stays true
#   make install release build, then installs into $(DESTDIR)$(PREFIX) (default /usr/local): bin/ferredis-*
#                (ferredis-sentinel a link to ferredis-server), /etc/ferredis/ferredis.conf and sentinel.conf (existing
#                ones are kept), lib/systemd/system/ferredis.service and ferredis-sentinel.service, and
#                lib/sysusers.d/ferredis.conf. BIN_DIR=dir installs prebuilt binaries from dir instead of building
#                (BIN_DIR=target/static after make static).
#   make conf    regenerates the reference ferredis.conf from the directive table (src/conf_reference.rs)
#   make check-ports  clippy -D warnings for FreeBSD and macOS, where the kqueue backend is compiled, and musl (lib
#                and binaries; PORT_TEST_TARGETS adds the library's unit tests): a type and lint check, those
#                binaries are not run here
#   make doc     the crate docs with private items (the architecture guide), failing on any rustdoc warning
#   make fuzz    every cargo-fuzz target for FUZZ_SECONDS each (needs nightly + cargo-fuzz)
#   make fuzz-smoke  every fuzz target for 5 seconds (CI with nightly; not part of `make test`)

CARGO        ?= cargo
TARGET_TRIPLE ?= x86_64-unknown-linux-gnu
FUZZ_SECONDS ?= 60
# Set FUZZ_SMOKE=1 to add the fuzz smoke run to `make test` (off by default: a sanitizer build is not cheap;
# `.ci/run` sets it where a nightly toolchain exists).
FUZZ_SMOKE   ?= 0
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build release static dist msrv test-banner install conf check-ports doc run test test-tls test-io-threads deps toolchain fmt-check clippy unit bench bench-headline bench-chart bench-persist bench-ordered bench-expire bench-evict bench-latency bench-acl bench-scripting bench-streams bench-tracking bench-scan bench-tail bench-hfe bench-hll bench-geo bench-bitmaps bench-msetex bench-lists bench-defrag bench-cluster bench-io-threads bench-tls bench-instr fuzz fuzz-smoke clean

all: build

build:
	$(CARGO) build

release:
	$(CARGO) build --release

# The binaries `make static` and `make install` ship; ferredis-cli only once the crate has it.
BINARIES     := ferredis-server ferredis-check-aof ferredis-check-rdb ferredis-cli

# Non-PIE (relocation-model=static): a static-pie binary carries ~130 KB of self-relocations and the server does
# not need them; panic=abort (Cargo.toml) drops the unwinding landing pads. Each binary is kept with its symbols
# (crash reports name functions from them) and also stripped to <name>.stripped, for the size.
# Which build (README, Deployment):
#   STATIC_LIBC=musl (default) links musl. With STATIC_BUILD_STD=auto (default) or yes, the standard library is
#     rebuilt from source by nightly cargo (-Z build-std) with the release profile and without std's backtrace
#     symbolizer (our crash report has its own) and with legacy symbol names (nightly mangles as v0, which the
#     crash report's demangler prints only in part) and without panics' source locations (-Z location-detail=none,
#     45 KB; the crash report keeps the panic message and the stack) and with derived Debug printing only the
#     type's name (-Z fmt-debug=shallow, 4 KB: only panic messages of unwrap/expect show it; no reply or log line
#     formats a derived Debug): the server fits STATIC_BUDGET. The recipe adds the nightly
#     pieces it needs (rust-src, the musl target) through rustup; where it cannot, auto falls back to stable's
#     prebuilt musl std (and yes fails), then to glibc. It prints which build it made.
#   STATIC_LIBC=gnu links glibc (0.8 MB more; glibc's malloc and string functions).
# STATIC_INLINE lowers LLVM's inlining threshold (default 225, 250 at -O3) for these builds: at 150 the server was
# 0.23 MB smaller for about 1% more instructions per request and per EVAL; 100 (since geo, HLL, bitmaps, tracking)
# takes another 55 KB off (README, Deployment). STATIC_OPT_LEVEL=s (opt-level "s" for these builds only) took
# 373 KB off with no more instructions per request than opt-level 3 at the same inline threshold (benches/instr.sh,
# static vs static: GET 2354 vs 2344, SET 3043 vs 3031 at -P 1, 0.95-0.97 at -P 16; EVAL loop and DEBUG RELOAD
# 16% fewer instructions).
# The stripped server must fit STATIC_BUDGET bytes; a musl + build-std build over it fails. The budget was 3,000,000
# bytes for Redis 7.0's command set; what came past 7.0 (hash-field expiry, Redis 8's hash commands, WAITAOF,
# Valkey's additions, the change feed) took the server from 2,996,784 to 3,115,568 bytes, and the budget to 3,200,000;
# Sentinel took it to 3,308,080 and the budget to 3,350,000; the rebuild under a new seed as an incremental
# migration took it from 3,349,712 to 3,357,904 and the budget to 3,360,000; the slot index's move log and the
# expire cycle's slices took it to 3,362,000 and the budget to 3,370,000; Redis 8.2's and 8.4's commands (XDELEX,
# XACKDEL and the reference policies; DIGEST with its XXH3, DELEX, MSETEX, SET's IFNE/IFDEQ/IFDNE) and the replica's
# load-failure reports took it to 3,390,672 and the budget to 3,400,000; the built-in JSON type (RedisJSON's commands,
# JSONPath, its RDB records) and RedisBloom's Bloom, Count-Min and Top-K took it to 3,628,240 and the budget to
# 3,640,000; the Cuckoo filter and t-digest, Redis 8.4-8.10's commands (XREADGROUP CLAIM, MAXCOUNT/MAXSIZE, INCREX,
# LMOVEM, SUNIONCARD/SDIFFCARD, AGGREGATE COUNT), Valkey 9's cluster databases and replication over TLS's seams took
# it to 3,734,736 and the budget to 3,750,000; Redis 8.6's idempotent producers (XADD IDMP) and HOTKEYS, TLS for the
# cluster bus, Sentinel, MIGRATE and the CLI's every mode, RedisJSON's JSONPath error reports (its grammar run under
# pest's rules), Valkey 9's CLUSTER FLUSHSLOT and Redis 8's INFO keysizes took it to 3,828,944 and the budget to
# 3,840,000; JSON's compact nodes (thin vectors, inline strings, direct printing) and the filters' batch warm-up
# took it to 3,857,616 and the budget to 3,870,000; BSON input and RedisJSON 1.x's records for JSON, Redis 8's bf
# module configs and the per-command path's inlining took it to 3,910,864 and the budget to 3,930,000; JSON's
# packed documents (the canonical-text scanner, answers from the text) took it from 3,923,152 to 3,935,472 and the
# budget to 3,940,000; Redis 8.6's Cuckoo Heavy Keeper for HOTKEYS, XXH3-128 for IDMPAUTO's iids and the Redis 8
# checks and texts read from its source took it to 3,943,664, and SET's and MSETEX's store path inlined (one step
# for a value and its TTL) to 3,951,856; the budget to 3,955,000 (deploy/README.md says so).
STATIC_LIBC      ?= musl
STATIC_BUILD_STD ?= auto
STATIC_BUDGET    ?= 3955000
STATIC_INLINE    ?= 100
STATIC_OPT_LEVEL ?= s
MUSL_TRIPLE      ?= $(firstword $(subst -, ,$(TARGET_TRIPLE)))-unknown-linux-musl
# Where make static builds (its own directory, so that a static build can run beside the test build: .ci/run starts
# it in the background, and cargo would otherwise make one wait for the other's lock on target/).
STATIC_TARGET_DIR ?= target
# Where the binaries go (deploy/dist.sh builds each architecture into its own), more rustc flags (a cross build's
# linker) and the command that strips (IN OUT; the host's `strip` by default, which knows only the host's format).
STATIC_OUT ?= target/static
STATIC_EXTRA_RUSTFLAGS ?=
STATIC_STRIP ?=
# TLS=1: the binaries with the `tls` feature (rustls with ring, which compiles its C and assembly for the target with
# the C toolchain), and the budget of that build.
TLS ?=
STATIC_FEATURES := $(if $(filter 1 yes,$(TLS)),--features tls,)
STATIC_BUDGET_TLS ?= 4400000
STATIC_BUDGET_USED := $(if $(STATIC_FEATURES),$(STATIC_BUDGET_TLS),$(STATIC_BUDGET))
# ring's C for musl: the cross compiler cc-rs looks for (x86_64-linux-musl-gcc) is rarely installed; musl-gcc
# (Debian's musl-tools) or the host's cc build it as well (its C needs no libc headers).
MUSL_CC_VAR := CC_$(subst -,_,$(MUSL_TRIPLE))
STATIC_CC := $(if $(STATIC_FEATURES),$(MUSL_CC_VAR)='$(or $($(MUSL_CC_VAR)),$(shell command -v musl-gcc 2>/dev/null),cc)',)
STATIC_RUSTFLAGS := -C target-feature=+crt-static -C relocation-model=static -C llvm-args=-inline-threshold=$(STATIC_INLINE)

static:
	@set -e; triple='$(TARGET_TRIPLE)'; toolchain=; zflags=; rustflags='$(STATIC_RUSTFLAGS) $(STATIC_EXTRA_RUSTFLAGS)'; how="glibc"; \
	if [ '$(STATIC_LIBC)' = musl ]; then \
		if [ '$(STATIC_BUILD_STD)' != no ] && rustup run nightly rustc -V >/dev/null 2>&1 \
			&& { rustup +nightly component list --installed 2>/dev/null | grep -q '^rust-src' \
				|| rustup +nightly component add rust-src; } \
			&& { rustup +nightly target list --installed 2>/dev/null | grep -qx '$(MUSL_TRIPLE)' \
				|| rustup +nightly target add '$(MUSL_TRIPLE)'; }; then \
			triple='$(MUSL_TRIPLE)'; toolchain=+nightly; \
			zflags='-Z build-std=std,panic_abort -Z build-std-features=optimize_for_size'; how="musl, std rebuilt (nightly -Z build-std)"; \
			rustflags="$$rustflags -Z unstable-options -C symbol-mangling-version=legacy -Z location-detail=none -Z fmt-debug=shallow"; \
		elif [ '$(STATIC_BUILD_STD)' = yes ]; then \
			echo "make static: STATIC_BUILD_STD=yes needs a nightly toolchain with rust-src and $(MUSL_TRIPLE)"; exit 1; \
		elif rustup target list --installed 2>/dev/null | grep -qx '$(MUSL_TRIPLE)' \
			|| rustup target add '$(MUSL_TRIPLE)'; then \
			triple='$(MUSL_TRIPLE)'; how="musl, prebuilt std (nightly lacks rust-src or the $(MUSL_TRIPLE) target: over the x86_64 size budget)"; \
		else \
			echo "make static: no musl standard library for $(MUSL_TRIPLE): building with glibc"; \
		fi; \
	fi; \
	echo "make static: building for $$triple ($$how)"; \
	echo "RUSTFLAGS='$$rustflags' CARGO_PROFILE_RELEASE_OPT_LEVEL=$(STATIC_OPT_LEVEL) $(CARGO) $$toolchain build --release --target $$triple $$zflags $(STATIC_FEATURES)"; \
	$(STATIC_CC) RUSTFLAGS="$$rustflags" CARGO_PROFILE_RELEASE_OPT_LEVEL=$(STATIC_OPT_LEVEL) CARGO_TARGET_DIR='$(STATIC_TARGET_DIR)' \
		$(CARGO) $$toolchain build --release --target $$triple $$zflags $(STATIC_FEATURES); \
	mkdir -p $(STATIC_OUT); \
	for b in $(BINARIES); do \
		src='$(STATIC_TARGET_DIR)'/$$triple/release/$$b; \
		[ -f $$src ] || { [ $$b != ferredis-server ] && continue; echo "$$src is missing"; exit 1; }; \
		cp $$src $(STATIC_OUT)/$$b; \
		if ldd $(STATIC_OUT)/$$b 2>&1 | grep -Eq "not a dynamic executable|statically linked"; then \
			echo "$(STATIC_OUT)/$$b: $$(ldd $(STATIC_OUT)/$$b 2>&1 | tr -d '\t')"; \
		else \
			echo "$(STATIC_OUT)/$$b is dynamically linked:"; ldd $(STATIC_OUT)/$$b; exit 1; \
		fi; \
		if [ -n '$(STATIC_STRIP)' ]; then $(STATIC_STRIP) $(STATIC_OUT)/$$b $(STATIC_OUT)/$$b.stripped; \
		else strip -o $(STATIC_OUT)/$$b.stripped $(STATIC_OUT)/$$b; fi; \
		echo "size: $$(stat -c %s $(STATIC_OUT)/$$b) bytes (symbols kept for crash reports)," \
			"stripped: $$(stat -c %s $(STATIC_OUT)/$$b.stripped) bytes"; \
	done; \
	size=$$(stat -c %s $(STATIC_OUT)/ferredis-server.stripped); \
	if [ $$size -le $(STATIC_BUDGET_USED) ]; then \
		echo "make static: ferredis-server stripped $$size bytes, within the $(STATIC_BUDGET_USED)-byte budget"; \
	elif [ -n "$$toolchain" ]; then \
		echo "make static: ferredis-server stripped $$size bytes, OVER the $(STATIC_BUDGET_USED)-byte budget"; exit 1; \
	else \
		echo "make static: ferredis-server stripped $$size bytes, over the $(STATIC_BUDGET_USED)-byte budget ($$how)"; \
	fi; \
	printf '%s\n%s\n' "$$triple" "$$how" > $(STATIC_OUT).build; \
	echo "make static: built for $$triple ($$how) in $(STATIC_OUT) (the build is named in $(STATIC_OUT).build)"

# Release tarballs (deploy/dist.sh says what is in them and how each is checked). DIST_ARCHES picks architectures.
DIST_ARCHES ?=
dist:
	deploy/dist.sh $(DIST_ARCHES)

# The oldest Rust that builds what users build (library and binaries; the dev-dependencies may need newer).
MSRV := $(shell sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml)
msrv:
	@if ! rustup run $(MSRV) rustc -V >/dev/null 2>&1 && ! rustup toolchain install $(MSRV) --profile minimal; then \
		echo "msrv: SKIPPED (rustup could not install Rust $(MSRV))"; exit 0; fi; \
	echo "== cargo +$(MSRV) check --lib --bins (Cargo.toml's rust-version)"; \
	CARGO_TARGET_DIR=target/msrv $(CARGO) +$(MSRV) check --locked --lib --bins; rc=$$?; \
	if [ "$(PORTS_CLEAN)" = 1 ]; then rm -rf target/msrv; fi; exit $$rc

# Install layout. The unit goes to $(PREFIX)/lib/systemd/system, the directory systemd reads for locally
# installed software (/usr/local/lib/systemd/system by default); /etc/systemd/system stays the administrator's.
# The unit's ExecStart and config paths are rewritten to BINDIR and SYSCONFDIR when those differ from the
# defaults.
PREFIX       ?= /usr/local
DESTDIR      ?=
BINDIR       ?= $(PREFIX)/bin
SYSCONFDIR   ?= /etc
UNITDIR      ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR  ?= $(PREFIX)/lib/sysusers.d
BIN_DIR      ?=
INSTALL      ?= install

install: $(if $(BIN_DIR),,release)
	@from=$(if $(BIN_DIR),$(BIN_DIR),target/release); \
	$(INSTALL) -d "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(SYSCONFDIR)/ferredis" "$(DESTDIR)$(UNITDIR)" \
		"$(DESTDIR)$(SYSUSERSDIR)" || exit 1; \
	for b in $(BINARIES); do \
		if [ -f "$$from/$$b" ]; then \
			$(INSTALL) -m 0755 "$$from/$$b" "$(DESTDIR)$(BINDIR)/$$b" || exit 1; \
			echo "installed $(DESTDIR)$(BINDIR)/$$b"; \
		elif [ $$b = ferredis-server ]; then echo "$$from/$$b is missing"; exit 1; fi; \
	done; \
	ln -sf ferredis-server "$(DESTDIR)$(BINDIR)/ferredis-sentinel" && \
		echo "installed $(DESTDIR)$(BINDIR)/ferredis-sentinel -> ferredis-server" || exit 1; \
	sconf="$(DESTDIR)$(SYSCONFDIR)/ferredis/sentinel.conf"; \
	if [ -e "$$sconf" ]; then echo "kept the existing $$sconf"; \
	else $(INSTALL) -m 0640 deploy/sentinel/sentinel.conf "$$sconf" && echo "installed $$sconf" || exit 1; fi; \
	conf="$(DESTDIR)$(SYSCONFDIR)/ferredis/ferredis.conf"; \
	if [ -e "$$conf" ]; then \
		echo "kept the existing $$conf (the new reference is ferredis.conf in the source tree)"; \
	else \
		$(INSTALL) -m 0644 ferredis.conf "$$conf" && echo "installed $$conf" || exit 1; \
	fi; \
	sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/etc/ferredis/|$(SYSCONFDIR)/ferredis/|g' \
		deploy/systemd/ferredis.service > "$(DESTDIR)$(UNITDIR)/ferredis.service" && \
		chmod 0644 "$(DESTDIR)$(UNITDIR)/ferredis.service" && \
		echo "installed $(DESTDIR)$(UNITDIR)/ferredis.service" || exit 1; \
	sed -e 's|/usr/local/bin/|$(BINDIR)/|g' -e 's|/etc/ferredis/|$(SYSCONFDIR)/ferredis/|g' \
		deploy/systemd/ferredis-sentinel.service > "$(DESTDIR)$(UNITDIR)/ferredis-sentinel.service" && \
		chmod 0644 "$(DESTDIR)$(UNITDIR)/ferredis-sentinel.service" && \
		echo "installed $(DESTDIR)$(UNITDIR)/ferredis-sentinel.service" || exit 1; \
	$(INSTALL) -m 0644 deploy/systemd/ferredis.sysusers "$(DESTDIR)$(SYSUSERSDIR)/ferredis.conf" && \
		echo "installed $(DESTDIR)$(SYSUSERSDIR)/ferredis.conf" || exit 1; \
	if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null 2>&1; then \
		systemd-sysusers "$(SYSUSERSDIR)/ferredis.conf" || echo "systemd-sysusers failed: create the ferredis user by hand"; \
	fi

# Regenerates ferredis.conf from the directive table (the test compares the two otherwise).
conf:
	FERREDIS_BLESS=1 $(CARGO) test --test operations conf_reference::committed_file_matches_the_generator

# kqueue targets: installs their standard library with rustup when missing. If rustup cannot download it (no
# network), the check is reported as skipped rather than failed: it needs nothing else. The library and the binaries
# are linted for each target, the library's unit tests for the kqueue ones; the integration tests (tests/) start
# Linux processes, run only on Linux, and are linted there by `make clippy`.
PORT_TARGETS ?= x86_64-unknown-freebsd x86_64-apple-darwin x86_64-unknown-linux-musl
# Targets whose library unit tests are linted too: none by default. The unit tests are platform-neutral (the
# poller's use only its trait), and linting them for another target compiles every dev-dependency for it: 2-3
# minutes of CI a target for no code of its own. `make check-ports PORT_TEST_TARGETS=x86_64-unknown-freebsd` does it.
PORT_TEST_TARGETS ?=
check-ports:
	@status=0; for t in $(PORT_TARGETS); do \
		if ! rustup target list --installed 2>/dev/null | grep -qx "$$t" && ! rustup target add "$$t"; then \
			echo "check-ports: SKIPPED $$t (rustup could not install its standard library)"; continue; \
		fi; \
		echo "== cargo clippy --target $$t"; \
		$(CARGO) clippy --target "$$t" --lib --bins -- -D warnings || status=1; \
		case " $(PORT_TEST_TARGETS) " in *" $$t "*) \
			$(CARGO) clippy --target "$$t" --lib --profile test -- -D warnings || status=1 ;; esac; \
		if [ "$(PORTS_CLEAN)" = 1 ]; then rm -rf "target/$$t"; fi; \
	done; exit $$status

# The crate docs, private items included: the architecture guide (src/lib.rs and every module's header). Fails on
# any rustdoc warning (a broken link, text read as HTML), so the rendered guide stays whole. Opens nothing: the
# pages are in target/doc/ferredis/index.html.
doc:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --lib --document-private-items

# make run ARGS='--port 7000 --appendonly yes' passes ARGS to the server (a config file path first, as redis-server).
# The port already taken (a system Redis on 6379, say) is said before the build, not after it (unless a config
# file, which may set another port, comes first).
ARGS ?=
run:
	@port=$$(printf '%s\n' $(ARGS) | awk 'NR == 1 && !/^-/ {exit} p {print; exit} $$0 == "--port" {p = 1}'); \
	case "$(firstword $(ARGS))" in ""|-*) port=$${port:-6379} ;; esac; \
	if [ -n "$$port" ] && command -v ss >/dev/null 2>&1 && ss -Hltn "sport = :$$port" 2>/dev/null | grep -q .; then \
		echo "make run: port $$port is taken ($$(ss -Hltnp "sport = :$$port" 2>/dev/null | grep -o 'users:.*' | head -1));"; \
		echo "          stop that server (a Debian redis-server: sudo systemctl disable --now redis-server) or"; \
		echo "          run on another port: make run ARGS='--port 7000'"; exit 1; \
	fi
	$(MAKE) --no-print-directory release
	./target/release/ferredis-server $(ARGS)

# What the tests compare against (Debian's redis-server and tools, lua5.1, iproute2, tmux, the Prometheus exporter,
# redis-py into target/pydeps), installed only when missing, with their services neither started nor enabled:
# tests/deps.sh says what it installs before it does. FERREDIS_NO_INSTALL=1 installs nothing (tests whose oracle is
# missing print `skipped: ...`).
deps:
	@tests/deps.sh

toolchain:
	@$(CARGO) fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@$(CARGO) clippy --version >/dev/null 2>&1 || rustup component add clippy

fmt-check: toolchain
	$(CARGO) fmt --all -- --check

clippy: toolchain
	$(CARGO) clippy --all-targets -- -D warnings

unit:
	$(CARGO) test --all-targets --no-fail-fast
	$(CARGO) test --doc

# Every step runs even if an earlier one fails (CI reads all of cargo test's summary lines); the exit status is
# non-zero if any step failed.
# The test binaries run two at a time (tests/run-binaries.sh says how and why); each step prints its time.
# TEST_EXTRA: more make targets for the third lane, before the cross-platform checks (.ci/run: test-tls).
# The last lines name every failed step and failing test (a CI log is often read from its tail).
test: test-banner deps toolchain
	@status=0; failed=""; t0=$$(date +%s); t=$$t0; \
	export FAILED_TESTS_FILE=$$(mktemp); \
	took() { echo "== $$1 took $$(($$(date +%s) - t))s"; t=$$(date +%s); }; \
	fail() { status=1; failed="$$failed $$1"; }; \
	echo "== cargo fmt --check"; $(CARGO) fmt --all -- --check || fail fmt; took "fmt"; \
	echo "== cargo clippy"; $(CARGO) clippy --all-targets -- -D warnings || fail clippy; took "clippy"; \
	extra="$(TEST_EXTRA) check-ports doc msrv"; if [ "$(FUZZ_SMOKE)" = 1 ]; then extra="$$extra fuzz-smoke"; fi; \
	echo "== cargo test (and make $$extra beside it)"; \
	EXTRA_TARGETS="$$extra" MAKE="$(MAKE)" tests/run-binaries.sh || fail "test-binaries"; \
	took "the test binaries and make $$extra"; \
	$(CARGO) test --doc || fail doc-tests; took "doc tests"; \
	echo "== make test took $$(($$(date +%s) - t0))s"; \
	if [ $$status != 0 ]; then echo "make test: FAILED:$$failed"; cat "$$FAILED_TESTS_FILE"; fi; \
	rm -f "$$FAILED_TESTS_FILE"; \
	exit $$status

test-banner:
	@echo "make test: installs what is missing (tests/deps.sh: Debian packages with apt-get, redis-py into"
	@echo "  target/pydeps; rustfmt, clippy, the cross-check targets and Rust 1.83 with rustup), then builds into"
	@echo "  target/ (2.6 GB) and runs fmt, clippy, the docs, the MSRV check and every test binary (about 13"
	@echo "  minutes on 2 cores). Its test servers use free ports, never 6379."

# The TLS build (the `tls` feature; make test covers the default build): clippy with the feature, the TLS unit tests
# and tests/tls.rs (redis-cli and redis-benchmark over TLS, mutual TLS, CONFIG SET reloads). It builds in its own
# target directory (TLS_TARGET_DIR), so that target/debug/ferredis-server, which the default build's tests start,
# is never swapped for the TLS build while they run: .ci/run runs it as make test's third lane (TEST_EXTRA).
TLS_TARGET_DIR ?= target/tls
test-tls: deps toolchain
	@export CARGO_TARGET_DIR=$(TLS_TARGET_DIR); rc=0; \
	$(CARGO) clippy --lib --features tls -- -D warnings || rc=1; \
	$(CARGO) test --features tls --lib net::tls || rc=1; \
	$(CARGO) test --features tls --test tls || rc=1; \
	if [ "$(PORTS_CLEAN)" = 1 ]; then rm -rf $(TLS_TARGET_DIR); fi; exit $$rc

# The whole test suite again with threaded I/O on every ferredis server.
IO_THREADS_ARGS ?= --io-threads 4 --io-threads-do-reads yes
test-io-threads: deps
	FERREDIS_EXTRA_ARGS="$(IO_THREADS_ARGS)" $(CARGO) test --all-targets --no-fail-fast

bench: deps
	benches/compare.sh
	SKIP_BUILD=1 benches/persist.sh
	SKIP_BUILD=1 benches/expire.sh
	SKIP_BUILD=1 benches/evict.sh
	SKIP_BUILD=1 benches/latency_tracking.sh
	SKIP_BUILD=1 benches/acl.sh
	SKIP_BUILD=1 benches/populate.sh
	SKIP_BUILD=1 benches/repl.sh
	SKIP_BUILD=1 benches/scripting.sh
	SKIP_BUILD=1 benches/ordered.sh
	SKIP_BUILD=1 benches/streams.sh
	SKIP_BUILD=1 benches/tracking.sh
	SKIP_BUILD=1 benches/hll.sh
	SKIP_BUILD=1 benches/geo.sh
	SKIP_BUILD=1 benches/bitmaps.sh
	SKIP_BUILD=1 benches/msetex.sh
	SKIP_BUILD=1 benches/lists.sh
	SKIP_BUILD=1 benches/defrag.sh
	SKIP_BUILD=1 benches/io_threads.sh
	SKIP_BUILD=1 benches/scan.sh
	SKIP_BUILD=1 benches/tail_latency.sh

# The headline table and its chart (benches/README.md's first table): benches/headline.sh.
bench-headline: deps
	benches/headline.sh

# The chart of the headline table's ratios, from the committed results: benches/headline_chart.py.
bench-chart:
	python3 benches/headline_chart.py benches/headline.tsv benches/headline.svg

# Active expiry effectiveness only (1M keys, a quarter with a short TTL): benches/expire.sh.
bench-expire: deps release
	SKIP_BUILD=1 benches/expire.sh

# Eviction hit ratio (allkeys-lfu / allkeys-lru on a Zipf trace) against redis-server: benches/evict.sh.
bench-evict: deps
	benches/evict.sh

# Persistence rows only (AOF write throughput, BGSAVE, start-up loads, rewrite RSS): benches/persist.sh.
bench-persist: deps
	benches/persist.sh

# Inserts in another table's order and reloads of 2M keys against redis-server: benches/ordered.sh.
bench-ordered: deps
	benches/ordered.sh

# GET/SET at -P 16 as a restricted ACL user against redis-server with the same user: benches/acl.sh.
bench-acl: deps
	benches/acl.sh

# Scripting against redis-server: EVALSHA at -P 1/-P 16, a CPU-bound EVAL, SCRIPT LOAD of a 10 KB
# script: benches/scripting.sh (prints a markdown table).
bench-scripting: deps
	benches/scripting.sh

# Streams against redis-server: XADD at -P 1/-P 16, XRANGE COUNT 100, XREADGROUP + XACK from 50
# consumers (the benches/stream_group.rs driver), memory of stream datasets, RDB SAVE/DEBUG RELOAD of a 1M-entry
# stream: benches/streams.sh (prints a markdown table).
bench-streams: deps
	benches/streams.sh

# Client-side caching against redis-server: GET from 50 RESP3 clients with CLIENT TRACKING on (the
# benches/tracking_get.rs driver), throughput and server CPU per request, and callgrind instructions per GET with
# tracking off and on: benches/tracking.sh (prints a markdown table).
bench-tracking: deps
	benches/tracking.sh

# Tail latency against redis-server: a PING prober on its own connection (benches/latency_probe.rs)
# through growth to 10M keys, P1/P16 SET/GET, mass expiry, FLUSHALL ASYNC, UNLINK of a big set, BGSAVE,
# BGREWRITEAOF and a replica's full sync: benches/tail_latency.sh (SCENARIOS=..., SCALE=20 for a smoke run).
bench-tail: deps
	benches/tail_latency.sh

# Hash-field expiry against Redis 7.4.1 built from source (REDIS74=<its redis-server>; skipped without it): memory
# per field, CPU per request of HPEXPIRE and HGET, a PING prober while a million fields expire.
bench-hfe: deps
	benches/hash_field_expiry.sh

# SCAN-family instructions per returned element against redis-server (FERREDIS_BASE=<earlier build> adds
# a column for it): benches/scan.sh + the benches/scan_walk.rs driver (prints a markdown table).
bench-scan: deps
	benches/scan.sh

# Compressed lists: memory and throughput at list-compress-depth 1 (benches/lists.sh).
bench-lists: deps
	benches/lists.sh

# HyperLogLog throughput only: benches/hll.sh.
bench-hll: deps
	benches/hll.sh

# Geo commands against redis-server: GEOADD and GEOSEARCH BYRADIUS over 100k members: benches/geo.sh.
bench-geo: deps
	benches/geo.sh

# Bitmaps against redis-server: SETBIT at -P 1/-P 16 and BITCOUNT (whole, and with unaligned BIT
# edges) over a 1 MB string: benches/bitmaps.sh (prints a markdown table).
bench-bitmaps: deps
	benches/bitmaps.sh

# MSETEX of 10 keys with EX against MSET, server CPU per request: benches/msetex.sh.
bench-msetex: deps
	benches/msetex.sh

# Memory after churn with activedefrag, and GET/SET latency during it, vs redis-server: benches/defrag.sh.
bench-defrag: deps
	benches/defrag.sh

# Redis Cluster against redis-server clusters: benches/cluster.sh.
bench-cluster: deps
	benches/cluster.sh

# Threaded I/O: main-thread and whole-server CPU per request with io-threads 1 and 4, SET/GET at -P 1/-P 16,
# and idle CPU with io-threads 4, vs redis-server: benches/io_threads.sh (prints markdown tables).
bench-io-threads: deps
	benches/io_threads.sh

# TLS (the tls build) against Redis 7.0.15 with TLS: CPU per request at -P 16, throughput at -P 1.
bench-tls: deps
	benches/tls.sh

# latency-tracking on vs off: benches/latency_tracking.sh.
bench-latency: deps
	benches/latency_tracking.sh

# A replica's diskless load cut by its master: time to the next load against redis-server: benches/repl_reconnect.sh.
.PHONY: bench-repl-reconnect
bench-repl-reconnect: deps
	benches/repl_reconnect.sh

bench-instr: deps release
	@command -v valgrind >/dev/null 2>&1 && command -v strace >/dev/null 2>&1 || \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y valgrind strace
	benches/instr.sh

fuzz:
	@if [ ! -d fuzz ]; then echo "no fuzz/ directory in this checkout"; exit 1; fi
	@for t in $$(cd fuzz && $(CARGO) +nightly fuzz list); do \
		case $$t in \
			parse_whole|parse_chunked|inline|aof_reader) dict=resp ;; \
			server_commands) dict=commands ;; \
			config_file) dict=config ;; \
			lua_compile|lua_run) dict=lua ;; \
			*) dict= ;; \
		esac; \
		if [ $$t = lua_run ]; then fuzz/seed-lua.sh tests/lua fuzz/corpus/lua_run || exit 1; fi; \
		echo "== fuzz $$t for $(FUZZ_SECONDS)s$${dict:+ (dictionary fuzz/dict/$$dict.dict)}"; \
		(cd fuzz && $(CARGO) +nightly fuzz run $(FUZZ_FLAGS) $$t -- -max_total_time=$(FUZZ_SECONDS) \
			$${dict:+-dict=$(CURDIR)/fuzz/dict/$$dict.dict}) || exit 1; \
	done

# The smoke run builds the targets in the dev profile (still with AddressSanitizer and overflow checks): for five
# seconds a target, the optimized build cost several times what it bought.
fuzz-smoke:
	$(MAKE) fuzz FUZZ_SECONDS=5 FUZZ_FLAGS=--dev

clean:
	$(CARGO) clean
	rm -rf bench-results
