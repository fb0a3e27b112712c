//! Prometheus metrics (`[metrics] listen`): at each scrape the daemon hands over a
//! [`Snapshot`] of what it knows, and [`encode`] writes it in the text exposition format
//! (prometheus-client). Names, labels and meanings are a contract with operators' dashboards
//! and alerts: see docs/operations.md.
//!
//! The only label whose values grow with the configuration is `prefix`, one series per VIP
//! in each of the three `announcer_vip_*` families; `[metrics] per_vip = false` leaves them
//! out (a host with 100,000 VIPs would otherwise serve 300,000 series, about 17 MB a scrape).

pub mod server;

use std::net::IpAddr;
use std::sync::atomic::AtomicU64;

use announcer_bgp::fsm::State;
use announcer_bgp::wire::MessageType;
use announcer_bgp::PeerStatus;
use prometheus_client::encoding::text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

/// Labels of one series: name and value pairs.
type Labels = Vec<(&'static str, String)>;

/// The probe latency buckets, in seconds: 1 ms to 10 s.
const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// What the running checks add up between scrapes: verdict flips and probe latencies, one
/// series per check (removed with the check). Clones share the series.
#[derive(Clone, Debug)]
pub struct CheckMetrics {
    durations: Family<Labels, Histogram, fn() -> Histogram>,
    transitions: Family<Labels, Counter>,
}

impl Default for CheckMetrics {
    fn default() -> Self {
        CheckMetrics {
            durations: Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS)),
            transitions: Family::default(),
        }
    }
}

impl CheckMetrics {
    /// The series of the check `name`, from zero.
    pub fn start(&self, name: &str) -> CheckCounters {
        self.stop(name);
        CheckCounters {
            labels: vec![("check", name.to_owned())],
            metrics: self.clone(),
        }
    }

    /// Removes the series of the check `name`.
    pub fn stop(&self, name: &str) {
        let labels = vec![("check", name.to_owned())];
        self.durations.remove(&labels);
        self.transitions.remove(&labels);
    }
}

/// One check's series.
#[derive(Clone, Debug)]
pub struct CheckCounters {
    labels: Labels,
    metrics: CheckMetrics,
}

impl CheckCounters {
    /// Counts one flip of the verdict.
    pub fn flipped(&self) {
        self.metrics.transitions.get_or_create(&self.labels).inc();
    }

    /// Records one probe's latency.
    pub fn probed(&self, latency: std::time::Duration) {
        self.metrics
            .durations
            .get_or_create(&self.labels)
            .observe(latency.as_secs_f64());
    }
}

/// One check at a scrape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckSample {
    /// Its name.
    pub name: String,
    /// Its verdict.
    pub healthy: bool,
}

/// One VIP at a scrape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VipSample {
    /// Its prefix, as configured.
    pub prefix: String,
    /// Announced to at least one Established session.
    pub announced: bool,
    /// On its interface (or not bound by announcer).
    pub bound: bool,
    /// Withdrawn for maintenance.
    pub maintenance: bool,
}

/// What the daemon knows at a scrape.
#[derive(Clone, Debug, Default)]
pub struct Snapshot {
    /// Every BGP session.
    pub peers: Vec<PeerStatus>,
    /// The BFD sessions that are Up, by peer address.
    pub bfd_up: Vec<(IpAddr, bool)>,
    /// Every VIP, unless the per-VIP series are off.
    pub vips: Option<Vec<VipSample>>,
    /// Every check.
    pub checks: Vec<CheckSample>,
    /// The checks' flips and latencies.
    pub check_metrics: CheckMetrics,
}

/// The metrics page for `snapshot`, in the Prometheus text format.
pub fn encode(snapshot: &Snapshot) -> Result<String, std::fmt::Error> {
    let mut registry = Registry::default();
    register_peers(&mut registry, snapshot);
    if let Some(vips) = &snapshot.vips {
        register_vips(&mut registry, vips);
    }
    register_checks(&mut registry, &snapshot.checks, &snapshot.check_metrics);
    registry.register(
        "announcer_build",
        "The running version (with the commit it was built from)",
        Info::new(vec![("version", crate::cli::VERSION.to_owned())]),
    );
    let mut page = String::new();
    text::encode(&mut page, &registry)?;
    Ok(page)
}

/// A gauge family with one series per `(labels, value)`.
fn gauges(series: impl IntoIterator<Item = (Labels, i64)>) -> Family<Labels, Gauge> {
    let family = Family::<Labels, Gauge>::default();
    for (labels, value) in series {
        family.get_or_create(&labels).set(value);
    }
    family
}

/// A counter family with one series per `(labels, value)`.
fn counters(series: impl IntoIterator<Item = (Labels, u64)>) -> Family<Labels, Counter> {
    let family = Family::<Labels, Counter>::default();
    for (labels, value) in series {
        family.get_or_create(&labels).inc_by(value);
    }
    family
}

