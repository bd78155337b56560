//! The low-level half of crash reporting: everything here may run inside a fatal-signal handler, so it uses only
//! async-signal-safe calls (`write`, `getpid`, `clock_gettime`, `sigaction`, `kill`, `setitimer`) on memory that
//! was prepared at start-up, and never allocates or locks.
//!
//! - [`SigWriter`]: formats text into a stack buffer and `write(2)`s it to a descriptor.
//! - [`install_alt_stack`]: an alternate signal stack for the main thread (mmap'ed, not from the allocator), so a
//!   handler still runs when the normal stack is exhausted (stack overflow).
//! - [`install_fatal_handlers`] / [`reset_fatal_handlers`]: SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT.
//! - [`backtrace`] + [`write_frame`]: the raw stack (glibc/macOS `backtrace`, warmed up at start-up because its
//!   first call loads libgcc) and symbol names. On Linux the names come from the executable's own ELF symbol table,
//!   mapped read-only at start-up and searched linearly at crash time (Rust functions are not in the dynamic symbol
//!   table that `backtrace_symbols_fd` reads, even with `-rdynamic`); legacy and v0 Rust manglings are decoded into
//!   the stack buffer. Frames outside the executable (libc) go through `backtrace_symbols_fd`, as in Redis.
//! - [`pc_of_context`]: the faulting instruction from the handler's `ucontext_t`; [`write_registers`]: its
//!   registers and the words at its stack pointer, each line started by the caller's log prefix.
//! - [`arm_alarm`] / [`set_alarm_handler`]: the watchdog's `ITIMER_REAL` timer and its SIGALRM handler.
//!
//! Tested by the unit tests below (demangling, number formatting, symbol lookup of a known function) and end to end
//! by tests/operations/crash_reports.rs.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Formats into a fixed stack buffer and writes it out in pieces; never allocates.
pub struct SigWriter {
    fd: i32,
    buf: [u8; 512],
    n: usize,
}

impl SigWriter {
    pub fn new(fd: i32) -> SigWriter {
        SigWriter { fd, buf: [0; 512], n: 0 }
    }

    pub fn bytes(&mut self, mut b: &[u8]) -> &mut Self {
        while !b.is_empty() {
            if self.n == self.buf.len() {
                self.flush();
            }
            let k = b.len().min(self.buf.len() - self.n);
            self.buf[self.n..self.n + k].copy_from_slice(&b[..k]);
            self.n += k;
            b = &b[k..];
        }
        self
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    pub fn dec(&mut self, v: i64) -> &mut Self {
        let mut num = [0u8; 24];
        let s = crate::util::itoa_buf(v, &mut num);
        let mut tmp = [0u8; 24];
        let len = s.len();
        tmp[..len].copy_from_slice(s);
        self.bytes(&tmp[..len])
    }

    /// Decimal with at least `width` digits (zero padded).
    pub fn dec_pad(&mut self, v: i64, width: usize) -> &mut Self {
        let mut digits = 1;
        let mut x = v.max(0) / 10;
        while x > 0 {
            digits += 1;
            x /= 10;
        }
        for _ in digits..width {
            self.bytes(b"0");
        }
        self.dec(v)
    }

    pub fn hex(&mut self, v: usize) -> &mut Self {
        let mut tmp = [0u8; 18];
        tmp[0] = b'0';
        tmp[1] = b'x';
        let mut digits = [0u8; 16];
        let mut n = 0;
        let mut x = v;
        loop {
            digits[n] = b"0123456789abcdef"[x & 15];
            n += 1;
            x >>= 4;
            if x == 0 {
                break;
            }
        }
        for i in 0..n {
            tmp[2 + i] = digits[n - 1 - i];
        }
        self.bytes(&tmp[..2 + n])
    }

    pub fn flush(&mut self) {
        let mut off = 0;
        while off < self.n {
            // SAFETY: write is async-signal-safe; `buf[off..n]` is initialised memory owned by self.
            let r = unsafe { libc::write(self.fd, self.buf[off..].as_ptr() as *const libc::c_void, self.n - off) };
            if r <= 0 {
                break;
            }
            off += r as usize;
        }
        self.n = 0;
    }
}

impl Drop for SigWriter {
    fn drop(&mut self) {
        self.flush();
    }
}

/// Size of the alternate signal stack: room for the report's formatting and the symbol search.
const ALT_STACK_BYTES: usize = 256 * 1024;

/// Gives the calling thread an alternate signal stack (handlers installed with `SA_ONSTACK` run there).
pub fn install_alt_stack() -> std::io::Result<()> {
    // SAFETY: an anonymous private mapping; the result is checked before use and the mapping is never unmapped
    // (the stack must outlive every signal the thread can receive).
    let p = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            ALT_STACK_BYTES,
            libc::PROT_READ | libc::PROT_WRITE,
            libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
            -1,
            0,
        )
    };
    if p == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    let st = libc::stack_t { ss_sp: p, ss_flags: 0, ss_size: ALT_STACK_BYTES };
    // SAFETY: `st` describes the mapping made above, which stays valid for the life of the process.
    syscall!(unsafe { libc::sigaltstack(&st, std::ptr::null_mut()) })?;
    Ok(())
}

