//! BSD/macOS poller over `kqueue(2)`: the twin of [`super::epoll`].
//!
//! kqueue has one filter per direction (`EVFILT_READ`, `EVFILT_WRITE`) and reports each separately; this backend
//! merges them so the caller sees one [`Event`] per descriptor per poll, as with epoll. Filters are level-triggered
//! by default (no `EV_CLEAR`), matching the contract.

use super::poller::{Event, Interest, Poller, Token};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

pub struct Kqueue {
    kq: OwnedFd,
    /// Kernel-filled event array, reused across polls.
    buf: Vec<libc::kevent>,
    /// `slot[fd]` = 1 + index in the output of the event already produced for `fd` during the current poll, or 0.
    /// Reset after every poll, so it stays all zeros between polls.
    slot: Vec<u32>,
}

// SAFETY: the only non-`Send` part is `libc::kevent`'s `udata` pointer, which this backend uses as an integer (the
// token) and never dereferences; the buffer is plain data owned by the poller, so moving the poller to another
// thread (an I/O thread's event loop, `net/io_loops.rs`) shares nothing.
unsafe impl Send for Kqueue {}

/// A change-list entry. A macro rather than a function because the field types differ between the BSDs (the
/// constants always have the type of their field on each platform).
macro_rules! change {
    ($fd:expr, $filter:expr, $flags:expr, $token:expr) => {{
        // SAFETY: kevent is a plain C struct for which all-zero bytes are a valid value.
        let mut ev: libc::kevent = unsafe { std::mem::zeroed() };
        ev.ident = $fd as _;
        ev.filter = $filter;
        ev.flags = $flags;
        ev.udata = $token as _;
        ev
    }};
}

impl Kqueue {
    fn submit(&mut self, changes: &[libc::kevent]) -> io::Result<()> {
        if changes.is_empty() {
            return Ok(());
        }
        // SAFETY: `changes` is a valid array of `changes.len()` kevents; no output array is passed (nevents = 0), so
        // the kernel writes nothing back and reports failures through the return value.
        syscall!(unsafe {
            libc::kevent(
                self.kq.as_raw_fd(),
                changes.as_ptr(),
                changes.len() as _,
                std::ptr::null_mut(),
                0,
                std::ptr::null(),
            )
        })?;
        Ok(())
    }
}

impl Poller for Kqueue {
    fn new(max_events: usize) -> io::Result<Kqueue> {
        // SAFETY: kqueue takes no arguments and returns a new descriptor or -1.
        let fd = syscall!(unsafe { libc::kqueue() })?;
        // SAFETY: `fd` was just created by the kernel and is owned by nobody else.
        let kq = unsafe { OwnedFd::from_raw_fd(fd) };
        // kqueue descriptors are not inherited by fork children anyway, but don't leak them through exec.
        // SAFETY: plain fcntl on a descriptor we own.
        syscall!(unsafe { libc::fcntl(kq.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) })?;
        let n = max_events.clamp(1, 1 << 20);
        // SAFETY: all-zero bytes are a valid kevent.
        let zero: libc::kevent = unsafe { std::mem::zeroed() };
        Ok(Kqueue { kq, buf: vec![zero; n], slot: Vec::new() })
    }

    fn set_interest(&mut self, fd: RawFd, token: Token, old: Interest, new: Interest) -> io::Result<()> {
        // SAFETY: all-zero bytes are a valid kevent.
        let mut changes: [libc::kevent; 2] = unsafe { std::mem::zeroed() };
        let mut n = 0;
        let add = new.without(old);
        let del = old.without(new);
        if add.is_readable() {
            changes[n] = change!(fd, libc::EVFILT_READ, libc::EV_ADD, token);
            n += 1;
        } else if del.is_readable() {
            changes[n] = change!(fd, libc::EVFILT_READ, libc::EV_DELETE, token);
            n += 1;
        }
        if add.is_writable() {
            changes[n] = change!(fd, libc::EVFILT_WRITE, libc::EV_ADD, token);
            n += 1;
        } else if del.is_writable() {
            changes[n] = change!(fd, libc::EVFILT_WRITE, libc::EV_DELETE, token);
            n += 1;
        }
        self.submit(&changes[..n])
    }

    fn poll(&mut self, events: &mut Vec<Event>, timeout_ms: Option<u64>) -> io::Result<()> {
        events.clear();
        let ts;
        let ts_ptr = match timeout_ms {
            None => std::ptr::null(),
            Some(t) => {
                ts = libc::timespec { tv_sec: (t / 1000) as _, tv_nsec: ((t % 1000) * 1_000_000) as _ };
                &ts as *const libc::timespec
            }
        };
        // SAFETY: `buf` is a valid, writable array of `buf.len()` kevents and the kernel writes at most that many;
        // `ts_ptr` is null or points to `ts`, which lives until after the call.
        let res = unsafe {
            libc::kevent(self.kq.as_raw_fd(), std::ptr::null(), 0, self.buf.as_mut_ptr(), self.buf.len() as _, ts_ptr)
        };
        // The same wait step as epoll.rs's: each backend stays whole in its own file (one contract, two files).
        let n = match syscall!(res) {
            Ok(n) => n as usize,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        };
        events.reserve(n);
        for ev in &self.buf[..n.min(self.buf.len())] {
            let fd: usize = ev.ident;
            let mut ready = if ev.filter == libc::EVFILT_READ {
                Interest::READABLE
            } else if ev.filter == libc::EVFILT_WRITE {
                Interest::WRITABLE
            } else {
                Interest::NONE
            };
            if ev.flags & (libc::EV_EOF | libc::EV_ERROR) != 0 {
                ready = Interest::BOTH;
            }
            if fd >= self.slot.len() {
                self.slot.resize(fd + 1, 0);
            }
            match self.slot[fd] {
                0 => {
                    events.push(Event { token: ev.udata as usize, ready });
                    self.slot[fd] = events.len() as u32;
                }
                pos => {
                    if let Some(prev) = events.get_mut(pos as usize - 1) {
                        prev.ready |= ready;
                    }
                }
            }
        }
        for ev in &self.buf[..n.min(self.buf.len())] {
            if let Some(s) = self.slot.get_mut(ev.ident) {
                *s = 0;
            }
        }
        Ok(())
    }

    fn name(&self) -> &'static str {
        "kqueue"
    }
}
