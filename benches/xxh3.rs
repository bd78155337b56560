//! XXH3-64 throughput (`ferredis::xxh3`, what DIGEST and the IFDEQ/IFDNE conditions hash with): GB/s on one core
//! for a 1 MiB value, and for a 64 MiB one (past the caches: memory bandwidth shows), 16 KiB and 1 KiB ones. Standard library only.
//!
//! Usage: `cargo bench --bench xxh3 [-- <rounds>]` (5 rounds by default). Each size is hashed for about half a
//! second per round; the best round is printed, as `<size> <GB/s>` lines (GB = 10^9 bytes).

use std::hint::black_box;
use std::time::Instant;

fn main() {
    // `cargo test` runs this (unoptimized, without `--bench`) as a smoke check: one pass over small sizes.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let rounds: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(5);
    let sizes: &[usize] = if smoke { &[1 << 10, 16 << 10] } else { &[1 << 20, 64 << 20, 16 << 10, 1 << 10] };
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let buf: Vec<u8> = (0..sizes.iter().copied().max().unwrap_or(0))
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    for &size in sizes {
        let input = &buf[..size];
        let per_round = if smoke { 1 } else { ((500_000_000 / size) as u64).max(1) };
        let mut best = 0f64;
        let mut sink = 0u64;
        for _ in 0..if smoke { 1 } else { rounds } {
            let t = Instant::now();
            for _ in 0..per_round {
                sink ^= ferredis::xxh3::hash64(black_box(input));
            }
            let gbs = (per_round as f64 * size as f64) / t.elapsed().as_secs_f64() / 1e9;
            best = best.max(gbs);
        }
        black_box(sink);
        println!("{size} {best:.2}");
    }
}
