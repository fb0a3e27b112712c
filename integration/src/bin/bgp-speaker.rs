//! The BGP speaker under test: drives `announcer-bgp` from stdin commands so interop tests can
//! run it in a namespace against a real router.
//!
//! Commands, one per line: `announce PREFIX [med=N] [communities=A:B,..] [large=A:B:C,..]
//! [prepend=N] [local-pref=N]`, `withdraw PREFIX`, `shutdown REASON...`. Events, one per line
//! on stdout: `ready`, `established PEER`, `negotiated PEER ...`, `down PEER REASON`,
//! `error TEXT`.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use announcer_bgp::fsm::Backoff;
use announcer_bgp::wire::{Community, LargeCommunity};
use announcer_bgp::{
    Asn, HoldTime, Password, PeerConfig, Prefix, RouteAttributes, RouterId, SessionEvent, Speaker,
    SpeakerConfig, Target,
};
use clap::Parser;
use tokio::io::{AsyncBufReadExt, BufReader};

/// Command-line options.
#[derive(Parser, Debug)]
struct Options {
    /// Our AS.
    #[arg(long)]
    local_as: u32,
    /// Our BGP identifier.
    #[arg(long)]
    router_id: std::net::Ipv4Addr,
    /// A peer as ADDRESS:REMOTE_AS (repeatable).
    #[arg(long = "peer", value_parser = parse_peer, required = true)]
    peers: Vec<(IpAddr, u32)>,
    /// TCP MD5 password for every peer.
    #[arg(long)]
    password: Option<String>,
    /// Proposed hold time in seconds.
    #[arg(long, default_value_t = 90)]
    hold_time: u16,
    /// Wait for the peers to connect.
    #[arg(long)]
    passive: bool,
    /// Listen for peers on ADDRESS:PORT.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Next hop for IPv6 routes.
    #[arg(long)]
    next_hop_v6: Option<Ipv6Addr>,
    /// Longest wait between connection attempts, in seconds.
    #[arg(long, default_value_t = 8)]
    backoff_max: u64,
}

fn parse_peer(text: &str) -> Result<(IpAddr, u32), String> {
    let (addr, asn) = text.rsplit_once(':').ok_or("expected ADDRESS:REMOTE_AS")?;
    let addr = addr.trim_matches(|c| c == '[' || c == ']');
    Ok((
        addr.parse().map_err(|e| format!("{addr}: {e}"))?,
        asn.parse().map_err(|e| format!("{asn}: {e}"))?,
    ))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("debug")),
        )
        .init();
    let options = Options::parse();
    match run(options).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            println!("error {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(options: Options) -> Result<(), String> {
    let config = speaker_config(&options)?;
    let speaker = Speaker::start(config).await.map_err(|e| e.to_string())?;
    let mut events = speaker.subscribe();
    println!("ready");
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(SessionEvent::Up { peer }) => {
                    println!("established {peer}");
                    print_negotiated(&speaker, peer);
                }
                Ok(SessionEvent::Down { peer, reason }) => println!("down {peer} {reason}"),
                Err(e) => println!("error events: {e}"),
            },
            line = lines.next_line() => {
                let line = line.map_err(|e| e.to_string())?;
                let Some(line) = line else {
                    speaker.shutdown("stdin closed").await;
                    return Ok(());
                };
                let mut words = line.split_whitespace();
                match words.next() {
                    Some("shutdown") => {
                        let reason: Vec<&str> = words.collect();
                        speaker.shutdown(&reason.join(" ")).await;
                        return Ok(());
                    }
                    Some(_) => {
                        if let Err(e) = command(&speaker, &line) {
                            println!("error {e}");
                        }
                    }
                    None => {}
                }
            }
        }
    }
}

/// Prints what the session with `peer` negotiated, for the test log.
fn print_negotiated(speaker: &Speaker, peer: IpAddr) {
    let status = speaker.status();
    let Some(n) = status
        .iter()
        .find(|s| s.address == peer)
        .and_then(|s| s.negotiated.as_ref())
    else {
        return;
    };
    println!(
        "negotiated {peer} hold={} four_octet_as={} route_refresh={} families={:?} peer_capabilities={:?}",
        n.hold_time.seconds(),
        n.wire.four_octet_as,
        n.route_refresh,
        n.wire.families,
        n.peer_capabilities
    );
}

fn speaker_config(options: &Options) -> Result<SpeakerConfig, String> {
    let hold_time = HoldTime::new(options.hold_time).map_err(|e| e.to_string())?;
    let peers = options
        .peers
        .iter()
        .map(|&(address, asn)| {
            let mut peer = PeerConfig::new(address, Asn::new(asn));
            peer.hold_time = hold_time;
            peer.passive = options.passive;
            peer.password = options.password.clone().map(Password::new);
            peer.next_hop_v6 = options.next_hop_v6;
            peer.backoff = Backoff {
                initial: Duration::from_millis(500),
                max: Duration::from_secs(options.backoff_max),
            };
            peer
        })
        .collect();
    Ok(SpeakerConfig {
        local_as: Asn::new(options.local_as),
        router_id: RouterId::new(options.router_id).map_err(|e| e.to_string())?,
        listen: options.listen,
        peers,
        graceful_restart: None,
        hold_end_of_rib: false,
    })
}

fn command(speaker: &Speaker, line: &str) -> Result<(), String> {
    let mut words = line.split_whitespace();
    let verb = words.next().unwrap_or_default();
    let prefix: Prefix = words
        .next()
        .ok_or("missing prefix")?
        .parse()
        .map_err(|e: announcer_bgp::Error| e.to_string())?;
    match verb {
        "announce" => {
            let attributes = route_attributes(words)?;
            speaker.announce(Target::All, prefix, Arc::new(attributes))
        }
        "withdraw" => speaker.withdraw(Target::All, prefix),
        other => return Err(format!("unknown command {other:?}")),
    }
    .map_err(|e| e.to_string())
}

fn route_attributes<'a>(options: impl Iterator<Item = &'a str>) -> Result<RouteAttributes, String> {
    let mut attributes = RouteAttributes::default();
    for option in options {
        let (key, value) = option
            .split_once('=')
            .ok_or_else(|| format!("expected KEY=VALUE: {option}"))?;
        let number = |v: &str| v.parse::<u32>().map_err(|e| format!("{key}={v}: {e}"));
        match key {
            "med" => attributes.med = Some(number(value)?),
            "local-pref" => attributes.local_pref = Some(number(value)?),
            "prepend" => {
                attributes.as_path_prepend = value.parse().map_err(|e| format!("prepend: {e}"))?
            }
            "communities" => {
                attributes.communities = value
                    .split(',')
                    .map(|c| {
                        let (high, low) = c.split_once(':').ok_or(format!("community {c}"))?;
                        let part =
                            |v: &str| v.parse::<u16>().map_err(|e| format!("community {c}: {e}"));
                        Ok(Community::new(part(high)?, part(low)?))
                    })
                    .collect::<Result<_, String>>()?
            }
            "large" => {
                attributes.large_communities = value
                    .split(',')
                    .map(|c| {
                        let parts: Vec<u32> = c.split(':').map(number).collect::<Result<_, _>>()?;
                        match parts[..] {
                            [global, local1, local2] => Ok(LargeCommunity {
                                global,
                                local1,
                                local2,
                            }),
                            _ => Err(format!("large community {c}: expected A:B:C")),
                        }
                    })
                    .collect::<Result<_, String>>()?
            }
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    Ok(attributes)
}
