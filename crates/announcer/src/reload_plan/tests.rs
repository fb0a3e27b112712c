//! The reload plan for every kind of change, one configuration edit each.

use std::path::Path;

use super::*;
use crate::config::parse;

pub(super) const BASE: &str = r#"[bgp]
local_as = 65001
router_id = "192.0.2.11"

[[peer]]
address = "192.0.2.1"
remote_as = 65000

[[peer]]
address = "192.0.2.2"
remote_as = 65000

[[check]]
name = "web"
type = "tcp"
address = "127.0.0.1:80"

[[check]]
name = "db"
type = "tcp"
address = "127.0.0.1:5432"

[[vip]]
prefix = "203.0.113.10/32"
checks = ["web"]

[[vip]]
prefix = "203.0.113.11/32"
bind = false

[[vip]]
prefix = "203.0.113.12/32"
"#;

pub(super) fn config(text: &str) -> Config {
    match parse(text, Path::new("/etc/announcer/announcer.toml")) {
        Ok(config) => config,
        Err(e) => panic!("{e}\n{text}"),
    }
}

/// The plan from `BASE` to `BASE` with `from` replaced by `to` (which must occur).
fn edited(from: &str, to: &str) -> ReloadPlan {
    assert!(BASE.contains(from), "{from:?} is not in the base");
    ReloadPlan::new(&config(BASE), &config(&BASE.replacen(from, to, 1)))
}

pub(super) fn prefix(text: &str) -> Prefix {
    text.parse().unwrap_or_else(|_| panic!("{text}"))
}

pub(super) fn ip(text: &str) -> IpAddr {
    text.parse().unwrap_or_else(|_| panic!("{text}"))
}

#[test]
fn the_same_file_changes_nothing() {
    let plan = ReloadPlan::new(&config(BASE), &config(BASE));
    assert!(plan.is_empty());
    assert_eq!(plan.to_string(), "no change");
}

#[test]
fn a_new_peer_is_started_and_no_other_session_is_touched() {
    let plan = edited(
        "[[check]]\nname = \"web\"",
        "[[peer]]\naddress = \"192.0.2.3\"\nremote_as = 65000\n\n[[check]]\nname = \"web\"",
    );
    let added: Vec<IpAddr> = plan.peers_added.iter().map(|p| p.address).collect();
    assert_eq!(added, vec![ip("192.0.2.3")]);
    assert!(plan.peers_changed.is_empty() && plan.peers_removed.is_empty());
    assert!(!plan.restart_speaker);
    assert_eq!(plan.to_string(), "start sessions: 192.0.2.3");
}

#[test]
fn a_removed_peer_is_stopped() {
    let plan = edited("[[peer]]\naddress = \"192.0.2.2\"\nremote_as = 65000\n", "");
    assert_eq!(plan.peers_removed, vec![ip("192.0.2.2")]);
    assert!(plan.peers_added.is_empty() && plan.peers_changed.is_empty());
}

#[test]
fn a_changed_peer_is_reset_alone() {
    let plan = edited(
        "address = \"192.0.2.2\"\nremote_as = 65000\n",
        "address = \"192.0.2.2\"\nremote_as = 65000\nhold_time = \"9s\"\n",
    );
    let changed: Vec<IpAddr> = plan.peers_changed.iter().map(|p| p.address).collect();
    assert_eq!(changed, vec![ip("192.0.2.2")]);
    assert!(plan.peers_added.is_empty() && plan.peers_removed.is_empty());
}

#[test]
fn a_changed_bgp_section_restarts_the_speaker_instead_of_single_peers() {
    for (from, to) in [
        ("router_id = \"192.0.2.11\"", "router_id = \"192.0.2.99\""),
        ("local_as = 65001", "local_as = 65002"),
        (
            "router_id = \"192.0.2.11\"",
            "router_id = \"192.0.2.11\"\nlisten = \"192.0.2.11\"",
        ),
        (
            "router_id = \"192.0.2.11\"",
            "router_id = \"192.0.2.11\"\ngraceful_restart = false",
        ),
    ] {
        let plan = edited(from, to);
        assert!(plan.restart_speaker, "{to}");
        assert!(
            plan.peers_added.is_empty() && plan.peers_changed.is_empty(),
            "{to}"
        );
    }
}

#[test]
fn checks_added_changed_and_removed_are_told_apart_and_the_rest_keep_running() {
    let plan = edited(
        "name = \"db\"\ntype = \"tcp\"\naddress = \"127.0.0.1:5432\"",
        "name = \"db\"\ntype = \"tcp\"\naddress = \"127.0.0.1:5433\"",
    );
    assert_eq!(plan.checks_changed, vec!["db".to_owned()]);
    assert!(plan.checks_added.is_empty() && plan.checks_removed.is_empty());
    let plan = plan_with_checks();
    assert_eq!(plan.checks_added, vec!["cache".to_owned()]);
    assert_eq!(plan.checks_removed, vec!["db".to_owned()]);
    assert!(
        plan.checks_changed.is_empty(),
        "web is unchanged and keeps its verdict"
    );
}

