//! ferredis: a Redis-compatible in-memory data server.
//!
//! # Layout
//! - [`alloc`]: the counting global allocator behind the O(1) `used_memory`.
//! - [`args`]: a command's arguments (zero-copy slices and the owned form).
//! - [`config`]: every directive, its default and limits; the redis.conf parser; CONFIG GET/SET.
//! - [`conf_reference`]: the commented `ferredis.conf` generated from the directive table.
//! - [`env_password`]: `FERREDIS_PASSWORD` / `FERREDIS_PASSWORD_FILE` for container images.
//! - [`util`]: Redis's number parsing/formatting rules, glob matching, a small RNG.
//! - [`resp`]: the resumable zero-copy request parser and the RESP2/RESP3 reply encoders.
//! - [`net`]: connections: the query ring buffer, client state, client eviction (`maxmemory-clients`).
//! - [`dict`]: the open-addressing hash table with incremental rehashing behind the keyspace.
//! - [`object`]: keyspace entries with their compact header (type, encoding, 24-bit LRU/LFU).
//! - [`db`]: one database: keys, TTLs, lazy expiry.
//! - [`expire`]: active expiry and the per-database cron (resize, incremental rehash).
//! - [`evict`]: `maxmemory` eviction (LRU/LFU pools, TTL and random policies) and key-access touching.
//! - [`state`]: server-wide state that handlers can reach (databases, config, stats, clock).
//! - [`types`]: the collection representations (listpack, quicklist, intset, skiplist) behind lists, sets,
//!   hashes and sorted sets, with their small/large encodings and conversions, and the stream (listpack nodes
//!   in Redis's stream layout, consumer groups).
//! - [`blocking`]: clients blocked in BLPOP/BZPOPMIN/XREAD/...: per-key FIFO queues, ready keys, deadlines.
//! - [`multi`]: MULTI queues and the table of WATCHed keys.
//! - [`pubsub`]: channel/pattern subscriptions, message delivery, output-buffer limits.
//! - [`tracking`]: client-side caching (CLIENT TRACKING): the tracked-keys table, BCAST prefixes, invalidations.
//! - [`notify`]: keyspace notifications (`notify-keyspace-events`) published through [`pubsub`].
//! - [`command_spec`]: the command table's metadata without handlers (names, arity, flags, key specs, ACL
//!   categories, docs, the name table): a leaf that ACL, eviction, expiry, scripting and MULTI queues read.
//! - [`command`]: the command handlers (one file per family) and the context they run in.
//! - [`propagate`]: the one propagation path (rewrites, MULTI wrapping, SELECT) feeding the AOF.
//! - [`repl`]: replication: IDs and offsets, the backlog, replicas fed by the stream, the link to a master.
//! - [`persist`]: RDB snapshots, the append-only file, CRC64 and LZF.
//! - [`sys`]: raw system calls: the epoll/kqueue poller, sockets, processes.
//! - [`event_loop`]: file and time events, Redis `ae.c` style.
//! - [`server`]: listeners, connections, dispatch, the cron.
//! - [`cluster`]: Redis Cluster: nodes, slots, the bus, failover, redirections, nodes.conf.
//! - [`admission`]: what a command must pass before it runs, one check sequence for clients and `redis.call`.
//! - [`log`]: the Redis-format server log.
//! - [`lazyfree`]: the lazy-free thread (FLUSHALL ASYNC, UNLINK of big values, a replica's old dataset).
//! - [`latency`]: the latency monitor (LATENCY) and the per-command latency histograms (`latency-tracking`).
//! - [`proctitle`]: `proc-title-template` expansion and the process title.
//! - [`crash`]: crash reports (fatal signals, panics, DEBUG ASSERT/PANIC/SEGFAULT) and the watchdog.
//! - [`scripting`]: EVAL/SCRIPT and the run machinery FUNCTION shares: Lua states set up as Redis's, `redis.*`,
//!   reply conversions, the busy-script hook.
//! - [`sha1`]: SHA-1, for `DEBUG DIGEST` (and script hashes).
//! - [`cli`]: ferredis-cli, the redis-cli-compatible client (a second binary of the crate).
//! - [`sha256`]: SHA-256, for ACL password hashes.
//! - [`acl`]: access control: ACL users and selectors, command ids and categories, the permission check, the
//!   ACL log and ACL files.

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
pub mod repl;
pub mod resp;
pub mod scripting;
pub mod server;
pub mod sha1;
pub mod sha256;
pub mod state;
pub mod supervise;
pub mod sys;
pub mod tracking;
pub mod util;

/// Every artifact linking the library counts its heap (see [`alloc`]).
#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;
