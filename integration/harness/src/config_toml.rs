//! The tables of an `announcer run` configuration file (the daemon
//! contract), written as TOML text one table at a time: the daemon testbed's
//! `AnnouncerConfig` (in `announcer-integration`) and the benchmark's
//! `announcer::Config` (in `announcer-bench`) both write through here. Each table
//! after the first is set off by a blank line; strings are quoted as TOML.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use crate::routers::bfd::BfdTimers;

/// The one `[[peer]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer<'a> {
    /// `address`.
    pub address: IpAddr,
    /// `remote_as`.
    pub remote_as: u32,
    /// `hold_time` (whole seconds), if set.
    pub hold_time: Option<Duration>,
    /// `password_file` (TCP MD5), if set.
    pub password_file: Option<&'a Path>,
}

/// What a `[[check]]` probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe<'a> {
    /// `type = "http"` fetching this URL.
    Http(&'a str),
    /// `type = "exec"` running this program and its arguments.
    Exec(&'a [String]),
}

/// A `[[check]]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Check<'a> {
    /// `name`.
    pub name: &'a str,
    /// `type` and its URL or command.
    pub probe: Probe<'a>,
    /// `interval` (written in milliseconds).
    pub interval: Duration,
    /// `timeout` (written in milliseconds), if set.
    pub timeout: Option<Duration>,
    /// `rise`.
    pub rise: u32,
    /// `fall`.
    pub fall: u32,
}

/// Appends `[bgp]`.
pub fn bgp(toml: &mut String, local_as: u32, router_id: Ipv4Addr) {
    table(toml, "[bgp]");
    let _ = writeln!(toml, "local_as = {local_as}");
    key(toml, "router_id", &router_id.to_string());
}

/// Appends a `[[peer]]`.
pub fn peer(toml: &mut String, peer: &Peer<'_>) {
    table(toml, "[[peer]]");
    key(toml, "address", &peer.address.to_string());
    let _ = writeln!(toml, "remote_as = {}", peer.remote_as);
    if let Some(hold_time) = peer.hold_time {
        key(toml, "hold_time", &format!("{}s", hold_time.as_secs()));
    }
    if let Some(file) = peer.password_file {
        key(toml, "password_file", &file.to_string_lossy());
    }
}

/// Appends BFD with the peer to the `[[peer]]` just appended: `bfd = true`,
/// `bfd_min_tx`, `bfd_min_rx` (in milliseconds) and `bfd_multiplier`.
pub fn peer_bfd(toml: &mut String, timers: &BfdTimers) {
    toml.push_str("bfd = true\n");
    key(toml, "bfd_min_tx", &millis(timers.min_tx));
    key(toml, "bfd_min_rx", &millis(timers.min_rx));
    let _ = writeln!(toml, "bfd_multiplier = {}", timers.multiplier);
}

/// Appends a `[[check]]`.
pub fn check(toml: &mut String, check: &Check<'_>) {
    table(toml, "[[check]]");
    key(toml, "name", check.name);
    match check.probe {
        Probe::Http(url) => {
            key(toml, "type", "http");
            key(toml, "url", url);
        }
        Probe::Exec(command) => {
            key(toml, "type", "exec");
            let _ = writeln!(toml, "command = {}", strings(command));
        }
    }
    key(toml, "interval", &millis(check.interval));
    if let Some(timeout) = check.timeout {
        key(toml, "timeout", &millis(timeout));
    }
    let _ = writeln!(toml, "rise = {}\nfall = {}", check.rise, check.fall);
}

/// How a `[[vip]]` is bound (its `bind` key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bind {
    /// An address on `lo` (the default: no `bind` key written).
    Address,
    /// A `local` route (`bind = "route"`).
    Route,
    /// Not bound by announcer (`bind = false`).
    None,
}

/// Appends a `[[vip]]` for `prefix`, gated by `checks` (no `checks` key when
/// there are none), bound as `bind` says.
pub fn vip<S: AsRef<str>>(toml: &mut String, prefix: &str, checks: &[S], bind: Bind) {
    vip_table(toml, "prefix", prefix.into(), checks, bind);
}

/// Appends one `[[vip]]` for all of `prefixes` (`prefixes = [...]`: one VIP
/// per host route, all sharing the table's other keys), otherwise as
/// [`vip`].
pub fn vip_list<P: AsRef<str>, S: AsRef<str>>(
    toml: &mut String,
    prefixes: &[P],
    checks: &[S],
    bind: Bind,
) {
    vip_table(toml, "prefixes", strings(prefixes).into(), checks, bind);
}

/// A `[[vip]]` whose addresses are `name = addresses`.
fn vip_table<S: AsRef<str>>(
    toml: &mut String,
    name: &str,
    addresses: toml_edit::Value,
    checks: &[S],
    bind: Bind,
) {
    table(toml, "[[vip]]");
    let _ = writeln!(toml, "{name} = {addresses}");
    if !checks.is_empty() {
        let _ = writeln!(toml, "checks = {}", strings(checks));
    }
    match bind {
        Bind::Address => {}
        Bind::Route => toml.push_str("bind = \"route\"\n"),
        Bind::None => toml.push_str("bind = false\n"),
    }
}

