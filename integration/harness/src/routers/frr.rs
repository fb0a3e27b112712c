//! FRR as the edge router: `zebra` and `bgpd` in the foreground with private
//! socket paths in the router's directory (owned by the `frr` user).
//!
//! Relies on FRR 8.4 JSON: `show bgp ipv4|ipv6 unicast json detail` (under
//! `routes`, each prefix maps to an array of path objects with `aspath.segments[].list`,
//! `metric`, `community.list` ("a:b"), `largeCommunity.list` ("a:b:c"),
//! `nexthops[].ip`, `peer.peerId`; plus one header object without
//! `nexthops`) and `show bgp neighbors ADDR json` (`bgpState`,
//! `lastNotificationReason`, `lastShutdownDescription`,
//! `connectionsEstablished`, `lastResetDueTo`). With BFD, bfdd runs between
//! them ([`super::bfd`]).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::bfd::{self, BfdSession, BfdTimers};
use super::frr_json::{self, BfdPeer, BgpNeighbor, RoutePath, RouteTable};
use super::{EdgeRouter, Mode, PeerConfig, RibRoute, RouterKind, RouterSetup, LOCAL_AS, ROUTER_ID};
use crate::error::{Error, Result};
use crate::netns::{run, Netns};
use crate::process::{tail, ChildGuard};

/// How long each daemon may take to open its socket.
const STARTUP: Duration = Duration::from_secs(10);

/// A running FRR edge router (zebra, bfdd with BFD, and bgpd).
#[derive(Debug)]
pub struct Frr {
    setup: RouterSetup,
    /// Whether bfdd runs (BFD with every neighbor).
    bfd: bool,
    /// bgpd first, then bfdd, so they are stopped before zebra.
    bgpd: Option<ChildGuard>,
    bfdd: Option<ChildGuard>,
    zebra: Option<ChildGuard>,
}

impl Frr {
    /// Writes the configurations and starts zebra, then bgpd, in `setup.ns`.
    pub fn start(setup: RouterSetup) -> Result<Self> {
        Self::start_with(setup, None)
    }

    /// [`Frr::start`], and with `bfd` set, bfdd (between zebra and bgpd) with
    /// the profile [`bfd::FRR_PROFILE`] at those timers, which every neighbor uses.
    pub fn start_with(setup: RouterSetup, bfd: Option<BfdTimers>) -> Result<Self> {
        run(Command::new("chown").args(["frr:frr"]).arg(&setup.dir))?;
        let dir = setup.dir.display().to_string();
        let mut files = vec![
            ("zebra.conf", "hostname lab\n".to_owned()),
            ("bgpd.conf", config(&setup.dir, &setup.peers, bfd.is_some())),
        ];
        if let Some(timers) = bfd {
            files.push(("bfdd.conf", bfd::frr_bfdd_conf(&dir, timers)));
        }
        for (name, text) in files {
            let path = setup.dir.join(name);
            std::fs::write(&path, text)
                .map_err(|e| Error::io(format!("write {}", path.display()), e))?;
            run(Command::new("chown").args(["frr:frr"]).arg(&path))?;
        }
        let mut frr = Frr {
            setup,
            bfd: bfd.is_some(),
            bgpd: None,
            bfdd: None,
            zebra: None,
        };
        frr.start_again()?;
        Ok(frr)
    }

    /// Runs one `vtysh -c` command against this router's daemons.
    fn vtysh(&self, command: &str) -> Result<String> {
        let mut vtysh = self.setup.ns.command("vtysh");
        vtysh
            .arg("--vty_socket")
            .arg(&self.setup.dir)
            .args(["-c", command]);
        run(&mut vtysh)
    }

    /// Runs a `... json` command and parses what it printed.
    fn json<T: serde::de::DeserializeOwned>(&self, command: &str) -> Result<T> {
        frr_json::parse(command, &self.vtysh(command)?)
    }

    /// The neighbor `peer` of `show bgp neighbors ADDR json`.
    fn neighbor(&self, peer: IpAddr) -> Result<BgpNeighbor> {
        let command = format!("show bgp neighbors {peer} json");
        let mut all: BTreeMap<String, serde_json::Value> = self.json(&command)?;
        let entry = all
            .remove(&peer.to_string())
            .ok_or_else(|| Error::parse(&command, format!("no entry for {peer} in {all:?}")))?;
        serde_json::from_value(entry).map_err(|e| Error::parse(command, e.to_string()))
    }
}

