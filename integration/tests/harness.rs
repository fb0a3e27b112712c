//! Checks of the lab's building blocks that need root: namespaces, the
//! topology's addressing, and cleanup.

use std::process::Command;

use announcer_integration::netns::run;
use announcer_integration::routers::RouterKind;
use announcer_integration::topology::Topology;
use announcer_integration::{require_host, Result};

fn namespaces() -> Result<String> {
    run(Command::new("ip").args(["netns", "list"]))
}

#[test]
#[ignore = "needs root: scripts/test"]
fn the_topology_gives_each_speaker_its_addresses_and_is_removed_on_drop() -> Result<()> {
    if !require_host(
        RouterKind::Bird,
        "the_topology_gives_each_speaker_its_addresses_and_is_removed_on_drop",
    )? {
        return Ok(());
    }
    let topology = Topology::new(2)?;
    let names: Vec<String> = std::iter::once(topology.rtr.name().to_owned())
        .chain(topology.speakers.iter().map(|h| h.ns.name().to_owned()))
        .collect();
    let bridge = topology.rtr.ip(&["-br", "addr", "show", "br0"])?;
    assert!(
        bridge.contains("192.0.2.1/24") && bridge.contains("2001:db8::1/64"),
        "{bridge}"
    );
    let second = topology
        .speaker(2)?
        .ns
        .ip(&["-br", "addr", "show", "eth0"])?;
    assert!(
        second.contains("192.0.2.12/24") && second.contains("2001:db8::12/64"),
        "{second}"
    );
    let listed = namespaces()?;
    assert!(
        names.iter().all(|n| listed.contains(n.as_str())),
        "{listed}"
    );
    drop(topology);
    let listed = namespaces()?;
    assert!(
        names.iter().all(|n| !listed.contains(n.as_str())),
        "namespaces left behind: {listed}"
    );
    Ok(())
}
