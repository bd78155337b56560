//! HOTKEYS START | STOP | GET | RESET | HELP (Redis 8.6 `hotkeys.c`): sampled CPU and network hot-key tracking.
//!
//! The session and what the call path counts in it are [`crate::state::hotkeys`]; this file parses the
//! subcommands and writes GET's report. Errors, their order and the report's fields are Redis 8.6's:
//!
//! - `START <METRICS count [CPU] [NET]> [COUNT k] [DURATION seconds] [SAMPLE ratio] [SLOTS count slot ...]`:
//!   OK, or an error when a session is running (checked first), when METRICS is not the first argument, on a bad
//!   count, a repeated metric, no known metric (unknown ones are skipped, for forward compatibility), a bad option
//!   value, SLOTS outside cluster mode or naming a slot this node does not serve.
//! - `STOP`: OK, or null when no session is running; the results stay.
//! - `GET`: null without a session; else a one-element array holding a map (RESP2: a flat array) of the figures
//!   (`tracking-active`, `sample-ratio`, `selected-slots` as ranges, the time and byte totals, the collection
//!   times, the CPU used by the process since the start) and `by-cpu-time-us` / `by-net-bytes`, the top keys
//!   heaviest first as flat key/value arrays. The `selected-slots` totals appear only with SLOTS, the `sampled`
//!   ones only with SLOTS and SAMPLE above 1.
//! - `RESET`: frees a stopped session (an error while one runs).

use super::shared::{range_long_arg, reply_help};
use super::{flag, Args, Command, Ctx, Group, BASE};
use crate::state::hotkeys::{self, HotKeys, Options, TRACK_CPU, TRACK_NET};

const SUB: Command = Command {
    flags: flag::ADMIN | flag::NOSCRIPT,
    acl: "admin slow dangerous",
    group: Group::Server,
    since: "8.6.0",
    ..BASE
};

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[Command {
    name: "hotkeys",
    arity: -2,
    flags: 0,
    acl: "slow",
    summary: "A container for hotkeys tracking commands.",
    complexity: "Depends on subcommand.",
    handler: super::shared::container,
    subcommands: SUBCOMMANDS,
    ..SUB
}];

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static SUBCOMMANDS: &[Command] = &[
    Command {
        name: "get",
        arity: 2,
        summary: "Returns lists of top K hotkeys depending on metrics chosen in HOTKEYS START command.",
        complexity: "O(K) where K is the number of hotkeys returned.",
        handler: hotkeys_get,
        ..SUB
    },
    Command {
        name: "help",
        arity: 2,
        flags: flag::LOADING | flag::STALE,
        acl: "slow",
        since: "8.6.1",
        summary: "Return helpful text about HOTKEYS command parameters.",
        handler: hotkeys_help,
        ..SUB
    },
    Command {
        name: "reset",
        arity: 2,
        summary: "Release the resources used for hotkey tracking.",
        handler: hotkeys_reset,
        ..SUB
    },
    Command {
        name: "start",
        arity: -2,
        summary: "Starts hotkeys tracking.",
        syntax: "<metrics= METRICS count{:integer} [CPU] [NET]> [COUNT k{:integer}] [DURATION seconds{:integer}] \
                 [SAMPLE ratio{:integer}] [slots= SLOTS count{:integer} slot{:integer} [slot ...]]",
        handler: hotkeys_start,
        ..SUB
    },
    Command { name: "stop", arity: 2, summary: "Stops hotkeys tracking.", handler: hotkeys_stop, ..SUB },
];

/// The session (a DURATION runs out in the server's cron, as Redis's serverCron ends it).
fn session<'a>(ctx: &'a mut Ctx<'_>) -> Option<&'a mut HotKeys> {
    ctx.server_mut().hotkeys.as_deref_mut()
}

/// `HOTKEYS START <METRICS count [CPU] [NET]> [COUNT k] [DURATION seconds] [SAMPLE ratio] [SLOTS count slot ...]`
fn hotkeys_start(ctx: &mut Ctx, args: Args) {
    if session(ctx).is_some_and(|h| h.active) {
        return ctx.reply().error("ERR hotkey tracking session already in progress");
    }
    let Some(opts) = parse_start(ctx, args) else { return };
    let now = ctx.now_ms();
    ctx.server_mut().hotkeys = Some(Box::new(HotKeys::new(opts, now)));
    ctx.reply().ok();
}