/// Starts FRR's daemon `name` (`zebra`, `bfdd` or `bgpd`) in `ns` as user frr, with
/// everything in `dir` (its `NAME.conf` and `NAME.pid`, the vty sockets, zebra's
/// `zserv.api`, bfdd's control socket `bfdd.sock`), and waits until it has created
/// `socket` there.
pub fn start_daemon(ns: &Netns, dir: &Path, name: &str, socket: &str) -> Result<ChildGuard> {
    let mut command = ns.command(&format!("/usr/lib/frr/{name}"));
    command
        .args(["-u", "frr", "-g", "frr", "--vty_socket"])
        .arg(dir)
        .arg("-z")
        .arg(dir.join("zserv.api"))
        .arg("-f")
        .arg(dir.join(format!("{name}.conf")))
        .arg("-i")
        .arg(dir.join(format!("{name}.pid")));
    if name == "bfdd" {
        command.arg("--bfdctl").arg(dir.join("bfdd.sock"));
    }
    let socket = dir.join(socket);
    let what = format!("{name} to create {}", socket.display());
    ChildGuard::spawn_ready(name, command, dir, (&what, STARTUP), || {
        socket
            .exists()
            .then_some(())
            .ok_or_else(|| "no socket yet".to_owned())
    })
}

/// The value of a community FRR shows by name (RFC 1997, RFC 7999, RFC 8326).
fn well_known_community(name: &str) -> Option<(u16, u16)> {
    Some(match name {
        "gracefulShutdown" => (65535, 0),
        "blackhole" => (65535, 666),
        "noExport" => (65535, 65281),
        "noAdvertise" => (65535, 65282),
        "localAs" => (65535, 65283),
        "noPeer" => (65535, 65284),
        _ => return None,
    })
}

/// The bgpd configuration for `peers`, logging into `dir`, with BFD (the profile
/// [`bfd::FRR_PROFILE`]) on every neighbor if `bfd`.
fn config(dir: &Path, peers: &[PeerConfig], bfd: bool) -> String {
    let mut conf = format!(
        "hostname lab\nlog file {}/bgpd.log\n!\nrouter bgp {LOCAL_AS}\n bgp router-id {ROUTER_ID}\n no bgp ebgp-requires-policy\n bgp bestpath as-path multipath-relax\n",
        dir.display()
    );
    for peer in peers {
        let address = peer.address;
        let _ = writeln!(conf, " neighbor {address} remote-as {}", peer.remote_as);
        let _ = writeln!(conf, " neighbor {address} timers 3 9");
        let _ = writeln!(conf, " neighbor {address} timers connect 2");
        if let Some(password) = &peer.password {
            let _ = writeln!(conf, " neighbor {address} password {password}");
        }
        if peer.mode == Mode::Passive {
            let _ = writeln!(conf, " neighbor {address} passive");
        }
        if bfd {
            let _ = writeln!(conf, " neighbor {address} bfd");
            let _ = writeln!(conf, " neighbor {address} bfd profile {}", bfd::FRR_PROFILE);
        }
    }
    for family in ["ipv4", "ipv6"] {
        let _ = writeln!(conf, " address-family {family} unicast");
        for peer in peers {
            let _ = writeln!(conf, "  neighbor {} activate", peer.address);
            let _ = writeln!(
                conf,
                "  neighbor {} route-map HONOUR-GSHUT in",
                peer.address
            );
        }
        conf.push_str("  maximum-paths 8\n exit-address-family\n");
    }
    conf.push_str(HONOUR_GRACEFUL_SHUTDOWN);
    conf
}

/// RFC 8326 §4: routes carrying GRACEFUL_SHUTDOWN (65535:0) get local-pref 0, so a draining
/// server leaves the multipath route before it withdraws.
const HONOUR_GRACEFUL_SHUTDOWN: &str = "!
bgp community-list standard GSHUT seq 5 permit graceful-shutdown
route-map HONOUR-GSHUT permit 10
 match community GSHUT
 set local-preference 0
route-map HONOUR-GSHUT permit 20
";

impl EdgeRouter for Frr {
    fn kind(&self) -> RouterKind {
        RouterKind::Frr
    }

    fn stop(&mut self) -> Result<()> {
        let daemons = [self.bgpd.take(), self.bfdd.take(), self.zebra.take()];
        for daemon in daemons.into_iter().flatten() {
            let mut daemon = daemon;
            daemon.stop(Duration::from_secs(5))?;
        }
        Ok(())
    }

    fn start_again(&mut self) -> Result<()> {
        let dir = self.setup.dir.clone();
        for stale in [
            "zserv.api",
            "zebra.vty",
            "bfdd.vty",
            "bfdd.sock",
            "bgpd.vty",
        ] {
            let _ = std::fs::remove_file(dir.join(stale));
        }
        self.zebra = Some(start_daemon(&self.setup.ns, &dir, "zebra", "zserv.api")?);
        if self.bfd {
            self.bfdd = Some(start_daemon(&self.setup.ns, &dir, "bfdd", "bfdd.vty")?);
        }
        self.bgpd = Some(start_daemon(&self.setup.ns, &dir, "bgpd", "bgpd.vty")?);
        Ok(())
    }

