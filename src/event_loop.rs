//! The event loop, after Redis's `ae.c`: file events (descriptor readiness) and time events (timers), with a
//! `before_sleep` hook that runs right before each wait.
//!
//! One iteration:
//!
//! ```text
//!   before_sleep ──► poll(timeout = until the nearest timer) ──► after_sleep
//!        ▲                                                          │
//!        │            time events whose time has come ◄── file events: readable first, then writable
//!        └──────────────────────────────┘
//! ```
//!
//! The loop does not own the code that reacts to events: an [`EventHandler`] (the server) is passed in, and gets the
//! loop back as a parameter so it can change registrations from inside its callbacks. Invariant: `masks[fd]` is
//! exactly what is registered with the poller for `fd`.
//!
//! Tested by the unit tests below with a pipe-driven handler, and end to end by the server tests.

use crate::sys::poller::{Event, Interest, Poller};
use crate::sys::DefaultPoller;
use std::io;
use std::os::fd::RawFd;

/// Monotonic milliseconds for timers. On Linux the coarse clock (tick resolution, a few ms) is enough for timers
/// and cheaper than the precise one, which matters as it is read twice per loop iteration.
#[inline]
pub fn monotonic_ms() -> u64 {
    #[cfg(target_os = "linux")]
    const CLOCK: libc::clockid_t = libc::CLOCK_MONOTONIC_COARSE;
    #[cfg(not(target_os = "linux"))]
    const CLOCK: libc::clockid_t = libc::CLOCK_MONOTONIC;
    let mut ts = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `ts` is a valid out-pointer; clock_gettime with a supported clock id cannot fail otherwise.
    unsafe { libc::clock_gettime(CLOCK, &mut ts) };
    ts.tv_sec as u64 * 1000 + ts.tv_nsec as u64 / 1_000_000
}

/// What a time event callback wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerNext {
    /// Run again after this many milliseconds.
    After(u64),
    /// Remove the timer.
    Stop,
}

/// Reactions to events. All callbacks get the loop so they can (un)register descriptors and timers.
pub trait EventHandler<P: Poller = DefaultPoller> {
    /// `fd` is ready for the directions in `ready` (only those it registered for).
    fn file_event(&mut self, el: &mut EventLoop<P>, fd: RawFd, ready: Interest);
    /// Timer `id` is due.
    fn time_event(&mut self, el: &mut EventLoop<P>, id: u64) -> TimerNext;
    /// Runs before every wait for events.
    fn before_sleep(&mut self, _el: &mut EventLoop<P>) {}
    /// Runs right after every wait, before events are handled.
    fn after_sleep(&mut self, _el: &mut EventLoop<P>) {}
}

struct TimeEvent {
    id: u64,
    /// [`monotonic_ms`] when due.
    due_ms: u64,
}

pub struct EventLoop<P: Poller = DefaultPoller> {
    poller: P,
    /// Registered interest per descriptor.
    masks: Vec<Interest>,
    /// Events of the current iteration (kept to reuse the allocation).
    fired: Vec<Event>,
    timers: Vec<TimeEvent>,
    next_timer_id: u64,
    stop: bool,
}

impl<P: Poller> EventLoop<P> {
    /// A loop that handles up to `max_events` ready descriptors per iteration.
    pub fn new(max_events: usize) -> io::Result<EventLoop<P>> {
        Ok(EventLoop {
            poller: P::new(max_events)?,
            masks: Vec::new(),
            fired: Vec::with_capacity(max_events),
            timers: Vec::new(),
            next_timer_id: 0,
            stop: false,
        })
    }