/// START's arguments, or `None` after replying the error.
fn parse_start(ctx: &mut Ctx, args: Args) -> Option<Options> {
    if args.len() < 4 || !args.is(2, "metrics") {
        ctx.reply().error("ERR METRICS parameter is required");
        return None;
    }
    let msg = format!("ERR METRICS count must be > 0 and <= {}", hotkeys::METRICS_COUNT);
    let count = range_long_arg(ctx.reply(), args.get(3), 1, hotkeys::METRICS_COUNT, Some(&msg))?;
    let mut metrics = 0u8;
    let (mut parsed, mut j) = (0, 4);
    while j < args.len() && parsed < count {
        let m = if args.is(j, "cpu") {
            Some((TRACK_CPU, "CPU"))
        } else if args.is(j, "net") {
            Some((TRACK_NET, "NET"))
        } else {
            None
        };
        if let Some((bit, name)) = m {
            if metrics & bit != 0 {
                ctx.reply().error(&format!("ERR METRICS {name} defined more than once!"));
                return None;
            }
            metrics |= bit;
        }
        parsed += 1;
        j += 1;
    }
    if parsed != count {
        ctx.reply().error("ERR METRICS count does not match number of metric types provided");
        return None;
    }
    if metrics == 0 {
        ctx.reply().error("ERR METRICS no valid metrics passed. Supported: CPU|NET");
        return None;
    }
    let mut o = Options { metrics, count: 10, duration_ms: 0, sample_ratio: 1, slots: None };
    while j < args.len() {
        let more = j + 1 < args.len();
        if more && args.is(j, "count") {
            let msg = Some("ERR COUNT must be between 1 and 64");
            o.count = range_long_arg(ctx.reply(), args.get(j + 1), 1, 64, msg)? as usize;
            j += 2;
        } else if more && args.is(j, "duration") {
            let msg = Some("ERR DURATION must be between 1 and 1000000");
            o.duration_ms = range_long_arg(ctx.reply(), args.get(j + 1), 1, 1_000_000, msg)? * 1000;
            j += 2;
        } else if more && args.is(j, "sample") {
            let msg = Some("ERR SAMPLE ratio must be positive");
            o.sample_ratio = range_long_arg(ctx.reply(), args.get(j + 1), 1, i32::MAX as i64, msg)? as u64;
            j += 2;
        } else if more && args.is(j, "slots") {
            if o.slots.is_some() {
                ctx.reply().error("ERR SLOTS parameter already specified");
                return None;
            }
            let (slots, next) = parse_slots(ctx, args, j)?;
            o.slots = Some(slots);
            j = next;
        } else {
            ctx.reply().error("ERR syntax error");
            return None;
        }
    }
    Some(o)
}

/// `SLOTS count slot ...` at `j`: the slots as ranges and the index after them, or `None` after the error.
fn parse_slots(ctx: &mut Ctx, args: Args, j: usize) -> Option<(Vec<(u16, u16)>, usize)> {
    if ctx.server().cluster.is_none() {
        ctx.reply().error("ERR SLOTS parameter cannot be used in non-cluster mode");
        return None;
    }
    let msg = format!("ERR SLOTS count must be between 1 and {}", hotkeys::SLOTS);
    let n = range_long_arg(ctx.reply(), args.get(j + 1), 1, hotkeys::SLOTS as i64, Some(&msg))? as usize;
    if j + 1 + n >= args.len() {
        ctx.reply().error("ERR not enough slot numbers provided");
        return None;
    }
    let mut slots = Vec::with_capacity(n);
    for i in 0..n {
        let slot = match crate::util::parse_i64(args.get(j + 2 + i)) {
            Some(s) if (0..hotkeys::SLOTS as i64).contains(&s) => s as usize,
            _ => {
                ctx.reply().error("ERR Invalid or out of range slot");
                return None;
            }
        };
        if !ctx.server().cluster.as_deref().is_some_and(|cl| cl.me().owns_slot(slot)) {
            ctx.reply().error(&format!("ERR slot {slot} not handled by this node"));
            return None;
        }
        slots.push(slot as u16);
    }
    slots.sort_unstable();
    if slots.windows(2).any(|w| w[0] == w[1]) {
        ctx.reply().error("ERR duplicate slot number");
        return None;
    }
    Some((hotkeys::slot_ranges(&slots), j + 2 + n))
}

/// HOTKEYS STOP
fn hotkeys_stop(ctx: &mut Ctx, _args: Args) {
    let now = ctx.now_ms();
    match session(ctx) {
        Some(h) if h.active => {
            h.stop(now);
            ctx.reply().ok();
        }
        _ => ctx.reply().null(),
    }
}

/// HOTKEYS RESET
fn hotkeys_reset(ctx: &mut Ctx, _args: Args) {
    if session(ctx).is_some_and(|h| h.active) {
        return ctx.reply().error("ERR hotkey tracking session in progress, stop tracking first");
    }
    ctx.server_mut().hotkeys = None;
    ctx.reply().ok();
}

