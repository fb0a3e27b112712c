//! `announcer status`: the report the daemon builds, as JSON and as text for a terminal.

use std::fmt::{self, Write};

use serde::{Deserialize, Serialize};

use crate::maintenance;

/// The whole status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StatusReport {
    /// One entry per configured peer.
    pub peers: Vec<PeerReport>,
    /// One entry per configured VIP.
    pub vips: Vec<VipReport>,
}

/// One BGP peer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PeerReport {
    /// Configured name (the address by default).
    pub name: String,
    /// The peer's address.
    pub address: String,
    /// The peer's AS.
    pub remote_as: u32,
    /// The session state (RFC 4271 names).
    pub state: String,
    /// Seconds since the session came up, while it is up.
    pub uptime_secs: Option<f64>,
    /// Routes the peer has from us.
    pub routes_sent: usize,
    /// The last reason a session or attempt failed: history, also while the session is up.
    pub last_error: Option<String>,
    /// When `last_error` happened, in seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_at_unix: Option<f64>,
    /// The peer's BFD session, when `bfd = true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bfd: Option<BfdReport>,
}

/// One peer's BFD session.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BfdReport {
    /// Our session state: AdminDown, Down, Init or Up.
    pub state: String,
    /// The state the peer last reported.
    pub remote_state: String,
    /// Why the session last left Up, or why it is not Up (RFC 5880 names).
    pub diagnostic: String,
    /// The interval between our packets in force, in milliseconds (before jitter); none
    /// while the peer asks for no packets.
    pub transmit_interval_ms: Option<f64>,
    /// How long the peer may be silent before we declare it Down, in milliseconds; none
    /// until it has been heard.
    pub detection_time_ms: Option<f64>,
    /// Our detection multiplier.
    pub multiplier: u8,
    /// Our discriminator and the peer's.
    pub local_discriminator: u32,
    /// See `local_discriminator`.
    pub remote_discriminator: Option<u32>,
    /// How often the session failed (Up to Down), each time resetting the BGP session.
    pub failures: u64,
    /// Whether the session has been Up since the daemon started.
    pub ever_up: bool,
}

impl fmt::Display for BfdReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bfd {}", self.state)?;
        if !self.ever_up && self.state != "Up" {
            f.write_str(" (never up)")?;
        }
        if let Some(tx) = self.transmit_interval_ms {
            write!(f, ", tx {tx}ms")?;
        }
        if let Some(detect) = self.detection_time_ms {
            write!(f, ", detect {detect}ms")?;
        }
        write!(
            f,
            ", x{}, peer {}, diagnostic: {}, failures {}",
            self.multiplier, self.remote_state, self.diagnostic, self.failures
        )
    }
}

/// One VIP.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VipReport {
    /// The host route.
    pub prefix: String,
    /// The interface it is bound to.
    pub interface: String,
    /// It is on the interface (or its `local` route is, or the host delivers it).
    pub bound: bool,
    /// How announcer binds it: "address", "route" or "none" (`bind`).
    #[serde(default = "address")]
    pub bind: String,
    /// At least one Established session carries it.
    pub announced: bool,
    /// It should be announced (bound, checks passing, not in maintenance): `announced` is
    /// expected to be true.
    #[serde(default)]
    pub wanted: bool,
    /// How many sessions carry it, of how many configured peers.
    #[serde(default)]
    pub announced_to: usize,
    /// See `announced_to`.
    #[serde(default)]
    pub peers: usize,
    /// Set while withdrawn by `announcer withdraw`.
    pub maintenance: Option<maintenance::Entry>,
    /// While announced with the `[degraded]` attributes: the check that caused it.
    #[serde(default)]
    pub degraded: Option<String>,
    /// One line: why it is or is not announced.
    pub why: String,
    /// Its checks.
    pub checks: Vec<CheckReport>,
}

/// The `bind` of a report from a daemon that did not say: an address.
fn address() -> String {
    "address".to_owned()
}

