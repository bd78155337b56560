use super::*;
use crate::util::Rng;

#[test]
fn a_batch_links_its_chunks_in_address_order() {
    // Enough chunks for the radix path (>= 4096), of a class no other test here uses (200 bytes).
    let n = 6000;
    let mut chunks: Vec<NonNull<u8>> = (0..n).map(|_| alloc(200)).collect();
    // Free in a scrambled order, with nested batches (only the outermost one links).
    let mut order: Vec<usize> = (0..n).collect();
    let mut rng = crate::util::Rng::new(7);
    for i in (1..n).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    {
        let _outer = FreeBatch::begin();
        for (k, &i) in order.iter().enumerate() {
            let _inner = (k % 100 == 0).then(FreeBatch::begin);
            // SAFETY: each chunk was allocated above with this size and is freed once.
            unsafe { dealloc(chunks[i], 200) };
        }
    }
    chunks.sort_by_key(|p| p.as_ptr() as usize);
    // Every chunk comes back, lowest address first.
    let again: Vec<NonNull<u8>> = (0..n).map(|_| alloc(200)).collect();
    assert_eq!(again, chunks);
    for p in again {
        // SAFETY: allocated just above with this size.
        unsafe { dealloc(p, 200) };
    }
}

#[test]
fn sort_addresses_sorts() {
    let mut rng = crate::util::Rng::new(3);
    for len in [0usize, 1, 100, 5000, 70000] {
        for chunk in [8usize, 24, 32, 40, 256] {
            // Distinct chunks `chunk` bytes apart (page headers leave gaps, so not all slots are taken).
            let mut slots: Vec<usize> = (0..len).map(|_| rng.below(1 << 24) as usize).collect();
            slots.sort_unstable();
            slots.dedup();
            let mut v: Vec<usize> = slots.iter().map(|&i| 0x7f00_0000_0000 + i * chunk).collect();
            for i in (1..v.len()).rev() {
                v.swap(i, rng.below(i as u64 + 1) as usize);
            }
            let mut want = v.clone();
            want.sort_unstable();
            sort_addresses(&mut v, chunk, &mut Vec::new());
            assert_eq!(v, want, "len {len} chunk {chunk}");
        }
    }
}

#[test]
fn reuses_freed_chunks_per_class() {
    let a = alloc(24);
    // SAFETY: allocated just above with this size.
    unsafe { dealloc(a, 24) };
    let b = alloc(17); // same class (24)
    assert_eq!(a, b);
    // SAFETY: allocated just above.
    unsafe { dealloc(b, 17) };
    let big = alloc(1000);
    assert_eq!(big.as_ptr() as usize % 8, 0);
    // SAFETY: allocated just above.
    unsafe { dealloc(big, 1000) };
}

#[test]
fn realloc_keeps_prefix_across_small_and_large() {
    let mut p = alloc(16);
    // SAFETY: 16 fresh bytes.
    unsafe { std::ptr::copy_nonoverlapping(b"0123456789abcdef".as_ptr(), p.as_ptr(), 16) };
    for (old, new) in [(16, 20), (20, 200), (200, 4000), (4000, 9000), (9000, 100), (100, 16)] {
        // SAFETY: `p` is live with size `old`; the first 16 bytes were written above.
        p = unsafe { realloc(p, old, new, 16) };
        // SAFETY: `p` is live with at least 16 initialized bytes.
        let got = unsafe { std::slice::from_raw_parts(p.as_ptr(), 16) };
        assert_eq!(got, b"0123456789abcdef", "{old} -> {new}");
    }
    // SAFETY: last size was 16.
    unsafe { dealloc(p, 16) };
}

