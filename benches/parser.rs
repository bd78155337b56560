//! Request parser throughput (bytes/s) and allocations per parsed command.
//!
//! - `parse/*`: whole buffers already in memory (SET/GET multibulk pipelines, inline pipeline, one 1 MiB bulk).
//! - `chunked/*`: one big command (and a pipeline) fed 1 or 7 bytes at a time, parsing after every read; quadratic
//!   re-parsing would show up as a collapse in bytes/s compared to `parse/*`.
//! - `ring/*`: the pipeline pushed through the query ring in 16 KiB reads, with consume/compaction, as the network
//!   layer does.
//!
//! Allocations are counted by the library's counting global allocator (`ferredis::alloc`) and printed before the timings; after warm-up they must
//! be 0 per command.
use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ferredis::net::ring::Ring;
use ferredis::resp::parse::{Limits, Parsed, Parser};

/// Allocation calls since the last call (the library's counting allocator keeps them modulo 2^16, so this is
/// read after each step, which makes far fewer).
fn allocs_since(last: &mut u16) -> u64 {
    let now = ferredis::alloc::calls();
    let d = now.wrapping_sub(*last);
    *last = now;
    d as u64
}

fn multibulk(args: &[&[u8]], out: &mut Vec<u8>) {
    out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for a in args {
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
}

fn set_pipeline(n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..n {
        multibulk(&[b"SET", format!("key:{i:010}").as_bytes(), b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"], &mut v);
    }
    v
}

fn get_pipeline(n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..n {
        multibulk(&[b"GET", format!("key:{i:010}").as_bytes()], &mut v);
    }
    v
}

fn inline_pipeline(n: usize) -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..n {
        v.extend_from_slice(format!("SET key:{i:010} \"some value\"\r\n").as_bytes());
    }
    v
}

fn big_bulk() -> Vec<u8> {
    let mut v = Vec::new();
    multibulk(&[b"SET", b"big", &vec![b'v'; 1 << 20]], &mut v);
    v
}

fn mset(n: usize) -> Vec<u8> {
    let keys: Vec<Vec<u8>> = (0..n).map(|i| format!("k{i:08}").into_bytes()).collect();
    let mut args: Vec<&[u8]> = vec![b"MSET"];
    for k in &keys {
        args.push(k);
        args.push(b"value");
    }
    let mut v = Vec::new();
    multibulk(&args, &mut v);
    v
}

/// Parses every command of `buf`; returns the number of commands (the total of argument lengths goes to black_box).
fn parse_buf(p: &mut Parser, buf: &[u8], spans: &mut Vec<(u32, u32)>, scratch: &mut Vec<u8>) -> usize {
    let lim = Limits::default();
    let mut off = 0;
    let mut n = 0;
    while let Ok(Parsed::Complete { consumed, .. }) = p.parse(&buf[off..], &lim, spans, scratch) {
        black_box(spans.len());
        off += consumed;
        n += 1;
    }
    n
}

/// Feeds `buf` `step` bytes at a time to the parser (a growing prefix, as a buffer that receives reads), parsing
/// after each step.
fn parse_trickle(p: &mut Parser, buf: &[u8], step: usize, spans: &mut Vec<(u32, u32)>, scratch: &mut Vec<u8>) -> usize {
    let lim = Limits::default();
    let (mut off, mut end, mut n) = (0, 0, 0);
    while end < buf.len() {
        end = (end + step).min(buf.len());
        while let Ok(Parsed::Complete { consumed, .. }) = p.parse(&buf[off..end], &lim, spans, scratch) {
            black_box(spans.len());
            off += consumed;
            n += 1;
        }
    }
    n
}

/// Pushes `buf` through a ring in reads of `read` bytes, parsing and consuming like the network layer.
fn through_ring(
    ring: &mut Ring,
    p: &mut Parser,
    buf: &[u8],
    read: usize,
    spans: &mut Vec<(u32, u32)>,
    scratch: &mut Vec<u8>,
) -> usize {
    let lim = Limits::default();
    let (mut fed, mut n) = (0, 0);
    while fed < buf.len() {
        let want = p.big_bulk_missing(ring.len()).unwrap_or(0).max(read);
        let w = ring.writable(want);
        let k = w.len().min(want).min(buf.len() - fed);
        w[..k].copy_from_slice(&buf[fed..fed + k]);
        ring.commit(k);
        fed += k;
        while let Ok(Parsed::Complete { consumed, .. }) = p.parse(ring.readable(), &lim, spans, scratch) {
            black_box(spans.len());
            ring.consume(consumed);
            n += 1;
        }
    }
    n
}

fn report_allocations() {
    let (mut spans, mut scratch) = (Vec::new(), Vec::new());
    let mut p = Parser::new();
    let mut ring = Ring::with_capacity(16 * 1024);
    let cases: [(&str, Vec<u8>); 5] = [
        ("SET pipeline", set_pipeline(1000)),
        ("GET pipeline", get_pipeline(1000)),
        ("inline pipeline", inline_pipeline(1000)),
        ("1 MiB bulk", big_bulk()),
        ("MSET 2000 keys", mset(2000)),
    ];
    for (name, buf) in &cases {
        // Warm-up: vectors reach their working capacity.
        parse_buf(&mut p, buf, &mut spans, &mut scratch);
        through_ring(&mut ring, &mut p, buf, 16 * 1024, &mut spans, &mut scratch);
        parse_trickle(&mut p, buf, 7, &mut spans, &mut scratch);
        let mut last = ferredis::alloc::calls();
        let (mut cmds, mut allocs) = (0, 0u64);
        for _ in 0..10 {
            cmds += parse_buf(&mut p, buf, &mut spans, &mut scratch);
            allocs += allocs_since(&mut last);
            cmds += through_ring(&mut ring, &mut p, buf, 16 * 1024, &mut spans, &mut scratch);
            allocs += allocs_since(&mut last);
            cmds += parse_trickle(&mut p, buf, 7, &mut spans, &mut scratch);
            allocs += allocs_since(&mut last);
        }
        println!(
            "allocations: {name}: {allocs} allocations for {cmds} parsed commands = {} per command",
            allocs as f64 / cmds as f64
        );
    }
}

fn benches(c: &mut Criterion) {
    report_allocations();
    let (mut spans, mut scratch) = (Vec::new(), Vec::new());
    let mut p = Parser::new();

    let mut g = c.benchmark_group("parse");
    for (name, buf) in [
        ("set_pipeline_1000", set_pipeline(1000)),
        ("get_pipeline_1000", get_pipeline(1000)),
        ("inline_set_pipeline_1000", inline_pipeline(1000)),
        ("big_bulk_1MiB", big_bulk()),
    ] {
        g.throughput(Throughput::Bytes(buf.len() as u64));
        g.bench_function(name, |b| b.iter(|| parse_buf(&mut p, black_box(&buf), &mut spans, &mut scratch)));
    }
    g.finish();

    let mut g = c.benchmark_group("chunked");
    let big_cmd = mset(2000);
    let pipe = set_pipeline(1000);
    for (name, buf, step) in [
        ("mset_2000_by_1_byte", &big_cmd, 1),
        ("mset_2000_by_7_bytes", &big_cmd, 7),
        ("set_pipeline_by_1_byte", &pipe, 1),
        ("set_pipeline_by_7_bytes", &pipe, 7),
    ] {
        g.throughput(Throughput::Bytes(buf.len() as u64));
        g.bench_function(name, |b| b.iter(|| parse_trickle(&mut p, black_box(buf), step, &mut spans, &mut scratch)));
    }
    g.finish();

    let mut g = c.benchmark_group("ring");
    let mut ring = Ring::with_capacity(16 * 1024);
    for (name, buf) in
        [("set_pipeline_1000_16KiB_reads", set_pipeline(1000)), ("big_bulk_1MiB_16KiB_reads", big_bulk())]
    {
        g.throughput(Throughput::Bytes(buf.len() as u64));
        g.bench_function(name, |b| {
            b.iter(|| through_ring(&mut ring, &mut p, black_box(&buf), 16 * 1024, &mut spans, &mut scratch))
        });
    }
    g.finish();
}

criterion_group!(name = parser; config = Criterion::default().sample_size(20).measurement_time(std::time::Duration::from_secs(2)).warm_up_time(std::time::Duration::from_millis(500)); targets = benches);
criterion_main!(parser);
