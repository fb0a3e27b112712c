//! The daemon testbed: an edge router, two web namespaces each running the lab's
//! `web-server` and the real `announcer`, and a client namespace behind the
//! router.
//!
//! ```text
//!   web1 192.0.2.11 ┐                                  ┌ cli0 198.51.100.1 ── client 198.51.100.10
//!   (lo: VIPs)      ├─ br0 192.0.2.1 (rtr: BIRD | FRR) ┘
//!   web2 192.0.2.12 ┘
//! ```
//!
//! Each web server listens on `0.0.0.0:80` (so on the VIPs once `announcer`
//! binds them to `lo`) and `127.0.0.1:8080` for `/healthz`; its health fails
//! while its health file exists. Both announcers are in AS [`WEB_AS`] and
//! peer with the router (AS 65000), which installs one multipath kernel
//! route per VIP.
//!
//! For fault scenarios, [`DaemonTestbed::start_with`] varies the lab
//! ([`TestbedOptions`]: more VIPs, the router unreachable at first, an exec
//! check, a private state tmpfs, BFD with the router) and [`Web::set_stall`]
//! makes a web server's endpoints stall.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::daemon::{Announcer, AnnouncerConfig};
use crate::error::{Error, Result};
use crate::http::{get_many, Tally};
use crate::kernel::expect_next_hops;
use crate::netns::{run, Netns};
use crate::preflight::{find_binary, require_announcer, require_built, require_host};
use crate::process::ChildGuard;
use crate::routers::bfd::BfdTimers;
use crate::routers::{EdgeRouter, PeerConfig, RouterKind, RouterSetup, LOCAL_AS};
use crate::topology::{Topology, ROUTER_V4};
use crate::wait::{wait_until, POLL};
use crate::web_server::stall_file;
pub use crate::web_server::{start_web_server, Stall, HEALTH_PORT, HTTP_PORT};

/// The web servers' AS.
pub const WEB_AS: u32 = 65001;
/// The VIP both web servers announce.
pub const VIP: &str = "203.0.113.10/32";
/// [`VIP`]'s address.
pub const VIP_ADDRESS: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);
/// Poll interval of timed waits (the figures the scenarios print).
pub const FINE_POLL: Duration = Duration::from_millis(20);

/// `{dir}` in an argument of [`TestbedOptions::exec_check`] stands for the web
/// server's directory.
pub const DIR_PLACEHOLDER: &str = "{dir}";

/// The testbed a daemon scenario builds: which edge router, and the `web-server` binary
/// its web servers run ([`crate::preflight::WEB_SERVER`], found by [`require_built`]).
/// A test file names one and hands it to each scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bed<'a> {
    /// The edge router.
    pub router: RouterKind,
    /// The `web-server` binary.
    pub web_server: &'a str,
}

impl<'a> Bed<'a> {
    /// The testbed with `router` as the edge router, its web servers running `web_server`.
    pub const fn new(router: RouterKind, web_server: &'a str) -> Self {
        Bed { router, web_server }
    }
}

/// Variations of the daemon testbed for fault scenarios
/// ([`DaemonTestbed::start_with`]); the default is the lab of [`DaemonTestbed::start`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestbedOptions {
    /// The announcers' `hold_time` (`None`: the daemon's default).
    pub hold_time: Option<Duration>,
    /// VIPs every announcer has besides [`VIP`], gated by the same check.
    pub extra_vips: Vec<String>,
    /// Start the announcers while the router is stopped and its LAN address
    /// ([`ROUTER_V4`]) is absent, so the peer is unreachable until
    /// [`DaemonTestbed::bring_router_up`].
    pub router_unreachable: bool,
    /// The check runs this command (`type = "exec"`) instead of fetching
    /// `/healthz`; see [`DIR_PLACEHOLDER`].
    pub exec_check: Option<Vec<String>>,
    /// Each announcer gets a private tmpfs of this many bytes as its state
    /// directory ([`Announcer::use_private_state_tmpfs`]).
    pub state_tmpfs: Option<u64>,
    /// TCP MD5 on every session: the router's configuration has it, each
    /// announcer reads it from a `password_file` (mode 0600) in its directory.
    pub password: Option<String>,
    /// BFD on every session at these timers: the router runs it with every
    /// web server, each announcer has `bfd = true` and the same timers.
    pub bfd: Option<BfdTimers>,
    /// Programs the scenario runs besides the router's (e.g. `nft`): without
    /// one, the lab skips like [`require_host`].
    pub tools: Vec<&'static str>,
    /// Executable files (name, text) written into each web server's
    /// directory before its announcer starts, e.g. a script an
    /// [`TestbedOptions::exec_check`] runs as `{dir}/NAME`.
    pub web_files: Vec<(&'static str, &'static str)>,
}