#[test]
fn slab_bytes_behaves_like_vec() {
    let mut rng = Rng::new(5);
    let mut b = SlabBytes::new();
    let mut model: Vec<u8> = Vec::new();
    assert_eq!(b.capacity(), 0);
    for round in 0..5000u32 {
        match rng.below(6) {
            0 | 1 => {
                let n = rng.below(70) as usize;
                let chunk: Vec<u8> = (0..n).map(|i| (round as usize + i) as u8).collect();
                b.extend_from_slice(&chunk);
                model.extend_from_slice(&chunk);
            }
            2 => {
                let n = rng.below(300) as usize;
                b.resize(n, 7);
                model.resize(n, 7);
            }
            3 if !model.is_empty() => {
                let s = rng.below(model.len() as u64) as usize;
                let e = s + rng.below((model.len() - s) as u64 + 1) as usize;
                b.remove_range(s, e);
                model.drain(s..e);
            }
            4 => {
                b.shrink_to_fit();
                assert_eq!(b.capacity(), chunk_size(model.len()));
            }
            _ => {
                let c = b.clone();
                assert_eq!(c, b);
                b.push(round as u8);
                model.push(round as u8);
            }
        }
        assert_eq!(b.as_slice(), model.as_slice());
        assert!(b.len() <= b.capacity());
    }
    b.resize(0, 0);
    b.shrink_to_fit();
    assert_eq!(b.capacity(), 0);
    assert!(b.is_empty());
}

#[test]
fn chunks_never_overlap_and_keep_contents() {
    let mut rng = Rng::new(11);
    let mut live: Vec<(NonNull<u8>, usize, u8)> = Vec::new();
    let before = stats().live_bytes;
    for round in 0..20_000u32 {
        if live.is_empty() || rng.below(3) != 0 {
            let size = 1 + rng.below(400) as usize;
            let p = alloc(size);
            assert_eq!(p.as_ptr() as usize % 8, 0);
            let tag = round as u8;
            // SAFETY: `p` is a fresh allocation of `size` bytes.
            unsafe { std::ptr::write_bytes(p.as_ptr(), tag, size) };
            live.push((p, size, tag));
        } else {
            let i = rng.below(live.len() as u64) as usize;
            let (p, size, tag) = live.swap_remove(i);
            // SAFETY: `p` is live with `size` bytes; we only read it.
            let bytes = unsafe { std::slice::from_raw_parts(p.as_ptr(), size) };
            assert!(bytes.iter().all(|&b| b == tag), "chunk contents were overwritten");
            // SAFETY: allocated with this size and not freed yet.
            unsafe { dealloc(p, size) };
        }
    }
    for (p, size, tag) in live {
        // SAFETY: as above.
        let bytes = unsafe { std::slice::from_raw_parts(p.as_ptr(), size) };
        assert!(bytes.iter().all(|&b| b == tag));
        // SAFETY: as above.
        unsafe { dealloc(p, size) };
    }
    assert_eq!(stats().live_bytes, before);
}

/// Chunks of one class filling `pages` pages (plus the header room), tagged with their index.
fn fill_class(size: usize, pages: usize) -> Vec<NonNull<u8>> {
    let per_page = (PAGE_BYTES - HDR_BYTES) / chunk_size(size);
    (0..per_page * pages)
        .map(|i| {
            let p = alloc(size);
            // SAFETY: a fresh chunk of `size` >= 8 bytes.
            unsafe { p.as_ptr().cast::<u64>().write(i as u64) };
            p
        })
        .collect()
}

#[test]
fn release_frees_only_fully_free_pages() {
    let size = 48;
    let chunks = fill_class(size, 4);
    let mapped = stats().page_bytes;
    assert_eq!(mapped, 4 * PAGE_BYTES);
    // Keep every 3000th chunk: it pins its page; pages without a kept chunk are fully free.
    let mut kept = Vec::new();
    let mut pinned = std::collections::HashSet::new();
    for (i, p) in chunks.into_iter().enumerate() {
        if i % 3000 == 0 {
            pinned.insert(p.as_ptr() as usize & !(PAGE_BYTES - 1));
            kept.push((i, p));
        } else {
            // SAFETY: allocated by `fill_class` with this size.
            unsafe { dealloc(p, size) };
        }
    }
    assert!(pinned.len() < 4, "the test needs at least one page with nothing kept");
    let released = release_free_pages();
    assert_eq!(released, (4 - pinned.len()) * PAGE_BYTES);
    assert_eq!(stats().page_bytes, mapped - released);
    // Kept chunks are untouched; new chunks work and never overlap them.
    for &(i, p) in &kept {
        // SAFETY: `p` is live with at least 8 initialized bytes.
        assert_eq!(unsafe { p.as_ptr().cast::<u64>().read() }, i as u64);
    }
    let fresh = fill_class(size, 3);
    for &(i, p) in &kept {
        assert!(!fresh.contains(&p));
        // SAFETY: as above.
        assert_eq!(unsafe { p.as_ptr().cast::<u64>().read() }, i as u64);
    }
    for (i, p) in fresh.iter().enumerate() {
        // SAFETY: written by `fill_class`.
        assert_eq!(unsafe { p.as_ptr().cast::<u64>().read() }, i as u64);
    }
    for p in fresh.into_iter().chain(kept.into_iter().map(|(_, p)| p)) {
        // SAFETY: live chunks of this size.
        unsafe { dealloc(p, size) };
    }
    // Everything free now: every page goes, the bump page included, and allocation starts over cleanly.
    release_free_pages();
    assert_eq!(stats().page_bytes, 0);
    assert_eq!(free_bytes(), 0);
    let p = alloc(size);
    // SAFETY: fresh chunk.
    unsafe { dealloc(p, size) };
}

