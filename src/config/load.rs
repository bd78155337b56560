//! Reading a configuration: redis.conf text (quoting, `include`, errors with their file and line), the command line
//! folded into config lines as redis-server does, `--help`/`--version`, and sentinel mode's detection ([`load()`]).

use super::*;

impl Config {
    /// Applies one line of config text. `Ok(Some(path))` asks the caller to include `path`.
    pub(super) fn apply_line(&mut self, argv: &[Vec<u8>]) -> Result<Option<String>, String> {
        let name = argv[0].to_ascii_lowercase();
        if let Some(d) = find(&name) {
            let args = &argv[1..];
            if !d.kind.is_multi() {
                if args.len() != 1 {
                    return Err("wrong number of arguments".into());
                }
                self.set(d, args)?;
            } else if args.len() == 1 && !args[0].is_empty() && d.name != "replicaof" {
                // `--bind "a b"` and `save "900 1"` carry several values in one argument.
                let split = split_args(&args[0]).ok_or("Unbalanced quotes in configuration line")?;
                self.set(d, &split)?;
            } else {
                self.set(d, args)?;
            }
            return Ok(None);
        }
        let name = String::from_utf8_lossy(&name).into_owned();
        if DEPRECATED.contains(&name.as_str()) {
            self.load_warnings.push(format!("Deprecated config '{name}' ignored"));
            return Ok(None);
        }
        match (name.as_str(), argv.len()) {
            ("include", 2) => Ok(Some(lossy(&argv[1]))),
            ("rename-command", 3) => {
                self.rename_commands.push((argv[1].clone(), argv[2].clone()));
                Ok(None)
            }
            ("user", n) if n >= 2 => {
                <Owners as UserDirectives>::check(&self.acl_users, argv)?;
                self.acl_users.push(argv.to_vec());
                Ok(None)
            }
            ("loadmodule", n) if n >= 2 => Err("modules ('loadmodule') are not supported yet by ferredis".into()),
            (n, _) if n.contains('.') => Err("module configuration is not supported yet by ferredis".into()),
            _ => Err("Bad directive or wrong number of arguments".into()),
        }
    }

    /// Applies config text (one directive per line).
    pub(super) fn load_text(&mut self, text: &[u8], source: &Source, depth: usize) -> Result<(), ConfigError> {
        let was = std::mem::replace(&mut self.reading_config, true);
        let r = self.load_text_lines(text, source, depth);
        self.reading_config = was;
        r
    }

    pub(super) fn load_text_lines(&mut self, text: &[u8], source: &Source, depth: usize) -> Result<(), ConfigError> {
        for (i, raw) in text.split(|&c| c == b'\n').enumerate() {
            let line = trim(raw);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let shown = String::from_utf8_lossy(line).into_owned();
            let argv = match split_args(line) {
                Some(a) => a,
                None => return Err(ConfigError::at(source, i + 1, &shown, "Unbalanced quotes in configuration line")),
            };
            if argv.is_empty() {
                continue;
            }
            if argv[0].eq_ignore_ascii_case(b"sentinel") {
                // `sentinel` alone is what `--sentinel` becomes: the mode was chosen from the command line already.
                if argv.len() == 1 {
                    continue;
                }
                if !self.sentinel_mode {
                    let err = "sentinel directive while not in sentinel mode";
                    return Err(ConfigError::at(source, i + 1, &shown, err));
                }
                self.sentinel_lines.push(SentinelLine { argv: argv[1..].to_vec(), line_no: i + 1, line: shown });
                continue;
            }
            match self.apply_line(&argv) {
                Ok(None) => {}
                Ok(Some(path)) => {
                    if depth >= 16 {
                        return Err(ConfigError::at(source, i + 1, &shown, "include nesting is too deep"));
                    }
                    let body = read_file(&path)?;
                    self.load_text(&body, &Source::File(path), depth + 1)?;
                }
                Err(e) => return Err(ConfigError::at(source, i + 1, &shown, &e)),
            }
        }
        Ok(())
    }

    /// Parses config text on top of the current values (tests, `-` stdin configs).
    pub fn apply_text(&mut self, text: &str) -> Result<(), ConfigError> {
        self.load_text(text.as_bytes(), &Source::Text, 0)
    }
}

pub(super) fn trim(s: &[u8]) -> &[u8] {
    let strip = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let start = s.iter().position(|c| !strip(c)).unwrap_or(s.len());
    let end = s.iter().rposition(|c| !strip(c)).map(|i| i + 1).unwrap_or(start);
    &s[start..end.max(start)]
}

pub(super) fn read_file(path: &str) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path)
        .map_err(|e| ConfigError { message: format!("Fatal error, can't open config file '{path}': {}", io_text(&e)) })
}

// ---------------------------------------------------------------------------------------------------------------
// Command line