/// The fatal signals a crash report is written for.
pub const FATAL_SIGNALS: [libc::c_int; 5] = [libc::SIGSEGV, libc::SIGBUS, libc::SIGFPE, libc::SIGILL, libc::SIGABRT];

/// A `SA_SIGINFO` handler.
pub type InfoHandler = extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void);

fn sigaction_raw(sig: libc::c_int, handler: usize, flags: libc::c_int) {
    // SAFETY: sigaction is plain data; all-zero is a valid starting value.
    let mut act: libc::sigaction = unsafe { std::mem::zeroed() };
    act.sa_sigaction = handler;
    act.sa_flags = flags;
    // SAFETY: `act.sa_mask` is a valid sigset to initialise; `act` is fully set up for the sigaction call and
    // `handler` is either SIG_DFL/SIG_IGN or a function with the signature the flags announce.
    unsafe {
        libc::sigemptyset(&mut act.sa_mask);
        libc::sigaction(sig, &act, std::ptr::null_mut());
    }
}

/// Installs `handler` for the fatal signals, on the alternate stack, reset to the default after one delivery.
pub fn install_fatal_handlers(handler: InfoHandler) {
    for sig in FATAL_SIGNALS {
        sigaction_raw(
            sig,
            handler as usize,
            libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_NODEFER | libc::SA_RESETHAND,
        );
    }
}

/// Default actions for the fatal signals (Redis's `removeSignalHandlers`): an `abort()` after a report written
/// elsewhere must not write a second one.
pub fn reset_fatal_handlers() {
    for sig in FATAL_SIGNALS {
        sigaction_raw(sig, libc::SIG_DFL, libc::SA_NODEFER | libc::SA_RESETHAND);
    }
}

/// Ends the process by `sig` with its default action (a core dump where enabled), as Redis's `bugReportEnd`.
pub fn die_by_signal(sig: libc::c_int) -> ! {
    sigaction_raw(sig, libc::SIG_DFL, libc::SA_NODEFER | libc::SA_ONSTACK | libc::SA_RESETHAND);
    // SAFETY: raise and _exit are async-signal-safe. raise targets this thread, so the signal is delivered before
    // raise returns (kill(getpid()) could hand it to another thread and let _exit win); SA_NODEFER lets it through
    // even inside its handler.
    unsafe {
        libc::raise(sig);
        libc::_exit(128 + sig)
    }
}

/// `_exit(code)`: async-signal-safe, no destructors.
pub fn exit_now(code: i32) -> ! {
    // SAFETY: _exit is async-signal-safe and never returns.
    unsafe { libc::_exit(code) }
}

#[cfg(any(all(target_os = "linux", target_env = "gnu"), target_os = "macos"))]
mod bt {
    /// Fills `out` with return addresses of the calling stack; returns how many.
    pub fn backtrace(out: &mut [*mut libc::c_void]) -> usize {
        // SAFETY: `out` is a writable array of the length given.
        let n = unsafe { libc::backtrace(out.as_mut_ptr(), out.len().min(i32::MAX as usize) as libc::c_int) };
        n.max(0) as usize
    }

    /// glibc's and macOS's `backtrace` step through the signal frame themselves: nothing to do here.
    pub fn backtrace_from_context(_uctx: *mut libc::c_void, _out: &mut [*mut libc::c_void]) -> usize {
        0
    }

    /// One frame through libc's symboliser (dynamic symbols only).
    pub fn symbols_fd(addr: *mut libc::c_void, fd: i32) {
        let one = [addr];
        // SAFETY: `one` holds one frame address; backtrace_symbols_fd writes to `fd` without allocating.
        unsafe { libc::backtrace_symbols_fd(one.as_ptr(), 1, fd) };
    }
}

/// musl has no `backtrace(3)`: walk the stack with the unwinder every Rust program on Linux links (LLVM's
/// libunwind in the musl target), which reads the same `.eh_frame` tables glibc's `backtrace` reads through libgcc.
#[cfg(all(target_os = "linux", not(target_env = "gnu")))]
mod bt {
    use std::ffi::{c_int, c_void};

    /// `_Unwind_Context`, opaque.
    #[repr(C)]
    struct UnwindContext {
        _opaque: [u8; 0],
    }

    const URC_NO_REASON: c_int = 0;
    const URC_END_OF_STACK: c_int = 5;

