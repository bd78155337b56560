//! LATENCY DOCTOR | GRAPH | HISTORY | LATEST | RESET | HISTOGRAM | HELP (Redis `latency.c`).
//!
//! The event series live in [`crate::latency`] (the monitor); the per-command histograms in `commandstats`
//! ([`crate::state::Stats::latency`]), filled by the server's call path while `latency-tracking` is on.

use super::shared::reply_help;
use super::{flag, Args, Command, Ctx, Group, BASE};
use crate::latency::{self, Histogram};
use crate::resp::reply::Reply;
use crate::util::c_str;

const SUB: Command = Command {
    flags: flag::ADMIN | flag::NOSCRIPT | flag::LOADING | flag::STALE,
    acl: "admin slow dangerous",
    group: Group::Server,
    since: "2.8.13",
    tips: "nondeterministic_output request_policy:all_nodes response_policy:special",
    ..BASE
};

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
pub static COMMANDS: &[Command] = &[Command {
    name: "latency",
    arity: -2,
    flags: 0,
    acl: "slow",
    summary: "A container for latency diagnostics commands",
    complexity: "Depends on subcommand.",
    handler: super::shared::container,
    subcommands: SUBCOMMANDS,
    tips: "",
    ..SUB
}];

/// One entry per command, alike in shape by nature (the metadata of Redis's per-command JSON files); what
/// the entries share is a base entry each one extends (`..BASE` and its kin).
static SUBCOMMANDS: &[Command] = &[
    Command {
        name: "doctor",
        arity: 2,
        summary: "Return a human readable latency analysis report.",
        handler: latency_doctor,
        ..SUB
    },
    Command {
        name: "graph",
        arity: 3,
        summary: "Return a latency graph for the event.",
        syntax: "event",
        handler: latency_graph,
        ..SUB
    },
    Command {
        name: "help",
        arity: 2,
        flags: flag::LOADING | flag::STALE,
        acl: "slow",
        summary: "Show helpful text about the different subcommands.",
        handler: latency_help,
        tips: "",
        ..SUB
    },
    Command {
        name: "histogram",
        arity: -2,
        since: "7.0.0",
        summary: "Return the cumulative distribution of latencies of a subset of commands or all.",
        complexity: "O(N) where N is the number of commands with latency information being retrieved.",
        syntax: "[command [command ...]]",
        handler: latency_histogram,
        ..SUB
    },
    Command {
        name: "history",
        arity: 3,
        summary: "Return timestamp-latency samples for the event.",
        syntax: "event",
        handler: latency_history,
        ..SUB
    },
    Command {
        name: "latest",
        arity: 2,
        summary: "Return the latest latency samples for all events.",
        handler: latency_latest,
        ..SUB
    },
    Command {
        name: "reset",
        arity: -2,
        summary: "Reset latency data for one or more events.",
        syntax: "[event [event ...]]",
        handler: latency_reset,
        tips: "request_policy:all_nodes response_policy:all_succeeded",
        ..SUB
    },
];

/// LATENCY DOCTOR
fn latency_doctor(ctx: &mut Ctx, _args: Args) {
    let cfg = ctx.config();
    let input = latency::DoctorInput {
        threshold_ms: cfg.latency_monitor_threshold.max(0) as u64,
        slowlog_log_slower_than: cfg.slowlog_log_slower_than,
        fsync_always: cfg.appendfsync == crate::config::APPENDFSYNC_ALWAYS,
        hz: cfg.hz,
        now: crate::util::now_ms() / 1000,
        anon_huge_pages: latency::anon_huge_pages_bytes(),
    };
    let report = latency::with_monitor(|m| latency::doctor(m, &input));
    ctx.reply().verbatim("txt", report.as_bytes());
}

/// LATENCY GRAPH event
fn latency_graph(ctx: &mut Ctx, args: Args) {
    let now = crate::util::now_ms() / 1000;
    let graph = latency::with_monitor(|m| m.get(args.get(2)).map(|(event, s)| latency::graph(event, s, now)));
    match graph {
        Some(g) => ctx.reply().verbatim("txt", g.as_bytes()),
        None => {
            let event = String::from_utf8_lossy(c_str(args.get(2))).into_owned();
            ctx.reply().error(&format!("ERR No samples available for event '{event}'"));
        }
    }
}

