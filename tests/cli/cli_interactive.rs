//! ferredis-cli's interactive mode in a real terminal: tmux runs the client in a detached session,
//! `send-keys` types, `capture-pane` reads the screen. Covers line editing keys, history (in memory, in the
//! history file, Ctrl-R), tab completion and hints from COMMAND DOCS, `help`, the prompt with `[db]` and
//! `(TX)`, SUBSCRIBE interrupted by Ctrl-C, and reconnecting after the server restarts; once against Redis.
//!
//! Skipped with a notice when tmux is not installed (`make deps` installs it). Waits poll the screen until
//! the expected text appears (no timing assertions); a wait gives up after 20 s and fails with the screen.

use crate::common;

use common::{Conn, Kind, Server, TempDir};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn have_tmux() -> bool {
    Command::new("tmux").arg("-V").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok()
}

/// One tmux server (private socket) with one session running ferredis-cli.
struct Term {
    socket: String,
}

impl Term {
    fn start(port: u16, home: &Path, extra: &[&str]) -> Term {
        Term::start_sized(port, home, extra, 150)
    }

    fn start_sized(port: u16, home: &Path, extra: &[&str], width: u16) -> Term {
        let socket = format!("ferredis-cli-test-{}-{}", std::process::id(), common::free_port());
        let hist = home.join("history");
        let mut cmd = format!(
            "env HOME={} FERREDISCLI_HISTFILE={} TERM=xterm {} -p {port}",
            home.display(),
            hist.display(),
            env!("CARGO_BIN_EXE_ferredis-cli")
        );
        for e in extra {
            cmd.push(' ');
            cmd.push_str(e);
        }
        let ok = Command::new("tmux")
            .args(["-L", &socket, "new-session", "-d", "-s", "cli", "-x", &width.to_string(), "-y", "40", &cmd])
            .status()
            .expect("tmux new-session")
            .success();
        assert!(ok, "tmux new-session failed");
        Term { socket }
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["-L", &self.socket, "send-keys", "-t", "cli"];
        args.extend_from_slice(keys);
        assert!(Command::new("tmux").args(&args).status().expect("send-keys").success());
    }

    /// Types literal text (no key-name interpretation).
    fn type_text(&self, text: &str) {
        assert!(Command::new("tmux")
            .args(["-L", &self.socket, "send-keys", "-t", "cli", "-l", text])
            .status()
            .expect("send-keys")
            .success());
    }

    fn screen(&self) -> String {
        let o = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "cli"])
            .output()
            .expect("capture-pane");
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// The last non-empty line of the screen (the line being edited).
    fn current_line(&self) -> String {
        self.screen().lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim_end().to_string()
    }

    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn wait_line(&self, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let l = self.current_line();
            if l == want {
                return;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for line {want:?}; last line {l:?}; screen:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the client exited (its tmux session is gone).
    fn wait_exit(&self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let alive = Command::new("tmux")
                .args(["-L", &self.socket, "has-session", "-t", "cli"])
                .stderr(Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if !alive {
                return;
            }
            assert!(Instant::now() < deadline, "client did not exit; screen:\n{}", self.screen());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn count(&self, needle: &str) -> usize {
        self.screen().matches(needle).count()
    }

    /// Runs `line` and waits until `expect` shows up once more than before.
    fn run(&self, line: &str, expect: &str) {
        let before = self.count(expect);
        self.type_text(line);
        self.keys(&["Enter"]);
        self.wait_for(&format!("{expect:?} after {line:?}"), |s| s.matches(expect).count() > before);
    }
}

impl Drop for Term {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.socket, "kill-server"]).status();
    }
}

macro_rules! need_tmux {
    () => {
        if !have_tmux() {
            eprintln!("SKIPPED: tmux is not installed (make deps installs it)");
            return;
        }
    };
}

