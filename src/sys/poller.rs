//! The platform-neutral readiness poller interface (see the contract in [`crate::sys`]).

use std::io;
use std::os::fd::RawFd;

/// What the caller attaches to a registration and gets back with its events. The server uses the descriptor
/// number itself, as Redis indexes its event table by fd.
pub type Token = usize;

/// A set of readiness directions.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Interest(u8);

impl Interest {
    pub const NONE: Interest = Interest(0);
    pub const READABLE: Interest = Interest(1);
    pub const WRITABLE: Interest = Interest(2);
    pub const BOTH: Interest = Interest(3);

    #[inline]
    pub fn is_readable(self) -> bool {
        self.0 & 1 != 0
    }

    #[inline]
    pub fn is_writable(self) -> bool {
        self.0 & 2 != 0
    }

    #[inline]
    pub fn is_none(self) -> bool {
        self.0 == 0
    }

    /// `self` without the directions in `other`.
    #[inline]
    pub fn without(self, other: Interest) -> Interest {
        Interest(self.0 & !other.0)
    }

    /// Directions present in both.
    #[inline]
    pub fn intersect(self, other: Interest) -> Interest {
        Interest(self.0 & other.0)
    }

    #[inline]
    pub fn contains(self, other: Interest) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Interest {
    type Output = Interest;
    #[inline]
    fn bitor(self, o: Interest) -> Interest {
        Interest(self.0 | o.0)
    }
}

impl std::ops::BitOrAssign for Interest {
    #[inline]
    fn bitor_assign(&mut self, o: Interest) {
        self.0 |= o.0
    }
}

/// Readiness of one descriptor, as one poll observed it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Event {
    pub token: Token,
    pub ready: Interest,
}

/// A readiness poller. Level-triggered; see the module contract in [`crate::sys`].
pub trait Poller: Sized {
    /// A poller that returns at most `max_events` events per poll.
    fn new(max_events: usize) -> io::Result<Self>;

    /// Changes the interest registered for `fd` from `old` (NONE = not registered) to `new` (NONE = remove).
    fn set_interest(&mut self, fd: RawFd, token: Token, old: Interest, new: Interest) -> io::Result<()>;

    /// Waits until something is ready or `timeout_ms` passes (`None` = no limit, `Some(0)` = don't block), then
    /// replaces the contents of `events` with what is ready. A signal interruption yields no events and `Ok`.
    fn poll(&mut self, events: &mut Vec<Event>, timeout_ms: Option<u64>) -> io::Result<()>;

    /// The backend's name, as `INFO server` shows it in `multiplexing_api`.
    fn name(&self) -> &'static str;
}

#[cfg(test)]
mod tests {
    //! Backend-independent tests: they use only the trait, so they run against whichever poller this platform has.
    use super::*;
    use crate::sys::DefaultPoller;
    use std::os::fd::{AsRawFd, OwnedFd};

    fn socketpair() -> (OwnedFd, OwnedFd) {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        b.set_nonblocking(true).unwrap();
        (OwnedFd::from(a), OwnedFd::from(b))
    }

    fn ready_of(events: &[Event], token: Token) -> Option<Interest> {
        let mut found = events.iter().filter(|e| e.token == token);
        let first = found.next().map(|e| e.ready);
        assert!(found.next().is_none(), "one event per descriptor");
        first
    }

    #[test]
    fn fresh_socket_is_writable_not_readable() {
        let mut p = DefaultPoller::new(64).unwrap();
        let (a, _b) = socketpair();
        p.set_interest(a.as_raw_fd(), 7, Interest::NONE, Interest::BOTH).unwrap();
        let mut ev = Vec::new();
        p.poll(&mut ev, Some(1000)).unwrap();
        let r = ready_of(&ev, 7).expect("event for token 7");
        assert!(r.is_writable());
        assert!(!r.is_readable());
    }

