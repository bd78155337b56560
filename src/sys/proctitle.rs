//! Changing the process title that `ps` shows (Redis's `setproctitle.c` approach), Linux only; elsewhere the
//! calls do nothing.
//!
//! `ps -o args` shows `/proc/PID/cmdline`, which the kernel reads from the process's own memory between
//! `arg_start` and `arg_end` (and, when the byte before `arg_end` is no longer NUL, on into the environment block
//! up to the first NUL). So the title is written over the original argument strings, using the environment
//! strings that follow them as extra room once those have been copied elsewhere and `environ` repointed.
//!
//! Where the area is: Rust's std keeps `argv` private, so [`init`] (called first thing in `main`) reads the
//! bounds from `/proc/self/stat` (fields 48-51: `arg_start arg_end env_start env_end`, Linux 3.5+), which names
//! exactly the block the kernel reads back. (The other way, an `.init_array` constructor receiving `argv`, depends
//! on the linker keeping a static from a library crate; the kernel's own numbers cannot be wrong.) It also keeps a
//! copy of the arguments: after the first title change [`std::env::args()`] would return the title, so DEBUG
//! RESTART execs from [`original_args`].
//!
//! Tested by tests/operations/log_events.rs (`ps -o args=` of a running server, after CONFIG SET, and of a BGSAVE
//! child).

use std::ffi::OsString;
use std::sync::{Mutex, OnceLock};

/// The command line as started, saved once by [`init`] (in `main`, before the configuration is read and before
/// the title overwrites it); read by [`original_args`] (the configuration's command line, DEBUG RESTART's exec).
/// Set once at start-up and read-only after, so a static.
static ORIGINAL_ARGS: OnceLock<Vec<OsString>> = OnceLock::new();

/// The writable title area `[start, start + len)`, and whether the environment was moved out of it yet.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))] // used by the Linux-only code
struct Area {
    start: usize,
    len: usize,
    env_moved: bool,
}

/// The title area, found once at start-up by [`init`]; each title change ([`set`]: the server's title, a fork
/// child's) writes into it and notes when the environment has been moved out. A static: it describes the process
/// image, shared by the server and its fork children.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))] // used by the Linux-only code
static AREA: Mutex<Option<Area>> = Mutex::new(None);

/// Captures the arguments and the title area. Call before anything reads or changes the environment.
pub fn init() {
    let _ = ORIGINAL_ARGS.set(std::env::args_os().collect());
    #[cfg(target_os = "linux")]
    if let Some(area) = read_area() {
        if let Ok(mut a) = AREA.lock() {
            *a = Some(area);
        }
    }
}

/// The command line the process started with (before any title change).
pub fn original_args() -> Vec<OsString> {
    ORIGINAL_ARGS.get().cloned().unwrap_or_else(|| std::env::args_os().collect())
}

#[cfg(target_os = "linux")]
fn read_area() -> Option<Area> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may itself contain spaces or parentheses.
    let after = &stat[stat.rfind(')')? + 1..];
    let f: Vec<&str> = after.split_whitespace().collect();
    // `after` starts at field 3.
    let field = |n: usize| -> Option<usize> { f.get(n - 3)?.parse().ok() };
    let (arg_start, arg_end, env_start, env_end) = (field(48)?, field(49)?, field(50)?, field(51)?);
    if arg_start == 0 || arg_end <= arg_start {
        return None;
    }
    let end = if env_start == arg_end && env_end > env_start { env_end } else { arg_end };
    Some(Area { start: arg_start, len: end - arg_start, env_moved: env_start != arg_end })
}

#[cfg(target_os = "linux")]
extern "C" {
    static mut environ: *mut *mut libc::c_char;
}

/// Copies every environment string that lives inside `[start, end)` to the heap and repoints `environ` at the
/// copies, so the area can be overwritten.
///
/// # Safety
/// No other thread may read or change the environment during the call.
#[cfg(target_os = "linux")]
unsafe fn move_environ(start: usize, end: usize) {
    // SAFETY: the caller guarantees exclusive access to the environment; `environ` is a NULL-terminated array of
    // NUL-terminated strings, as the C runtime set it up (or as setenv maintains it).
    unsafe {
        let mut p = environ;
        if p.is_null() {
            return;
        }
        while !(*p).is_null() {
            let s = *p as usize;
            if s >= start && s < end {
                let copy = std::ffi::CStr::from_ptr(*p).to_owned();
                // Leaked on purpose: environ keeps pointing at it for the life of the process.
                *p = copy.into_raw();
            }
            p = p.add(1);
        }
    }
}

/// Sets the title `ps` shows. Truncated to the space the original arguments and environment took.
pub fn set(title: &str) {
    #[cfg(target_os = "linux")]
    {
        let Ok(mut guard) = AREA.lock() else { return };
        let Some(area) = guard.as_mut() else { return };
        if !area.env_moved {
            // SAFETY: titles are set by the main thread at start-up, by CONFIG SET on the main thread, and in a
            // freshly forked (single-threaded) child; no thread of ours reads the environment concurrently.
            unsafe { move_environ(area.start, area.start + area.len) };
            area.env_moved = true;
        }
        let n = title.len().min(area.len.saturating_sub(1));
        // SAFETY: `[start, start + len)` is the argument/environment block of this process (the kernel's own
        // bounds); after `move_environ` nothing else refers to it (std's argv copy is read only through
        // `original_args`), so overwriting it is sound. The block stays mapped for the life of the process.
        unsafe {
            let dst = area.start as *mut u8;
            std::ptr::copy_nonoverlapping(title.as_ptr(), dst, n);
            std::ptr::write_bytes(dst.add(n), 0, area.len - n);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = title;
}

/// Sets the thread name the kernel reports as `comm` (`top`, `ps -o comm`), at most 15 bytes. Used for forked
/// children, whose role is worth seeing there.
pub fn set_comm(name: &str) {
    #[cfg(target_os = "linux")]
    {
        let mut buf = [0u8; 16];
        let n = name.len().min(15);
        buf[..n].copy_from_slice(&name.as_bytes()[..n]);
        // SAFETY: PR_SET_NAME reads a NUL-terminated string of at most 16 bytes from `buf`.
        unsafe { libc::prctl(libc::PR_SET_NAME, buf.as_ptr() as libc::c_ulong, 0, 0, 0) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = name;
}
