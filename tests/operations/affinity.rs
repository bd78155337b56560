//! `server_cpulist`, `bio_cpulist`, `bgsave_cpulist` and `aof_rewrite_cpulist` (src/sys/affinity.rs), checked on
//! ferredis and redis-server side by side: the event loop, the background threads and the fork children each run
//! on the CPUs their list names, read from `/proc/<pid>/task/<tid>/status` (Linux).

use crate::common;

use common::persist::wait_until;
use common::{Kind, Server};

/// `Cpus_allowed_list` of a thread or process status file.
fn allowed(status_path: &str) -> Option<String> {
    let status = std::fs::read_to_string(status_path).ok()?;
    status.lines().find_map(|l| l.strip_prefix("Cpus_allowed_list:")).map(|v| v.trim().to_string())
}

/// The CPUs this test process may run on, from a `Cpus_allowed_list` (`0-3,6`).
fn cpus_of(list: &str) -> Vec<usize> {
    let mut out = Vec::new();
    for item in list.split(',').filter(|s| !s.is_empty()) {
        match item.split_once('-') {
            Some((a, b)) => out.extend(a.parse::<usize>().unwrap_or(0)..=b.parse::<usize>().unwrap_or(0)),
            None => out.extend(item.parse::<usize>().ok()),
        }
    }
    out
}

/// (thread name, allowed CPUs) of every thread of `pid` but the main one.
fn other_threads(pid: u32) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/task")) else { return out };
    for t in dir.flatten() {
        let tid = t.file_name().to_string_lossy().into_owned();
        if tid == pid.to_string() {
            continue;
        }
        let name = std::fs::read_to_string(t.path().join("comm")).unwrap_or_default().trim().to_string();
        let cpus = allowed(&t.path().join("status").to_string_lossy()).unwrap_or_default();
        out.push((name, cpus));
    }
    out
}

/// The pid of a child process of `parent`, once there is one.
fn child_of(parent: u32) -> u32 {
    let mut found = 0;
    wait_until("a fork child", 20_000, || {
        found = std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
            .find(|pid| {
                let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
                // `pid (comm) state ppid ...`: the fields after the last ')'.
                let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
                rest.split_whitespace().nth(1).and_then(|p| p.parse::<u32>().ok()) == Some(parent)
            })
            .unwrap_or(0);
        found != 0
    });
    found
}

fn kill9(pid: u32) {
    // SAFETY: `pid` is the server's fork child this test found (it checked its parent); SIGKILL ends only it.
    unsafe { libc::kill(pid as i32, libc::SIGKILL) };
}

#[test]
fn each_part_of_the_server_runs_on_the_cpus_its_list_names() {
    if !crate::common::pair::have_redis() {
        return;
    }
    let Some(mine) = allowed("/proc/self/status") else {
        println!("skipped: no /proc/self/status Cpus_allowed_list (not Linux)");
        return;
    };
    let cpus = cpus_of(&mine);
    if cpus.len() < 2 {
        println!("skipped: this test needs two CPUs to tell the lists apart, and may use {mine}");
        return;
    }
    let (main_cpu, side_cpu) = (cpus[0].to_string(), cpus[1].to_string());
    let _serial = common::serial();
    for kind in [Kind::Ferredis, Kind::Redis] {
        let label = kind.label();
        let srv = Server::start(
            kind,
            &[
                "--server_cpulist",
                &main_cpu,
                "--bio_cpulist",
                &side_cpu,
                "--bgsave_cpulist",
                &side_cpu,
                "--aof_rewrite_cpulist",
                &side_cpu,
                "--rdb-key-save-delay",
                "100000",
            ],
        );
        let pid = srv.pid();
        let mut c = srv.conn();
        // A lazy free, so every kind of background thread ferredis starts on demand has started.
        assert_eq!(c.cmd(&["DEBUG", "POPULATE", "100"]), b"+OK\r\n");
        assert_eq!(c.cmd(&["FLUSHALL", "ASYNC"]), b"+OK\r\n");
        assert_eq!(c.cmd(&["DEBUG", "POPULATE", "100"]), b"+OK\r\n");
        assert_eq!(allowed(&format!("/proc/{pid}/status")).as_deref(), Some(main_cpu.as_str()), "{label}: event loop");
        // Redis's allocator has a thread of its own (jemalloc's background purge), which no list covers.
        let background = || -> Vec<(String, String)> {
            other_threads(pid)
                .into_iter()
                .filter(|(n, _)| !n.starts_with("io_thd") && !n.starts_with("jemalloc"))
                .collect()
        };
        // A thread names and pins itself once it runs (Redis's bio threads too): a just-started one may for a moment
        // still carry the process's name and the event loop's CPU.
        let mut seen = Vec::new();
        wait_until(&format!("{label}'s background threads on CPU {side_cpu}"), 5_000, || {
            seen = background();
            !seen.is_empty() && seen.iter().all(|(_, cpus)| cpus == &side_cpu)
        });
        assert!(!seen.is_empty(), "{label}: no background thread");
        for (name, cpus) in &seen {
            assert_eq!(cpus, &side_cpu, "{label}: background thread {name}");
        }
        for (what, cmd) in [("BGSAVE child", "BGSAVE"), ("AOF rewrite child", "BGREWRITEAOF")] {
            let reply = c.cmd(&[cmd]);
            assert!(reply.starts_with(b"+Background"), "{label} {cmd}: {}", String::from_utf8_lossy(&reply));
            let child = child_of(pid);
            // The child pins itself right after the fork; give it the moment.
            let mut seen = String::new();
            wait_until(&format!("{label}'s {what} on CPU {side_cpu}"), 5_000, || {
                seen = allowed(&format!("/proc/{child}/status")).unwrap_or_default();
                seen == side_cpu
            });
            kill9(child);
            wait_until(&format!("{label}: the {what} reaped"), 20_000, || {
                let info = c.cmd(&["INFO", "persistence"]);
                let text = String::from_utf8_lossy(&info);
                text.contains("rdb_bgsave_in_progress:0") && text.contains("aof_rewrite_in_progress:0")
            });
        }
    }
}
