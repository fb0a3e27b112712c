//! `lab up`: checks everything it can before creating anything, then in
//! order: the state directory, one namespace per node (`lo` up), one veth
//! pair per link straight into both namespaces, each node's main processes,
//! each node's exec lines. Each step is recorded in the state first; if one
//! fails, what was made is torn down and the error is returned.

use std::path::Path;
use std::process::{Child, Command};
use std::time::Duration;

use super::announcer_conf::rewrite_control;
use super::down;
use super::exec::{node_env, run_exec_lines};
use super::launch::{config_source, launches};
use super::model::{Link, Node, Topology};
use super::procs::{self, Launch};
use super::role::Role;
use super::state::{lab_dir, node_dir, NodeRecord, State};
use crate::error::{Error, Result};
use announcer_harness::netns::run;

/// How long each main process may take to become ready.
const STARTUP: Duration = Duration::from_secs(15);

/// Brings `topo` up; on failure tears down what was made.
pub fn up(topo: &Topology) -> Result<()> {
    let plans = topo
        .nodes
        .iter()
        .map(|node| Ok((node, launches(node, &node_dir(&topo.name, &node.name))?)))
        .collect::<Result<Vec<_>>>()?;
    check_not_up(topo)?;
    let dir = lab_dir(&topo.name);
    if let Some(root) = dir.parent() {
        std::fs::create_dir_all(root)
            .map_err(|e| Error::io(format!("create {}", root.display()), e))?;
    }
    // Creating the lab's directory is the lock: of two concurrent `up`s of
    // one lab, the second stops here without touching the first's work.
    match std::fs::create_dir(&dir) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(Error::Refused(format!(
                "lab {} is already coming up (its state is in {}); run `lab down {}` first",
                topo.name,
                dir.display(),
                topo.file.display()
            )));
        }
        other => other.map_err(|e| Error::io(format!("create {}", dir.display()), e))?,
    }
    let mut state = State::new(&topo.name, &topo.file);
    let outcome = state.save().and_then(|()| build(topo, &plans, &mut state));
    if let Err(error) = outcome {
        if let Err(cleanup) = down::teardown(topo, Some(state)) {
            return Err(Error::Refused(format!(
                "{error}; tearing down also failed: {cleanup}"
            )));
        }
        return Err(error);
    }
    Ok(())
}

/// Fails if the lab has state or any of its namespaces exists.
fn check_not_up(topo: &Topology) -> Result<()> {
    let dir = lab_dir(&topo.name);
    let existing = topo
        .nodes
        .iter()
        .map(|node| topo.netns(&node.name))
        .find(|netns| Path::new("/run/netns").join(netns).exists());
    if dir.exists() || existing.is_some() {
        let what = existing.map_or_else(
            || format!("its state is in {}", dir.display()),
            |netns| format!("namespace {netns} exists"),
        );
        return Err(Error::Refused(format!(
            "lab {} is already up ({what}); run `lab down {}` first",
            topo.name,
            topo.file.display()
        )));
    }
    Ok(())
}

/// Every step of `up`, recording into `state` as it goes.
fn build(topo: &Topology, plans: &[(&Node, Vec<Launch>)], state: &mut State) -> Result<()> {
    for node in &topo.nodes {
        create_node(topo, node, state)?;
    }
    for link in &topo.links {
        create_link(topo, link)?;
        state.links.push(link.to_string());
        state.save()?;
    }
    // Children stay in scope until `up` returns so that readiness waits can
    // see an early exit; dropping a `Child` neither kills nor waits for it.
    let mut children: Vec<Child> = Vec::new();
    for (node, launches) in plans {
        let netns = topo.netns(&node.name);
        let dir = node_dir(&topo.name, &node.name);
        let env = node_env(&topo.name, node);
        for launch in launches {
            let (mut child, record) = procs::spawn(&netns, &node.name, launch, &env, &dir)?;
            state.processes.push(record);
            state.save()?;
            procs::wait_ready(&mut child, launch, &node.name, &dir, STARTUP)?;
            children.push(child);
        }
    }
    for node in &topo.nodes {
        run_exec_lines(topo, node)?;
    }
    Ok(())
}

/// Records and creates `node`'s namespace and directory, and prepares what
/// its role needs there.
fn create_node(topo: &Topology, node: &Node, state: &mut State) -> Result<()> {
    let netns = topo.netns(&node.name);
    state.nodes.push(NodeRecord {
        name: node.name.clone(),
        netns: netns.clone(),
        role: node.role(),
    });
    state.save()?;
    run(Command::new("ip").args(["netns", "add", &netns]))?;
    run(Command::new("ip").args(["-n", &netns, "link", "set", "lo", "up"]))?;
    let dir = node_dir(&topo.name, &node.name);
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(format!("create {}", dir.display()), e))?;
    match node.role() {
        Role::Frr => {
            run(Command::new("chown").arg("frr:frr").arg(&dir))?;
        }
        Role::Announcer => write_announcer_conf(node, &dir)?,
        Role::Bird | Role::Linux => {}
    }
    Ok(())
}

/// Writes `<dir>/announcer.toml`: the bound config with `[control]` moved
/// into `dir`.
fn write_announcer_conf(node: &Node, dir: &Path) -> Result<()> {
    let Some(source) = config_source(node)? else {
        return Ok(());
    };
    let text = std::fs::read_to_string(source)
        .map_err(|e| Error::io(format!("read {}", source.display()), e))?;
    let conf = rewrite_control(
        &text,
        &dir.join("announcer.sock"),
        &dir.join("state"),
        &source.display().to_string(),
    )
    .map_err(Error::Refused)?;
    let path = dir.join("announcer.toml");
    std::fs::write(&path, conf).map_err(|e| Error::io(format!("write {}", path.display()), e))
}

/// Creates `link` as a veth pair straight into both namespaces, both ends up.
fn create_link(topo: &Topology, link: &Link) -> Result<()> {
    let (a, b) = (topo.netns(&link.a.node), topo.netns(&link.b.node));
    run(Command::new("ip").args([
        "link",
        "add",
        &link.a.interface,
        "netns",
        &a,
        "type",
        "veth",
        "peer",
        "name",
        &link.b.interface,
        "netns",
        &b,
    ]))
    .map_err(|e| Error::Refused(format!("link {link}: {e}")))?;
    for (netns, interface) in [(&a, &link.a.interface), (&b, &link.b.interface)] {
        run(Command::new("ip").args(["-n", netns, "link", "set", interface, "up"]))?;
    }
    Ok(())
}
