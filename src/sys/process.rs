//! Process control: fork/wait for background jobs, daemonizing, the pid file, and the open-files limit; and the
//! process's readings from the kernel: its resident set, its CPU times, and the machine's memory.

use std::io;

/// Which side of a fork we are on.
#[derive(Debug, PartialEq, Eq)]
pub enum Forked {
    Parent { child_pid: i32 },
    Child,
}

/// Forks the process. The child inherits a copy of the whole address space but only the calling thread, so it must
/// stick to its own job and leave with [`exit_child`].
pub fn fork() -> io::Result<Forked> {
    // SAFETY: the server is single-threaded, so the child gets a consistent copy of every lock and structure.
    let pid = syscall!(unsafe { libc::fork() })?;
    Ok(if pid == 0 { Forked::Child } else { Forked::Parent { child_pid: pid } })
}

/// Ends a forked child without running the parent's exit handlers or flushing its stdio buffers twice.
pub fn exit_child(code: i32) -> ! {
    // SAFETY: _exit never returns and has no preconditions.
    unsafe { libc::_exit(code) }
}

/// Ignores SIGTERM and SIGINT from now on (a forked child whose parent handles shutdown: Redis's Lua debugging
/// session child).
pub fn ignore_shutdown_signals() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: SIG_IGN is a constant disposition; signal has no other preconditions.
        unsafe { libc::signal(sig, libc::SIG_IGN) };
    }
}

/// The exit status of a child that left on SIGUSR1 through [`setup_child_signal_handlers`]'s handler (Redis's
/// `SERVER_CHILD_NOERROR_RETVAL`): the parent reads it as killed by SIGUSR1, which is not a failure.
pub const CHILD_NOERROR_EXIT: i32 = 255;

extern "C" fn on_child_sigusr1(_sig: libc::c_int) {
    crate::log::log_from_signal_handler(b"Received SIGUSR1 in child, exiting now.");
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(CHILD_NOERROR_EXIT) };
}

/// In a forked child: SIGUSR1 (how the server stops a child on purpose) logs and exits with
/// [`CHILD_NOERROR_EXIT`] (Redis's `setupChildSignalHandlers`). SIGTERM and SIGINT keep the server's handler, as
/// in Redis: a background save or rewrite logs "scheduling shutdown" and goes on.
pub fn setup_child_signal_handlers() {
    let handler: extern "C" fn(libc::c_int) = on_child_sigusr1;
    // SAFETY: the handler only makes async-signal-safe calls (getpid, time, write, _exit).
    unsafe { libc::signal(libc::SIGUSR1, handler as libc::sighandler_t) };
}

/// In a forked child: closes a descriptor that belongs to the parent's side (an `OwnedFd` of the parent's, whose
/// destructor never runs in the child, which leaves with [`exit_child`]).
pub fn close_inherited(fd: i32) {
    // SAFETY: closing a descriptor number has no memory-safety preconditions; the caller guarantees nothing in
    // this process uses it afterwards.
    unsafe { libc::close(fd) };
}

/// Blocks until the pipe whose (non-blocking) read end is `fd` has no writer left: every write end closed, or
/// its holder dead. A diskless RDB child waits so until its parent has read the whole payload.
pub fn wait_pipe_closed(fd: i32) {
    let mut pfd = libc::pollfd { fd, events: libc::POLLIN, revents: 0 };
    let mut buf = [0u8; 16];
    loop {
        // SAFETY: `pfd` is one valid pollfd for the call; -1 waits without a timeout.
        unsafe { libc::poll(&mut pfd, 1, -1) };
        match crate::sys::socket::read(fd, &mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted) => {}
            Err(_) => return,
        }
    }
}

/// Whether child `pid` has ended (reaping it): `waitpid(pid, WNOHANG)`. An error (no such child) counts as ended.
pub fn child_exited(pid: i32) -> bool {
    let mut status: libc::c_int = 0;
    // SAFETY: `status` is a valid out-pointer; WNOHANG never blocks.
    let r = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
    r != 0
}

