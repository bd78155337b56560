//! The "fast memory test" of a crash report (`crash-memcheck-enabled`, Redis's `memtest.c`
//! `memtest_preserving_test` and `debug.c` `memtest_test_linux_anonymous_maps`): every anonymous read-write
//! mapping of the process is tested in pieces of at most 1 MiB, each piece saved first and put back afterwards, with
//! Redis's patterns (each word holding its own address; xorshift64* random values; all zeros/ones; alternating
//! bits) written to both halves of the piece and compared.
//!
//! Runs inside a fatal-signal handler, so only async-signal-safe calls: `/proc/self/maps` is read with
//! `open`/`read` into a stack buffer, the backup area is mapped at start-up ([`init`]), and output goes through
//! [`SigWriter`]. The mapping that holds the running stack (the alternate signal stack), the one holding the main
//! thread's control block and thread-locals, and the backup area are skipped, as Redis skips `[stack]`.
//!
//! Tested by the unit test below (a mapped buffer keeps its contents and shows no error) and by the crash tests,
//! whose reports end with the test's verdict.

use super::fatal::SigWriter;
use std::sync::atomic::{AtomicUsize, Ordering};

const PAGE: usize = 4096;
/// Bytes tested (and saved) at a time: Redis's `MEMTEST_BACKUP_WORDS` longs.
const BACKUP_BYTES: usize = 1024 * 1024;
/// Cache-trashing reads at the start and end of a region between fill and compare (`MEMTEST_DECACHE_SIZE`).
const DECACHE_BYTES: usize = 8 * 1024;
const ONEZERO: usize = 0xaaaa_aaaa_aaaa_aaaa_u64 as usize;
const ZEROONE: usize = 0x5555_5555_5555_5555_u64 as usize;
const _: () = assert!(BACKUP_BYTES % (2 * PAGE) == 0 && DECACHE_BYTES % PAGE == 0);

/// The backup area, mapped at start-up (address space only until a crash touches it). Set once by [`init`]
/// ([`crash_report::install`](crate::crash_report::install) at start-up; the unit test below calls it too); read by the
/// crash-time memory test, inside a fatal-signal handler, which is why it is a static.
static BACKUP: AtomicUsize = AtomicUsize::new(0);
/// An address inside the event loop thread's thread-local block. glibc keeps the main thread's control block and
/// static TLS in an anonymous mapping (which the kernel may merge with neighbours, such as the alternate signal
/// stack); overwriting it under the running thread would crash the test, so that mapping is skipped. Set once
/// by [`init`] at start-up, read by the crash-time memory test in the signal handler.
static MAIN_TLS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Never written: only its address matters, which [`init`] stores in [`MAIN_TLS`] to find the thread-local
    /// block of the thread that runs it.
    static TLS_MARK: u8 = const { 0 };
}

/// Reserves the backup area; without it the test is skipped.
pub fn init() {
    // SAFETY: an anonymous private mapping, checked against MAP_FAILED, never unmapped.
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            BACKUP_BYTES,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
            -1,
            0,
        )
    };
    if p != libc::MAP_FAILED {
        BACKUP.store(p as usize, Ordering::Release);
    }
    MAIN_TLS.store(TLS_MARK.with(|m| m as *const u8 as usize), Ordering::Relaxed);
}

/// Every word holds its own address, then is checked (`memtest_addressing`).
///
/// # Safety
/// `[l, l + words)` must be mapped read-write and not used by anything else during the call.
unsafe fn addressing(l: *mut usize, words: usize) -> usize {
    // SAFETY: within the range the caller vouches for.
    unsafe {
        for j in 0..words {
            let p = l.add(j);
            p.write_volatile(p as usize);
        }
        for j in 0..words {
            let p = l.add(j);
            if p.read_volatile() != p as usize {
                return 1;
            }
        }
    }
    0
}

/// Fills both halves with the same values, a page stride at a time (`memtest_fill_random` / `_fill_value`);
/// `value(off, w)` gives the word for column `off` of row `w`.
///
/// # Safety
/// As [`addressing`], with `bytes` a multiple of the page size.
unsafe fn fill(l: *mut usize, bytes: usize, mut value: impl FnMut(usize) -> usize) {
    let step = PAGE / std::mem::size_of::<usize>();
    let words = bytes / std::mem::size_of::<usize>() / 2;
    let iwords = words / step;
    for off in 0..step {
        for w in 0..iwords {
            let v = value(off);
            // SAFETY: `off + w * step < words`, so both writes stay in `[l, l + 2 * words)`.
            unsafe {
                l.add(off + w * step).write_volatile(v);
                l.add(off + w * step + words).write_volatile(v);
            }
        }
    }
}

