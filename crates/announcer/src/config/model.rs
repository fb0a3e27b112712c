//! The validated configuration the daemon runs from: typed values, defaults filled in,
//! cross-references checked. Nothing here can be invalid.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use announcer_bfd::SessionConfig;
use announcer_bgp::wire::{Community, LargeCommunity};
use announcer_bgp::{Asn, PeerConfig, Prefix, RouteAttributes, RouterId};
use announcer_health::CheckSpec;
use announcer_netlink::Binding;

/// The whole configuration, in file order within each list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `[bgp]`: our identity and listener.
    pub bgp: BgpConfig,
    /// `[[peer]]`: the BGP sessions, addresses unique.
    pub peers: Vec<PeerConfig>,
    /// The BFD session of each peer with `bfd = true`, by peer address.
    pub bfd: BTreeMap<IpAddr, SessionConfig>,
    /// `[[check]]`: the health checks, names unique.
    pub checks: Vec<CheckSpec>,
    /// `[[vip]]`: the service addresses, prefixes unique, every check they name defined.
    pub vips: Vec<VipConfig>,
    /// `[control]`: the control socket and the state directory.
    pub control: ControlConfig,
    /// `[drain]`: how `announcer withdraw` moves traffic away before withdrawing.
    pub drain: DrainConfig,
    /// `[metrics]`: the Prometheus endpoint.
    pub metrics: MetricsConfig,
    /// `[degraded]`: the attributes of degraded VIPs.
    pub degraded: DegradedConfig,
}

/// How announcer makes a VIP's address local (`bind`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BindMode {
    /// An address on the interface (the default; `bind = true`).
    #[default]
    Address,
    /// A `local` route in the `local` table through the interface.
    Route,
    /// Nothing: the host delivers the address by other means (`bind = false`).
    None,
}

impl BindMode {
    /// What announcer adds to the kernel for it; `None` when it binds nothing.
    pub fn binding(self) -> Option<Binding> {
        match self {
            BindMode::Address => Some(Binding::Address),
            BindMode::Route => Some(Binding::Route),
            BindMode::None => None,
        }
    }

    /// The configuration's word for it.
    pub fn name(self) -> &'static str {
        match self {
            BindMode::Address => "address",
            BindMode::Route => "route",
            BindMode::None => "none",
        }
    }
}

/// What a failing hard check does to its VIP (`on_failure`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnFailure {
    /// Withdraw the VIP (the default).
    #[default]
    Withdraw,
    /// Keep it announced with the `[degraded]` attributes: fail open.
    Degrade,
}

/// How many of a VIP's hard checks must pass (`require`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Require {
    /// Every one (the default).
    #[default]
    All,
    /// At least one.
    Any,
}

/// A VIP's failure policy: its soft checks, what its failing hard checks do, and how many
/// must pass.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    /// Checks whose failure announces the VIP with the `[degraded]` attributes.
    pub soft_checks: Arc<[String]>,
    /// What a failing hard check does.
    pub on_failure: OnFailure,
    /// How many hard checks must pass.
    pub require: Require,
}

/// `[degraded]`: what a degraded VIP is announced with, on top of its own attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DegradedConfig {
    /// Copies of our AS prepended instead of the VIP's own.
    pub as_path_prepend: u8,
    /// MULTI_EXIT_DISC instead of the VIP's own, if set.
    pub med: Option<u32>,
    /// Communities added to the VIP's own.
    pub communities: Vec<Community>,
    /// Large communities added to the VIP's own.
    pub large_communities: Vec<LargeCommunity>,
}

impl Default for DegradedConfig {
    fn default() -> Self {
        DegradedConfig {
            as_path_prepend: 3,
            med: None,
            communities: Vec::new(),
            large_communities: Vec::new(),
        }
    }
}

/// `[metrics]`: where Prometheus scrapes, if anywhere.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MetricsConfig {
    /// The address `/metrics` is served on; `None` (the default) serves none.
    pub listen: Option<SocketAddr>,
    /// Whether the per-VIP series (labelled by `prefix`) are served; off for hosts with
    /// very many VIPs.
    pub per_vip: bool,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            listen: None,
            per_vip: true,
        }
    }
}

/// `[bgp]`: the speaker's identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BgpConfig {
    /// Our AS.
    pub local_as: Asn,
    /// Our BGP identifier; `None` means the daemon picks the host's first global IPv4 address.
    pub router_id: Option<RouterId>,
    /// Where passive peers connect: as configured, else `[::]:179` when any peer is passive,
    /// else `None` (no listener).
    pub listen: Option<SocketAddr>,
    /// Graceful restart (RFC 4724, on unless `graceful_restart = false`): the restart time
    /// peers are asked to keep our routes for while the daemon restarts; `None` when off.
    pub restart_time: Option<Duration>,
}

impl BgpConfig {
    /// The restart time when `graceful_restart` is on and `restart_time` is not set.
    pub const DEFAULT_RESTART_TIME: Duration = Duration::from_secs(120);
}

/// `[[vip]]`: one service address. The VIPs of one `[[vip]]` table (its `prefixes`) share
/// one copy of the interface name, the check names and the attributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VipConfig {
    /// The host route announced (/32 or /128).
    pub prefix: Prefix,
    /// The interface the address is bound to (`lo` by default).
    pub interface: Arc<str>,
    /// How announcer makes the address local: an address (default), a `local` route, or
    /// nothing when the host delivers it by other means (e.g. one local route for a range).
    pub bind: BindMode,
    /// Names of the checks that must all pass; empty means announced while the daemon runs.
    pub checks: Arc<[String]>,
    /// The attributes the route is announced with.
    pub attributes: Arc<RouteAttributes>,
    /// Its failure policy.
    pub policy: Arc<Policy>,
}

/// `[control]`: the local control socket and where state survives restarts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ControlConfig {
    /// The Unix socket the command-line client talks to.
    pub socket: PathBuf,
    /// Where the daemon keeps state across restarts (maintenance marks).
    pub state_dir: PathBuf,
    /// A group allowed to use the socket (mode 0660); `None` means owner only (0600).
    pub group: Option<String>,
}

/// `[drain]`: before `announcer withdraw` (without `--now`) withdraws a VIP, it re-announces
/// it with the GRACEFUL_SHUTDOWN community (RFC 8326) and these attributes, and waits `time`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrainConfig {
    /// How long the VIP stays announced as draining before it is withdrawn.
    pub time: Duration,
    /// MULTI_EXIT_DISC while draining, instead of the VIP's own.
    pub med: Option<u32>,
    /// Extra copies of our AS while draining, instead of the VIP's own.
    pub as_path_prepend: Option<u8>,
}

impl DrainConfig {
    /// The drain time when `[drain]` does not set one.
    pub const DEFAULT_TIME: Duration = Duration::from_millis(500);
}

impl Default for DrainConfig {
    fn default() -> Self {
        DrainConfig {
            time: Self::DEFAULT_TIME,
            med: None,
            as_path_prepend: None,
        }
    }
}

impl ControlConfig {
    /// The socket when `[control]` does not set one.
    pub const DEFAULT_SOCKET: &'static str = "/run/announcer/announcer.sock";
    /// The state directory when `[control]` does not set one.
    pub const DEFAULT_STATE_DIR: &'static str = "/var/lib/announcer";
}

impl Default for ControlConfig {
    fn default() -> Self {
        ControlConfig {
            socket: PathBuf::from(Self::DEFAULT_SOCKET),
            state_dir: PathBuf::from(Self::DEFAULT_STATE_DIR),
            group: None,
        }
    }
}