impl TestbedOptions {
    /// The standard testbed, for a scenario that also runs `tools` (e.g. `nft`).
    pub fn needing(tools: &[&'static str]) -> Self {
        TestbedOptions {
            tools: tools.to_vec(),
            ..TestbedOptions::default()
        }
    }
}

/// One web namespace: its `announcer` and its `web-server`.
#[derive(Debug)]
pub struct Web {
    /// `web1`, `web2`: also the body its server answers `GET /` with.
    pub name: String,
    /// Its address on the LAN (the BGP next hop).
    pub address: Ipv4Addr,
    /// Its namespace.
    pub ns: Arc<Netns>,
    /// The daemon under test (declared first: stopped first).
    pub announcer: Announcer,
    server: ChildGuard,
    health_file: PathBuf,
    dir: PathBuf,
}

impl Web {
    /// Its directory: the announcer's config, socket, state and logs, and
    /// the web server's files.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Makes its web server stall as `stall` says (`true`) or stop doing so.
    pub fn set_stall(&self, stall: Stall, on: bool) -> Result<()> {
        let path = stall_file(&self.dir, stall);
        let result = if on {
            std::fs::write(&path, "stall\n")
        } else {
            std::fs::remove_file(&path)
        };
        result.map_err(|e| Error::io(format!("flip stall file {}", path.display()), e))
    }

    /// The address as routers name the peer and the next hop.
    pub fn peer(&self) -> IpAddr {
        IpAddr::V4(self.address)
    }

    /// Makes `/healthz` answer 500 (`false`) or 200 (`true`).
    pub fn set_healthy(&self, healthy: bool) -> Result<()> {
        let path = &self.health_file;
        let result = if healthy {
            std::fs::remove_file(path)
        } else {
            std::fs::write(path, "unhealthy\n")
        };
        result.map_err(|e| Error::io(format!("flip health file {}", path.display()), e))
    }

    /// The PIDs of every process in its network namespace (`ip netns pids`):
    /// its announcer, its web server and what they run.
    pub fn pids(&self) -> Result<Vec<u32>> {
        let text = run(Command::new("ip").args(["netns", "pids", self.ns.name()]))?;
        text.split_whitespace()
            .map(|pid| {
                pid.parse()
                    .map_err(|_| Error::parse("ip netns pids", format!("pid {pid:?}")))
            })
            .collect()
    }

    /// Whether `prefix` is on the namespace's `lo`, as the kernel shows it.
    pub fn has_on_lo(&self, prefix: &str) -> Result<bool> {
        let text = self.ns.ip(&["-4", "-br", "addr", "show", "dev", "lo"])?;
        Ok(text.split_whitespace().any(|word| word == prefix))
    }

    fn logs(&self) -> String {
        format!(
            "===== {} announcer =====\n{}===== {} web-server =====\n{}",
            self.name,
            self.announcer.logs(),
            self.name,
            self.server.logs()
        )
    }
}

/// A running daemon testbed; processes drop first, namespaces and directory last.
pub struct DaemonTestbed {
    /// web1 and web2.
    pub webs: Vec<Web>,
    /// The edge router.
    pub router: Box<dyn EdgeRouter>,
    /// The client namespace (198.51.100.10).
    pub client: Netns,
    /// The router and web namespaces and the lab directory.
    pub topology: Topology,
}

impl DaemonTestbed {
    /// Builds the lab and starts both announcers, or returns `None` (after a
    /// skip line) when it cannot run here.
    pub fn start(bed: Bed, test: &str) -> Result<Option<Self>> {
        Self::start_with(bed, &TestbedOptions::default(), test)
    }

