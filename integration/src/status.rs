//! `announcer status --json` as the daemon contract defines it: one JSON
//! object with `peers` and `vips`. Parsing is strict about the fields the
//! tests use (a missing one fails with serde's message naming it) and
//! ignores any others.

use serde::Deserialize;

use crate::error::{Error, Result};

/// The whole status object, with the text it was parsed from.
#[derive(Debug, Clone, Deserialize)]
pub struct Status {
    /// One entry per configured peer.
    pub peers: Vec<PeerStatus>,
    /// One entry per configured VIP.
    pub vips: Vec<VipStatus>,
    /// The JSON as printed, for failure messages.
    #[serde(skip)]
    pub raw: String,
}

/// A BGP peer as the daemon sees it.
#[derive(Debug, Clone, Deserialize)]
pub struct PeerStatus {
    /// The peer's address.
    pub address: String,
    /// Its AS.
    pub remote_as: u32,
    /// The session state, e.g. `Established`.
    pub state: String,
    /// Seconds since the session was established (null while down).
    pub uptime_secs: Option<f64>,
    /// Routes announced to the peer.
    pub routes_sent: u64,
    /// The last error on the session, if any.
    pub last_error: Option<String>,
    /// Its BFD session, when the peer has `bfd = true`.
    #[serde(default)]
    pub bfd: Option<BfdStatus>,
}

/// One peer's `bfd` object in `announcer status --json`.
#[derive(Debug, Clone, Deserialize)]
pub struct BfdStatus {
    /// Our session state.
    pub state: String,
    /// Our sending interval in force, in milliseconds.
    pub transmit_interval_ms: Option<f64>,
    /// How long the router may be silent, in milliseconds.
    pub detection_time_ms: Option<f64>,
    /// Our multiplier.
    pub multiplier: u8,
    /// Up-to-Down failures so far.
    pub failures: u64,
    /// Whether the session has been Up.
    pub ever_up: bool,
}

/// A VIP and why it is or is not announced.
#[derive(Debug, Clone, Deserialize)]
pub struct VipStatus {
    /// The host route, e.g. `203.0.113.10/32`.
    pub prefix: String,
    /// The interface it is bound to.
    pub interface: String,
    /// Whether it is on its interface.
    pub bound: bool,
    /// Whether it is announced.
    pub announced: bool,
    /// Maintenance set by `announcer withdraw`, if any.
    pub maintenance: Option<Maintenance>,
    /// One line saying why it is or is not announced.
    pub why: String,
    /// Its checks.
    pub checks: Vec<CheckStatus>,
}

/// Maintenance of a VIP.
#[derive(Debug, Clone, Deserialize)]
pub struct Maintenance {
    /// The `--reason` given, if any.
    pub reason: Option<String>,
    /// When it started, in seconds since the Unix epoch.
    pub since_unix: f64,
    /// When it ends by itself (`withdraw --for`), in seconds since the Unix epoch.
    #[serde(default)]
    pub until_unix: Option<f64>,
    /// Who asked (the client's credentials on the control socket).
    #[serde(default)]
    pub by: Option<Requester>,
}

/// The client that set a maintenance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct Requester {
    /// Its user id.
    pub uid: u32,
    /// Its process id.
    pub pid: u32,
}

/// A health check of a VIP.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckStatus {
    /// The check's name.
    pub name: String,
    /// Whether it counts as healthy (after rise/fall).
    pub healthy: bool,
    /// How many results in a row agree with the last one.
    pub streak: u64,
    /// The last result, once there is one.
    pub last: Option<CheckResult>,
}

/// One result of a check.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckResult {
    /// Whether it passed.
    pub pass: bool,
    /// What the probe saw, e.g. `HTTP 200`.
    pub detail: String,
}

impl Status {
    /// Parses the output of `announcer status --json`.
    pub fn parse(text: &str) -> Result<Self> {
        let mut status: Status = serde_json::from_str(text.trim())
            .map_err(|e| Error::parse("announcer status --json", format!("{e}: {text}")))?;
        status.raw = text.trim().to_owned();
        Ok(status)
    }

    /// The peer with `address`.
    pub fn peer(&self, address: &str) -> Result<&PeerStatus> {
        self.peers
            .iter()
            .find(|peer| peer.address == address)
            .ok_or_else(|| self.mismatch(&format!("no peer {address}")))
    }

    /// The VIP `prefix`.
    pub fn vip(&self, prefix: &str) -> Result<&VipStatus> {
        self.vips
            .iter()
            .find(|vip| vip.prefix == prefix)
            .ok_or_else(|| self.mismatch(&format!("no VIP {prefix}")))
    }

    /// Fails with `what` and the whole status unless `holds`.
    pub fn expect(&self, holds: bool, what: &str) -> Result<()> {
        if holds {
            Ok(())
        } else {
            Err(self.mismatch(what))
        }
    }

    fn mismatch(&self, what: &str) -> Error {
        Error::Check(format!(
            "announcer status: expected {what}; got {}",
            self.raw
        ))
    }
}

impl VipStatus {
    /// Whether every check is healthy.
    pub fn all_checks_healthy(&self) -> bool {
        self.checks.iter().all(|check| check.healthy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example of the daemon contract.
    const EXAMPLE: &str = r#"{"peers":[{"name":"192.0.2.1","address":"192.0.2.1","remote_as":65000,"state":"Established","uptime_secs":12.5,"routes_sent":1,"last_error":null}],
 "vips":[{"prefix":"203.0.113.10/32","interface":"lo","bound":true,"announced":true,
          "maintenance":null,
          "why":"announced: all checks pass",
          "checks":[{"name":"web","healthy":true,"streak":4,"last":{"pass":true,"latency_ms":1.2,"detail":"HTTP 200","at_unix":1763680000.1}}]}]}"#;

    #[test]
    fn the_contract_example_parses() {
        let status = Status::parse(EXAMPLE).unwrap();
        let peer = status.peer("192.0.2.1").unwrap();
        assert_eq!(peer.state, "Established");
        assert_eq!(peer.uptime_secs, Some(12.5));
        let vip = status.vip("203.0.113.10/32").unwrap();
        assert!(vip.bound && vip.announced && vip.maintenance.is_none());
        assert!(vip.all_checks_healthy());
        assert_eq!(vip.checks[0].last.as_ref().unwrap().detail, "HTTP 200");
        assert!(status.vip("203.0.113.20/32").is_err());
    }

    #[test]
    fn maintenance_has_its_reason_and_a_missing_field_is_named() {
        let text = EXAMPLE.replace(
            r#""maintenance":null"#,
            r#""maintenance":{"reason":"maint","since_unix":1763680000}"#,
        );
        let status = Status::parse(&text).unwrap();
        let maintenance = status.vip("203.0.113.10/32").unwrap().maintenance.clone();
        assert_eq!(maintenance.unwrap().reason.as_deref(), Some("maint"));
        let error = Status::parse(&EXAMPLE.replace(r#""why""#, r#""because""#))
            .unwrap_err()
            .to_string();
        assert!(error.contains("why"), "{error}");
    }
}
