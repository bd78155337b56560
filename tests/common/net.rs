//! The networking tests' side of the support module: start the real server binary with a log file on a free
//! loopback port and talk raw RESP to it, expecting exact bytes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server binary under test: `NET_TEST_SERVER=/usr/bin/redis-server` (or `FERREDIS_BIN`, as for every
/// other test) runs the same tests against real Redis, to check the expectations themselves.
pub fn server_bin() -> String {
    std::env::var("NET_TEST_SERVER").unwrap_or_else(|_| super::ferredis_bin().to_string_lossy().into_owned())
}

pub use super::free_port;

/// A scratch directory unique to this test.
pub fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ferredis-net-{}-{}-{}", tag, std::process::id(), free_port()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub struct Server {
    pub child: Option<Child>,
    pub port: u16,
    pub log: PathBuf,
}

impl Server {
    /// Starts the server with `--port <free> --bind 127.0.0.1 --logfile <tmp> --enable-debug-command yes` (DEBUG is
    /// off by default, as in Redis) plus `extra` directives, and waits until it accepts connections.
    pub fn start(extra: &[&str]) -> Server {
        // A port picked free can be taken before the server binds it (another test's connection got it as its
        // ephemeral port): a server that exits at once is retried on another port.
        for attempt in 0..3 {
            let port = free_port();
            let dir = temp_dir("log");
            let log = dir.join("server.log");
            let mut args: Vec<String> = vec!["--port".into(), port.to_string(), "--bind".into(), "127.0.0.1".into()];
            args.push("--logfile".into());
            args.push(log.to_str().unwrap().into());
            // Its own directory: a dump.rdb left in the working directory must not be loaded.
            args.push("--dir".into());
            args.push(dir.to_str().unwrap().into());
            args.extend(
                ["--save", "", "--appendonly", "no", "--enable-debug-command", "yes"].iter().map(|s| s.to_string()),
            );
            // FERREDIS_EXTRA_ARGS is for ferredis only: not when NET_TEST_SERVER swaps in another server.
            if std::env::var_os("NET_TEST_SERVER").is_none() {
                args.extend(super::extra_args());
            }
            args.extend(extra.iter().map(|s| s.to_string()));
            let child = Command::new(server_bin())
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("spawn server");
            let mut s = Server { child: Some(child), port, log };
            match s.wait_ready() {
                Ok(()) => return s,
                Err(e) if attempt == 2 => panic!("{e}"),
                Err(_) => {}
            }
        }
        unreachable!("the last attempt panics")
    }

    /// Waits until the server answers PING; Err (with its log) if it exited first or never answered.
    pub fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Some(Ok(Some(st))) = self.child.as_mut().map(|c| c.try_wait()) {
                self.child = None;
                return Err(format!("server exited early ({st}); log:\n{}", self.log_text()));
            }
            if let Ok(mut t) = TcpStream::connect(("127.0.0.1", self.port)) {
                let _ = t.set_read_timeout(Some(Duration::from_secs(2)));
                // Any reply will do (a server with a password answers -NOAUTH): it is up and serving.
                let mut buf = [0u8; 1];
                if t.write_all(b"PING\r\n").is_ok() && t.read_exact(&mut buf).is_ok() && matches!(buf[0], b'+' | b'-') {
                    return Ok(());
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("server did not start; log:\n{}", self.log_text()))
    }

    pub fn connect(&self) -> Conn {
        Conn::new(TcpStream::connect(("127.0.0.1", self.port)).unwrap())
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> i32 {
        self.child.as_ref().map(|c| c.id() as i32).unwrap_or(-1)
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: plain kill(2) on the child we spawned.
        unsafe { libc::kill(self.pid(), sig) };
    }

    /// Waits for the process to exit and returns its exit code.
    pub fn wait_exit(&mut self) -> Option<i32> {
        let mut child = self.child.take()?;
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(st) = child.try_wait().unwrap() {
                return st.code();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("server did not exit");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// A raw RESP connection.
pub struct Conn {
    pub s: Box<dyn ReadWrite>,
    buf: Vec<u8>,
}

pub trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

impl Conn {
    pub fn new(s: TcpStream) -> Conn {
        s.set_nodelay(true).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Conn { s: Box::new(s), buf: Vec::new() }
    }

    pub fn from_unix(s: std::os::unix::net::UnixStream) -> Conn {
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Conn { s: Box::new(s), buf: Vec::new() }
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.s.write_all(bytes).unwrap();
        self.s.flush().unwrap();
    }

    /// Encodes and sends one multibulk command.
    pub fn cmd(&mut self, args: &[&[u8]]) {
        self.send(&encode(args));
    }

    /// Reads exactly `n` bytes.
    pub fn read_exact(&mut self, n: usize) -> Vec<u8> {
        while self.buf.len() < n {
            let mut tmp = [0u8; 65536];
            let k = self.s.read(&mut tmp).unwrap();
            assert!(k > 0, "EOF after {:?}", String::from_utf8_lossy(&self.buf));
            self.buf.extend_from_slice(&tmp[..k]);
        }
        self.buf.drain(..n).collect()
    }

    /// Reads until `expected.len()` bytes arrived and asserts they are `expected`.
    pub fn expect(&mut self, expected: &[u8]) {
        let got = self.read_exact(expected.len());
        assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(expected));
    }

    /// Reads one reply line (through CRLF).
    pub fn read_line(&mut self) -> Vec<u8> {
        loop {
            if let Some(i) = self.buf.windows(2).position(|w| w == b"\r\n") {
                return self.buf.drain(..i + 2).collect();
            }
            let mut tmp = [0u8; 65536];
            let k = self.s.read(&mut tmp).unwrap();
            assert!(k > 0, "EOF after {:?}", String::from_utf8_lossy(&self.buf));
            self.buf.extend_from_slice(&tmp[..k]);
        }
    }

    /// Reads until the server closes the connection; returns what arrived.
    pub fn read_to_eof(&mut self) -> Vec<u8> {
        let mut out = std::mem::take(&mut self.buf);
        let mut tmp = [0u8; 65536];
        loop {
            match self.s.read(&mut tmp) {
                Ok(0) => return out,
                Ok(k) => out.extend_from_slice(&tmp[..k]),
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return out,
                Err(e) => panic!("read error before EOF: {e}; got {:?}", String::from_utf8_lossy(&out)),
            }
        }
    }
}

pub fn encode(args: &[&[u8]]) -> Vec<u8> {
    let mut v = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        v.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        v.extend_from_slice(a);
        v.extend_from_slice(b"\r\n");
    }
    v
}