/// Starts the program `argv[0]` with arguments `argv` and this process's environment, without waiting for it
/// (fork, then `execv` in the child: Redis's way of running the sentinel's scripts). A program that cannot be
/// executed makes the child exit with status 2, as Redis's does. Returns the child's pid; reap it with
/// [`try_wait`].
pub fn spawn(argv: &[String]) -> io::Result<i32> {
    let cargs: Vec<std::ffi::CString> = argv
        .iter()
        .map(|a| std::ffi::CString::new(a.as_bytes()))
        .collect::<Result<_, _>>()
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    if cargs.is_empty() {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    // Everything the child needs is built before the fork: between fork and exec it only calls execv and _exit,
    // which are async-signal-safe (other threads may hold the allocator's locks in the child's copy).
    let mut ptrs: Vec<*const libc::c_char> = cargs.iter().map(|c| c.as_ptr()).collect();
    ptrs.push(std::ptr::null());
    match fork()? {
        Forked::Child => {
            // SAFETY: `ptrs` is a NULL-terminated array of pointers to the NUL-terminated strings of `cargs`, both
            // alive here; execv only returns on failure.
            unsafe { libc::execv(ptrs[0], ptrs.as_ptr()) };
            exit_child(2)
        }
        Forked::Parent { child_pid } => Ok(child_pid),
    }
}

/// Replaces this process with the program at `path`, run with the arguments `argv` (`argv[0]` first) and this
/// process's environment (`execv`). Returns only when that fails, with the reason. The strings come from the
/// kernel (this process's own arguments and executable path), so none holds a NUL byte.
pub fn exec(path: &std::ffi::OsStr, argv: &[std::ffi::OsString]) -> io::Error {
    use std::os::unix::ffi::OsStrExt;
    // `path`, then the arguments, each with its terminating NUL.
    let mut strings: Vec<Vec<u8>> = Vec::with_capacity(argv.len() + 1);
    for s in std::iter::once(path).chain(argv.iter().map(|a| a.as_os_str())) {
        let mut c = Vec::with_capacity(s.len() + 1);
        c.extend_from_slice(s.as_bytes());
        c.push(0);
        strings.push(c);
    }
    let mut ptrs: Vec<*const libc::c_char> = Vec::with_capacity(strings.len());
    for s in &strings[1..] {
        ptrs.push(s.as_ptr().cast());
    }
    ptrs.push(std::ptr::null());
    // SAFETY: every element of `strings` ends with a NUL byte, and `ptrs` is a NULL-terminated array of pointers
    // into `strings[1..]`; all of them stay alive across the call. execv only returns on failure.
    unsafe { libc::execv(strings[0].as_ptr().cast(), ptrs.as_ptr()) };
    io::Error::last_os_error()
}

/// How child `pid` ended, reaping it; `None` while it runs (`waitpid(pid, WNOHANG)`).
pub fn try_wait(pid: i32) -> io::Result<Option<ExitStatus>> {
    let mut status: libc::c_int = 0;
    // SAFETY: `status` is a valid out-pointer; WNOHANG never blocks.
    let r = syscall!(unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) })?;
    if r == 0 {
        return Ok(None);
    }
    Ok(Some(if libc::WIFSIGNALED(status) {
        ExitStatus::Signaled(libc::WTERMSIG(status))
    } else {
        ExitStatus::Exited(libc::WEXITSTATUS(status))
    }))
}

/// How a child process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    Exited(i32),
    Signaled(i32),
}

/// Reaps one finished child without blocking (`waitpid(-1, WNOHANG)`), as Redis's `checkChildrenDone`.
pub fn reap_child() -> io::Result<Option<(i32, ExitStatus)>> {
    let mut status: libc::c_int = 0;
    // SAFETY: `status` is a valid out-pointer.
    let pid = syscall!(unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) })?;
    if pid == 0 {
        return Ok(None);
    }
    let st = if libc::WIFSIGNALED(status) {
        ExitStatus::Signaled(libc::WTERMSIG(status))
    } else {
        ExitStatus::Exited(libc::WEXITSTATUS(status))
    };
    Ok(Some((pid, st)))
}

