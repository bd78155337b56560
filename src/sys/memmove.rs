//! `memmove` for the static musl build (`make static`).
//!
//! musl's x86_64 `memmove` sends a forward move to its `memcpy` (`rep movsq`), but copies a backward move (the
//! destination above an overlapping source) one byte at a time with `std; rep movsb`, which modern x86 cores run
//! at roughly a byte per cycle. The server makes that move on every insertion into a listpack: LPUSH on a long
//! list shifts its head node (up to 8 KB) right by one entry, so on the static musl binary LPUSH spent most of its
//! time in musl's memmove (the figures: `benches/README.md`, "Figures the module docs point to").
//!
//! [`move_bytes`] is our replacement, and the musl build exports it under the C name `memmove`. A static link
//! takes an archive member only for a symbol still undefined, so libc.a's `memmove` object is never pulled in and
//! every caller (Rust's `ptr::copy`, [`Vec::insert`], musl itself) lands here. glibc builds keep glibc's memmove,
//! which is already vectorised; there [`move_bytes`] is compiled only for its unit tests.
//!
//! Because this function *is* `memmove` in that build, it must never call memmove: the compiler turns copy loops
//! into calls to it ("loop idiom" recognition). So there are no copy loops in Rust here. Up to 64 bytes, every
//! load happens before any store, so overlap cannot corrupt anything. Above that, the loops are inline assembly
//! moving 64 bytes at a time in 16-byte registers (SSE2, which every x86_64 has). Long forward moves use `rep movsb`, which is fast
//! forwards on current cores.
//!
//! ```text
//!   backward (dst > src, overlapping), n > 64:
//!     head = src[0..64)                      loaded first (four registers), stored last
//!     i = n; do { i -= 64; dst[i..i+64) = src[i..i+64) } while i > 64     (four loads, then four stores)
//!     dst[0..64) = head                      covers the 0 < i <= 64 bytes left
//!   forward (dst < src, or no overlap), 64 < n < REP_MOVSB_MIN:
//!     tail = src[n-64..n)                    loaded first, stored last
//!     i = 0; do { dst[i..i+64) = src[i..i+64); i += 64 } while i < n - 64
//!     dst[n-64..n) = tail
//! ```
//!
//! Why the loops are safe under overlap: a backward block store at `dst + i` (above `src + i`) only touches
//! source bytes at or above `i`, which were all read already; a forward store at `dst + i` (below `src + i`) only
//! touches source bytes below `i + 64`, likewise already read (each block is loaded whole before it is stored).
//! The saved head or tail holds the original bytes.
//!
//! Tested by the unit tests below against `ptr::copy` on every length up to 400 and every shift in -80..=80, in
//! both directions, plus the long `rep movsb` path.

#[cfg(target_arch = "x86_64")]
use core::arch::asm;
#[cfg(target_arch = "x86_64")]
use core::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_storeu_si128};

/// Forward moves at least this long use `rep movsb` (fast-string microcode); shorter ones the SSE2 loop, which
/// has no start-up cost.
#[cfg(target_arch = "x86_64")]
const REP_MOVSB_MIN: usize = 2048;

