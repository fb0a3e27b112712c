//! BIRD 2 as the edge router: one `bird -f` process with a private control
//! socket, kernel protocols with `merge paths on` so equal routes from two
//! speakers become one multipath kernel route.
//!
//! Relies on these BIRD outputs: `show route all` (a route line with the
//! protocol name in brackets, then tab-indented `BGP.as_path:`,
//! `BGP.next_hop:`, `BGP.med:`, `BGP.community: (a,b) ...`,
//! `BGP.large_community: (a, b, c) ...`), `show protocols all NAME` (`BGP
//! state:` line), `show protocols NAME` (one line with the time of the last
//! state change) and its log (`<RMT> NAME: Received: ...` for NOTIFICATIONs);
//! with BFD, `show bfd sessions` ([`super::bfd`]).

use std::fmt::Write as _;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::bfd::{self, BfdSession, BfdTimers};
use super::{
    stop_process, EdgeRouter, Mode, PeerConfig, ReceivedUpdates, RibRoute, RouterKind, RouterSetup,
    LOCAL_AS, ROUTER_ID,
};
use crate::error::{Error, Result};
use crate::process::{tail, ChildGuard};

/// How long BIRD may take to open its control socket.
const STARTUP: Duration = Duration::from_secs(10);

/// How the generated configuration differs from the lab's default (for
/// harnesses such as the benchmarks; [`Bird::start`] uses the default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BirdOptions {
    /// Export BGP routes to the kernel (`protocol kernel`, multipath). Off,
    /// BIRD only keeps them in its own tables. Default: on.
    pub kernel_export: bool,
    /// Show protocol state-change times (the `Since` column of `show
    /// protocols`) and log times as Unix time with milliseconds
    /// (`1795229045.047`) instead of the time of day. Default: off.
    pub unix_times: bool,
    /// Log each BGP session's states and events (`debug { states, events
    /// }`: connecting, connected, established, ...). Default: off.
    pub trace_sessions: bool,
    /// Start every BGP protocol disabled (`disabled on`), to be enabled
    /// over the control socket (`enable spk0`) when the harness chooses.
    /// Default: off.
    pub start_disabled: bool,
}

impl Default for BirdOptions {
    fn default() -> Self {
        BirdOptions {
            kernel_export: true,
            unix_times: false,
            trace_sessions: false,
            start_disabled: false,
        }
    }
}

/// A running BIRD edge router.
#[derive(Debug)]
pub struct Bird {
    setup: RouterSetup,
    process: Option<ChildGuard>,
}

impl Bird {
    /// Writes the configuration and starts BIRD in `setup.ns`.
    pub fn start(setup: RouterSetup) -> Result<Self> {
        Self::start_with(setup, BirdOptions::default())
    }

    /// [`Bird::start`] with the configuration varied as `options` says.
    pub fn start_with(setup: RouterSetup, options: BirdOptions) -> Result<Self> {
        Self::start_with_bfd(setup, options, None)
    }

    /// [`Bird::start_with`], and with `bfd` set, BFD on `br0` at those
    /// timers and `bfd on` in every BGP protocol.
    pub fn start_with_bfd(
        setup: RouterSetup,
        options: BirdOptions,
        bfd: Option<BfdTimers>,
    ) -> Result<Self> {
        let conf = config(&setup.dir, &setup.peers, options, bfd);
        let path = setup.dir.join("bird.conf");
        std::fs::write(&path, conf)
            .map_err(|e| Error::io(format!("write {}", path.display()), e))?;
        let mut bird = Bird {
            setup,
            process: None,
        };
        bird.start_again()?;
        Ok(bird)
    }

    /// BIRD's control socket (what `birdc -s` talks to); a Unix socket, so
    /// reachable from any network namespace.
    pub fn control_socket(&self) -> PathBuf {
        self.setup.dir.join("bird.ctl")
    }

    /// BIRD's log file (`log "..." all`).
    pub fn log_file(&self) -> PathBuf {
        self.setup.dir.join("bird.log")
    }