    extern "C" {
        fn _Unwind_Backtrace(trace: extern "C" fn(*mut UnwindContext, *mut c_void) -> c_int, arg: *mut c_void)
            -> c_int;
        fn _Unwind_GetIP(ctx: *mut UnwindContext) -> usize;
    }

    struct Frames<'a> {
        out: &'a mut [*mut c_void],
        n: usize,
    }

    extern "C" fn one_frame(ctx: *mut UnwindContext, arg: *mut c_void) -> c_int {
        // SAFETY: `arg` is the `Frames` that `backtrace` below passed in and outlives the walk.
        let frames = unsafe { &mut *(arg as *mut Frames) };
        // SAFETY: `ctx` is the live context the unwinder hands to this callback.
        let ip = unsafe { _Unwind_GetIP(ctx) };
        if ip == 0 || frames.n == frames.out.len() {
            return URC_END_OF_STACK;
        }
        frames.out[frames.n] = ip as *mut c_void;
        frames.n += 1;
        URC_NO_REASON
    }

    /// Fills `out` with return addresses of the calling stack; returns how many.
    pub fn backtrace(out: &mut [*mut libc::c_void]) -> usize {
        let mut frames = Frames { out, n: 0 };
        // SAFETY: `one_frame` matches the callback type and only touches `frames`, which lives across the call.
        unsafe { _Unwind_Backtrace(one_frame, &mut frames as *mut Frames as *mut c_void) };
        frames.n
    }

    /// LLVM libunwind's cursor API, to unwind from a signal handler's saved registers: musl's signal-return
    /// trampoline has no unwind information, so `_Unwind_Backtrace` called in the handler stops there.
    #[cfg(target_arch = "x86_64")]
    mod from_context {
        use std::ffi::{c_int, c_void};

        /// Room for `unw_context_t` / `unw_cursor_t` (21 and 33 words on x86_64 in LLVM's libunwind), with margin.
        #[repr(C, align(16))]
        struct Words([u64; 128]);

        extern "C" {
            fn unw_getcontext(ctx: *mut Words) -> c_int;
            fn unw_init_local(cursor: *mut Words, ctx: *mut Words) -> c_int;
            fn unw_step(cursor: *mut Words) -> c_int;
            fn unw_get_reg(cursor: *mut Words, reg: c_int, val: *mut u64) -> c_int;
            fn unw_set_reg(cursor: *mut Words, reg: c_int, val: u64) -> c_int;
        }

        const UNW_REG_IP: c_int = -1;
        /// libunwind's x86_64 register numbers (DWARF order) paired with the `ucontext_t` slots.
        const REGS: [(c_int, libc::c_int); 16] = [
            (0, libc::REG_RAX),
            (1, libc::REG_RDX),
            (2, libc::REG_RCX),
            (3, libc::REG_RBX),
            (4, libc::REG_RSI),
            (5, libc::REG_RDI),
            (6, libc::REG_RBP),
            (7, libc::REG_RSP),
            (8, libc::REG_R8),
            (9, libc::REG_R9),
            (10, libc::REG_R10),
            (11, libc::REG_R11),
            (12, libc::REG_R12),
            (13, libc::REG_R13),
            (14, libc::REG_R14),
            (15, libc::REG_R15),
        ];

        /// The interrupted code's stack: its instruction first, then the return addresses above it.
        pub fn backtrace(uctx: *mut c_void, out: &mut [*mut c_void]) -> usize {
            if uctx.is_null() || out.is_empty() {
                return 0;
            }
            // SAFETY: the kernel passed `uctx` to an SA_SIGINFO handler: it points at a valid ucontext_t.
            let gregs = unsafe { (*(uctx as *const libc::ucontext_t)).uc_mcontext.gregs };
            let mut ctx = Words([0; 128]);
            let mut cursor = Words([0; 128]);
            // SAFETY: both buffers are larger than libunwind's types and suitably aligned; the cursor is
            // initialised from this frame's registers, then every register is replaced by the interrupted
            // code's, the instruction pointer last (setting it looks up that frame's unwind entry).
            unsafe {
                if unw_getcontext(&mut ctx) != 0 || unw_init_local(&mut cursor, &mut ctx) != 0 {
                    return 0;
                }
                for (reg, slot) in REGS {
                    unw_set_reg(&mut cursor, reg, gregs[slot as usize] as u64);
                }
                unw_set_reg(&mut cursor, UNW_REG_IP, gregs[libc::REG_RIP as usize] as u64);
            }
            out[0] = gregs[libc::REG_RIP as usize] as usize as *mut c_void;
            let mut n = 1;
            // SAFETY: the cursor was initialised above; unw_step and unw_get_reg only read the stack it
            // describes (through libunwind's own checks of the unwind tables).
            while n < out.len() && unsafe { unw_step(&mut cursor) } > 0 {
                let mut ip = 0u64;
                // SAFETY: as above; `ip` is a valid out-pointer.
                if unsafe { unw_get_reg(&mut cursor, UNW_REG_IP, &mut ip) } != 0 || ip == 0 {
                    break;
                }
                out[n] = ip as usize as *mut c_void;
                n += 1;
            }
            n
        }
    }

    /// The stack of the code a signal interrupted, from the handler's `ucontext_t` (0 frames where unsupported).
    pub fn backtrace_from_context(uctx: *mut c_void, out: &mut [*mut c_void]) -> usize {
        #[cfg(target_arch = "x86_64")]
        return from_context::backtrace(uctx, out);
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = (uctx, out);
            0
        }
    }

    /// Frames outside the executable: musl has no symboliser, so they print as bare addresses.
    pub fn symbols_fd(addr: *mut libc::c_void, fd: i32) {
        let mut w = super::SigWriter::new(fd);
        w.str("[").hex(addr as usize).str("]\n");
    }
}