impl fmt::Display for maintenance::Entry {
    /// "maintenance by uid 0 (pid 1234) until 14:30:00 UTC: kernel upgrade", the reason with
    /// control characters escaped.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.by {
            Some(by) => write!(f, "maintenance by {by}")?,
            None => f.write_str("maintenance (requester not recorded)")?,
        }
        if let Some(until) = self.until_unix {
            write!(f, " until {}", utc_time(until, maintenance::now_unix()))?;
        }
        write!(f, ": {}", self.reason.escape_debug())
    }
}

/// `unix` as a UTC time: "14:30:00 UTC" within a day of `now`, else with the date,
/// "2026-12-08 14:30:00 UTC".
pub fn utc_time(unix: u64, now: u64) -> String {
    const DAY: u64 = 86_400;
    let seconds = unix % DAY;
    let clock = format!(
        "{:02}:{:02}:{:02} UTC",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if unix.abs_diff(now) < DAY {
        return clock;
    }
    let (year, month, day) = civil_date(unix / DAY);
    format!("{year:04}-{month:02}-{day:02} {clock}")
}

/// The proleptic Gregorian date of `days` since 1970-01-01 (H. Hinnant's algorithm).
fn civil_date(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// One check of a VIP.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckReport {
    /// The check's name.
    pub name: String,
    /// A soft check: while it fails, the VIP is announced degraded.
    #[serde(default)]
    pub soft: bool,
    /// The rise/fall verdict.
    pub healthy: bool,
    /// Consecutive results equal to the last one.
    pub streak: u32,
    /// The last probe, once one ran.
    pub last: Option<ProbeReport>,
}

/// The last probe of a check.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProbeReport {
    /// It passed.
    pub pass: bool,
    /// How long it took, in milliseconds.
    pub latency_ms: f64,
    /// What it saw ("HTTP 200", "connect refused").
    pub detail: String,
    /// When it ran, in seconds since the Unix epoch.
    pub at_unix: f64,
}

impl fmt::Display for StatusReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "peers:")?;
        for p in &self.peers {
            let uptime = p
                .uptime_secs
                .map_or(String::new(), |s| format!(" up {}", human(s)));
            write!(
                f,
                "  {} ({}, AS{}) {}{uptime}, {} routes sent",
                p.name, p.address, p.remote_as, p.state, p.routes_sent
            )?;
            if let Some(e) = &p.last_error {
                let when = p.last_error_at_unix.map_or(String::new(), |at| {
                    format!(" {} ago", human(now_unix() - at))
                });
                write!(f, "; last error{when}: {}", escape_controls(e))?;
            }
            writeln!(f)?;
            if let Some(bfd) = &p.bfd {
                writeln!(f, "    {bfd}")?;
            }
        }
        writeln!(f, "vips:")?;
        for v in &self.vips {
            let bound = match (v.bind.as_str(), v.bound) {
                ("route", true) => "local route",
                ("route", false) => "no local route",
                ("none", _) => "not bound by announcer",
                (_, true) => "bound",
                (_, false) => "not bound",
            };
            write!(
                f,
                "  {} on {} ({bound}): {}",
                v.prefix,
                v.interface,
                escape_controls(&v.why)
            )?;
            if v.announced {
                write!(f, " (to {} of {} peers)", v.announced_to, v.peers)?;
            }
            writeln!(f)?;
            if let Some(maintenance) = &v.maintenance {
                writeln!(f, "    {maintenance}")?;
            }
            for c in &v.checks {
                let mut line = format!(
                    "    {} {}: {}",
                    if c.soft { "soft check" } else { "check" },
                    c.name,
                    if c.healthy { "up" } else { "down" }
                );
                if let Some(last) = &c.last {
                    let verdict = if last.pass { "pass" } else { "fail" };
                    let _ = write!(
                        line,
                        ", last {verdict} ({}, {:.1} ms), streak {}",
                        escape_controls(&last.detail),
                        last.latency_ms,
                        c.streak
                    );
                }
                writeln!(f, "{line}")?;
            }
        }
        Ok(())
    }
}