    #[test]
    fn data_makes_peer_readable_and_read_and_write_merge() {
        let mut p = DefaultPoller::new(64).unwrap();
        let (a, b) = socketpair();
        p.set_interest(b.as_raw_fd(), 42, Interest::NONE, Interest::READABLE).unwrap();
        let mut ev = Vec::new();
        p.poll(&mut ev, Some(0)).unwrap();
        assert_eq!(ready_of(&ev, 42), None);
        crate::sys::socket::write(a.as_raw_fd(), b"x").unwrap();
        p.poll(&mut ev, Some(1000)).unwrap();
        assert_eq!(ready_of(&ev, 42), Some(Interest::READABLE));
        // Level-triggered: still readable until drained.
        p.poll(&mut ev, Some(1000)).unwrap();
        assert_eq!(ready_of(&ev, 42), Some(Interest::READABLE));
        // Adding write interest yields a single merged event.
        p.set_interest(b.as_raw_fd(), 42, Interest::READABLE, Interest::BOTH).unwrap();
        p.poll(&mut ev, Some(1000)).unwrap();
        assert_eq!(ready_of(&ev, 42), Some(Interest::BOTH));
        let mut buf = [0u8; 8];
        assert_eq!(crate::sys::socket::read(b.as_raw_fd(), &mut buf).unwrap(), 1);
        p.set_interest(b.as_raw_fd(), 42, Interest::BOTH, Interest::READABLE).unwrap();
        p.poll(&mut ev, Some(0)).unwrap();
        assert_eq!(ready_of(&ev, 42), None);
    }

    #[test]
    fn removed_descriptor_reports_nothing() {
        let mut p = DefaultPoller::new(64).unwrap();
        let (a, b) = socketpair();
        p.set_interest(b.as_raw_fd(), 1, Interest::NONE, Interest::READABLE).unwrap();
        crate::sys::socket::write(a.as_raw_fd(), b"x").unwrap();
        p.set_interest(b.as_raw_fd(), 1, Interest::READABLE, Interest::NONE).unwrap();
        let mut ev = Vec::new();
        p.poll(&mut ev, Some(0)).unwrap();
        assert!(ev.is_empty());
    }

    #[test]
    fn hangup_is_reported_as_readable() {
        let mut p = DefaultPoller::new(64).unwrap();
        let (a, b) = socketpair();
        p.set_interest(b.as_raw_fd(), 3, Interest::NONE, Interest::READABLE).unwrap();
        drop(a);
        let mut ev = Vec::new();
        p.poll(&mut ev, Some(1000)).unwrap();
        assert!(ready_of(&ev, 3).unwrap().is_readable());
        let mut buf = [0u8; 8];
        assert_eq!(crate::sys::socket::read(b.as_raw_fd(), &mut buf).unwrap(), 0);
    }

    #[test]
    fn many_descriptors_respect_max_events() {
        let mut p = DefaultPoller::new(4).unwrap();
        let pairs: Vec<_> = (0..10).map(|_| socketpair()).collect();
        for (i, (a, _)) in pairs.iter().enumerate() {
            p.set_interest(a.as_raw_fd(), 100 + i, Interest::NONE, Interest::WRITABLE).unwrap();
        }
        let mut ev = Vec::new();
        p.poll(&mut ev, Some(1000)).unwrap();
        assert!(!ev.is_empty() && ev.len() <= 4);
        assert!(ev.iter().all(|e| e.token >= 100 && e.token < 110 && e.ready == Interest::WRITABLE));
    }

    #[test]
    fn timeout_returns_empty() {
        let mut p = DefaultPoller::new(8).unwrap();
        let mut ev = vec![Event { token: 9, ready: Interest::READABLE }];
        p.poll(&mut ev, Some(5)).unwrap();
        assert!(ev.is_empty());
        assert!(!p.name().is_empty());
    }

    #[test]
    fn interest_set_algebra() {
        let both = Interest::READABLE | Interest::WRITABLE;
        assert_eq!(both, Interest::BOTH);
        assert_eq!(both.without(Interest::READABLE), Interest::WRITABLE);
        assert!(both.contains(Interest::WRITABLE));
        assert!(Interest::NONE.is_none());
        assert_eq!(Interest::READABLE.intersect(Interest::WRITABLE), Interest::NONE);
    }
}
