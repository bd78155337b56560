//! `ferredis-cli`: the command-line client, with redis-cli 7.0's flags and output. The code lives in
//! `ferredis::cli`.

use std::os::unix::ffi::OsStringExt;

fn main() {
    // Bytes, not Strings: arguments are binary-safe (`ferredis-cli set k $'\xff'` stores one byte).
    let args: Vec<Vec<u8>> = std::env::args_os().map(|a| a.into_vec()).collect();
    std::process::exit(ferredis::cli::main(&args));
}
