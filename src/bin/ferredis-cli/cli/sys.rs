//! The few system calls ferredis-cli needs beyond std: signal dispositions, and the terminal (raw mode and
//! width) for interactive line editing, and waiting on a socket (`--pipe`). All of the client's `unsafe` is here.

use std::sync::atomic::{AtomicBool, Ordering};

/// Set by SIGINT once [`catch_sigint`] ran (redis-cli's `force_cancel_loop`): the handler `on_sigint` sets it,
/// `repl::stream_until_interrupt` clears it before it starts; the long-running modes poll it. A static because a
/// signal handler writes it.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_sigint(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Restores the default SIGPIPE action (Rust's runtime ignores it): like redis-cli in one-shot mode, a
/// closed pipe on stdout ends the process quietly.
pub fn sigpipe_default() {
    // SAFETY: installing SIG_DFL for SIGPIPE is async-signal-safe and takes no pointers.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
}

/// Ignores SIGPIPE (interactive mode: a dead server shows as a write error, then a reconnect).
pub fn sigpipe_ignore() {
    // SAFETY: as above, SIG_IGN is a constant disposition.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
}

/// Makes SIGINT set [`INTERRUPTED`] instead of ending the process (`--bigkeys`, `--scan` print a summary).
pub fn catch_sigint() {
    let handler: extern "C" fn(libc::c_int) = on_sigint;
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe { libc::signal(libc::SIGINT, handler as libc::sighandler_t) };
}

extern "C" fn exit_on_sigint(_: libc::c_int) {
    // SAFETY: _exit is async-signal-safe; nothing needs flushing that a killed process would have kept.
    unsafe { libc::_exit(1) };
}

/// Interactive mode outside the line editor: Ctrl-C during a command ends the client with status 1, as
/// redis-cli's handler does (the editor itself reads Ctrl-C as a key, the terminal being in raw mode).
pub fn sigint_exit() {
    let handler: extern "C" fn(libc::c_int) = exit_on_sigint;
    // SAFETY: the handler only calls _exit, which is async-signal-safe.
    unsafe { libc::signal(libc::SIGINT, handler as libc::sighandler_t) };
}

/// Waits up to `timeout_ms` for socket `fd` to be readable, or also writable when `write` (redis-cli's
/// `aeWait`); returns (readable, writable), both false on timeout. An error or hang-up counts as both: the next
/// read or write then tells what happened.
pub fn wait_socket(fd: i32, write: bool, timeout_ms: i32) -> std::io::Result<(bool, bool)> {
    let events = libc::POLLIN | if write { libc::POLLOUT } else { 0 };
    let mut p = libc::pollfd { fd, events, revents: 0 };
    loop {
        // SAFETY: `p` is one valid pollfd living across the call, and the count passed is 1.
        let n = unsafe { libc::poll(&mut p, 1, timeout_ms) };
        if n >= 0 {
            break;
        }
        let e = std::io::Error::last_os_error();
        if e.kind() != std::io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    let failed = p.revents & (libc::POLLERR | libc::POLLHUP) != 0;
    Ok((p.revents & libc::POLLIN != 0 || failed, write && (p.revents & libc::POLLOUT != 0 || failed)))
}

/// The terminal width of `fd`, or 80 when it cannot be told.
pub fn columns(fd: i32) -> usize {
    // SAFETY: winsize is plain old data; zeroed is a valid value.
    let mut ws: libc::winsize = unsafe { std::mem::zeroed() };
    // SAFETY: TIOCGWINSZ writes one winsize into the valid, exclusively borrowed `ws`.
    let r = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut ws as *mut libc::winsize) };
    if r == -1 || ws.ws_col == 0 {
        80
    } else {
        ws.ws_col as usize
    }
}

/// A terminal switched to raw mode; the original settings come back on drop.
pub struct RawMode {
    fd: i32,
    orig: libc::termios,
}

impl RawMode {
    /// Puts `fd` in raw mode (no echo, no canonical line buffering, no signals from keys, 8-bit chars).
    pub fn enable(fd: i32) -> std::io::Result<RawMode> {
        // SAFETY: termios is plain old data; zeroed is a valid value that tcgetattr overwrites.
        let mut orig: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: `orig` is a valid termios to fill.
        if unsafe { libc::tcgetattr(fd, &mut orig) } == -1 {
            return Err(std::io::Error::last_os_error());
        }
        let mut raw = orig;
        raw.c_iflag &= !(libc::BRKINT | libc::ICRNL | libc::INPCK | libc::ISTRIP | libc::IXON);
        raw.c_oflag &= !libc::OPOST;
        raw.c_cflag |= libc::CS8;
        raw.c_lflag &= !(libc::ECHO | libc::ICANON | libc::IEXTEN | libc::ISIG);
        raw.c_cc[libc::VMIN] = 1;
        raw.c_cc[libc::VTIME] = 0;
        // SAFETY: `raw` is a valid termios derived from the current settings.
        if unsafe { libc::tcsetattr(fd, libc::TCSAFLUSH, &raw) } == -1 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(RawMode { fd, orig })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `enable` on the same descriptor.
        unsafe { libc::tcsetattr(self.fd, libc::TCSAFLUSH, &self.orig) };
    }
}