/// `--version` text, in Redis's layout and field positions (`Redis server v=7.0.15 sha=... malloc=... bits=...
/// build=...`, Valkey's `Valkey server v=...`), so that scripts which split it on spaces read ferredis's version as
/// the third field. The Redis version ferredis matches is INFO's `redis_version`, not this.
pub fn version_line() -> String {
    format!(
        "ferredis server v={FERREDIS_VERSION} sha={}:{} malloc=libc bits={} build={}",
        env!("FERREDIS_GIT_SHA1"),
        env!("FERREDIS_GIT_DIRTY"),
        usize::BITS,
        env!("FERREDIS_BUILD_ID")
    )
}

/// `--help` text, in Redis's layout (printed to standard error, as `redis-server` does).
pub(super) fn usage(prog: &str) -> String {
    format!(
        "Usage: {prog} [/path/to/ferredis.conf] [options] [-]\n       \
         {prog} - (read config from stdin)\n       \
         {prog} -v or --version\n       \
         {prog} -h or --help\n       \
         {prog} --check-system\n\n\
         Examples:\n       \
         {prog} (run the server with default conf)\n       \
         echo 'maxmemory 128mb' | {prog} -\n       \
         {prog} /etc/ferredis/ferredis.conf\n       \
         {prog} --port 7777\n       \
         {prog} --port 7777 --replicaof 127.0.0.1 8888\n       \
         {prog} /etc/myferredis.conf --loglevel verbose -\n       \
         {prog} /etc/myferredis.conf --loglevel verbose\n\n\
         Any configuration directive can be given as an option: its name prefixed with '--', then its values.\n\
         Options are applied after the configuration file, in order.\n"
    )
}

/// Folds the command-line options into config text exactly as `redis-server` 7.0 does: an argument starting with
/// `--` (when the previous option already has a value) starts a new line with its text as it is, so
/// `"--port 6380"` or `"--proc-title-template --my--title"` carry name and value in one argument; any other
/// argument is appended to the current line quoted (Redis's `sdscatrepr`), so a value may start with `--` right
/// after its option name (`--requirepass --secret`) and `loglevel verbose` after the config file is a line too.
/// `--save` followed by another option, or last, means `save ""`.
pub(super) fn options_to_text(opts: &[String]) -> Result<String, ConfigError> {
    let mut out = String::new();
    let mut handled_last = true;
    for (j, a) in opts.iter().enumerate() {
        if handled_last && a.starts_with("--") {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&a[2..]);
            out.push(' ');
            if split_args(a.as_bytes()).map_or(1, |v| v.len()) == 1 {
                // Only the option's name: the next argument is its value, whatever it looks like.
                handled_last = false;
                let next_is_opt = opts.get(j + 1).is_some_and(|n| n.starts_with("--"));
                if a.eq_ignore_ascii_case("--save") && (next_is_opt || j + 1 == opts.len()) {
                    out.push_str("\"\"");
                    handled_last = true;
                } else if a.eq_ignore_ascii_case("--sentinel") && next_is_opt {
                    // `--sentinel` is a flag with no value (Redis 7.0.1's special case).
                    handled_last = true;
                }
            } else {
                handled_last = true;
            }
        } else {
            out.push_str(&repr_arg(a.as_bytes()));
            out.push(' ');
            handled_last = true;
        }
    }
    Ok(out)
}

/// The port a sentinel listens on by default.
pub const SENTINEL_PORT: u16 = 26379;

/// Whether the command line asks for sentinel mode (Redis's `checkForSentinelMode`): an argument `--sentinel`, or
/// a program name containing `redis-sentinel` (so `ferredis-sentinel`, the symlink the install provides).
pub fn is_sentinel_invocation(args: &[String]) -> bool {
    let exec = args.first().map(|a| a.rsplit('/').next().unwrap_or(a)).unwrap_or("");
    exec.contains("redis-sentinel") || args.iter().skip(1).any(|a| a == "--sentinel")
}

