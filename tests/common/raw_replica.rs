//! A replica's view of a master, for tests that compare replication streams: connect, `SYNC`, skip the RDB
//! (checking its magic), then read the raw command stream.

use std::io::{Read, Write};
use std::time::Duration;

pub struct RawReplica {
    s: std::net::TcpStream,
    buf: Vec<u8>,
}

impl RawReplica {
    pub fn connect(port: u16) -> RawReplica {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        s.write_all(b"SYNC\r\n").unwrap();
        let mut r = RawReplica { s, buf: Vec::new() };
        // Newlines while the RDB is made, then `$<len>\r\n` and the file.
        loop {
            while r.buf.first() == Some(&b'\n') {
                r.buf.remove(0);
            }
            if let Some(i) = r.buf.windows(2).position(|w| w == b"\r\n") {
                let len: usize = std::str::from_utf8(&r.buf[1..i]).unwrap().parse().unwrap();
                if r.buf.len() >= i + 2 + len {
                    assert_eq!(&r.buf[i + 2..i + 7], b"REDIS");
                    r.buf.drain(..i + 2 + len);
                    return r;
                }
            }
            r.more();
        }
    }

    fn more(&mut self) {
        let mut chunk = [0u8; 65536];
        let n = self.s.read(&mut chunk).expect("replication stream read");
        assert!(n > 0, "stream closed");
        self.buf.extend_from_slice(&chunk[..n]);
    }

    /// Closes the link (the master sees the replica go).
    pub fn close(&self) {
        let _ = self.s.shutdown(std::net::Shutdown::Both);
    }

    /// The stream up to and including the first occurrence of `end`.
    pub fn until(&mut self, end: &[u8]) -> Vec<u8> {
        loop {
            if let Some(i) = self.buf.windows(end.len()).position(|w| w == end) {
                let rest = self.buf.split_off(i + end.len());
                return std::mem::replace(&mut self.buf, rest);
            }
            self.more();
        }
    }
}
