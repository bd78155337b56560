//! `ferredis-check-rdb <rdb-file-name>`: checks an RDB file the way `redis-check-rdb` 7.0 does, with the same
//! report ([`ferredis::persist::rdb::check`]). Exit status 0 when the file looks OK, 1 otherwise.

use ferredis::persist::rdb;
use std::io::Write;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let prog = args.first().map(String::as_str).unwrap_or("ferredis-check-rdb");
    if args.len() != 2 {
        eprintln!("Usage: {prog} <rdb-file-name>");
        std::process::exit(1);
    }
    let file = &args[1];
    if file == "-v" || file == "--version" {
        println!("ferredis-check-rdb {} (RDB version {})", ferredis::config::REDIS_VERSION, rdb::RDB_VERSION);
        return;
    }
    let now_ms =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as i64).unwrap_or(0);
    if let Err(e) = std::fs::File::open(file) {
        println!("[offset 0] Checking RDB file {file}");
        eprintln!("Cannot open {file}: {e}");
        std::process::exit(1);
    }
    let (ok, out, terminated) = rdb::check::check_file_terminating(file, now_ms);
    let mut stdout = std::io::stdout().lock();
    for line in &out {
        let _ = writeln!(stdout, "{line}");
    }
    let _ = stdout.flush();
    if terminated {
        ferredis::log_warning!("Terminating server after rdb file reading failure.");
    }
    std::process::exit(if ok { 0 } else { 1 });
}