#[cfg(not(any(target_os = "linux", target_os = "macos")))]
mod bt {
    pub fn backtrace(_out: &mut [*mut libc::c_void]) -> usize {
        0
    }
    pub fn backtrace_from_context(_uctx: *mut libc::c_void, _out: &mut [*mut libc::c_void]) -> usize {
        0
    }
    pub fn symbols_fd(_addr: *mut libc::c_void, _fd: i32) {}
}

pub use bt::{backtrace, backtrace_from_context};

/// Where the executable's symbol table is: set once by [`init_symbols`]
/// ([`crash_report::install`](crate::crash_report::install) at start-up), read when a crash report symbolises a
/// backtrace. This and the next four are statics because they are read in a fatal-signal handler.
static SYMTAB_PTR: AtomicUsize = AtomicUsize::new(0);
/// The symbol table's length in bytes (see [`SYMTAB_PTR`]).
static SYMTAB_LEN: AtomicUsize = AtomicUsize::new(0);
/// Where the string table is (see [`SYMTAB_PTR`]).
static STRTAB_PTR: AtomicUsize = AtomicUsize::new(0);
/// The string table's length in bytes, stored last (see [`SYMTAB_PTR`]).
static STRTAB_LEN: AtomicUsize = AtomicUsize::new(0);
/// Load bias of the executable (0 for a non-PIE binary): set once by [`init_symbols`], as [`SYMTAB_PTR`].
static LOAD_BIAS: AtomicUsize = AtomicUsize::new(0);

/// Prepares crash-time symbolisation: warms `backtrace` (its first call may allocate) and, on Linux, maps the
/// executable read-only to find its `.symtab`/`.strtab`. The mapping lives in the page cache, not in the heap.
pub fn init_symbols() {
    let mut warm = [std::ptr::null_mut(); 4];
    backtrace(&mut warm);
    make_probe_pipe();
    #[cfg(target_os = "linux")]
    map_own_symtab();
}

#[cfg(target_os = "linux")]
fn map_own_symtab() {
    use std::os::fd::AsRawFd;
    let Ok(f) = std::fs::File::open("/proc/self/exe") else { return };
    let Ok(meta) = f.metadata() else { return };
    let len = meta.len() as usize;
    if len < 64 {
        return;
    }
    // SAFETY: a read-only private mapping of a file we opened; checked against MAP_FAILED; never unmapped, so the
    // slices below stay valid for the life of the process.
    let p = unsafe { libc::mmap(std::ptr::null_mut(), len, libc::PROT_READ, libc::MAP_PRIVATE, f.as_raw_fd(), 0) };
    if p == libc::MAP_FAILED {
        return;
    }
    // SAFETY: the mapping is `len` readable bytes and outlives the process's use of it.
    let file: &'static [u8] = unsafe { std::slice::from_raw_parts(p as *const u8, len) };
    let Some((sym, str_)) = find_symtab(file) else { return };
    // The load bias: where the program headers are now, minus where the file says they are (e_phoff, which is
    // also their virtual address in a PIE). ET_EXEC binaries are not relocated.
    let e_type = u16::from_le_bytes([file[16], file[17]]);
    let bias = if e_type == 3 {
        // SAFETY: getauxval only reads the auxiliary vector.
        let phdr = unsafe { libc::getauxval(libc::AT_PHDR) } as usize;
        phdr.wrapping_sub(rd_u64(file, 0x20).unwrap_or(0) as usize)
    } else {
        0
    };
    LOAD_BIAS.store(bias, Ordering::Relaxed);
    SYMTAB_PTR.store(sym.as_ptr() as usize, Ordering::Relaxed);
    SYMTAB_LEN.store(sym.len(), Ordering::Relaxed);
    STRTAB_PTR.store(str_.as_ptr() as usize, Ordering::Relaxed);
    STRTAB_LEN.store(str_.len(), Ordering::Release);
}

