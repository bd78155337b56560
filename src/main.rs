//! `ferredis-server [config-file] [--directive value ...]`

use ferredis::config::{Config, LogLevel};

/// Reads `--directive value...` pairs over the defaults (a stand-in until the config module's loader is wired in).
fn load(args: Vec<String>) -> Result<Config, String> {
    let mut c = Config::default();
    let mut it = args.into_iter().skip(1).peekable();
    while let Some(a) = it.next() {
        let Some(name) = a.strip_prefix("--") else {
            return Err(format!("unexpected argument '{a}'"));
        };
        let mut vals = Vec::new();
        while let Some(v) = it.peek() {
            if v.starts_with("--") {
                break;
            }
            vals.extend(it.next());
        }
        let v = vals.first().cloned().unwrap_or_default();
        let num = |v: &str| v.parse::<i64>().map_err(|_| format!("bad number for {name}: {v}"));
        match name {
            "port" => c.port = num(&v)? as u16,
            "bind" => c.bind = vals,
            "unixsocket" => c.unixsocket = Some(v),
            "unixsocketperm" => c.unixsocketperm = u32::from_str_radix(&v, 8).map_err(|e| e.to_string())?,
            "tcp-backlog" => c.tcp_backlog = num(&v)? as i32,
            "tcp-keepalive" => c.tcp_keepalive = num(&v)?,
            "timeout" => c.timeout = num(&v)?,
            "maxclients" => c.maxclients = num(&v)? as usize,
            "hz" => c.hz = num(&v)?,
            "dir" => c.dir = v,
            "daemonize" => c.daemonize = v == "yes",
            "pidfile" => c.pidfile = Some(v),
            "logfile" => c.logfile = v,
            "loglevel" => {
                c.loglevel = match v.as_str() {
                    "debug" => LogLevel::Debug,
                    "verbose" => LogLevel::Verbose,
                    "notice" => LogLevel::Notice,
                    "warning" => LogLevel::Warning,
                    "nothing" => LogLevel::Nothing,
                    _ => return Err(format!("bad loglevel {v}")),
                }
            }
            "requirepass" => c.requirepass = Some(v.into_bytes()),
            "client-query-buffer-limit" => c.client_query_buffer_limit = num(&v)?,
            "proto-max-bulk-len" => c.proto_max_bulk_len = num(&v)?,
            "slowlog-log-slower-than" => c.slowlog_log_slower_than = num(&v)?,
            "slowlog-max-len" => c.slowlog_max_len = num(&v)?,
            "save" | "appendonly" => {}
            _ => return Err(format!("unknown directive '{name}'")),
        }
    }
    Ok(c)
}

fn main() {
    let config = match load(std::env::args().collect()) {
        Ok(c) => c,
        Err(msg) => {
            eprintln!("{msg}");
            std::process::exit(1);
        }
    };
    std::process::exit(ferredis::server::start(config));
}
