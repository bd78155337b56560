//! The user scripts a sentinel runs (Redis's `sentinelScheduleScriptExecution` and friends):
//!
//! - `notification-script <path>`: for every warning-level event about a master or one of its instances, run as
//!   `<path> <event> <description>`;
//! - `client-reconfig-script <path>`: when a master changes address, run as `<path> <master-name> <leader|observer>
//!   start <from-ip> <from-port> <to-ip> <to-port>`.
//!
//! Runs are queued (at most [`SCRIPT_MAX_QUEUE`]; when full, the oldest waiting one is dropped), at most
//! [`SCRIPT_MAX_RUNNING`] at once, each killed after `script-max-runtime`. A run that exits with 1 or dies of a
//! signal is retried after `script-retry-delay`, doubling each time, up to [`SCRIPT_MAX_RETRY`] runs; any other
//! non-zero exit is a `-script-error` event. A script that cannot be executed exits with 2 (the child's status when
//! `execv` fails, as in Redis), so it is not retried.
//!
//! The children are started with [`sys::process::spawn`](crate::sys::process::spawn) (fork and exec, as Redis) and
//! reaped by their pid (nothing in the server waits for arbitrary children), checked on every timer run.

use super::Sentinel;
use crate::sys::process::{self, ExitStatus};

/// Redis's `SENTINEL_SCRIPT_MAX_QUEUE`, `_MAX_RUNNING`, `_MAX_RETRY`.
pub const SCRIPT_MAX_QUEUE: usize = 256;
pub const SCRIPT_MAX_RUNNING: usize = 16;
pub const SCRIPT_MAX_RETRY: u32 = 10;

/// One script run, waiting or running.
pub struct ScriptJob {
    pub argv: Vec<String>,
    /// How many times it was started.
    pub retry_num: u32,
    /// Running: when it started; waiting: not before this time (0: at once).
    pub start_time: i64,
    /// The running child.
    pub pid: Option<i32>,
}

impl ScriptJob {
    pub fn running(&self) -> bool {
        self.pid.is_some()
    }

    pub fn pid(&self) -> i32 {
        self.pid.unwrap_or(0)
    }
}

impl Sentinel {
    /// Queues a run of `argv[0]` with the other arguments.
    pub fn schedule_script(&mut self, argv: Vec<String>) {
        self.scripts_queue.push_back(ScriptJob { argv, retry_num: 0, start_time: 0, pid: None });
        if self.scripts_queue.len() > SCRIPT_MAX_QUEUE {
            if let Some(pos) = self.scripts_queue.iter().position(|j| !j.running()) {
                self.scripts_queue.remove(pos);
            }
        }
    }

    /// Runs `client-reconfig-script` of master `name`, if it has one, for its move from `from` to `to`.
    pub fn call_client_reconf_script(&mut self, name: &str, leader: bool, from: &super::Addr, to: &super::Addr) {
        let Some(script) = self.master(name).and_then(|m| m.client_reconfig_script.clone()) else { return };
        let role = if leader { "leader" } else { "observer" };
        let argv = vec![
            script,
            name.to_string(),
            role.to_string(),
            "start".to_string(),
            self.announce(from).to_string(),
            from.port.to_string(),
            self.announce(to).to_string(),
            to.port.to_string(),
        ];
        self.schedule_script(argv);
    }

    /// Starts the runs that are due, reaps the finished ones and kills those over their time (Redis's
    /// `sentinelRunPendingScripts`, `sentinelCollectTerminatedScripts`, `sentinelKillTimedoutScripts`).
    pub fn scripts_step(&mut self, now: i64) {
        self.run_pending_scripts(now);
        self.collect_terminated_scripts(now);
        self.kill_timed_out_scripts(now);
    }

    fn run_pending_scripts(&mut self, now: i64) {
        let mut failed_to_start = Vec::new();
        for (i, job) in self.scripts_queue.iter_mut().enumerate() {
            if self.running_scripts >= SCRIPT_MAX_RUNNING {
                break;
            }
            if job.running() || (job.start_time != 0 && job.start_time > now) {
                continue;
            }
            job.start_time = now;
            job.retry_num += 1;
            match process::spawn(&job.argv) {
                Ok(pid) => {
                    crate::log_debug!("+script-child {pid}");
                    job.pid = Some(pid);
                    self.running_scripts += 1;
                }
                Err(_) => failed_to_start.push(i),
            }
        }
        for i in failed_to_start.into_iter().rev() {
            if let Some(job) = self.scripts_queue.remove(i) {
                // Redis reports a failed fork as "99 0".
                self.publish_event(true, "-script-error", format!("{} 99 0", job.argv[0]));
            }
        }
    }

    fn collect_terminated_scripts(&mut self, now: i64) {
        let retry_delay = self.timing.script_retry_delay;
        let mut i = 0;
        while i < self.scripts_queue.len() {
            let job = &mut self.scripts_queue[i];
            let (code, signal) = match job.pid.map(process::try_wait) {
                Some(Ok(Some(ExitStatus::Exited(code)))) => (code, 0),
                Some(Ok(Some(ExitStatus::Signaled(sig)))) => (0, sig),
                // Reaped by someone else: nothing more to learn about it.
                Some(Err(_)) => (0, 0),
                _ => {
                    i += 1;
                    continue;
                }
            };
            crate::log_debug!("-script-child {} {code} {signal}", job.pid());
            job.pid = None;
            self.running_scripts = self.running_scripts.saturating_sub(1);
            if (signal != 0 || code == 1) && job.retry_num != SCRIPT_MAX_RETRY {
                // Retried later, each delay twice the previous one.
                let doublings = job.retry_num.saturating_sub(1).min(30);
                job.start_time = now.saturating_add(retry_delay.saturating_mul(1 << doublings));
                i += 1;
                continue;
            }
            let path = job.argv[0].clone();
            self.scripts_queue.remove(i);
            if signal != 0 || code != 0 {
                self.publish_event(true, "-script-error", format!("{path} {signal} {code}"));
            }
        }
    }

    fn kill_timed_out_scripts(&mut self, now: i64) {
        let max = self.timing.script_max_runtime;
        let mut timed_out = Vec::new();
        for job in self.scripts_queue.iter_mut() {
            if job.running() && now - job.start_time > max {
                timed_out.push(format!("{} {}", job.argv[0], job.pid()));
                let _ = process::kill(job.pid(), libc::SIGKILL);
            }
        }
        for t in timed_out {
            self.publish_event(true, "-script-timeout", t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_is_bounded_and_runs_are_reaped() {
        let mut s = Sentinel::new(26379, 0);
        for _ in 0..SCRIPT_MAX_QUEUE + 5 {
            s.schedule_script(vec!["/bin/true".into()]);
        }
        assert_eq!(s.scripts_queue.len(), SCRIPT_MAX_QUEUE);
        s.scripts_queue.clear();
        s.schedule_script(vec!["/bin/sh".into(), "-c".into(), "exit 3".into()]);
        s.schedule_script(vec!["/nonexistent/script".into()]);
        s.scripts_step(1);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !s.scripts_queue.is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(10));
            s.scripts_step(2);
        }
        assert!(s.scripts_queue.is_empty());
        assert_eq!(s.running_scripts, 0);
        assert!(s.events.iter().any(|(k, m)| k == "-script-error" && m == "/bin/sh 0 3"), "{:?}", s.events);
        // A program that cannot be executed: its child exits with 2, which is not retried.
        assert!(s.events.iter().any(|(k, m)| k == "-script-error" && m == "/nonexistent/script 0 2"), "{:?}", s.events);
    }
}