fn rd_u64(b: &[u8], off: usize) -> Option<u64> {
    b.get(off..off + 8).map(|s| u64::from_le_bytes([s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]]))
}

fn rd_u32(b: &[u8], off: usize) -> Option<u32> {
    b.get(off..off + 4).map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

#[cfg_attr(not(target_os = "linux"), allow(dead_code))] // used by the Linux-only code
fn rd_u16(b: &[u8], off: usize) -> Option<u16> {
    b.get(off..off + 2).map(|s| u16::from_le_bytes([s[0], s[1]]))
}

/// The `.symtab` and its string table in a little-endian ELF64 file.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))] // used by the Linux-only code
fn find_symtab(file: &[u8]) -> Option<(&[u8], &[u8])> {
    if file.get(..4)? != b"\x7fELF" || *file.get(4)? != 2 || *file.get(5)? != 1 {
        return None;
    }
    let shoff = rd_u64(file, 0x28)? as usize;
    let shentsize = rd_u16(file, 0x3a)? as usize;
    let shnum = rd_u16(file, 0x3c)? as usize;
    let section = |i: usize| -> Option<(u32, usize, usize, u32)> {
        let h = shoff.checked_add(i.checked_mul(shentsize)?)?;
        Some((
            rd_u32(file, h + 4)?,
            rd_u64(file, h + 24)? as usize,
            rd_u64(file, h + 32)? as usize,
            rd_u32(file, h + 40)?,
        ))
    };
    for i in 0..shnum {
        let (ty, off, size, link) = section(i)?;
        if ty == 2 {
            let (_, soff, ssize, _) = section(link as usize)?;
            return Some((file.get(off..off.checked_add(size)?)?, file.get(soff..soff.checked_add(ssize)?)?));
        }
    }
    None
}

/// The function containing `addr` in the executable's symbol table: (mangled name, offset into it).
pub fn lookup_symbol(addr: usize) -> Option<(&'static [u8], usize)> {
    let slen = STRTAB_LEN.load(Ordering::Acquire);
    if slen == 0 {
        return None;
    }
    // SAFETY: set once by `map_own_symtab` from a mapping that is never unmapped.
    let (sym, strs) = unsafe {
        (
            std::slice::from_raw_parts(
                SYMTAB_PTR.load(Ordering::Relaxed) as *const u8,
                SYMTAB_LEN.load(Ordering::Relaxed),
            ),
            std::slice::from_raw_parts(STRTAB_PTR.load(Ordering::Relaxed) as *const u8, slen),
        )
    };
    let rel = addr.wrapping_sub(LOAD_BIAS.load(Ordering::Relaxed)) as u64;
    for e in sym.chunks_exact(24) {
        if e[4] & 0xf != 2 {
            continue; // not STT_FUNC
        }
        let value = rd_u64(e, 8)?;
        let size = rd_u64(e, 16)?.max(1);
        if rel >= value && rel < value + size {
            let name_off = rd_u32(e, 0)? as usize;
            let rest = strs.get(name_off..)?;
            let end = memchr::memchr(0, rest).unwrap_or(rest.len());
            return Some((&rest[..end], (rel - value) as usize));
        }
    }
    None
}

/// Writes one backtrace line: `ferredis-server(module::function+0x1a)[0x55d0c0ffee00]`, or libc's form for
/// frames outside the executable.
pub fn write_frame(w: &mut SigWriter, addr: *mut libc::c_void) {
    // Return addresses point after the call; look up the call instruction itself.
    match lookup_symbol((addr as usize).wrapping_sub(1)) {
        Some((name, off)) => {
            w.str("ferredis-server(");
            demangle_into(w, name);
            w.str("+").hex(off + 1).str(")[").hex(addr as usize).str("]\n");
        }
        None => {
            w.flush();
            bt::symbols_fd(addr, w.fd);
        }
    }
}

/// Writes a Rust symbol name demangled (legacy `_ZN…E` and the plain paths of v0 `_R…`); anything else as it is.
pub fn demangle_into(w: &mut SigWriter, name: &[u8]) {
    if let Some(rest) = name.strip_prefix(b"_ZN") {
        if demangle_legacy(w, rest) {
            return;
        }
    } else if let Some(rest) = name.strip_prefix(b"_R") {
        let mut probe = Probe;
        if v0_path(&mut probe, rest).is_some() {
            let _ = v0_path(w, rest);
            return;
        }
    }
    w.bytes(name);
}

/// Output of the demanglers: a real writer, or a dry run that only checks the input parses.
trait Out {
    fn put(&mut self, b: &[u8]);
}
impl Out for SigWriter {
    fn put(&mut self, b: &[u8]) {
        self.bytes(b);
    }
}
struct Probe;
impl Out for Probe {
    fn put(&mut self, _b: &[u8]) {}
}

/// Reads a decimal length prefix.
fn read_len(s: &[u8]) -> Option<(usize, &[u8])> {
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return None;
    }
    let mut n = 0usize;
    for &c in &s[..digits] {
        n = n.checked_mul(10)?.checked_add((c - b'0') as usize)?;
    }
    Some((n, &s[digits..]))
}

