//! GoBGP as the edge router: `gobgpd` with a generated TOML config, its API
//! on 127.0.0.1:50051 inside the router's namespace, queried with `gobgp`.
//! It installs no kernel routes here (see LAB-NOTES), so tests assert on its
//! RIB.
//!
//! Relies on `gobgp global rib -a ipv4|ipv6 -j` (prefix -> paths with
//! `attrs` typed by attribute code: 2 `as_paths[].asns`, 3 `nexthop`, 4
//! `metric`, 8 `communities` (u32), 14 `nexthop`, 32 `value[]` of
//! `{ASN, LocalData1, LocalData2}`; `neighbor-ip`), `gobgp neighbor ADDR -j`
//! (`state.session_state`, 6 = established) and its log (`msg="received
//! notification"` with `Communicated-Reason`, `msg="Peer Down"` with
//! `Reason`), since the neighbor JSON carries no NOTIFICATION text.

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use super::gobgp_json::{self, AttributeValue, Rib};
use super::{
    stop_process, EdgeRouter, Mode, PeerConfig, RibRoute, RouterKind, RouterSetup, LOCAL_AS,
    ROUTER_ID,
};
use crate::error::{Error, Result};
use crate::netns::run;
use crate::process::{tail, ChildGuard};

/// How long gobgpd may take to answer on its API.
const STARTUP: Duration = Duration::from_secs(10);

/// A running GoBGP edge router.
#[derive(Debug)]
pub struct Gobgp {
    setup: RouterSetup,
    process: Option<ChildGuard>,
}

impl Gobgp {
    /// Writes the configuration and starts gobgpd in `setup.ns`.
    pub fn start(setup: RouterSetup) -> Result<Self> {
        let path = setup.dir.join("gobgpd.toml");
        std::fs::write(&path, config(&setup.peers))
            .map_err(|e| Error::io(format!("write {}", path.display()), e))?;
        let mut gobgp = Gobgp {
            setup,
            process: None,
        };
        gobgp.start_again()?;
        Ok(gobgp)
    }

    fn gobgp(&self, args: &[&str]) -> Result<String> {
        run(self.setup.ns.command("gobgp").args(args))
    }

    fn log_lines(&self) -> Vec<String> {
        ["gobgpd.stdout", "gobgpd.stderr"]
            .iter()
            .filter_map(|name| std::fs::read_to_string(self.setup.dir.join(name)).ok())
            .flat_map(|text| text.lines().map(str::to_owned).collect::<Vec<_>>())
            .collect()
    }
}

/// The gobgpd TOML configuration for `peers`.
fn config(peers: &[PeerConfig]) -> String {
    let mut conf = format!(
        "[global.config]\n  as = {LOCAL_AS}\n  router-id = \"{ROUTER_ID}\"\n\
         [global.use-multiple-paths.config]\n  enabled = true\n\
         [global.use-multiple-paths.ebgp.config]\n  allow-multiple-as = true\n"
    );
    for peer in peers {
        let _ = write!(
            conf,
            "[[neighbors]]\n  [neighbors.config]\n    neighbor-address = \"{}\"\n    peer-as = {}\n",
            peer.address, peer.remote_as
        );
        if let Some(password) = &peer.password {
            let _ = writeln!(conf, "    auth-password = \"{password}\"");
        }
        conf.push_str(
            "  [neighbors.timers.config]\n    hold-time = 9\n    keepalive-interval = 3\n    connect-retry = 2\n    idle-hold-time-after-reset = 1\n",
        );
        let _ = writeln!(
            conf,
            "  [neighbors.transport.config]\n    passive-mode = {}",
            peer.mode == Mode::Passive
        );
        for family in ["ipv4-unicast", "ipv6-unicast"] {
            let _ = writeln!(conf, "  [[neighbors.afi-safis]]\n    [neighbors.afi-safis.config]\n      afi-safi-name = \"{family}\"");
        }
    }
    conf
}

impl EdgeRouter for Gobgp {
    fn kind(&self) -> RouterKind {
        RouterKind::Gobgp
    }