    /// The poller backend's name (`epoll`, `kqueue`).
    pub fn api_name(&self) -> &'static str {
        self.poller.name()
    }

    /// What is registered for `fd`.
    #[inline]
    pub fn interest(&self, fd: RawFd) -> Interest {
        self.masks.get(fd as usize).copied().unwrap_or(Interest::NONE)
    }

    /// Adds `add` to what `fd` is watched for.
    pub fn add_interest(&mut self, fd: RawFd, add: Interest) -> io::Result<()> {
        let old = self.interest(fd);
        self.set(fd, old, old | add)
    }

    /// Stops watching `fd` for `del`; when nothing is left the descriptor is removed from the poller.
    pub fn remove_interest(&mut self, fd: RawFd, del: Interest) -> io::Result<()> {
        let old = self.interest(fd);
        self.set(fd, old, old.without(del))
    }

    fn set(&mut self, fd: RawFd, old: Interest, new: Interest) -> io::Result<()> {
        if fd < 0 {
            return Err(io::Error::from(io::ErrorKind::InvalidInput));
        }
        if old == new {
            return Ok(());
        }
        self.poller.set_interest(fd, fd as usize, old, new)?;
        let i = fd as usize;
        if i >= self.masks.len() {
            self.masks.resize(i + 1, Interest::NONE);
        }
        self.masks[i] = new;
        Ok(())
    }

    /// Adds a timer due in `after_ms`; returns its id.
    pub fn add_timer(&mut self, after_ms: u64) -> u64 {
        self.next_timer_id += 1;
        let id = self.next_timer_id;
        self.timers.push(TimeEvent { id, due_ms: monotonic_ms().saturating_add(after_ms) });
        id
    }

    /// Removes a timer; false if there was none with that id.
    pub fn remove_timer(&mut self, id: u64) -> bool {
        let before = self.timers.len();
        self.timers.retain(|t| t.id != id);
        self.timers.len() != before
    }

    /// Makes [`EventLoop::run`] return after the current iteration.
    pub fn stop(&mut self) {
        self.stop = true;
    }

    /// Milliseconds until the nearest timer, `None` without timers.
    fn poll_timeout(&self) -> Option<u64> {
        let now = monotonic_ms();
        self.timers.iter().map(|t| t.due_ms.saturating_sub(now)).min()
    }

    /// One iteration: before_sleep, wait (at most `max_wait_ms` when given), file events, due timers.
    /// Returns how many events were handled.
    pub fn process_events<H: EventHandler<P>>(&mut self, h: &mut H, max_wait_ms: Option<u64>) -> io::Result<usize> {
        h.before_sleep(self);
        let mut timeout = self.poll_timeout();
        if let Some(cap) = max_wait_ms {
            timeout = Some(timeout.map_or(cap, |t| t.min(cap)));
        }
        if self.stop {
            timeout = Some(0);
        }
        let mut fired = std::mem::take(&mut self.fired);
        let res = self.poller.poll(&mut fired, timeout);
        h.after_sleep(self);
        if let Err(e) = res {
            self.fired = fired;
            return Err(e);
        }
        let mut handled = 0;
        for ev in &fired {
            let fd = ev.token as RawFd;
            // Readable first, then writable, re-reading the mask in between: the read handler may have closed the
            // descriptor or dropped its write interest.
            let ready = ev.ready.intersect(self.interest(fd));
            if ready.is_readable() {
                h.file_event(self, fd, Interest::READABLE);
            }
            if ready.is_writable() && self.interest(fd).is_writable() {
                h.file_event(self, fd, Interest::WRITABLE);
            }
            handled += 1;
        }
        fired.clear();
        self.fired = fired;
        handled += self.process_timers(h);
        Ok(handled)
    }

    fn process_timers<H: EventHandler<P>>(&mut self, h: &mut H) -> usize {
        if self.timers.is_empty() {
            return 0;
        }
        let now = monotonic_ms();
        // Timers added by callbacks during this pass wait for the next iteration, like ae's maxId guard.
        let due: Vec<u64> = self.timers.iter().filter(|t| t.due_ms <= now).map(|t| t.id).collect();
        for id in &due {
            match h.time_event(self, *id) {
                TimerNext::After(ms) => {
                    let next = monotonic_ms().saturating_add(ms);
                    if let Some(t) = self.timers.iter_mut().find(|t| t.id == *id) {
                        t.due_ms = next;
                    }
                }
                TimerNext::Stop => {
                    self.remove_timer(*id);
                }
            }
        }
        due.len()
    }

    /// Runs iterations until [`EventLoop::stop`] is called.
    pub fn run<H: EventHandler<P>>(&mut self, h: &mut H) -> io::Result<()> {
        self.stop = false;
        while !self.stop {
            self.process_events(h, None)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::{AsRawFd, OwnedFd};

    struct Echo {
        reads: Vec<RawFd>,
        writes: Vec<RawFd>,
        ticks: u32,
        sleeps: u32,
    }

    impl EventHandler for Echo {
        fn file_event(&mut self, el: &mut EventLoop, fd: RawFd, ready: Interest) {
            if ready.is_readable() {
                let mut b = [0u8; 16];
                let _ = crate::sys::socket::read(fd, &mut b);
                self.reads.push(fd);
            }
            if ready.is_writable() {
                self.writes.push(fd);
                el.remove_interest(fd, Interest::WRITABLE).unwrap();
            }
        }
        fn time_event(&mut self, el: &mut EventLoop, _id: u64) -> TimerNext {
            self.ticks += 1;
            if self.ticks == 3 {
                el.stop();
                TimerNext::Stop
            } else {
                TimerNext::After(1)
            }
        }
        fn before_sleep(&mut self, _el: &mut EventLoop) {
            self.sleeps += 1;
        }
    }

    fn pair() -> (OwnedFd, OwnedFd) {
        let (a, b) = std::os::unix::net::UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        b.set_nonblocking(true).unwrap();
        (OwnedFd::from(a), OwnedFd::from(b))
    }

    #[test]
    fn file_events_are_dispatched_and_masked() {
        let mut el: EventLoop = EventLoop::new(16).unwrap();
        let mut h = Echo { reads: vec![], writes: vec![], ticks: 0, sleeps: 0 };
        let (a, b) = pair();
        let fd = b.as_raw_fd();
        el.add_interest(fd, Interest::READABLE).unwrap();
        crate::sys::socket::write(a.as_raw_fd(), b"ping").unwrap();
        el.process_events(&mut h, Some(1000)).unwrap();
        assert_eq!(h.reads, vec![fd]);
        // Writable is ready but not asked for: not dispatched.
        assert!(h.writes.is_empty());
        el.add_interest(fd, Interest::WRITABLE).unwrap();
        assert_eq!(el.interest(fd), Interest::BOTH);
        el.process_events(&mut h, Some(1000)).unwrap();
        assert_eq!(h.writes, vec![fd]);
        assert_eq!(el.interest(fd), Interest::READABLE);
        el.remove_interest(fd, Interest::READABLE).unwrap();
        assert_eq!(el.interest(fd), Interest::NONE);
        assert_eq!(h.sleeps, 2);
    }

    #[test]
    fn timers_repeat_until_stopped() {
        let mut el: EventLoop = EventLoop::new(16).unwrap();
        let mut h = Echo { reads: vec![], writes: vec![], ticks: 0, sleeps: 0 };
        let id = el.add_timer(1);
        el.run(&mut h).unwrap();
        assert_eq!(h.ticks, 3);
        assert!(!el.remove_timer(id), "timer removed itself");
    }
}
