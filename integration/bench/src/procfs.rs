//! What `/proc` says about a speaker: peak and current resident memory
//! (`VmHWM`, `VmRSS` of `/proc/PID/status`), CPU time (`utime + stime`, and
//! the same of its reaped children, from `/proc/PID/stat`), proportional
//! memory (`Pss` of `/proc/PID/smaps_rollup`), and its descendants (ExaBGP
//! runs its health checks as child processes), which are killed by PID.

use std::collections::BTreeMap;
use std::time::Duration;

use announcer_harness::error::{Error, Result};

/// Clock ticks per second of `/proc/PID/stat` times (`USER_HZ`, fixed at
/// 100 in Linux's ABI for every architecture this runs on).
const TICKS_PER_SECOND: u64 = 100;

/// Memory figures of `/proc/PID/status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Memory {
    /// `VmHWM`: the peak resident set, in KiB.
    pub peak_kib: u64,
    /// `VmRSS`: the resident set now, in KiB.
    pub now_kib: u64,
}

/// The fields of `/proc/PID/stat` the benchmark uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    /// The command name (`comm`, at most 15 bytes).
    pub comm: String,
    /// The parent's PID.
    pub ppid: u32,
    /// `utime + stime`, in ticks.
    pub own_ticks: u64,
    /// `cutime + cstime` (children waited for), in ticks.
    pub children_ticks: u64,
}

impl Stat {
    /// Own and reaped children's CPU time together, in ticks.
    pub fn total_ticks(&self) -> u64 {
        self.own_ticks + self.children_ticks
    }
}

/// `VmHWM` and `VmRSS` of process `pid`.
pub fn memory(pid: u32) -> Result<Memory> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(format!("read {path}"), e))?;
    parse_memory(&text).map_err(|detail| Error::parse(path, detail))
}

/// The `/proc/PID/stat` of `pid`.
pub fn stat(pid: u32) -> Result<Stat> {
    let path = format!("/proc/{pid}/stat");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(format!("read {path}"), e))?;
    parse_stat(&text).map_err(|detail| Error::parse(path, detail))
}

/// Every process now, by PID (processes that vanish while being read are
/// left out).
pub fn all_processes() -> Result<BTreeMap<u32, Stat>> {
    let entries = std::fs::read_dir("/proc").map_err(|e| Error::io("list /proc", e))?;
    Ok(entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| Some((pid, stat(pid).ok()?)))
        .collect())
}

/// `pid` and all its descendants now (children, their children, ...).
pub fn tree(pid: u32) -> Result<Vec<u32>> {
    Ok(descendants(pid, &all_processes()?))
}

/// `root` and its descendants among `processes`, `root` first.
fn descendants(root: u32, processes: &BTreeMap<u32, Stat>) -> Vec<u32> {
    let mut out = vec![root];
    let mut next = 0;
    while let Some(&parent) = out.get(next) {
        out.extend(
            processes
                .iter()
                .filter(|(_, stat)| stat.ppid == parent)
                .map(|(&pid, _)| pid),
        );
        next += 1;
        if next > processes.len() {
            break;
        }
    }
    out
}

/// The CPU time `pid` and its descendants have used so far (each one's own
/// and its reaped children's).
pub fn tree_cpu(pid: u32) -> Result<Duration> {
    let processes = all_processes()?;
    let ticks: u64 = descendants(pid, &processes)
        .iter()
        .filter_map(|p| processes.get(p))
        .map(Stat::total_ticks)
        .sum();
    Ok(ticks_to_duration(ticks))
}

/// The summed `Pss` (proportional set size: shared pages split between
/// their users) of `pid` and its descendants, in KiB.
pub fn tree_pss_kib(pid: u32) -> Result<u64> {
    let mut total = 0;
    for p in tree(pid)? {
        let path = format!("/proc/{p}/smaps_rollup");
        if let Ok(text) = std::fs::read_to_string(&path) {
            total += parse_pss(&text).map_err(|detail| Error::parse(path, detail))?;
        }
    }
    Ok(total)
}

