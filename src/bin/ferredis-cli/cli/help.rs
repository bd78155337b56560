//! Help for ferredis-cli: the `--help` text, and command help built from the server's `COMMAND DOCS` (as
//! redis-cli 7.0 does): `help COMMAND`, `help @group`, tab completion of command names and the argument
//! hints shown after what was typed.

use super::reply::Reply;
use super::Cli;

pub fn usage() -> String {
    format!(
        "ferredis-cli {}

Usage: ferredis-cli [OPTIONS] [cmd [arg [arg ...]]]
  -h <hostname>      Server hostname (default: 127.0.0.1).
  -p <port>          Server port (default: 6379).
  -s <socket>        Server socket (overrides hostname and port).
  -a <password>      Password to use when connecting to the server.
                     You can also use the REDISCLI_AUTH environment
                     variable to pass this password more safely
                     (if both are used, this argument takes precedence).
  --user <username>  Used to send ACL style 'AUTH username pass'. Needs -a.
  --pass <password>  Alias of -a for consistency with the new --user option.
  --askpass          Force user to input password with mask from STDIN.
  -u <uri>           Server URI (redis{}://[[user:]password@]host[:port][/db]).
  -r <repeat>        Execute specified command N times.
  -i <interval>      When -r is used, waits <interval> seconds per command.
                     It is possible to specify sub-second times like -i 0.1.
                     This interval is also used in --scan and --stat per cycle.
                     and in --bigkeys, --memkeys, and --hotkeys per 100 cycles.
  -n <db>            Database number.
  -2                 Start session in RESP2 protocol mode.
  -3                 Start session in RESP3 protocol mode.
{}  -x                 Read last argument from STDIN.
  -X <tag>           Read <tag> argument from STDIN.
  -d <delimiter>     Delimiter between response bulks for raw formatting (default: \\n).
  -D <delimiter>     Delimiter between responses for raw formatting (default: \\n).
  -c                 Enable cluster mode (follow -ASK and -MOVED redirections).
  -e                 Return exit error code when command execution fails.
  --raw              Use raw formatting for replies (default when STDOUT is
                     not a tty).
  --no-raw           Force formatted output even when STDOUT is not a tty.
  --quoted-input     Force input to be handled as quoted strings.
  --csv              Output in CSV format.
  --json             Output in JSON format (default RESP3, use -2 if you want to use with RESP2).
  --quoted-json      Same as --json, but produce ASCII-safe quoted strings, not Unicode.
  --show-pushes <yn> Whether to print RESP3 PUSH messages.  Enabled by default when
                     STDOUT is a tty but can be overridden with --show-pushes no.
  --stat             Print rolling stats about server: mem, clients, ...
  --latency          Enter a special mode continuously sampling latency.
  --latency-history  Like --latency but tracking latency changes over time.
                     Default time interval is 15 sec. Change it using -i.
  --replica          Simulate a replica showing commands received from the master.
  --rdb <filename>   Transfer an RDB dump from remote server to local file.
                     Use filename of \"-\" to write to stdout.
  --functions-rdb <filename> Like --rdb but only get the functions (not the keys).
  --pipe             Transfer raw Redis protocol from stdin to server.
  --pipe-timeout <n> In --pipe mode, abort with error if after sending all data.
                     no reply is received within <n> seconds.
                     Default timeout: {}. Use 0 to wait forever.
  --bigkeys          Sample keys looking for keys with many elements (complexity).
  --memkeys          Sample keys looking for keys consuming a lot of memory.
  --memkeys-samples <n> Like --memkeys, with the number of key elements to sample.
  --hotkeys          Sample keys looking for hot keys (maxmemory-policy *lfu).
  --scan             List all keys using the SCAN command.
  --pattern <pat>    Keys pattern when using the --scan, --bigkeys or --hotkeys
                     options (default: *).
  --quoted-pattern <pat> Same as --pattern, but the string can be quoted.
  --count <count>    Count option when using --scan.
  --intrinsic-latency <sec> Run a test to measure intrinsic system latency.
  --eval <file>      Send an EVAL command using the Lua script at <file>.
  --ldb              Used with --eval enable the Lua debugger.
  --ldb-sync-mode    Like --ldb but uses the synchronous Lua debugger (the
                     server blocks; script changes are kept).
  --cluster <command> [args...] [opts...]
                     Cluster Manager command and arguments (see below).
  --verbose          Verbose mode.
  --no-auth-warning  Don't show warning message when using password on command
                     line interface.
  --help             Output this help and exit.
  --version          Output version and exit.

Cluster Manager Commands:
  Use --cluster help to list all available cluster manager commands.

Examples:
  cat /etc/passwd | ferredis-cli -x set mypasswd
  ferredis-cli -r 100 lpush mylist x
  ferredis-cli -r 100 -i 1 info | grep used_memory_human:
  ferredis-cli --scan --pattern '*:12345*'

When no command is given, ferredis-cli starts in interactive mode.
Type \"help\" in interactive mode for information on available commands
and settings.

",
        super::version(),
        if cfg!(feature = "tls") { "[s]" } else { "" },
        TLS_USAGE,
        super::DEFAULT_PIPE_TIMEOUT
    )
}

/// redis-cli 7.0's TLS options, in its words (a build with the `tls` feature only).
#[cfg(feature = "tls")]
const TLS_USAGE: &str = "  --tls              Establish a secure TLS connection.
  --sni <host>       Server name indication for TLS.
  --cacert <file>    CA Certificate file to verify with.
  --cacertdir <dir>  Directory where trusted CA certificates are stored.
                     If neither cacert nor cacertdir are specified, the default
                     system-wide trusted root certs configuration will apply.
  --insecure         Allow insecure TLS connection by skipping cert validation.
  --cert <file>      Client certificate to authenticate with.
  --key <file>       Private key file to authenticate with.
  --tls-ciphers <list> Sets the list of preferred ciphers (TLSv1.2 and below)
                     in order of preference from highest to lowest separated by colon (\":\").
  --tls-ciphersuites <list> Sets the list of preferred ciphersuites (TLSv1.3)
                     in order of preference from highest to lowest separated by colon (\":\").
";
#[cfg(not(feature = "tls"))]
const TLS_USAGE: &str = "";

/// One `help` topic: a command (or subcommand) with its documentation, or a group (`@string`).
#[derive(Clone, Debug)]
pub struct Entry {
    /// Upper-case words: ["GET"], ["CONFIG", "SET"], or ["@string"] for a group.
    pub argv: Vec<String>,
    pub full: String,
    pub is_group: bool,
    pub params: String,
    pub summary: String,
    pub since: Option<String>,
    pub group: String,
}

fn map_get<'a>(m: &'a [Reply], key: &str) -> Option<&'a Reply> {
    m.chunks_exact(2).find(|p| p[0].bytes() == Some(key.as_bytes())).map(|p| &p[1])
}

fn text(r: Option<&Reply>) -> String {
    r.and_then(|r| r.bytes()).map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default()
}

fn or_empty(s: &str) -> &str {
    if s.is_empty() {
        "\"\""
    } else {
        s
    }
}

fn fields(r: &Reply) -> &[Reply] {
    match r {
        Reply::Map(v) | Reply::Array(v) => v,
        _ => &[],
    }
}

/// `cliAddArgument`: one argument's syntax (`[EX seconds|PX milliseconds]`, `key [key ...]`).
fn add_argument(params: &mut String, arg: &Reply) {
    let m = fields(arg);
    if m.is_empty() {
        return;
    }
    let name = text(map_get(m, "name"));
    let ty = text(map_get(m, "type"));
    let mut token = map_get(m, "token").map(|t| or_empty(&text(Some(t))).to_string()).unwrap_or_default();
    let (mut optional, mut multiple, mut multiple_token) = (false, false, false);
    if let Some(Reply::Set(f) | Reply::Array(f)) = map_get(m, "flags") {
        for x in f {
            match x.bytes() {
                Some(b"optional") => optional = true,
                Some(b"multiple") => multiple = true,
                Some(b"multiple_token") => multiple_token = true,
                _ => {}
            }
        }
    }
    let sub = map_get(m, "arguments").map(fields).unwrap_or(&[]);
    let repeat = match ty.as_str() {
        "key" | "string" | "integer" | "double" | "pattern" | "unix-time" | "token" => or_empty(&name).to_string(),
        "oneof" => concat(sub, "|"),
        "block" => concat(sub, " "),
        _ => String::new(),
    };
    if !token.is_empty() && ty != "pure-token" {
        token.push(' ');
    }
    if optional {
        params.push('[');
    }
    params.push_str(&token);
    params.push_str(&repeat);
    if multiple {
        params.push_str(" [");
        if multiple_token {
            params.push_str(&token);
        }
        params.push_str(&repeat);
        params.push_str(" ...]");
    }
    if optional {
        params.push(']');
    }
}

fn concat(args: &[Reply], sep: &str) -> String {
    let mut s = String::new();
    for (i, a) in args.iter().enumerate() {
        add_argument(&mut s, a);
        if i + 1 != args.len() {
            s.push_str(sep);
        }
    }
    s
}

fn add_command(out: &mut Vec<Entry>, groups: &mut Vec<String>, cmd: &str, sub: Option<&str>, specs: &Reply) {
    let m = fields(specs);
    let mut argv = vec![cmd.to_ascii_uppercase()];
    if let Some(s) = sub {
        argv.push(s.split_once('|').map(|x| x.1).unwrap_or(s).to_ascii_uppercase());
    }
    let full = argv.join(" ");
    let group = text(map_get(m, "group"));
    if !group.is_empty() && !groups.contains(&group) {
        groups.push(group.clone());
    }
    out.push(Entry {
        argv,
        full,
        is_group: false,
        params: map_get(m, "arguments").map(|a| concat(fields(a), " ")).unwrap_or_default(),
        summary: text(map_get(m, "summary")),
        since: map_get(m, "since").map(|r| text(Some(r))),
        group,
    });
    if let Some(subs) = map_get(m, "subcommands") {
        for p in fields(subs).chunks_exact(2) {
            let name = text(Some(&p[0]));
            add_command(out, groups, cmd, Some(&name), &p[1]);
        }
    }
}

/// Builds the help table from `COMMAND DOCS` (empty when the server cannot be reached or lacks it).
pub fn load(cli: &mut Cli) -> Vec<Entry> {
    if !cli.connect(false, true) {
        return Vec::new();
    }
    let Some(conn) = cli.conn.as_mut() else { return Vec::new() };
    let Ok(table) = conn.command(&[b"COMMAND".as_slice(), b"DOCS"]) else { return Vec::new() };
    let mut out = Vec::new();
    let mut groups = Vec::new();
    for p in fields(&table).chunks_exact(2) {
        let name = text(Some(&p[0]));
        add_command(&mut out, &mut groups, &name, None, &p[1]);
    }
    for g in groups {
        let full = format!("@{g}");
        out.push(Entry {
            argv: vec![full.clone()],
            full,
            is_group: true,
            params: String::new(),
            summary: String::new(),
            since: None,
            group: String::new(),
        });
    }
    out.sort_by(|a, b| a.full.as_bytes().cmp(b.full.as_bytes()));
    out
}

fn command_help(e: &Entry, with_group: bool) -> String {
    let mut s = format!("\r\n  \x1b[1m{}\x1b[0m \x1b[90m{}\x1b[0m\r\n", e.full, e.params);
    s.push_str(&format!("  \x1b[33msummary:\x1b[0m {}\r\n", e.summary));
    if let Some(since) = &e.since {
        s.push_str(&format!("  \x1b[33msince:\x1b[0m {since}\r\n"));
    }
    if with_group {
        s.push_str(&format!("  \x1b[33mgroup:\x1b[0m {}\r\n", e.group));
    }
    s
}

/// `help`, `help @group`, `help COMMAND [SUBCOMMAND]` (redis-cli's `cliOutputHelp`).
pub fn output_help(cli: &mut Cli, args: &[Vec<u8>]) {
    if args.is_empty() {
        super::out(
            format!(
                "ferredis-cli {}\n\
To get help about Redis commands type:\n      \"help @<group>\" to get a list of commands in <group>\n      \
\"help <command>\" for help on <command>\n      \"help <tab>\" to get a list of possible help topics\n      \
\"quit\" to exit\n\nTo set ferredis-cli preferences:\n      \":set hints\" enable online hints\n      \
\":set nohints\" disable online hints\nSet your preferences in ~/.ferredisclirc\n",
                super::version()
            )
            .as_bytes(),
        );
        return;
    }
    if cli.help.is_none() {
        cli.help = Some(load(cli));
    }
    let words: Vec<String> = args.iter().map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    let group = words[0].strip_prefix('@').map(str::to_string);
    let mut s = String::new();
    for e in cli.help.as_deref().unwrap_or_default() {
        if e.is_group {
            continue;
        }
        match &group {
            None => {
                if words.len() <= e.argv.len() && words.iter().zip(&e.argv).all(|(a, b)| a.eq_ignore_ascii_case(b)) {
                    s.push_str(&command_help(e, true));
                }
            }
            Some(g) => {
                if g.eq_ignore_ascii_case(&e.group) {
                    s.push_str(&command_help(e, false));
                }
            }
        }
    }
    s.push_str("\r\n");
    super::out(s.as_bytes());
}

/// The hint after `line` (redis-cli's `hintsCallback`): the parameters of the command with the longest
/// matching name, minus one word per argument already typed (stopping at the first optional `[`).
pub fn hint(entries: &[Entry], line: &str) -> Option<String> {
    let words = super::split::split_args(line.as_bytes())?;
    if words.is_empty() {
        return None;
    }
    let mut best: Option<&Entry> = None;
    let mut matchlen = 0;
    for e in entries.iter().filter(|e| !e.is_group) {
        let n = e.argv.len();
        if n <= words.len()
            && n > matchlen
            && e.argv.iter().zip(&words).all(|(a, w)| a.as_bytes().eq_ignore_ascii_case(w))
        {
            matchlen = n;
            best = Some(e);
        }
    }
    let e = best?;
    let mut hint = e.params.as_str();
    let mut toremove = words.len() - matchlen;
    while toremove > 0 && !hint.is_empty() {
        if hint.starts_with('[') {
            break;
        }
        if hint.starts_with(' ') {
            toremove -= 1;
        }
        let mut chars = hint.chars();
        chars.next();
        hint = chars.as_str();
    }
    let endspace = line.as_bytes().last().map(|c| c.is_ascii_whitespace()).unwrap_or(false);
    Some(if endspace { hint.to_string() } else { format!(" {hint}") })
}

/// Completion candidates (redis-cli's `completionCallback`): every command (and `COMMAND SUBCOMMAND`) whose
/// name starts with what was typed; after `help `, groups (`@string`) too. Names are shown upper-case.
pub fn complete(entries: &[Entry], line: &str) -> Vec<String> {
    let (startpos, with_groups) = if line.len() >= 5 && line.as_bytes()[..5].eq_ignore_ascii_case(b"help ") {
        let rest = &line[5..];
        (line.len() - rest.trim_start().len(), true)
    } else {
        (0, false)
    };
    let word = &line[startpos..];
    entries
        .iter()
        .filter(|e| with_groups || !e.is_group)
        .filter(|e| e.full.len() >= word.len() && e.full.as_bytes()[..word.len()].eq_ignore_ascii_case(word.as_bytes()))
        .map(|e| format!("{}{}", &line[..startpos], e.full))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(argv: &[&str], params: &str) -> Entry {
        Entry {
            argv: argv.iter().map(|s| s.to_string()).collect(),
            full: argv.join(" "),
            is_group: false,
            params: params.into(),
            summary: String::new(),
            since: None,
            group: "string".into(),
        }
    }

    #[test]
    fn hints_drop_typed_arguments() {
        let t = vec![
            entry(&["CONFIG"], "subcommand"),
            entry(&["CONFIG", "GET"], "parameter [parameter ...]"),
            entry(&["SET"], "key value [NX|XX] [GET]"),
        ];
        assert_eq!(hint(&t, "set").as_deref(), Some(" key value [NX|XX] [GET]"));
        assert_eq!(hint(&t, "set ").as_deref(), Some("key value [NX|XX] [GET]"));
        assert_eq!(hint(&t, "set k").as_deref(), Some(" value [NX|XX] [GET]"));
        assert_eq!(hint(&t, "set k v").as_deref(), Some(" [NX|XX] [GET]"));
        assert_eq!(hint(&t, "config get").as_deref(), Some(" parameter [parameter ...]"));
        assert_eq!(hint(&t, "nosuch"), None);
        assert_eq!(complete(&t, "co"), vec!["CONFIG".to_string(), "CONFIG GET".to_string()]);
        assert_eq!(complete(&t, "help s"), vec!["help SET".to_string()]);
    }
}