    /// [`DaemonTestbed::start`] with the variations of `options`.
    pub fn start_with(bed: Bed, options: &TestbedOptions, test: &str) -> Result<Option<Self>> {
        if !require_host(bed.router, test)? {
            return Ok(None);
        }
        let Some(announcer) = require_announcer(test)? else {
            return Ok(None);
        };
        if !require_tools(&options.tools, test)? {
            return Ok(None);
        }
        let topology = Topology::new(2)?;
        topology.route_speakers_via_router()?;
        let client = topology.add_client()?;
        let peers = topology
            .speakers
            .iter()
            .map(|host| PeerConfig {
                password: options.password.clone(),
                ..PeerConfig::new(host.peer_address(), WEB_AS)
            })
            .collect();
        let setup = RouterSetup {
            ns: topology.rtr.clone(),
            dir: topology.subdir("router")?,
            peers,
        };
        let mut router = bed.router.start_with_bfd(setup, options.bfd)?;
        if options.router_unreachable {
            router.stop()?;
            let address = format!("{ROUTER_V4}/24");
            topology.rtr.ip(&["addr", "del", &address, "dev", "br0"])?;
        }
        let mut webs = Vec::new();
        for (index, host) in topology.speakers.iter().enumerate() {
            let name = format!("web{}", index + 1);
            let dir = topology.subdir(&name)?;
            let health_file = dir.join("unhealthy");
            let server = start_web_server(
                &require_built(bed.web_server, test)?,
                &host.ns,
                &dir,
                &name,
                &health_file,
            )?;
            for (file, text) in &options.web_files {
                write_executable(&dir.join(file), text)?;
            }
            let password_file = match &options.password {
                Some(password) => Some(write_key_file(&dir, password)?),
                None => None,
            };
            let config = AnnouncerConfig {
                local_as: WEB_AS,
                router_id: host.v4,
                peer: IpAddr::V4(ROUTER_V4),
                peer_as: LOCAL_AS,
                hold_time: options.hold_time,
                health_url: format!("http://127.0.0.1:{HEALTH_PORT}/healthz"),
                exec_command: options.exec_check.as_ref().map(|command| {
                    let dir = dir.to_string_lossy();
                    command
                        .iter()
                        .map(|arg| arg.replace(DIR_PLACEHOLDER, &dir))
                        .collect()
                }),
                password_file,
                vips: std::iter::once(VIP.to_owned())
                    .chain(options.extra_vips.iter().cloned())
                    .collect(),
                socket: dir.join("announcer.sock"),
                state_dir: dir.join("state"),
                metrics: None,
                vip_keys: String::new(),
                more_checks: Vec::new(),
                extra: String::new(),
            };
            let mut announcer = Announcer::new(&announcer, host.ns.clone(), &dir, config)?;
            if let Some(bytes) = options.state_tmpfs {
                announcer.use_private_state_tmpfs(bytes);
            }
            announcer.set_bfd(options.bfd)?;
            announcer.start()?;
            webs.push(Web {
                name,
                address: host.v4,
                ns: host.ns.clone(),
                announcer,
                server,
                health_file,
                dir,
            });
        }
        Ok(Some(DaemonTestbed {
            webs,
            router,
            client,
            topology,
        }))
    }

    /// Runs `body`; a failure gets the router's, announcers' and web
    /// servers' logs and the announcers' status attached.
    pub fn run(mut self, body: impl FnOnce(&mut DaemonTestbed) -> Result<()>) -> Result<()> {
        body(&mut self).map_err(|error| self.failure(error))
    }

    /// `error` with the router's, announcers' and web servers' logs and the
    /// announcers' status attached.
    pub fn failure(&self, error: Error) -> Error {
        let mut text = format!(
            "{error}\n===== {} =====\n{}",
            self.router.kind(),
            self.router.logs()
        );
        for web in &self.webs {
            text.push_str(&web.logs());
        }
        Error::Check(text)
    }

