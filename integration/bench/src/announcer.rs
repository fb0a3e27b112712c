//! Our speaker in the benchmark: the `announcer run` configuration of each
//! scenario (VIPs without checks, or each with its own HTTP check; bound on
//! `lo`, or `bind = false` in the scale scenario; a `[[vip]]` table per VIP,
//! or VIPs sharing their keys in one table's `prefixes`), written through
//! [`announcer_harness::config_toml`], the process (started without waiting for
//! anything, so its start is the trial's zero), `announcer withdraw --now`,
//! and when its log says it was running (every VIP set up).

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::edge::BfdTimers;
use crate::prefixes::host_route;
use crate::running::{run_bounded, Running};
use crate::timefmt::parse_rfc3339_utc;
use crate::trial_rig::{write_file, SPEAKER_AS};
use announcer_harness::config_toml::{self, Bind, Probe};
use announcer_harness::error::Result;
use announcer_harness::netns::Netns;
use announcer_harness::process::{ChildGuard, Streams};
use announcer_harness::routers::LOCAL_AS;
use announcer_harness::topology::ROUTER_V4;

/// The line the daemon logs once every VIP is bound (a `bind = false` one
/// counts as bound) and handed to the speaker, just before it starts
/// serving.
const RUNNING_LINE: &str = "announcer running";
/// The peer's hold time.
const HOLD_TIME: Duration = Duration::from_secs(9);

/// An HTTP health check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCheck {
    /// Its name.
    pub name: String,
    /// What it fetches.
    pub url: String,
    /// Time between probes.
    pub interval: Duration,
    /// Passes in a row that make it healthy.
    pub rise: u32,
    /// Failures in a row that make it failing.
    pub fall: u32,
}

/// A `[[vip]]` table: one VIP (`prefix`) or several sharing its keys
/// (`prefixes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vip {
    /// The addresses, each announced as a /32.
    pub addresses: Vec<Ipv4Addr>,
    /// The names of the checks gating them (none: announced while running).
    pub checks: Vec<String>,
    /// How the daemon binds them on `lo` ([`Bind::None`]: the host delivers
    /// them by other means, e.g. one local route for the block).
    pub bind: Bind,
}

/// A `[[peer]]`: a router of AS [`LOCAL_AS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer {
    /// Its address.
    pub address: Ipv4Addr,
    /// BFD with it (`bfd = true` and the timers), or none.
    pub bfd: Option<BfdTimers>,
}

impl Peer {
    /// The lab's router ([`ROUTER_V4`]), without BFD.
    pub fn router() -> Self {
        Peer {
            address: ROUTER_V4,
            bfd: None,
        }
    }
}

/// An `announcer run` configuration for the benchmark's lab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The router id (the speaker's LAN address).
    pub router_id: Ipv4Addr,
    /// The peers (hold time 9 s each).
    pub peers: Vec<Peer>,
    /// The checks.
    pub checks: Vec<HttpCheck>,
    /// The `[[vip]]` tables.
    pub vips: Vec<Vip>,
    /// `[control] socket`.
    pub socket: PathBuf,
    /// `[control] state_dir`.
    pub state_dir: PathBuf,
}

impl Config {
    /// The configuration's TOML: AS [`SPEAKER_AS`], the peers (AS
    /// [`LOCAL_AS`], hold time 9 s, BFD keys where set), the checks, the
    /// VIPs, the control table; everything else at its default.
    pub fn to_toml(&self) -> String {
        let mut toml = String::new();
        config_toml::bgp(&mut toml, SPEAKER_AS, self.router_id);
        for peer in &self.peers {
            let table = config_toml::Peer {
                address: IpAddr::V4(peer.address),
                remote_as: LOCAL_AS,
                hold_time: Some(HOLD_TIME),
                password_file: None,
            };
            config_toml::peer(&mut toml, &table);
            if let Some(bfd) = peer.bfd {
                let ms = bfd.millis();
                let _ = writeln!(
                    toml,
                    "bfd = true\nbfd_min_tx = \"{ms}ms\"\nbfd_min_rx = \"{ms}ms\"\nbfd_multiplier = {}",
                    bfd.multiplier
                );
            }
        }
        for check in &self.checks {
            let check = config_toml::Check {
                name: &check.name,
                probe: Probe::Http(&check.url),
                interval: check.interval,
                timeout: None,
                rise: check.rise,
                fall: check.fall,
            };
            config_toml::check(&mut toml, &check);
        }
        for vip in &self.vips {
            let prefixes: Vec<String> = vip.addresses.iter().map(|&a| host_route(a)).collect();
            match prefixes.as_slice() {
                [prefix] => config_toml::vip(&mut toml, prefix, &vip.checks, vip.bind),
                _ => config_toml::vip_list(&mut toml, &prefixes, &vip.checks, vip.bind),
            }
        }
        config_toml::control(&mut toml, &self.socket, &self.state_dir);
        toml
    }