/// Copies `n` bytes from `src` to `dst`; the two regions may overlap (C `memmove`).
///
/// # Safety
/// `src` must be readable and `dst` writable for `n` bytes.
#[cfg(target_arch = "x86_64")]
#[inline]
pub unsafe fn move_bytes(dst: *mut u8, src: *const u8, n: usize) {
    if n <= 16 {
        // SAFETY: the caller's contract, passed on.
        unsafe { move_small(dst, src, n) };
        return;
    }
    if n <= 64 {
        // SAFETY: 16 < n <= 64, so every 16-byte block below lies inside the caller's n bytes (the middle ones
        // overlap the outer ones when n < 64); all loads happen before any store.
        unsafe {
            let a = _mm_loadu_si128(src as *const __m128i);
            let d = _mm_loadu_si128(src.add(n - 16) as *const __m128i);
            if n <= 32 {
                _mm_storeu_si128(dst as *mut __m128i, a);
                _mm_storeu_si128(dst.add(n - 16) as *mut __m128i, d);
            } else {
                let b = _mm_loadu_si128(src.add(16) as *const __m128i);
                let c = _mm_loadu_si128(src.add(n - 32) as *const __m128i);
                _mm_storeu_si128(dst as *mut __m128i, a);
                _mm_storeu_si128(dst.add(16) as *mut __m128i, b);
                _mm_storeu_si128(dst.add(n - 32) as *mut __m128i, c);
                _mm_storeu_si128(dst.add(n - 16) as *mut __m128i, d);
            }
        }
        return;
    }
    if (dst as usize).wrapping_sub(src as usize) >= n {
        // dst below src, or the regions are disjoint: copy from the front.
        if n >= REP_MOVSB_MIN {
            // SAFETY: rep movsb with the direction flag clear (the ABI guarantees it at call boundaries) copies
            // rcx bytes from [rsi] to [rdi] upwards, byte by byte in effect, which is correct for dst < src.
            unsafe {
                asm!(
                    "rep movsb",
                    inout("rcx") n => _,
                    inout("rdi") dst => _,
                    inout("rsi") src => _,
                    options(nostack, preserves_flags)
                );
            }
        } else {
            // SAFETY: n > 64; every block read and written lies in [0, n); the module docs show why overlap
            // with dst < src is safe in this order.
            unsafe {
                asm!(
                    "movdqu {t0}, [{src} + {n} - 64]",
                    "movdqu {t1}, [{src} + {n} - 48]",
                    "movdqu {t2}, [{src} + {n} - 32]",
                    "movdqu {t3}, [{src} + {n} - 16]",
                    "xor {i}, {i}",
                    "2:",
                    "movdqu {x0}, [{src} + {i}]",
                    "movdqu {x1}, [{src} + {i} + 16]",
                    "movdqu {x2}, [{src} + {i} + 32]",
                    "movdqu {x3}, [{src} + {i} + 48]",
                    "movdqu [{dst} + {i}], {x0}",
                    "movdqu [{dst} + {i} + 16], {x1}",
                    "movdqu [{dst} + {i} + 32], {x2}",
                    "movdqu [{dst} + {i} + 48], {x3}",
                    "add {i}, 64",
                    "cmp {i}, {lim}",
                    "jb 2b",
                    "movdqu [{dst} + {n} - 64], {t0}",
                    "movdqu [{dst} + {n} - 48], {t1}",
                    "movdqu [{dst} + {n} - 32], {t2}",
                    "movdqu [{dst} + {n} - 16], {t3}",
                    src = in(reg) src,
                    dst = in(reg) dst,
                    n = in(reg) n,
                    lim = in(reg) n - 64,
                    i = out(reg) _,
                    x0 = out(xmm_reg) _,
                    x1 = out(xmm_reg) _,
                    x2 = out(xmm_reg) _,
                    x3 = out(xmm_reg) _,
                    t0 = out(xmm_reg) _,
                    t1 = out(xmm_reg) _,
                    t2 = out(xmm_reg) _,
                    t3 = out(xmm_reg) _,
                    options(nostack)
                );
            }
        }
    } else {
        // dst above src and overlapping: copy from the back.
        // SAFETY: n > 64; every block read and written lies in [0, n); the module docs show why overlap with
        // dst > src is safe in this order.
        unsafe {
            asm!(
                "movdqu {h0}, [{src}]",
                "movdqu {h1}, [{src} + 16]",
                "movdqu {h2}, [{src} + 32]",
                "movdqu {h3}, [{src} + 48]",
                "2:",
                "sub {i}, 64",
                "movdqu {x0}, [{src} + {i} + 48]",
                "movdqu {x1}, [{src} + {i} + 32]",
                "movdqu {x2}, [{src} + {i} + 16]",
                "movdqu {x3}, [{src} + {i}]",
                "movdqu [{dst} + {i} + 48], {x0}",
                "movdqu [{dst} + {i} + 32], {x1}",
                "movdqu [{dst} + {i} + 16], {x2}",
                "movdqu [{dst} + {i}], {x3}",
                "cmp {i}, 64",
                "ja 2b",
                "movdqu [{dst}], {h0}",
                "movdqu [{dst} + 16], {h1}",
                "movdqu [{dst} + 32], {h2}",
                "movdqu [{dst} + 48], {h3}",
                src = in(reg) src,
                dst = in(reg) dst,
                i = inout(reg) n => _,
                x0 = out(xmm_reg) _,
                x1 = out(xmm_reg) _,
                x2 = out(xmm_reg) _,
                x3 = out(xmm_reg) _,
                h0 = out(xmm_reg) _,
                h1 = out(xmm_reg) _,
                h2 = out(xmm_reg) _,
                h3 = out(xmm_reg) _,
                options(nostack)
            );
        }
    }
}

