//! The system checks Redis runs at startup and for `--check-system`: settings of the machine that cost a forking,
//! latency-sensitive server dearly and that it cannot change for everyone, only warn about (Redis's `syscheck.c`
//! and `linuxMemoryWarnings`).
//!
//! * **slow-clocksource**: the server reads the clock around every command; a clock source that goes through a
//!   system call instead of the vDSO makes every read a syscall. Measured: a busy loop of clock reads for five
//!   scheduler ticks, flagged when more than a tenth of it was system time (only for `--check-system`: it costs
//!   50 ms).
//! * **xen-clocksource**: the `xen` clock source is such a slow one (EC2's Xen instances).
//! * **overcommit**: with `vm.overcommit_memory` other than 1 the kernel may refuse the fork of a background save
//!   or full sync when memory is short, though copy-on-write would need only a fraction of it.
//! * **THP**: transparent huge pages set to `always` turn a page fault into zeroing 2 MiB and a copy-on-write
//!   after a fork into copying 2 MiB, for every huge page the parent writes while the child lives. Where the
//!   kernel allows it (`prctl(PR_SET_THP_DISABLE)`, Linux 3.5+), the server turns them off for itself instead
//!   of warning (`disable-thp yes`, the default), as Redis does; the flag is inherited by the forked children.
//!   What THP `always` costs the growth10m load's longest pause: `benches/README.md`, "Tail latency".
//!
//! On other systems every check reports "skipped".

/// What one check found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Finding {
    /// Nothing to say: the setting is what the server wants.
    Ok,
    /// The check could not be made here (not Linux, the file is missing, or unreadable).
    Skipped,
    /// The setting hurts the server; the text says why and how to change it.
    Warning(String),
}

/// Redis's text for the overcommit warning (without the jemalloc sentence: ferredis does not use jemalloc).
const OVERCOMMIT_TEXT: &str = "Memory overcommit must be enabled! Without it, a background save or replication may \
     fail under low memory condition. To fix this issue add 'vm.overcommit_memory = 1' to /etc/sysctl.conf and \
     then reboot or run the command 'sysctl vm.overcommit_memory=1' for this to take effect.";

/// Redis's text for the THP warning, naming this server.
const THP_TEXT: &str = "You have Transparent Huge Pages (THP) support enabled in your kernel. This will create \
     latency and memory usage issues with ferredis. To fix this issue run the command 'echo madvise > \
     /sys/kernel/mm/transparent_hugepage/enabled' as root, and add it to your /etc/rc.local in order to retain the \
     setting after a reboot. ferredis must be restarted after THP is disabled (set to 'madvise' or 'never').";

/// Where the kernel shows the THP mode: `always [madvise] never`, the brackets around the one in force.
const THP_MODE_FILE: &str = "/sys/kernel/mm/transparent_hugepage/enabled";

/// Where the kernel shows `vm.overcommit_memory`.
const OVERCOMMIT_FILE: &str = "/proc/sys/vm/overcommit_memory";

/// Where the kernel shows the clock source in use.
const CLOCKSOURCE_FILE: &str = "/sys/devices/system/clocksource/clocksource0/current_clocksource";

/// Where the kernel shows the clock sources it could use.
const CLOCKSOURCES_FILE: &str = "/sys/devices/system/clocksource/clocksource0/available_clocksource";

/// The first line of a kernel settings file, trimmed; `None` when it cannot be read (or off Linux).
fn first_line(path: &str) -> Option<String> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    Some(text.lines().next().unwrap_or("").trim().to_string())
}

/// The overcommit check on the text of `/proc/sys/vm/overcommit_memory` (`strtol` of it, as Redis reads it).
pub fn overcommit_finding(text: Option<&str>) -> Finding {
    let Some(text) = text else { return Finding::Skipped };
    let digits: String = text.trim_start().chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.parse::<u64>().unwrap_or(0) == 1 {
        Finding::Ok
    } else {
        Finding::Warning(OVERCOMMIT_TEXT.to_string())
    }
}

/// The THP check on the text of `/sys/kernel/mm/transparent_hugepage/enabled`: a warning when `always` is the mode
/// in force.
pub fn thp_finding(text: Option<&str>) -> Finding {
    match text {
        None => Finding::Skipped,
        Some(t) if t.contains("[always]") => Finding::Warning(THP_TEXT.to_string()),
        Some(_) => Finding::Ok,
    }
}

/// The Xen clock source check on the name of the clock source in use.
pub fn xen_clocksource_finding(current: Option<&str>) -> Finding {
    match current {
        None => Finding::Skipped,
        Some("xen") => Finding::Warning(
            "Your system is configured to use the 'xen' clocksource which might lead to degraded performance. Check \
             the result of the [slow-clocksource] system check: run 'ferredis-server --check-system' to check if \
             the system's clocksource isn't degrading performance."
                .to_string(),
        ),
        Some(_) => Finding::Ok,
    }
}

/// `vm.overcommit_memory` on this machine.
pub fn overcommit() -> Finding {
    overcommit_finding(first_line(OVERCOMMIT_FILE).as_deref())
}

/// Transparent huge pages' mode on this machine.
pub fn thp() -> Finding {
    thp_finding(first_line(THP_MODE_FILE).as_deref())
}

/// The clock source in use on this machine.
pub fn xen_clocksource() -> Finding {
    xen_clocksource_finding(first_line(CLOCKSOURCE_FILE).as_deref())
}

