//! Keyspace hash table throughput against std's HashMap, and the cost of incremental rehash steps.
//!
//! Both sides store the same thing: a key and a short value (`Dict<Entry>` with one packed allocation per key;
//! `HashMap<Box<[u8]>, Box<[u8]>>` with two). Run: `cargo bench --bench dict`.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion};
use ferredis::keyspace::dict::Dict;
use ferredis::keyspace::object::Entry;
use ferredis::util::Rng;
use std::collections::HashMap;
use std::time::{Duration, Instant};

const N: usize = 200_000;

fn keys(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("key:{i:012}").into_bytes()).collect()
}

fn vals(n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("val{i}").into_bytes()).collect()
}

fn shuffled(n: usize, seed: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..n).collect();
    let mut rng = Rng::new(seed);
    for i in (1..n).rev() {
        idx.swap(i, rng.below(i as u64 + 1) as usize);
    }
    idx
}

fn bench_insert(c: &mut Criterion) {
    let (ks, vs) = (keys(N), vals(N));
    let mut g = c.benchmark_group("insert_200k");
    g.bench_function("dict", |b| {
        b.iter(|| {
            let mut d: Dict<Entry> = Dict::new();
            for (k, v) in ks.iter().zip(&vs) {
                d.insert(Entry::new_string(k, v));
            }
            black_box(d.len())
        })
    });
    g.bench_function("std_hashmap", |b| {
        b.iter(|| {
            let mut m: HashMap<Box<[u8]>, Box<[u8]>> = HashMap::new();
            for (k, v) in ks.iter().zip(&vs) {
                m.insert(k.as_slice().into(), v.as_slice().into());
            }
            black_box(m.len())
        })
    });
    g.finish();
}

fn bench_get(c: &mut Criterion) {
    let (ks, vs) = (keys(N), vals(N));
    let order = shuffled(N, 7);
    let mut d: Dict<Entry> = Dict::new();
    let mut m: HashMap<Box<[u8]>, Box<[u8]>> = HashMap::new();
    for (k, v) in ks.iter().zip(&vs) {
        d.insert(Entry::new_string(k, v));
        m.insert(k.as_slice().into(), v.as_slice().into());
    }
    while d.rehash_step(1000) {}
    let misses: Vec<Vec<u8>> = (0..N).map(|i| format!("nokey:{i:010}").into_bytes()).collect();
    let mut g = c.benchmark_group("get_200k");
    g.bench_function("dict_hit", |b| b.iter(|| order.iter().filter(|&&i| d.get(&ks[i]).is_some()).count()));
    g.bench_function("std_hashmap_hit", |b| {
        b.iter(|| order.iter().filter(|&&i| m.contains_key(ks[i].as_slice())).count())
    });
    g.bench_function("dict_miss", |b| b.iter(|| misses.iter().filter(|k| d.get(k).is_some()).count()));
    g.bench_function("std_hashmap_miss", |b| b.iter(|| misses.iter().filter(|k| m.contains_key(k.as_slice())).count()));
    g.finish();
}

fn bench_remove(c: &mut Criterion) {
    let (ks, vs) = (keys(N), vals(N));
    let order = shuffled(N, 9);
    let mut g = c.benchmark_group("remove_all_200k");
    g.bench_function("dict", |b| {
        b.iter_batched(
            || {
                let mut d: Dict<Entry> = Dict::new();
                for (k, v) in ks.iter().zip(&vs) {
                    d.insert(Entry::new_string(k, v));
                }
                d
            },
            |mut d| {
                for &i in &order {
                    black_box(d.remove(&ks[i]));
                }
                d
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("std_hashmap", |b| {
        b.iter_batched(
            || {
                let mut m: HashMap<Box<[u8]>, Box<[u8]>> = HashMap::new();
                for (k, v) in ks.iter().zip(&vs) {
                    m.insert(k.as_slice().into(), v.as_slice().into());
                }
                m
            },
            |mut m| {
                for &i in &order {
                    black_box(m.remove(ks[i].as_slice()));
                }
                m
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// Time of one `rehash_step(n)` while a 1M-slot table grows (the pause one write adds, and a cron slice).
fn bench_rehash_step(c: &mut Criterion) {
    let ks = keys(786_000);
    let build = || {
        let mut d: Dict<Entry> = Dict::new();
        for k in &ks {
            d.insert(Entry::new_string(k, b"v"));
        }
        while d.rehash_step(1000) {}
        // Push the fill over 3/4 of 2^20 slots: the next insert starts a growth to 2^21.
        let mut i = 0;
        while !d.is_rehashing() {
            d.insert(Entry::new_string(format!("extra:{i}").as_bytes(), b"v"));
            i += 1;
        }
        d
    };
    let mut g = c.benchmark_group("rehash_step_1M");
    g.sample_size(10);
    for n in [1usize, 100] {
        g.bench_function(format!("step_{n}"), |b| {
            let mut d = build();
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    if !d.is_rehashing() {
                        d = build();
                    }
                    let t = Instant::now();
                    black_box(d.rehash_step(n));
                    total += t.elapsed();
                }
                total
            })
        });
    }
    g.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! { name = benches; config = config(); targets = bench_insert, bench_get, bench_remove, bench_rehash_step }
criterion_main!(benches);
