//! `lab status`: every lab this host has up, from the state files, with
//! each node's namespace and whether each recorded process is still alive.

use std::fmt::Write as _;
use std::path::Path;

use super::procs::is_running;
use super::state::State;
use crate::error::Result;

/// The status report of every lab, one block per lab; `None` when no lab is up.
pub fn status() -> Result<Option<String>> {
    let states = State::all()?;
    if states.is_empty() {
        return Ok(None);
    }
    Ok(Some(
        states.iter().map(render).collect::<Vec<_>>().join("\n"),
    ))
}

/// One lab's block: a line per node with its role, namespace and processes.
pub fn render(state: &State) -> String {
    let mut out = format!("lab {} ({})\n", state.lab, state.topology.display());
    let name_width = state.nodes.iter().map(|n| n.name.len()).max().unwrap_or(0);
    let netns_width = state.nodes.iter().map(|n| n.netns.len()).max().unwrap_or(0);
    for node in &state.nodes {
        let netns = if Path::new("/run/netns").join(&node.netns).exists() {
            node.netns.clone()
        } else {
            format!("{} (missing)", node.netns)
        };
        let processes: Vec<String> = state
            .processes
            .iter()
            .filter(|p| p.node == node.name)
            .map(|p| {
                let alive = if is_running(p) { "alive" } else { "dead" };
                format!("{} {alive} (pid {})", p.name, p.pid)
            })
            .collect();
        let line = format!(
            "  {:<name_width$}  {:<9}  {netns:<netns_width$}  {}",
            node.name,
            node.role.to_string(),
            processes.join(", ")
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let _ = writeln!(out, "  links: {}", state.links.join(", "));
    out
}
