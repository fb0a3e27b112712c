//! `[[peer]]` → [`PeerConfig`]: address and AS, port, hold time, passive mode, source
//! address, next hops, TTL handling and the TCP MD5 password.
//!
//! Keys left out keep [`PeerConfig::new`]'s defaults (port 179, hold time 90 s, active,
//! IPv4 and IPv6 unicast, the bgp crate's backoff and connect timeout).

use std::fs::File;
use std::io::{self, Read};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Duration;

use announcer_bfd::{Interval, Multiplier, SessionConfig};
use announcer_bgp::{HoldTime, Password, PeerConfig, TtlMode};
use toml::Value;

use super::error::Problem;
use super::raw::RawPeer;
use super::value::{Field, Result, Scope};

/// The longest TCP MD5 key Linux accepts.
const MAX_PASSWORD_LEN: usize = nix::libc::TCP_MD5SIG_MAXKEYLEN;

/// How much of a password file is read: the longest key, a CRLF, and one byte more to tell
/// a longer file.
const PASSWORD_FILE_READ_LIMIT: u64 = 83;

/// The peer described by `raw`, at key path `scope`; a relative `password_file` is read
/// from `base_dir`.
pub(super) fn peer(raw: &RawPeer, scope: &Scope, base_dir: &Path) -> Result<PeerConfig> {
    let address = scope.field("address", &raw.address).ip()?;
    let remote_as = scope.field("remote_as", &raw.remote_as).asn()?;
    let defaults = PeerConfig::new(address, remote_as);
    let (next_hop_v4, next_hop_v6) = scope
        .get("next_hop", &raw.next_hop, next_hops)?
        .unwrap_or_default();
    Ok(PeerConfig {
        name: scope
            .get("name", &raw.name, |f| f.non_empty_str().map(str::to_owned))?
            .unwrap_or_else(|| defaults.name.clone()),
        port: scope.get("port", &raw.port, port)?.unwrap_or(defaults.port),
        hold_time: scope
            .get("hold_time", &raw.hold_time, hold_time)?
            .unwrap_or(defaults.hold_time),
        passive: scope
            .get("passive", &raw.passive, Field::bool)?
            .unwrap_or(defaults.passive),
        local_address: scope.get("local_address", &raw.local_address, |f| {
            local_address(f, address)
        })?,
        next_hop_v4,
        next_hop_v6,
        password: password(raw, scope, base_dir)?,
        ttl: ttl(raw, scope)?,
        ..defaults
    })
}

/// `bfd_min_tx` and `bfd_min_rx` when not set.
pub const DEFAULT_BFD_INTERVAL: Duration = Duration::from_millis(300);
/// The shortest and longest BFD interval accepted.
const BFD_INTERVALS: std::ops::RangeInclusive<Duration> =
    Duration::from_millis(10)..=Duration::from_secs(60);

/// The peer's BFD session when `bfd = true`: `bfd_min_tx` (Desired Min TX), `bfd_min_rx`
/// (Required Min RX), both 300 ms by default, and `bfd_multiplier` (3). The interval keys
/// are checked whether or not `bfd` is on.
pub(super) fn bfd(raw: &RawPeer, scope: &Scope) -> Result<Option<SessionConfig>> {
    let interval = |field: &Field<'_>| -> Result<Interval> {
        const EXPECTED: &str = "a BFD interval from \"10ms\" to \"60s\"";
        let duration = field.duration()?;
        if !BFD_INTERVALS.contains(&duration) {
            return Err(field.expected(EXPECTED));
        }
        Ok(Interval::from_duration(duration))
    };
    let desired_min_tx = scope
        .get("bfd_min_tx", &raw.bfd_min_tx, interval)?
        .unwrap_or(Interval::from_duration(DEFAULT_BFD_INTERVAL));
    let required_min_rx = scope
        .get("bfd_min_rx", &raw.bfd_min_rx, interval)?
        .unwrap_or(Interval::from_duration(DEFAULT_BFD_INTERVAL));
    let multiplier = scope
        .get("bfd_multiplier", &raw.bfd_multiplier, |field| {
            const EXPECTED: &str = "a BFD detection multiplier (1-255)";
            let n = field.u32(EXPECTED, 1..=255)?;
            u8::try_from(n)
                .ok()
                .and_then(Multiplier::new)
                .ok_or_else(|| field.expected(EXPECTED))
        })?
        .unwrap_or(Multiplier::DEFAULT);
    let on = scope.get("bfd", &raw.bfd, Field::bool)?.unwrap_or(false);
    Ok(on.then_some(SessionConfig {
        desired_min_tx,
        required_min_rx,
        multiplier,
    }))
}

/// A TCP port, 1-65535.
fn port(field: &Field<'_>) -> Result<u16> {
    const EXPECTED: &str = "a port number (1-65535)";
    let port = field.integer(EXPECTED, 1..=65535)?;
    u16::try_from(port).map_err(|_| field.expected(EXPECTED))
}

/// A hold time: a duration of zero or of 3-65535 whole seconds (RFC 4271 §4.2).
fn hold_time(field: &Field<'_>) -> Result<HoldTime> {
    const EXPECTED: &str =
        "a hold time of \"0s\" or of 3 to 65535 whole seconds such as \"90s\" (RFC 4271 §4.2)";
    let duration = field.duration()?;
    if duration.subsec_nanos() != 0 {
        return Err(field.expected(EXPECTED));
    }
    u16::try_from(duration.as_secs())
        .ok()
        .and_then(|seconds| HoldTime::new(seconds).ok())
        .ok_or_else(|| field.expected(EXPECTED))
}

