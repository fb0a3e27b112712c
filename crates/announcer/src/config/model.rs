//! The validated configuration the daemon runs from: typed values, defaults filled in,
//! cross-references checked. Nothing here can be invalid.

use std::net::SocketAddr;
use std::path::PathBuf;

use announcer_bgp::{Asn, PeerConfig, Prefix, RouteAttributes, RouterId};
use announcer_health::CheckSpec;

/// The whole configuration, in file order within each list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// `[bgp]`: our identity and listener.
    pub bgp: BgpConfig,
    /// `[[peer]]`: the BGP sessions, addresses unique.
    pub peers: Vec<PeerConfig>,
    /// `[[check]]`: the health checks, names unique.
    pub checks: Vec<CheckSpec>,
    /// `[[vip]]`: the service addresses, prefixes unique, every check they name defined.
    pub vips: Vec<VipConfig>,
    /// `[control]`: the control socket and the state directory.
    pub control: ControlConfig,
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
}

/// `[[vip]]`: one service address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VipConfig {
    /// The host route announced (/32 or /128).
    pub prefix: Prefix,
    /// The interface the address is bound to (`lo` by default).
    pub interface: String,
    /// Names of the checks that must all pass; empty means announced while the daemon runs.
    pub checks: Vec<String>,
    /// The attributes the route is announced with.
    pub attributes: RouteAttributes,
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
