//! `ferredis-cli`: the command-line client, with redis-cli 7.0's flags and output. Its code is this binary's own
//! ([`cli`]), not part of the server library: it uses the library only for Redis's number and string rules
//! (`ferredis::util`), the config file's argument splitting and the address resolver.

mod cli;

use std::os::unix::ffi::OsStringExt;

fn main() {
    // Bytes, not Strings: arguments are binary-safe (`ferredis-cli set k $'\xff'` stores one byte).
    let args: Vec<Vec<u8>> = std::env::args_os().map(|a| a.into_vec()).collect();
    std::process::exit(cli::main(&args));
}