#[test]
fn release_step_waits_for_enough_free_memory() {
    let size = 16;
    let chunks = fill_class(size, 40);
    for p in chunks {
        // SAFETY: allocated with this size.
        unsafe { dealloc(p, size) };
    }
    // 40 pages of 16-byte chunks free: over 1 MiB, all of it free; the sweep takes a few bounded steps.
    let mut released = release_step();
    while SLAB.with(|s| s.sweep.active.get()) {
        released += release_step();
    }
    assert!(released >= 39 * PAGE_BYTES, "released {released}");
    // Nothing left to do: the next steps release nothing.
    assert_eq!(release_step(), 0);
}

#[test]
fn random_model_survives_releases() {
    let mut rng = Rng::new(23);
    let mut live: Vec<(NonNull<u8>, usize, u8)> = Vec::new();
    for round in 0..40_000u32 {
        if round % 5000 == 4999 {
            release_free_pages();
        }
        if live.len() < 3000 && (live.is_empty() || rng.below(2) == 0) {
            let size = 8 + rng.below(120) as usize;
            let p = alloc(size);
            // SAFETY: a fresh allocation of `size` bytes.
            unsafe { std::ptr::write_bytes(p.as_ptr(), round as u8, size) };
            live.push((p, size, round as u8));
        } else {
            let i = rng.below(live.len() as u64) as usize;
            let (p, size, tag) = live.swap_remove(i);
            // SAFETY: `p` is live with `size` bytes.
            let bytes = unsafe { std::slice::from_raw_parts(p.as_ptr(), size) };
            assert!(bytes.iter().all(|&b| b == tag), "a live chunk was overwritten or released");
            // SAFETY: allocated with this size, not freed yet.
            unsafe { dealloc(p, size) };
        }
    }
    for (p, size, _) in live {
        // SAFETY: as above.
        unsafe { dealloc(p, size) };
    }
    release_free_pages();
    assert_eq!(stats().page_bytes, 0);
}

#[test]
fn incremental_sweep_with_traffic_between_steps() {
    let size = 8;
    let mut rng = Rng::new(31);
    // 40 pages of 8-byte chunks; keep a scattered tenth alive so some pages stay and most go.
    let chunks = fill_class(size, 40);
    let mut live: Vec<(NonNull<u8>, u64)> = Vec::new();
    for (i, p) in chunks.into_iter().enumerate() {
        if i < 5 * 8189 && i % 10 == 0 {
            live.push((p, i as u64));
        } else {
            // SAFETY: allocated by `fill_class` with this size.
            unsafe { dealloc(p, size) };
        }
    }
    let pages_before = stats().page_bytes;
    let mut released = release_step();
    assert!(SLAB.with(|s| s.sweep.active.get()), "a sweep of this size takes several steps");
    let mut steps = 1;
    let mut tag = 1u64 << 40;
    while SLAB.with(|s| s.sweep.active.get()) {
        // Traffic between steps: allocations (fresh chunks or chunks freed after the sweep began) and frees.
        for _ in 0..2000 {
            if live.is_empty() || rng.below(2) == 0 {
                let p = alloc(size);
                tag += 1;
                // SAFETY: a fresh 8-byte chunk.
                unsafe { p.as_ptr().cast::<u64>().write(tag) };
                live.push((p, tag));
            } else {
                let i = rng.below(live.len() as u64) as usize;
                let (p, t) = live.swap_remove(i);
                // SAFETY: live chunk with 8 initialized bytes.
                assert_eq!(unsafe { p.as_ptr().cast::<u64>().read() }, t);
                // SAFETY: allocated with this size.
                unsafe { dealloc(p, size) };
            }
        }
        released += release_step();
        steps += 1;
    }
    assert!(steps >= 4, "{steps} steps");
    assert!(released >= 30 * PAGE_BYTES, "released {released}");
    assert!(stats().page_bytes < pages_before);
    for &(p, t) in &live {
        // SAFETY: live chunks with 8 initialized bytes.
        assert_eq!(unsafe { p.as_ptr().cast::<u64>().read() }, t, "a live chunk was overwritten or released");
    }
    // The kept chunks were spliced back: freeing everything and purging leaves nothing mapped.
    for (p, _) in live {
        // SAFETY: allocated with this size.
        unsafe { dealloc(p, size) };
    }
    release_free_pages();
    assert_eq!(stats().page_bytes, 0);
}