/// `n <= 16`: two possibly overlapping loads of the widest size that fits, then two stores.
///
/// # Safety
/// As [`move_bytes`].
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn move_small(dst: *mut u8, src: *const u8, n: usize) {
    // SAFETY: (every arm) each access lies inside [0, n) because of the arm's bounds on n; both loads come before
    // both stores, so overlapping regions read the original bytes.
    unsafe {
        if n >= 8 {
            let a = (src as *const u64).read_unaligned();
            let b = (src.add(n - 8) as *const u64).read_unaligned();
            (dst as *mut u64).write_unaligned(a);
            (dst.add(n - 8) as *mut u64).write_unaligned(b);
        } else if n >= 4 {
            let a = (src as *const u32).read_unaligned();
            let b = (src.add(n - 4) as *const u32).read_unaligned();
            (dst as *mut u32).write_unaligned(a);
            (dst.add(n - 4) as *mut u32).write_unaligned(b);
        } else if n >= 2 {
            let a = (src as *const u16).read_unaligned();
            let b = (src.add(n - 2) as *const u16).read_unaligned();
            (dst as *mut u16).write_unaligned(a);
            (dst.add(n - 2) as *mut u16).write_unaligned(b);
        } else if n == 1 {
            *dst = *src;
        }
    }
}

/// The C symbol, in static musl builds only (see the module docs).
///
/// # Safety
/// C `memmove`'s contract: `src` readable and `dst` writable for `n` bytes.
#[cfg(all(target_arch = "x86_64", target_os = "linux", target_env = "musl"))]
#[no_mangle]
pub unsafe extern "C" fn memmove(dst: *mut libc::c_void, src: *const libc::c_void, n: usize) -> *mut libc::c_void {
    // SAFETY: the C caller's contract is move_bytes's.
    unsafe { move_bytes(dst as *mut u8, src as *const u8, n) };
    dst
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::move_bytes;

    /// A buffer with distinct bytes, moved both ways, checked against [`ptr::copy`] (libc's memmove here).
    fn check(len: usize, from: usize, to: usize, buf_len: usize) {
        let orig: Vec<u8> = (0..buf_len).map(|i| (i * 7 + i / 251) as u8).collect();
        let mut want = orig.clone();
        let mut got = orig.clone();
        // SAFETY: from + len and to + len are within buf_len (asserted by the callers' ranges).
        unsafe {
            std::ptr::copy(want.as_ptr().add(from), want.as_mut_ptr().add(to), len);
            let p = got.as_mut_ptr();
            move_bytes(p.add(to), p.add(from) as *const u8, len);
        }
        assert!(want == got, "len {len} from {from} to {to}");
    }

    #[test]
    fn every_length_and_shift_matches_ptr_copy() {
        for len in 0..=400 {
            for shift in -80i64..=80 {
                let from = 96usize;
                let to = (from as i64 + shift) as usize;
                check(len, from, to, 600);
            }
        }
    }

    #[test]
    fn disjoint_and_long_moves_match_ptr_copy() {
        // Disjoint, both orders; and long moves across REP_MOVSB_MIN, overlapping both ways.
        for len in [0, 1, 17, 33, 100, 2047, 2048, 2049, 9000] {
            check(len, 0, len + 5, 2 * len + 10);
            check(len, len + 5, 0, 2 * len + 10);
            check(len, 3, 0, len + 3);
            check(len, 0, 3, len + 3);
            check(len, 0, 1, len + 1);
            check(len, 1, 0, len + 1);
        }
    }

    #[test]
    fn unaligned_bases_match_ptr_copy() {
        for base in 0..16 {
            for len in [31, 32, 33, 47, 64, 65, 500] {
                check(len, base, base + 9, 600);
                check(len, base + 9, base, 600);
            }
        }
    }
}