    /// Gives the router its LAN address back and starts it, after a lab
    /// started with [`TestbedOptions::router_unreachable`].
    pub fn bring_router_up(&mut self) -> Result<()> {
        self.topology
            .rtr
            .add_address("br0", IpAddr::V4(ROUTER_V4), 24)?;
        self.router.start_again()
    }

    /// Web server `n` (1-based).
    pub fn web(&self, n: usize) -> Result<&Web> {
        n.checked_sub(1)
            .and_then(|i| self.webs.get(i))
            .ok_or_else(|| self.no_web(n))
    }

    /// Web server `n` (1-based), to act on its processes.
    pub fn web_mut(&mut self, n: usize) -> Result<&mut Web> {
        let missing = self.no_web(n);
        n.checked_sub(1)
            .and_then(|i| self.webs.get_mut(i))
            .ok_or(missing)
    }

    fn no_web(&self, n: usize) -> Error {
        Error::Check(format!("no web{n} in a lab of {}", self.webs.len()))
    }

    /// The next hops of both web servers, sorted.
    pub fn both(&self) -> Vec<IpAddr> {
        let mut hops: Vec<IpAddr> = self.webs.iter().map(Web::peer).collect();
        hops.sort();
        hops
    }

    /// Waits until the kernel route for `prefix` in the router namespace has
    /// exactly `want` as next hops, at most until `since + limit`; returns
    /// the time from `since` (polled every [`FINE_POLL`]).
    pub fn wait_next_hops(
        &self,
        prefix: &str,
        want: &[IpAddr],
        since: Instant,
        limit: Duration,
    ) -> Result<Duration> {
        let what = format!("kernel route {prefix} via {want:?} within {limit:?}");
        let left = limit.saturating_sub(since.elapsed());
        wait_until(&what, left, FINE_POLL, || {
            expect_next_hops(&self.topology.rtr, prefix, want).map(|()| since.elapsed())
        })
    }

    /// Waits until the router shows the sessions with every web server
    /// Established and the kernel route for [`VIP`] via both of them.
    pub fn wait_all_announced(&self, timeout: Duration) -> Result<()> {
        let start = Instant::now();
        for web in &self.webs {
            let what = format!("{} to show {} Established", self.router.kind(), web.name);
            wait_until(&what, timeout, POLL, || {
                match self.router.session_established(web.peer()) {
                    Ok(true) => Ok(()),
                    Ok(false) => Err("not established".to_owned()),
                    Err(e) => Err(e.to_string()),
                }
            })?;
        }
        self.wait_next_hops(VIP, &self.both(), start, timeout)
            .map(drop)
    }

    /// `count` GETs of `http://ADDRESS/` from the client namespace.
    pub fn client_gets(&self, address: Ipv4Addr, count: usize) -> Result<Tally> {
        get_many(
            self.client.name(),
            SocketAddr::from((address, HTTP_PORT)),
            "/",
            count,
        )
    }
}

/// `Ok(true)` when every one of `tools` is installed; otherwise, like
/// [`require_host`], a skip line and `Ok(false)`, or an error when the lab is
/// required ([`REQUIRED_ENV`]).
fn require_tools(tools: &[&str], test: &str) -> Result<bool> {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|tool| find_binary(tool).is_none())
        .collect();
    if missing.is_empty() {
        return Ok(true);
    }
    Err(Error::LabUnavailable(format!(
        "{test}: the scenario needs {} (scripts/test installs it)",
        missing.join(", ")
    )))
}

/// Writes `text` to `path`, executable (mode 0755).
fn write_executable(path: &Path, text: &str) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text)
        .and_then(|()| std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)))
        .map_err(|e| Error::io(format!("write {}", path.display()), e))
}

/// Writes `password` to `dir/peer.key`, readable by its owner only (the daemon refuses a key
/// file others can read).
fn write_key_file(dir: &Path, password: &str) -> Result<PathBuf> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = dir.join("peer.key");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| Error::io(format!("create {}", path.display()), e))?;
    std::io::Write::write_all(&mut file, password.as_bytes())
        .map_err(|e| Error::io(format!("write {}", path.display()), e))?;
    Ok(path)
}
