//! INFO [section [section ...]]: Redis 7.0's sections and field names, with our real figures, plus the fields Redis
//! 7.2 and 7.4 added that we measure (listeners, pub/sub, WATCH and blocking counts, buffer-limit disconnections,
//! event-loop cycles, ACL denials) and Redis 8's `keysizes` section, in `all` and `everything` after `keyspace`,
//! and its `hotkeys` section after `cpu` (Redis 8 has both in the default set too; ferredis's default set stays
//! Redis 7.0's). Features ferredis doesn't have (modules) show their off state.

use super::{flag, Args, Command, Ctx, Group, BASE};
use crate::config::{self, REDIS_VERSION};
use crate::state::ServerState;
use crate::sys::process::{cpu_times, CpuOf};
use std::fmt::Write;

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[Command {
    name: "info",
    arity: -1,
    flags: flag::LOADING | flag::STALE | flag::SEES_CLIENTS | flag::SENTINEL,
    acl: "slow dangerous",
    group: Group::Server,
    since: "1.0.0",
    summary: "Get information and statistics about the server",
    complexity: "O(1)",
    syntax: "[section [section ...]]",
    tips: "nondeterministic_output request_policy:all_shards response_policy:special",
    history: &[("7.0.0", "Added support for taking multiple section arguments.")],
    handler: info,
    ..BASE
}];

pub use crate::state::{cron_sample, InstMetric, Instantaneous};

/// Redis's `bytesToHuman`.
pub fn bytes_to_human(n: u64) -> String {
    let d = n as f64;
    const K: f64 = 1024.0;
    if n < 1024 {
        format!("{n}B")
    } else if d < K * K {
        format!("{:.2}K", d / K)
    } else if d < K * K * K {
        format!("{:.2}M", d / (K * K))
    } else if d < K * K * K * K {
        format!("{:.2}G", d / (K * K * K))
    } else if d < K * K * K * K * K {
        format!("{:.2}T", d / (K * K * K * K))
    } else {
        format!("{:.2}P", d / (K * K * K * K * K))
    }
}

// Two lists in Redis's section order: the default set is all but hotkeys, commandstats, latencystats and keysizes, which
// fall between the others, so neither list is the other plus a tail.
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
];
const ALL_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "hotkeys",
    "modules",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
    "keysizes",
];

/// INFO [section [section ...]]
fn info(ctx: &mut Ctx, args: Args) {
    if ctx.server_mut().sentinel.is_some() {
        return sentinel_info(ctx, args);
    }
    let mut wanted: Vec<&str> = Vec::new();
    if args.len() == 1 {
        wanted.extend(DEFAULT_SECTIONS);
    }
    for a in args.iter().skip(1) {
        let a = String::from_utf8_lossy(a).to_ascii_lowercase();
        match a.as_str() {
            "default" => wanted.extend(DEFAULT_SECTIONS),
            "all" | "everything" => wanted.extend(ALL_SECTIONS),
            s => {
                if let Some(name) = ALL_SECTIONS.iter().find(|n| **n == s) {
                    wanted.push(name);
                } else if s == "module_list" {
                    wanted.push("modules");
                }
            }
        }
    }
    if wanted.contains(&"keysizes") {
        // The first reading starts the histograms (see `keyspace::keysizes`).
        ctx.server_mut().dbs.iter_mut().for_each(|db| db.track_keysizes());
    }
    let used = crate::alloc::used_memory();
    let peak = &mut ctx.server_mut().stats.peak_memory;
    *peak = (*peak).max(used);
    let text = info_text(ctx, &wanted);
    ctx.reply().verbatim("txt", text.as_bytes());
}

/// The sections a sentinel's INFO has (Redis's `sentinelInfoCommand`).
const SENTINEL_SECTIONS: &[&str] = &["server", "clients", "cpu", "stats", "sentinel"];

/// INFO in sentinel mode: the server, clients, CPU and stats sections, then the sentinel's.
fn sentinel_info(ctx: &mut Ctx, args: Args) {
    let mut wanted: Vec<&str> = Vec::new();
    if args.len() == 1 {
        wanted.extend(SENTINEL_SECTIONS);
    }
    for a in args.iter().skip(1) {
        let a = String::from_utf8_lossy(a).to_ascii_lowercase();
        match a.as_str() {
            "default" | "all" | "everything" => wanted.extend(SENTINEL_SECTIONS),
            s => wanted.extend(SENTINEL_SECTIONS.iter().filter(|n| **n == s)),
        }
    }
    let mut text = info_text(ctx, &wanted);
    if wanted.contains(&"sentinel") {
        if !text.is_empty() {
            text.push_str("\r\n");
        }
        if let Some(s) = ctx.server_mut().sentinel.as_deref() {
            text.push_str(&super::sentinel::info_section(s, crate::util::now_ms()));
        }
    }
    ctx.reply().bulk(text.as_bytes());
}

