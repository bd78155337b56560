//! The event loop, after Redis's `ae.c`: file events (descriptor readiness) and time events (timers), with a
//! `before_sleep` hook that runs right before each wait.
//!
//! One iteration:
//!
//! ```text
//!   before_sleep ──► [busy poll] ──► [before_block ──► poll(timeout = until the nearest timer)] ──► after_sleep
//!        ▲                                                                                         │
//!        │                       time events whose time has come ◄── file events: readable first, then writable
//!        └─────────────────────────────────────────┘
//! ```
//!
//! Two additions to ae's loop:
//!
//! * **Adaptive busy polling** (after Linux KVM's halt polling). Going to sleep in the poller is not free, and
//!   most of the cost lands on the *other* side: a client that writes to a sleeping server has to wake it (a
//!   scheduler wakeup and, on a virtual machine, an inter-processor interrupt that exits to the hypervisor) before
//!   its `write` returns. When the last sleeps were short (events arrived within [`EventLoop::set_busy_poll`]'s
//!   bound), the loop first polls without blocking for up to a window of that size; the window doubles after a short
//!   sleep and drops to zero after a long one, so an idle or lightly loaded server never spins.
//! * **`before_block`**: work the handler may postpone while more events are waiting (the server uses it to
//!   coalesce pub/sub messages: a subscriber gets one write for many messages). If the handler says it has such
//!   work ([`EventHandler::has_deferred_work`]), the loop always probes the poller without blocking first, and
//!   calls `before_block` only when it is really about to sleep.
//! * **Sliced work**: while the handler has work it spends a bounded slice of at each `before_sleep`
//!   ([`EventHandler::has_sliced_work`]; the server's cron rehashing), the loop polls without waiting, so a
//!   long job runs between passes over the ready events instead of holding them back.
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
    /// Whether [`EventHandler::before_block`] has work: then the loop probes for events before it sleeps.
    fn has_deferred_work(&self) -> bool {
        false
    }
    /// Runs when the loop is about to block in the poller (no event was ready): postponed work goes out now.
    fn before_block(&mut self, _el: &mut EventLoop<P>) {}
    /// Whether the handler has work it does a slice at a time in [`EventHandler::before_sleep`]: while it has, the
    /// loop polls without waiting, so the slices go on between event passes and also while nothing happens.
    fn has_sliced_work(&self) -> bool {
        false
    }
}

/// The adaptive busy-poll window (see the module documentation).
#[derive(Debug, Clone, Copy, Default)]
struct BusyPoll {
    /// Upper bound of the window in nanoseconds; 0 disables busy polling.
    max_ns: u64,
    /// Current window in nanoseconds.
    window_ns: u64,
}

impl BusyPoll {
    /// First window after a short sleep, as a fraction of the maximum.
    const START_DIVISOR: u64 = 4;

