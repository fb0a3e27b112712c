//! BFD (RFC 5880/5881) at the edge router: the timers the lab configures on
//! both sides, the router configuration that asks for them (BIRD's
//! `protocol bfd`, FRR's bfdd profile), and the router's view of one session
//! normalised across routers.
//!
//! Relies on BIRD 2.0.12's `show bfd sessions` (a line per session: `IP
//! address  Interface  State  Since  Interval  Timeout`, the last two in
//! seconds) and FRR 8.4's `show bfd peers json` (`peer`, `status`,
//! `diagnostic`, `transmit-interval`, `receive-interval`,
//! `remote-receive-interval`, `remote-transmit-interval`,
//! `remote-detect-multiplier`, `uptime`) and `show bfd peers counters json`
//! (`session-up-event`, `session-down-event`).

use std::net::IpAddr;
use std::time::Duration;

use super::frr_json::BfdPeer;
use crate::error::{Error, Result};

/// The bfdd profile an FRR edge router gives its BGP neighbors.
pub const FRR_PROFILE: &str = "fast";

/// BFD timers of one side: Desired Min TX, Required Min RX, Detect Mult.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BfdTimers {
    /// Desired Min TX (`bfd_min_tx`, BIRD `min tx interval`, FRR `transmit-interval`).
    pub min_tx: Duration,
    /// Required Min RX (`bfd_min_rx`, BIRD `min rx interval`, FRR `receive-interval`).
    pub min_rx: Duration,
    /// Detect Mult (`bfd_multiplier`, `multiplier`, `detect-multiplier`).
    pub multiplier: u8,
}

impl BfdTimers {
    /// The same interval both ways.
    pub const fn symmetric(interval: Duration, multiplier: u8) -> BfdTimers {
        BfdTimers {
            min_tx: interval,
            min_rx: interval,
            multiplier,
        }
    }
}

/// The lab's timers: 100 ms both ways, multiplier 3 (a detection time of 300 ms).
pub const FAST: BfdTimers = BfdTimers::symmetric(Duration::from_millis(100), 3);

/// One BFD session as the router shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BfdSession {
    /// The router's session state: `Up`, `Down`, `Init` or `AdminDown`.
    pub state: String,
    /// Changes whenever the session goes down and up again (BIRD: its `Since`
    /// time of the last state change; FRR: the counts of up and down events):
    /// equal marks before and after mean the session stayed Up in between.
    pub mark: String,
    /// How often the router sends to the peer, if it says.
    pub transmit_interval: Option<Duration>,
    /// How long the router waits for the peer before declaring it down.
    pub detection_time: Option<Duration>,
    /// The router's own words, for messages.
    pub raw: String,
}

impl BfdSession {
    /// Whether the router has the session Up.
    pub fn is_up(&self) -> bool {
        self.state == "Up"
    }

    /// Whether the session is Up and has not gone down since `before` was read: the same
    /// mark, or (BIRD) a `Since` time within [`SINCE_JITTER`] of it, as BIRD prints that time
    /// from a clock that can move by a millisecond between two reads.
    pub fn stayed_up_since(&self, before: &BfdSession) -> bool {
        self.is_up() && (self.mark == before.mark || close_times(&self.mark, &before.mark))
    }
}

/// How far apart two of BIRD's `Since` times of one unchanged session may be.
pub const SINCE_JITTER: Duration = Duration::from_millis(50);

/// Whether `a` and `b` are both times of day (`HH:MM:SS.mmm`) within [`SINCE_JITTER`].
pub fn close_times(a: &str, b: &str) -> bool {
    match (time_of_day(a), time_of_day(b)) {
        (Some(a), Some(b)) => a.abs_diff(b) <= SINCE_JITTER.as_millis(),
        _ => false,
    }
}

/// `HH:MM:SS.mmm` as milliseconds since midnight, if `text` is such a time.
fn time_of_day(text: &str) -> Option<u128> {
    let (clock, millis) = text.split_once('.')?;
    let mut parts = clock.split(':').map(|part| part.parse::<u128>().ok());
    let (h, m, s) = (parts.next()??, parts.next()??, parts.next()??);
    let millis: u128 = millis.parse().ok()?;
    (parts.next().is_none() && millis < 1000).then_some(((h * 60 + m) * 60 + s) * 1000 + millis)
}

