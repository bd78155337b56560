//! `ferredis-server [config-file | -] [--directive value ...]`, or `ferredis-server <program> [args...]` to run
//! another of the package's programs (the container image's way to run `ferredis-cli`).

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

/// The programs `ferredis-server <program> [args...]` runs instead of starting a server.
const PROGRAMS: [&[u8]; 5] =
    [b"ferredis-server", b"ferredis-sentinel", b"ferredis-cli", b"ferredis-check-aof", b"ferredis-check-rdb"];

/// The container image's entry point is the server, and a `FROM scratch` image has no shell for an entrypoint
/// script, so `docker run IMAGE ferredis-cli -h host ping` arrives here as `ferredis-server ferredis-cli -h host
/// ping`. As the redis image's entrypoint does for its programs, run the named one with the rest of the arguments.
/// Only those bare names count: any other first argument is a config file or an option, as before. Returns when
/// there is nothing to run; exits when the program cannot be started (127 when it is missing, as a shell would).
fn run_named_program(args: &[OsString]) {
    let Some(name) = args.get(1).map(|a| a.as_bytes()).filter(|a| PROGRAMS.contains(a)) else {
        return;
    };
    let exe = std::env::current_exe().unwrap_or_else(|_| "/proc/self/exe".into());
    // The server under either name is this binary (the name is what selects sentinel mode); the others are
    // installed beside it.
    let path = if name == b"ferredis-server" || name == b"ferredis-sentinel" {
        exe
    } else {
        exe.with_file_name(std::ffi::OsStr::from_bytes(name))
    };
    // The program's own argv starts with its name: this process's, less its first.
    let err = ferredis::sys::process::exec(path.as_os_str(), &args[1..]);
    eprintln!("ferredis-server: can't run {}: {err}", path.display());
    std::process::exit(if err.raw_os_error() == Some(libc::ENOENT) { 127 } else { 126 });
}

fn main() {
    run_named_program(&std::env::args_os().collect::<Vec<_>>());
    // The allocator's tunables, before the first big allocation (see alloc::configure).
    ferredis::alloc::configure();
    // Before anything reads the environment: the title area and a copy of the arguments.
    ferredis::sys::proctitle::init();
    let mut config = match ferredis::config::load(
        ferredis::sys::proctitle::original_args().iter().map(|a| a.to_string_lossy().into_owned()).collect(),
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{}", e.message);
            std::process::exit(1);
        }
    };
    // Container images: FERREDIS_PASSWORD[_FILE], FERREDIS_MASTERAUTH[_FILE] (see env_password).
    if let Err(e) = ferredis::env_password::apply_process_env(&mut config) {
        eprintln!("{e}");
        std::process::exit(1);
    }
    std::process::exit(ferredis::server::startup::start(config));
}
