//! CPU time the bench's servers spent, read per thread from `/proc/self/task` (Linux):
//! every thread of this process except the load generator's.
//!
//! Throughput on a small machine moves with whatever else the machine does; the CPU a
//! server spends per delivery moves much less, so the bench prints both.

use std::collections::HashMap;
use std::time::Duration;

/// The name of the threads the servers' runtimes run on; the bench names them so.
pub const SERVER_RUNTIME_THREAD: &str = "bench-server";

/// The thread name tokio gives the CLI runtime's threads, where the load generator runs.
const CLIENT_RUNTIME_THREAD: &str = "tokio-rt-worker";

/// Linux reports `utime` and `stime` in clock ticks of 1/100 s (`USER_HZ`).
const TICKS_PER_SECOND: u64 = 100;

/// CPU ticks used so far by each server thread, by thread id: every thread of this
/// process but the main thread and the CLI runtime's, which run the load generator.
#[derive(Debug, Clone, Default)]
pub struct ServerCpu {
    ticks: HashMap<u32, u64>,
}

impl ServerCpu {
    /// Reads every thread's ticks now; `None` where `/proc` does not tell (not Linux).
    pub fn read() -> Option<Self> {
        let main_thread = std::process::id();
        let mut ticks = HashMap::new();
        for entry in std::fs::read_dir("/proc/self/task").ok()? {
            let Ok(entry) = entry else { continue };
            let Some(tid) = entry.file_name().to_str().and_then(|t| t.parse().ok()) else {
                continue;
            };
            if tid == main_thread {
                continue;
            }
            let path = entry.path();
            let Ok(name) = std::fs::read_to_string(path.join("comm")) else {
                continue; // exited meanwhile
            };
            if name.trim_end() == CLIENT_RUNTIME_THREAD {
                continue;
            }
            if let Some(thread_ticks) = std::fs::read_to_string(path.join("stat"))
                .ok()
                .and_then(|stat| cpu_ticks(&stat))
            {
                ticks.insert(tid, thread_ticks);
            }
        }
        Some(Self { ticks })
    }

    /// CPU the server threads used between `earlier` and this reading. A thread that
    /// exited in between is missed; the bench's servers keep theirs for the whole run.
    pub fn since(&self, earlier: &ServerCpu) -> Duration {
        let ticks: u64 = self
            .ticks
            .iter()
            .map(|(tid, now)| now.saturating_sub(earlier.ticks.get(tid).copied().unwrap_or(0)))
            .sum();
        Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND)
    }

    /// Whether thread `tid` was counted as a server thread.
    #[cfg(test)]
    fn counts(&self, tid: u32) -> bool {
        self.ticks.contains_key(&tid)
    }
}

/// `utime + stime` from one `/proc/…/stat` line. The name field may hold spaces and
/// parentheses, so the fields are counted from its closing parenthesis.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // After the name: state, ppid, pgrp, session, tty_nr, tpgid, flags, minflt,
    // cminflt, majflt, cmajflt, then utime and stime.
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn reads_user_and_system_ticks_past_a_name_with_spaces_and_parentheses() {
        let stat = "4242 (actix-server (w) 1) S 1 4242 4242 0 -1 4194368 120 0 0 0 37 5 0 0 20 0 6 0 100 0 0";
        assert_eq!(cpu_ticks(stat), Some(42));
        assert_eq!(cpu_ticks("4242 (short) S 1 2"), None);
        assert_eq!(cpu_ticks("no name field"), None);
    }

    /// This thread's id and CPU ticks.
    fn own() -> (u32, u64) {
        let link = std::fs::read_link("/proc/thread-self").expect("/proc/thread-self");
        let tid = link
            .file_name()
            .and_then(|t| t.to_str())
            .and_then(|t| t.parse().ok())
            .expect("a thread id");
        let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("own stat");
        (tid, cpu_ticks(&stat).expect("own ticks"))
    }

    /// Starts a thread named `name` that spins until it has used 300 ms of CPU, however
    /// busy the machine, then sends its id and stays alive until `exit` is dropped.
    fn spinner(name: &str, exit: mpsc::Receiver<()>) -> (u32, std::thread::JoinHandle<()>) {
        let (spun, spun_rx) = mpsc::channel();
        let handle = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let (tid, start) = own();
                let mut x = 0u64;
                while own().1 < start + 30 {
                    for _ in 0..100_000 {
                        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
                    }
                }
                spun.send(tid).expect("send");
                let _ = exit.recv();
            })
            .expect("spawn");
        (spun_rx.recv().expect("the spinner finished"), handle)
    }

    #[test]
    fn counts_server_threads_and_not_the_load_generators() {
        let Some(before) = ServerCpu::read() else {
            eprintln!("skipped: /proc/self/task is not readable here (not Linux)");
            return;
        };
        let (exit, exit_rx) = mpsc::channel::<()>();
        let (exit_client, exit_client_rx) = mpsc::channel::<()>();
        let (server, server_handle) = spinner(SERVER_RUNTIME_THREAD, exit_rx);
        let (client, client_handle) = spinner(CLIENT_RUNTIME_THREAD, exit_client_rx);
        let after = ServerCpu::read().expect("read");
        drop((exit, exit_client));
        server_handle.join().expect("join");
        client_handle.join().expect("join");

        assert!(after.counts(server));
        assert!(!after.counts(client));
        assert!(!after.counts(std::process::id()));
        // The server spinner's 300 ms at least; other tests' threads may add to it.
        let used = after.since(&before);
        assert!(used >= Duration::from_millis(290), "{used:?}");
    }
}
