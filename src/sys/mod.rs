//! Thin, safe wrappers over the raw system calls the server is built on: readiness polling (epoll or kqueue),
//! sockets, process control, CPU affinity ([`affinity`]), and the startup checks of the machine's settings
//! ([`syscheck`]).
//!
//! # The poller contract
//!
//! A [`Poller`](poller::Poller) watches file descriptors for readiness and reports it in batches. It is
//! **level-triggered**: a descriptor that stays readable (or writable) is reported again on every poll until the
//! condition goes away, exactly like `select(2)`. The event loop relies on that: it may read only part of what is
//! available and come back to it on the next iteration.
//!
//! - Interest is set per descriptor with [`Poller::set_interest`](poller::Poller::set_interest), which is told both the
//!   old and the new interest. The caller (the event loop) is the single source of truth for what is registered;
//!   backends keep no per-descriptor bookkeeping of their own beyond what the kernel holds. Setting the interest to
//!   [`Interest::NONE`](crate::sys::poller::Interest::NONE) removes the descriptor. A descriptor must be removed before
//!   it is closed.
//! - A poll returns at most one [`Event`](poller::Event) per descriptor, carrying the token given at registration
//!   and the union of what is ready. Backends whose kernel reports read and write readiness separately (kqueue)
//!   merge them. Errors and hang-ups are reported as both readable and writable, so that the next `read`/`write`
//!   surfaces the error to whoever owns the descriptor.
//! - Readiness may be reported for a direction the caller did not ask for; the event loop masks it out.
//! - A poll interrupted by a signal returns with no events rather than an error, so the loop can look at the flags
//!   the signal handler set.
//!
//! Every backend is tested by the same portable unit tests in [`poller`].

/// Turns the C convention "returns -1 and sets errno" into an `io::Result`. The argument is the whole call,
/// including its `unsafe` block, so that every call site carries its own `// SAFETY:` justification:
/// `syscall!(unsafe { libc::close(fd) })`.
macro_rules! syscall {
    ($call:expr) => {{
        let res = $call;
        if res == -1 {
            Err(std::io::Error::last_os_error())
        } else {
            Ok(res)
        }
    }};
}

/// The `strerror` text of an OS error (what Redis logs), without Rust's " (os error N)" suffix.
pub fn error_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

/// `flock(LOCK_EX | LOCK_NB)`: an exclusive advisory lock on the open file `fd`, or `EWOULDBLOCK` when another
/// process holds one (the cluster's nodes.conf lock).
pub fn flock_exclusive(fd: std::os::fd::BorrowedFd<'_>) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock takes a plain descriptor, which the borrow keeps open for the call.
    if unsafe { libc::flock(fd.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == -1 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

/// Microseconds since the Unix epoch, straight from `clock_gettime(CLOCK_REALTIME)` (a vDSO call on Linux).
/// The server reads the clock around every command; going through `SystemTime` + `duration_since` costs several
/// times more instructions than the read itself.
#[inline]
#[allow(clippy::unnecessary_cast)] // time_t and c_long are narrower than i64 on some targets
pub fn wall_clock_us() -> i64 {
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_REALTIME always exists, so the call cannot fail.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    (ts.tv_sec as i64).wrapping_mul(1_000_000).wrapping_add(ts.tv_nsec as i64 / 1000)
}

pub mod poller;

#[cfg(target_os = "linux")]
pub mod epoll;

// `cfg(bsd)` (set by build.rs): the BSD family, macOS included.
#[cfg(bsd)]
pub mod kqueue;

pub mod affinity;
pub mod fatal;
#[cfg(target_arch = "x86_64")]
pub mod memmove;
#[cfg(target_os = "linux")]
pub mod memtest;
pub mod process;
pub mod proctitle;
pub mod socket;
pub mod syscheck;

/// The poller of this platform.
#[cfg(target_os = "linux")]
pub type DefaultPoller = epoll::Epoll;

/// The poller of this platform.
#[cfg(bsd)]
pub type DefaultPoller = kqueue::Kqueue;
