//! `lab down`: undoes a lab from its state, also when `lab up` was killed
//! half-way or a process is missing from the state. Stops the recorded
//! processes (SIGTERM, a bounded wait, SIGKILL; each only if its PID still
//! has the recorded start time), then whatever else still runs in the lab's
//! namespaces, deletes the namespaces (those in the state, those of the
//! topology's nodes, and any other `clab-<lab>-*` that no other lab's state
//! claims) and removes the lab's directory.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::model::Topology;
use super::procs;
use super::state::{lab_dir, State};
use crate::error::{Error, Result};
use announcer_harness::netns::run;

/// How long recorded processes get between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(5);
/// How long unrecorded processes get between SIGTERM and SIGKILL.
const STRAY_GRACE: Duration = Duration::from_secs(2);

/// What `down` found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing of the lab existed.
    NotUp,
    /// The lab was torn down; one line per notable event.
    Removed(Vec<String>),
}

/// Tears down the lab of `topo`.
pub fn down(topo: &Topology) -> Result<Outcome> {
    let state = State::load(&topo.name)?;
    if state.is_none() && !lab_dir(&topo.name).exists() && namespaces(topo, None)?.is_empty() {
        return Ok(Outcome::NotUp);
    }
    teardown(topo, state).map(Outcome::Removed)
}

/// Stops every process and deletes every namespace and the directory of
/// `topo`'s lab; `state` is what `up` recorded, if anything. Tries every
/// step and returns the first error.
pub fn teardown(topo: &Topology, state: Option<State>) -> Result<Vec<String>> {
    let mut report = Vec::new();
    let mut first_error = None;
    if let Some(state) = &state {
        report.extend(procs::stop_all(&state.processes, GRACE));
    }
    for netns in namespaces(topo, state.as_ref())? {
        let node = netns
            .strip_prefix(&format!("clab-{}-", topo.name))
            .unwrap_or(&netns)
            .to_owned();
        let strays = procs::in_namespace(&netns, &node);
        for stray in &strays {
            report.push(format!(
                "stopping unrecorded process {} (pid {}) in {netns}",
                stray.name, stray.pid
            ));
        }
        report.extend(procs::stop_all(&strays, STRAY_GRACE));
        if let Err(e) = run(Command::new("ip").args(["netns", "del", &netns])) {
            first_error.get_or_insert(e.into());
        }
    }
    let dir = lab_dir(&topo.name);
    if dir.exists() {
        if let Err(e) = std::fs::remove_dir_all(&dir) {
            first_error.get_or_insert(Error::io(format!("remove {}", dir.display()), e));
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(report),
    }
}

/// The existing namespaces of `topo`'s lab.
fn namespaces(topo: &Topology, state: Option<&State>) -> Result<BTreeSet<String>> {
    let existing = existing_namespaces()?;
    let prefix = format!("clab-{}-", topo.name);
    let claimed_elsewhere: BTreeSet<String> = State::all()?
        .into_iter()
        .filter(|other| other.lab != topo.name)
        .flat_map(|other| other.nodes.into_iter().map(|n| n.netns))
        .collect();
    let mut wanted: BTreeSet<String> = topo.nodes.iter().map(|n| topo.netns(&n.name)).collect();
    wanted.extend(
        state
            .iter()
            .flat_map(|s| s.nodes.iter().map(|n| n.netns.clone())),
    );
    wanted.extend(
        existing
            .iter()
            .filter(|ns| ns.starts_with(&prefix) && !claimed_elsewhere.contains(*ns))
            .cloned(),
    );
    Ok(wanted
        .into_iter()
        .filter(|ns| existing.contains(ns))
        .collect())
}

/// The names of the host's named network namespaces.
fn existing_namespaces() -> Result<BTreeSet<String>> {
    let dir = Path::new("/run/netns");
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeSet::new()),
        Err(e) => return Err(Error::io("list /run/netns", e)),
    };
    Ok(entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect())
}
