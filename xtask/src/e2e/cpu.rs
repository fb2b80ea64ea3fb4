//! CPU time per thread group, read from `/proc/self/task/*/stat`.
//!
//! Client and emulator run in this one process, on threads named apart
//! (`qbc-*` for the client, `qbe-*` for the emulator), so each side's CPU
//! time is the sum over its threads. `getrusage` would need `unsafe` (FFI)
//! and only gives the whole process; `/proc` gives each thread.

use std::fs;

/// Name prefix of every client thread.
pub(crate) const CLIENT: &str = "qbc-";
/// Name prefix of every emulator thread.
pub(crate) const EMULATOR: &str = "qbe-";

/// Linux reports `utime` and `stime` in USER_HZ ticks, 100 per second on
/// every architecture Rust targets (the kernel ABI fixes it; `getconf
/// CLK_TCK` prints it). So one reading is exact to 10 ms: runs are long
/// enough that this is a percent or less of what they measure.
const TICKS_PER_SECOND: f64 = 100.0;

/// CPU seconds used so far by the client's and the emulator's threads.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct CpuTimes {
    pub(crate) client_secs: f64,
    pub(crate) emulator_secs: f64,
}

impl CpuTimes {
    /// Reads every thread of this process now.
    pub(crate) fn now() -> Result<Self, String> {
        let tasks = fs::read_dir("/proc/self/task")
            .map_err(|e| format!("cannot read /proc/self/task: {e}"))?;
        let mut times = Self::default();
        for task in tasks.flatten() {
            let path = task.path();
            // A thread may end between listing and reading: skip it.
            let (Ok(comm), Ok(stat)) = (
                fs::read_to_string(path.join("comm")),
                fs::read_to_string(path.join("stat")),
            ) else {
                continue;
            };
            let Some(ticks) = cpu_ticks(&stat) else {
                return Err(format!("unexpected format of {}/stat", path.display()));
            };
            let secs = ticks as f64 / TICKS_PER_SECOND;
            let comm = comm.trim();
            if comm.starts_with(CLIENT) {
                times.client_secs += secs;
            } else if comm.starts_with(EMULATOR) {
                times.emulator_secs += secs;
            }
        }
        Ok(times)
    }

    /// What was used between `earlier` and `self`.
    pub(crate) fn since(self, earlier: Self) -> Self {
        Self {
            client_secs: self.client_secs - earlier.client_secs,
            emulator_secs: self.emulator_secs - earlier.emulator_secs,
        }
    }
}

/// `utime + stime` from a `stat` line. The command name (field 2) is in
/// parentheses and may hold spaces, so fields are counted after the last
/// `)`: state is the first there, utime the 12th, stime the 13th.
fn cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_utime_plus_stime_even_with_odd_names() {
        let stat = "4242 (qbc-worker) x) S 1 2 3 4 5 6 7 8 9 10 150 25 0 0 20 0 1 0";
        assert_eq!(cpu_ticks(stat), Some(175));
        assert_eq!(cpu_ticks("garbage"), None);
        assert_eq!(cpu_ticks("1 (x) S 1 2"), None);
    }

    #[test]
    fn this_threads_cpu_time_grows_under_its_name() {
        // Spin until the thread's own CPU time has grown, not for a fixed
        // wall time: on a busy machine 300 ms of wall time can be 90 ms of
        // CPU. What is checked does not depend on scheduling: the time is
        // counted as the client's (by the thread's name), never the
        // emulator's, and one thread never uses more CPU than wall time.
        const ENOUGH_SECS: f64 = 0.1;
        let spin = std::thread::Builder::new()
            .name(format!("{CLIENT}spin"))
            .spawn(|| {
                let before = CpuTimes::now().unwrap();
                let start = std::time::Instant::now();
                let mut x = 0u64;
                loop {
                    for _ in 0..100_000 {
                        x = std::hint::black_box(x.wrapping_add(1));
                    }
                    let used = CpuTimes::now().unwrap().since(before);
                    // The deadline only ends a hung run; it is never reached.
                    if used.client_secs >= ENOUGH_SECS || start.elapsed().as_secs() >= 120 {
                        return (used, start.elapsed().as_secs_f64());
                    }
                }
            })
            .unwrap();
        let (used, wall_secs) = spin.join().unwrap();
        assert!(
            used.client_secs >= ENOUGH_SECS,
            "{wall_secs:.1} s of spinning counted {used:?}"
        );
        // Two ticks of slack: utime and stime are each rounded down to 10 ms.
        assert!(
            used.client_secs <= wall_secs + 2.0 / TICKS_PER_SECOND,
            "{used:?} in {wall_secs} s"
        );
        assert_eq!(used.emulator_secs, 0.0);
    }
}