/// Compares the two halves `times` times (`memtest_compare_times`).
///
/// # Safety
/// `[l, l + bytes)` must be mapped and readable.
unsafe fn compare(l: *const usize, bytes: usize, times: usize) -> usize {
    let words = bytes / std::mem::size_of::<usize>() / 2;
    let mut errors = 0;
    for _ in 0..times {
        for w in 0..words {
            // SAFETY: both reads are within `[l, l + 2 * words)`.
            if unsafe { l.add(w).read_volatile() != l.add(w + words).read_volatile() } {
                errors += 1;
                break;
            }
        }
    }
    errors
}

/// Redis's `memtest_preserving_test` with one pass: returns the number of errors found.
///
/// # Safety
/// `[m, m + bytes)` must be mapped read-write; nothing else may rely on its contents until the call returns
/// (they are saved and restored); `backup` must be `BACKUP_BYTES` writable bytes outside it.
pub unsafe fn preserving_test(m: *mut usize, bytes: usize, backup: *mut usize) -> usize {
    if bytes % PAGE != 0 || bytes < 2 * PAGE {
        return 0;
    }
    let wsz = std::mem::size_of::<usize>();
    let end = (m as usize + bytes - DECACHE_BYTES) as *const usize;
    let mut p = m;
    let mut left = bytes;
    let mut errors = 0;
    let mut seed: u64 = 0xd131_33de_9afd_b566;
    while left > 0 {
        if left == PAGE {
            // A single last page is tested together with the one before it.
            left += PAGE;
            // SAFETY: at least two pages were tested before, so the page before `p` is in the region.
            p = unsafe { p.sub(PAGE / wsz) };
        }
        let mut len = left.min(BACKUP_BYTES);
        if (len / PAGE) % 2 == 1 {
            len -= PAGE;
        }
        let decache = || {
            if bytes >= DECACHE_BYTES {
                // SAFETY: `m` and `end` start DECACHE_BYTES-long ranges inside the region.
                unsafe {
                    compare(m, DECACHE_BYTES, 1);
                    compare(end, DECACHE_BYTES, 1);
                }
            }
        };
        // SAFETY: `[p, p + len)` lies in the region; `backup` holds BACKUP_BYTES >= len bytes elsewhere.
        unsafe {
            std::ptr::copy_nonoverlapping(p as *const u8, backup as *mut u8, len);
            errors += addressing(p, len / wsz);
            fill(p, len, |_| {
                seed ^= seed >> 12;
                seed ^= seed << 25;
                seed ^= seed >> 27;
                seed.wrapping_mul(2_685_821_657_736_338_717) as usize
            });
            decache();
            errors += compare(p, len, 4);
            fill(p, len, |off| if off & 1 == 1 { usize::MAX } else { 0 });
            decache();
            errors += compare(p, len, 4);
            fill(p, len, |off| if off & 1 == 1 { ZEROONE } else { ONEZERO });
            decache();
            errors += compare(p, len, 4);
            std::ptr::copy_nonoverlapping(backup as *const u8, p as *mut u8, len);
            p = p.add(len / wsz);
        }
        left -= len;
    }
    errors
}

fn parse_hex(s: &[u8]) -> Option<usize> {
    let mut v: usize = 0;
    if s.is_empty() {
        return None;
    }
    for &c in s {
        let d = (c as char).to_digit(16)? as usize;
        v = v.checked_mul(16)?.checked_add(d)?;
    }
    Some(v)
}

const MAX_REGIONS: usize = 128;