    /// Adjusts the window after a wait that polled and then blocked, `waited_ns` in all, and was ended by an event
    /// (`woken`) or by its timeout.
    fn after_block(&mut self, waited_ns: u64, woken: bool) {
        if self.max_ns == 0 {
            return;
        }
        if waited_ns > self.max_ns {
            // A long sleep: spinning through it would have been wasted work.
            self.window_ns = 0;
        } else if woken && self.window_ns < self.max_ns {
            // An event came soon after we went to sleep: a longer window would have caught it.
            self.window_ns = if self.window_ns == 0 {
                (self.max_ns / Self::START_DIVISOR).max(1)
            } else {
                self.window_ns.saturating_mul(2)
            }
            .min(self.max_ns);
        }
    }
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
    busy_poll: BusyPoll,
    /// Serve a descriptor's writable event before its readable one (Redis's `AE_BARRIER`): see
    /// [`EventLoop::set_write_barrier`].
    write_barrier: bool,
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
            busy_poll: BusyPoll::default(),
            write_barrier: false,
        })
    }

    /// With the barrier, a descriptor ready both ways is written before it is read, so the replies of commands
    /// read in this iteration wait for the next `before_sleep` (Redis installs its write handlers with
    /// `AE_BARRIER` under `appendfsync always`, so that no reply leaves before its command is in the AOF).
    pub fn set_write_barrier(&mut self, on: bool) {
        self.write_barrier = on;
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

    /// Bounds the adaptive busy-poll window (0 turns busy polling off).
    pub fn set_busy_poll(&mut self, max: std::time::Duration) {
        let max_ns = u64::try_from(max.as_nanos()).unwrap_or(u64::MAX);
        self.busy_poll = BusyPoll { max_ns, window_ns: self.busy_poll.window_ns.min(max_ns) };
    }

    /// The current busy-poll window (0 while the loop sleeps right away).
    pub fn busy_poll_window(&self) -> std::time::Duration {
        std::time::Duration::from_nanos(self.busy_poll.window_ns)
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
        if self.stop || h.has_sliced_work() {
            timeout = Some(0);
        }
        let mut fired = std::mem::take(&mut self.fired);
        let res = self.wait(h, &mut fired, timeout);
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
            if self.write_barrier {
                if ready.is_writable() {
                    h.file_event(self, fd, Interest::WRITABLE);
                }
                if ready.is_readable() && self.interest(fd).is_readable() {
                    h.file_event(self, fd, Interest::READABLE);
                }
            } else {
                if ready.is_readable() {
                    h.file_event(self, fd, Interest::READABLE);
                }
                if ready.is_writable() && self.interest(fd).is_writable() {
                    h.file_event(self, fd, Interest::WRITABLE);
                }
            }
            handled += 1;
        }
        fired.clear();
        self.fired = fired;
        handled += self.process_timers(h);
        Ok(handled)
    }

    /// Waits for events: busy polling and `before_block` (see the module documentation), then the blocking poll.
    fn wait<H: EventHandler<P>>(&mut self, h: &mut H, fired: &mut Vec<Event>, timeout: Option<u64>) -> io::Result<()> {
        if timeout == Some(0) {
            return self.poller.poll(fired, Some(0));
        }
        let window = self.busy_poll.window_ns;
        let mut spun_ns = 0;
        if window > 0 || h.has_deferred_work() {
            let start = std::time::Instant::now();
            // Never spin past the nearest timer.
            let limit = timeout.map_or(window, |ms| window.min(ms.saturating_mul(1_000_000)));
            loop {
                self.poller.poll(fired, Some(0))?;
                if !fired.is_empty() {
                    return Ok(());
                }
                spun_ns = start.elapsed().as_nanos() as u64;
                if spun_ns >= limit {
                    break;
                }
                std::hint::spin_loop();
            }
            h.before_block(self);
        }
        if self.busy_poll.max_ns == 0 {
            return self.poller.poll(fired, timeout);
        }
        let start = std::time::Instant::now();
        let res = self.poller.poll(fired, timeout);
        let waited_ns = spun_ns.saturating_add(start.elapsed().as_nanos() as u64);
        self.busy_poll.after_block(waited_ns, !fired.is_empty());
        res
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
    /// Runs until [`EventLoop::stop`] (a stop asked before `run`, e.g. SHUTDOWN while loading, returns at once).
    pub fn run<H: EventHandler<P>>(&mut self, h: &mut H) -> io::Result<()> {
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

    /// A handler with postponed work: records whether `before_block` ran, and when.
    struct Deferring {
        deferred: bool,
        flushed_with_events_pending: bool,
        blocks: u32,
        events: u32,
        peer: RawFd,
    }

    impl EventHandler for Deferring {
        fn file_event(&mut self, _el: &mut EventLoop, fd: RawFd, _ready: Interest) {
            let mut b = [0u8; 16];
            let _ = crate::sys::socket::read(fd, &mut b);
            self.events += 1;
            self.deferred = true;
        }
        fn time_event(&mut self, _el: &mut EventLoop, _id: u64) -> TimerNext {
            TimerNext::Stop
        }
        fn has_deferred_work(&self) -> bool {
            self.deferred
        }
        fn before_block(&mut self, _el: &mut EventLoop) {
            // Is anything readable right now? Then the loop should not have called us.
            let mut fds = libc::pollfd { fd: self.peer, events: libc::POLLIN, revents: 0 };
            // SAFETY: one valid pollfd, zero timeout.
            if unsafe { libc::poll(&mut fds, 1, 0) } > 0 {
                self.flushed_with_events_pending = true;
            }
            self.deferred = false;
            self.blocks += 1;
        }
    }

    #[test]
    fn before_block_runs_only_when_the_loop_would_sleep() {
        let mut el: EventLoop = EventLoop::new(16).unwrap();
        let (a, b) = pair();
        let fd = b.as_raw_fd();
        let mut h = Deferring { deferred: false, flushed_with_events_pending: false, blocks: 0, events: 0, peer: fd };
        el.add_interest(fd, Interest::READABLE).unwrap();
        crate::sys::socket::write(a.as_raw_fd(), b"one").unwrap();
        // Nothing deferred yet: a plain wait, no before_block.
        el.process_events(&mut h, Some(1000)).unwrap();
        assert_eq!((h.events, h.blocks), (1, 0));
        // Deferred work and an event already waiting: the probe finds it, before_block waits.
        crate::sys::socket::write(a.as_raw_fd(), b"two").unwrap();
        el.process_events(&mut h, Some(1000)).unwrap();
        assert_eq!((h.events, h.blocks), (2, 0));
        // Deferred work and nothing ready: before_block runs, then the loop sleeps until the 20 ms cap.
        el.process_events(&mut h, Some(20)).unwrap();
        assert_eq!((h.events, h.blocks), (2, 1));
        assert!(!h.flushed_with_events_pending);
        // Nothing deferred any more: no call.
        el.process_events(&mut h, Some(1)).unwrap();
        assert_eq!(h.blocks, 1);
    }

    /// A handler with `left` slices of work, one per `before_sleep`.
    struct Sliced {
        left: u32,
        before_sleeps: u32,
    }

    impl EventHandler for Sliced {
        fn file_event(&mut self, _el: &mut EventLoop, _fd: RawFd, _ready: Interest) {}
        fn time_event(&mut self, _el: &mut EventLoop, _id: u64) -> TimerNext {
            TimerNext::Stop
        }
        fn before_sleep(&mut self, _el: &mut EventLoop) {
            self.before_sleeps += 1;
            self.left = self.left.saturating_sub(1);
        }
        fn has_sliced_work(&self) -> bool {
            self.left > 0
        }
    }

    #[test]
    fn sliced_work_keeps_the_loop_from_sleeping_until_it_is_done() {
        let mut el: EventLoop = EventLoop::new(16).unwrap();
        let mut h = Sliced { left: 3, before_sleeps: 0 };
        // With work left after `before_sleep` the loop polls without waiting (the cap is a minute: a loop that
        // slept would take one per pass).
        let t = std::time::Instant::now();
        el.process_events(&mut h, Some(60_000)).unwrap();
        el.process_events(&mut h, Some(60_000)).unwrap();
        assert_eq!((h.left, h.before_sleeps), (1, 2));
        assert!(t.elapsed() < std::time::Duration::from_secs(30), "the loop slept with sliced work left");
        // The last slice: now the loop sleeps until the cap (20 ms).
        let t = std::time::Instant::now();
        el.process_events(&mut h, Some(20)).unwrap();
        assert_eq!((h.left, h.before_sleeps), (0, 3));
        assert!(t.elapsed() >= std::time::Duration::from_millis(15), "the loop did not sleep without work");
    }

    #[test]
    fn busy_poll_window_grows_after_short_sleeps_and_resets_after_long_ones() {
        let us = 1000;
        let mut b = BusyPoll { max_ns: 32 * us, window_ns: 0 };
        b.after_block(5 * us, true);
        assert_eq!(b.window_ns, 8 * us, "first short sleep opens a quarter of the bound");
        b.after_block(12 * us, true);
        assert_eq!(b.window_ns, 16 * us);
        b.after_block(20 * us, true);
        assert_eq!(b.window_ns, 32 * us);
        b.after_block(20 * us, true);
        assert_eq!(b.window_ns, 32 * us, "capped at the bound");
        // A short wait ended by a timeout is no reason to grow or shrink.
        b.window_ns = 8 * us;
        b.after_block(10 * us, false);
        assert_eq!(b.window_ns, 8 * us);
        b.after_block(33 * us, true);
        assert_eq!(b.window_ns, 0, "a long sleep turns spinning off");
        // Disabled: never opens.
        let mut off = BusyPoll::default();
        off.after_block(1, true);
        assert_eq!(off.window_ns, 0);
    }

    #[test]
    fn busy_polling_loop_still_sleeps_when_idle() {
        let mut el: EventLoop = EventLoop::new(16).unwrap();
        el.set_busy_poll(std::time::Duration::from_micros(50));
        let mut h = Echo { reads: vec![], writes: vec![], ticks: 0, sleeps: 0 };
        let (a, b) = pair();
        let fd = b.as_raw_fd();
        el.add_interest(fd, Interest::READABLE).unwrap();
        // Events arriving back to back open the window.
        for _ in 0..4 {
            crate::sys::socket::write(a.as_raw_fd(), b"x").unwrap();
            el.process_events(&mut h, Some(1000)).unwrap();
        }
        assert_eq!(h.reads.len(), 4);
        // An idle wait (5 ms, far beyond the bound) closes it again.
        let t = std::time::Instant::now();
        el.process_events(&mut h, Some(5)).unwrap();
        assert!(t.elapsed() >= std::time::Duration::from_millis(4));
        assert_eq!(el.busy_poll_window(), std::time::Duration::ZERO);
    }
}
