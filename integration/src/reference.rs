//! A reference sender: BIRD 2 in a speaker namespace standing in for our
//! speaker. Running the scenarios with it checks the lab itself (topology,
//! router configs, parsers, assertions) independently of the speaker.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::netns::Netns;
use crate::process::{tail, ChildGuard, Streams};
use crate::sender::{Announcement, Sender};
use crate::wait::{wait_until, POLL};

/// The name of the BGP protocol towards the edge router.
const PROTOCOL: &str = "edge";

/// Where and as whom the reference sender runs.
#[derive(Debug, Clone)]
pub struct BirdSenderSetup {
    /// The sender's AS.
    pub local_as: u32,
    /// Its IPv4 address (also its router id).
    pub v4: Ipv4Addr,
    /// Its IPv6 address (the IPv6 next hop).
    pub v6: Ipv6Addr,
    /// The edge router's address.
    pub router: IpAddr,
    /// The edge router's AS.
    pub router_as: u32,
    /// TCP MD5 password.
    pub password: Option<String>,
    /// A private directory for config, socket and logs.
    pub dir: PathBuf,
}

/// BIRD announcing static blackhole routes with the requested attributes.
#[derive(Debug)]
pub struct BirdSender {
    process: ChildGuard,
    setup: BirdSenderSetup,
    ns: Arc<Netns>,
    routes: Vec<Announcement>,
}

impl BirdSender {
    /// Waits until the session is Established (`up`) or not (`!up`).
    fn wait_session(&self, up: bool, timeout: Duration) -> Result<()> {
        let what = if up {
            "reference BIRD session Established"
        } else {
            "reference BIRD session down"
        };
        wait_until(what, timeout, POLL, || {
            let text = self
                .birdc(&["show", "protocols", PROTOCOL])
                .map_err(|e| e.to_string())?;
            if text.contains("Established") == up {
                Ok(())
            } else {
                Err(text)
            }
        })
    }

    /// Starts BIRD in `ns` with no routes.
    pub fn start(ns: Arc<Netns>, setup: BirdSenderSetup) -> Result<Self> {
        write_config(&setup, &[])?;
        let mut command = ns.command("bird");
        command
            .arg("-f")
            .arg("-c")
            .arg(setup.dir.join("bird.conf"))
            .arg("-s")
            .arg(setup.dir.join("bird.ctl"));
        let process = ChildGuard::spawn("reference-bird", command, &setup.dir, Streams::Logged)?;
        let mut sender = BirdSender {
            process,
            setup,
            ns,
            routes: Vec::new(),
        };
        let ready = wait_until(
            "reference BIRD control socket",
            Duration::from_secs(10),
            POLL,
            || {
                if let Ok(Some(status)) = sender.process.try_exited() {
                    return Ok(Err(format!("reference BIRD exited: {status}")));
                }
                sender
                    .birdc(&["show", "status"])
                    .map(Ok)
                    .map_err(|e| e.to_string())
            },
        );
        match ready {
            Ok(Ok(_)) => Ok(sender),
            Ok(Err(exited)) => Err(sender.process.failure(exited)),
            Err(e) => Err(sender.process.failure(e.to_string())),
        }
    }

    fn birdc(&self, args: &[&str]) -> Result<String> {
        let output = self
            .ns
            .command("birdc")
            .arg("-s")
            .arg(self.setup.dir.join("bird.ctl"))
            .args(args)
            .output()
            .map_err(|e| Error::io("run birdc", e))?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        if !text.starts_with("BIRD") {
            return Err(Error::Check(format!("reference birdc {args:?}: {text}")));
        }
        Ok(text)
    }

    fn reconfigure(&self) -> Result<()> {
        write_config(&self.setup, &self.routes)?;
        let text = self.birdc(&["configure"])?;
        if !text.contains("Reconfigured") && !text.contains("Reconfiguration in progress") {
            return Err(Error::Check(format!(
                "reference BIRD did not reconfigure: {text}"
            )));
        }
        Ok(())
    }
}

