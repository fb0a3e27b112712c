//! ExaBGP (the Debian package) as the alternative speaker: its
//! configuration (static routes, and `exabgp healthcheck` processes, the
//! health checker shipped with it), and the process, run as LAB-NOTES says:
//! `exabgp.daemon.user=root`, `exabgp.api.cli=false`, log and pid files in a
//! fresh directory the harness owns (ExaBGP exits silently on a stale
//! pidfile and refuses a log directory owned by another user).

use std::fmt::Write as _;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::running::Running;
use crate::trial_rig::{write_file, SPEAKER_AS};
use announcer_harness::error::{Error, Result};
use announcer_harness::netns::Netns;
use announcer_harness::process::{ChildGuard, Streams};
use announcer_harness::routers::LOCAL_AS;
use announcer_harness::topology::ROUTER_V4;

/// One `exabgp healthcheck` process: one VIP, one HTTP check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Healthcheck {
    /// The process name in ExaBGP's configuration.
    pub name: String,
    /// The VIP it binds on `lo` and announces while healthy.
    pub vip: Ipv4Addr,
    /// The URL `curl` fetches; any failure (`curl -f`) fails the check.
    pub url: String,
    /// Time between checks (`--interval` and `--fast-interval`).
    pub interval: Duration,
    /// `--rise`.
    pub rise: u32,
    /// `--fall`.
    pub fall: u32,
}

impl Healthcheck {
    /// The process's `run` line: `python3 -m exabgp healthcheck` with
    /// `--withdraw-on-down` (otherwise a failing VIP is only re-announced
    /// with a worse MED), no syslog, a whole-second `--timeout` (the
    /// program takes no fractions) and `curl --max-time` to match.
    pub fn run_line(&self) -> String {
        let interval = self.interval.as_secs_f64();
        format!(
            "python3 -m exabgp healthcheck --no-syslog --name {name} --withdraw-on-down \
             --interval {interval} --fast-interval {interval} --rise {rise} --fall {fall} --timeout 1 \
             --ip {vip}/32 --cmd \"curl -sf -o /dev/null --max-time 1 {url}\"",
            name = self.name,
            rise = self.rise,
            fall = self.fall,
            vip = self.vip,
            url = self.url,
        )
    }
}

/// An ExaBGP configuration for the benchmark's one-peer lab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The router id and local address (the speaker's LAN address).
    pub local: Ipv4Addr,
    /// Static routes (host routes, next hop self).
    pub routes: Vec<Ipv4Addr>,
    /// Health-check processes announcing through the API.
    pub healthchecks: Vec<Healthcheck>,
}

impl Config {
    /// The configuration text: the processes, then the neighbor (the router)
    /// with IPv4 unicast, the static routes and the API processes.
    pub fn to_text(&self) -> String {
        let mut text = String::new();
        for check in &self.healthchecks {
            let _ = write!(
                text,
                "process {} {{\n  run {};\n  encoder text;\n}}\n",
                check.name,
                check.run_line()
            );
        }
        let _ = write!(
            text,
            "neighbor {ROUTER_V4} {{\n  router-id {local};\n  local-address {local};\n  local-as {SPEAKER_AS};\n  peer-as {LOCAL_AS};\n  family {{ ipv4 unicast; }}\n",
            local = self.local
        );
        if !self.routes.is_empty() {
            text.push_str("  static {\n");
            for route in &self.routes {
                let _ = writeln!(text, "    route {route}/32 next-hop self;");
            }
            text.push_str("  }\n");
        }
        if !self.healthchecks.is_empty() {
            let names: Vec<&str> = self.healthchecks.iter().map(|c| c.name.as_str()).collect();
            let _ = writeln!(text, "  api {{ processes [ {} ]; }}", names.join(" "));
        }
        text.push_str("}\n");
        text
    }
}

/// Writes `config` to `dir/exabgp.conf`; returns its path.
pub fn write_config(dir: &Path, config: &Config) -> Result<PathBuf> {
    write_file(dir, "exabgp.conf", &config.to_text())
}

/// Starts ExaBGP with `config` in `ns` without waiting; its log and pid
/// files go to `dir/exabgp/` (fresh), its output to `dir`.
pub fn spawn(ns: &Netns, dir: &Path, config: &Path) -> Result<Running> {
    let state = dir.join("exabgp");
    std::fs::create_dir_all(&state)
        .map_err(|e| Error::io(format!("create {}", state.display()), e))?;
    let mut command = ns.command("env");
    command
        .arg("exabgp.daemon.user=root")
        .arg("exabgp.api.cli=false")
        .arg(format!(
            "exabgp.log.destination={}",
            state.join("exabgp.log").display()
        ))
        .arg(format!(
            "exabgp.daemon.pid={}",
            state.join("exabgp.pid").display()
        ))
        .arg("exabgp")
        .arg(config);
    Ok(Running::new(ChildGuard::spawn(
        "exabgp",
        command,
        dir,
        Streams::Logged,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use announcer_harness::expect::missing_parts;

    fn healthcheck() -> Healthcheck {
        Healthcheck {
            name: "c1".into(),
            vip: Ipv4Addr::new(203, 0, 113, 10),
            url: "http://127.0.0.1:8080/healthz".into(),
            interval: Duration::from_millis(100),
            rise: 1,
            fall: 1,
        }
    }

    #[test]
    fn static_routes_sit_in_the_neighbor() {
        let config = Config {
            local: Ipv4Addr::new(192, 0, 2, 11),
            routes: vec![Ipv4Addr::new(198, 18, 0, 0), Ipv4Addr::new(198, 18, 0, 1)],
            healthchecks: Vec::new(),
        };
        assert_eq!(
            config.to_text(),
            "neighbor 192.0.2.1 {\n  router-id 192.0.2.11;\n  local-address 192.0.2.11;\n  local-as 65001;\n  peer-as 65000;\n  family { ipv4 unicast; }\n  static {\n    route 198.18.0.0/32 next-hop self;\n    route 198.18.0.1/32 next-hop self;\n  }\n}\n"
        );
    }

    #[test]
    fn healthchecks_are_processes_the_neighbor_listens_to() {
        let config = Config {
            local: Ipv4Addr::new(192, 0, 2, 11),
            routes: Vec::new(),
            healthchecks: vec![
                healthcheck(),
                Healthcheck {
                    name: "c2".into(),
                    ..healthcheck()
                },
            ],
        };
        let text = config.to_text();
        assert!(
            text.starts_with("process c1 {\n  run python3 -m exabgp healthcheck "),
            "{text}"
        );
        assert!(text.contains("  api { processes [ c1 c2 ]; }\n"), "{text}");
        assert!(!text.contains("static"));
        let run = healthcheck().run_line();
        let missing = missing_parts(
            &run,
            &[
                "--withdraw-on-down",
                "--interval 0.1 --fast-interval 0.1 --rise 1 --fall 1 --timeout 1",
                "--ip 203.0.113.10/32",
                "--cmd \"curl -sf -o /dev/null --max-time 1 http://127.0.0.1:8080/healthz\"",
            ],
        );
        assert!(missing.is_empty(), "{missing:?} missing from {run}");
    }
}