#[test]
fn chunks_freed_during_a_sweep_are_swept_later() {
    let size = 8;
    let mut chunks = fill_class(size, 40);
    let rest = chunks.split_off(chunks.len() / 2);
    for p in chunks {
        // SAFETY: allocated by `fill_class` with this size.
        unsafe { dealloc(p, size) };
    }
    let mut released = release_step();
    assert!(SLAB.with(|s| s.sweep.active.get()));
    // Free the other half while the first sweep runs: its pages are not on the detached list, so this sweep
    // keeps them, and it ends with nothing live.
    for p in rest {
        // SAFETY: as above.
        unsafe { dealloc(p, size) };
    }
    while SLAB.with(|s| s.sweep.active.get()) {
        released += release_step();
    }
    // The cron comes back for them (a bounded number of steps), and everything is unmapped.
    for _ in 0..100 {
        released += release_step();
    }
    assert_eq!(stats().page_bytes, 0, "released {released}");
}

#[test]
fn chunks_freed_on_another_thread_come_back() {
    let before = stats();
    let chunks: Vec<usize> = (0..1000).map(|i| alloc(24 + (i % 5) * 8).as_ptr() as usize).collect();
    let big = alloc(4000).as_ptr() as usize;
    let mid = stats();
    assert!(mid.live_bytes > before.live_bytes);
    let freed = std::thread::spawn(move || {
        for (i, p) in chunks.into_iter().enumerate() {
            // SAFETY: each chunk came from `alloc` with this size on the main test thread and is not used
            // again.
            unsafe { dealloc(NonNull::new(p as *mut u8).unwrap(), 24 + (i % 5) * 8) };
        }
        // SAFETY: as above.
        unsafe { dealloc(NonNull::new(big as *mut u8).unwrap(), 4000) };
        detach_freed()
    })
    .join()
    .unwrap();
    assert_eq!(freed.totals(), (1000, chunk_size(4000)));
    adopt_freed(freed);
    let after = stats();
    assert_eq!(after.live_bytes, before.live_bytes);
    assert_eq!(after.large_bytes, before.large_bytes);
    // The adopted chunks are reused here, and every page that held only them can be released.
    let again: Vec<NonNull<u8>> = (0..10).map(|_| alloc(24)).collect();
    for p in again {
        // SAFETY: allocated just above with the same size.
        unsafe { dealloc(p, 24) };
    }
    release_free_pages();
}

/// Moves every live chunk the defragmenter marks (what `Entry::defrag` does for entries).
fn move_marked(live: &mut [(NonNull<u8>, usize, u64)]) -> usize {
    let mut moved = 0;
    for (p, size, _) in live.iter_mut() {
        if chunk_moves(p.as_ptr(), *size) {
            let q = alloc(*size);
            // SAFETY: `p` is live with `size` bytes, `q` is a fresh chunk of the same size.
            unsafe {
                std::ptr::copy_nonoverlapping(p.as_ptr(), q.as_ptr(), *size);
                dealloc(*p, *size);
            }
            *p = q;
            moved += 1;
        }
    }
    moved
}