#[test]
fn prompt_editing_history_completion_hints() {
    need_tmux!();
    let srv = Server::ferredis();
    let port = srv.port;
    let home = TempDir::new("cli-tty");
    let t = Term::start(port, home.path(), &[]);
    let prompt = format!("127.0.0.1:{port}>");
    t.wait_line(&prompt);

    // Prompt: [db] after SELECT, (TX) inside MULTI, back after EXEC.
    t.run("select 2", "OK");
    t.wait_line(&format!("127.0.0.1:{port}[2]>"));
    t.run("multi", "OK");
    t.wait_line(&format!("127.0.0.1:{port}[2](TX)>"));
    t.run("set txkey 1", "QUEUED");
    t.run("exec", "1) OK");
    t.wait_line(&format!("127.0.0.1:{port}[2]>"));
    t.run("select 0", "OK");
    t.wait_line(&prompt);

    // Editing: Ctrl-A/E, arrows, Home/End, Backspace, Delete, Ctrl-W/K/U (hints off, so the line is only
    // what was typed).
    t.type_text(":set nohints");
    t.keys(&["Enter"]);
    t.wait_line(&prompt);
    t.type_text("et edited valueXX");
    t.keys(&["BSpace", "BSpace", "C-a"]);
    t.type_text("s");
    t.keys(&["C-e"]);
    t.wait_line(&format!("{prompt} set edited value"));
    t.keys(&["C-w"]);
    t.type_text("v2 junk");
    t.keys(&["Left", "Left", "Left", "Left", "Left", "C-k"]);
    t.wait_line(&format!("{prompt} set edited v2"));
    t.keys(&["Home", "Delete", "End"]);
    t.wait_line(&format!("{prompt} et edited v2"));
    t.keys(&["C-u"]);
    t.wait_line(&prompt);
    t.run("set edited v3", "OK");
    assert_eq!(Conn::connect(port).cmd(&["GET", "edited"]), b"$2\r\nv3\r\n");

    // History: Up/Down through earlier lines; Ctrl-R finds and runs one.
    t.run("echo first-entry", "\"first-entry\"");
    t.run("echo second-entry", "\"second-entry\"");
    t.keys(&["Up", "Up"]);
    t.wait_line(&format!("{prompt} echo first-entry"));
    t.keys(&["Down"]);
    t.wait_line(&format!("{prompt} echo second-entry"));
    t.keys(&["C-u", "C-r"]);
    t.type_text("first");
    t.wait_for("reverse search", |s| s.contains("(reverse-i-search)`first': echo first-entry"));
    let before = t.count("\"first-entry\"");
    t.keys(&["Enter"]);
    t.wait_for("Ctrl-R result", |s| s.matches("\"first-entry\"").count() > before);

    // Completion (Tab cycles through commands starting with what was typed) and hints.
    t.type_text("hgeta");
    t.keys(&["Tab"]);
    t.wait_for("completion", |s| s.lines().any(|l| l.trim_end().starts_with(&format!("{prompt} HGETALL"))));
    t.keys(&["C-u"]);
    t.type_text(":set hints");
    t.keys(&["Enter"]);
    t.wait_line(&prompt);
    t.type_text("set k");
    t.wait_for("hint", |s| {
        s.contains(&format!(
            "{prompt} set k value [NX|XX|IFEQ comparison-value|IFNE ifne-value|IFDEQ ifdeq-digest|IFDNE ifdne-digest]"
        ))
    });
    t.keys(&["C-u"]);
    t.run("help get", "summary:");

    // The history file holds what was run, and a new session starts with it.
    t.type_text("quit");
    t.keys(&["Enter"]);
    t.wait_exit();
    let hist = std::fs::read_to_string(home.path().join("history")).expect("history file");
    assert!(hist.contains("echo second-entry\n") && hist.contains("select 2\n"), "{hist}");
    drop(t);
    // Preferences file: hints off in the next session.
    std::fs::write(home.path().join(".ferredisclirc"), ":set nohints\n").unwrap();
    let t = Term::start(port, home.path(), &[]);
    t.wait_line(&prompt);
    t.keys(&["Up"]);
    t.wait_line(&format!("{prompt} quit"));
    t.keys(&["Up"]);
    t.wait_line(&format!("{prompt} help get"));
    t.keys(&["C-u"]);
    t.type_text("set k");
    t.wait_line(&format!("{prompt} set k"));
}