/// `INFO all`, for crash reports.
pub fn info_all_text(ctx: &Ctx) -> String {
    info_text(ctx, ALL_SECTIONS)
}

/// The INFO text for the given section names (in the canonical order, each once).
pub fn info_text(ctx: &Ctx, wanted: &[&str]) -> String {
    let mut out = String::new();
    for section in ALL_SECTIONS {
        if !wanted.contains(section) {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        let srv = ctx.server();
        match *section {
            "server" => server(&mut out, srv),
            "clients" => clients(&mut out, srv, ctx.client()),
            "memory" => memory(&mut out, srv, ctx.client().conn.tot_mem),
            "persistence" => persistence(&mut out, srv),
            "stats" => stats(&mut out, srv),
            "replication" => replication(&mut out, srv),
            "cpu" => cpu(&mut out),
            "hotkeys" => hotkeys(&mut out, srv),
            "modules" => {
                out.push_str("# Modules\r\n");
                out.push_str(&super::module::info_modules_lines());
            }
            "commandstats" => commandstats(&mut out, srv),
            "errorstats" => errorstats(&mut out, srv),
            "latencystats" => latencystats(&mut out, srv),
            "cluster" => {
                let on = if srv.cluster.is_some() { "1" } else { "0" };
                out.push_str("# Cluster\r\ncluster_enabled:");
                out.push_str(on);
                out.push_str("\r\n");
            }
            "keysizes" => keysizes(&mut out, srv),
            _ => keyspace(&mut out, srv),
        }
    }
    out
}

/// Appends `name:value\r\n` lines.
macro_rules! fields {
    ($out:expr, $($name:literal => $val:expr),* $(,)?) => {
        $( let _ = write!($out, concat!($name, ":{}\r\n"), $val); )*
    };
}

fn os_name() -> String {
    let read = |p: &str| std::fs::read_to_string(p).map(|s| s.trim().to_string()).ok();
    match (read("/proc/sys/kernel/ostype"), read("/proc/sys/kernel/osrelease")) {
        (Some(t), Some(r)) => format!("{t} {r} {}", std::env::consts::ARCH),
        _ => format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
    }
}

fn server(out: &mut String, srv: &ServerState) {
    let now_ms = crate::util::now_ms();
    let uptime_s = (now_ms - srv.identity.start_ms).max(0) / 1000;
    let exe = std::env::current_exe().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
    let poller = if cfg!(any(target_os = "linux", target_os = "android")) { "epoll" } else { "kqueue" };
    out.push_str("# Server\r\n");
    fields!(out,
        "redis_version" => REDIS_VERSION,
        "ferredis_version" => config::FERREDIS_VERSION,
        "redis_git_sha1" => env!("FERREDIS_GIT_SHA1"),
        "redis_git_dirty" => env!("FERREDIS_GIT_DIRTY"),
        "redis_build_id" => env!("FERREDIS_BUILD_ID"),
        "redis_mode" => if srv.sentinel.is_some() {
            "sentinel"
        } else if srv.cluster.is_some() {
            "cluster"
        } else {
            "standalone"
        },
        "os" => os_name(),
        "arch_bits" => usize::BITS,
        "monotonic_clock" => "POSIX clock_gettime",
        "multiplexing_api" => poller,
        "atomicvar_api" => "rust-std",
        // Redis prints the C compiler it was built with; ferredis, the rustc (build.rs asks it). Same dotted form,
        // so scripts that parse the field keep working.
        "gcc_version" => env!("FERREDIS_RUSTC_VERSION"),
        "process_id" => std::process::id(),
        "process_supervised" => crate::supervise::current().info_name(),
        "run_id" => srv.identity.run_id,
        "tcp_port" => srv.config.port,
        "server_time_usec" => crate::util::now_us(),
        "uptime_in_seconds" => uptime_s,
        "uptime_in_days" => uptime_s / 86400,
        "hz" => srv.config.hz,
        "configured_hz" => srv.config.hz,
        "lru_clock" => srv.lru_clock,
        "executable" => exe,
        "config_file" => srv.config.config_file.as_deref().unwrap_or(""),
        "io_threads_active" => {
            u8::from(srv.clients.io_threads_active)
        }
    );
    // Only while a shutdown waits for lagging replicas: the time left before it goes on without them.
    if srv.shutdown.initiated() {
        fields!(out, "shutdown_in_milliseconds" => srv.shutdown.deadline_ms - srv.now_ms);
    }
    // Redis 7.4's listener lines (`getListensInfoString`): by connection type, TCP (0) and the unix socket (1),
    // with the configured bind addresses.
    if srv.config.port != 0 {
        out.push_str("listener0:name=tcp");
        for b in &srv.config.bind {
            let _ = write!(out, ",bind={b}");
        }
        let _ = write!(out, ",port={}\r\n", srv.config.port);
    }
    if let Some(path) = &srv.config.unixsocket {
        let _ = write!(out, "listener1:name=unix,bind={path}\r\n");
    }
}

fn clients(out: &mut String, srv: &ServerState, caller: &crate::net::client::ClientState) {
    let others = srv.clients.by_fd.iter().flatten();
    let (mut n, mut max_in, mut max_out) = (1usize, 0usize, 0usize);
    // Redis 7.2's `pubsub_clients`: clients with at least one subscription of any kind (the caller included).
    let subscribed = |c: &crate::net::client::ClientState| crate::pubsub::counts(c) != (0, 0, 0);
    let mut pubsub_clients = usize::from(subscribed(caller));
    for c in others {
        n += 1;
        max_in = max_in.max(c.state.conn.qbuf);
        max_out = max_out.max(c.state.conn.omem);
        pubsub_clients += usize::from(subscribed(&c.state));
    }
    let (blocking_keys, blocking_keys_on_nokey) = srv.blocking.blocking_key_counts();
    // Redis counts replicas apart (INFO replication's connected_slaves); a MONITOR client is not a replica.
    let n = n.saturating_sub(srv.repl.replicas.len());
    out.push_str("# Clients\r\n");
    fields!(out,
        "connected_clients" => n,
        // Redis's getClusterConnectionsCount: two links per other node.
        "cluster_connections" => srv.cluster.as_deref().map_or(0, |cl| cl.len().saturating_sub(1) * 2),
        "maxclients" => srv.config.maxclients,
        "client_recent_max_input_buffer" => max_in,
        "client_recent_max_output_buffer" => max_out,
        "blocked_clients" => srv.clients.num_blocked,
        "tracking_clients" => srv.tracking.clients(),
        "pubsub_clients" => pubsub_clients,
        "watching_clients" => srv.watches.watching_clients(),
        "clients_in_timeout_table" => srv.blocking.with_timeout(),
        "total_watched_keys" => srv.watches.watched_keys(),
        "total_blocking_keys" => blocking_keys,
        "total_blocking_keys_on_nokey" => blocking_keys_on_nokey,
    );
}

fn memory(out: &mut String, srv: &ServerState, caller_mem: usize) {
    let f = super::memory::MemFigures::collect(srv, caller_mem);
    let (used, rss, peak, startup, overhead, dataset) = (f.used, f.rss, f.peak, f.startup, f.overhead, f.dataset);
    let (allocated, active, resident) = (f.allocated, f.active, f.resident);
    let total = crate::sys::process::total_system_memory();
    let ratio = |r: f64| format!("{r:.2}");
    let cfg = &srv.config;
    let vm_eval = srv.scripting.eval.vm_memory() as u64;
    let scripts_eval = srv.scripting.eval.scripts_memory() as u64;
    let vm_functions = srv.functions.vm_memory() as u64;
    let functions_caches = srv.functions.overhead_memory() as u64;
    out.push_str("# Memory\r\n");
    fields!(out,
        "used_memory" => used,
        "used_memory_human" => bytes_to_human(used),
        "used_memory_rss" => rss,
        "used_memory_rss_human" => bytes_to_human(rss),
        "used_memory_peak" => peak,
        "used_memory_peak_human" => bytes_to_human(peak),
        "used_memory_peak_perc" => format!("{:.2}%", f.peak_perc()),
        "used_memory_overhead" => overhead,
        "used_memory_startup" => startup,
        "used_memory_dataset" => dataset,
        "used_memory_dataset_perc" => format!("{:.2}%", f.dataset_perc()),
        "allocator_allocated" => allocated,
        "allocator_active" => active,
        "allocator_resident" => resident,
        // Redis 7.4 with libc malloc (what we report as `mem_allocator`) has no muzzy pages: 0.
        "allocator_muzzy" => 0,
        "total_system_memory" => total,
        "total_system_memory_human" => bytes_to_human(total),
        "used_memory_lua" => vm_eval,
        "used_memory_vm_eval" => vm_eval,
        "used_memory_lua_human" => bytes_to_human(vm_eval),
        "used_memory_scripts_eval" => scripts_eval,
        "number_of_cached_scripts" => srv.scripting.eval.scripts.len(),
        "number_of_functions" => srv.functions.counts().1,
        "number_of_libraries" => srv.functions.counts().0,
        "used_memory_vm_functions" => vm_functions,
        "used_memory_vm_total" => vm_eval + vm_functions,
        "used_memory_vm_total_human" => bytes_to_human(vm_eval + vm_functions),
        "used_memory_functions" => functions_caches,
        "used_memory_scripts" => scripts_eval + functions_caches,
        "used_memory_scripts_human" => bytes_to_human(scripts_eval + functions_caches),
        "maxmemory" => cfg.maxmemory,
        "maxmemory_human" => bytes_to_human(cfg.maxmemory),
        "maxmemory_policy" => cfg.maxmemory_policy.name(),
        "allocator_frag_ratio" => ratio(f.allocator_frag()),
        "allocator_frag_bytes" => active as i64 - allocated as i64,
        "allocator_rss_ratio" => ratio(f.allocator_rss()),
        "allocator_rss_bytes" => resident as i64 - active as i64,
        "rss_overhead_ratio" => ratio(f.rss_extra()),
        "rss_overhead_bytes" => rss as i64 - resident as i64,
        "mem_fragmentation_ratio" => ratio(f.total_frag()),
        "mem_fragmentation_bytes" => rss as i64 - used as i64,
        "mem_not_counted_for_evict" => srv.mem_not_counted_for_evict(),
        "mem_replication_backlog" => f.repl_backlog,
        "mem_total_replication_buffers" => f.repl_buffers,
        "mem_clients_slaves" => f.clients_slaves,
        "mem_clients_normal" => f.clients_normal,
        "mem_cluster_links" => srv.cluster.as_deref().map_or(0, crate::cluster::bus::links_memory),
        "mem_aof_buffer" => f.aof_buffer,
        "mem_allocator" => "libc",
        "active_defrag_running" => srv.defrag.stats.running,
        "lazyfree_pending_objects" => srv.lazyfree.pending(),
        "lazyfreed_objects" => srv.lazyfree.freed(),
    );
}

fn persistence(out: &mut String, srv: &ServerState) {
    use crate::persist::engine::ChildKind;
    let p = &srv.persist;
    let st = &p.stats;
    let now_s = srv.now_ms / 1000;
    let running = |k: ChildKind| p.child.as_ref().filter(|c| c.kind == k);
    let rdb_child = running(ChildKind::Rdb);
    let aof_child = running(ChildKind::Aof);
    let child = p.child.as_ref();
    let ok = |b: bool| if b { "ok" } else { "err" };
    out.push_str("# Persistence\r\n");
    fields!(out,
        "loading" => (st.loading && !st.async_loading) as u8,
        "async_loading" => st.async_loading as u8,
        "current_cow_peak" => child.map_or(0, |c| c.progress.cow_peak),
        "current_cow_size" => child.map_or(0, |c| c.progress.cow),
        "current_cow_size_age" => child
            .filter(|c| c.progress.cow_updated_ms != 0)
            .map_or(0, |c| (srv.now_ms - c.progress.cow_updated_ms).max(0) / 1000),
        "current_fork_perc" => format!("{:.2}", child.filter(|c| c.keys_total > 0).map_or(0.0, |c| {
            c.progress.keys_processed as f64 * 100.0 / c.keys_total as f64
        })),
        "current_save_keys_processed" => child.map_or(0, |c| c.progress.keys_processed),
        "current_save_keys_total" => child.map_or(0, |c| c.keys_total),
        "rdb_changes_since_last_save" => srv.persist.dirty,
        "rdb_bgsave_in_progress" => rdb_child.is_some() as u8,
        "rdb_last_save_time" => srv.persist.lastsave_s,
        "rdb_last_bgsave_status" => ok(st.last_bgsave_ok),
        "rdb_last_bgsave_time_sec" => st.last_bgsave_time_sec,
        "rdb_current_bgsave_time_sec" => rdb_child.map_or(-1, |c| now_s - c.start_s),
        "rdb_saves" => st.rdb_saves,
        "rdb_last_cow_size" => st.rdb_last_cow_size,
        "rdb_last_load_keys_expired" => st.rdb_last_load_keys_expired,
        "rdb_last_load_keys_loaded" => st.rdb_last_load_keys_loaded,
        "aof_enabled" => srv.config.appendonly as u8,
        "aof_rewrite_in_progress" => aof_child.is_some() as u8,
        "aof_rewrite_scheduled" => p.aof_rewrite_scheduled as u8,
        "aof_last_rewrite_time_sec" => st.aof_last_rewrite_time_sec,
        "aof_current_rewrite_time_sec" => aof_child.map_or(-1, |c| now_s - c.start_s),
        "aof_last_bgrewrite_status" => ok(st.aof_last_bgrewrite_ok),
        "aof_rewrites" => st.aof_rewrites,
        "aof_rewrites_consecutive_failures" => st.aof_rewrites_consecutive_failures,
        "aof_last_write_status" => ok(srv.prop.aof.as_ref().is_none_or(|w| w.stats().write_status_ok())),
        "aof_last_cow_size" => st.aof_last_cow_size,
        "module_fork_in_progress" => 0,
        "module_fork_last_cow_size" => 0,
    );
    if let Some(w) = srv.prop.aof.as_ref().filter(|_| srv.config.appendonly).map(|w| w.stats()) {
        fields!(out,
            "aof_current_size" => w.current_size,
            "aof_base_size" => w.base_size,
            "aof_pending_rewrite" => p.aof_rewrite_scheduled as u8,
            "aof_buffer_length" => w.buffer_length,
            "aof_pending_bio_fsync" => w.pending_bio_fsync,
            "aof_delayed_fsync" => w.delayed_fsync,
        );
    }
    if st.loading {
        let elapsed = st.loading_start.map_or(0.0, |t| t.elapsed().as_secs_f64());
        let perc = if st.loading_total_bytes > 0 {
            st.loading_loaded_bytes as f64 * 100.0 / st.loading_total_bytes as f64
        } else {
            0.0
        };
        let eta = if st.loading_loaded_bytes > 0 && elapsed > 0.0 {
            let rate = st.loading_loaded_bytes as f64 / elapsed;
            (st.loading_total_bytes.saturating_sub(st.loading_loaded_bytes) as f64 / rate) as i64
        } else {
            1
        };
        fields!(out,
            "loading_start_time" => st.loading_start_s,
            "loading_total_bytes" => st.loading_total_bytes,
            "loading_rdb_used_mem" => 0,
            "loading_loaded_bytes" => st.loading_loaded_bytes,
            "loading_loaded_perc" => format!("{perc:.2}"),
            "loading_eta_seconds" => eta,
        );
    }
}

fn stats(out: &mut String, srv: &ServerState) {
    let s = &srv.stats;
    let defrag = &srv.defrag.stats;
    let kbps = |m: &InstMetric| format!("{:.2}", m.per_sec() as f64 / 1024.0);
    out.push_str("# Stats\r\n");
    fields!(out,
        "total_connections_received" => s.total_connections_received,
        "total_commands_processed" => s.total_commands_processed,
        "instantaneous_ops_per_sec" => s.inst.ops.per_sec(),
        "total_net_input_bytes" => s.net_input_bytes + s.net_repl_input_bytes,
        "total_net_output_bytes" => s.net_output_bytes + s.net_repl_output_bytes,
        "total_net_repl_input_bytes" => s.net_repl_input_bytes,
        "total_net_repl_output_bytes" => s.net_repl_output_bytes,
        "instantaneous_input_kbps" => kbps(&s.inst.net_input_bytes),
        "instantaneous_output_kbps" => kbps(&s.inst.net_output_bytes),
        "instantaneous_input_repl_kbps" => kbps(&s.inst.net_repl_input_bytes),
        "instantaneous_output_repl_kbps" => kbps(&s.inst.net_repl_output_bytes),
        "rejected_connections" => s.rejected_connections,
        "sync_full" => srv.repl.sync_full,
        "sync_partial_ok" => srv.repl.sync_partial_ok,
        "sync_partial_err" => srv.repl.sync_partial_err,
        "expired_keys" => crate::state::expire::expired_keys_total(srv),
        "expired_subkeys" => s.expired_subkeys,
        "expired_stale_perc" => format!("{:.2}", s.expired_stale_perc * 100.0),
        "expired_time_cap_reached_count" => s.expired_time_cap_reached_count,
        "expire_cycle_cpu_milliseconds" => s.expire_cycle_cpu_ms,
        "evicted_keys" => s.evicted_keys,
        "evicted_clients" => srv.stats.evicted_clients,
        "total_eviction_exceeded_time" => crate::state::evict::exceeded_time_ms(srv).0,
        "current_eviction_exceeded_time" => crate::state::evict::exceeded_time_ms(srv).1,
        "keyspace_hits" => s.keyspace_hits,
        "keyspace_misses" => s.keyspace_misses,
        "pubsub_channels" => srv.pubsub.len(crate::pubsub::Kind::Channel) as u64,
        "pubsub_patterns" => srv.pubsub.len(crate::pubsub::Kind::Pattern) as u64,
        "pubsubshard_channels" => srv.pubsub.len(crate::pubsub::Kind::Shard) as u64,
        "latest_fork_usec" => srv.persist.stats.latest_fork_usec,
        "total_forks" => srv.persist.stats.total_forks,
        "migrate_cached_sockets" => srv.migrate_sockets.len() as u64,
        "slave_expires_tracked_keys" => 0,
        "active_defrag_hits" => defrag.hits,
        "active_defrag_misses" => defrag.misses,
        "active_defrag_key_hits" => defrag.key_hits,
        "active_defrag_key_misses" => defrag.key_misses,
        "total_active_defrag_time" => defrag.total_ms + srv.defrag.current_ms(),
        "current_active_defrag_time" => srv.defrag.current_ms(),
        "tracking_total_keys" => srv.tracking.total_keys(),
        "tracking_total_items" => srv.tracking.total_items(),
        "tracking_total_prefixes" => srv.tracking.total_prefixes(),
        "unexpected_error_replies" => s.unexpected_error_replies,
        "total_error_replies" => s.total_error_replies,
        "dump_payload_sanitizations" => 0,
        "total_reads_processed" => s.total_reads_processed,
        "total_writes_processed" => s.total_writes_processed,
        "io_threaded_reads_processed" => s.io_threaded_reads_processed,
        "io_threaded_writes_processed" => s.io_threaded_writes_processed,
        "client_query_buffer_limit_disconnections" => s.client_qbuf_limit_disconnections,
        "client_output_buffer_limit_disconnections" => s.client_outbuf_limit_disconnections,
        "reply_buffer_shrinks" => s.reply_buffer_shrinks,
        "reply_buffer_expands" => s.reply_buffer_expands,
        "eventloop_cycles" => s.el.cycles,
        "eventloop_duration_sum" => s.el.duration_sum_us,
        "eventloop_duration_cmd_sum" => s.el.cmd_duration_sum_us,
        "instantaneous_eventloop_cycles_per_sec" => s.el.inst_cycles.per_sec(),
        "instantaneous_eventloop_duration_usec" => s.el.inst_duration.mean(),
        "acl_access_denied_auth" => srv.acl.denied[crate::acl::Reason::Auth as usize - 1],
        "acl_access_denied_cmd" => srv.acl.denied[crate::acl::Reason::Command as usize - 1],
        "acl_access_denied_key" => srv.acl.denied[crate::acl::Reason::Key as usize - 1],
        "acl_access_denied_channel" => srv.acl.denied[crate::acl::Reason::Channel as usize - 1],
    );
}

fn replication(out: &mut String, srv: &ServerState) {
    use crate::state::repl::roles::{LinkState, ReplicaState};
    let r = &srv.repl;
    let now_s = srv.now_ms / 1000;
    out.push_str("# Replication\r\n");
    fields!(out, "role" => if r.is_replica() { "slave" } else { "master" });
    if let Some(m) = &r.master {
        let has_history = r.master_client.is_some() || r.can_continue;
        let applied = if has_history { r.master_repl_offset } else { 1 };
        // Read but not yet applied: what the master client has buffered.
        let unread = r
            .master_client
            .and_then(|(id, fd)| {
                srv.clients.by_fd.get(fd as usize).and_then(|c| c.as_ref()).filter(|c| c.state.id == id)
            })
            .map_or(0, |c| c.query.len() + r.master_applied.len()) as i64;
        fields!(out,
            "master_host" => m.host,
            "master_port" => m.port,
            "master_link_status" => if r.link_state == LinkState::Connected { "up" } else { "down" },
            "master_last_io_seconds_ago" => if r.master_client.is_some() { (srv.now_ms - r.master_last_io_ms) / 1000 } else { -1 },
            "master_sync_in_progress" => (r.link_state == LinkState::Transfer) as i32,
            "slave_read_repl_offset" => applied + unread,
            "slave_repl_offset" => applied,
        );
        if r.link_state == LinkState::Transfer {
            // While the payload loads, the loader holds the link: its numbers as they were then.
            let progress = match &r.link {
                Some(l) => Some((l.transfer_progress(), l.last_io_ms)),
                None if r.sync_loading => Some(((r.sync_progress.0, r.sync_progress.1), r.sync_progress.2)),
                None => None,
            };
            if let Some(((read, total), last_io_ms)) = progress {
                // Redis divides by any non-zero size (-1 before the header: "-0.00").
                let perc = if total != 0 { read as f64 / total as f64 * 100.0 } else { 0.0 };
                fields!(out,
                    "master_sync_total_bytes" => total,
                    "master_sync_read_bytes" => read,
                    "master_sync_left_bytes" => total - read as i64,
                    "master_sync_perc" => format!("{perc:.2}"),
                    "master_sync_last_io_seconds_ago" => (srv.now_ms - last_io_ms) / 1000,
                );
            }
        }
        if r.link_state != LinkState::Connected {
            fields!(out, "master_link_down_since_seconds" => if r.down_since_s != 0 { now_s - r.down_since_s } else { -1 });
        }
        let c = &srv.config;
        fields!(out,
            "slave_priority" => c.stored_i64("replica-priority"),
            "slave_read_only" => c.stored_bool("replica-read-only") as i32,
            "replica_announced" => c.stored_bool("replica-announced") as i32,
        );
    }
    fields!(out, "connected_slaves" => r.connected());
    let min_to_write = srv.config.stored_i64("min-replicas-to-write");
    let max_lag = srv.config.stored_i64("min-replicas-max-lag");
    if min_to_write > 0 && max_lag > 0 {
        let good = r
            .replicas
            .iter()
            .filter(|x| x.state == ReplicaState::Online && now_s - x.ack_time_ms / 1000 <= max_lag)
            .count();
        fields!(out, "min_slaves_good_slaves" => good);
    }
    for (i, x) in r.replicas.iter().enumerate() {
        let lag = if x.state == ReplicaState::Online { now_s - x.ack_time_ms / 1000 } else { 0 };
        let _ = write!(
            out,
            "slave{i}:ip={},port={},state={},offset={},lag={lag}\r\n",
            x.ip(),
            x.listening_port,
            x.state.name(),
            x.ack_off
        );
    }
    let b = r.backlog.as_ref();
    fields!(out,
        "master_failover_state" => r.failover.state.name(),
        "master_replid" => srv.repl.replid,
        "master_replid2" => r.replid2,
        "master_repl_offset" => r.master_repl_offset,
        "second_repl_offset" => r.second_offset,
        "repl_backlog_active" => b.is_some() as i32,
        "repl_backlog_size" => crate::state::repl::backlog::configured_size(&srv.config),
        "repl_backlog_first_byte_offset" => b.map_or(0, |b| b.first_offset()),
        "repl_backlog_histlen" => b.map_or(0, |b| b.histlen()),
    );
}

/// Redis 8's `hotkeys` section (its `server.c`): with a HOTKEYS session, whether it is tracking and the
/// milliseconds its sketches' updates took (each update's time in whole milliseconds, as Redis adds them up);
/// the header alone without one.
fn hotkeys(out: &mut String, srv: &ServerState) {
    out.push_str("# Hotkeys\r\n");
    if let Some(h) = srv.hotkeys.as_deref() {
        fields!(out, "hotkeys-tracking-active" => h.active as u8, "hotkeys-cmd-cpu-time" => h.cpu_time_ms);
    }
}

fn cpu(out: &mut String) {
    let (sys, user) = cpu_times(CpuOf::Process);
    let (csys, cuser) = cpu_times(CpuOf::Children);
    let (tsys, tuser) = cpu_times(CpuOf::Thread);
    out.push_str("# CPU\r\n");
    fields!(out,
        "used_cpu_sys" => format!("{sys:.6}"),
        "used_cpu_user" => format!("{user:.6}"),
        "used_cpu_sys_children" => format!("{csys:.6}"),
        "used_cpu_user_children" => format!("{cuser:.6}"),
        "used_cpu_sys_main_thread" => format!("{tsys:.6}"),
        "used_cpu_user_main_thread" => format!("{tuser:.6}"),
    );
}

fn commandstats(out: &mut String, srv: &ServerState) {
    out.push_str("# Commandstats\r\n");
    let mut names: Vec<&&str> = srv.stats.commandstats.keys().collect();
    names.sort();
    for name in names {
        let c = &srv.stats.commandstats[*name];
        if c.calls == 0 && c.failed_calls == 0 && c.rejected_calls == 0 {
            continue;
        }
        let per_call = if c.calls > 0 { c.usec as f64 / c.calls as f64 } else { 0.0 };
        let _ = write!(
            out,
            "cmdstat_{name}:calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}\r\n",
            c.calls, c.usec, c.rejected_calls, c.failed_calls
        );
    }
}

fn errorstats(out: &mut String, srv: &ServerState) {
    out.push_str("# Errorstats\r\n");
    let mut names: Vec<&String> = srv.stats.errorstats.keys().collect();
    names.sort();
    for name in names {
        let _ = write!(out, "errorstat_{name}:count={}\r\n", srv.stats.errorstats[name]);
    }
}

/// `latency_percentiles_usec_<cmd>:p50=…,p99=…` for each command with a latency histogram (only while
/// `latency-tracking` is on), with the percentiles of `latency-tracking-info-percentiles`.
fn latencystats(out: &mut String, srv: &ServerState) {
    out.push_str("# Latencystats\r\n");
    if !srv.config.latency_tracking {
        return;
    }
    let percentiles: Vec<f64> = srv
        .config
        .stored_str("latency-tracking-info-percentiles")
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect();
    for name in srv.stats.latency.names() {
        let Some(h) = srv.stats.latency.get(name) else { continue };
        let _ = write!(out, "latency_percentiles_usec_{name}:");
        for (i, &p) in percentiles.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let usec = h.value_at_percentile(p) as f64 / 1000.0;
            let _ = write!(out, "p{}={usec:.3}", crate::latency::format_percentile(p));
        }
        out.push_str("\r\n");
    }
}