    /// The configuration of `vips` in `dir` (socket and state there), a
    /// `[[vip]]` table each, each VIP bound on `lo` and gated by the check of
    /// the same index if there is one.
    pub fn new(router_id: Ipv4Addr, dir: &Path, vips: &[Ipv4Addr], checks: Vec<HttpCheck>) -> Self {
        let vips = vips
            .iter()
            .enumerate()
            .map(|(i, &address)| Vip {
                addresses: vec![address],
                checks: checks.get(i).map(|c| c.name.clone()).into_iter().collect(),
                bind: Bind::Address,
            })
            .collect();
        Config {
            router_id,
            peers: vec![Peer::router()],
            checks,
            vips,
            socket: dir.join("announcer.sock"),
            state_dir: dir.join("state"),
        }
    }

    /// The same with every VIP `bind = false`.
    pub fn without_binding(self) -> Self {
        self.bound_as(Bind::None)
    }

    /// The same with every VIP bound as `bind` says.
    pub fn bound_as(mut self, bind: Bind) -> Self {
        for vip in &mut self.vips {
            vip.bind = bind;
        }
        self
    }

    /// The same with the VIPs that share checks and binding in one
    /// `[[vip]]` table each (`prefixes = [...]`), in order of first
    /// appearance.
    pub fn in_shared_tables(mut self) -> Self {
        let mut tables: Vec<Vip> = Vec::new();
        for vip in self.vips {
            match tables
                .iter_mut()
                .find(|table| table.checks == vip.checks && table.bind == vip.bind)
            {
                Some(table) => table.addresses.extend(vip.addresses),
                None => tables.push(vip),
            }
        }
        self.vips = tables;
        self
    }
}

/// Writes `config` to `dir/announcer.toml`; returns its path.
pub fn write_config(dir: &Path, config: &Config) -> Result<PathBuf> {
    write_file(dir, "announcer.toml", &config.to_toml())
}

/// Starts `announcer run -c CONFIG` in `ns` with its default logging
/// (`RUST_LOG` cleared, logs in `dir`), without waiting for anything.
pub fn spawn(binary: &Path, ns: &Netns, dir: &Path, config: &Path) -> Result<Running> {
    let mut command = ns.command(&binary.to_string_lossy());
    command
        .arg("run")
        .arg("-c")
        .arg(config)
        .env_remove("RUST_LOG");
    Ok(Running::new(ChildGuard::spawn(
        "announcer",
        command,
        dir,
        Streams::Logged,
    )?))
}

/// Runs `announcer withdraw --now` against the daemon at `socket` (its
/// output logged in `dir`) and waits for it, at most `timeout` (it returns
/// once the routes are withdrawn).
pub fn withdraw_now(binary: &Path, socket: &Path, dir: &Path, timeout: Duration) -> Result<()> {
    let mut command = Command::new(binary);
    command
        .args(["withdraw", "--now", "--reason", "benchmark", "--socket"])
        .arg(socket);
    run_bounded("announcer-withdraw", command, dir, timeout)
}

/// When the daemon in `dir` logged that it was running (every VIP set up),
/// in Unix seconds, if it did.
pub fn running_since(dir: &Path) -> Option<f64> {
    let text = std::fs::read_to_string(dir.join("announcer.stderr")).ok()?;
    logged_at(&text, RUNNING_LINE)
}