fn register_peers(registry: &mut Registry, snapshot: &Snapshot) {
    let peers = &snapshot.peers;
    let peer = |p: &PeerStatus| vec![("peer", p.name.clone())];
    let up = peers
        .iter()
        .map(|p| (peer(p), i64::from(p.state == State::Established)));
    registry.register(
        "announcer_peer_up",
        "1 while the BGP session is Established",
        gauges(up),
    );
    let state = peers.iter().map(|p| (peer(p), state_number(p.state)));
    registry.register(
        "announcer_peer_state",
        "The BGP FSM state as in RFC 4273 bgpPeerState: 1 Idle, 2 Connect, 3 Active, 4 OpenSent, 5 OpenConfirm, 6 Established",
        gauges(state),
    );
    let uptime = Family::<Labels, Gauge<f64, AtomicU64>>::default();
    for p in peers {
        let seconds = p.uptime().map_or(0.0, |u| u.as_secs_f64());
        uptime.get_or_create(&peer(p)).set(seconds);
    }
    registry.register_with_unit(
        "announcer_peer_uptime",
        "How long the session has been Established (0 while it is not)",
        Unit::Seconds,
        uptime,
    );
    let flaps = peers.iter().map(|p| (peer(p), p.flaps));
    registry.register(
        "announcer_peer_flaps",
        "Times the session left Established",
        counters(flaps),
    );
    let by_type = |counts: fn(&PeerStatus) -> announcer_bgp::MessageCounts| {
        counters(peers.iter().flat_map(move |p| {
            counts(p).by_type().map(|(kind, n)| {
                let labels = vec![
                    ("peer", p.name.clone()),
                    ("type", type_label(kind).to_owned()),
                ];
                (labels, n)
            })
        }))
    };
    let sent = by_type(|p| p.messages_sent);
    let received = by_type(|p| p.messages_received);
    for (direction, metric) in [("sent", sent), ("received", received)] {
        registry.register(
            format!("announcer_messages_{direction}"),
            format!("BGP messages {direction}, by type"),
            metric,
        );
    }
    let notifications = peers.iter().flat_map(|p| {
        p.notifications_sent.iter().map(|(code, n)| {
            (
                vec![("peer", p.name.clone()), ("code", code.to_string())],
                *n,
            )
        })
    });
    registry.register(
        "announcer_notifications_sent",
        "NOTIFICATION messages sent, by error code (RFC 4271 §4.5: 6 is Cease)",
        counters(notifications),
    );
    let bfd = snapshot.bfd_up.iter().filter_map(|(address, up)| {
        let name = peers.iter().find(|p| p.address == *address)?.name.clone();
        Some((vec![("peer", name)], i64::from(*up)))
    });
    registry.register(
        "announcer_bfd_up",
        "1 while the peer's BFD session is Up",
        gauges(bfd),
    );
}

fn register_vips(registry: &mut Registry, vips: &[VipSample]) {
    let series = |flag: fn(&VipSample) -> bool| {
        gauges(
            vips.iter()
                .map(move |v| (vec![("prefix", v.prefix.clone())], i64::from(flag(v)))),
        )
    };
    let flags = [
        (
            "announcer_vip_announced",
            "1 while the VIP is announced to at least one Established session",
            series(|v| v.announced),
        ),
        (
            "announcer_vip_bound",
            "1 while the VIP's address is on its interface",
            series(|v| v.bound),
        ),
        (
            "announcer_vip_maintenance",
            "1 while the VIP is withdrawn for maintenance",
            series(|v| v.maintenance),
        ),
    ];
    for (name, help, metric) in flags {
        registry.register(name, help, metric);
    }
}

fn register_checks(registry: &mut Registry, checks: &[CheckSample], metrics: &CheckMetrics) {
    let healthy = checks
        .iter()
        .map(|c| (vec![("check", c.name.clone())], i64::from(c.healthy)));
    registry.register(
        "announcer_check_healthy",
        "1 while the check's verdict is healthy",
        gauges(healthy),
    );
    for c in checks {
        let labels = vec![("check", c.name.clone())];
        drop(metrics.durations.get_or_create(&labels));
        drop(metrics.transitions.get_or_create(&labels));
    }
    registry.register_with_unit(
        "announcer_check_duration",
        "How long the check's probes took",
        Unit::Seconds,
        metrics.durations.clone(),
    );
    registry.register(
        "announcer_check_transitions",
        "Times the check's verdict flipped",
        metrics.transitions.clone(),
    );
}

/// RFC 4273's bgpPeerState number of `state`.
fn state_number(state: State) -> i64 {
    match state {
        State::Idle => 1,
        State::Connect => 2,
        State::Active => 3,
        State::OpenSent => 4,
        State::OpenConfirm => 5,
        State::Established => 6,
    }
}

/// The `type` label of a message type.
fn type_label(kind: MessageType) -> &'static str {
    match kind {
        MessageType::Open => "open",
        MessageType::Update => "update",
        MessageType::Notification => "notification",
        MessageType::Keepalive => "keepalive",
        MessageType::RouteRefresh => "route_refresh",
    }
}

#[cfg(test)]
mod tests;
