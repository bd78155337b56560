//! `ferredis-check-aof`: checks (and with `--fix` repairs) an append-only file or a multi-part AOF manifest, with
//! redis-check-aof 7.0's arguments, messages and exit codes. The logic lives in `ferredis::persist::aof::check`.
//!
//! ```text
//! ferredis-check-aof [--fix|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>
//! ```

use std::os::unix::ffi::OsStringExt;

fn main() {
    let args: Vec<Vec<u8>> = std::env::args_os().map(|a| a.into_vec()).collect();
    std::process::exit(ferredis::persist::aof::check::main_with_args(&args));
}