fn demangle_legacy(w: &mut SigWriter, mut s: &[u8]) -> bool {
    // First pass: check the whole thing parses, so a malformed name is printed raw rather than half-decoded.
    let mut parts = 0;
    let mut probe = s;
    while probe.first() != Some(&b'E') {
        let Some((n, rest)) = read_len(probe) else { return false };
        if rest.len() < n {
            return false;
        }
        probe = &rest[n..];
        parts += 1;
    }
    let mut i = 0;
    while let Some((n, rest)) = read_len(s) {
        let ident = &rest[..n];
        s = &rest[n..];
        i += 1;
        // The last part is the hash `h0123456789abcdef`.
        if i == parts && n == 17 && ident[0] == b'h' && ident[1..].iter().all(|c| c.is_ascii_hexdigit()) {
            break;
        }
        if i > 1 {
            w.str("::");
        }
        legacy_ident(w, ident);
    }
    true
}

/// Legacy identifiers escape punctuation as `$LT$`, `$u7b$`, `..`.
fn legacy_ident(w: &mut SigWriter, mut id: &[u8]) {
    const ESC: &[(&[u8], &[u8])] = &[
        (b"$LT$", b"<"),
        (b"$GT$", b">"),
        (b"$RF$", b"&"),
        (b"$BP$", b"*"),
        (b"$C$", b","),
        (b"$SP$", b"@"),
        (b"$LP$", b"("),
        (b"$RP$", b")"),
        (b"$u20$", b" "),
        (b"$u27$", b"'"),
        (b"$u5b$", b"["),
        (b"$u5d$", b"]"),
        (b"$u7b$", b"{"),
        (b"$u7d$", b"}"),
        (b"$u7e$", b"~"),
        (b"..", b"::"),
    ];
    if id.first() == Some(&b'_') && id.get(1) == Some(&b'$') {
        id = &id[1..];
    }
    'outer: while !id.is_empty() {
        for (from, to) in ESC {
            if id.starts_with(from) {
                w.bytes(to);
                id = &id[from.len()..];
                continue 'outer;
            }
        }
        w.bytes(&id[..1]);
        id = &id[1..];
    }
}

/// The path forms of v0 mangling: `C` (crate root) and `N` (nested) with plain identifiers; generic and impl paths
/// return `None` (the caller then prints the raw name).
fn v0_path<'a, O: Out>(w: &mut O, s: &'a [u8]) -> Option<&'a [u8]> {
    match *s.first()? {
        b'C' => v0_ident(w, &s[1..]),
        b'N' => {
            let rest = v0_path(w, s.get(2..)?)?;
            w.put(b"::");
            v0_ident(w, rest)
        }
        _ => None,
    }
}

fn v0_ident<'a, O: Out>(w: &mut O, mut s: &'a [u8]) -> Option<&'a [u8]> {
    // Optional disambiguator `s<base62>_`.
    if s.first() == Some(&b's') {
        let end = s.iter().position(|&c| c == b'_')?;
        s = &s[end + 1..];
    }
    if s.first() == Some(&b'u') {
        return None; // punycode identifiers: rare in our symbols, print raw
    }
    let (n, mut rest) = read_len(s)?;
    if rest.first() == Some(&b'_') {
        rest = &rest[1..];
    }
    let ident = rest.get(..n)?;
    w.put(ident);
    Some(&rest[n..])
}

/// The interrupted instruction's address from a handler's `ucontext_t` (null where not supported).
pub fn pc_of_context(ctx: *mut libc::c_void) -> usize {
    if ctx.is_null() {
        return 0;
    }
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    {
        // SAFETY: the kernel passes a valid ucontext_t as the third argument of an SA_SIGINFO handler.
        let uc = unsafe { &*(ctx as *const libc::ucontext_t) };
        uc.uc_mcontext.gregs[libc::REG_RIP as usize] as usize
    }
    #[cfg(all(target_os = "linux", target_arch = "aarch64"))]
    {
        // SAFETY: as above.
        let uc = unsafe { &*(ctx as *const libc::ucontext_t) };
        uc.uc_mcontext.pc as usize
    }
    #[cfg(not(any(
        all(target_os = "linux", target_arch = "x86_64"),
        all(target_os = "linux", target_arch = "aarch64")
    )))]
    {
        0
    }
}

/// A pipe to copy possibly unreadable memory through (the kernel answers EFAULT where a plain read would fault):
/// `[read end, write end]`, created once by [`init_symbols`] at start-up; used by the crash report's memory reads
/// in the fatal-signal handler, hence a static.
static PROBE_PIPE: [std::sync::atomic::AtomicI32; 2] =
    [std::sync::atomic::AtomicI32::new(-1), std::sync::atomic::AtomicI32::new(-1)];