    fn stop(&mut self) -> Result<()> {
        stop_process(&mut self.process)
    }

    fn start_again(&mut self) -> Result<()> {
        let mut command = self.setup.ns.command("gobgpd");
        command
            .arg("-f")
            .arg(self.setup.dir.join("gobgpd.toml"))
            .args(["-p", "--api-hosts=127.0.0.1:50051", "--pprof-disable"]);
        let what = ("gobgpd to answer on its API", STARTUP);
        let process = ChildGuard::spawn_ready("gobgpd", command, &self.setup.dir, what, || {
            self.gobgp(&["global"]).map_err(|e| e.to_string())
        })?;
        self.process = Some(process);
        Ok(())
    }

    fn routes(&self) -> Result<Vec<RibRoute>> {
        let mut routes = Vec::new();
        for family in ["ipv4", "ipv6"] {
            let text = self.gobgp(&["global", "rib", "-a", family, "-j"])?;
            let what = format!("gobgp global rib -a {family} -j");
            if text.trim().is_empty() {
                continue;
            }
            let rib: Rib = serde_json::from_str(&text)
                .map_err(|e| Error::parse(&what, format!("{e}: {text}")))?;
            routes.extend(parse_rib(&rib).map_err(|detail| Error::parse(&what, detail))?);
        }
        Ok(routes)
    }

    fn session_established(&self, peer: IpAddr) -> Result<bool> {
        let text = self.gobgp(&["neighbor", &peer.to_string(), "-j"])?;
        let neighbor: gobgp_json::Neighbor = serde_json::from_str(&text)
            .map_err(|e| Error::parse("gobgp neighbor -j", format!("{e}: {text}")))?;
        Ok(neighbor.is_established())
    }

