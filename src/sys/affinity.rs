//! CPU affinity from `server_cpulist`, `bio_cpulist`, `aof_rewrite_cpulist` and `bgsave_cpulist` (Redis's
//! `setcpuaffinity.c`), so an operator can keep the event loop, the background threads and the fork children off
//! each other's CPUs: a BGSAVE child that shares the event loop's CPU takes its time from the clients.
//!
//! A list is `taskset`'s: CPU numbers, ranges and ranges with a stride, comma-separated (`0,2,3`, `0,2-3`,
//! `0-20:2`). As in Redis, a list that does not parse is ignored whole (nothing is pinned), and so is one the kernel
//! refuses (CPUs that do not exist).
//!
//! Who takes which list, as in Redis:
//! * the event loop's thread: `server_cpulist`, once start-up is over (loading runs where the process started);
//!   the I/O threads too;
//! * the background threads (lazy free, AOF fsync, the memory release thread): `bio_cpulist`; without it, the
//!   mask the process started with (a thread started after the event loop was pinned would otherwise inherit the
//!   event loop's list, where Redis's, started before, keep the process's);
//! * the RDB child (BGSAVE, a full sync's payload): `bgsave_cpulist`; the AOF rewrite child:
//!   `aof_rewrite_cpulist`; without one, a child keeps the event loop's mask.
//!
//! Linux only (`sched_setaffinity`); elsewhere the lists are accepted and nothing is pinned.

/// The CPUs of one list: a bit per CPU, up to [`MAX_CPUS`] (glibc's `CPU_SETSIZE`; higher numbers are ignored,
/// as `CPU_SET` ignores them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CpuMask([u64; MASK_WORDS]);

/// CPUs a mask can name.
pub const MAX_CPUS: usize = 1024;

const MASK_WORDS: usize = MAX_CPUS / 64;

impl CpuMask {
    fn empty() -> CpuMask {
        CpuMask([0; MASK_WORDS])
    }

    fn set(&mut self, cpu: usize) {
        if cpu < MAX_CPUS {
            self.0[cpu / 64] |= 1 << (cpu % 64);
        }
    }

    /// The CPUs in the mask, in increasing order.
    pub fn cpus(&self) -> Vec<usize> {
        (0..MAX_CPUS).filter(|&c| self.0[c / 64] & (1 << (c % 64)) != 0).collect()
    }
}

/// Parses a CPU list as Redis does (`0,2,3`, `0,2-3`, `0-20:2`); `None` for an empty or malformed one (a
/// descending range, a zero stride, anything but digits, `,`, `-` and `:` in their places).
pub fn parse_cpulist(list: &str) -> Option<CpuMask> {
    if list.is_empty() {
        return None;
    }
    let num = |s: &str| -> Option<usize> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let mut mask = CpuMask::empty();
    for item in list.split(',') {
        let (range, stride) = match item.split_once(':') {
            Some((r, s)) if r.contains('-') => (r, num(s)?),
            Some(_) => return None,
            None => (item, 1),
        };
        let (a, b) = match range.split_once('-') {
            Some((a, b)) => (num(a)?, num(b)?),
            None => {
                let a = num(range)?;
                (a, a)
            }
        };
        if stride == 0 || a > b {
            return None;
        }
        let mut cpu = a;
        while cpu <= b && cpu < MAX_CPUS {
            mask.set(cpu);
            cpu += stride;
        }
    }
    Some(mask)
}

/// Which part of the server a thread or process is (see the module documentation for the list each takes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The event loop's thread, once start-up is over.
    EventLoop,
    /// An I/O thread.
    IoThread,
    /// A background thread (lazy free, AOF fsync, memory release).
    Background,
    /// The child of a BGSAVE or a full sync.
    RdbChild,
    /// The child of an AOF rewrite.
    AofChild,
}

/// The lists, parsed, and the mask the process started with.
#[derive(Debug)]
struct Plan {
    server: Option<CpuMask>,
    bio: Option<CpuMask>,
    aof_rewrite: Option<CpuMask>,
    bgsave: Option<CpuMask>,
    /// The event loop's mask when [`configure`] ran, for background threads started after it was pinned.
    original: Option<CpuMask>,
}

/// The affinity plan: set once by [`configure`] at start-up, read by every thread and child entering a role.
static PLAN: std::sync::OnceLock<Plan> = std::sync::OnceLock::new();