    /// Runs `birdc` with `args`; BIRD answers some queries (e.g. an unknown
    /// network) with a non-zero status, so only a missing server is an error.
    fn birdc(&self, args: &[&str]) -> Result<String> {
        let socket = self.control_socket();
        let socket = socket.to_string_lossy();
        let output = self
            .setup
            .ns
            .command("birdc")
            .arg("-s")
            .arg(socket.as_ref())
            .args(args)
            .output()
            .map_err(|e| Error::io("run birdc", e))?;
        let text = String::from_utf8_lossy(&output.stdout).into_owned();
        if !text.starts_with("BIRD") {
            return Err(Error::Check(format!(
                "birdc {args:?}: {}{}",
                text.trim(),
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Ok(text)
    }

    fn protocol_of(&self, peer: IpAddr) -> Result<String> {
        self.setup
            .peers
            .iter()
            .position(|p| p.address == peer)
            .map(protocol_name)
            .ok_or_else(|| Error::Check(format!("{peer} is not a configured BIRD neighbor")))
    }
}

/// The BGP protocol name of the `index`th neighbor (`spk0` for the first).
pub fn protocol_name(index: usize) -> String {
    format!("spk{index}")
}

/// RFC 8326 §4: routes carrying GRACEFUL_SHUTDOWN (65535:0) get local-pref 0, so a draining
/// server leaves the multipath route before it withdraws.
const HONOUR_GRACEFUL_SHUTDOWN: &str = "filter honour_graceful_shutdown {
  if (65535, 0) ~ bgp_community then bgp_local_pref = 0;
  accept;
}
";

/// The kernel protocols: BGP routes into the kernel, equal ones merged into
/// one multipath route.
const KERNEL_EXPORT: &str = "protocol kernel kernel4 {
  ipv4 { export where source = RTS_BGP; };
  merge paths on;
}
protocol kernel kernel6 {
  ipv6 { export where source = RTS_BGP; };
  merge paths on;
}
";

/// The BIRD configuration for `peers`, logging into `dir`, varied by `options`, with BFD
/// at `bfd`'s timers if set.
fn config(
    dir: &Path,
    peers: &[PeerConfig],
    options: BirdOptions,
    bfd: Option<BfdTimers>,
) -> String {
    let mut conf = format!(
        "log \"{log}\" all;\nrouter id {ROUTER_ID};\n",
        log = dir.join("bird.log").display()
    );
    if options.unix_times {
        conf.push_str("timeformat protocol \"%s.%3f\";\ntimeformat log \"%s.%3f\";\n");
    }
    conf.push_str("protocol device { scan time 10; }\n");
    if options.kernel_export {
        conf.push_str(KERNEL_EXPORT);
    }
    conf.push_str(HONOUR_GRACEFUL_SHUTDOWN);
    if let Some(timers) = bfd {
        conf.push_str(&bfd::bird_protocol("br0", timers));
    }
    for (index, peer) in peers.iter().enumerate() {
        let _ = writeln!(conf, "protocol bgp {} {{", protocol_name(index));
        let _ = writeln!(conf, "  local as {LOCAL_AS};");
        let _ = writeln!(conf, "  neighbor {} as {};", peer.address, peer.remote_as);
        conf.push_str("  hold time 9; keepalive time 3; connect retry time 2; connect delay time 0; error wait time 1, 5;\n");
        if let Some(password) = &peer.password {
            let _ = writeln!(conf, "  password \"{password}\";");
        }
        if peer.mode == Mode::Passive {
            conf.push_str("  passive on;\n");
        }
        if options.start_disabled {
            conf.push_str("  disabled on;\n");
        }
        if bfd.is_some() {
            conf.push_str("  bfd on;\n");
        }
        if options.trace_sessions {
            conf.push_str("  debug { states, events };\n");
        }
        for family in ["ipv4", "ipv6"] {
            let _ = writeln!(
                conf,
                "  {family} {{ import filter honour_graceful_shutdown; export none; }};"
            );
        }
        conf.push_str("}\n");
    }
    conf
}

impl EdgeRouter for Bird {
    fn kind(&self) -> RouterKind {
        RouterKind::Bird
    }

    fn stop(&mut self) -> Result<()> {
        stop_process(&mut self.process)
    }

    fn kill(&mut self) -> Result<()> {
        if let Some(mut process) = self.process.take() {
            process.kill()?;
        }
        Ok(())
    }

    fn start_again(&mut self) -> Result<()> {
        let conf = self.setup.dir.join("bird.conf");
        let mut command = self.setup.ns.command("bird");
        command
            .arg("-f")
            .arg("-c")
            .arg(&conf)
            .arg("-s")
            .arg(self.control_socket());
        let what = ("BIRD to answer on its control socket", STARTUP);
        let process = ChildGuard::spawn_ready("bird", command, &self.setup.dir, what, || {
            self.birdc(&["show", "status"]).map_err(|e| e.to_string())
        })?;
        self.process = Some(process);
        Ok(())
    }

    fn routes(&self) -> Result<Vec<RibRoute>> {
        let text = self.birdc(&["show", "route", "all"])?;
        let names: Vec<(String, IpAddr)> = self
            .setup
            .peers
            .iter()
            .enumerate()
            .map(|(i, p)| (protocol_name(i), p.address))
            .collect();
        parse_routes(&text, &names)
    }

    fn session_established(&self, peer: IpAddr) -> Result<bool> {
        let text = self.birdc(&["show", "protocols", "all", &self.protocol_of(peer)?])?;
        Ok(text.lines().any(|line| {
            line.trim_start()
                .strip_prefix("BGP state:")
                .is_some_and(|state| state.trim() == "Established")
        }))
    }

    fn received_updates(&self, peer: IpAddr) -> Result<ReceivedUpdates> {
        let text = self.birdc(&["show", "protocols", "all", &self.protocol_of(peer)?])?;
        parse_received(&text)
    }

    fn session_mark(&self, peer: IpAddr) -> Result<Option<String>> {
        let name = self.protocol_of(peer)?;
        let text = self.birdc(&["show", "protocols", &name])?;
        Ok(protocol_line(&text, &name)
            .filter(|line| line.ends_with("Established"))
            .map(str::to_owned))
    }

    fn bfd_session(&self, peer: IpAddr) -> Result<Option<BfdSession>> {
        bfd::parse_bird_sessions(&self.birdc(&["show", "bfd", "sessions"])?, peer)
    }

    fn session_down_reason(&self, peer: IpAddr) -> Result<Option<String>> {
        let text = self.birdc(&["show", "protocols", "all", &self.protocol_of(peer)?])?;
        Ok(text.lines().find_map(|line| {
            line.trim_start()
                .strip_prefix("Last error:")
                .map(|error| error.trim().to_owned())
        }))
    }

    fn last_error(&self, peer: IpAddr) -> Result<Option<String>> {
        let marker = format!("{}: ", self.protocol_of(peer)?);
        let log = std::fs::read_to_string(self.log_file())
            .map_err(|e| Error::io(format!("read {}", self.log_file().display()), e))?;
        Ok(log
            .lines()
            .rev()
            .find_map(|line| received_notification(line, &marker))
            .map(str::to_owned))
    }

    fn logs(&self) -> String {
        let mut out = self
            .process
            .as_ref()
            .map(ChildGuard::logs)
            .unwrap_or_default();
        let _ = write!(
            out,
            "--- {} ---\n{}\n",
            self.log_file().display(),
            tail(&self.log_file(), 60)
        );
        out
    }
}

/// The line of `show protocols` about protocol `name` (`spk0  BGP  ---  up
/// 23:42:09.904  Established`), trimmed.
fn protocol_line<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    text.lines()
        .find(|line| line.split_whitespace().next() == Some(name))
        .map(str::trim)
}

/// Sums the `received` column of the `Import updates:` and `Import
/// withdraws:` lines of `show protocols all NAME` over its channels.
fn parse_received(text: &str) -> Result<ReceivedUpdates> {
    let mut counts = ReceivedUpdates::default();
    for line in text.lines() {
        let line = line.trim_start();
        let (field, rest) = if let Some(rest) = line.strip_prefix("Import updates:") {
            (&mut counts.announced, rest)
        } else if let Some(rest) = line.strip_prefix("Import withdraws:") {
            (&mut counts.withdrawn, rest)
        } else {
            continue;
        };
        let received = rest.split_whitespace().next().unwrap_or_default();
        *field += received.parse::<u64>().map_err(|_| {
            Error::parse(
                "birdc show protocols all",
                format!("received count {received:?} in {line:?}"),
            )
        })?;
    }
    Ok(counts)
}

/// The `Received: ...` part of a BIRD log line about the protocol whose
/// messages start with `marker` (`"spk0: "`), if it reports a NOTIFICATION.
fn received_notification<'a>(line: &'a str, marker: &str) -> Option<&'a str> {
    let (_, message) = line.split_once(marker)?;
    message.starts_with("Received: ").then_some(message)
}