fn keyspace(out: &mut String, srv: &ServerState) {
    out.push_str("# Keyspace\r\n");
    for (i, db) in srv.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        // Redis 7.4 ends the line with `subexpiry` (hashes with field TTLs); it is shown only while there are
        // some, so a dataset without field TTLs reads exactly as in 7.0.
        let _ = write!(out, "db{i}:keys={},expires={},avg_ttl={}", db.len(), db.expires_len(), db.avg_ttl_ms);
        match db.hashes_with_field_ttls() {
            0 => out.push_str("\r\n"),
            n => {
                let _ = write!(out, ",subexpiry={n}\r\n");
            }
        }
    }
}

/// Redis 8's `keysizes` section: per database holding keys, one line per type with keys, its power-of-two bins from the
/// smallest (`db0_distrib_strings_sizes:2=1,4K=3`), empty bins left out (see
/// [`keyspace::keysizes`](crate::keyspace::keysizes)). The header alone when every database is empty.
fn keysizes(out: &mut String, srv: &ServerState) {
    out.push_str("# Keysizes\r\n");
    for (i, db) in srv.dbs.iter().enumerate() {
        // A histogram not kept yet has nothing to show (INFO starts them; a crash report's INFO all does not).
        if db.is_empty() || !db.keysizes().is_on() {
            continue;
        }
        for ty in 0..crate::keyspace::keysizes::TYPES {
            db.keysizes().info_line(i, ty, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{Ctx, OwnedArgs};
    use crate::net::client::ClientState;

    fn run(srv: &mut ServerState, argv: &[&str]) -> String {
        let mut client = ClientState::new(1, -1, "127.0.0.1:1".into(), String::new(), 0);
        let a = OwnedArgs::from_slices(argv);
        let mut ctx = Ctx::new(&mut client, srv);
        info(&mut ctx, a.args());
        drop(ctx);
        String::from_utf8(client.reply.pending().to_vec()).unwrap()
    }

    fn headers(s: &str) -> Vec<&str> {
        s.split("\r\n").filter(|l| l.starts_with('#')).collect()
    }

    #[test]
    fn section_selection() {
        let mut s = ServerState::new(config::Config::default());
        let all = run(&mut s, &["info"]);
        assert_eq!(
            headers(&all),
            [
                "# Server",
                "# Clients",
                "# Memory",
                "# Persistence",
                "# Stats",
                "# Replication",
                "# CPU",
                "# Modules",
                "# Errorstats",
                "# Cluster",
                "# Keyspace"
            ]
        );
        assert!(all.contains("redis_version:7.0.15\r\n"));
        assert!(all.contains("connected_clients:1\r\n"));
        assert!(all.contains("role:master\r\n"));
        assert!(all.contains(&format!("master_replid:{}\r\n", s.repl.replid)));
        let two = run(&mut s, &["info", "CPU", "server"]);
        assert_eq!(headers(&two), ["# Server", "# CPU"]);
        assert!(two.contains("\r\n\r\n# CPU\r\n"));
        assert!(headers(&run(&mut s, &["info", "everything"])).contains(&"# Commandstats"));
        assert_eq!(run(&mut s, &["info", "nosuch"]), "$0\r\n\r\n");
        let cluster = run(&mut s, &["info", "cluster"]);
        assert_eq!(cluster, "$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n");
    }

    #[test]
    fn stats_and_keyspace_lines() {
        let mut s = ServerState::new(config::Config::default());
        s.stats.commandstats.insert("get", crate::state::CommandStat { calls: 4, usec: 10, ..Default::default() });
        s.stats.errorstats.insert("ERR".into(), 3);
        let out = run(&mut s, &["info", "commandstats", "errorstats", "keyspace"]);
        assert!(out.contains("cmdstat_get:calls=4,usec=10,usec_per_call=2.50,rejected_calls=0,failed_calls=0\r\n"));
        assert!(out.contains("errorstat_ERR:count=3\r\n"));
        assert!(out.ends_with("# Keyspace\r\n\r\n"));
    }

    #[test]
    fn human_bytes() {
        assert_eq!(bytes_to_human(1023), "1023B");
        assert_eq!(bytes_to_human(1024), "1.00K");
        assert_eq!(bytes_to_human(1237296), "1.18M");
        assert_eq!(bytes_to_human(25276063744), "23.54G");
    }

    #[test]
    fn instantaneous_rate() {
        let mut m = InstMetric::default();
        m.track(1000, 0);
        for i in 1..=crate::state::SAMPLES as i64 {
            m.track(1000 + i * 100, (i * 10) as u64);
        }
        assert_eq!(m.per_sec(), 100);
    }
}
