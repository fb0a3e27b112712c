//! From the raw document to a [`Config`]: each section converted in file order, then the
//! rules that span entries (unique names, addresses and prefixes; VIPs naming defined
//! checks). The first problem found is returned.

use std::collections::hash_map::{Entry, HashMap};
use std::collections::BTreeMap;
use std::collections::HashSet;
use std::fmt::Display;
use std::hash::Hash;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::Path;

use std::time::Duration;

use announcer_bgp::{GracefulRestartConfig, RouterId};

use super::error::{line_column, Invalid, Problem};
use super::model::{
    BgpConfig, Config, ControlConfig, DegradedConfig, DrainConfig, MetricsConfig, VipConfig,
};
use super::raw::{self, RawBgp, RawConfig, RawControl, RawDrain, RawMetrics};
use super::value::{Field, Result, Scope};
use super::{check, peer, vip};

/// The BGP port, where passive peers connect when `listen` gives no port.
const BGP_PORT: u16 = 179;

/// The file being validated.
pub(super) struct Source<'a> {
    /// Its contents, for the line of a first occurrence.
    pub text: &'a str,
    /// Its directory, against which relative paths are resolved.
    pub base_dir: &'a Path,
}

/// The configuration `raw` describes, with the `[[vip]]` tables of `vip_sections` (byte
/// ranges of the file, each parsed and validated on its own, then dropped) after those of
/// `raw`.
pub(super) fn config(
    raw: &RawConfig,
    vip_sections: &[Range<usize>],
    source: &Source<'_>,
) -> Result<Config> {
    let mut bgp = bgp(&raw.bgp)?;

    let mut peers = Vec::with_capacity(raw.peer.len());
    let mut bfd = BTreeMap::new();
    let mut addresses = Unique::new("peer address");
    let mut names = Unique::new("peer name");
    for (index, raw_peer) in raw.peer.iter().enumerate() {
        let scope = Scope::new(format!("peer[{index}]"));
        let peer = peer::peer(raw_peer, &scope, source.base_dir)?;
        if let Some(session) = peer::bfd(raw_peer, &scope)? {
            bfd.insert(peer.address, session);
        }
        let address = scope.field("address", &raw_peer.address);
        addresses.insert(peer.address, &address, source.text)?;
        let name = raw_peer.name.as_ref().map(|name| scope.field("name", name));
        names.insert(
            peer.name.clone(),
            name.as_ref().unwrap_or(&address),
            source.text,
        )?;
        peers.push(peer);
    }
    if bgp.listen.is_none() && peers.iter().any(|peer| peer.passive) {
        bgp.listen = Some(SocketAddr::from(([0u16; 8], BGP_PORT)));
    }

    let mut checks = Vec::with_capacity(raw.check.len());
    let mut check_names = Unique::new("check name");
    for (index, raw_check) in raw.check.iter().enumerate() {
        let scope = Scope::new(format!("check[{index}]"));
        let check = check::check(raw_check, &scope, source.base_dir)?;
        let name = scope.field("name", &raw_check.name);
        check_names.insert(check.name.clone(), &name, source.text)?;
        checks.push(check);
    }

    let defined: HashSet<&str> = checks.iter().map(|check| check.name.as_str()).collect();
    let mut vips: Vec<VipConfig> = Vec::with_capacity(raw.vip.len() + vip_sections.len());
    let mut prefixes = Unique::new("VIP prefix");
    if let (Some(section), false) = (vip_sections.first(), raw.vip.is_empty()) {
        return Err(Invalid::new(
            section.start,
            "vip",
            Problem::Toml("`vip` is written both as [[vip]] tables and otherwise".to_owned()),
        ));
    }
    for (index, raw_vip) in raw.vip.iter().enumerate() {
        let scope = Scope::new(format!("vip[{index}]"));
        vips.extend(vip::vips(
            raw_vip,
            &scope,
            &defined,
            &mut prefixes,
            source.text,
        )?);
    }
    for (index, range) in vip_sections.iter().enumerate() {
        let raw_vip = raw::parse_vip(source.text, range.clone(), index)?;
        let scope = Scope::at(format!("vip[{index}]"), range.start);
        let table = vip::vips(&raw_vip, &scope, &defined, &mut prefixes, source.text)?;
        for mut config in table {
            if let Some(previous) = vips.last() {
                vip::share(previous, &mut config);
            }
            vips.push(config);
        }
    }

    let control = match &raw.control {
        Some(raw_control) => control(raw_control, source.base_dir)?,
        None => ControlConfig::default(),
    };
    let drain = match &raw.drain {
        Some(raw_drain) => drain(raw_drain)?,
        None => DrainConfig::default(),
    };
    let metrics = match &raw.metrics {
        Some(raw_metrics) => metrics(raw_metrics)?,
        None => MetricsConfig::default(),
    };
    let degraded = match &raw.degraded {
        Some(raw_degraded) => vip::degraded(raw_degraded)?,
        None => DegradedConfig::default(),
    };
    Ok(Config {
        bgp,
        peers,
        bfd,
        checks,
        vips,
        control,
        metrics,
        drain,
        degraded,
    })
}

