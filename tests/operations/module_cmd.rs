//! MODULE against redis-server 7.0.15: ferredis loads no modules, so every LOAD/LOADEX must answer and log exactly
//! as a Redis that cannot load the file (missing, not executable, a directory, too short, not ELF, an executable, a
//! library without `RedisModule_OnLoad`), LIST is empty, UNLOAD finds nothing, and `enable-module-command` guards
//! LOAD/LOADEX/UNLOAD with Redis's refusal. COMMAND INFO/DOCS of the container and its subcommands are compared too.

use crate::common;

use common::{escape, Kind, Resp, Server, TempDir};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// The log's messages after `from` bytes, each with its level mark but without pid, role and time.
fn messages(s: &Server, from: usize) -> Vec<String> {
    let log = s.full_log();
    log[from.min(log.len())..]
        .lines()
        .filter_map(|l| l.splitn(7, ' ').nth(6).map(|m| format!("{} {m}", l.split(' ').nth(5).unwrap_or(""))))
        .collect()
}

/// Every array at every depth sorted.
fn sorted(v: Resp) -> Resp {
    match v {
        Resp::Array(items) => {
            let mut items: Vec<Resp> = items.into_iter().map(sorted).collect();
            items.sort();
            Resp::Array(items)
        }
        other => other,
    }
}

fn executable(p: &Path) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// Files a module load can be pointed at, in a directory both servers see.
fn fixtures(dir: &Path) -> Vec<String> {
    let p = |n: &str| dir.join(n);
    std::fs::write(p("notexec.so"), b"not a library").expect("write");
    std::fs::write(p("short.so"), b"hi\n").expect("write");
    executable(&p("short.so"));
    std::fs::write(p("garbage.so"), vec![b'z'; 300]).expect("write");
    executable(&p("garbage.so"));
    std::fs::create_dir_all(p("adir")).expect("mkdir");
    // A position-independent executable (our own binaries are built as PIE).
    std::fs::copy(common::ferredis_bin(), p("pie")).expect("copy");
    executable(&p("pie"));
    let mut files = vec!["notexec.so", "short.so", "garbage.so", "adir", "pie"];
    // A real shared library without RedisModule_OnLoad (Redis loads it, finds no entry point and closes it).
    for lib in ["/lib/x86_64-linux-gnu/libm.so.6", "/usr/lib/x86_64-linux-gnu/libm.so.6", "/lib64/libm.so.6"] {
        if std::fs::copy(lib, p("libm.so")).is_ok() {
            executable(&p("libm.so"));
            files.push("libm.so");
            break;
        }
    }
    let mut paths: Vec<String> = files.iter().map(|f| p(f).to_string_lossy().into_owned()).collect();
    paths.push(p("missing.so").to_string_lossy().into_owned());
    paths.push("relative-missing.so".into());
    paths
}

/// ferredis's MODULE LIST: the built-in JSON and probabilistic families (Redis 8 lists its bundled RedisJSON and
/// RedisBloom so).
const FER_MODULE_LIST: &[u8] = b"*2\r\n*8\r\n$4\r\nname\r\n$6\r\nReJSON\r\n$3\r\nver\r\n:20803\r\n$4\r\npath\r\n$0\r\n\r\n\
$4\r\nargs\r\n*0\r\n*8\r\n$4\r\nname\r\n$2\r\nbf\r\n$3\r\nver\r\n:20802\r\n$4\r\npath\r\n$0\r\n\r\n$4\r\nargs\r\n*0\r\n";