/// Sends `sig` to `pid`.
pub fn kill(pid: i32, sig: i32) -> io::Result<()> {
    // SAFETY: kill takes plain integers.
    syscall!(unsafe { libc::kill(pid, sig) })?;
    Ok(())
}

/// Detaches from the terminal the classic way: fork (the parent exits 0), start a new session, and point stdin,
/// stdout and stderr at /dev/null.
pub fn daemonize() -> io::Result<()> {
    match fork()? {
        Forked::Parent { .. } => exit_child(0),
        Forked::Child => {}
    }
    // SAFETY: setsid takes no arguments.
    syscall!(unsafe { libc::setsid() })?;
    // SAFETY: the path is a NUL-terminated literal.
    let fd = syscall!(unsafe { libc::open(c"/dev/null".as_ptr(), libc::O_RDWR) })?;
    for target in 0..3 {
        // SAFETY: dup2 takes plain descriptors; `fd` is open.
        syscall!(unsafe { libc::dup2(fd, target) })?;
    }
    if fd > 2 {
        // SAFETY: `fd` is ours and no longer needed.
        unsafe { libc::close(fd) };
    }
    Ok(())
}

/// Writes our pid to `path`, as Redis's `createPidFile`.
pub fn write_pidfile(path: &str) -> io::Result<()> {
    std::fs::write(path, format!("{}\n", std::process::id()))
}

/// Descriptors kept in reserve beyond `maxclients` for listeners, log and persistence files
/// (Redis's `CONFIG_MIN_RESERVED_FDS`).
pub const MIN_RESERVED_FDS: u64 = 32;

/// What raising the open-files limit achieved.
#[derive(Debug, PartialEq, Eq)]
pub enum FilesLimit {
    /// The limit already allowed `maxclients`.
    Enough,
    /// Raised from `old` to `new`.
    Raised { old: u64, new: u64 },
    /// Could not reach what `maxclients` needs: the best limit obtained, the error that stopped us, and the
    /// reduced maxclients that fits (0 = not even the reserved descriptors fit).
    Reduced { limit: u64, error: String, maxclients: usize },
}

/// Raises `RLIMIT_NOFILE` so `maxclients` connections fit, like Redis's `adjustOpenFilesLimit`: try the full
/// amount, then step down by 16 until the kernel accepts, never going below the current limit.
pub fn adjust_open_files_limit(maxclients: usize) -> FilesLimit {
    let wanted = maxclients as u64 + MIN_RESERVED_FDS;
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: `lim` is a valid out-pointer.
    if syscall!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }).is_err() {
        let error = super::error_text(&io::Error::last_os_error());
        // Like Redis: assume the common 1024 default and fit maxclients into it.
        let limit = 1024u64;
        return FilesLimit::Reduced { limit, error, maxclients: (limit - MIN_RESERVED_FDS) as usize };
    }
    // rlim_t is signed on some BSDs.
    #[allow(clippy::unnecessary_cast)]
    let old = lim.rlim_cur as u64;
    if old >= wanted {
        return FilesLimit::Enough;
    }
    let mut best = wanted;
    let mut error = String::new();
    while best > old {
        let try_lim = libc::rlimit { rlim_cur: best as libc::rlim_t, rlim_max: best as libc::rlim_t };
        // SAFETY: `try_lim` is a valid rlimit.
        match syscall!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &try_lim) }) {
            Ok(_) => break,
            Err(e) => {
                error = super::error_text(&e);
                if best < 16 {
                    best = old;
                    break;
                }
                best -= 16;
            }
        }
    }
    if best < old {
        best = old;
    }
    if best >= wanted {
        return FilesLimit::Raised { old, new: best };
    }
    let maxclients = best.saturating_sub(MIN_RESERVED_FDS) as usize;
    FilesLimit::Reduced { limit: best, error, maxclients }
}

