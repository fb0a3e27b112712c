//! `[[vip]]` → [`VipConfig`]s: the host routes (one, or a list sharing the other keys), the
//! interface they are bound to, the checks they depend on, and the attributes they are
//! announced with.

use std::collections::HashSet;
use std::net::IpAddr;
use std::sync::Arc;

use announcer_bgp::wire::{Community, LargeCommunity};
use announcer_bgp::{Prefix, RouteAttributes};
use ipnet::IpNet;
use toml::Spanned;

use super::error::{Invalid, Problem};
use super::model::{BindMode, DegradedConfig, OnFailure, Policy, Require, VipConfig};
use super::raw::{List, RawDegraded, RawVip};
use super::validate::Unique;
use super::value::{Field, Result, Scope};

/// The interface VIPs are bound to when `interface` is not set.
const DEFAULT_INTERFACE: &str = "lo";
/// The most extra copies of our AS `as_path_prepend` may add.
const MAX_PREPEND: u8 = 16;

/// The VIPs one `[[vip]]` describes, at key path `scope`: one per host route in `prefix` or
/// `prefixes`, all with its interface, checks and attributes. `defined` holds the check names,
/// `routes` the host routes of the VIPs before it (each may appear once in the file), and
/// `text` is the file (for the line of a first occurrence).
pub(super) fn vips(
    raw: &Spanned<RawVip>,
    scope: &Scope,
    defined: &HashSet<&str>,
    routes: &mut Unique<Prefix>,
    text: &str,
) -> Result<Vec<VipConfig>> {
    let table = raw.get_ref();
    let interface: Arc<str> = scope
        .get("interface", &table.interface, interface)?
        .map_or_else(|| Arc::from(DEFAULT_INTERFACE), Arc::from);
    let bind = scope.get("bind", &table.bind, bind)?.unwrap_or_default();
    let mut seen = Unique::new("check");
    let hard: Arc<[String]> = checks(
        scope,
        "checks",
        table.checks.as_ref(),
        defined,
        &mut seen,
        text,
    )?
    .into();
    let soft_checks: Arc<[String]> = checks(
        scope,
        "soft_checks",
        table.soft_checks.as_ref(),
        defined,
        &mut seen,
        text,
    )?
    .into();
    let policy = Arc::new(Policy {
        soft_checks,
        on_failure: scope
            .get("on_failure", &table.on_failure, on_failure)?
            .unwrap_or_default(),
        require: scope
            .get("require", &table.require, require)?
            .unwrap_or_default(),
    });
    let attributes = Arc::new(attributes(table, scope)?);
    let mut vips = Vec::new();
    let mut add = |field: &Field<'_>| {
        let prefix = host_route(field)?;
        routes.insert(prefix, field, text)?;
        vips.push(VipConfig {
            prefix,
            interface: Arc::clone(&interface),
            bind,
            checks: Arc::clone(&hard),
            attributes: Arc::clone(&attributes),
            policy: Arc::clone(&policy),
        });
        Ok(())
    };
    match (&table.prefix, &table.prefixes) {
        (Some(prefix), None) => add(&scope.field("prefix", prefix))?,
        (None, Some(list)) if !list.get_ref().is_empty() => scope
            .items("prefixes", list)
            .try_for_each(|field| add(&field))?,
        (None, Some(list)) => {
            return Err(Invalid::new(
                scope.position(list.span().start),
                scope.key("prefixes"),
                Problem::Expected {
                    expected: "at least one host route",
                    found: "[]".to_owned(),
                },
            ))
        }
        (Some(_), Some(list)) => {
            return Err(Invalid::new(
                scope.position(list.span().start),
                scope.key("prefixes"),
                Problem::Exclusive { other: "prefix" },
            ))
        }
        (None, None) => {
            return Err(Invalid::new(
                scope.position(raw.span().start),
                scope.key("prefix"),
                Problem::MissingPrefix,
            ))
        }
    }
    Ok(vips)
}

/// Makes `vip` share `previous`'s interface name, check names, attributes and policy where
/// they are equal: thousands of `[[vip]]` tables written alike then cost one copy of each.
pub(super) fn share(previous: &VipConfig, vip: &mut VipConfig) {
    if previous.interface == vip.interface {
        vip.interface = Arc::clone(&previous.interface);
    }
    if previous.checks == vip.checks {
        vip.checks = Arc::clone(&previous.checks);
    }
    if previous.attributes == vip.attributes {
        vip.attributes = Arc::clone(&previous.attributes);
    }
    if previous.policy == vip.policy {
        vip.policy = Arc::clone(&previous.policy);
    }
}

/// The attributes a `[[vip]]` announces its routes with.
fn attributes(raw: &RawVip, scope: &Scope) -> Result<RouteAttributes> {
    let number = |expected| move |field: &Field<'_>| field.u32(expected, 0..=u32::MAX);
    Ok(RouteAttributes {
        med: scope.get("med", &raw.med, number("a MED (0-4294967295)"))?,
        local_pref: scope.get(
            "local_pref",
            &raw.local_pref,
            number("a LOCAL_PREF (0-4294967295)"),
        )?,
        communities: each(scope, "communities", raw.communities.as_ref(), community)?,
        large_communities: each(
            scope,
            "large_communities",
            raw.large_communities.as_ref(),
            large_community,
        )?,
        as_path_prepend: scope
            .get("as_path_prepend", &raw.as_path_prepend, prepend)?
            .unwrap_or(0),
        ..RouteAttributes::default()
    })
}