/// Whether reading the clock goes through a system call: five scheduler ticks of clock reads (50 ms at 100 Hz),
/// flagged when over a tenth of them was spent in the kernel.
pub fn slow_clocksource() -> Finding {
    if !cfg!(target_os = "linux") {
        return Finding::Skipped;
    }
    // SAFETY: sysconf only reads a system constant.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    if ticks <= 0 {
        return Finding::Skipped;
    }
    let span = std::time::Duration::from_micros(5_000_000 / ticks as u64);
    let (sys0, user0) = super::process::cpu_times(super::process::CpuOf::Process);
    let start = std::time::Instant::now();
    while start.elapsed() < span {}
    let (sys1, user1) = super::process::cpu_times(super::process::CpuOf::Process);
    let (sys, user) = (sys1 - sys0, user1 - user0);
    if sys * 10.0 > sys + user {
        Finding::Warning(format!(
            "Slow system clocksource detected. This can result in degraded performance. Consider changing the \
             system's clocksource. Current clocksource: {}. Available clocksources: {}. For example: run the \
             command 'echo tsc > /sys/devices/system/clocksource/clocksource0/current_clocksource' as root. To \
             permanently change the system's clocksource you'll need to set the 'clocksource=' kernel command \
             line parameter.",
            first_line(CLOCKSOURCE_FILE).unwrap_or_default(),
            first_line(CLOCKSOURCES_FILE).unwrap_or_default()
        ))
    } else {
        Finding::Ok
    }
}

/// Turns transparent huge pages off for this process and the children it forks from now on
/// (`prctl(PR_SET_THP_DISABLE)`); memory already in huge pages stays so.
#[cfg(target_os = "linux")]
pub fn disable_thp() -> std::io::Result<()> {
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and changes only this process's memory flags.
    syscall!(unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1 as libc::c_ulong, 0, 0, 0) }).map(drop)
}

/// Turns transparent huge pages off for this process: there are none to turn off here.
#[cfg(not(target_os = "linux"))]
pub fn disable_thp() -> std::io::Result<()> {
    Err(std::io::Error::from(std::io::ErrorKind::Unsupported))
}

/// The startup warnings (Redis's `linuxMemoryWarnings` and the Xen check), as the lines to log: overcommit; THP,
/// unless `disable_thp_flag` is set and the kernel took the flag; the Xen clock source.
pub fn startup_warnings(disable_thp_flag: bool) -> Vec<String> {
    let mut out = Vec::new();
    if let Finding::Warning(w) = overcommit() {
        out.push(format!("WARNING {w}"));
    }
    if let Finding::Warning(w) = thp() {
        if !(disable_thp_flag && disable_thp().is_ok()) {
            out.push(format!("WARNING {w}"));
        }
    }
    if let Finding::Warning(w) = xen_clocksource() {
        out.push(format!("WARNING {w}"));
    }
    out
}

/// A check's name as `--check-system` prints it, and the check.
type Check = (&'static str, fn() -> Finding);

/// `ferredis-server --check-system`: runs every check, prints `[name]...OK`, `skipped` or `WARNING:` and its
/// text, and says whether none warned (the process's exit status is 0 then, else 1).
pub fn check_system(out: &mut dyn std::io::Write) -> bool {
    let checks: [Check; 4] = [
        ("slow-clocksource", slow_clocksource),
        ("xen-clocksource", xen_clocksource),
        ("overcommit", overcommit),
        ("THP", thp),
    ];
    let mut all_ok = true;
    for (name, check) in checks {
        let line = match check() {
            Finding::Ok => format!("[{name}]...OK\n"),
            Finding::Skipped => format!("[{name}]...skipped\n"),
            Finding::Warning(w) => {
                all_ok = false;
                format!("[{name}]...WARNING:\n{w}\n")
            }
        };
        let _ = out.write_all(line.as_bytes());
    }
    all_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overcommit_is_fine_only_when_it_is_1() {
        assert_eq!(overcommit_finding(Some("1\n")), Finding::Ok);
        assert!(matches!(overcommit_finding(Some("0\n")), Finding::Warning(w) if w.contains("vm.overcommit_memory")));
        assert!(matches!(overcommit_finding(Some("2")), Finding::Warning(_)));
        assert!(matches!(overcommit_finding(Some("")), Finding::Warning(_)));
        assert_eq!(overcommit_finding(None), Finding::Skipped);
    }

    #[test]
    fn thp_warns_only_when_always_is_in_force() {
        assert!(matches!(thp_finding(Some("[always] madvise never")), Finding::Warning(w) if w.contains("madvise")));
        assert_eq!(thp_finding(Some("always [madvise] never")), Finding::Ok);
        assert_eq!(thp_finding(Some("always madvise [never]")), Finding::Ok);
        assert_eq!(thp_finding(None), Finding::Skipped);
    }

    #[test]
    fn only_the_xen_clocksource_is_flagged() {
        assert!(matches!(xen_clocksource_finding(Some("xen")), Finding::Warning(_)));
        assert_eq!(xen_clocksource_finding(Some("tsc")), Finding::Ok);
        assert_eq!(xen_clocksource_finding(None), Finding::Skipped);
    }

    #[test]
    fn check_system_prints_a_line_per_check_and_fails_on_a_warning() {
        let mut out = Vec::new();
        let ok = check_system(&mut out);
        let text = String::from_utf8(out).unwrap();
        for name in ["[slow-clocksource]...", "[xen-clocksource]...", "[overcommit]...", "[THP]..."] {
            assert!(text.contains(name), "{name} missing from {text}");
        }
        assert_eq!(ok, !text.contains("WARNING:"), "{text}");
    }
}