/// Writes `dir/bird.conf` announcing `routes`.
fn write_config(setup: &BirdSenderSetup, routes: &[Announcement]) -> Result<()> {
    let path = setup.dir.join("bird.conf");
    std::fs::write(&path, config(setup, routes))
        .map_err(|e| Error::io(format!("write {}", path.display()), e))
}

/// The reference sender's configuration.
fn config(setup: &BirdSenderSetup, routes: &[Announcement]) -> String {
    let mut conf = format!(
        "log \"{}\" all;\nrouter id {};\nprotocol device {{}}\n",
        Path::new(&setup.dir).join("bird.log").display(),
        setup.v4
    );
    let (v6, v4): (Vec<&Announcement>, Vec<&Announcement>) =
        routes.iter().partition(|r| r.prefix.contains(':'));
    for (name, family, list) in [("static4", "ipv4", &v4), ("static6", "ipv6", &v6)] {
        let _ = write!(conf, "protocol static {name} {{ {family};");
        for route in list.iter() {
            let _ = write!(conf, " route {} blackhole;", route.prefix);
        }
        conf.push_str(" }\n");
    }
    conf.push_str("filter sender_export {\n");
    for route in routes {
        let _ = write!(conf, "  if net = {} then {{", route.prefix);
        if let Some(med) = route.med {
            let _ = write!(conf, " bgp_med = {med};");
        }
        for (a, b) in &route.communities {
            let _ = write!(conf, " bgp_community.add(({a},{b}));");
        }
        for (a, b, c) in &route.large_communities {
            let _ = write!(conf, " bgp_large_community.add(({a},{b},{c}));");
        }
        for _ in 0..route.prepend {
            let _ = write!(conf, " bgp_path.prepend({});", setup.local_as);
        }
        conf.push_str(" }\n");
    }
    conf.push_str("  accept;\n}\n");
    let _ = writeln!(conf, "protocol bgp {PROTOCOL} {{");
    let _ = writeln!(conf, "  local {} as {};", setup.v4, setup.local_as);
    let _ = writeln!(conf, "  neighbor {} as {};", setup.router, setup.router_as);
    conf.push_str("  hold time 9; keepalive time 3; connect retry time 2; connect delay time 0; error wait time 1, 5;\n");
    if let Some(password) = &setup.password {
        let _ = writeln!(conf, "  password \"{password}\";");
    }
    conf.push_str("  ipv4 { import none; export filter sender_export; };\n");
    let _ = writeln!(
        conf,
        "  ipv6 {{ import none; export filter sender_export; next hop address {}; }};\n}}",
        setup.v6
    );
    conf
}

impl Sender for BirdSender {
    fn announce(&mut self, route: &Announcement) -> Result<()> {
        self.routes.retain(|r| r.prefix != route.prefix);
        self.routes.push(route.clone());
        self.reconfigure()
    }

    fn withdraw(&mut self, prefix: &str) -> Result<()> {
        self.routes.retain(|r| r.prefix != prefix);
        self.reconfigure()
    }

    fn shutdown(&mut self, reason: &str) -> Result<()> {
        let text = self.birdc(&["disable", PROTOCOL, &format!("\"{reason}\"")])?;
        if !text.contains("disabled") {
            return Err(Error::Check(format!(
                "reference BIRD did not disable {PROTOCOL}: {text}"
            )));
        }
        self.process.stop(Duration::from_secs(5))
    }

    fn wait_established(&mut self, timeout: Duration) -> Result<()> {
        self.wait_session(true, timeout)
    }

    fn wait_down(&mut self, timeout: Duration) -> Result<()> {
        self.wait_session(false, timeout)
    }

    fn logs(&self) -> String {
        let log = self.setup.dir.join("bird.log");
        format!(
            "{}--- {} ---\n{}\n",
            self.process.logs(),
            log.display(),
            tail(&log, 60)
        )
    }
}