    fn routes(&self) -> Result<Vec<RibRoute>> {
        let mut routes = Vec::new();
        for family in ["ipv4", "ipv6"] {
            let command = format!("show bgp {family} unicast json detail");
            routes.extend(
                parse_routes(&self.json(&command)?)
                    .map_err(|detail| Error::parse(command, detail))?,
            );
        }
        Ok(routes)
    }

    fn session_established(&self, peer: IpAddr) -> Result<bool> {
        Ok(self.neighbor(peer)?.is_established())
    }

    fn session_mark(&self, peer: IpAddr) -> Result<Option<String>> {
        let neighbor = self.neighbor(peer)?;
        if !neighbor.is_established() {
            return Ok(None);
        }
        let count = neighbor.connections_established.ok_or_else(|| {
            Error::parse(
                format!("show bgp neighbors {peer} json"),
                format!("no connectionsEstablished in {neighbor:?}"),
            )
        })?;
        Ok(Some(format!("established connection #{count}")))
    }

    fn bfd_session(&self, peer: IpAddr) -> Result<Option<BfdSession>> {
        let peers: Vec<BfdPeer> = self.json("show bfd peers json")?;
        let counters: Vec<BfdPeer> = self.json("show bfd peers counters json")?;
        bfd::parse_frr_peers(&peers, &counters, peer)
    }

    fn session_down_reason(&self, peer: IpAddr) -> Result<Option<String>> {
        Ok(down_reason(&self.neighbor(peer)?))
    }

    fn last_error(&self, peer: IpAddr) -> Result<Option<String>> {
        let neighbor = self.neighbor(peer)?;
        Ok(neighbor.last_notification_reason.map(|reason| {
            match neighbor.last_shutdown_description {
                Some(description) => format!("{reason}: {description}"),
                None => reason,
            }
        }))
    }

    fn logs(&self) -> String {
        let mut out = String::new();
        for daemon in [&self.zebra, &self.bfdd, &self.bgpd].into_iter().flatten() {
            out.push_str(&daemon.logs());
        }
        for name in ["bgpd.log", "bfdd.log"] {
            let log: PathBuf = self.setup.dir.join(name);
            if log.exists() {
                let _ = write!(out, "--- {} ---\n{}\n", log.display(), tail(&log, 60));
            }
        }
        out
    }
}

/// Why FRR last reset a neighbor (`show bgp neighbors ADDR json`): `lastResetDueTo`, with
/// the last NOTIFICATION's reason and code when there is one: after a BFD failure FRR 8.4
/// shows "BGP Notification send (Cease/BFD Down, code 060A)" (RFC 9384).
fn down_reason(neighbor: &BgpNeighbor) -> Option<String> {
    let due = neighbor.last_reset_due_to.as_deref()?;
    Some(
        match (
            neighbor.last_notification_reason.as_deref(),
            neighbor.last_error_code_subcode.as_deref(),
        ) {
            (Some(reason), Some(code)) => format!("{due} ({reason}, code {code})"),
            (None, Some(code)) => format!("{due} (code {code})"),
            (Some(reason), None) => format!("{due} ({reason})"),
            (None, None) => due.to_owned(),
        },
    )
}

/// The paths of `show bgp <family> unicast json detail` (its entries with next hops).
fn parse_routes(table: &RouteTable) -> std::result::Result<Vec<RibRoute>, String> {
    let mut routes = Vec::new();
    for (prefix, paths) in &table.routes {
        for path in paths.iter().filter(|p| p.nexthops.is_some()) {
            routes
                .push(parse_path(prefix, path).map_err(|e| format!("{prefix}: {e} in {path:?}"))?);
        }
    }
    Ok(routes)
}