/// Appends `[control]`.
pub fn control(toml: &mut String, socket: &Path, state_dir: &Path) {
    table(toml, "[control]");
    key(toml, "socket", &socket.to_string_lossy());
    key(toml, "state_dir", &state_dir.to_string_lossy());
}

/// Appends `[metrics]` listening on `listen`.
pub fn metrics(toml: &mut String, listen: SocketAddr) {
    table(toml, "[metrics]");
    key(toml, "listen", &listen.to_string());
}

/// Starts a table: a blank line unless it is the first, then its header.
fn table(toml: &mut String, header: &str) {
    if !toml.is_empty() {
        toml.push('\n');
    }
    toml.push_str(header);
    toml.push('\n');
}

/// `name = "value"`, the value quoted as a TOML string.
fn key(toml: &mut String, name: &str, value: &str) {
    let _ = writeln!(toml, "{name} = {}", toml_edit::Value::from(value));
}

/// A TOML array of strings: `["a", "b"]`.
fn strings<S: AsRef<str>>(items: &[S]) -> toml_edit::Array {
    items.iter().map(AsRef::as_ref).collect()
}

/// A duration in whole milliseconds: `500ms`.
fn millis(duration: Duration) -> String {
    format!("{}ms", duration.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_set_off_by_blank_lines_and_parse() {
        let mut toml = String::new();
        bgp(&mut toml, 65001, Ipv4Addr::new(192, 0, 2, 11));
        peer(
            &mut toml,
            &Peer {
                address: "192.0.2.1".parse().unwrap(),
                remote_as: 65000,
                hold_time: Some(Duration::from_secs(9)),
                password_file: None,
            },
        );
        peer_bfd(
            &mut toml,
            &BfdTimers {
                min_tx: Duration::from_millis(100),
                min_rx: Duration::from_millis(300),
                multiplier: 5,
            },
        );
        vip(&mut toml, "198.18.0.0/32", &[] as &[&str], Bind::None);
        vip(&mut toml, "203.0.113.1/32", &["c1"], Bind::Address);
        vip_list(
            &mut toml,
            &["198.18.0.1/32", "198.18.0.2/32"],
            &["c1"],
            Bind::None,
        );
        vip(&mut toml, "203.0.113.2/32", &[] as &[&str], Bind::Route);
        control(&mut toml, Path::new("/lab/a.sock"), Path::new("/lab/state"));
        assert!(
            toml.starts_with("[bgp]\nlocal_as = 65001\nrouter_id = \"192.0.2.11\"\n\n[[peer]]\n")
        );
        assert!(toml.contains("\n[[vip]]\nprefix = \"198.18.0.0/32\"\nbind = false\n\n"));
        assert!(toml.contains("\n[[vip]]\nprefix = \"203.0.113.1/32\"\nchecks = [\"c1\"]\n\n"));
        assert!(toml.contains(
            "\n[[vip]]\nprefixes = [\"198.18.0.1/32\", \"198.18.0.2/32\"]\nchecks = [\"c1\"]\nbind = false\n\n"
        ));
        let parsed: toml_edit::DocumentMut = toml.parse().unwrap();
        assert!(toml.contains("\n[[vip]]\nprefix = \"203.0.113.2/32\"\nbind = \"route\"\n"));
        assert_eq!(parsed["vip"].as_array_of_tables().unwrap().len(), 4);
        assert_eq!(
            parsed["vip"][2]["prefixes"][1].as_str(),
            Some("198.18.0.2/32")
        );
        assert_eq!(parsed["control"]["socket"].as_str(), Some("/lab/a.sock"));
        let peer = &parsed["peer"][0];
        assert_eq!(peer["bfd"].as_bool(), Some(true));
        assert_eq!(peer["bfd_min_tx"].as_str(), Some("100ms"));
        assert_eq!(peer["bfd_min_rx"].as_str(), Some("300ms"));
        assert_eq!(peer["bfd_multiplier"].as_integer(), Some(5));
    }

    #[test]
    fn strings_are_quoted_as_toml() {
        let mut toml = String::new();
        let command = ["sh".to_owned(), "-c".to_owned(), "echo \"hi\"".to_owned()];
        check(
            &mut toml,
            &Check {
                name: "a \"b\"",
                probe: Probe::Exec(&command),
                interval: Duration::from_millis(100),
                timeout: None,
                rise: 1,
                fall: 1,
            },
        );
        let parsed: toml_edit::DocumentMut = toml.parse().unwrap();
        let table = &parsed["check"][0];
        assert_eq!(table["name"].as_str(), Some("a \"b\""));
        assert_eq!(table["command"][2].as_str(), Some("echo \"hi\""));
        assert_eq!(table["interval"].as_str(), Some("100ms"));
        assert!(table.get("timeout").is_none());
    }
}