/// LATENCY HISTORY event
fn latency_history(ctx: &mut Ctx, args: Args) {
    let samples: Vec<latency::Sample> =
        latency::with_monitor(|m| m.get(args.get(2)).map(|(_, s)| s.in_order().copied().collect())).unwrap_or_default();
    let r = ctx.reply();
    r.array(samples.len());
    for s in samples {
        r.array(2);
        r.int(s.time);
        r.int(s.latency_ms as i64);
    }
}

/// LATENCY LATEST
fn latency_latest(ctx: &mut Ctx, _args: Args) {
    let latest: Vec<(&'static str, latency::Sample, u64)> =
        latency::with_monitor(|m| m.events.iter().map(|(e, s)| (*e, s.latest(), s.max_ms)).collect());
    let r = ctx.reply();
    r.array(latest.len());
    for (event, s, max) in latest {
        r.array(4);
        r.bulk(event.as_bytes());
        r.int(s.time);
        r.int(s.latency_ms as i64);
        r.int(max as i64);
    }
}

/// LATENCY RESET [event [event ...]]
fn latency_reset(ctx: &mut Ctx, args: Args) {
    let n = latency::with_monitor(|m| {
        if args.len() == 2 {
            m.reset(None)
        } else {
            args.iter().skip(2).map(|e| m.reset(Some(e))).sum()
        }
    });
    ctx.reply().int(n as i64);
}

/// One command's entry of LATENCY HISTOGRAM: `{calls, histogram_usec: {usec: cumulative count, ...}}`.
fn reply_cdf(r: &mut Reply, name: &str, h: &Histogram) {
    r.bulk(name.as_bytes());
    r.map(2);
    r.bulk(b"calls");
    r.int(h.total() as i64);
    r.bulk(b"histogram_usec");
    let cdf = h.cdf_usec();
    r.map(cdf.len());
    for (usec, count) in cdf {
        r.int(usec as i64);
        r.int(count as i64);
    }
}

/// LATENCY HISTOGRAM [command [command ...]]
fn latency_histogram(ctx: &mut Ctx, args: Args) {
    let (stats, reply) = ctx.stats_and_reply();
    let hists = &stats.latency;
    let hist = |name: &str| hists.get(name);
    let mut names: Vec<String> = Vec::new();
    if args.len() == 2 {
        names.extend(hists.names().into_iter().map(str::to_string));
    } else {
        // Like Redis: unknown names are skipped, a container brings its subcommands, repeats are repeated.
        for a in args.iter().skip(2) {
            let Some((cmd, full)) = super::commands::lookup_full(a) else { continue };
            if hist(&full).is_some() {
                names.push(full.clone());
            }
            for sub in cmd.subcommands {
                let sub_full = format!("{full}|{}", sub.name);
                if hist(&sub_full).is_some() {
                    names.push(sub_full);
                }
            }
        }
    }
    let r = reply;
    r.map(names.len());
    for n in &names {
        if let Some(h) = hist(n) {
            reply_cdf(r, n, h);
        }
    }
}

/// LATENCY HELP
fn latency_help(ctx: &mut Ctx, _args: Args) {
    reply_help(
        ctx.reply(),
        "latency",
        &[
            "DOCTOR",
            "    Return a human readable latency analysis report.",
            "GRAPH <event>",
            "    Return an ASCII latency graph for the <event> class.",
            "HISTORY <event>",
            "    Return time-latency samples for the <event> class.",
            "LATEST",
            "    Return the latest latency samples for all events.",
            "RESET [<event> ...]",
            "    Reset latency data of one or more <event> classes.",
            "    (default: reset all data for all event classes)",
            "HISTOGRAM [COMMAND ...]",
            "    Return a cumulative distribution of latencies in the format of a histogram for the specified \
             command names.",
            "    If no commands are specified then all histograms are replied.",
        ],
    );
}