/// `[bgp]`; the default listener is filled in once the peers are known.
fn bgp(raw: &RawBgp) -> Result<BgpConfig> {
    let scope = Scope::new("bgp".to_owned());
    let graceful_restart = scope
        .get("graceful_restart", &raw.graceful_restart, Field::bool)?
        .unwrap_or(true);
    let restart_time = scope
        .get("restart_time", &raw.restart_time, restart_time)?
        .unwrap_or(BgpConfig::DEFAULT_RESTART_TIME);
    Ok(BgpConfig {
        restart_time: graceful_restart.then_some(restart_time),
        local_as: scope.field("local_as", &raw.local_as).asn()?,
        router_id: scope.get("router_id", &raw.router_id, |field| {
            let addr = field.ipv4()?;
            RouterId::new(addr).map_err(|_| field.expected("a non-zero IPv4 address (RFC 6286)"))
        })?,
        listen: scope.get("listen", &raw.listen, |field| {
            field.parse(
                "an address and port such as \"[::]:179\", or an address",
                |text| {
                    text.parse::<SocketAddr>()
                        .ok()
                        .or_else(|| Some(SocketAddr::new(text.parse().ok()?, BGP_PORT)))
                },
            )
        })?,
    })
}

/// A graceful restart time: whole seconds, 1 to 4,095 (the capability's 12 bits).
fn restart_time(field: &Field<'_>) -> Result<Duration> {
    const EXPECTED: &str = "whole seconds from \"1s\" to \"4095s\" (RFC 4724)";
    let time = field.duration()?;
    let max = u64::from(GracefulRestartConfig::MAX_RESTART_TIME);
    if time.subsec_nanos() != 0 || time.is_zero() || time.as_secs() > max {
        return Err(field.expected(EXPECTED));
    }
    Ok(time)
}

/// `[drain]`.
fn drain(raw: &RawDrain) -> Result<DrainConfig> {
    let scope = Scope::new("drain".to_owned());
    Ok(DrainConfig {
        time: scope
            .get("time", &raw.time, Field::duration)?
            .unwrap_or(DrainConfig::DEFAULT_TIME),
        med: scope.get("med", &raw.med, |field| {
            field.u32("a MED (0-4294967295)", 0..=u32::MAX)
        })?,
        as_path_prepend: scope.get("as_path_prepend", &raw.as_path_prepend, vip::prepend)?,
    })
}

/// `[metrics]`.
fn metrics(raw: &RawMetrics) -> Result<MetricsConfig> {
    let scope = Scope::new("metrics".to_owned());
    Ok(MetricsConfig {
        listen: scope.get("listen", &raw.listen, Field::socket_addr)?,
        per_vip: scope
            .get("per_vip", &raw.per_vip, Field::bool)?
            .unwrap_or(MetricsConfig::default().per_vip),
    })
}

/// `[control]`; relative paths are taken from `base_dir`.
pub(super) fn control(raw: &RawControl, base_dir: &Path) -> Result<ControlConfig> {
    let scope = Scope::new("control".to_owned());
    let defaults = ControlConfig::default();
    Ok(ControlConfig {
        socket: scope
            .get("socket", &raw.socket, |field| field.path(base_dir))?
            .unwrap_or(defaults.socket),
        state_dir: scope
            .get("state_dir", &raw.state_dir, |field| field.path(base_dir))?
            .unwrap_or(defaults.state_dir),
        group: scope.get("group", &raw.group, |field| {
            field.non_empty_str().map(str::to_owned)
        })?,
    })
}

/// Values that must not repeat, each with the offset where it first appeared.
pub(super) struct Unique<K> {
    what: &'static str,
    first: HashMap<K, usize>,
}

impl<K: Eq + Hash + Display> Unique<K> {
    /// No values yet; `what` names them in the error ("check name").
    pub fn new(what: &'static str) -> Self {
        Unique {
            what,
            first: HashMap::new(),
        }
    }

    /// Records `value`, written at `field`; fails when it was seen before.
    pub fn insert(&mut self, value: K, field: &Field<'_>, text: &str) -> Result<()> {
        match self.first.entry(value) {
            Entry::Occupied(first) => Err(field.error(Problem::Duplicate {
                what: self.what,
                value: first.key().to_string(),
                first_line: line_column(text, *first.get()).0,
            })),
            Entry::Vacant(entry) => {
                entry.insert(field.at());
                Ok(())
            }
        }
    }
}