/// BIRD's `protocol bfd` on `interface` with `timers`.
pub fn bird_protocol(interface: &str, timers: BfdTimers) -> String {
    format!(
        "protocol bfd {{\n  interface \"{interface}\" {{ min rx interval {rx} ms; min tx interval {tx} ms; multiplier {m}; }};\n}}\n",
        rx = timers.min_rx.as_millis(),
        tx = timers.min_tx.as_millis(),
        m = timers.multiplier
    )
}

/// FRR's `bfdd.conf`: a log in `dir` and the profile [`FRR_PROFILE`] with `timers`.
pub fn frr_bfdd_conf(dir: &str, timers: BfdTimers) -> String {
    format!(
        "hostname lab\nlog file {dir}/bfdd.log\n!\nbfd\n profile {FRR_PROFILE}\n  detect-multiplier {m}\n  receive-interval {rx}\n  transmit-interval {tx}\n !\n!\n",
        m = timers.multiplier,
        rx = timers.min_rx.as_millis(),
        tx = timers.min_tx.as_millis()
    )
}

/// The session with `peer` in BIRD's `show bfd sessions`, if there is one.
pub fn parse_bird_sessions(text: &str, peer: IpAddr) -> Result<Option<BfdSession>> {
    let address = peer.to_string();
    let Some(line) = text
        .lines()
        .find(|line| line.split_whitespace().next() == Some(address.as_str()))
    else {
        return Ok(None);
    };
    let words: Vec<&str> = line.split_whitespace().collect();
    let bad = || Error::parse("birdc show bfd sessions", format!("line {line:?}"));
    // IP address, Interface, State, Since (one word, or a date and a time), Interval, Timeout.
    let (state, since, numbers) = match words.as_slice() {
        [_, _, state, since @ .., interval, timeout] if !since.is_empty() => {
            (*state, since.join(" "), (*interval, *timeout))
        }
        _ => return Err(bad()),
    };
    let seconds = |text: &str| -> Result<Duration> {
        text.parse::<f64>()
            .ok()
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(bad)
    };
    Ok(Some(BfdSession {
        state: state.to_owned(),
        mark: since,
        transmit_interval: Some(seconds(numbers.0)?),
        detection_time: Some(seconds(numbers.1)?),
        raw: line.trim().to_owned(),
    }))
}