fn check_live(live: &[(NonNull<u8>, usize, u64)]) {
    let mut seen = std::collections::HashSet::new();
    for &(p, size, tag) in live {
        assert!(seen.insert(p.as_ptr() as usize), "two live chunks share an address");
        // SAFETY: live chunk with at least 8 initialized bytes.
        assert_eq!(unsafe { p.as_ptr().cast::<u64>().read() }, tag, "a live chunk lost its contents");
        // SAFETY: as above, `size` bytes.
        let tail = unsafe { std::slice::from_raw_parts(p.as_ptr().add(8), size - 8) };
        assert!(tail.iter().all(|&b| b == tag as u8));
    }
}

fn fresh_chunk(size: usize, tag: u64) -> (NonNull<u8>, usize, u64) {
    let p = alloc(size);
    // SAFETY: a fresh chunk of `size` >= 8 bytes.
    unsafe {
        p.as_ptr().cast::<u64>().write(tag);
        std::ptr::write_bytes(p.as_ptr().add(8), tag as u8, size - 8);
    }
    (p, size, tag)
}

#[test]
fn defrag_compacts_a_sparse_class() {
    let size = 48;
    let per = per_page(class_of(size));
    let mut rng = Rng::new(41);
    let mut live: Vec<_> = (0..per * 30).map(|i| fresh_chunk(size, i as u64)).collect();
    // Free a random 80%.
    let mut kept = Vec::new();
    for c in live.drain(..) {
        if rng.below(5) == 0 {
            kept.push(c);
        } else {
            // SAFETY: allocated with this size.
            unsafe { dealloc(c.0, size) };
        }
    }
    let mut live = kept;
    let before = stats().page_bytes;
    assert!(defrag_begin(10));
    while defrag_prep(1000) {}
    let moved = move_marked(&mut live);
    assert!(moved > 0);
    let released_in_poll = defrag_poll();
    defrag_end();
    check_live(&live);
    let after = stats().page_bytes;
    let need = live.len().div_ceil(per) + 1;
    assert!(
        after <= (need + 1) * PAGE_BYTES,
        "{} pages left for {} live chunks ({need} needed)",
        after / PAGE_BYTES,
        live.len()
    );
    assert!(released_in_poll > 0 && after < before);
    // The class keeps working: new chunks never overlap the survivors.
    for i in 0..per {
        live.push(fresh_chunk(size, 1_000_000 + i as u64));
    }
    check_live(&live);
    for (p, size, _) in live {
        // SAFETY: live chunks of this size.
        unsafe { dealloc(p, size) };
    }
    release_free_pages();
    assert_eq!(stats().page_bytes, 0);
}

#[test]
fn defrag_random_model_with_traffic() {
    let mut rng = Rng::new(97);
    let mut live: Vec<(NonNull<u8>, usize, u64)> = Vec::new();
    let mut tag = 0u64;
    for round in 0..60 {
        // Traffic: grow, then shrink at random.
        for _ in 0..3000 {
            if live.len() < 6000 && (live.is_empty() || rng.below(3) != 0) {
                tag += 1;
                live.push(fresh_chunk(8 + 8 * rng.below(8) as usize, tag));
            } else {
                let i = rng.below(live.len() as u64) as usize;
                let (p, size, _) = live.swap_remove(i);
                // SAFETY: allocated with this size.
                unsafe { dealloc(p, size) };
            }
        }
        if round % 3 == 0 {
            let _ = defrag_begin(1);
        }
        // Interleave preparation steps, moves, frees (some in a batch) and allocations.
        for _ in 0..20 {
            let _ = defrag_prep(64);
            move_marked(&mut live);
            defrag_poll();
            let _batch = (rng.below(2) == 0).then(FreeBatch::begin);
            for _ in 0..50 {
                if !live.is_empty() && rng.below(2) == 0 {
                    let i = rng.below(live.len() as u64) as usize;
                    let (p, size, _) = live.swap_remove(i);
                    // SAFETY: allocated with this size.
                    unsafe { dealloc(p, size) };
                } else {
                    tag += 1;
                    live.push(fresh_chunk(8 + 8 * rng.below(8) as usize, tag));
                }
            }
        }
        check_live(&live);
        if round % 7 == 6 {
            defrag_end();
        }
        if round % 11 == 10 {
            // A purge in the middle of a defrag ends it first.
            release_free_pages();
        }
    }
    defrag_end();
    check_live(&live);
    for (p, size, _) in live {
        // SAFETY: allocated with this size.
        unsafe { dealloc(p, size) };
    }
    release_free_pages();
    assert_eq!(stats().page_bytes, 0);
    assert_eq!(stats().live_bytes, 0);
}