/// Parses `birdc show route all`; `names` maps BGP protocol names to the
/// neighbor addresses (routes of other protocols are skipped).
fn parse_routes(text: &str, names: &[(String, IpAddr)]) -> Result<Vec<RibRoute>> {
    let what = "birdc show route all";
    let mut routes = Vec::new();
    let mut prefix = String::new();
    let mut current: Option<RibRoute> = None;
    for line in text.lines() {
        if line.starts_with('\t') {
            if let Some(route) = current.as_mut() {
                parse_attribute(line.trim(), route)?;
            }
            continue;
        }
        let Some(open) = line.find(" [") else {
            continue;
        };
        if !line.starts_with(' ') {
            prefix = line
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_owned();
        }
        routes.extend(current.take());
        let protocol = line
            .get(open + 2..)
            .and_then(|rest| rest.split_whitespace().next())
            .unwrap_or_default();
        if let Some((_, from)) = names.iter().find(|(name, _)| name == protocol) {
            let next_hop = if prefix.contains(':') {
                IpAddr::from([0u16; 8])
            } else {
                IpAddr::from([0u8; 4])
            };
            current = Some(RibRoute {
                prefix: prefix.clone(),
                as_path: Vec::new(),
                next_hop,
                med: None,
                communities: Vec::new(),
                large_communities: Vec::new(),
                from: *from,
            });
        }
    }
    routes.extend(current);
    if routes.iter().any(|r| r.prefix.is_empty()) {
        return Err(Error::parse(
            what,
            format!("a route without a prefix in:\n{text}"),
        ));
    }
    Ok(routes)
}

