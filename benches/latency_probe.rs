//! Tail-latency prober for benches/tail_latency.sh: how long a lone client waits for `PING` while a
//! server is loaded, grows its keyspace, saves, expires or frees. Standard library only.
//!
//! It opens its own connection to 127.0.0.1:<port> and sends `PING` every <interval_ms> milliseconds (default 2),
//! one request in flight. Sends are scheduled on absolute deadlines (start + k * interval): a slow reply does not
//! shift the schedule; deadlines that passed while waiting for a reply are skipped, so a pause of S ms shows as
//! one sample of about S ms (the maximum measures the longest pause; the high percentiles how often they happen).
//! Each round trip (write to complete `+PONG` reply) is recorded in microseconds.
//!
//! It stops when it reads a line on its standard input, or when standard input closes (unless a duration was
//! given), or after [duration_s] seconds, then prints one line with exact percentiles (nearest rank) of the sorted
//! samples:
//!
//! `samples=<n> p50_us=<..> p99_us=<..> p99.9_us=<..> max_us=<..>`
//!
//! With `PROBE_SAMPLES_FILE=<path>` in its environment it also writes every sample there, sorted, one round trip
//! in microseconds per line (benches/tail_latency.sh pools the runs of a scenario from these).
//!
//! If the connection breaks (or no reply comes within 300 s) it says so on standard error and exits with status 1.
//!
//! Usage: `latency_probe <port> [interval_ms] [duration_s]` (or `cargo bench --bench latency_probe -- <port> ..`).

use std::io::{self, BufRead, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const PING: &[u8] = b"*1\r\n$4\r\nPING\r\n";
const PONG: &[u8] = b"+PONG\r\n";
const REPLY_TIMEOUT: Duration = Duration::from_secs(300);

struct Args {
    port: u16,
    interval: Duration,
    duration: Option<Duration>,
}

fn parse_args() -> Result<Args, String> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    if args.is_empty() || args.len() > 3 {
        return Err("usage: latency_probe <port> [interval_ms] [duration_s]".to_string());
    }
    let port = args[0].parse::<u16>().map_err(|e| format!("bad port {:?}: {e}", args[0]))?;
    let interval_ms = match args.get(1) {
        Some(s) => s.parse::<f64>().map_err(|e| format!("bad interval_ms {s:?}: {e}"))?,
        None => 2.0,
    };
    if !(interval_ms > 0.0 && interval_ms.is_finite()) {
        return Err(format!("interval_ms must be positive, got {interval_ms}"));
    }
    let duration = match args.get(2) {
        Some(s) => {
            let secs = s.parse::<f64>().map_err(|e| format!("bad duration_s {s:?}: {e}"))?;
            if !(secs > 0.0 && secs.is_finite()) {
                return Err(format!("duration_s must be positive, got {secs}"));
            }
            Some(Duration::from_secs_f64(secs))
        }
        None => None,
    };
    Ok(Args { port, interval: Duration::from_secs_f64(interval_ms / 1000.0), duration })
}

/// One PING round trip; the reply must be exactly `+PONG\r\n`.
fn ping(conn: &mut TcpStream, buf: &mut [u8; 64]) -> Result<(), String> {
    conn.write_all(PING).map_err(|e| format!("write failed: {e}"))?;
    let mut got = 0;
    while got < PONG.len() {
        match conn.read(&mut buf[got..]) {
            Ok(0) => return Err("server closed the connection".to_string()),
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                return Err(format!("no reply within {} s", REPLY_TIMEOUT.as_secs()));
            }
            Err(e) => return Err(format!("read failed: {e}")),
        }
    }
    if &buf[..got] != PONG {
        return Err(format!("unexpected reply {:?}", String::from_utf8_lossy(&buf[..got])));
    }
    Ok(())
}

/// Nearest-rank percentile of sorted samples (p in 0..=100).
fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn main() -> ExitCode {
    if std::env::args().skip(1).all(|a| a == "--bench") {
        // `cargo test --all-targets` runs bench targets without arguments: nothing to probe.
        eprintln!("usage: latency_probe <port> [interval_ms] [duration_s]");
        return ExitCode::SUCCESS;
    }
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("latency_probe: {e}");
            return ExitCode::from(2);
        }
    };
    let mut conn = match TcpStream::connect(("127.0.0.1", args.port)) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("latency_probe: connect to 127.0.0.1:{} failed: {e}", args.port);
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = conn.set_nodelay(true).and_then(|()| conn.set_read_timeout(Some(REPLY_TIMEOUT))) {
        eprintln!("latency_probe: socket setup failed: {e}");
        return ExitCode::FAILURE;
    }

    // Standard input: a line stops the run; its end does too, unless a duration bounds the run.
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        let stop_at_eof = args.duration.is_none();
        thread::spawn(move || {
            let mut line = String::new();
            match io::stdin().lock().read_line(&mut line) {
                Ok(0) if !stop_at_eof => {}
                _ => stop.store(true, Ordering::Relaxed),
            }
        });
    }

    let mut buf = [0u8; 64];
    let mut samples: Vec<u64> = Vec::with_capacity(1 << 16);
    let start = Instant::now();
    let end = args.duration.map(|d| start + d);
    let mut deadline = start;
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if end.is_some_and(|e| now >= e) {
            break;
        }
        if deadline > now {
            thread::sleep(deadline - now);
        }
        let t0 = Instant::now();
        if let Err(e) = ping(&mut conn, &mut buf) {
            eprintln!(
                "latency_probe: connection to 127.0.0.1:{} broke after {} samples ({:.1} s): {e}",
                args.port,
                samples.len(),
                start.elapsed().as_secs_f64()
            );
            return ExitCode::FAILURE;
        }
        let t1 = Instant::now();
        samples.push(u64::try_from((t1 - t0).as_micros()).unwrap_or(u64::MAX));
        // Next deadline on the fixed grid, skipping any that passed while this request was out.
        deadline += args.interval;
        if deadline <= t1 {
            let behind = (t1 - deadline).as_nanos() / args.interval.as_nanos().max(1) + 1;
            deadline += args.interval * u32::try_from(behind).unwrap_or(u32::MAX);
        }
    }

    samples.sort_unstable();
    if let Some(path) = std::env::var_os("PROBE_SAMPLES_FILE") {
        let text: String = samples.iter().map(|s| format!("{s}\n")).collect();
        if let Err(e) = std::fs::write(&path, text) {
            eprintln!("latency_probe: cannot write {}: {e}", path.to_string_lossy());
            return ExitCode::FAILURE;
        }
    }
    println!(
        "samples={} p50_us={} p99_us={} p99.9_us={} max_us={}",
        samples.len(),
        percentile(&samples, 50.0),
        percentile(&samples, 99.0),
        percentile(&samples, 99.9),
        samples.last().copied().unwrap_or(0)
    );
    ExitCode::SUCCESS
}
