//! BIRD's configuration and the parsing of what it shows.

use super::*;

/// `show route all` as BIRD 2.0.12 printed it with two speakers sending
/// the same /32 and one sending a /128.
const SHOW_ROUTE_ALL: &str = "BIRD 2.0.12 ready.
Table master4:
203.0.113.10/32      unicast [spk0 23:42:09.904] * (100) [AS65001i]
\tvia 192.0.2.11 on br0
\tType: BGP univ
\tBGP.origin: IGP
\tBGP.as_path: 65001
\tBGP.next_hop: 192.0.2.11
\tBGP.med: 42
\tBGP.local_pref: 100
\tBGP.community: (65000,100) (65000,200)
\tBGP.large_community: (65000, 1, 2) (65000, 3, 4)
                 unicast [spk1 23:42:10.101] (100) [AS65002i]
\tvia 192.0.2.12 on br0
\tType: BGP univ
\tBGP.origin: IGP
\tBGP.as_path: 65002 65002
\tBGP.next_hop: 192.0.2.12
\tBGP.local_pref: 100

Table master6:
2001:db8:100::10/128 unicast [spk0 23:42:09.904 from 192.0.2.11] * (100) [AS65001i]
\tvia 2001:db8::11 on br0
\tType: BGP univ
\tBGP.origin: IGP
\tBGP.as_path: 65001
\tBGP.next_hop: 2001:db8::11 fe80::1
\tBGP.local_pref: 100
";

#[test]
fn the_log_line_of_a_received_notification_gives_its_text() {
    let line = r#"2026-11-20 23:42:21.328 <RMT> spk0: Received: Administrative shutdown: "maintenance window 42""#;
    assert_eq!(
        received_notification(line, "spk0: "),
        Some(r#"Received: Administrative shutdown: "maintenance window 42""#)
    );
    assert_eq!(received_notification(line, "spk1: "), None);
    assert_eq!(
        received_notification("<TRACE> spk0: Started", "spk0: "),
        None
    );
}

#[test]
fn the_received_counts_are_summed_over_the_channels() {
    let text = "BIRD 2.0.12 ready.
spk0       BGP        ---        up     23:42:09.904  Established
  BGP state:          Established
  Channel ipv4
Route change stats:     received   rejected   filtered    ignored   accepted
  Import updates:              3          0          0          0          3
  Import withdraws:            2          0        ---          0          2
  Export updates:              0          0          0        ---          0
  Export withdraws:            0        ---        ---        ---          0
  Channel ipv6
Route change stats:     received   rejected   filtered    ignored   accepted
  Import updates:              1          0          0          0          1
  Import withdraws:            0          0        ---          0          0
";
    assert_eq!(
        parse_received(text).unwrap(),
        ReceivedUpdates {
            announced: 4,
            withdrawn: 2
        }
    );
    assert!(parse_received("      Import updates:   many").is_err());
}

#[test]
fn show_protocols_gives_the_line_of_the_named_protocol() {
    let text = "BIRD 2.0.12 ready.
Name       Proto      Table      State  Since         Info
spk0       BGP        ---        up     23:42:09.904  Established   
spk1       BGP        ---        start  23:42:08.101  Active        Socket: Connection refused
";
    assert_eq!(
        protocol_line(text, "spk0"),
        Some("spk0       BGP        ---        up     23:42:09.904  Established")
    );
    assert!(protocol_line(text, "spk1").is_some_and(|l| l.contains("Active")));
    assert_eq!(protocol_line(text, "spk2"), None);
}

#[test]
fn show_route_all_yields_every_path_with_its_attributes() {
    let names = vec![
        ("spk0".to_owned(), "192.0.2.11".parse().unwrap()),
        ("spk1".to_owned(), "192.0.2.12".parse().unwrap()),
    ];
    let routes = parse_routes(SHOW_ROUTE_ALL, &names).unwrap();
    assert_eq!(routes.len(), 3);
    assert_eq!(
        routes[0],
        RibRoute {
            prefix: "203.0.113.10/32".into(),
            as_path: vec![65001],
            next_hop: "192.0.2.11".parse().unwrap(),
            med: Some(42),
            communities: vec![(65000, 100), (65000, 200)],
            large_communities: vec![(65000, 1, 2), (65000, 3, 4)],
            from: "192.0.2.11".parse().unwrap(),
        }
    );
    assert_eq!(routes[1].prefix, "203.0.113.10/32");
    assert_eq!(routes[1].as_path, vec![65002, 65002]);
    assert_eq!(routes[1].med, None);
    assert_eq!(routes[1].from, "192.0.2.12".parse::<IpAddr>().unwrap());
    assert_eq!(routes[2].prefix, "2001:db8:100::10/128");
    assert_eq!(
        routes[2].next_hop,
        "2001:db8::11".parse::<IpAddr>().unwrap()
    );
}

#[test]
fn the_config_has_one_protocol_per_peer_with_password_and_passive() {
    let mut peer = PeerConfig::new("192.0.2.11".parse().unwrap(), 65001);
    peer.password = Some("s3cret".into());
    peer.mode = Mode::Passive;
    let peers = [peer, PeerConfig::new("192.0.2.12".parse().unwrap(), 65002)];
    let conf = config(Path::new("/lab"), &peers, BirdOptions::default(), None);
    assert!(conf.contains(r#"log "/lab/bird.log" all;"#));
    assert!(conf.contains("protocol bgp spk0 {"));
    assert!(conf.contains("neighbor 192.0.2.11 as 65001;"));
    assert!(conf.contains("password \"s3cret\";"));
    assert!(conf.contains("passive on;"));
    assert!(conf.contains("neighbor 192.0.2.12 as 65002;"));
    assert_eq!(conf.matches("merge paths on;").count(), 2);
    assert!(!conf.contains("timeformat") && !conf.contains("disabled on;"));
    assert!(!conf.contains("debug {") && !conf.contains("bfd"));
}

#[test]
fn options_drop_the_kernel_protocols_and_change_times_and_start_state() {
    let peers = [PeerConfig::new("192.0.2.11".parse().unwrap(), 65001)];
    let options = BirdOptions {
        kernel_export: false,
        unix_times: true,
        trace_sessions: true,
        start_disabled: true,
    };
    let conf = config(Path::new("/lab"), &peers, options, Some(bfd::FAST));
    assert!(!conf.contains("protocol kernel"));
    assert!(conf.contains("timeformat protocol \"%s.%3f\";\n"));
    assert!(conf.contains("timeformat log \"%s.%3f\";\n"));
    assert!(conf.contains("  disabled on;\n"));
    assert!(conf.contains("  debug { states, events };\n"));
    assert!(conf.contains("neighbor 192.0.2.11 as 65001;"));
    assert!(conf.contains("protocol bfd {") && conf.contains("  bfd on;\n"));
}
