//! The standard lab: a router namespace with a bridge `br0` (192.0.2.1/24,
//! 2001:db8::1/64) and one namespace per speaker, each joined to the bridge
//! by a veth pair (speaker N: `eth0` with 192.0.2.1N/24 and 2001:db8::1N/64).
//!
//! ```text
//!   spk1 eth0 ──── spk1 ┐
//!                       ├─ br0 (rtr) 192.0.2.1 2001:db8::1
//!   spk2 eth0 ──── spk2 ┘
//! ```
//!
//! Optionally ([`Topology::add_client`]) a client namespace on its own link:
//! `client eth0` 198.51.100.10/24 ──── `cli0` (rtr) 198.51.100.1/24.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::sync::Arc;

use tempfile::TempDir;

use crate::error::{Error, Result};
use crate::netns::{veth, Netns};

/// The router's IPv4 address on the lab LAN.
pub const ROUTER_V4: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// The router's IPv6 address on the lab LAN.
pub const ROUTER_V6: Ipv6Addr = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
/// At most this many speakers fit the 192.0.2.1N addressing.
pub const MAX_SPEAKERS: usize = 9;
/// The router's address on the client link.
pub const CLIENT_ROUTER_V4: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 1);
/// The client's address.
pub const CLIENT_V4: Ipv4Addr = Ipv4Addr::new(198, 51, 100, 10);

/// A speaker's namespace and addresses.
#[derive(Debug)]
pub struct Host {
    /// The namespace (interface `eth0`).
    pub ns: Arc<Netns>,
    /// 192.0.2.1N.
    pub v4: Ipv4Addr,
    /// 2001:db8::1N.
    pub v6: Ipv6Addr,
}

impl Host {
    /// The IPv4 address as an `IpAddr` (how routers name the peer).
    pub fn peer_address(&self) -> IpAddr {
        IpAddr::V4(self.v4)
    }
}

/// The namespaces and per-test directory of one lab. Dropping it deletes the
/// namespaces, then the directory; drop routers and speakers first.
#[derive(Debug)]
pub struct Topology {
    /// The speakers' hosts, in order (speaker 1 first).
    pub speakers: Vec<Host>,
    /// The router's namespace.
    pub rtr: Arc<Netns>,
    dir: TempDir,
}

impl Topology {
    /// Builds the router namespace and `speakers` speaker namespaces.
    pub fn new(speakers: usize) -> Result<Self> {
        if !(1..=MAX_SPEAKERS).contains(&speakers) {
            return Err(Error::Check(format!(
                "a topology has 1 to {MAX_SPEAKERS} speakers, not {speakers}"
            )));
        }
        let dir = tempfile::Builder::new()
            .prefix("announcer-lab-")
            .tempdir()
            .map_err(|e| Error::io("create lab dir", e))?;
        // Readable by the unprivileged users routers drop to (frr).
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io("chmod lab dir", e))?;
        let rtr = Arc::new(Netns::new("rtr")?);
        rtr.disable_dad()?;
        rtr.sysctl("net.ipv4.ip_forward", "1")?;
        rtr.sysctl("net.ipv6.conf.all.forwarding", "1")?;
        rtr.sysctl("net.ipv4.fib_multipath_hash_policy", "1")?;
        rtr.ip(&["link", "add", "br0", "type", "bridge"])?;
        rtr.link_up("br0")?;
        rtr.add_address("br0", IpAddr::V4(ROUTER_V4), 24)?;
        rtr.add_address("br0", IpAddr::V6(ROUTER_V6), 64)?;
        let mut hosts = Vec::with_capacity(speakers);
        for n in 1..=speakers {
            let digit = u8::try_from(n).map_err(|e| Error::Check(e.to_string()))?;
            let ns = Arc::new(Netns::new(&format!("spk{n}"))?);
            ns.disable_dad()?;
            let port = format!("spk{n}");
            veth(&ns, "eth0", &rtr, &port)?;
            rtr.ip(&["link", "set", &port, "master", "br0"])?;
            let v4 = Ipv4Addr::new(192, 0, 2, 10 + digit);
            let v6 = Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10 + u16::from(digit));
            ns.add_address("eth0", IpAddr::V4(v4), 24)?;
            ns.add_address("eth0", IpAddr::V6(v6), 64)?;
            hosts.push(Host { ns, v4, v6 });
        }
        Ok(Topology {
            speakers: hosts,
            rtr,
            dir,
        })
    }

    /// Adds a client namespace linked to the router (`eth0` with
    /// [`CLIENT_V4`]/24 and a default route via [`CLIENT_ROUTER_V4`], which
    /// sits on the router's `cli0`). The caller owns the namespace: drop it
    /// before or with the topology.
    pub fn add_client(&self) -> Result<Netns> {
        let client = Netns::new("client")?;
        veth(&client, "eth0", &self.rtr, "cli0")?;
        self.rtr
            .add_address("cli0", IpAddr::V4(CLIENT_ROUTER_V4), 24)?;
        client.add_address("eth0", IpAddr::V4(CLIENT_V4), 24)?;
        client.ip(&[
            "route",
            "add",
            "default",
            "via",
            &CLIENT_ROUTER_V4.to_string(),
        ])?;
        Ok(client)
    }

    /// Gives every speaker an IPv4 default route via the router, so what a
    /// speaker serves (a VIP on its `lo`) can answer hosts beyond the LAN.
    pub fn route_speakers_via_router(&self) -> Result<()> {
        for host in &self.speakers {
            host.ns
                .ip(&["route", "add", "default", "via", &ROUTER_V4.to_string()])?;
        }
        Ok(())
    }

    /// Creates (if needed) and returns `<lab dir>/<name>`, world-readable.
    pub fn subdir(&self, name: &str) -> Result<PathBuf> {
        let path = self.dir.path().join(name);
        std::fs::create_dir_all(&path)
            .map_err(|e| Error::io(format!("create {}", path.display()), e))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io(format!("chmod {}", path.display()), e))?;
        Ok(path)
    }

    /// Speaker `n` (1-based).
    pub fn speaker(&self, n: usize) -> Result<&Host> {
        n.checked_sub(1)
            .and_then(|i| self.speakers.get(i))
            .ok_or_else(|| {
                Error::Check(format!(
                    "no speaker {n} in a lab of {}",
                    self.speakers.len()
                ))
            })
    }
}