impl StatusReport {
    /// What `status --check` reports as unhealthy: every peer whose session is not
    /// Established, and every VIP that should be announced and is not.
    pub fn problems(&self) -> Vec<String> {
        let peers = self
            .peers
            .iter()
            .filter(|p| p.state != "Established")
            .map(|p| format!("peer {} ({}) is {}", p.name, p.address, p.state));
        let vips = self
            .vips
            .iter()
            .filter(|v| v.wanted && !v.announced)
            .map(|v| {
                let why = v.why.strip_prefix("not announced: ").unwrap_or(&v.why);
                format!(
                    "VIP {} is not announced: {}",
                    v.prefix,
                    escape_controls(why)
                )
            });
        peers.chain(vips).collect()
    }
}

/// `text` with control characters (newlines, escape sequences) written as escapes, so that
/// operator-given text and check output cannot fake lines or colours in a terminal.
pub fn escape_controls(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

fn now_unix() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// A duration in seconds as "3d4h", "2h5m", "4m10s" or "12s".
fn human(secs: f64) -> String {
    // Saturating float-to-int conversion; negative and NaN become 0.
    let s = secs as u64;
    match (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60) {
        (0, 0, 0, sec) => format!("{sec}s"),
        (0, 0, min, sec) => format!("{min}m{sec}s"),
        (0, h, min, _) => format!("{h}h{min}m"),
        (d, h, _, _) => format!("{d}d{h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::control::requester::Requester;

    #[test]
    fn uptimes_read_like_an_operator_writes_them() {
        assert_eq!(human(12.7), "12s");
        assert_eq!(human(250.0), "4m10s");
        assert_eq!(human(7500.0), "2h5m");
        assert_eq!(human(273_600.0), "3d4h");
    }

    fn report() -> StatusReport {
        StatusReport {
            peers: vec![PeerReport {
                name: "edge".into(),
                address: "192.0.2.1".into(),
                remote_as: 65000,
                state: "Established".into(),
                uptime_secs: Some(61.0),
                routes_sent: 1,
                last_error: None,
                last_error_at_unix: None,
                bfd: Some(BfdReport {
                    state: "Up".into(),
                    remote_state: "Up".into(),
                    diagnostic: "none".into(),
                    transmit_interval_ms: Some(100.0),
                    detection_time_ms: Some(300.0),
                    multiplier: 3,
                    local_discriminator: 7,
                    remote_discriminator: Some(99),
                    failures: 0,
                    ever_up: true,
                }),
            }],
            vips: vec![VipReport {
                prefix: "203.0.113.10/32".into(),
                interface: "lo".into(),
                bound: true,
                bind: address(),
                announced: false,
                wanted: false,
                announced_to: 0,
                peers: 1,
                maintenance: None,
                degraded: None,
                why: "withdrawn: check web is failing (HTTP 500)".into(),
                checks: vec![CheckReport {
                    name: "web".into(),
                    soft: false,
                    healthy: false,
                    streak: 3,
                    last: Some(ProbeReport {
                        pass: false,
                        latency_ms: 1.25,
                        detail: "HTTP 500".into(),
                        at_unix: 0.0,
                    }),
                }],
            }],
        }
    }

    #[test]
    fn the_text_report_says_how_each_vip_is_bound() {
        let cases = [
            ("address", true, "(bound)"),
            ("address", false, "(not bound)"),
            ("route", true, "(local route)"),
            ("route", false, "(no local route)"),
            ("none", true, "(not bound by announcer)"),
        ];
        for (bind, bound, want) in cases {
            let mut status = report();
            status.vips[0].bind = bind.to_owned();
            status.vips[0].bound = bound;
            let text = status.to_string();
            assert!(
                text.contains(&format!("203.0.113.10/32 on lo {want}: ")),
                "{text}"
            );
        }
    }

    #[test]
    fn the_text_report_names_each_vip_with_its_reason_and_checks() {
        let text = report().to_string();
        assert!(
            text.contains("edge (192.0.2.1, AS65000) Established up 1m1s, 1 routes sent"),
            "{text}"
        );
        assert!(
            text.contains(
                "    bfd Up, tx 100ms, detect 300ms, x3, peer Up, diagnostic: none, failures 0"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "203.0.113.10/32 on lo (bound): withdrawn: check web is failing (HTTP 500)"
            ),
            "{text}"
        );
        assert!(
            text.contains("check web: down, last fail (HTTP 500, 1.2 ms), streak 3"),
            "{text}"
        );
    }

    #[test]
    fn an_announced_vip_says_how_many_sessions_carry_it() {
        let mut report = report();
        let vip = &mut report.vips[0];
        (vip.announced, vip.wanted, vip.announced_to, vip.peers) = (true, true, 1, 2);
        vip.why = "announced: bound and all checks pass".into();
        let text = report.to_string();
        assert!(
            text.contains("announced: bound and all checks pass (to 1 of 2 peers)"),
            "{text}"
        );
        assert!(report.problems().is_empty());
    }

    #[test]
    fn a_last_error_of_an_established_session_reads_as_history() {
        let mut report = report();
        report.peers[0].last_error = Some("connect: refused".into());
        report.peers[0].last_error_at_unix = Some(now_unix() - 125.0);
        let text = report.to_string();
        assert!(
            text.contains(
                "Established up 1m1s, 1 routes sent; last error 2m5s ago: connect: refused"
            ),
            "{text}"
        );
    }

    #[test]
    fn check_finds_peers_not_established_and_vips_wanted_but_not_announced() {
        let mut report = report();
        report.peers[0].state = "Active".into();
        report.vips[0].wanted = true;
        report.vips[0].why = "not announced: no BGP session is established".into();
        assert_eq!(
            report.problems(),
            vec![
                "peer edge (192.0.2.1) is Active".to_owned(),
                "VIP 203.0.113.10/32 is not announced: no BGP session is established".to_owned(),
            ]
        );
    }

    #[test]
    fn control_characters_in_check_output_and_errors_are_escaped() {
        let mut report = report();
        report.peers[0].last_error = Some("bad\nvips:\n  fake".into());
        if let Some(last) = report.vips[0].checks[0].last.as_mut() {
            last.detail = "exit 1: \u{1b}[2Jok\rfake".into();
        }
        let text = report.to_string();
        assert!(text.contains("last error: bad\\nvips:\\n  fake"), "{text}");
        assert!(text.contains("exit 1: \\u{1b}[2Jok\\rfake"), "{text}");
        assert_eq!(text.matches("vips:").count(), 2, "{text}");
        assert!(!text.contains('\u{1b}') && !text.contains('\r'));
    }

    #[test]
    fn utc_times_within_a_day_are_clock_times_and_others_carry_the_date() {
        let now = 1_796_624_752;
        let cases = [
            (now, "06:25:52 UTC"),
            (now + 3_600, "07:25:52 UTC"),
            (now + 2 * 86_400, "2026-12-09 06:25:52 UTC"),
            (1_709_168_461, "2024-02-29 01:01:01 UTC"),
            (951_782_400, "2000-02-29 00:00:00 UTC"),
            (0, "1970-01-01 00:00:00 UTC"),
        ];
        for (unix, text) in cases {
            assert_eq!(utc_time(unix, now), text, "{unix}");
        }
    }

    #[test]
    fn maintenance_shows_who_asked_beside_the_reason() {
        let mut maintenance = maintenance::Entry {
            reason: "kernel upgrade".into(),
            since_unix: 1_763_680_000,
            by: Some(Requester::new(0, Some(1234))),
            until_unix: None,
        };
        assert_eq!(
            maintenance.to_string(),
            "maintenance by uid 0 (pid 1234): kernel upgrade"
        );
        let json = serde_json::to_value(&maintenance).unwrap();
        assert_eq!(json["by"]["uid"], 0);
        assert_eq!(json["by"]["pid"], 1234);
        maintenance.by = None;
        maintenance.reason = "fake\n  line".into();
        assert_eq!(
            maintenance.to_string(),
            "maintenance (requester not recorded): fake\\n  line"
        );
        assert!(serde_json::to_value(&maintenance)
            .unwrap()
            .get("by")
            .is_none());
    }
}
