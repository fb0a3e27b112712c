//! The kernel's view in a namespace: which next hops a route installed by the
//! edge router has (one, or several for a multipath route), and TCP counters.

use std::net::IpAddr;

use serde_json::Value;

use crate::error::{Error, Result};
use crate::netns::Netns;

/// The next hops of the kernel route for exactly `prefix` (e.g.
/// `203.0.113.10/32`) in `ns`, sorted; empty when there is no such route.
///
/// Reads `ip -j route show exact PREFIX`: a single-path route has a
/// `gateway` field, a multipath route a `nexthops` array of `{gateway, dev,
/// weight}`.
pub fn next_hops(ns: &Netns, prefix: &str) -> Result<Vec<IpAddr>> {
    let family = if prefix.contains(':') { "-6" } else { "-4" };
    let text = ns.ip(&["-j", family, "route", "show", "exact", prefix])?;
    parse_next_hops(&text)
}

/// Whether `prefix`'s kernel route in `ns` has exactly `want` as next hops (none: no
/// route), as the bounded waits ([`crate::wait`]) ask: `Ok`, or what it has instead.
pub fn expect_next_hops(
    ns: &Netns,
    prefix: &str,
    want: &[IpAddr],
) -> std::result::Result<(), String> {
    match next_hops(ns, prefix) {
        Ok(hops) if hops == want => Ok(()),
        Ok(hops) => Err(format!("next hops {hops:?}")),
        Err(e) => Err(e.to_string()),
    }
}

/// The namespace's TCP `ActiveOpens` counter (from its `/proc/net/snmp`):
/// how many connections its processes have tried to open.
pub fn tcp_connect_attempts(ns: &Netns) -> Result<u64> {
    parse_tcp_counter(&ns.exec("cat", &["/proc/net/snmp"])?, "ActiveOpens")
}

/// Reads one field of the `Tcp:` header/value line pair of `/proc/net/snmp`.
fn parse_tcp_counter(snmp: &str, field: &str) -> Result<u64> {
    let what = "/proc/net/snmp";
    let mut tcp = snmp.lines().filter(|line| line.starts_with("Tcp:"));
    let (Some(names), Some(values)) = (tcp.next(), tcp.next()) else {
        return Err(Error::parse(what, "no Tcp: lines"));
    };
    let value = names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(name, _)| *name == field)
        .map(|(_, value)| value)
        .ok_or_else(|| Error::parse(what, format!("no Tcp {field}")))?;
    value
        .parse()
        .map_err(|e| Error::parse(what, format!("Tcp {field} {value:?}: {e}")))
}

/// Parses `ip -j route show` output into sorted next hops.
fn parse_next_hops(text: &str) -> Result<Vec<IpAddr>> {
    let what = "ip -j route output";
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let routes: Vec<Value> =
        serde_json::from_str(text).map_err(|e| Error::parse(what, format!("{e}: {text}")))?;
    let mut hops = Vec::new();
    for route in &routes {
        let gateways: Vec<&Value> = match route.get("nexthops").and_then(Value::as_array) {
            Some(nexthops) => nexthops
                .iter()
                .filter_map(|hop| hop.get("gateway"))
                .collect(),
            None => route.get("gateway").into_iter().collect(),
        };
        for gateway in gateways {
            let text = gateway
                .as_str()
                .ok_or_else(|| Error::parse(what, format!("gateway {gateway}")))?;
            hops.push(
                text.parse()
                    .map_err(|e| Error::parse(what, format!("gateway {text}: {e}")))?,
            );
        }
    }
    hops.sort();
    Ok(hops)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tcp_counter_is_read_by_name() {
        let snmp = "Ip: Forwarding DefaultTTL\nIp: 1 64\nTcp: RtoAlgorithm RtoMin ActiveOpens PassiveOpens\nTcp: 1 200 7 2\n";
        assert_eq!(parse_tcp_counter(snmp, "ActiveOpens").unwrap(), 7);
        assert!(parse_tcp_counter(snmp, "NoSuchField").is_err());
    }

    #[test]
    fn a_multipath_route_lists_every_gateway() {
        let text = r#"[{"dst":"203.0.113.10","protocol":"bird","metric":32,"flags":[],"nexthops":[{"gateway":"192.0.2.12","dev":"br0","weight":1,"flags":[]},{"gateway":"192.0.2.11","dev":"br0","weight":1,"flags":[]}]}]"#;
        let hops = parse_next_hops(text).unwrap();
        assert_eq!(
            hops,
            vec![
                "192.0.2.11".parse::<IpAddr>().unwrap(),
                "192.0.2.12".parse().unwrap()
            ]
        );
    }

    #[test]
    fn a_single_path_route_has_its_gateway_and_no_route_has_none() {
        let text = r#"[{"dst":"2001:db8:100::10","gateway":"2001:db8::11","dev":"br0","protocol":"bird","metric":32,"flags":[],"pref":"medium"}]"#;
        assert_eq!(
            parse_next_hops(text).unwrap(),
            vec!["2001:db8::11".parse::<IpAddr>().unwrap()]
        );
        assert!(parse_next_hops("[]").unwrap().is_empty());
        assert!(parse_next_hops("").unwrap().is_empty());
    }
}