/// Builds the configuration from the command line, as `redis-server` does:
/// `ferredis-server [config-file | -] [--directive value ...] [-]`. The file (or standard input for `-`) is read
/// first, then the options, later lines overriding earlier ones. `-h/--help` and `-v/--version` print and exit
/// the process with status 0; `--check-system` prints the system checks ([`crate::sys::syscheck`]) and exits with
/// 0 when none warned, else 1.
pub fn load(args: Vec<String>) -> Result<Config, ConfigError> {
    let mut cfg = Config::default();
    let rest: &[String] = args.get(1..).unwrap_or(&[]);
    if let Some(first) = rest.first() {
        // Like redis-server: the version on standard output and status 0; the usage on standard error and
        // status 1.
        if matches!(first.as_str(), "-v" | "--version") {
            println!("{}", version_line());
            std::process::exit(0);
        }
        if first == "--check-system" {
            let ok = crate::sys::syscheck::check_system(&mut std::io::stdout());
            std::process::exit(if ok { 0 } else { 1 });
        }
        if matches!(first.as_str(), "-h" | "--help") {
            let prog = args.first().cloned().unwrap_or_else(|| "ferredis-server".into());
            eprint!("{}", usage(&prog));
            std::process::exit(1);
        }
    }
    if is_sentinel_invocation(&args) {
        cfg.sentinel_mode = true;
        // Redis's initSentinelConfig: the sentinel port, and reachable from other hosts.
        cfg.port = SENTINEL_PORT;
        cfg.protected_mode = false;
    }
    let mut j = 0;
    let mut file: Option<String> = None;
    if let Some(first) = rest.first() {
        if !first.starts_with('-') {
            file = Some(first.clone());
            j = 1;
        }
    }
    let mut from_stdin = false;
    let mut opts = Vec::new();
    for (k, a) in rest.iter().enumerate().skip(j) {
        if a == "-" && (k == 0 || k == rest.len() - 1) {
            from_stdin = true;
        } else {
            opts.push(a.clone());
        }
    }
    if let Some(path) = &file {
        let body = read_file(path)?;
        let abs = std::fs::canonicalize(path).map(|p| p.to_string_lossy().into_owned()).unwrap_or(path.clone());
        cfg.config_file = Some(abs);
        cfg.load_text(&body, &Source::File(path.clone()), 0)?;
    }
    if from_stdin {
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut body)
            .map_err(|e| ConfigError { message: format!("Fatal error, can't read config from stdin: {e}") })?;
        cfg.load_text(&body, &Source::Stdin, 0)?;
    }
    let text = options_to_text(&opts)?;
    cfg.load_text(text.as_bytes(), &Source::Args, 0)?;
    if cfg.stored_bool("cluster-enabled") && !cfg.keyspace_events_stream.is_empty() {
        return Err(ConfigError {
            message: format!("*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n{CLUSTER_FEED}"),
        });
    }
    // Redis's sanity check after the whole configuration (no line to show).
    if cfg.stored_bool("cluster-enabled") && cfg.extra.contains_key("replicaof") {
        return Err(ConfigError {
            message: format!(
                "*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\nreplicaof directive not allowed in cluster mode"
            ),
        });
    }
    Ok(cfg)
}

// ---------------------------------------------------------------------------------------------------------------
// CONFIG REWRITE

/// The config lines describing `d`'s current value (several for `client-output-buffer-limit`).
pub(crate) fn rewrite_lines(cfg: &Config, d: &Directive) -> Vec<String> {
    let v = cfg.get(d);
    match d.name {
        "client-output-buffer-limit" => ["normal", "replica", "pubsub"]
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let l = cfg.client_output_buffer_limit[i];
                let (hard, soft) = (format_memory(l.hard_bytes), format_memory(l.soft_bytes));
                format!("{} {n} {hard} {soft} {}", d.name, l.soft_seconds)
            })
            .collect(),
        // One line per save point, as Redis rewrites them.
        "save" if cfg.save_params.is_empty() => vec!["save \"\"".to_string()],
        "save" => cfg.save_params.iter().map(|(secs, changes)| format!("save {secs} {changes}")).collect(),
        "replicaof" => cfg.extra.get("replicaof").map(|v| format!("replicaof {v}")).into_iter().collect(),
        // A percentage as `N%`, bytes with the largest exact unit (Redis's PERCENT_CONFIG rewrite).
        "maxmemory-clients" => vec![match cfg.maxmemory_clients {
            p if p < 0 => format!("maxmemory-clients {}%", -p),
            b => format!("maxmemory-clients {}", format_memory(b as u64)),
        }],
        // Each address quoted on its own: CONFIG GET's space-joined value cannot tell an address holding a space
        // (or an empty one) from two addresses, and a split rewrite could exceed the 16-address limit and not load.
        "bind" if !cfg.bind.is_empty() => {
            vec![format!("bind {}", cfg.bind.iter().map(|a| quote_arg(a.as_bytes())).collect::<Vec<_>>().join(" "))]
        }
        _ if d.is_multi() => {
            let parts: Vec<String> = String::from_utf8_lossy(&v)
                .split(' ')
                .filter(|p| !p.is_empty())
                .map(|p| quote_arg(p.as_bytes()))
                .collect();
            if parts.is_empty() {
                vec![format!("{} \"\"", d.name)]
            } else {
                vec![format!("{} {}", d.name, parts.join(" "))]
            }
        }
        _ => {
            let shown = match &d.kind {
                // Strings are always written quoted, memory sizes with the largest exact unit, as Redis does.
                Kind::Str { .. } | Kind::StoredStr => repr_arg(&v),
                Kind::Mem { .. } | Kind::StoredMem(..) => {
                    std::str::from_utf8(&v).ok().and_then(|s| s.parse().ok()).map(format_memory).unwrap_or_default()
                }
                _ => quote_arg(&v),
            };
            vec![format!("{} {shown}", d.name)]
        }
    }
}
