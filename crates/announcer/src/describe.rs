//! `announcer check-config`: what a valid configuration would bind, check and announce.

use std::fmt::Write;
use std::net::SocketAddr;
use std::time::Duration;

use announcer_bgp::wire::Community;
use announcer_bgp::{PeerConfig, TtlMode};
use announcer_health::{CheckKind, CheckSpec, FilePassIf, HttpMethod};

use crate::config::{BindMode, Config, OnFailure, Require, VipConfig};

/// A human-readable summary of `config`.
pub fn describe(config: &Config) -> String {
    let mut out = String::new();
    let router_id = config
        .bgp
        .router_id
        .map_or("the first global IPv4 address at start".to_owned(), |id| {
            id.to_string()
        });
    let _ = writeln!(
        out,
        "bgp: AS{}, router id {router_id}",
        config.bgp.local_as.get()
    );
    if let Some(listen) = config.bgp.listen {
        let _ = writeln!(out, "listen: {listen}");
    }
    match config.bgp.restart_time {
        Some(time) => {
            let _ = writeln!(
                out,
                "graceful restart: on, restart time {}s (SIGUSR2 restarts keeping the routes)",
                time.as_secs()
            );
        }
        None => out.push_str("graceful restart: off\n"),
    }
    let drain = &config.drain;
    let _ = write!(
        out,
        "drain: {} with GRACEFUL_SHUTDOWN",
        duration(drain.time)
    );
    if let Some(med) = drain.med {
        let _ = write!(out, ", MED {med}");
    }
    if let Some(prepend) = drain.as_path_prepend {
        let _ = write!(out, ", prepend {prepend}");
    }
    out.push('\n');
    for peer in &config.peers {
        let mut line = peer_line(peer);
        if let Some(bfd) = config.bfd.get(&peer.address) {
            let _ = write!(
                line,
                ", BFD tx {} rx {} x{}",
                bfd.desired_min_tx, bfd.required_min_rx, bfd.multiplier
            );
        }
        let _ = writeln!(out, "peer {line}");
    }
    for check in &config.checks {
        let _ = writeln!(out, "check {}", check_line(check));
    }
    for vip in &config.vips {
        let _ = writeln!(out, "vip {}", vip_line(vip));
    }
    let _ = writeln!(
        out,
        "control: socket {}, state in {}",
        config.control.socket.display(),
        config.control.state_dir.display()
    );
    match config.metrics.listen {
        Some(listen) => {
            let per_vip = if config.metrics.per_vip {
                "with"
            } else {
                "without"
            };
            let _ = writeln!(
                out,
                "metrics: http://{listen}/metrics, {per_vip} the per-VIP series"
            );
        }
        None => out.push_str("metrics: off\n"),
    }
    out
}

/// A duration as the configuration writes it: "2s", "500ms".
fn duration(d: Duration) -> String {
    if d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

/// Program and arguments as one line, each word that is empty or holds a space or a quote
/// written in double quotes.
fn command_line(words: &[String]) -> String {
    let quoted: Vec<String> = words
        .iter()
        .map(|w| {
            if w.is_empty() || w.contains(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
                format!("{w:?}")
            } else {
                w.clone()
            }
        })
        .collect();
    quoted.join(" ")
}

fn peer_line(peer: &PeerConfig) -> String {
    let mut line = format!(
        "{} {} AS{}, hold {}s, {}",
        peer.name,
        SocketAddr::new(peer.address, peer.port),
        peer.remote_as.get(),
        peer.hold_time.seconds(),
        if peer.passive { "passive" } else { "active" }
    );
    if peer.password.is_some() {
        line.push_str(", TCP MD5");
    }
    match peer.ttl {
        TtlMode::Default => {}
        TtlMode::Multihop(ttl) => {
            let _ = write!(line, ", multihop TTL {ttl}");
        }
        TtlMode::Security { hops } => {
            let _ = write!(line, ", TTL security ({hops} hop)");
        }
    }
    if let Some(local) = peer.local_address {
        let _ = write!(line, ", from {local}");
    }
    for nh in peer
        .next_hop_v4
        .map(|a| a.to_string())
        .into_iter()
        .chain(peer.next_hop_v6.map(|a| a.to_string()))
    {
        let _ = write!(line, ", next hop {nh}");
    }
    line
}

fn check_line(check: &CheckSpec) -> String {
    let probe = match &check.kind {
        CheckKind::Http(http) => {
            let method = match http.method {
                HttpMethod::Get => "GET",
                HttpMethod::Head => "HEAD",
            };
            format!("http {method} {}", http.url)
        }
        CheckKind::Tcp { address } => format!("tcp {address}"),
        CheckKind::Exec { command, user } => match user {
            Some(user) => format!(
                "exec {} as {} (uid {})",
                command_line(command),
                user.name,
                user.uid
            ),
            None => format!("exec {}", command_line(command)),
        },
        CheckKind::File { path, pass_if } => {
            let pass_if = match pass_if {
                FilePassIf::Exists => "exists",
                FilePassIf::Absent => "absent",
            };
            format!("file {} (passes while {pass_if})", path.display())
        }
    };
    format!(
        "{}: {probe} every {} (fast {}), timeout {}, rise {}, fall {}",
        check.name,
        duration(check.interval),
        duration(check.fast_interval),
        duration(check.timeout),
        check.rise,
        check.fall
    )
}

fn vip_line(vip: &VipConfig) -> String {
    let gate = if vip.checks.is_empty() {
        "announced while the daemon runs".to_owned()
    } else {
        format!("announced while checks {} pass", vip.checks.join(", "))
    };
    let mut line = match vip.bind {
        BindMode::Address => format!("{} on {}: {gate}", vip.prefix, vip.interface),
        BindMode::Route => format!(
            "{} (local route through {}): {gate}",
            vip.prefix, vip.interface
        ),
        BindMode::None => format!("{} (not bound by announcer): {gate}", vip.prefix),
    };
    let policy = &vip.policy;
    if policy.require == Require::Any && vip.checks.len() > 1 {
        line.push_str(" (any one of them is enough)");
    }
    if policy.on_failure == OnFailure::Degrade {
        line.push_str("; a failing check degrades it (fails open)");
    }
    if !policy.soft_checks.is_empty() {
        let _ = write!(
            line,
            "; degraded while soft checks {} fail",
            policy.soft_checks.join(", ")
        );
    }
    let a = &vip.attributes;
    if let Some(med) = a.med {
        let _ = write!(line, "; med {med}");
    }
    if !a.communities.is_empty() {
        let list: Vec<String> = a
            .communities
            .iter()
            .map(|Community(c)| format!("{}:{}", c >> 16, c & 0xffff))
            .collect();
        let _ = write!(line, "; communities {}", list.join(" "));
    }
    if !a.large_communities.is_empty() {
        let list: Vec<String> = a
            .large_communities
            .iter()
            .map(|c| format!("{}:{}:{}", c.global, c.local1, c.local2))
            .collect();
        let _ = write!(line, "; large communities {}", list.join(" "));
    }
    if a.as_path_prepend > 0 {
        let _ = write!(line, "; prepend {}", a.as_path_prepend);
    }
    line
}
