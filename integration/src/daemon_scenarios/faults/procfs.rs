//! What `/proc` says about processes: which run in a network namespace,
//! which are a process's children, whether they are zombies, and a
//! process's resident memory.

use std::os::unix::fs::MetadataExt;

use crate::error::{Error, Result};

/// One process, from `/proc/PID/stat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proc {
    /// Its PID.
    pub pid: u32,
    /// Its parent's PID.
    pub ppid: u32,
    /// Its command name (`comm`).
    pub comm: String,
    /// Its state letter (`R`, `S`, `Z`, ...).
    pub state: char,
}

impl Proc {
    /// Whether it has exited and waits to be reaped.
    pub fn zombie(&self) -> bool {
        self.state == 'Z'
    }
}

/// Every process running in the network namespace `/run/netns/NAME`.
pub fn in_network_namespace(name: &str) -> Result<Vec<Proc>> {
    let path = format!("/run/netns/{name}");
    let inode = std::fs::metadata(&path)
        .map_err(|e| Error::io(format!("stat {path}"), e))?
        .ino();
    let wanted = format!("net:[{inode}]");
    Ok(all()?
        .into_iter()
        .filter(|p| {
            std::fs::read_link(format!("/proc/{}/ns/net", p.pid))
                .is_ok_and(|link| link.to_string_lossy() == wanted)
        })
        .collect())
}

/// The children of `pid`.
pub fn children(pid: u32) -> Result<Vec<Proc>> {
    Ok(all()?.into_iter().filter(|p| p.ppid == pid).collect())
}

/// How many file descriptors `pid` has open.
pub fn open_fds(pid: u32) -> Result<usize> {
    let path = format!("/proc/{pid}/fd");
    let entries = std::fs::read_dir(&path).map_err(|e| Error::io(format!("list {path}"), e))?;
    Ok(entries.count())
}

/// The resident set size of `pid`, in KiB (`VmRSS` of `/proc/PID/status`).
pub fn rss_kib(pid: u32) -> Result<u64> {
    let path = format!("/proc/{pid}/status");
    let text = std::fs::read_to_string(&path).map_err(|e| Error::io(format!("read {path}"), e))?;
    text.lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .ok_or_else(|| Error::parse(path, "no VmRSS line"))
}

/// Every process whose `/proc/PID/stat` could be read (processes may exit
/// while the list is being made).
fn all() -> Result<Vec<Proc>> {
    let entries = std::fs::read_dir("/proc").map_err(|e| Error::io("list /proc", e))?;
    Ok(entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|pid| {
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
            parse_stat(pid, &stat)
        })
        .collect())
}

/// Parses `PID (COMM) STATE PPID ...`; `comm` may hold spaces and
/// parentheses, so it runs to the last `)`.
fn parse_stat(pid: u32, stat: &str) -> Option<Proc> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_owned();
    let mut rest = stat.get(close + 1..)?.split_whitespace();
    let state = rest.next()?.chars().next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some(Proc {
        pid,
        ppid,
        comm,
        state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stat_line_gives_the_command_state_and_parent_even_with_odd_names() {
        let proc = parse_stat(42, "42 (a (b) c) Z 7 42 42 0 -1").unwrap();
        assert_eq!(
            proc,
            Proc {
                pid: 42,
                ppid: 7,
                comm: "a (b) c".into(),
                state: 'Z'
            }
        );
        assert!(proc.zombie());
        assert!(parse_stat(1, "garbage").is_none());
    }

    #[test]
    fn this_process_has_a_resident_size_and_is_no_ones_zombie() {
        let me = std::process::id();
        assert!(rss_kib(me).unwrap() > 0);
        assert!(open_fds(me).unwrap() >= 3);
        assert!(children(me).unwrap().iter().all(|p| p.ppid == me));
    }
}
