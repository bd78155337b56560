//! Linux poller over `epoll(7)`, level-triggered, one kernel registration per descriptor.

use super::poller::{Event, Interest, Poller, Token};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};

pub struct Epoll {
    epfd: OwnedFd,
    /// Kernel-filled event array, reused across polls (its length is the per-poll maximum).
    buf: Vec<libc::epoll_event>,
}

fn to_epoll(i: Interest) -> u32 {
    let mut m = 0u32;
    if i.is_readable() {
        m |= libc::EPOLLIN as u32;
    }
    if i.is_writable() {
        m |= libc::EPOLLOUT as u32;
    }
    m
}

impl Poller for Epoll {
    fn new(max_events: usize) -> io::Result<Epoll> {
        // SAFETY: epoll_create1 takes only a flags word and returns a new descriptor or -1.
        let fd = syscall!(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?;
        // SAFETY: `fd` was just created by the kernel and is owned by nobody else.
        let epfd = unsafe { OwnedFd::from_raw_fd(fd) };
        let n = max_events.clamp(1, 1 << 20);
        Ok(Epoll { epfd, buf: vec![libc::epoll_event { events: 0, u64: 0 }; n] })
    }

    fn set_interest(&mut self, fd: RawFd, token: Token, old: Interest, new: Interest) -> io::Result<()> {
        let op = match (old.is_none(), new.is_none()) {
            (true, true) => return Ok(()),
            (true, false) => libc::EPOLL_CTL_ADD,
            (false, false) => libc::EPOLL_CTL_MOD,
            (false, true) => libc::EPOLL_CTL_DEL,
        };
        let mut ev = libc::epoll_event { events: to_epoll(new), u64: token as u64 };
        // SAFETY: `ev` is a valid epoll_event for the duration of the call (the kernel ignores it for DEL but
        // pre-2.6.9 kernels required it to be non-null).
        syscall!(unsafe { libc::epoll_ctl(self.epfd.as_raw_fd(), op, fd, &mut ev) })?;
        Ok(())
    }

    fn poll(&mut self, events: &mut Vec<Event>, timeout_ms: Option<u64>) -> io::Result<()> {
        events.clear();
        let timeout = match timeout_ms {
            None => -1,
            Some(t) => t.min(i32::MAX as u64) as i32,
        };
        // SAFETY: `buf` is a valid, writable array of `buf.len()` epoll_events; the kernel writes at most that many.
        let res =
            unsafe { libc::epoll_wait(self.epfd.as_raw_fd(), self.buf.as_mut_ptr(), self.buf.len() as i32, timeout) };
        let n = match syscall!(res) {
            Ok(n) => n as usize,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(()),
            Err(e) => return Err(e),
        };
        events.reserve(n);
        for ev in &self.buf[..n.min(self.buf.len())] {
            let bits = ev.events;
            let mut ready = Interest::NONE;
            if bits & libc::EPOLLIN as u32 != 0 {
                ready |= Interest::READABLE;
            }
            if bits & libc::EPOLLOUT as u32 != 0 {
                ready |= Interest::WRITABLE;
            }
            if bits & (libc::EPOLLERR | libc::EPOLLHUP) as u32 != 0 {
                ready = Interest::BOTH;
            }
            events.push(Event { token: ev.u64 as Token, ready });
        }
        Ok(())
    }

    fn name(&self) -> &'static str {
        "epoll"
    }
}