/// The session with `peer` in FRR's `show bfd peers json` and `show bfd
/// peers counters json`, if there is one.
pub fn parse_frr_peers(
    peers: &[BfdPeer],
    counters: &[BfdPeer],
    peer: IpAddr,
) -> Result<Option<BfdSession>> {
    let Some(entry) = BfdPeer::single_hop(peers, peer) else {
        return Ok(None);
    };
    let millis = |a: Option<u64>, b: Option<u64>| a.zip(b).map(|(a, b)| a.max(b));
    let status = entry.status.as_deref().unwrap_or("");
    let state = match status {
        "up" => "Up",
        "down" => "Down",
        "init" => "Init",
        "shutdown" => "AdminDown",
        other => other,
    };
    let count = BfdPeer::single_hop(counters, peer)
        .map(|c| {
            format!(
                "up events {}, down events {}",
                c.session_up_event.unwrap_or(0),
                c.session_down_event.unwrap_or(0)
            )
        })
        .ok_or_else(|| {
            Error::parse(
                "show bfd peers counters json",
                format!("no counters of {peer} in {counters:?}"),
            )
        })?;
    let transmit = millis(entry.transmit_interval, entry.remote_receive_interval);
    let detection = millis(entry.receive_interval, entry.remote_transmit_interval)
        .zip(entry.remote_detect_multiplier)
        .map(|(interval, multiplier)| interval * multiplier);
    Ok(Some(BfdSession {
        state: state.to_owned(),
        mark: count,
        transmit_interval: transmit.map(Duration::from_millis),
        detection_time: detection.map(Duration::from_millis),
        raw: format!("{entry:?}"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn web1() -> IpAddr {
        "192.0.2.11".parse().unwrap()
    }

    #[test]
    fn the_router_configs_carry_the_timers() {
        let bird = bird_protocol("br0", FAST);
        assert!(bird.contains("interface \"br0\" { min rx interval 100 ms; min tx interval 100 ms; multiplier 3; };"), "{bird}");
        let frr = frr_bfdd_conf("/lab", FAST);
        assert!(frr.contains("bfd\n profile fast\n  detect-multiplier 3\n  receive-interval 100\n  transmit-interval 100\n"), "{frr}");
    }

    #[test]
    fn bird_sessions_give_state_since_interval_and_timeout() {
        let text = "BIRD 2.0.12 ready.
bfd1:
IP address                Interface  State      Since         Interval  Timeout
192.0.2.11                br0        Up         03:21:07.412    0.100    0.300
192.0.2.12                br0        Down       03:21:09.001    1.000    0.000
";
        let up = parse_bird_sessions(text, web1()).unwrap().unwrap();
        assert!(up.is_up());
        assert_eq!(up.mark, "03:21:07.412");
        assert_eq!(up.transmit_interval, Some(Duration::from_millis(100)));
        assert_eq!(up.detection_time, Some(Duration::from_millis(300)));
        let down = parse_bird_sessions(text, "192.0.2.12".parse().unwrap()).unwrap();
        assert_eq!(down.map(|s| s.state), Some("Down".to_owned()));
        assert_eq!(
            parse_bird_sessions(text, "192.0.2.13".parse().unwrap()).unwrap(),
            None
        );
        assert!(parse_bird_sessions("192.0.2.11 br0 Up", web1()).is_err());
    }

    #[test]
    fn a_session_stayed_up_while_its_mark_holds_or_bird_moves_its_since_by_a_millisecond() {
        let session = |state: &str, mark: &str| BfdSession {
            state: state.to_owned(),
            mark: mark.to_owned(),
            transmit_interval: None,
            detection_time: None,
            raw: String::new(),
        };
        let before = session("Up", "11:39:52.851");
        let cases = [
            (session("Up", "11:39:52.851"), true),
            (session("Up", "11:39:52.850"), true),
            (session("Up", "11:39:53.494"), false),
            (session("Down", "11:39:52.851"), false),
            (session("Up", "up events 1, down events 0"), false),
        ];
        for (after, stayed) in cases {
            assert_eq!(after.stayed_up_since(&before), stayed, "{after:?}");
        }
        let frr = session("Up", "up events 1, down events 0");
        assert!(session("Up", "up events 1, down events 0").stayed_up_since(&frr));
        assert!(!session("Up", "up events 2, down events 1").stayed_up_since(&frr));
    }

    #[test]
    fn a_bgp_session_mark_holds_while_bird_moves_its_since_by_a_millisecond() {
        use crate::routers::same_session;
        let bird = "spk0       BGP        ---        up     11:42:52.172  Established";
        let cases = [
            (Some(bird), true),
            (
                Some("spk0       BGP        ---        up     11:42:52.173  Established"),
                true,
            ),
            (
                Some("spk0       BGP        ---        up     11:42:55.004  Established"),
                false,
            ),
            (
                Some("spk0       BGP        ---        up     11:42:52.172  Connect"),
                false,
            ),
            (None, false),
        ];
        for (after, same) in cases {
            assert_eq!(same_session(Some(bird), after), same, "{after:?}");
        }
        let frr = "established connection #1";
        assert!(same_session(Some(frr), Some(frr)));
        assert!(!same_session(Some(frr), Some("established connection #2")));
        assert!(!same_session(None, None));
    }

    #[test]
    fn frr_peers_give_state_events_and_the_timers_in_force() {
        let parse = |json| serde_json::from_value::<Vec<BfdPeer>>(json).unwrap();
        let peers = parse(
            serde_json::json!([{"multihop":false,"peer":"192.0.2.11","status":"up","uptime":5,
            "diagnostic":"ok","receive-interval":100,"transmit-interval":100,
            "remote-receive-interval":300,"remote-transmit-interval":300,"remote-detect-multiplier":5}]),
        );
        let counters = parse(serde_json::json!([{"multihop":false,"peer":"192.0.2.11",
            "session-up-event":1,"session-down-event":0}]));
        let session = parse_frr_peers(&peers, &counters, web1()).unwrap().unwrap();
        assert!(session.is_up());
        assert_eq!(session.mark, "up events 1, down events 0");
        assert_eq!(session.transmit_interval, Some(Duration::from_millis(300)));
        assert_eq!(session.detection_time, Some(Duration::from_millis(1500)));
        let none = parse_frr_peers(&peers, &counters, "192.0.2.12".parse().unwrap()).unwrap();
        assert_eq!(none, None);
        assert!(parse_frr_peers(&peers, &[], web1()).is_err());
    }
}
