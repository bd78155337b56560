//! ferredis: a Redis-compatible in-memory data server, with Redis 7.0 as its specification.
//!
//! This is the architecture, written for someone who wants to learn how a Redis-class server is built by reading
//! one. Running and configuring the server is in `README.md`, the tests in `tests/README.md`, the benchmarks in
//! `benches/README.md`, deployment in `deploy/README.md`. Each module's own header says what it holds, its
//! invariants and how it is tested; this page says how they fit together.
//!
//! # Threads and processes
//!
//! One thread, the main thread, runs every command, the cron and every change to the dataset, on a hand-rolled
//! event loop ([`event_loop`], Redis's `ae.c`) over a readiness poller ([`sys`]: epoll on Linux, kqueue on
//! BSD/macOS), with no async runtime. Other threads only take work off it and never touch the dataset while a
//! command runs:
//!
//! - `io_thd_<i>` (`io-threads` above 1): socket reads, parsing and reply writes of plain request/reply clients
//!   ([`net`]'s `io_loops` and `io_threads`; the main thread's side is `server/io_home.rs`);
//! - `bio_lazy_free`: freeing big values, flushed databases and old Lua states ([`keyspace::lazyfree`]);
//! - `aof-fsync`: the AOF's `appendfsync everysec` fsync ([`persist::aof::writer`]);
//! - `release`: unmapping big freed blocks, such as a rehashed table's old array ([`alloc`]).
//!
//! Forked children write snapshots (BGSAVE, a diskless full sync), AOF rewrites and host a Lua debugging session
//! (`SCRIPT DEBUG YES`), from their copy-on-write view of the dataset, as Redis does.
//!
//! # The request path
//!
//! 1. **Read.** A readable client socket is read straight into that client's query buffer ([`net::ring`]), a byte
//!    queue whose unread bytes are always contiguous (the tail moves to the front, rarely, instead of wrapping).
//! 2. **Parse.** [`resp::parse`] is a resumable, zero-copy parser for RESP multibulk and inline requests: it keeps its
//!    progress between reads, so a request arriving byte by byte is scanned once, and it returns argument spans
//!    into the query buffer. With I/O threads, steps 1, 2 and 7 run on the thread that owns the connection.
//! 3. **Look up.** [`CommandTable::resolve`](crate::command_spec::CommandTable::resolve) ([`command_spec`]) finds the
//!    table entry: name, arity, flags, key specs, ACL categories and handler.
//! 4. **Admit.** [`admission`] runs Redis's `processCommand` checks in one sequence (arity, authentication, ACL,
//!    cluster redirection, OOM, MISCONF, replica and loading rules...), then CLIENT PAUSE and MULTI queueing.
//! 5. **Execute.** The handler gets a [`Ctx`](crate::command::Ctx) (the calling client and the server state, behind
//!    views: see below) and the zero-copy [`Args`](crate::args::Args). Lookups go through [`keyspace::db::Db`] (lazy
//!    expiry) over [`keyspace::dict::Dict`], an open-addressing table with incremental rehashing whose entries
//!    ([`keyspace::object::Entry`]) pack header, key, TTL and value into one slab chunk. A lookup is handed what it
//!    needs besides the key, a [`keyspace::db::LookupClock`] (the command's time, lazy expiry's mode, the keyspace
//!    events to record), which [`ServerState::lookup_clock`](crate::state::ServerState::lookup_clock) builds from the
//!    state's fields (`lazy_expiry`, set by `call_with` before each command; `db_events`): the keyspace reads no global
//!    to decide whether a due key is deleted, hidden or live. [`Db`](crate::keyspace::db::Db)'s table is private to
//!    [`keyspace`]: iterating, sampling, scanning and bulk loading are [`Db`](crate::keyspace::db::Db) methods (Redis's
//!    `dbIterator`, `dictGetSomeKeys`, `dictScan`, `dbAdd`), so the TTL count, the slot index and the field-expiry
//!    index see every change; debug builds check them
//!    ([`Db::check_invariants`](crate::keyspace::db::Db::check_invariants)).
//! 6. **Reply.** Handlers write typed replies into the client's output through [`resp::reply::Reply`], which
//!    encodes RESP2 or RESP3 as the client's `HELLO` chose.
//! 7. **Write.** Before the loop sleeps, pending replies are written straight to their sockets; a client whose
//!    write would block gets write interest on the poller. Pub/sub messages wait a little longer (up to 500 µs, or
//!    until the loop is about to block) so that one write carries many.
//! 8. **Cron and wait.** Periodic work (active expiry, incremental rehashing, client timeouts, the replication
//!    cron) runs from the cron timer `hz` times a second, each step time-boxed, and the cluster bus from its own
//!    100 ms timer; before blocking in the poller the loop polls without blocking for a short adaptive window when
//!    the last waits were short (`busy-poll-us`).
//!
//! # The call path and the doors
//!
//! Every command, whoever sends it, runs through one funnel (`server/call.rs`), and every change to the dataset is
//! reported through one of two doors. Everything that must follow a change (WATCH, blocked clients, client-side
//! caching) hangs off these places and nothing else.
//!
//! ```text
//!  client / master stream / AOF load / handler harness ──▶ Server::call_checked: admission::admit(Client)
//!        ─▶ CLIENT PAUSE, MULTI queueing (EXEC: each queued command, ACL again) ─▶ call ─▶ call_with(Call)
//!  redis.call / FCALL's calls ──▶ scripting::call::script_call: admission::admit(Script) ─▶ call_with(Call)
//!  blocked client served for a ready key ──────────────────────────────────────────────▶ call_with(Served)
//!    call_with: expire mode ─ handler ─ CLIENT UNBLOCK requests ─ expired keys ─ propagation ─ keyspace events
//!               ─ errors ─ commandstats/latency/slowlog/MONITOR (Call) or Redis's updateStatsOnUnblock (Served)
//!  timeout / CLIENT UNBLOCK ──▶ the server's unblock (key waits and WAIT alike)
//!
//!  a handler changed key k ──▶ its KeyWrite settled:       ──┐
//!                              Ctx::changed(w, n) / settle   │
//!  expired / evicted key k ──▶ Db's deletion log ─▶ drain ───┤
//!  the server's own writes ──▶ hash fields expired, a lost   │
//!                              slot's keys, events stream ───┴▶ ServerState::key_changed: dirty += n, WATCH of k,
//!                              (count_changes(n): not a key's)  clients blocked on k, tracking invalidation
//!  whole databases ──────────▶ ServerState::empty_data(db | all, Sync | Lazy | Refill): FLUSHDB, FLUSHALL,
//!                              DEBUG RELOAD/LOADAOF, a full sync;  swap_dbs (SWAPDB);  replace_dbs (swapdb
//!                              load);  install_loaded_dbs (a load into emptied databases: no WATCH, as Redis)
//!  any insert or remove ─────▶ Db::insert*/remove/clear/take_keys/swap_data: the cluster slot index
//!                              (and the keyspace dict's move log, which the index drains at those doors)
//! ```
//!
//! - **Admission** is one check sequence for both origins, a client's command (Redis's `processCommand`) and a
//!   script's call (`scriptCall`, the same checks with the script's own order, texts and exemptions as flags);
//!   refusals are counted in one place.
//! - **One propagation path.** `call_with` compares `dirty` before and after the handler; a handler that must be
//!   replayed in another form asks through its [`Ctx`](crate::command::Ctx)'s propagation view (`ctx.propagation()`:
//!   `rewrite`, `also`, `prevent`, `force`), and [`propagate`] turns one execution unit into one command or a MULTI …
//!   EXEC block, for the AOF and the replication stream alike. Expired and evicted keys become DEL/UNLINK there,
//!   through [`state::notify::drain_queues`], run after every command and cycle: the one drain of what the databases
//!   queue (freed values, deletions, keyspace events), whose order is written there. Nothing is recorded while no
//!   consumer exists, so a server without AOF or replicas pays a branch.
//! - **Handlers do not write `dirty`, the WATCH table or the blocking registry themselves**: they report through the
//!   doors. A handler has no mutable access to a whole database. It reads a key through one lookup,
//!   [`Ctx::lookup`](crate::command::Ctx::lookup), whose [`Access`](crate::command::Access) says what the lookup does
//!   besides finding the key (lazy expiry, LRU/LFU touch, hit/miss counting, tracking: Redis's `LOOKUP_*` flags, tabled
//!   in `command/context/access.rs`), and which hands out shared references only; it changes a key through a
//!   [`KeyWrite`](crate::command::KeyWrite) handle ([`command::door`]: the write lookups lend the value mutably beside
//!   it, and `ctx.door(&w)` holds the operations on its key) that must be settled
//!   ([`Ctx::changed`](crate::command::Ctx::changed), [`Ctx::settle`](crate::command::Ctx::settle)) or declared
//!   untouched before it is dropped, which debug builds check at run time. Keyspace events are not part of a door: each
//!   command names its own ([`Ctx::notify`](crate::command::Ctx::notify)), in the order Redis emits them (`expired` and
//!   `new` come from [`Db`](crate::keyspace::db::Db)'s event log, `evicted` from eviction).
//! - **A handler sees the server through views.** [`Ctx`](crate::command::Ctx)'s client and server state are private to
//!   `command::context`; a handler calls named views as narrow as its use (`reply`, `client`, `lookup`, `config`,
//!   `now_ms`, `settings`, `propagation`, ...), all inlined field borrows (an accessor `x()` lends `&`, `x_mut()`
//!   `&mut`). The families that act on the server as a whole (CONFIG, DEBUG, CLIENT, INFO, replication, CLUSTER, ...)
//!   take the one whole-server view, [`Ctx::server`](crate::command::Ctx::server) /
//!   [`Ctx::server_mut`](crate::command::Ctx::server_mut) (and `client_and_server`); every other file of `command/`
//!   (the data types, keys and FLUSHALL/SWAPDB, SCRIPT and FUNCTION, CLIENT UNBLOCK, LATENCY) never does:
//!   `tests/layers.rs` lists the families that may, with why, so a reshaping of
//!   [`ServerState`](crate::state::ServerState) does not reach the rest.
//! - **The handler harness** (`command::test_support`, built for tests and the `test-harness` feature) runs commands
//!   through a server without sockets (`server/detached.rs`), the same call path as a client's.
//!
//! # Layers
//!
//! ```text
//!  ┌──────────────────────────────────────────────────────────────────────────────────────────────────────┐
//!  │ server   server/mod.rs + server/<part>.rs: the loop's handler; start-up (startup), the connections   │
//!  │          (clients), the cron (cron), the call path (call) and each feature's I/O (acl, aof,          │
//!  │          blocking, cluster, detached, io_home, persist, prefetch, scripting, sentinel, shutdown,     │
//!  │          tx_pause); it lends the features in state/ the event loop through state::host::Host         │
//!  ├──────────────────────────────────────────────────────────────────────────────────────────────────────┤
//!  │ funnel   admission: what a command must pass, for clients and for redis.call                         │
//!  ├──────────────────────────────────────────────────────────────────────────────────────────────────────┤
//!  │ command  command/<family>.rs: the handlers; command/mod.rs: the table; command/context/: Ctx and     │
//!  │          its views; command/context/door/: the single-key door                                       │
//!  ├──────────────────────────────────────────────────────────────────────────────────────────────────────┤
//!  │ state    state/mod.rs: ServerState (the whole-database door, ServerState::key_changed);              │
//!  │          state/<feature>/: a feature whose operations need the whole state, in one folder: the       │
//!  │          operations in mod.rs, its data in files below them (repl, tracking, evict, expire, defrag,  │
//!  │          hotkeys); state/<service>.rs: whole-state operations of a service below (notify, pubsub,    │
//!  │          cluster, sentinel)                                                                          │
//!  ├──────────────────────────────────────────────────────────────────────────────────────────────────────┤
//!  │ services net (client, its socket steps, output limits, I/O threads, TLS), pubsub, blocking, multi,   │
//!  │          propagate, persist, cluster, sentinel, scripting, crash_report: each one's data and the     │
//!  │          functions that need only it                                                                 │
//!  ├──────────────────────────────────────────────────────────────────────────────────────────────────────┤
//!  │ keyspace keyspace::{db, keysizes, lazyfree, slots, hash_slot} ─▶ {object, types, thin} ─▶ dict       │
//!  ├──────────────────────────────────────────────────────────────────────────────────────────────────────┤
//!  │ rules    resp, net::ring, command_spec, config, conf_reference, acl, proctitle, oom, env_password    │
//!  ├──────────────────────────────────────────────────────────────────────────────────────────────────────┤
//!  │ base     sys, util, alloc (and its slab), log, latency, lzf, sha1, sha256, xxh3, args, supervise,    │
//!  │          event_loop, lua (knows no server)                                                           │
//!  └──────────────────────────────────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! The direction is down. A service keeps its data (what [`ServerState`](crate::state::ServerState) holds) and the
//! functions that need only that data; a function that needs the whole state (publishing to other clients, evicting
//! keys, expiring them) is an operation in the state layer, above every service, so no service names
//! [`ServerState`](crate::state::ServerState) and the state can hold their data without a cycle. A feature that is
//! mostly such operations lives whole in the state layer, as a folder (`state/repl/`, `state/tracking/`,
//! `state/evict/`): its operations in the folder's `mod.rs`, its data in files below them that import nothing of
//! `state/mod.rs`. See "Where each feature lives" below. Where a lower layer must make an upper one act, it records the
//! fact and the upper one drains it (the databases' `events` log for `expired` and `new` notifications; the dirty keys
//! for tracking and WATCH).
//!
//! `tests/layers.rs` holds the code to this:
//!
//! - it builds the file-to-file import graph of the whole crate (every `crate::`, `super::`, `self::` and `use`
//!   path in code, followed through `pub use` to the file that defines the name), places each file in one of the
//!   bands above (`BANDS`), and fails on an import from a lower band to a higher one that its `UPWARD` list does
//!   not name, on an `UPWARD` entry that no longer exists (the list only shrinks), and on an import cycle of more
//!   files than `MAX_CYCLE`. Run `cargo test --test layers -- --nocapture the_import` to see the cycles and the
//!   upward imports;
//! - the keyspace's data structures and the base (`sys`, `resp`, `net/ring.rs`, `keyspace/{dict, object.rs,
//!   types, db.rs, keysizes.rs, lazyfree.rs, slots.rs, hash_slot.rs}`) never name `command`, `server`, `state`, `scripting`,
//!   `acl`, `persist`, `config`, `admission`, `blocking`, `multi`, `propagate` or `pubsub`, not even in a doc
//!   link;
//! - [`command_spec`] names nothing of the crate but [`args`] and [`util`], and the layers below the handlers read it,
//!   never [`command`]; a data-type family (string, list, hash, set, zset, sort, stream, bitmap, hll, geo) reaches the
//!   server only through [`Ctx`](crate::command::Ctx)'s narrow views, never its whole-server view
//!   ([`Ctx::server`](crate::command::Ctx::server));
//! - [`config`] names none of the layers that read it: the owners of a directive's rules check it through a trait the
//!   configuration declares ([`UserDirectives`](crate::config::UserDirectives), implemented by [`acl`];
//!   [`TitleTemplates`](crate::config::TitleTemplates), by [`proctitle`]), and a bad value is still refused at its line
//!   with Redis's text.
//! - no source file passes 1,500 lines, and no function 100 but those its `LONG_FUNCTIONS` list names, each group
//!   with why (hot loops, ports of one C function, flat tables, model-walking property tests).
//!
//! `redis.call` reaches admission through the host
//! ([`ScriptHost::call_command`](crate::scripting::ScriptHost::call_command), implemented by the server), so scripting
//! never names admission; nor does it name the server state: the host hands a script the parts it touches (its
//! scripting state, the function libraries, the configuration, the ACL users, the clock) and the conditions a run is
//! refused under ([`scripting::run::Conditions`]: stale or read-only replica, too few replicas, a failed save, over
//! `maxmemory`), gathered from [`ServerState`](crate::state::ServerState) methods. The data a state operation keeps
//! between calls (the expire cycle's position, the defragmenter's progress) lives in a file of its own below the
//! operation (`state/expire/cycle.rs`, `state/defrag/progress.rs`), so no import cycle runs through `state/mod.rs` (the
//! test asserts it). Unit tests that drive a whole server through the handler harness live in the tested module's
//! folder as `tests.rs`, so the production file does not import the server (`tests/README.md`, "Where a test goes").
//! What does not hold yet (the `UPWARD` list names each import): the handler harness itself builds a whole server. The
//! client holds the per-client data of the services that act on clients (its subscriptions, tracking settings, commands
//! parsed ahead) as plain fields or types from leaves below it that name nothing of the client (`net/client/`), so `pubsub`,
//! [`state::tracking`], client eviction and the I/O threads import the client one way. The cycles left are families
//! whose files name each other (the collection types, the Lua compiler: at most 8 files).
//!
//! **Where a change belongs.** A new command is a handler in `command/<family>.rs` plus its table entry; a new kind of
//! key change reports through a settled [`KeyWrite`](crate::command::KeyWrite) (one key, [`command::door`]) or
//! [`ServerState::empty_data`](crate::state::ServerState::empty_data)/`swap_dbs` (whole databases), and whatever must
//! follow every key change goes into [`ServerState::key_changed`](crate::state::ServerState::key_changed); a new
//! admission rule goes into [`admission`]; a feature's model, its commands and its event-loop side are `state/<feature>/` (through
//! [`state::host::Host`] for what the loop lends), with its table rows in `command/<feature>.rs`.
//!
//! # Where each feature lives
//!
//! A reader looking for a feature finds it in one folder, as Redis has `replication.c`, `tracking.c` and `evict.c`.
//! The folder sits in `state/` and its imports point down: where a feature's work needs the event loop (sockets,
//! forks, serving clients during a load), it asks through [`state::host::Host`], the list of what the loop lends a
//! feature, which the server implements (as [`scripting::ScriptHost`] lends scripts the call path); where its
//! handlers need the client and the server, the command table's row lends them (`command/<family>.rs` keeps every
//! command's row: name, arity, flags, docs). The folder so never names the layers above it, and the layers above
//! name it one way.
//!
//! | feature | its folder | table rows | what the server calls |
//! |---|---|---|---|
//! | replication | [`state::repl`]: IDs, offsets, the backlog, the replicas fed, the replica's link, FAILOVER, the commands ([`state::repl::commands`]), the event-loop side ([`state::repl::link`]: full syncs, the link, the cron) and loading a payload ([`state::repl::load`]) | `command/repl.rs` | `ReplLink`'s methods after commands, on link events, in the cron |
//! | client-side caching | [`state::tracking`]: the tracker, its table, delivery | CLIENT TRACKING & co. in `command/connection.rs` (Redis: `networking.c`) | before-sleep and cron calls in `server/` |
//! | eviction | [`state::evict`]: `maxmemory` (the pool, the touch, the runs) and `maxmemory-clients` | (none; OOM is an admission rule) | the timer and before-sleep calls in `server/` |
//! | active expiry | [`state::expire`] | EXPIRE & co. in `command/keys/` | the cron |
//! | hot-key tracking (HOTKEYS) | [`state::hotkeys`]: the session, its top-K sketches, what a call adds | `command/hotkeys.rs` | one call after each command in `server/call.rs` |
//! | output-buffer limits | [`net::output_limit`], every client class | | after each command and write, the cron |
//!
//! What each client keeps for a feature (its tracking settings, subscriptions, client-eviction record) is part
//! of the client (`net/client/`: plain fields, or a leaf type that names nothing of the client), below the folder
//! that acts on it, so the folder imports the client one way.
//!
//! # Design choices worth knowing
//!
//! Each is explained where it lives; these are the ones that shape more than one module.
//!
//! - **Memory layout.** A key is one slab chunk (header with type, encoding and 24-bit LRU/LFU; flags; the TTL when
//!   there is one; key; value, small values inline): there is no expires table ([`keyspace::object`],
//!   [`alloc::slab`]). The table is open addressing with linear probing, one control byte per slot, sizes
//!   alternating ×1.5 and ×4/3, and a SCAN cursor that is the next hash to visit ([`keyspace::dict`]). Every table
//!   has its own seed, so no insertion order (another table's SCAN order, an AOF replayed) makes inserts quadratic.
//! - **`used_memory` is a counter**, not an allocator walk: a counting global allocator around the system one
//!   ([`alloc`]), plus the slab's pages.
//! - **No step of incremental work holds the loop for long**: rehashing, the expiry cycle, the slab's page
//!   release, `malloc_trim` and active defrag each have a time budget stated beside their code, and each cron step
//!   is a LATENCY event of its own.
//! - **Persistence forks, as Redis**, and the formats are Redis 7.0's byte for byte (RDB 10, the multi-part AOF),
//!   so files move between the two servers in both directions ([`persist`]).
//! - **Eviction, client eviction and output limits are Redis's approximations**, kept honest: the 16-candidate
//!   pool ([`state::evict::pool`]), client memory buckets ([`state::evict::clients`]), and output-buffer limits
//!   ([`net::output_limit`]) checked as a reply is built ([`resp::reply`]).
//! - **Unsafe code is fenced in.** The modules that need none carry `#![forbid(unsafe_code)]` (the command
//!   handlers, scripting and [`lua`], ACL, cluster, Sentinel, replication, RESP, the collection types...); the state
//!   layer denies it, and only the tracking table allows it, in its own file. The rest
//!   is system calls ([`sys`], and a few libc calls in the server, the event loop, the I/O loops, the log, crash
//!   reports, persistence's fork, util), the memory layer (the counting allocator, the slab, the packed entries,
//!   the tables' zeroed arrays, the JSON documents' thin vectors, the lazy-free thread's jobs), the tracking table's unchecked indexing and the
//!   script host's event-loop pointer. Every `unsafe` block carries a `// SAFETY:` comment: `Cargo.toml`'s
//!   `[lints]` deny `clippy::undocumented_unsafe_blocks` and `unsafe_op_in_unsafe_fn`.
//! - **The only runtime dependencies are `libc`, `nix` and `memchr`.** The Lua 5.1 interpreter ([`lua`]), LZF,
//!   SHA-1, SHA-256, the host name resolver and both command lines are the crate's own.
//!
//! # Global state outside `ServerState`
//!
//! What the server works on is [`ServerState`](crate::state::ServerState), passed down explicitly (to a handler,
//! through [`Ctx`](crate::command::Ctx)'s views). The cells below are the exceptions: thread-locals and mutable statics
//! (atomics, locks, once-cells). Each one's doc comment, at its definition, says what it holds, who sets it and when,
//! who reads it, and why it is a global. They are of a few kinds: per thread by nature (the allocator's and the slab's
//! books, scratch buffers, private random generators); read in a signal handler or a forked child, where no state is in
//! reach (the log, crash reports, the shutdown signal, a child's progress reports); read far below any
//! [`ServerState`](crate::state::ServerState), by a table, a database or the allocator (the flags that a database
//! logged a deletion or an event, the slot index, the growth limit); derived once from constant data and read-only
//! after (the command table's indexes); or DEBUG's test switches. `tests/layers.rs`
//! (`every_global_cell_is_documented_and_indexed`) fails on a thread-local or mutable static in `src/` that lacks its
//! doc comment or its line here, and on a line here that names no cell; cells compiled only for unit tests are left
//! out. A static inside a function is named by its module and function (`util::debug_delay::STATE`).
//!
//! - Allocation: `alloc::COUNTER` (bytes of live allocations and a call count: every allocation and free, any
//!   thread); `alloc::RELEASER` (the release thread's queue: made by the first big deferred free);
//!   `alloc::FREE_AFTER_TRIM` (malloc's free bytes after the last trim: the cron's `trim_if_worth`);
//!   `alloc::CHEAP_ALLOCATOR_STATS` (O(1) allocator figures: around the cron's crash-report snapshot).
//! - The slab: `alloc::slab::SLAB` (this thread's size classes and pages: every slab allocation and free, the
//!   cron's release and defrag steps); `alloc::slab::RESERVE_BASE` (the reserved range: set by the first page);
//!   `alloc::slab::RESERVE_POOL` (its untouched and released pages: page maps and unmaps);
//!   `alloc::slab::ROUTE` (serve this thread's next allocation from the slab: `route`, for defrag);
//!   `alloc::slab::BATCH` (chunks freed inside a [`FreeBatch`](crate::alloc::slab::FreeBatch): a big table's drop).
//! - System: `sys::memtest::BACKUP`, `sys::memtest::MAIN_TLS`, `sys::memtest::TLS_MARK` (the crash-time memory
//!   test's backup area and the thread block to skip: start-up); `sys::proctitle::ORIGINAL_ARGS` (the command line:
//!   start-up); `sys::proctitle::AREA` (the title's memory: found at start-up, written by each title change);
//!   `sys::fatal::SYMTAB_PTR`, `sys::fatal::SYMTAB_LEN`, `sys::fatal::STRTAB_PTR`, `sys::fatal::STRTAB_LEN`,
//!   `sys::fatal::LOAD_BIAS` (the executable's symbols for crash reports: start-up); `sys::fatal::PROBE_PIPE` (a
//!   pipe for safe memory reads in a crash report: start-up); `sys::affinity::PLAN` (the CPU lists and the
//!   start-up mask: start-up, read by each thread and fork child entering its role).
//! - Utilities: `util::debug_delay::STATE` (the testing delays' 1-in-n draw: each draw).
//! - The log: `log::LEVEL` (`loglevel`: start-up, CONFIG SET); `log::SERVER_PID` (the server's pid: start-up);
//!   `log::REPLICA_ROLE` (role letter `S`: replication's role changes); `log::FILE` and `log::SIGNAL_FD` (the log
//!   file and its descriptor for signal handlers: start-up, reopened after a rotation); `log::TZ_OFFSET_S` (the UTC
//!   offset for signal-time lines: start-up, the cron); `log::SYSLOG` (syslog on: start-up).
//! - Compression and checksums: `lzf::SHARED` (this thread's compressor and buffer: every compression);
//!   `persist::crc64::tables::T` (CRC-64 tables: the first checksum).
//! - Lua: `lua::lib::math::RAND48` (Redis's `math.random` generator: `math.random`, `math.randomseed`).
//! - The command table: `command_spec::table::TABLE`, `command_spec::full_names::NAMES`,
//!   `command_spec::sees_other_clients::TOPS` (built on first use, read-only after);
//!   `acl::registry::registry::R` (ACL's command ids: built on first use).
//! - The keyspace: `keyspace::dict::GROWTH_LIMIT` (`maxmemory` for table growth: when it changes, before sleep);
//!   `keyspace::dict::BULK_LOAD` (migrate at once while loading: start and end of a load);
//!   `keyspace::dict::COLLECTIONS_RESIZE` (collections may shrink: a child starts or ends);
//!   `keyspace::dict::SEED_STATE` and `keyspace::dict::process_seed::SEED` (hash seeds: each new table, the
//!   first one); `keyspace::db::QUEUED` (some database's queue holds an event, a deletion or a value to free: a
//!   [`Db`](crate::keyspace::db::Db), cleared by [`state::notify::drain_queues`] after every command and cycle);
//!   `keyspace::slots::ENABLED` (keep the slot index: cluster start-up); `keyspace::object::LFU_RNG` (the LFU
//!   lottery: each LFU touch); `keyspace::types::stream::NEXT_PACKED_ID` (compressed stream node ids: each node
//!   compressed); `keyspace::types::stream::EXPANDED` (the last expanded stream node: each read of one).
//! - Monitoring: `latency::THRESHOLD_MS` (`latency-monitor-threshold`: start-up, after every command);
//!   `latency::MONITOR` (the latency events: every recording point, LATENCY RESET).
//! - Persistence: `persist::rdb::SKIP_CHECKSUM` (DEBUG SET-SKIP-CHECKSUM-VALIDATION); in a fork child,
//!   `persist::child_info::FD`, `persist::child_info::KEYS`, `persist::child_info::LAST_REPORT_MS`,
//!   `persist::child_info::COW_READ_US`, `persist::child_info::COW_COST_US`, `persist::child_info::COW`,
//!   `persist::child_info::COW_PEAK`, `persist::child_info::COW_SUM`, `persist::child_info::COW_READINGS` and
//!   `persist::child_info::EPOCH` (the progress reports: set up right after the fork, updated per key saved);
//!   `persist::child_info::LAST_OFFER_US` (the child's last offer of its CPU: every 1024 keys and MiB written).
//! - Cluster: `cluster::nodes_conf::LOCK_FD` (nodes.conf's lock descriptor: taking or moving the lock, closed in a
//!   fork child); [`cluster::bus::DROP_PACKET_FILTER`] (DEBUG DROP-CLUSTER-PACKET-FILTER).
//! - Scripting: `scripting::command_with_script_flags::VARIANTS` (command entries with a script's flags: the
//!   first call needing each).
//! - Process: `supervise::MODE` (the supervisor: start-up); `oom::ADJUSTED`, `oom::BASE`, `oom::CHILD_SCORE`
//!   (`oom-score-adj`: start-up, role changes, CONFIG SET); `proctitle::CURRENT` (the title template for fork
//!   children: start-up, CONFIG SET); [`state::SHUTDOWN_SIGNAL`] (SIGTERM/SIGINT: the signal handler, cleared by the
//!   cron or SHUTDOWN ABORT).
//! - Crash reports: `crash_report::CRASH_LOG`, `crash_report::EXIT_ON_PANIC`, `crash_report::WATCHDOG_MS`,
//!   `crash_report::MEMCHECK` (settings: start-up, CONFIG SET, each cron pass); `crash_report::SNAPSHOT` and
//!   `crash_report::RETIRED` (INFO + CLIENT LIST for a report: the cron, once a second); `crash_report::RUNNING`
//!   (the command running: around each call); `crash_report::MAIN_THREAD` (the event loop's thread: start-up);
//!   `crash_report::bug_report_start::STARTED` (a report's header was printed: the first report).
//! - `ferredis-cli`: `cli::sys::INTERRUPTED` (SIGINT: the handler; cleared before a streaming command);
//!   `cli::cluster::COLOR` (coloured `--cluster` output: once, from `TERM`).
//!
//! # Repetition that stays
//!
//! A duplicate-code scan (six or more lines alike, `duplicates --repo src`) flags the pairs below; each is kept for
//! the reason its heading gives; the other pairs it flagged were made one function. Pairs the scan marks
//! boilerplate are thin shapes of the same kinds (a `Command` entry, a `match` of words, a reply's map of fields,
//! a test's list of assertions, a module's imports and `open` registrations) and are not listed one by one.
//!
//! - **Command metadata.** One `Command` entry per Redis command, alike by nature (Redis's per-command JSON files);
//!   what entries share is a base each extends (`..BASE`). `COMMANDS` of command/zset, keys, hash, string, list,
//!   geo, bitmap, dump, set, increx, topk, string_cond, function, hotkeys; stream's `COMMANDS` and
//!   `XGROUP_SUBCOMMANDS`; `SUBCOMMANDS` of cluster, hotkeys and latency; `SUB` of acl, config, commands and
//!   hotkeys; function's `FCALL_BASE` and scripting's `EVAL_BASE`.
//! - **Configuration and registration tables.** config/mod.rs `Config::default` and
//!   keyspace/types/mod.rs `Thresholds::default` (the types may not name the configuration; `keyspace::tests` holds
//!   the two lists equal); lua/lib bit.rs and struct_lib.rs `open` (each Lua library registers its own functions,
//!   as Lua 5.1's `luaL_Reg` arrays).
//! - **Thin handlers over one generic function** (one handler a Redis command, so the table names it):
//!   command/pubsub.rs `subscribe` and kin, `pubsub_channels` and kin; command/set.rs `sinter` ... `sdiffstore`;
//!   command/keys/mod.rs `rename_generic` with `rename`/`renamenx` beside command/string.rs `mset_generic` with
//!   `mset`/`msetnx` (each generic ends in its `NX` form's reply).
//! - **Commands whose replies or arguments differ as Redis's do.** command/stream/groups.rs `xinfo_groups` and
//!   command/stream/info.rs `xinfo_stream` (XINFO GROUPS and STREAM FULL report different fields);
//!   command/connection.rs `client_trackinginfo` and command/function.rs `function_stats`; command/commands.rs
//!   `write_key_spec` and command/debug/mod.rs `protocol`; command/bitmap.rs `parse_bitfield_ops` and
//!   command/function.rs `function_restore` (each option's words and error); command/cuckoo.rs `del`/`compact`
//!   and command/topk.rs `add`/`incrby` (arity rule and missing-key text per command); command/info.rs
//!   `DEFAULT_SECTIONS`/`ALL_SECTIONS` (Redis's two orders); ferredis-cli's cli/modes.rs `replica`/`rdb_to`
//!   (redis-cli's messages for `--replica` and `--rdb`); keyspace/types/prob cuckoo.rs `save` and tdigest.rs
//!   `save_compressed` (RedisBloom's field order per type).
//! - **Score and lexicographic twins**, as Redis's `zslFirstInRange`/`zslFirstInLexRange`: the bounds compare a
//!   double or a member's bytes (a listpack member decoded into a buffer first). keyspace/types/zset.rs
//!   `range_by_score`/`range_by_lex`, `count_in_score_range`/`count_in_lex_range`.
//! - **Hot paths kept inline** (each copy is one command's or one opcode's path, where a shared call or a branch
//!   on the variant would sit): lua/vm/mod.rs `execute` (`OP_CALL`/`OP_TAILCALL` set up the arguments alike, then
//!   push a frame or reuse the caller's, as Lua 5.1's `luaV_execute`); keyspace/types/quicklist.rs
//!   `push_back`/`push_front`; lzf.rs `compress` (the literal copy in the main loop and after it);
//!   keyspace/object.rs `build`/`replace_payload` (SET's payload writes); server/call.rs `call`/`call_with` and
//!   server/tx_pause.rs `tx_or_pause_hook` (the funnel passes one request's six parameters down, no struct built
//!   per command); command/zset/range.rs `parse_zrange_options`/`zrange_generic` (the same parameters, parsed then
//!   served).
//! - **Platform back-ends, machine code, two hashes.** sys/epoll.rs and sys/kqueue.rs `poll` (one contract, two
//!   files); sys/memmove.rs `move_bytes` (the forward and backward loops' register operands); sha1.rs and sha256.rs
//!   `Sha1`/`Sha256` (five or eight state words over the shared `sha1::Blocks`).
//! - **Enumerations and constants in their specification's order.** keyspace/object.rs `ObjType` and
//!   keyspace/types/mod.rs `Encoding` (Redis's `OBJ_*` numbers); lua/heap.rs `Tm`, lua/opcodes.rs `Op` and
//!   lua/code.rs `BinOpr` (Lua 5.1's metamethod, opcode and operator lists); cluster/msg.rs flags and offsets,
//!   keyspace/types/hll.rs and command/geo.rs constants, keyspace/dict/mod.rs `ProbeGuard` and lua/lib/table.rs
//!   `Sorter` (documented constants, alike only in shape).
//! - **Tests: case tables, models and stand-ins.** lua/lib/format.rs `integers`/`floats`; persist/rdb/tests.rs
//!   `legacy_encodings_load`; reply assertions of command/bitmap.rs `redis_82_operations_as_commands`,
//!   command/connection.rs `hello_variants` and `client_name_and_modes`, command/scripting.rs
//!   `eval_runs_through_the_call_path`; command/tdigest.rs `short_decimals_are_strtods` and util.rs
//!   `parse_f64_fast_path_matches_strtod` (two parsers, two oracles); keyspace/types/stream/tests.rs trimming by
//!   MAXLEN and by MINID; persist/aof/check.rs `helpers_behave_like_libc` and scripting/convert.rs
//!   `error_texts_like_lua_push_error_buff`; scripting/ldb.rs `replies_in_human_form`; lua/vm/tests.rs `n_next`
//!   beside lua/lib/base.rs `next` (the VM's tests bring their own natives: the VM sits below the library).
//! - **JSON.** command/json/write.rs `per_match`, `per_match_lenient` and `per_match_adding` (one parameter list,
//!   three rules for a match that vanished or would nest too deep, over the one `apply_per_match`);
//!   command/json/read.rs `strlen`/`objlen` (RedisJSON answers a legacy path that does not compile with an error
//!   for JSON.STRLEN and null for JSON.OBJLEN); keyspace/types/json/path.rs `get`/`get_mut` (the shared and the
//!   mutable walk: Rust has no generics over mutability); path.rs `Op` and path_error.rs's token list (the
//!   evaluator's comparison operators, and the parser's names for the tokens RedisJSON's errors report);
//!   json/parse.rs `integer`/`decimal` (the digit loop of the integer part and of the fraction, which also counts
//!   the exponent, as serde_json's `parse_integer`/`parse_decimal`).
//! - **Two load sinks around one.** state/host.rs `ProgressSink` and state/repl/load.rs `DelaySink` forward each
//!   `LoadSink` method to `DbSink` and add their own steps around it (serving clients every 1024 keys, the DELs
//!   of expired keys; only the key delay): a trait's methods cannot be forwarded wholesale without a macro.
//!
//! # Modules
//!
//! From the bottom up. Binaries: `ferredis-server` (`src/main.rs`), `ferredis-cli` (`src/bin/ferredis-cli/`, its
//! own code, using only [`util`], [`config`]'s version strings, [`net::resolve`] and the cluster slot hash),
//! `ferredis-check-rdb` and `ferredis-check-aof`.
//!
//! One layout for every module: a module with children is a folder that holds its `mod.rs` (`state/mod.rs`
//! beside `state/expire/`), and a module without children is one file (`state/notify.rs`); never a `foo.rs`
//! beside a `foo/` folder. The crate had both; the folder form was the more common and is the one kept
//! (`tests/layers.rs`, `a_module_with_children_is_a_folder_with_its_mod_rs`, holds it).
//!
//! - [`sys`]: system calls: the poller trait with its epoll and kqueue backends, sockets, fork and daemonizing,
//!   the process's memory and CPU readings, the async-signal-safe half of crash reports, the process title,
//!   CPU affinity lists, the machine checks (`--check-system`, transparent huge pages), `memmove` for the static
//!   musl build.
//! - [`util`]: Redis's number rules (`string2ll`, `%.17g`, strtod), glob matching, a small RNG.
//! - [`alloc`]: the counting global allocator behind the O(1) `used_memory` and the other allocator figures,
//!   its release thread, and the slab ([`alloc::slab`]) that holds the keyspace's entries in packed size classes.
//! - [`log`]: the Redis-format server log, syslog, the descriptor signal handlers write to.
//! - [`args`]: a command's arguments, zero-copy ([`Args`](crate::args::Args)) and owned
//!   ([`OwnedArgs`](crate::args::OwnedArgs)).
//! - [`resp`]: the resumable zero-copy request parser and the RESP2/RESP3 reply encoders.
//! - [`lzf`]: LZF compression as liblzf does it (RDB strings, compressed list and stream nodes).
//! - [`sha1`]: SHA-1 (DEBUG DIGEST, script hashes, `redis.sha1hex`).
//! - [`sha256`]: SHA-256 (ACL password hashes).
//! - [`xxh3`]: XXH3-64 (DIGEST, the IFDEQ/IFDNE conditions of SET and DELEX) and XXH3-128 (XADD IDMPAUTO's
//!   idempotent ids, as Redis 8.6 builds them).
//! - [`lua`]: the crate's own Lua 5.1: compiler, register VM, collector, the standard libraries and Redis's
//!   `cjson`, `cmsgpack`, `bit` and `struct`; it knows nothing of the server.
//! - [`command_spec`]: the command table's metadata without handlers (names, arity, flags, key specs, ACL
//!   categories, docs, the name table with `rename-command`).
//! - [`config`]: every directive (one table), the `redis.conf` parser with `include`, the command line, CONFIG
//!   GET/SET/REWRITE.
//! - [`conf_reference`]: the commented reference `ferredis.conf`, generated from the directive table.
//! - [`env_password`]: `FERREDIS_PASSWORD[_FILE]` and `FERREDIS_MASTERAUTH[_FILE]` for container images.
//! - [`keyspace`]: everything that stores keys and values: the hash table, entries, the collection types (and the
//!   thin vector of JSON documents), one database with its key-size histograms, the slot index and key hash slots,
//!   the lazy-free thread. The processes that delete or move keys on their
//!   own (active expiry, eviction, defrag, keyspace notifications) work on the whole state: they are in [`state`].
//! - [`event_loop`]: file events, time events and the before-sleep step, as Redis's `ae.c`, with adaptive busy
//!   polling.
//! - [`net`]: connections: the query ring buffer, client state, a client's socket steps, output-buffer limits,
//!   the I/O threads, listeners, MIGRATE's cached connections, the host name resolver, TLS sessions (the `tls`
//!   feature).
//! - [`multi`]: the MULTI queue's model and the table of WATCHed keys.
//! - [`blocking`]: clients blocked in BLPOP, BZPOPMIN, XREAD BLOCK...: per-key FIFO queues, ready keys, deadlines.
//! - [`pubsub`]: channel, pattern and shard-channel subscriptions, message encoding.
//! - [`latency`]: the latency monitor (LATENCY) and the per-command histograms of `latency-tracking`.
//! - [`propagate`]: the one propagation path (rewrites, MULTI wrapping, SELECT) feeding the AOF and replicas.
//! - [`persist`]: the RDB format, the multi-part AOF, the fork engine and the checkers' shared code.
//! - [`cluster`]: Redis Cluster: nodes, slots, the bus, failover, redirections, nodes.conf.
//! - [`sentinel`]: Redis Sentinel in the same binary (`--sentinel`, or the program named `ferredis-sentinel`):
//!   the `sentinel` directives and the state they persist, the links to the watched instances, SDOWN/ODOWN,
//!   leader election, the failover state machine, TILT and the scripts; a sentinel is a server whose command
//!   table holds only what a 7.0 sentinel accepts, and whose timer and links run on the same event loop
//!   (`server/sentinel.rs`), the SENTINEL command being `command/sentinel.rs`.
//! - [`acl`]: users and selectors, command ids and categories, the permission check, the ACL log and files.
//! - [`scripting`]: Redis's scripting surface on [`lua`]: EVAL and the script cache, FUNCTION, `redis.*`, reply
//!   conversions, the Lua debugger.
//! - [`state`]: [`ServerState`](crate::state::ServerState), the server's state grouped into owned parts: databases,
//!   configuration, statistics, clock, the connections ([`Clients`](crate::state::Clients)), the command logs, the
//!   subsystems above; the whole-database door; and in `state/` the operations on all of it (keyspace notifications,
//!   active expiry, active defrag, pub/sub delivery, ...) and the features that are mostly such operations, each in one
//!   folder: replication (`state/repl/`), client-side caching (`state/tracking/`), eviction (`state/evict/`).
//! - [`admission`]: what a command must pass before it runs, one check sequence for clients and `redis.call`.
//! - [`oom`]: `oom-score-adj`: the Linux OOM killer's bias, by role.
//! - [`proctitle`]: `proc-title-template` expansion.
//! - [`supervise`]: `supervised systemd|upstart|auto`: readiness and status notifications.
//! - [`crash_report`]: crash reports (fatal signals, panics, DEBUG ASSERT/PANIC/SEGFAULT) and the watchdog.
//! - [`command`]: the handlers, one file per family, and [`Ctx`](crate::command::Ctx), the context they run in: narrow
//!   views of the client and the server, and one whole-server view for the administrative families.
//! - [`server`]: listeners, the call path, the cron, shutdown, and each feature's event-loop side.

pub mod acl;
pub mod admission;
pub mod alloc;
pub mod args;
pub mod blocking;
pub mod cluster;
pub mod command;
pub mod command_spec;
pub mod conf_reference;
pub mod config;
pub mod crash_report;
pub mod env_password;
pub mod event_loop;
pub mod keyspace;
pub mod latency;
pub mod log;
pub mod lua;
pub mod lzf;
pub mod multi;
pub mod net;
pub mod oom;
pub mod persist;
pub mod proctitle;
pub mod propagate;
pub mod pubsub;
pub mod resp;
pub mod scripting;
pub mod sentinel;
pub mod server;
pub mod sha1;
pub mod sha256;
pub mod state;
pub mod supervise;
pub mod sys;
pub mod util;
pub mod xxh3;

/// Every artifact linking the library counts its heap (see [`alloc`]).
#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;