/// A source address of the peer address's family.
fn local_address(field: &Field<'_>, peer: IpAddr) -> Result<IpAddr> {
    let local = field.ip()?;
    if local.is_ipv4() != peer.is_ipv4() {
        return Err(field.error(Problem::LocalAddressFamily { local, peer }));
    }
    Ok(local)
}

/// `next_hop`: one address, or a list of at most one IPv4 and one IPv6 address.
fn next_hops(field: &Field<'_>) -> Result<(Option<Ipv4Addr>, Option<Ipv6Addr>)> {
    const EXPECTED: &str = "an IP address, or a list of one IPv4 and one IPv6 address";
    let parse = |value: &Value| -> Result<IpAddr> {
        value
            .as_str()
            .and_then(|s| s.parse::<IpAddr>().ok())
            .filter(|addr| !addr.is_unspecified())
            .ok_or_else(|| field.expected(EXPECTED))
    };
    let addresses = match field.value() {
        Value::Array(items) if (1..=2).contains(&items.len()) => {
            items.iter().map(parse).collect::<Result<Vec<_>>>()?
        }
        single => vec![parse(single)?],
    };
    let mut hops = (None, None);
    for address in addresses {
        match (address, &hops) {
            (IpAddr::V4(v4), (None, _)) => hops.0 = Some(v4),
            (IpAddr::V6(v6), (_, None)) => hops.1 = Some(v6),
            _ => return Err(field.expected(EXPECTED)),
        }
    }
    Ok(hops)
}

/// `ttl_security` (GTSM, RFC 5082) or `multihop`, which exclude each other.
fn ttl(raw: &RawPeer, scope: &Scope) -> Result<TtlMode> {
    if let (Some(_), Some(multihop)) = (&raw.ttl_security, &raw.multihop) {
        return Err(scope.field("multihop", multihop).error(Problem::Exclusive {
            other: "ttl_security",
        }));
    }
    if let Some(hops) = scope.get("ttl_security", &raw.ttl_security, gtsm_hops)? {
        return Ok(hops.map_or(TtlMode::Default, |hops| TtlMode::Security { hops }));
    }
    let multihop = scope.get("multihop", &raw.multihop, |field| {
        let ttl = field.integer("a TTL (1-255)", 1..=255)?;
        u8::try_from(ttl).map_err(|_| field.expected("a TTL (1-255)"))
    })?;
    Ok(multihop.map_or(TtlMode::Default, TtlMode::Multihop))
}

/// `ttl_security`: `true` (the peer is directly connected), `false`, or a hop count.
fn gtsm_hops(field: &Field<'_>) -> Result<Option<u8>> {
    const EXPECTED: &str = "true, false or a hop count (1-254)";
    match field.value() {
        Value::Boolean(enabled) => Ok(enabled.then_some(1)),
        _ => {
            let hops = field.integer(EXPECTED, 1..=254)?;
            u8::try_from(hops)
                .map(Some)
                .map_err(|_| field.expected(EXPECTED))
        }
    }
}

/// `password` or `password_file`, never both; neither means no TCP MD5.
fn password(raw: &RawPeer, scope: &Scope, base_dir: &Path) -> Result<Option<Password>> {
    match (&raw.password, &raw.password_file) {
        (Some(_), Some(file)) => Err(scope
            .field("password_file", file)
            .error(Problem::Exclusive { other: "password" })),
        (Some(inline), None) => {
            let field = scope.field("password", inline);
            let secret = field.value().as_str().ok_or_else(|| {
                field.error(Problem::Expected {
                    expected: "a string",
                    found: format!("a value of type {}", field.value().type_str()),
                })
            })?;
            checked(secret.as_bytes()).map_err(|problem| field.error(problem))
        }
        (None, Some(file)) => {
            let field = scope.field("password_file", file);
            let path = field.path(base_dir)?;
            read_password_file(&path)
                .and_then(|secret| checked(&secret))
                .map_err(|problem| field.error(problem))
        }
        (None, None) => Ok(None),
    }
}

/// A usable TCP MD5 key: not empty, not too long, UTF-8.
fn checked(secret: &[u8]) -> std::result::Result<Option<Password>, Problem> {
    if secret.is_empty() {
        return Err(Problem::EmptyPassword);
    }
    if secret.len() > MAX_PASSWORD_LEN {
        return Err(Problem::PasswordTooLong {
            max: MAX_PASSWORD_LEN,
        });
    }
    let secret = String::from_utf8(secret.to_vec()).map_err(|_| Problem::Expected {
        expected: "a UTF-8 password",
        found: "other bytes".to_owned(),
    })?;
    Ok(Some(Password::new(secret)))
}

/// The contents of a password file without its trailing newline; the file must not be
/// readable by others.
fn read_password_file(path: &Path) -> std::result::Result<Vec<u8>, Problem> {
    let read_error = |source: io::Error| Problem::PasswordFileRead {
        file: path.to_owned(),
        source,
    };
    let file = File::open(path).map_err(read_error)?;
    let mode = file.metadata().map_err(read_error)?.permissions().mode() & 0o7777;
    if mode & 0o004 != 0 {
        return Err(Problem::PasswordFileReadable {
            file: path.to_owned(),
            mode,
        });
    }
    let mut secret = Vec::new();
    file.take(PASSWORD_FILE_READ_LIMIT)
        .read_to_end(&mut secret)
        .map_err(read_error)?;
    if secret.last() == Some(&b'\n') {
        secret.pop();
        if secret.last() == Some(&b'\r') {
            secret.pop();
        }
    }
    Ok(secret)
}