/// `------ FAST MEMORY TEST ------`: tests the anonymous read-write mappings and writes the verdict.
pub fn run_and_report(w: &mut SigWriter) {
    let backup = BACKUP.load(Ordering::Acquire);
    if backup == 0 {
        return;
    }
    w.str("\n------ FAST MEMORY TEST ------\n");
    let here = &backup as *const usize as usize; // an address on the running stack
    let tls = MAIN_TLS.load(Ordering::Relaxed);
    let mut regions = [(0usize, 0usize); MAX_REGIONS];
    let mut n = 0;
    // SAFETY: open/read/close are async-signal-safe; the path is NUL-terminated.
    let fd = unsafe { libc::open(c"/proc/self/maps".as_ptr(), libc::O_RDONLY) };
    if fd < 0 {
        return;
    }
    let mut buf = [0u8; 8192];
    let mut have = 0;
    loop {
        // SAFETY: reading into the unused tail of our buffer.
        let r = unsafe { libc::read(fd, buf[have..].as_mut_ptr() as *mut libc::c_void, buf.len() - have) };
        if r > 0 {
            have += r as usize;
        }
        let mut start = 0;
        while let Some(nl) = buf[start..have].iter().position(|&c| c == b'\n') {
            let line = &buf[start..start + nl];
            start += nl + 1;
            if n < MAX_REGIONS {
                if let Some(reg) = candidate(line, here, backup).filter(|&(s, n)| !(s..s + n).contains(&tls)) {
                    regions[n] = reg;
                    n += 1;
                    w.str("*** Preparing to test memory region ").hex(reg.0).str(" (").dec(reg.1 as i64);
                    w.str(" bytes)\n");
                }
            }
        }
        buf.copy_within(start..have, 0);
        have -= start;
        if r <= 0 || (start == 0 && have == buf.len()) {
            break;
        }
    }
    // SAFETY: closing the descriptor opened above.
    unsafe { libc::close(fd) };
    let mut errors = 0;
    for &(start, size) in &regions[..n] {
        w.str(".");
        w.flush();
        // SAFETY: the kernel lists the region as mapped read-write and private; it is not our stack or the backup
        // area; whatever else uses it sees it restored before we go on (and the process is ending).
        errors += unsafe { preserving_test(start as *mut usize, size, backup as *mut usize) };
        w.str(if errors > 0 { "E" } else { "O" });
    }
    w.str("\n");
    if errors > 0 {
        w.str("!!! MEMORY ERROR DETECTED! Check your memory ASAP !!!\n");
    } else {
        w.str(
            "Fast memory test PASSED, however your memory can still be broken. Please run a memory test for \
             several hours if possible.\n",
        );
    }
}

/// A `/proc/self/maps` line worth testing (Redis's filter: anonymous device `00:00`, `rw`, not a stack, vdso or
/// vsyscall), minus the running stack and the backup area.
fn candidate(line: &[u8], sp: usize, backup: usize) -> Option<(usize, usize)> {
    let dash = line.iter().position(|&c| c == b'-')?;
    let sp_end = line.iter().position(|&c| c == b' ')?;
    let start = parse_hex(&line[..dash])?;
    let end = parse_hex(line.get(dash + 1..sp_end)?)?;
    let rest = &line[sp_end + 1..];
    let has = |pat: &[u8]| rest.windows(pat.len()).any(|w| w == pat);
    if has(b"stack") || has(b"vdso") || has(b"vsyscall") || !has(b"00:00") || !rest.starts_with(b"rw") {
        return None;
    }
    if (start..end).contains(&sp) || (start..end).contains(&backup) || end <= start {
        return None;
    }
    Some((start, end - start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preserving_test_keeps_contents_and_finds_no_error() {
        init();
        let backup = BACKUP.load(Ordering::Acquire);
        assert_ne!(backup, 0);
        // 3 pages (odd, to exercise the last-page rule) plus a larger region spanning two backup chunks.
        for bytes in [3 * PAGE, BACKUP_BYTES + 5 * PAGE] {
            let mut v: Vec<usize> = (0..bytes / 8 + PAGE / 8).map(|i| i.wrapping_mul(0x9e37_79b9)).collect();
            let base = v.as_mut_ptr() as usize;
            let aligned = (base + PAGE - 1) & !(PAGE - 1);
            let before: Vec<usize> = v.clone();
            // SAFETY: `[aligned, aligned + bytes)` is inside `v`, which nothing else touches meanwhile.
            let errors = unsafe { preserving_test(aligned as *mut usize, bytes, backup as *mut usize) };
            assert_eq!(errors, 0);
            assert_eq!(v, before);
        }
    }

    #[test]
    fn maps_filter_is_redis() {
        let l = b"7f0000000000-7f0000004000 rw-p 00000000 00:00 0 ";
        assert_eq!(candidate(l, 1, 2), Some((0x7f00_0000_0000, 0x4000)));
        assert_eq!(candidate(b"7f0000000000-7f0000004000 r--p 00000000 00:00 0 ", 1, 2), None);
        assert_eq!(candidate(b"7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0    [stack]", 1, 2), None);
        assert_eq!(candidate(b"55d000000000-55d000001000 rw-p 00002000 08:01 123 /usr/bin/x", 1, 2), None);
        // The running stack is skipped.
        assert_eq!(candidate(l, 0x7f00_0000_0010, 2), None);
    }
}