/// A pipe whose read end is non-blocking (a forked child reports to its parent through it); both ends close on
/// exec.
pub fn pipe() -> io::Result<(std::os::fd::OwnedFd, std::os::fd::OwnedFd)> {
    use std::os::fd::FromRawFd;
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors pipe writes.
    syscall!(unsafe { libc::pipe(fds.as_mut_ptr()) })?;
    // SAFETY: pipe succeeded, so both descriptors are open and owned by nobody else.
    let (r, w) = unsafe { (std::os::fd::OwnedFd::from_raw_fd(fds[0]), std::os::fd::OwnedFd::from_raw_fd(fds[1])) };
    for fd in fds {
        // SAFETY: fcntl on descriptors we own, with integer arguments.
        syscall!(unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) })?;
    }
    // SAFETY: as above.
    let fl = syscall!(unsafe { libc::fcntl(fds[0], libc::F_GETFL) })?;
    // SAFETY: as above.
    syscall!(unsafe { libc::fcntl(fds[0], libc::F_SETFL, fl | libc::O_NONBLOCK) })?;
    Ok((r, w))
}

/// Bytes of this process's memory that are private and written (copy-on-write copies in a forked child):
/// `Private_Dirty` of `/proc/self/smaps_rollup` (Linux); 0 where that is unavailable.
pub fn private_dirty_bytes() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/self/smaps_rollup") else { return 0 };
    text.lines()
        .find_map(|l| l.strip_prefix("Private_Dirty:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Resident set size of the process in bytes (`used_memory_rss`), 0 when the platform doesn't tell.
pub fn rss_memory() -> u64 {
    proc_status_kb("VmRSS:").map(|kb| kb * 1024).unwrap_or(0)
}

/// Total physical memory in bytes (`total_system_memory`), 0 when unknown.
pub fn total_system_memory() -> u64 {
    let Ok(s) = std::fs::read_to_string("/proc/meminfo") else { return 0 };
    s.lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or(0)
}

fn proc_status_kb(field: &str) -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let v = s.lines().find_map(|l| l.strip_prefix(field))?;
    v.trim().trim_end_matches("kB").trim().parse().ok()
}

/// Whose CPU time [`cpu_times`] reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuOf {
    Process,
    Children,
    /// The calling thread (the event loop); the process figure where the platform can't tell threads apart.
    Thread,
}

/// (system, user) CPU seconds as `getrusage` reports them, with microsecond resolution.
pub fn cpu_times(of: CpuOf) -> (f64, f64) {
    let who = match of {
        CpuOf::Process => libc::RUSAGE_SELF,
        CpuOf::Children => libc::RUSAGE_CHILDREN,
        #[cfg(target_os = "linux")]
        CpuOf::Thread => libc::RUSAGE_THREAD,
        #[cfg(not(target_os = "linux"))]
        CpuOf::Thread => libc::RUSAGE_SELF,
    };
    let mut ru = std::mem::MaybeUninit::<libc::rusage>::zeroed();
    // SAFETY: `ru` points to writable memory of the right size and type for getrusage to fill.
    let rc = unsafe { libc::getrusage(who, ru.as_mut_ptr()) };
    if rc != 0 {
        return (0.0, 0.0);
    }
    // SAFETY: getrusage succeeded, so it initialized the struct (it was zeroed before anyway).
    let ru = unsafe { ru.assume_init() };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    (secs(ru.ru_stime), secs(ru.ru_utime))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_maxclients_needs_no_change() {
        assert_eq!(adjust_open_files_limit(1), FilesLimit::Enough);
    }

    #[test]
    fn fork_and_reap_child() {
        match fork().unwrap() {
            Forked::Child => exit_child(7),
            Forked::Parent { child_pid } => {
                let mut status = 0;
                // Wait for this particular child so parallel tests' children are left alone.
                // SAFETY: `status` is a valid out-pointer.
                let pid = unsafe { libc::waitpid(child_pid, &mut status, 0) };
                assert_eq!(pid, child_pid);
                assert!(libc::WIFEXITED(status));
                assert_eq!(libc::WEXITSTATUS(status), 7);
            }
        }
    }
}