#[test]
fn routed_buffers_live_in_the_slab_and_come_back() {
    let live_before = stats().live_bytes;
    let mut v: Vec<u8> = route(|| Vec::with_capacity(1000));
    assert!(is_slab(v.as_ptr()), "the routed buffer is a slab chunk");
    assert_eq!(stats().live_bytes, live_before + 1024);
    v.extend_from_slice(&[7u8; 1000]);
    // Growing it moves it to malloc; the chunk is freed.
    v.push(8);
    assert!(!is_slab(v.as_ptr()));
    assert_eq!(v.len(), 1001);
    assert!(v[..1000].iter().all(|&b| b == 7) && v[1000] == 8);
    assert_eq!(stats().live_bytes, live_before);
    let w: Vec<u8> = route(|| Vec::with_capacity(300));
    assert!(is_slab(w.as_ptr()));
    drop(w);
    assert_eq!(stats().live_bytes, live_before);
    // Too big for a routed class: plain malloc.
    let big: Vec<u8> = route(|| Vec::with_capacity(MAX_ROUTED + 1));
    assert!(!is_slab(big.as_ptr()));
    for size in [257, 320, 321, 512, 513, 1000, 1024, 4095, 4096] {
        assert!(class_size(class_of(size)) >= size && class_size(class_of(size)) < size * 5 / 4 + 64, "{size}");
    }
}

/// The header's invariants on one class after random allocations and frees with release walks among them: every
/// chunk carved from the class's pages is either live or on the free list, exactly once (so every page but the bump
/// page is fully carved); chunks are 8-aligned and lie in pages of this thread's slab; `scratch` is 0 outside a
/// release walk.
#[test]
fn every_carved_chunk_is_live_or_free_exactly_once() {
    // On a thread of its own, so that the slab holds this test's chunks only.
    std::thread::spawn(carved_chunks_are_live_or_free).join().expect("the check passes");
}

fn carved_chunks_are_live_or_free() {
    use std::collections::HashSet;
    let size = 72;
    let c = class_of(size);
    let mut rng = Rng::new(11);
    let mut live: Vec<NonNull<u8>> = Vec::new();
    for round in 0..6000 {
        if live.is_empty() || rng.below(3) != 0 {
            live.push(alloc(size));
        } else {
            let p = live.swap_remove(rng.below(live.len() as u64) as usize);
            // SAFETY: allocated above with this size, freed once.
            unsafe { dealloc(p, size) };
        }
        if round % 1500 == 1499 {
            // Free a run of them first, so that whole pages empty and the walk unmaps some.
            for p in live.drain(..live.len() / 2) {
                // SAFETY: as above.
                unsafe { dealloc(p, size) };
            }
            release_free_pages();
        }
    }
    SLAB.with(|s| {
        let class = &s.classes[c];
        let mut free = HashSet::new();
        let mut p = class.free.get();
        while !p.is_null() {
            assert!(free.insert(p as usize), "a chunk twice on the free list");
            // SAFETY: a free chunk's first word links the next free chunk (or is null).
            p = unsafe { p.cast::<*mut u8>().read() };
        }
        let live_set: HashSet<usize> = live.iter().map(|p| p.as_ptr() as usize).collect();
        assert_eq!(live_set.len(), live.len(), "a chunk handed out twice");
        assert!(live_set.is_disjoint(&free), "a live chunk on the free list");
        assert_eq!(class.live.get(), live.len());
        assert_eq!(live.len() + free.len(), class.carved(c), "a carved chunk neither live nor free");
        for &a in live_set.iter().chain(free.iter()) {
            assert_eq!(a % 8, 0);
            // SAFETY: every chunk lies in a mapped page of this slab, whose header is at the page's start.
            let hdr = unsafe { &*page_of(a as *mut u8) };
            assert_eq!(hdr.owner, s as *const Slab as usize, "a chunk outside this slab's pages");
            assert_eq!(hdr.scratch, 0);
        }
    });
    for p in live {
        // SAFETY: as above.
        unsafe { dealloc(p, size) };
    }
}