/// Takes the four lists (start-up, before any thread that enters a role; the directives are immutable).
pub fn configure(server: &str, bio: &str, aof_rewrite: &str, bgsave: &str) {
    let _ = PLAN.set(Plan {
        server: parse_cpulist(server),
        bio: parse_cpulist(bio),
        aof_rewrite: parse_cpulist(aof_rewrite),
        bgsave: parse_cpulist(bgsave),
        original: current(),
    });
}

/// Pins the calling thread (or, in a fork child, the process) for its role; nothing when no list applies or
/// [`configure`] has not run (unit tests, tools).
pub fn enter(role: Role) {
    let Some(plan) = PLAN.get() else { return };
    let mask = match role {
        Role::EventLoop | Role::IoThread => plan.server,
        Role::Background => plan.bio.or(if plan.server.is_some() { plan.original } else { None }),
        Role::RdbChild => plan.bgsave,
        Role::AofChild => plan.aof_rewrite,
    };
    if let Some(mask) = mask {
        // As Redis: a mask the kernel refuses leaves the thread where it was.
        let _ = set_current(&mask);
    }
}

/// The calling thread's CPU mask.
#[cfg(target_os = "linux")]
pub fn current() -> Option<CpuMask> {
    let mut mask = CpuMask::empty();
    // SAFETY: the kernel writes at most the given size into the buffer, which is that many bytes of plain
    // integers (the layout of a `cpu_set_t`: an array of bit words); pid 0 is the calling thread.
    let rc = unsafe {
        libc::sched_getaffinity(0, std::mem::size_of::<CpuMask>(), mask.0.as_mut_ptr().cast::<libc::cpu_set_t>())
    };
    (rc == 0).then_some(mask)
}

/// The calling thread's CPU mask: not known off Linux.
#[cfg(not(target_os = "linux"))]
pub fn current() -> Option<CpuMask> {
    None
}

/// Pins the calling thread to `mask`.
#[cfg(target_os = "linux")]
pub fn set_current(mask: &CpuMask) -> std::io::Result<()> {
    // SAFETY: the kernel reads the given size from the buffer, a `cpu_set_t`'s layout of bit words (above).
    syscall!(unsafe {
        libc::sched_setaffinity(0, std::mem::size_of::<CpuMask>(), mask.0.as_ptr().cast::<libc::cpu_set_t>())
    })
    .map(drop)
}

/// Pins the calling thread to `mask`: not done off Linux.
#[cfg(not(target_os = "linux"))]
pub fn set_current(_mask: &CpuMask) -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpus(list: &str) -> Option<Vec<usize>> {
        parse_cpulist(list).map(|m| m.cpus())
    }

    #[test]
    fn lists_parse_as_taskset_reads_them() {
        assert_eq!(cpus("0"), Some(vec![0]));
        assert_eq!(cpus("0,2,3"), Some(vec![0, 2, 3]));
        assert_eq!(cpus("0,2-3"), Some(vec![0, 2, 3]));
        assert_eq!(cpus("0-7:2"), Some(vec![0, 2, 4, 6]));
        assert_eq!(cpus("1-3,8-12:3"), Some(vec![1, 2, 3, 8, 11]));
        assert_eq!(cpus("5-5"), Some(vec![5]));
        assert_eq!(cpus("1023,1024,5000"), Some(vec![1023]), "past the mask's size: ignored");
    }

    #[test]
    fn a_malformed_list_pins_nothing() {
        for bad in ["", "a", "1,", ",1", "3-1", "0-4:0", "1:2", "-1", "1-", "1--2", " 1", "1 ", "0-3:2:1", "1.5"] {
            assert_eq!(cpus(bad), None, "{bad:?}");
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_thread_takes_its_mask_and_reads_it_back() {
        let start = current().expect("sched_getaffinity");
        let first = start.cpus()[0];
        let other = std::thread::spawn(move || {
            let mut m = CpuMask::empty();
            m.set(first);
            set_current(&m).expect("sched_setaffinity");
            current().expect("read back").cpus()
        })
        .join()
        .expect("thread");
        assert_eq!(other, vec![first]);
        assert_eq!(current(), Some(start), "another thread's mask is its own");
    }
}