#[test]
fn module_commands_answer_and_log_as_redis() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let tmp = TempDir::new("module-cmd");
    let paths = fixtures(tmp.path());
    let fer = Server::start(Kind::Ferredis, &["--enable-module-command", "yes"]);
    let red = Server::start(Kind::Redis, &["--enable-module-command", "yes"]);
    let (mut f, mut r) = (fer.conn(), red.conn());
    let mut lines: Vec<Vec<String>> = vec![
        vec!["MODULE".into(), "LIST".into()],
        vec!["MODULE".into(), "HELP".into()],
        vec!["MODULE".into(), "help".into()],
        vec!["MODULE".into(), "LIST".into(), "x".into()],
        vec!["MODULE".into(), "nosuch".into()],
        vec!["MODULE".into()],
        vec!["MODULE".into(), "LOAD".into()],
        vec!["MODULE".into(), "UNLOAD".into(), "mymod".into()],
        vec!["MODULE".into(), "UNLOAD".into()],
        vec!["MODULE".into(), "LOADEX".into(), "/x.so".into(), "CONFIG".into(), "a".into()],
        vec!["MODULE".into(), "LOADEX".into(), "/x.so".into(), "bogus".into()],
        vec!["MODULE".into(), "LOADEX".into(), "/x.so".into(), "CONFIG".into(), "a".into(), "b".into(), "ARGS".into()],
        vec!["MODULE".into(), "LOADEX".into(), "/x.so".into(), "ARGS".into(), "1".into(), "2".into()],
    ];
    for p in &paths {
        lines.push(vec!["MODULE".into(), "LOAD".into(), p.clone(), "arg1".into()]);
        lines.push(vec!["MODULE".into(), "LOADEX".into(), p.clone()]);
    }
    for name in ["module", "module|list", "module|load", "module|loadex", "module|unload", "module|help"] {
        lines.push(vec!["COMMAND".into(), "INFO".into(), name.into()]);
        lines.push(vec!["COMMAND".into(), "DOCS".into(), name.into()]);
    }
    lines.push(vec!["COMMAND".into(), "LIST".into(), "FILTERBY".into(), "MODULE".into(), "x".into()]);
    let (mut fl, mut rl) = (fer.full_log().len(), red.full_log().len());
    for args in &lines {
        let (fa, ra) = (f.cmd(args), r.cmd(args));
        if args.len() == 3 && args[..2] == ["COMMAND", "INFO"]
            || args.len() == 3 && args[..2] == ["COMMAND", "DOCS"] && args[2] == "module"
        {
            // The container lists its subcommands in Redis's hash order: compared as sets (each one exactly on
            // its own line).
            let (fv, rv) = (Resp::parse(&fa).expect("reply"), Resp::parse(&ra).expect("reply"));
            assert_eq!(sorted(fv), sorted(rv), "{args:?}");
        } else if args.len() == 2 && args[1] == "LIST" {
            // ferredis lists its built-in families as Redis 8 lists its bundled modules.
            assert_eq!(escape(&fa), escape(FER_MODULE_LIST), "{args:?}");
        } else {
            assert_eq!(escape(&fa), escape(&ra), "{args:?}");
        }
        // Each command's log lines, compared message by message (Redis's dlerror texts included).
        let (fm, rm) = (messages(&fer, fl), messages(&red, rl));
        assert_eq!(fm, rm, "log of {args:?}");
        (fl, rl) = (fer.full_log().len(), red.full_log().len());
    }
    // Inside MULTI and from a script, as Redis.
    for args in [&["MULTI"][..], &["MODULE", "HELP"], &["MODULE", "LOAD", "/nope.so"], &["EXEC"]] {
        assert_eq!(escape(&f.cmd(args)), escape(&r.cmd(args)), "{args:?}");
    }
    let eval = ["EVAL", "return redis.pcall('module', 'help')", "0"];
    assert_eq!(escape(&f.cmd(&eval)), escape(&r.cmd(&eval)));
}

#[test]
fn enable_module_command_guards_load_and_unload() {
    if !crate::common::pair::have_redis() {
        return;
    }
    for setting in [None, Some("no"), Some("local")] {
        let extra: Vec<&str> = setting.map_or(vec![], |s| vec!["--enable-module-command", s]);
        let fer = Server::start(Kind::Ferredis, &extra);
        let red = Server::start(Kind::Redis, &extra);
        let (mut f, mut r) = (fer.conn(), red.conn());
        for args in [
            &["MODULE", "LOAD", "/nope.so"][..],
            &["MODULE", "LOADEX", "/nope.so", "ARGS"],
            &["MODULE", "UNLOAD", "x"],
            &["MODULE", "HELP"],
            &["MODULE", "LOAD"],
            &["MULTI"],
            &["MODULE", "LOAD", "/nope.so"],
            &["EXEC"],
            &["CONFIG", "GET", "enable-module-command"],
            &["CONFIG", "SET", "enable-module-command", "yes"],
        ] {
            let (fa, ra) = (f.cmd(args), r.cmd(args));
            assert_eq!(escape(&fa), escape(&ra), "{setting:?} {args:?}");
        }
        if setting.is_none() {
            let fa = f.cmd(&["MODULE", "LOAD", "/nope.so"]);
            r.cmd(&["MODULE", "LOAD", "/nope.so"]);
            assert!(escape(&fa).starts_with("-ERR MODULE command not allowed."), "{}", escape(&fa));
        }
        let (fs, rs) = (f.cmd(&["INFO", "commandstats"]), r.cmd(&["INFO", "commandstats"]));
        let rejected = |s: &[u8]| {
            String::from_utf8_lossy(s)
                .lines()
                .filter(|l| l.starts_with("cmdstat_module|"))
                .map(|l| l.split(',').filter(|p| !p.starts_with("usec")).collect::<Vec<_>>().join(","))
                .collect::<Vec<_>>()
        };
        let (mut fr, mut rr) = (rejected(&fs), rejected(&rs));
        fr.sort();
        rr.sort();
        assert_eq!(fr, rr, "{setting:?}");
    }
}
