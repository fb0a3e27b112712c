//! What a lab has made, on disk: `/run/announcer-lab/<lab>/state.json`,
//! rewritten (atomically) as each namespace, link and process is created, so
//! `lab down` from a fresh shell can undo a lab whose `lab up` was killed.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::role::Role;
use crate::error::{Error, Result};

/// Where every lab keeps its state and its nodes' directories.
pub const ROOT: &str = "/run/announcer-lab";

/// The name of the state file in a lab's directory.
const FILE: &str = "state.json";

/// The directory of lab `lab`.
pub fn lab_dir(lab: &str) -> PathBuf {
    Path::new(ROOT).join(lab)
}

/// The directory of node `node` of lab `lab` (logs, sockets, pid files,
/// generated configs).
pub fn node_dir(lab: &str, node: &str) -> PathBuf {
    lab_dir(lab).join(node)
}

/// Everything a lab has created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    /// The lab's name.
    pub lab: String,
    /// The topology file it was brought up from.
    pub topology: PathBuf,
    /// Its nodes, each recorded just before its namespace is created.
    pub nodes: Vec<NodeRecord>,
    /// Its links (`a:if <-> b:if`), recorded once created.
    pub links: Vec<String>,
    /// Its processes, recorded as soon as each is spawned.
    pub processes: Vec<ProcessRecord>,
}

/// A node of a running lab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeRecord {
    /// The node's name.
    pub name: String,
    /// Its network namespace.
    pub netns: String,
    /// What runs on it.
    pub role: Role,
}

/// A process started by `lab up`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessRecord {
    /// The node it runs on.
    pub node: String,
    /// Its short name (`zebra`, `bird`, `announcer`, ...).
    pub name: String,
    /// Its PID.
    pub pid: u32,
    /// Its start time in clock ticks since boot (`/proc/PID/stat` field 22):
    /// with the PID, it identifies the process even after the PID is reused.
    pub start_time: u64,
    /// The command line it was started with.
    pub cmdline: Vec<String>,
}

impl State {
    /// A new, empty state for `lab` brought up from `topology`.
    pub fn new(lab: &str, topology: &Path) -> Self {
        State {
            lab: lab.to_owned(),
            topology: topology.to_owned(),
            nodes: Vec::new(),
            links: Vec::new(),
            processes: Vec::new(),
        }
    }

    /// Writes the state file (a temporary file renamed over the old one).
    pub fn save(&self) -> Result<()> {
        let path = lab_dir(&self.lab).join(FILE);
        let tmp = path.with_extension("json.tmp");
        let text =
            serde_json::to_string_pretty(self).map_err(|e| Error::parse("state", e.to_string()))?;
        std::fs::write(&tmp, text).map_err(|e| Error::io(format!("write {}", tmp.display()), e))?;
        std::fs::rename(&tmp, &path)
            .map_err(|e| Error::io(format!("rename {} to {}", tmp.display(), path.display()), e))
    }

    /// The state of lab `lab`, if it has one.
    pub fn load(lab: &str) -> Result<Option<State>> {
        read(&lab_dir(lab).join(FILE))
    }

    /// The states of every lab on this host, by name.
    pub fn all() -> Result<Vec<State>> {
        let entries = match std::fs::read_dir(ROOT) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(format!("list {ROOT}"), e)),
        };
        let mut states = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(format!("list {ROOT}"), e))?;
            states.extend(read(&entry.path().join(FILE))?);
        }
        states.sort_by(|a, b| a.lab.cmp(&b.lab));
        Ok(states)
    }
}

/// Reads one state file; `None` if it does not exist.
fn read(path: &Path) -> Result<Option<State>> {
    match std::fs::read_to_string(path) {
        Ok(text) => serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| Error::parse(path.display().to_string(), e.to_string())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("read {}", path.display()), e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_through_json() {
        let mut state = State::new("demo", Path::new("/labs/demo.clab.yml"));
        state.nodes.push(NodeRecord {
            name: "router".into(),
            netns: "clab-demo-router".into(),
            role: Role::Bird,
        });
        state.links.push("router:eth1 <-> client:eth1".into());
        state.processes.push(ProcessRecord {
            node: "router".into(),
            name: "bird".into(),
            pid: 4242,
            start_time: 123_456,
            cmdline: vec!["bird".into(), "-f".into()],
        });
        let text = serde_json::to_string(&state).unwrap();
        assert!(text.contains("\"role\":\"bird\""));
        let back: State = serde_json::from_str(&text).unwrap();
        assert_eq!(back, state);
    }

    #[test]
    fn paths_live_under_the_root() {
        assert_eq!(lab_dir("x"), Path::new("/run/announcer-lab/x"));
        assert_eq!(node_dir("x", "r"), Path::new("/run/announcer-lab/x/r"));
    }
}