/// Applies one `BGP.*` attribute line of `show route all` to `route`.
fn parse_attribute(line: &str, route: &mut RibRoute) -> Result<()> {
    let Some((key, value)) = line.split_once(':') else {
        return Ok(());
    };
    let value = value.trim();
    let bad = |detail: &str| {
        Error::parse(
            "birdc show route all",
            format!("{key}: {detail}: {value:?}"),
        )
    };
    match key {
        "BGP.as_path" => {
            route.as_path = value
                .split_whitespace()
                .map(|asn| {
                    asn.trim_matches(|c| c == '{' || c == '}')
                        .parse()
                        .map_err(|_| bad("not an AS"))
                })
                .collect::<Result<_>>()?;
        }
        "BGP.next_hop" => {
            let first = value.split_whitespace().next().unwrap_or_default();
            route.next_hop = first.parse().map_err(|_| bad("not an address"))?;
        }
        "BGP.med" => route.med = Some(value.parse().map_err(|_| bad("not a number"))?),
        "BGP.community" => {
            route.communities = tuples(value)
                .map(|parts| match parts.as_slice() {
                    [asn, value] => Ok((
                        asn.parse().map_err(|_| bad("AS"))?,
                        value.parse().map_err(|_| bad("value"))?,
                    )),
                    _ => Err(bad("expected (a,b)")),
                })
                .collect::<Result<_>>()?;
        }
        "BGP.large_community" => {
            route.large_communities = tuples(value)
                .map(|parts| match parts.as_slice() {
                    [global, one, two] => Ok((
                        global.parse().map_err(|_| bad("global"))?,
                        one.parse().map_err(|_| bad("local 1"))?,
                        two.parse().map_err(|_| bad("local 2"))?,
                    )),
                    _ => Err(bad("expected (a, b, c)")),
                })
                .collect::<Result<_>>()?;
        }
        _ => {}
    }
    Ok(())
}

/// Splits `(a,b) (c, d, e)` into `[["a","b"], ["c","d","e"]]`.
fn tuples(value: &str) -> impl Iterator<Item = Vec<&str>> {
    value
        .split(')')
        .map(|chunk| chunk.trim().trim_start_matches('('))
        .filter(|chunk| !chunk.is_empty())
        .map(|chunk| chunk.split(',').map(str::trim).collect())
}

#[cfg(test)]
mod tests;