    fn last_error(&self, peer: IpAddr) -> Result<Option<String>> {
        let key = format!("Key={peer} ");
        let lines = self.log_lines();
        let last = |message: &str| {
            lines
                .iter()
                .rev()
                .find(|line| line.contains(message) && line.contains(&key))
        };
        let Some(received) = last(r#"msg="received notification""#) else {
            return Ok(None);
        };
        // The "Peer Down" line names code and subcode, e.g. "notification-received
        // code 6(cease) subcode 2(administrative shutdown)".
        let summary = last(r#"msg="Peer Down""#)
            .and_then(|line| logfmt(line, "Reason"))
            .filter(|reason| reason.starts_with("notification-received"))
            .unwrap_or_else(|| {
                let code = logfmt(received, "Code").unwrap_or_default();
                let subcode = logfmt(received, "Subcode").unwrap_or_default();
                format!("notification code {code} subcode {subcode}")
            });
        let communicated = logfmt(received, "Communicated-Reason").unwrap_or_default();
        Ok(Some(format!("{summary}: {communicated}")))
    }

    fn logs(&self) -> String {
        let mut out = self
            .process
            .as_ref()
            .map(ChildGuard::logs)
            .unwrap_or_default();
        if self.process.is_none() {
            let path = self.setup.dir.join("gobgpd.stderr");
            let _ = write!(
                out,
                "--- {} ---\n{}\n",
                path.display(),
                tail(Path::new(&path), 60)
            );
        }
        out
    }
}

/// The value of `key` in a logrus text line (`key=value` or `key="value"`).
fn logfmt(line: &str, key: &str) -> Option<String> {
    let pattern = format!(" {key}=");
    let start = line.find(&pattern)? + pattern.len();
    let rest = line.get(start..)?;
    if let Some(quoted) = rest.strip_prefix('"') {
        let end = quoted.find('"')?;
        quoted.get(..end).map(str::to_owned)
    } else {
        rest.split_whitespace().next().map(str::to_owned)
    }
}

/// The routes of `gobgp global rib -a FAMILY -j`.
fn parse_rib(rib: &Rib) -> std::result::Result<Vec<RibRoute>, String> {
    let mut routes = Vec::new();
    for (prefix, paths) in rib {
        for path in paths {
            routes
                .push(parse_path(prefix, path).map_err(|e| format!("{prefix}: {e} in {path:?}"))?);
        }
    }
    Ok(routes)
}

/// One path of the RIB JSON.
fn parse_path(prefix: &str, path: &gobgp_json::Path) -> std::result::Result<RibRoute, String> {
    let mut route = RibRoute {
        prefix: prefix.to_owned(),
        as_path: Vec::new(),
        next_hop: IpAddr::from([0u8; 4]),
        med: None,
        communities: Vec::new(),
        large_communities: Vec::new(),
        from: path.neighbor_ip,
    };
    for attr in &path.attrs {
        match attr.code {
            2 => route
                .as_path
                .extend(attr.as_paths.iter().flat_map(|segment| &segment.asns)),
            3 | 14 => route.next_hop = attr.nexthop.ok_or("no nexthop")?,
            4 => route.med = Some(attr.metric.ok_or("no metric")?),
            8 => {
                for &value in &attr.communities {
                    let high = u16::try_from(value >> 16).map_err(|e| e.to_string())?;
                    let low = u16::try_from(value & 0xffff).map_err(|e| e.to_string())?;
                    route.communities.push((high, low));
                }
            }
            32 => match &attr.value {
                Some(AttributeValue::LargeCommunities(larges)) => route.large_communities.extend(
                    larges
                        .iter()
                        .map(|large| (large.asn, large.local_data_1, large.local_data_2)),
                ),
                Some(AttributeValue::Other(_)) => return Err("large communities unreadable".into()),
                None => {}
            },
            _ => {}
        }
    }
    Ok(route)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routers::fixtures::captured_v6_route;

    /// `gobgp global rib -a ipv6 -j` as GoBGP 3.10.0 printed it.
    const RIB: &str = r#"{"2001:db8:100::10/128":[{"nlri":{"prefix":"2001:db8:100::10/128"},"age":1795218161,"best":true,"attrs":[{"type":1,"value":0},{"type":2,"as_paths":[{"segment_type":2,"num":2,"asns":[65001,65001]}]},{"type":4,"metric":7},{"type":8,"communities":[4259840100,4259840200]},{"type":32,"value":[{"ASN":65000,"LocalData1":1,"LocalData2":2},{"ASN":65000,"LocalData1":3,"LocalData2":4}]},{"type":14,"nexthop":"2001:db8::11","afi":2,"safi":1,"value":[{"prefix":"2001:db8:100::10/128"}]}],"stale":false,"source-id":"192.0.2.11","neighbor-ip":"192.0.2.11"}]}"#;

    #[test]
    fn rib_json_yields_each_path_with_its_attributes() {
        let routes = parse_rib(&serde_json::from_str(RIB).unwrap()).unwrap();
        assert_eq!(routes, vec![captured_v6_route()]);
    }

    #[test]
    fn logfmt_reads_quoted_and_bare_values() {
        let line = r#"time="2026-11-20T23:42:46Z" level=warning msg="received notification" Code=6 Communicated-Reason="maintenance window 42" Data="[]" Key=192.0.2.11 Subcode=2 Topic=Peer"#;
        assert_eq!(
            logfmt(line, "Communicated-Reason").as_deref(),
            Some("maintenance window 42")
        );
        assert_eq!(logfmt(line, "Code").as_deref(), Some("6"));
        assert_eq!(logfmt(line, "Key").as_deref(), Some("192.0.2.11"));
        assert_eq!(logfmt(line, "Missing"), None);
    }

    #[test]
    fn the_config_sets_passive_mode_and_both_families() {
        let mut peer = PeerConfig::new("192.0.2.11".parse().unwrap(), 65001);
        peer.mode = Mode::Passive;
        let conf = config(&[peer]);
        assert!(conf.contains("passive-mode = true"));
        assert!(
            conf.contains("afi-safi-name = \"ipv4-unicast\"")
                && conf.contains("afi-safi-name = \"ipv6-unicast\"")
        );
        assert!(conf.contains("peer-as = 65001"));
    }
}
