//! The process's own series under their standard Prometheus names (`process_*`, as every
//! client library writes them), read from `/proc/self` at scrape time, and
//! `pixgate_build_info`. On a system without `/proc` the `process_*` series are left out
//! rather than reported as zeros.

use std::fmt::Write as _;

use super::exposition::metric;

/// `/proc`'s clock ticks per second (`USER_HZ`): fixed at 100 in the kernel's ABI on every
/// architecture Linux exposes `/proc/<pid>/stat` for, as Prometheus's own procfs reader assumes.
const TICKS_PER_SECOND: f64 = 100.0;

/// Every `process_*` family that can be read, then `pixgate_build_info`.
pub(super) fn write(out: &mut String) {
    if let Some(process) = Process::read() {
        process.write(out);
    }
    build_info(out);
}

/// What `/proc/self` says now; each field `None` when its file could not be read or parsed.
#[derive(Debug, Default, PartialEq)]
struct Process {
    cpu_seconds: Option<f64>,
    start_time_seconds: Option<f64>,
    resident_bytes: Option<u64>,
    virtual_bytes: Option<u64>,
    open_fds: Option<u64>,
    max_fds: Option<u64>,
}

impl Process {
    /// `None` where there is no `/proc/self` (not Linux, or not mounted).
    fn read() -> Option<Process> {
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
        let boot = std::fs::read_to_string("/proc/stat").unwrap_or_default();
        let stat = Stat::parse(&stat);
        let boot_time = boot_time(&boot);
        Some(Process {
            cpu_seconds: stat.map(|s| (s.utime + s.stime) as f64 / TICKS_PER_SECOND),
            start_time_seconds: stat
                .zip(boot_time)
                .map(|(s, boot)| boot as f64 + s.starttime as f64 / TICKS_PER_SECOND),
            resident_bytes: status_kib(&status, "VmRSS").map(|k| k * 1024),
            virtual_bytes: status_kib(&status, "VmSize").map(|k| k * 1024),
            open_fds: std::fs::read_dir("/proc/self/fd")
                .ok()
                .map(|entries| entries.count() as u64),
            max_fds: max_open_files(&limits),
        })
    }

    fn write(&self, out: &mut String) {
        let seconds = [
            (
                "process_cpu_seconds_total",
                "counter",
                "User and system CPU time spent, in seconds.",
                self.cpu_seconds,
            ),
            (
                "process_start_time_seconds",
                "gauge",
                "Start time of the process since the Unix epoch, in seconds.",
                self.start_time_seconds,
            ),
        ];
        for (name, kind, help, value) in seconds {
            if let Some(value) = value {
                let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
                let _ = writeln!(out, "{name} {value}");
            }
        }
        let counts = [
            (
                "process_resident_memory_bytes",
                "Resident memory size in bytes.",
                self.resident_bytes,
            ),
            (
                "process_virtual_memory_bytes",
                "Virtual memory size in bytes.",
                self.virtual_bytes,
            ),
            (
                "process_open_fds",
                "Number of open file descriptors.",
                self.open_fds,
            ),
            (
                "process_max_fds",
                "Maximum number of open file descriptors (the soft limit).",
                self.max_fds,
            ),
        ];
        for (name, help, value) in counts {
            if let Some(value) = value {
                metric(out, name, "gauge", help, &[("", value)]);
            }
        }
    }
}

/// The fields of `/proc/self/stat` that are read, in clock ticks.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Stat {
    utime: u64,
    stime: u64,
    /// Since boot.
    starttime: u64,
}

impl Stat {
    /// The command name (field 2) is in parentheses and may hold spaces or `)`, so fields are
    /// counted from after its last `)`: field 3 is the first there.
    fn parse(stat: &str) -> Option<Stat> {
        let after = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        let field = |n: usize| fields.get(n - 3)?.parse().ok();
        Some(Stat {
            utime: field(14)?,
            stime: field(15)?,
            starttime: field(22)?,
        })
    }
}

/// `btime` of `/proc/stat`: when the system booted, in Unix seconds.
fn boot_time(proc_stat: &str) -> Option<u64> {
    proc_stat
        .lines()
        .find_map(|line| line.strip_prefix("btime"))
        .and_then(|value| value.trim().parse().ok())
}

/// A `Name:   1234 kB` line of `/proc/self/status`, in KiB.
fn status_kib(status: &str, name: &str) -> Option<u64> {
    status.lines().find_map(|line| {
        let value = line.strip_prefix(name)?.strip_prefix(':')?;
        value.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// The soft limit of `Max open files` in `/proc/self/limits` (`None` when it is `unlimited`).
fn max_open_files(limits: &str) -> Option<u64> {
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))?;
    line["Max open files".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// `pixgate_build_info{version, rustc, nasm} 1`: which build is running, for joins in queries.
fn build_info(out: &mut String) {
    let version = env!("CARGO_PKG_VERSION");
    let rustc = env!("PIXGATE_RUSTC_VERSION");
    let nasm = cfg!(feature = "nasm");
    let labels = format!("version=\"{version}\",rustc=\"{rustc}\",nasm=\"{nasm}\"");
    metric(
        out,
        "pixgate_build_info",
        "gauge",
        "Always 1; the labels say which build is running.",
        &[(&labels, 1)],
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_from_after_the_command_name() {
        let stat = "4242 (pix gate) (x)) S 1 4242 4242 0 -1 4194560 1181 0 0 0 \
                    250 75 0 0 20 0 9 0 123456 98304000 5000 18446744073709551615";
        assert_eq!(
            Stat::parse(stat),
            Some(Stat {
                utime: 250,
                stime: 75,
                starttime: 123_456
            })
        );
        assert_eq!(Stat::parse("4242 (cut short) S 1"), None);
    }

    #[test]
    fn status_limits_and_boot_time_lines_are_read() {
        let status = "Name:\tpixgate\nVmSize:\t  812345 kB\nVmRSS:\t   20480 kB\n";
        assert_eq!(status_kib(status, "VmRSS"), Some(20_480));
        assert_eq!(status_kib(status, "VmSize"), Some(812_345));
        assert_eq!(status_kib(status, "VmHWM"), None);
        let limits = "Limit                     Soft Limit           Hard Limit           Units     \n\
                      Max processes             63414                63414                processes \n\
                      Max open files            1024                 524288               files     \n";
        assert_eq!(max_open_files(limits), Some(1024));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(max_open_files(unlimited), None);
        assert_eq!(
            boot_time("cpu  1 2 3\nbtime 1795488000\nprocesses 9\n"),
            Some(1_795_488_000)
        );
    }

    #[test]
    fn this_process_reads_itself_where_there_is_proc() {
        let Some(process) = Process::read() else {
            return;
        };
        assert!(process.resident_bytes.is_some_and(|b| b > 1024 * 1024));
        assert!(process.open_fds.is_some_and(|n| n >= 3));
        let mut out = String::new();
        process.write(&mut out);
        assert_eq!(out.matches("# TYPE process_").count(), 6, "{out}");
    }
}