/// One path entry of the detail JSON.
fn parse_path(prefix: &str, path: &RoutePath) -> std::result::Result<RibRoute, String> {
    let listed = |attribute: &Option<frr_json::Listed>| {
        attribute
            .as_ref()
            .map(|listed| listed.list.clone())
            .unwrap_or_default()
    };
    let mut communities = Vec::new();
    for community in listed(&path.community) {
        if let Some(known) = well_known_community(&community) {
            communities.push(known);
            continue;
        }
        let (high, low) = community
            .split_once(':')
            .ok_or_else(|| format!("community {community}"))?;
        communities.push((
            high.parse().map_err(|e| format!("{community}: {e}"))?,
            low.parse().map_err(|e| format!("{community}: {e}"))?,
        ));
    }
    let mut large_communities = Vec::new();
    for large in listed(&path.large_community) {
        let numbers = large
            .split(':')
            .map(|n| n.parse::<u32>().map_err(|e| format!("{large}: {e}")))
            .collect::<std::result::Result<Vec<u32>, String>>()?;
        match numbers.as_slice() {
            &[global, one, two] => large_communities.push((global, one, two)),
            _ => return Err(format!("large community {large}")),
        }
    }
    let next_hop = path
        .nexthops
        .as_deref()
        .and_then(<[_]>::first)
        .ok_or("no next hop")?;
    Ok(RibRoute {
        prefix: prefix.to_owned(),
        as_path: path
            .aspath
            .iter()
            .flat_map(|aspath| &aspath.segments)
            .flat_map(|segment| segment.list.iter().copied())
            .collect(),
        next_hop: next_hop.ip,
        med: path.metric,
        communities,
        large_communities,
        from: path.peer.as_ref().ok_or("no peer")?.peer_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routers::fixtures::captured_v6_route;

    /// `show bgp ipv6 unicast json detail` as FRR 8.4.4 printed it.
    const DETAIL: &str = r#"{
 "vrfId": 0, "vrfName": "default", "tableVersion": 1, "routerId": "192.0.2.1", "defaultLocPrf": 100, "localAS": 65000,
 "routes": { "2001:db8:100::10/128": [{"prefix":"2001:db8:100::10/128","version":1,"advertisedTo":{"192.0.2.11":{}}},{"aspath":{"string":"65001 65001","segments":[{"type":"as-sequence","list":[65001,65001]}],"length":2},"origin":"IGP","metric":7,"valid":true,"version":1,"bestpath":{"overall":true,"selectionReason":"First path received"},"community":{"string":"65000:100 65000:200","list":["65000:100","65000:200"]},"largeCommunity":{"string":"65000:1:2 65000:3:4","list":["65000:1:2","65000:3:4"]},"nexthops":[{"ip":"2001:db8::11","afi":"ipv6","scope":"global","metric":0,"accessible":true},{"ip":"fe80::3015:a0ff:fe02:cc9a","afi":"ipv6","scope":"link-local","accessible":true,"used":true}],"peer":{"peerId":"192.0.2.11","routerId":"192.0.2.11","type":"external"}}]
 }  } "#;

    #[test]
    fn detail_json_yields_each_path_with_its_attributes() {
        let table = frr_json::parse("show bgp ipv6 unicast json detail", DETAIL).unwrap();
        let routes = parse_routes(&table).unwrap();
        assert_eq!(routes, vec![captured_v6_route()]);
    }

    #[test]
    fn the_down_reason_carries_the_last_notification() {
        let neighbor = |json| serde_json::from_value::<BgpNeighbor>(json).unwrap();
        let bfd = neighbor(
            serde_json::json!({"lastResetDueTo": "BGP Notification send",
            "lastNotificationReason": "Cease/BFD Down", "lastErrorCodeSubcode": "060A"}),
        );
        assert_eq!(
            down_reason(&bfd).as_deref(),
            Some("BGP Notification send (Cease/BFD Down, code 060A)")
        );
        let plain = neighbor(serde_json::json!({"lastResetDueTo": "BFD down received"}));
        assert_eq!(down_reason(&plain).as_deref(), Some("BFD down received"));
        assert_eq!(down_reason(&neighbor(serde_json::json!({}))), None);
    }

    #[test]
    fn an_empty_table_has_no_routes() {
        let json = serde_json::json!({"vrfId": 0, "routes": {}});
        let table: RouteTable = serde_json::from_value(json).unwrap();
        assert!(parse_routes(&table).unwrap().is_empty());
    }

    #[test]
    fn the_config_activates_every_peer_in_both_families() {
        let mut peer = PeerConfig::new("192.0.2.11".parse().unwrap(), 65001);
        peer.password = Some("s3cret".into());
        let conf = config(Path::new("/lab"), &[peer], true);
        assert!(conf.contains(" neighbor 192.0.2.11 remote-as 65001\n"));
        assert!(conf.contains(" neighbor 192.0.2.11 password s3cret\n"));
        assert_eq!(conf.matches("  neighbor 192.0.2.11 activate\n").count(), 2);
        assert!(conf.contains("no bgp ebgp-requires-policy"));
        assert!(conf.contains(" neighbor 192.0.2.11 bfd\n neighbor 192.0.2.11 bfd profile fast\n"));
    }
}
