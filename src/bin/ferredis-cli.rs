//! `ferredis-cli`: the command-line client, with redis-cli 7.0's flags and output. The code lives in
//! `ferredis::cli`.

fn main() {
    let args: Vec<String> = std::env::args_os().map(|a| a.to_string_lossy().into_owned()).collect();
    std::process::exit(ferredis::cli::main(&args));
}