fn make_probe_pipe() {
    let mut fds = [-1i32; 2];
    // SAFETY: `fds` has room for the two descriptors pipe writes.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } == 0 {
        for fd in fds {
            // SAFETY: our own descriptors: non-blocking so a probe can never wait; close-on-exec.
            unsafe {
                libc::fcntl(fd, libc::F_SETFL, libc::O_NONBLOCK);
                libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
            }
        }
        PROBE_PIPE[0].store(fds[0], Ordering::Relaxed);
        PROBE_PIPE[1].store(fds[1], Ordering::Relaxed);
    }
}

/// Copies `out.len()` words from `addr` if that memory is readable; false (and nothing read) otherwise.
#[cfg_attr(not(all(target_os = "linux", target_arch = "x86_64")), allow(dead_code))] // used by the register dump
fn read_words_safely(addr: usize, out: &mut [usize]) -> bool {
    let (r, w) = (PROBE_PIPE[0].load(Ordering::Relaxed), PROBE_PIPE[1].load(Ordering::Relaxed));
    if r < 0 {
        return false;
    }
    let bytes = std::mem::size_of_val(out);
    // SAFETY: write(2) reads `bytes` from `addr` in the kernel, which fails with EFAULT instead of faulting; read
    // fills our own buffer.
    unsafe {
        if libc::write(w, addr as *const libc::c_void, bytes) != bytes as isize {
            return false;
        }
        libc::read(r, out.as_mut_ptr() as *mut libc::c_void, bytes) == bytes as isize
    }
}

/// Redis's `logRegisters` + `logStackContent`: the general registers of the interrupted context and the 16 words
/// at its stack pointer (skipped when that memory is not readable, as after a stack overflow). `prefix` writes the
/// start of a log line (the log's own format, which this layer does not know) before the dump and each stack word;
/// it runs in the signal handler, so it must be async-signal-safe too.
pub fn write_registers(w: &mut SigWriter, ctx: *mut libc::c_void, prefix: fn(&mut SigWriter)) {
    w.str("\n------ REGISTERS ------\n");
    #[cfg(all(target_os = "linux", target_arch = "x86_64"))]
    if !ctx.is_null() {
        // SAFETY: the kernel passes a valid ucontext_t as the third argument of an SA_SIGINFO handler.
        let g = unsafe { &(*(ctx as *const libc::ucontext_t)).uc_mcontext.gregs };
        let r = |i: i32| g[i as usize] as usize;
        let hex16 = |w: &mut SigWriter, v: usize| {
            let mut digits = [b'0'; 16];
            for (k, d) in digits.iter_mut().enumerate() {
                *d = b"0123456789abcdef"[(v >> ((15 - k) * 4)) & 15];
            }
            w.bytes(&digits);
        };
        prefix(w);
        w.str("\n");
        let rows: [(&str, i32, &str, i32); 9] = [
            ("RAX:", libc::REG_RAX, " RBX:", libc::REG_RBX),
            ("RCX:", libc::REG_RCX, " RDX:", libc::REG_RDX),
            ("RDI:", libc::REG_RDI, " RSI:", libc::REG_RSI),
            ("RBP:", libc::REG_RBP, " RSP:", libc::REG_RSP),
            ("R8 :", libc::REG_R8, " R9 :", libc::REG_R9),
            ("R10:", libc::REG_R10, " R11:", libc::REG_R11),
            ("R12:", libc::REG_R12, " R13:", libc::REG_R13),
            ("R14:", libc::REG_R14, " R15:", libc::REG_R15),
            ("RIP:", libc::REG_RIP, " EFL:", libc::REG_EFL),
        ];
        for (a, ra, b, rb) in rows {
            w.str(a);
            hex16(w, r(ra));
            w.str(b);
            hex16(w, r(rb));
            w.str("\n");
        }
        w.str("CSGSFS:");
        hex16(w, r(libc::REG_CSGSFS));
        w.str("\n");
        let sp = r(libc::REG_RSP);
        let mut words = [0usize; 16];
        if read_words_safely(sp, &mut words) {
            for i in (0..16).rev() {
                prefix(w);
                w.str("(");
                hex16(w, sp + i * 8);
                w.str(") -> ");
                hex16(w, words[i]);
                w.str("\n");
            }
        }
        return;
    }
    let _ = ctx;
    prefix(w);
    w.str("  Dumping of registers not supported for this OS/arch\n");
}