/// Sends SIGKILL by PID to every descendant of `pid` (not `pid` itself,
/// whose guard kills and reaps it), deepest first, so none is left running
/// in a namespace about to be deleted.
pub fn kill_descendants(pid: u32) {
    let Ok(processes) = all_processes() else {
        return;
    };
    for p in descendants(pid, &processes).iter().skip(1).rev() {
        if let Ok(raw) = i32::try_from(*p) {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(raw),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// Ticks of `/proc/PID/stat` as a duration.
pub fn ticks_to_duration(ticks: u64) -> Duration {
    Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND)
}

/// Reads `VmHWM:` and `VmRSS:` (in kB) from `/proc/PID/status`.
fn parse_memory(text: &str) -> std::result::Result<Memory, String> {
    let field = |name: &str| -> std::result::Result<u64, String> {
        let line = text
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .ok_or_else(|| format!("no {name}"))?;
        let number = line.split_whitespace().next().unwrap_or_default();
        number
            .parse()
            .map_err(|e| format!("{name} {number:?}: {e}"))
    };
    Ok(Memory {
        peak_kib: field("VmHWM:")?,
        now_kib: field("VmRSS:")?,
    })
}

/// Parses `/proc/PID/stat`: `pid (comm) state ppid ...`, where `comm` may
/// hold spaces and parentheses, so fields are counted after the last `)`.
fn parse_stat(text: &str) -> std::result::Result<Stat, String> {
    let open = text.find('(').ok_or("no (comm)")?;
    let close = text.rfind(')').ok_or("no (comm)")?;
    let comm = text.get(open + 1..close).ok_or("bad (comm)")?.to_owned();
    let rest: Vec<&str> = text
        .get(close + 1..)
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    // After the comm: state(0) ppid(1) ... utime(11) stime(12) cutime(13) cstime(14).
    let number = |index: usize| -> std::result::Result<u64, String> {
        let field = rest.get(index).ok_or_else(|| format!("no field {index}"))?;
        field
            .parse()
            .map_err(|e| format!("field {index} {field:?}: {e}"))
    };
    Ok(Stat {
        comm,
        ppid: u32::try_from(number(1)?).map_err(|e| e.to_string())?,
        own_ticks: number(11)? + number(12)?,
        children_ticks: number(13)? + number(14)?,
    })
}

/// Reads `Pss:` (in kB) from `/proc/PID/smaps_rollup`.
fn parse_pss(text: &str) -> std::result::Result<u64, String> {
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix("Pss:"))
        .ok_or("no Pss")?;
    let number = line.split_whitespace().next().unwrap_or_default();
    number.parse().map_err(|e| format!("Pss {number:?}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_gives_peak_and_current_resident_memory() {
        let text =
            "Name:\tannouncer\nVmPeak:\t  20000 kB\nVmHWM:\t    6144 kB\nVmRSS:\t    5120 kB\n";
        assert_eq!(
            parse_memory(text).unwrap(),
            Memory {
                peak_kib: 6144,
                now_kib: 5120
            }
        );
        assert!(parse_memory("Name:\tx\n").is_err());
    }

    #[test]
    fn stat_fields_are_counted_after_the_last_parenthesis() {
        let text = "4242 (a (weird) name) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 7 3 20 0 1 0 100 1000 200\n";
        let stat = parse_stat(text).unwrap();
        assert_eq!(stat.comm, "a (weird) name");
        assert_eq!(stat.ppid, 17);
        assert_eq!(stat.own_ticks, 300);
        assert_eq!(stat.children_ticks, 10);
        assert_eq!(
            ticks_to_duration(stat.total_ticks()),
            Duration::from_millis(3100)
        );
        assert!(parse_stat("12 (short) S 1").is_err());
    }

    #[test]
    fn the_tree_of_a_process_holds_its_descendants_only() {
        let stat = |ppid| Stat {
            comm: "x".into(),
            ppid,
            own_ticks: 0,
            children_ticks: 0,
        };
        let processes: BTreeMap<u32, Stat> = [
            (1, stat(0)),
            (10, stat(1)),
            (11, stat(10)),
            (12, stat(10)),
            (13, stat(12)),
            (20, stat(1)),
        ]
        .into_iter()
        .collect();
        assert_eq!(descendants(10, &processes), vec![10, 11, 12, 13]);
        assert_eq!(descendants(20, &processes), vec![20]);
    }

    #[test]
    fn smaps_rollup_gives_the_proportional_set_size() {
        let text = "55d0-7ffd ---p 00000000 00:00 0 [rollup]\nRss:    9000 kB\nPss:    4321 kB\nPss_Anon:   100 kB\n";
        assert_eq!(parse_pss(text).unwrap(), 4321);
        assert!(parse_pss("Rss: 1 kB\n").is_err());
    }

    #[test]
    fn this_process_can_be_read() {
        let pid = std::process::id();
        assert!(memory(pid).unwrap().peak_kib > 0);
        assert!(tree(pid).unwrap().starts_with(&[pid]));
        assert!(stat(pid).unwrap().ppid > 0);
    }
}