/// Each element of the optional array `name`, converted.
fn each<T>(
    scope: &Scope,
    name: &str,
    list: Option<&List>,
    mut convert: impl FnMut(&Field<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    list.map_or(Ok(Vec::new()), |list| {
        scope
            .items(name, list)
            .map(|field| convert(&field))
            .collect()
    })
}

/// The checks of the list `key` (hard or soft): defined, each named once in either list.
fn checks(
    scope: &Scope,
    key: &str,
    list: Option<&List>,
    defined: &HashSet<&str>,
    seen: &mut Unique<String>,
    text: &str,
) -> Result<Vec<String>> {
    each(scope, key, list, |field| {
        let name = field.str()?;
        if !defined.contains(name) {
            return Err(field.error(Problem::UndefinedCheck {
                name: name.to_owned(),
            }));
        }
        seen.insert(name.to_owned(), field, text)?;
        Ok(name.to_owned())
    })
}

/// `bind`: "address", "route" or "none"; `true` and `false` mean "address" and "none".
fn bind(field: &Field<'_>) -> Result<BindMode> {
    if let Some(bind) = field.value().as_bool() {
        return Ok(if bind {
            BindMode::Address
        } else {
            BindMode::None
        });
    }
    field.parse(
        "\"address\", \"route\" or \"none\" (or true, false)",
        |text| match text {
            "address" => Some(BindMode::Address),
            "route" => Some(BindMode::Route),
            "none" => Some(BindMode::None),
            _ => None,
        },
    )
}

/// `on_failure`: "withdraw" or "degrade".
fn on_failure(field: &Field<'_>) -> Result<OnFailure> {
    field.parse("\"withdraw\" or \"degrade\"", |text| match text {
        "withdraw" => Some(OnFailure::Withdraw),
        "degrade" => Some(OnFailure::Degrade),
        _ => None,
    })
}

/// `require`: "all" or "any".
fn require(field: &Field<'_>) -> Result<Require> {
    field.parse("\"all\" or \"any\"", |text| match text {
        "all" => Some(Require::All),
        "any" => Some(Require::Any),
        _ => None,
    })
}

/// `[degraded]`.
pub(super) fn degraded(raw: &RawDegraded) -> Result<DegradedConfig> {
    let scope = Scope::new("degraded".to_owned());
    let defaults = DegradedConfig::default();
    Ok(DegradedConfig {
        as_path_prepend: scope
            .get("as_path_prepend", &raw.as_path_prepend, prepend)?
            .unwrap_or(defaults.as_path_prepend),
        med: scope.get("med", &raw.med, |field: &Field<'_>| {
            field.u32("a MULTI_EXIT_DISC (0-4294967295)", 0..=u32::MAX)
        })?,
        communities: each(&scope, "communities", raw.communities.as_ref(), community)?,
        large_communities: each(
            &scope,
            "large_communities",
            raw.large_communities.as_ref(),
            large_community,
        )?,
    })
}

/// A /32 or /128, written with its length or as a bare address.
fn host_route(field: &Field<'_>) -> Result<Prefix> {
    let text = field.str()?;
    let prefix = text
        .parse::<IpNet>()
        .map(Prefix::from)
        .or_else(|_| text.parse::<IpAddr>().map(Prefix::host))
        .map_err(|_| {
            field.expected("a host route such as \"203.0.113.10/32\" or \"2001:db8::10/128\"")
        })?;
    if !prefix.is_host() {
        return Err(field.error(Problem::NotHostRoute {
            found: text.to_owned(),
        }));
    }
    Ok(prefix)
}

/// A Linux interface name: 1-15 bytes, no `/`, `:` or white space, not `.` or `..`.
fn interface(field: &Field<'_>) -> Result<String> {
    field.parse(
        "an interface name (1-15 characters, no '/', ':' or spaces)",
        |name| {
            let valid = (1..=15).contains(&name.len())
                && name != "."
                && name != ".."
                && !name.contains(|c: char| c == '/' || c == ':' || c.is_whitespace());
            valid.then(|| name.to_owned())
        },
    )
}

/// A standard community, `"65000:100"` (RFC 1997).
fn community(field: &Field<'_>) -> Result<Community> {
    field.parse(
        "a community such as \"65000:100\" (two numbers 0-65535)",
        |text| {
            let (high, low) = text.split_once(':')?;
            Some(Community::new(high.parse().ok()?, low.parse().ok()?))
        },
    )
}

/// A large community, `"65000:1:2"` (RFC 8092).
fn large_community(field: &Field<'_>) -> Result<LargeCommunity> {
    field.parse(
        "a large community such as \"65000:1:2\" (three numbers 0-4294967295)",
        |text| {
            let mut parts = text.split(':').map(|part| part.parse::<u32>().ok());
            let community = LargeCommunity {
                global: parts.next()??,
                local1: parts.next()??,
                local2: parts.next()??,
            };
            parts.next().is_none().then_some(community)
        },
    )
}

/// An `as_path_prepend` count: how many extra copies of our AS, 0-16.
pub(super) fn prepend(field: &Field<'_>) -> Result<u8> {
    const EXPECTED: &str = "a prepend count (0-16)";
    let count = field.integer(EXPECTED, 0..=i64::from(MAX_PREPEND))?;
    u8::try_from(count).map_err(|_| field.expected(EXPECTED))
}