/// HOTKEYS GET
fn hotkeys_get(ctx: &mut Ctx, _args: Args) {
    let now = ctx.now_ms();
    if session(ctx).is_none() {
        return ctx.reply().null();
    }
    // The slots this node serves, for a session without SLOTS (every slot outside cluster mode).
    let local: Vec<(u16, u16)> = match ctx.server().cluster.as_deref() {
        None => vec![(0, hotkeys::SLOTS as u16 - 1)],
        Some(cl) => {
            let owned: Vec<u16> = (0..hotkeys::SLOTS).filter(|&s| cl.my_shard_owns(s)).map(|s| s as u16).collect();
            hotkeys::slot_ranges(&owned)
        }
    };
    let (client, srv) = ctx.client_and_server();
    let Some(h) = srv.hotkeys.as_deref() else { return };
    report(&mut client.reply, h, &local, now);
}

/// GET's report (Redis's field order).
fn report(r: &mut crate::resp::reply::Reply, h: &HotKeys, local: &[(u16, u16)], now_ms: i64) {
    let slots = h.opts.slots.is_some();
    let sampling = h.opts.sample_ratio > 1;
    let cpu = h.cpu.as_ref();
    let net = h.net.as_ref();
    let len = 7
        + 2 * (slots && sampling) as usize
        + 2 * slots as usize
        + 3 * cpu.is_some() as usize
        + 2 * net.is_some() as usize;
    r.array(1);
    r.map(len);
    r.bulk(b"tracking-active");
    r.int(h.active as i64);
    r.bulk(b"sample-ratio");
    r.int(h.opts.sample_ratio as i64);
    r.bulk(b"selected-slots");
    let ranges = h.opts.slots.as_deref().unwrap_or(local);
    r.array(ranges.len());
    for &(a, b) in ranges {
        r.array(if a == b { 1 } else { 2 });
        r.int(a as i64);
        if a != b {
            r.int(b as i64);
        }
    }
    let int = |r: &mut crate::resp::reply::Reply, name: &str, v: u64| {
        r.bulk(name.as_bytes());
        r.int(v.min(i64::MAX as u64) as i64);
    };
    if slots && sampling {
        int(r, "sampled-commands-selected-slots-us", h.us_sampled_selected_slots);
    }
    if slots {
        int(r, "all-commands-selected-slots-us", h.us_selected_slots);
    }
    int(r, "all-commands-all-slots-us", h.us_all_slots);
    if slots && sampling {
        int(r, "net-bytes-sampled-commands-selected-slots", h.bytes_sampled_selected_slots);
    }
    if slots {
        int(r, "net-bytes-all-commands-selected-slots", h.bytes_selected_slots);
    }
    int(r, "net-bytes-all-commands-all-slots", h.bytes_all_slots);
    r.bulk(b"collection-start-time-unix-ms");
    r.int(h.start_ms);
    r.bulk(b"collection-duration-ms");
    r.int(h.duration_ms(now_ms));
    if cpu.is_some() {
        let (sys, user) = crate::sys::process::cpu_times(crate::sys::process::CpuOf::Process);
        let ms = |now: f64, then: f64| ((now - then).max(0.0) * 1000.0) as u64;
        int(r, "total-cpu-time-user-ms", ms(user, h.cpu_at_start.1));
        int(r, "total-cpu-time-sys-ms", ms(sys, h.cpu_at_start.0));
    }
    if let Some(t) = net {
        int(r, "total-net-bytes", t.total);
    }
    for (name, t) in [("by-cpu-time-us", cpu), ("by-net-bytes", net)] {
        let Some(t) = t else { continue };
        r.bulk(name.as_bytes());
        let top = t.top(h.opts.count);
        r.array(2 * top.len());
        for (key, w) in top {
            r.bulk(key);
            r.int(w.min(i64::MAX as u64) as i64);
        }
    }
}

/// HOTKEYS HELP
fn hotkeys_help(ctx: &mut Ctx, _args: Args) {
    reply_help(
        ctx.reply(),
        "hotkeys",
        &[
            "START <METRICS count [CPU] [NET]> [COUNT k] [DURATION duration] [SAMPLE ratio] [SLOTS count slot...]",
            "    Starts hotkeys tracking with specified metrics.",
            "    * METRICS count [CPU] [NET]",
            "        Specify count of metrics and choose amongst:",
            "        - CPU: Track hotkeys by CPU time percentage",
            "        - NET: Track hotkeys by network bytes percentage",
            "    * COUNT k",
            "        Specifies the value of K for the top-K hotkeys tracking. Default: 10",
            "    * DURATION duration",
            "        Specifies tracking duration in seconds. 0 means tracking will continue until manually stopped. \
             Default: 0",
            "    * SAMPLE ratio",
            "        Keys are tracked with probability 1/ratio. Default: 1 (tracks every key)",
            "    * SLOTS count slot...",
            "        Specify which slots to track keys from. Only available in cluster mode. Default: empty (track \
             all slots)",
            "STOP",
            "    Stop hotkeys tracking. Results are still available via GET",
            "GET",
            "    Get results from hotkeys tracking.",
            "RESET",
            "    Reset memory used for hotkeys tracking. Tracking must have been stopped.",
            "    Results will no longer be available after this command.",
        ],
    );
}