/// The timestamp (Unix seconds) of the first line of a daemon log that
/// contains `message`.
fn logged_at(log: &str, message: &str) -> Option<f64> {
    let line = log.lines().find(|line| line.contains(message))?;
    parse_rfc3339_utc(line.split_whitespace().next()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use announcer_harness::expect::missing_parts;

    fn check(name: &str) -> HttpCheck {
        HttpCheck {
            name: name.into(),
            url: "http://127.0.0.1:8080/healthz".into(),
            interval: Duration::from_millis(100),
            rise: 1,
            fall: 1,
        }
    }

    /// The configuration of `vips` and `checks` in `dir`, router id
    /// 192.0.2.11.
    fn config(dir: &str, vips: &[Ipv4Addr], checks: Vec<HttpCheck>) -> Config {
        Config::new(Ipv4Addr::new(192, 0, 2, 11), Path::new(dir), vips, checks)
    }

    #[test]
    fn vips_without_checks_have_no_checks_key() {
        let config = config(
            "/lab/spk",
            &[Ipv4Addr::new(198, 18, 0, 0), Ipv4Addr::new(198, 18, 0, 1)],
            Vec::new(),
        );
        let toml = config.to_toml();
        let missing = missing_parts(
            &toml,
            &[
                "[bgp]\nlocal_as = 65001\nrouter_id = \"192.0.2.11\"\n",
                "[[peer]]\naddress = \"192.0.2.1\"\nremote_as = 65000\nhold_time = \"9s\"\n",
                "\n[[vip]]\nprefix = \"198.18.0.1/32\"\n\n[control]\n",
                "socket = \"/lab/spk/announcer.sock\"\nstate_dir = \"/lab/spk/state\"\n",
            ],
        );
        assert!(missing.is_empty(), "{missing:?} missing from:\n{toml}");
        assert_eq!(toml.matches("[[vip]]").count(), 2);
        assert!(!toml.contains("checks") && !toml.contains("[[check]]"));
        assert!(!toml.contains("bind"));
        let unbound = config.clone().without_binding().to_toml();
        assert!(
            unbound.contains("\n[[vip]]\nprefix = \"198.18.0.1/32\"\nbind = false\n\n[control]\n"),
            "{unbound}"
        );
        assert_eq!(unbound.matches("bind = false").count(), 2);
        let shared = config.without_binding().in_shared_tables().to_toml();
        assert!(
            shared.contains(
                "\n[[vip]]\nprefixes = [\"198.18.0.0/32\", \"198.18.0.1/32\"]\nbind = false\n\n[control]\n"
            ),
            "{shared}"
        );
        assert_eq!(shared.matches("[[vip]]").count(), 1);
    }

    #[test]
    fn peers_with_bfd_carry_its_keys() {
        let mut config = config("/lab", &[Ipv4Addr::new(203, 0, 113, 10)], Vec::new());
        config.peers = vec![
            Peer {
                bfd: Some(BfdTimers {
                    interval: Duration::from_millis(100),
                    multiplier: 3,
                }),
                ..Peer::router()
            },
            Peer {
                address: Ipv4Addr::new(192, 0, 2, 2),
                bfd: None,
            },
        ];
        let toml = config.to_toml();
        assert!(toml.contains("[[peer]]\naddress = \"192.0.2.1\"\nremote_as = 65000\nhold_time = \"9s\"\nbfd = true\nbfd_min_tx = \"100ms\"\nbfd_min_rx = \"100ms\"\nbfd_multiplier = 3\n\n[[peer]]\naddress = \"192.0.2.2\"\nremote_as = 65000\nhold_time = \"9s\"\n\n"), "{toml}");
        assert_eq!(toml.matches("bfd = true").count(), 1);
    }

    #[test]
    fn only_vips_sharing_checks_share_a_table() {
        let vips = [198, 199, 200].map(|last| Ipv4Addr::new(203, 0, 113, last));
        let mut config = config("/lab", &vips, vec![check("c1")]);
        config.vips[2].checks = vec!["c1".to_owned()];
        let shared = config.in_shared_tables();
        let addresses: Vec<&[Ipv4Addr]> = shared.vips.iter().map(|v| &v.addresses[..]).collect();
        assert_eq!(addresses, [&[vips[0], vips[2]][..], &[vips[1]][..]]);
    }

    #[test]
    fn each_vip_is_gated_by_the_check_of_its_index() {
        let config = config(
            "/lab",
            &[Ipv4Addr::new(203, 0, 113, 1), Ipv4Addr::new(203, 0, 113, 2)],
            vec![check("c1"), check("c2")],
        );
        let toml = config.to_toml();
        assert!(toml.contains(
            "[[check]]\nname = \"c1\"\ntype = \"http\"\nurl = \"http://127.0.0.1:8080/healthz\"\ninterval = \"100ms\"\nrise = 1\nfall = 1\n"
        ));
        assert!(
            toml.contains("prefix = \"203.0.113.2/32\"\nchecks = [\"c2\"]\n"),
            "{toml}"
        );
        let parsed: toml_edit::DocumentMut = toml.parse().unwrap();
        assert_eq!(parsed["vip"].as_array_of_tables().unwrap().len(), 2);
    }

    #[test]
    fn the_running_line_gives_its_timestamp() {
        let log = "2026-11-21T02:43:00.100000Z  INFO announcer_bgp::session: connected\n\
                   2026-11-21T02:43:00.250000Z  INFO announcer::daemon: announcer running socket=/x\n";
        let at = logged_at(log, RUNNING_LINE).unwrap();
        let expected = parse_rfc3339_utc("2026-11-21T02:43:00.25Z").unwrap();
        assert!((at - expected).abs() < 1e-6);
        assert_eq!(logged_at(log, "stopped"), None);
    }
}