fn plan_with_checks() -> ReloadPlan {
    edited(
        "name = \"db\"\ntype = \"tcp\"\naddress = \"127.0.0.1:5432\"",
        "name = \"cache\"\ntype = \"tcp\"\naddress = \"127.0.0.1:6379\"",
    )
}

#[test]
fn vips_added_and_removed() {
    let plan = edited(
        "prefix = \"203.0.113.12/32\"",
        "prefix = \"203.0.113.13/32\"",
    );
    assert_eq!(plan.vips_added, vec![prefix("203.0.113.13/32")]);
    assert_eq!(plan.vips_removed, vec![prefix("203.0.113.12/32")]);
    assert_eq!(
        plan.to_string(),
        "withdraw and unbind: 203.0.113.12/32; add: 203.0.113.13/32"
    );
}

#[test]
fn a_vip_pointed_at_other_checks_is_updated_in_place() {
    let plan = edited("checks = [\"web\"]", "checks = [\"db\"]");
    assert_eq!(plan.vips_updated, vec![prefix("203.0.113.10/32")]);
    assert!(plan.vips_added.is_empty() && plan.vips_removed.is_empty());
}

#[test]
fn a_vip_with_new_attributes_is_updated_in_place() {
    let plan = edited("checks = [\"web\"]", "checks = [\"web\"]\nmed = 10");
    assert_eq!(plan.vips_updated, vec![prefix("203.0.113.10/32")]);
}

#[test]
fn a_vip_on_another_interface_moves() {
    let plan = edited(
        "checks = [\"web\"]",
        "checks = [\"web\"]\ninterface = \"dummy0\"",
    );
    assert_eq!(plan.vips_moved, vec![prefix("203.0.113.10/32")]);
    assert!(plan.vips_updated.is_empty());
}

#[test]
fn a_vip_switched_between_an_address_and_a_local_route_moves_and_a_route_may_be_released() {
    let cases = [
        ("checks = [\"web\"]", "checks = [\"web\"]\nbind = \"route\""),
        ("checks = [\"web\"]\nbind = \"route\"", "checks = [\"web\"]"),
    ];
    for (from, to) in cases {
        let running = BASE.replacen("checks = [\"web\"]", from, 1);
        let new = BASE.replacen("checks = [\"web\"]", to, 1);
        let plan = ReloadPlan::new(&config(&running), &config(&new));
        assert_eq!(plan.vips_moved, vec![prefix("203.0.113.10/32")], "{to}");
    }
    let plan = edited(
        "prefix = \"203.0.113.11/32\"\nbind = false",
        "prefix = \"203.0.113.11/32\"\nbind = \"route\"",
    );
    assert_eq!(plan.vips_bind_on, vec![prefix("203.0.113.11/32")]);
}

#[test]
fn bind_switched_on_binds_first_and_switched_off_leaves_the_address() {
    let plan = edited(
        "prefix = \"203.0.113.11/32\"\nbind = false",
        "prefix = \"203.0.113.11/32\"",
    );
    assert_eq!(plan.vips_bind_on, vec![prefix("203.0.113.11/32")]);
    assert!(plan.vips_moved.is_empty() && plan.vips_removed.is_empty());
    let plan = edited(
        "prefix = \"203.0.113.12/32\"",
        "prefix = \"203.0.113.12/32\"\nbind = false",
    );
    assert_eq!(plan.vips_bind_off, vec![prefix("203.0.113.12/32")]);
    assert_eq!(plan.to_string(), "stop binding: 203.0.113.12/32");
}

#[test]
fn bfd_drain_and_control_changes_are_flagged() {
    let plan = edited(
        "address = \"192.0.2.1\"\nremote_as = 65000\n",
        "address = \"192.0.2.1\"\nremote_as = 65000\nbfd = true\n",
    );
    assert!(plan.bfd_changed);
    assert!(
        plan.peers_changed.is_empty(),
        "BFD keys do not reset the BGP session"
    );
    let plan = edited(
        "[[vip]]\nprefix = \"203.0.113.12/32\"\n",
        "[[vip]]\nprefix = \"203.0.113.12/32\"\n\n[drain]\ntime = \"2s\"\n",
    );
    assert!(plan.drain_changed);
    let plan = edited(
        "[[vip]]\nprefix = \"203.0.113.12/32\"\n",
        "[[vip]]\nprefix = \"203.0.113.12/32\"\n\n[control]\nsocket = \"/run/a.sock\"\n",
    );
    assert!(plan.control_changed);
    assert!(plan.to_string().contains("takes effect at the next start"));
}