/// A line longer than the terminal wraps onto more rows (linenoise's multi-line mode, as in redis-cli), and
/// shrinking it clears the rows it no longer needs.
#[test]
fn long_lines_wrap() {
    need_tmux!();
    let srv = Server::ferredis();
    let port = srv.port;
    let home = TempDir::new("cli-tty-wrap");
    let t = Term::start_sized(port, home.path(), &[], 40);
    let prompt = format!("127.0.0.1:{port}>");
    t.wait_line(&prompt);
    t.type_text(":set nohints");
    t.keys(&["Enter"]);
    t.wait_line(&prompt);
    let arg = "k".repeat(40);
    t.type_text(&format!("echo {arg}"));
    let full = format!("{prompt} echo {arg}");
    let (first, rest) = full.split_at(40);
    let screen = t.wait_for("two rows", |s| s.contains(first) && s.lines().any(|l| l.trim_end() == rest));
    assert!(!screen.contains(&full), "not wrapped:\n{screen}");
    t.keys(&["C-u"]);
    t.wait_line(&prompt);
    assert!(!t.screen().contains(rest), "a stale row stayed:\n{}", t.screen());
    t.run(&format!("echo {arg}"), &format!("\"{}", &arg[..30]));
}

#[test]
fn subscribe_until_ctrl_c_then_prompt() {
    need_tmux!();
    let srv = Server::ferredis();
    let port = srv.port;
    let home = TempDir::new("cli-tty-sub");
    let t = Term::start(port, home.path(), &["-n", "3"]);
    let prompt = format!("127.0.0.1:{port}[3]>");
    t.wait_line(&prompt);
    t.run("subscribe news", "Reading messages...");
    t.wait_for("subscribed", |s| s.contains("3) (integer) 1"));
    let mut c = Conn::connect(port);
    assert_eq!(c.cmd(&["PUBLISH", "news", "extra"]), b":1\r\n");
    t.wait_for("message", |s| s.contains("3) \"extra\""));
    t.keys(&["C-c"]);
    t.wait_line(&prompt);
    // The new connection is back in db 3.
    c.cmd(&["SELECT", "3"]);
    c.cmd(&["SET", "in3", "yes"]);
    t.run("get in3", "\"yes\"");
}

fn spawn_ferredis(port: u16, dir: &Path) -> Child {
    Command::new(common::ferredis_bin())
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn ferredis")
}

fn wait_port(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Conn::try_connect(port).is_err() {
        assert!(Instant::now() < deadline, "server on {port} did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn reconnects_after_server_restart() {
    need_tmux!();
    let dir = TempDir::new("cli-tty-restart");
    let port = common::free_port();
    let mut server = spawn_ferredis(port, dir.path());
    wait_port(port);
    let t = Term::start(port, dir.path(), &[]);
    let prompt = format!("127.0.0.1:{port}>");
    t.wait_line(&prompt);
    t.run("ping", "PONG");
    let _ = server.kill();
    let _ = server.wait();
    t.run("ping", "Error: Server closed the connection");
    t.wait_line("not connected>");
    t.run("ping", "Could not connect to Redis at");
    let mut server = spawn_ferredis(port, dir.path());
    wait_port(port);
    t.run("ping", "PONG");
    t.wait_line(&prompt);
    let _ = server.kill();
    let _ = server.wait();
}

#[test]
fn works_against_redis() {
    need_tmux!();
    let srv = Server::start(Kind::Redis, &[]);
    let port = srv.port;
    let home = TempDir::new("cli-tty-redis");
    let t = Term::start(port, home.path(), &[]);
    let prompt = format!("127.0.0.1:{port}>");
    t.wait_line(&prompt);
    t.type_text("zadd k");
    t.wait_for("hint from Redis's COMMAND DOCS", |s| s.contains("zadd k [NX|XX] [GT|LT] [CH] [INCR] score member"));
    t.keys(&["C-u"]);
    t.run("select 1", "OK");
    t.wait_line(&format!("127.0.0.1:{port}[1]>"));
    t.run("hset h f v", "(integer) 1");
    t.run("hgetall h", "2) \"v\"");
    t.run("help @hyperloglog", "PFMERGE");
}