/// Arms (or with 0, disarms) a one-shot `ITIMER_REAL` timer of `period_ms` (Redis's `watchdogScheduleSignal`).
pub fn arm_alarm(period_ms: i64) {
    // musl's libc crate marks time_t/suseconds_t deprecated (they become 64-bit with musl 1.2); the casts are right
    // on both widths.
    #[allow(deprecated)]
    let it = libc::itimerval {
        it_interval: libc::timeval { tv_sec: 0, tv_usec: 0 },
        it_value: libc::timeval {
            tv_sec: (period_ms / 1000) as libc::time_t,
            tv_usec: ((period_ms % 1000) * 1000) as libc::suseconds_t,
        },
    };
    // SAFETY: `it` is a valid itimerval; the old value is not asked for.
    unsafe { libc::setitimer(libc::ITIMER_REAL, &it, std::ptr::null_mut()) };
}

/// Blocks SIGALRM in the calling thread, so the process-directed watchdog signal reaches the event loop's thread.
pub fn block_alarm_in_this_thread() {
    // SAFETY: sigset_t is plain data; sigemptyset/sigaddset initialise it; pthread_sigmask only changes this thread's
    // mask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGALRM);
        libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
    }
}

/// SIGALRM to `handler` (on the alternate stack), or ignored (which also drops a pending one).
pub fn set_alarm_handler(handler: Option<InfoHandler>) {
    match handler {
        Some(h) => sigaction_raw(libc::SIGALRM, h as usize, libc::SA_SIGINFO | libc::SA_ONSTACK | libc::SA_RESTART),
        None => sigaction_raw(libc::SIGALRM, libc::SIG_IGN, 0),
    }
}

/// Writes to a read-only page, as Redis's DEBUG SEGFAULT does: a genuine SIGSEGV (`SEGV_ACCERR`) at a known
/// address rather than a signal sent with `raise`.
pub fn fault_on_readonly_page() {
    // SAFETY: a fresh anonymous read-only page; checked against MAP_FAILED.
    let p = unsafe {
        libc::mmap(std::ptr::null_mut(), 4096, libc::PROT_READ, libc::MAP_PRIVATE | libc::MAP_ANONYMOUS, -1, 0)
    };
    if p == libc::MAP_FAILED {
        return;
    }
    // SAFETY: deliberately not sound: the write faults, which is the point; the SIGSEGV handler never returns
    // here (it ends the process).
    unsafe { std::ptr::write_volatile(p as *mut u8, b'x') };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(f: impl FnOnce(&mut SigWriter)) -> String {
        let mut fds = [0i32; 2];
        // SAFETY: `fds` has room for the two descriptors.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        {
            let mut w = SigWriter::new(fds[1]);
            f(&mut w);
        }
        // SAFETY: closing our own write end.
        unsafe { libc::close(fds[1]) };
        let mut out = vec![0u8; 4096];
        // SAFETY: reading into our buffer from our own read end.
        let n = unsafe { libc::read(fds[0], out.as_mut_ptr() as *mut libc::c_void, out.len()) };
        // SAFETY: closing our own read end.
        unsafe { libc::close(fds[0]) };
        String::from_utf8_lossy(&out[..n.max(0) as usize]).into_owned()
    }

    #[test]
    fn numbers() {
        assert_eq!(
            render(|w| {
                w.dec(-42).str(" ").hex(0).str(" ").hex(0xdead_beef).str(" ").dec_pad(7, 3);
            }),
            "-42 0x0 0xdeadbeef 007"
        );
    }

    #[test]
    fn demangles_legacy_and_v0() {
        assert_eq!(
            render(|w| demangle_into(w, b"_ZN8ferredis7command5debug14crash_segfault17h0123456789abcdefE")),
            "ferredis::command::debug::crash_segfault"
        );
        assert_eq!(
            render(|w| demangle_into(
                w,
                b"_ZN4core3ptr46drop_in_place$LT$alloc..vec..Vec$LT$u8$GT$$GT$17h0123456789abcdefE"
            )),
            "core::ptr::drop_in_place<alloc::vec::Vec<u8>>"
        );
        assert_eq!(
            render(|w| demangle_into(w, b"_RNvNtCsjrHSEGnQ3l9_3std2rt19lang_start_internal")),
            "std::rt::lang_start_internal"
        );
        // Not a Rust name, or not one we decode: printed as it is.
        assert_eq!(render(|w| demangle_into(w, b"main")), "main");
        assert_eq!(render(|w| demangle_into(w, b"_ZN3foo")), "_ZN3foo");
    }

    #[inline(never)]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn known_function() -> usize {
        known_function as *const () as usize
    }

    #[test]
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn finds_own_symbols() {
        init_symbols();
        let addr = known_function() + 1;
        let (name, off) = lookup_symbol(addr).expect("the test binary has a symbol table");
        assert_eq!(off, 1);
        let text = render(|w| demangle_into(w, name));
        assert!(text.ends_with("known_function"), "{text}");
        let mut frames = [std::ptr::null_mut(); 8];
        assert!(backtrace(&mut frames) > 0);
    }
}
