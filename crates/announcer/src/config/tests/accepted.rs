//! Configurations that load, and the values and defaults they yield.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use announcer_bfd::{Interval, Multiplier, SessionConfig};
use announcer_bgp::wire::{Community, LargeCommunity};
use announcer_bgp::{Asn, HoldTime, PeerConfig, RouteAttributes, RouterId, TtlMode};
use announcer_health::{CheckKind, CheckSpec, ExpectStatus, FilePassIf, HttpCheck, HttpMethod};

use super::{accept, MINIMAL};
use crate::config::model::BgpConfig;
use crate::config::{
    BindMode, Config, ControlConfig, DegradedConfig, DrainConfig, MetricsConfig, OnFailure, Policy,
    Require, VipConfig,
};

/// The example shipped in `config/announcer.toml`.
const EXAMPLE: &str = include_str!("../../../../../config/announcer.toml");

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn the_example_configuration_loads_with_every_key_as_documented() {
    let tor_a = PeerConfig {
        name: "tor-a".to_owned(),
        hold_time: HoldTime::new(9).unwrap(),
        local_address: Some(ip("192.0.2.11")),
        next_hop_v4: Some("192.0.2.11".parse().unwrap()),
        next_hop_v6: Some("2001:db8::11".parse().unwrap()),
        ttl: TtlMode::Security { hops: 1 },
        ..PeerConfig::new(ip("192.0.2.1"), Asn::new(65000))
    };
    let web = CheckKind::Http(HttpCheck {
        url: "http://127.0.0.1:8080/healthz".to_owned(),
        method: HttpMethod::Get,
        expect_status: ExpectStatus(vec![200..=200, 204..=204, 300..=399]),
        expect_body: Some("ok".to_owned()),
        host: Some("www.example.com".to_owned()),
    });
    let expected = Config {
        bgp: BgpConfig {
            local_as: Asn::new(65001),
            router_id: Some(RouterId::new(Ipv4Addr::new(192, 0, 2, 11)).unwrap()),
            listen: Some("[::]:179".parse().unwrap()),
            restart_time: Some(Duration::from_secs(120)),
        },
        peers: vec![tor_a, PeerConfig::new(ip("2001:db8::1"), Asn::new(65000))],
        bfd: [(
            ip("192.0.2.1"),
            SessionConfig {
                desired_min_tx: Interval::from_micros(100_000),
                required_min_rx: Interval::from_micros(100_000),
                multiplier: Multiplier::DEFAULT,
            },
        )]
        .into(),
        checks: vec![
            CheckSpec::new("web", web),
            CheckSpec::new(
                "api-port",
                CheckKind::Tcp {
                    address: "127.0.0.1:8443".parse().unwrap(),
                },
            ),
            CheckSpec::new(
                "db",
                CheckKind::Exec {
                    command: vec!["/usr/local/bin/check-db".to_owned(), "--quiet".to_owned()],
                    user: None,
                },
            ),
            CheckSpec::new(
                "not-drained",
                CheckKind::File {
                    path: PathBuf::from("/etc/announcer/drain"),
                    pass_if: FilePassIf::Absent,
                },
            ),
        ],
        vips: vec![
            VipConfig {
                prefix: "203.0.113.10/32".parse().unwrap(),
                interface: "lo".into(),
                bind: BindMode::Address,
                checks: ["web", "db", "not-drained"].map(String::from).into(),
                attributes: Arc::new(RouteAttributes {
                    med: Some(10),
                    local_pref: Some(200),
                    communities: vec![Community::new(65000, 100)],
                    large_communities: vec![LargeCommunity {
                        global: 65000,
                        local1: 1,
                        local2: 2,
                    }],
                    ..RouteAttributes::default()
                }),
                policy: Arc::default(),
            },
            VipConfig {
                prefix: "2001:db8:100::10/128".parse().unwrap(),
                interface: "lo".into(),
                bind: BindMode::Address,
                checks: ["api-port".to_owned()].into(),
                attributes: Arc::default(),
                policy: Arc::default(),
            },
        ],
        control: ControlConfig {
            group: None,
            ..ControlConfig::default()
        },
        drain: DrainConfig {
            time: Duration::from_secs(5),
            med: Some(1000),
            as_path_prepend: Some(3),
        },
        metrics: MetricsConfig {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 9180))),
            per_vip: true,
        },
        degraded: DegradedConfig::default(),
    };
    assert_eq!(accept(EXAMPLE), expected);
}

#[test]
fn a_minimal_configuration_gets_the_documented_defaults() {
    let config = accept(MINIMAL);
    assert_eq!(
        config.bgp,
        BgpConfig {
            local_as: Asn::new(65001),
            router_id: None,
            listen: None,
            restart_time: Some(Duration::from_secs(120)),
        }
    );
    assert_eq!(config.drain, DrainConfig::default());
    assert_eq!(config.drain.time, Duration::from_millis(500));
    assert_eq!(
        config.metrics,
        MetricsConfig {
            listen: None,
            per_vip: true
        }
    );
    let [peer] = config.peers.as_slice() else {
        panic!("one peer expected: {:?}", config.peers);
    };
    assert_eq!(peer.name, "192.0.2.1");
    assert_eq!(peer.port, 179);
    assert_eq!(peer.hold_time, HoldTime::DEFAULT);
    assert!(!peer.passive);
    assert_eq!(peer.password, None);
    assert_eq!(peer.ttl, TtlMode::Default);
    assert_eq!(*peer, PeerConfig::new(ip("192.0.2.1"), Asn::new(65000)));
    assert!(config.checks.is_empty());
    assert_eq!(
        config.vips,
        vec![VipConfig {
            prefix: "203.0.113.10/32".parse().unwrap(),
            interface: "lo".into(),
            bind: BindMode::Address,
            checks: Arc::default(),
            attributes: Arc::default(),
            policy: Arc::default(),
        }]
    );
    assert_eq!(
        config.control,
        ControlConfig {
            socket: PathBuf::from("/run/announcer/announcer.sock"),
            state_dir: PathBuf::from("/var/lib/announcer"),
            group: None,
        }
    );
}

#[test]
fn an_ipv6_peer_and_a_128_vip_load() {
    let config = accept(
        r#"[bgp]
local_as = 4200000001
[[peer]]
address = "2001:db8::1"
remote_as = 4200000000
local_address = "2001:db8::11"
[[vip]]
prefix = "2001:db8:100::10/128"
[[vip]]
prefix = "2001:db8:100::11"
"#,
    );
    assert_eq!(config.bgp.local_as, Asn::new(4_200_000_001));
    assert_eq!(config.peers[0].address, ip("2001:db8::1"));
    assert_eq!(config.peers[0].local_address, Some(ip("2001:db8::11")));
    assert_eq!(config.vips[0].prefix.to_string(), "2001:db8:100::10/128");
    assert_eq!(config.vips[1].prefix.to_string(), "2001:db8:100::11/128");
}

#[test]
fn next_hop_takes_one_address_or_one_of_each_family() {
    let next_hops = |value: &str| {
        let text = format!(
            "[bgp]\nlocal_as = 65001\n[[peer]]\naddress = \"192.0.2.1\"\nremote_as = 65000\nnext_hop = {value}\n"
        );
        let peer = accept(&text).peers.remove(0);
        (peer.next_hop_v4, peer.next_hop_v6)
    };
    let v4 = Some(Ipv4Addr::new(192, 0, 2, 11));
    let v6 = Some("2001:db8::11".parse().unwrap());
    assert_eq!(next_hops("\"192.0.2.11\""), (v4, None));
    assert_eq!(next_hops("\"2001:db8::11\""), (None, v6));
    assert_eq!(next_hops("[\"2001:db8::11\", \"192.0.2.11\"]"), (v4, v6));
    assert_eq!(next_hops("[\"192.0.2.11\"]"), (v4, None));
}

#[test]
fn a_passive_peer_gets_the_default_listener_and_listen_may_omit_the_port() {
    let passive = MINIMAL.replace("remote_as = 65000", "remote_as = 65000\npassive = true");
    assert_eq!(
        accept(&passive).bgp.listen,
        Some("[::]:179".parse::<SocketAddr>().unwrap())
    );
    let listen = MINIMAL.replace(
        "local_as = 65001",
        "local_as = 65001\nlisten = \"192.0.2.11\"",
    );
    assert_eq!(
        accept(&listen).bgp.listen,
        Some("192.0.2.11:179".parse().unwrap())
    );
}

#[test]
fn ttl_security_takes_a_hop_count_and_multihop_a_ttl() {
    let ttl = |line: &str| {
        let text = MINIMAL.replace("remote_as = 65000", &format!("remote_as = 65000\n{line}"));
        accept(&text).peers[0].ttl
    };
    assert_eq!(ttl("ttl_security = 3"), TtlMode::Security { hops: 3 });
    assert_eq!(ttl("ttl_security = false"), TtlMode::Default);
    assert_eq!(ttl("multihop = 4"), TtlMode::Multihop(4));
}

#[test]
fn check_timing_defaults_follow_the_interval() {
    let timing = |keys: &str| {
        let text = format!(
            "{MINIMAL}[[check]]\nname = \"c\"\ntype = \"tcp\"\naddress = \"127.0.0.1:80\"\n{keys}\n"
        );
        let check = accept(&text).checks.remove(0);
        (check.interval, check.fast_interval, check.timeout)
    };
    let ms = Duration::from_millis;
    assert_eq!(timing(""), (ms(2000), ms(500), ms(1000)));
    assert_eq!(
        timing("interval = \"1m\""),
        (ms(60_000), ms(15_000), ms(1000))
    );
    assert_eq!(timing("interval = \"200ms\""), (ms(200), ms(100), ms(200)));
    assert_eq!(timing("interval = \"50ms\""), (ms(50), ms(50), ms(50)));
    assert_eq!(
        timing("interval = \"5s\"\nfast_interval = \"1s\"\ntimeout = \"5s\""),
        (ms(5000), ms(1000), ms(5000))
    );
}

#[test]
fn http_checks_accept_every_form_of_expect_status_and_method() {
    let http = |keys: &str| {
        let text = format!(
            "{MINIMAL}[[check]]\nname = \"c\"\ntype = \"http\"\nurl = \"http://[::1]:8080/\"\n{keys}\n"
        );
        match accept(&text).checks.remove(0).kind {
            CheckKind::Http(http) => http,
            other => panic!("not an http check: {other:?}"),
        }
    };
    assert_eq!(http("").expect_status, ExpectStatus(vec![200..=399]));
    assert_eq!(http("").method, HttpMethod::Get);
    assert_eq!(
        http("expect_status = 204").expect_status,
        ExpectStatus(vec![204..=204])
    );
    assert_eq!(
        http("expect_status = \"200-299\"").expect_status,
        ExpectStatus(vec![200..=299])
    );
    assert_eq!(
        http("expect_status = [200, \"301\", \"500-503\"]").expect_status,
        ExpectStatus(vec![200..=200, 301..=301, 500..=503])
    );
    assert_eq!(http("method = \"head\"").method, HttpMethod::Head);
}

#[test]
fn exec_arguments_may_be_empty_strings() {
    let text = format!(
        "{MINIMAL}[[check]]\nname = \"c\"\ntype = \"exec\"\ncommand = [\"/bin/test\", \"\"]\n"
    );
    assert_eq!(
        accept(&text).checks[0].kind,
        CheckKind::Exec {
            command: vec!["/bin/test".to_owned(), String::new()],
            user: None,
        }
    );
}

#[test]
fn relative_paths_are_taken_from_the_configuration_directory() {
    let text = format!(
        "{MINIMAL}[[check]]\nname = \"c\"\ntype = \"file\"\npath = \"drain\"\n\
         [control]\nsocket = \"run/a.sock\"\nstate_dir = \"/var/lib/a\"\n"
    );
    let config =
        crate::config::parse(&text, std::path::Path::new("/etc/announcer/a.toml")).unwrap();
    assert_eq!(
        config.checks[0].kind,
        CheckKind::File {
            path: PathBuf::from("/etc/announcer/drain"),
            pass_if: FilePassIf::Exists,
        }
    );
    assert_eq!(
        config.control.socket,
        PathBuf::from("/etc/announcer/run/a.sock")
    );
    assert_eq!(config.control.state_dir, PathBuf::from("/var/lib/a"));
}

#[test]
fn tables_may_be_written_inline_or_with_dotted_keys() {
    let config =
        accept("bgp.local_as = 65001\npeer = [{ address = \"192.0.2.1\", remote_as = 65000 }]\n");
    assert_eq!(config.bgp.local_as, Asn::new(65001));
    assert_eq!(config.peers.len(), 1);
}

#[test]
fn graceful_restart_is_on_with_the_default_restart_time_unless_set_otherwise() {
    assert_eq!(
        accept(MINIMAL).bgp.restart_time,
        Some(Duration::from_secs(120))
    );
    let text = MINIMAL.replacen("[bgp]\n", "[bgp]\ngraceful_restart = false\n", 1);
    assert_eq!(accept(&text).bgp.restart_time, None);
    let text = MINIMAL.replacen(
        "[bgp]\n",
        "[bgp]\ngraceful_restart = true\nrestart_time = \"30s\"\n",
        1,
    );
    assert_eq!(
        accept(&text).bgp.restart_time,
        Some(Duration::from_secs(30))
    );
}

#[test]
fn a_vip_is_bound_as_an_address_a_local_route_or_not_at_all() {
    let cases = [
        ("", BindMode::Address),
        ("bind = true\n", BindMode::Address),
        ("bind = \"address\"\n", BindMode::Address),
        ("bind = \"route\"\n", BindMode::Route),
        ("bind = \"none\"\n", BindMode::None),
        ("bind = false\n", BindMode::None),
    ];
    for (line, want) in cases {
        assert_eq!(
            accept(&format!("{MINIMAL}{line}")).vips[0].bind,
            want,
            "{line}"
        );
    }
}

#[test]
fn a_vip_table_may_list_several_prefixes_sharing_its_other_keys() {
    let text = MINIMAL.replace(
        "prefix = \"203.0.113.10/32\"\n",
        "prefixes = [\"203.0.113.10/32\", \"203.0.113.11\", \"2001:db8::11\"]\n\
         bind = false\nmed = 7\n[[vip]]\nprefix = \"203.0.113.12/32\"\n",
    );
    let vips = accept(&text).vips;
    let routes: Vec<String> = vips.iter().map(|vip| vip.prefix.to_string()).collect();
    assert_eq!(
        routes,
        [
            "203.0.113.10/32",
            "203.0.113.11/32",
            "2001:db8::11/128",
            "203.0.113.12/32"
        ]
    );
    for vip in &vips[..3] {
        assert_eq!(vip.bind, BindMode::None);
        assert_eq!(vip.attributes.med, Some(7));
    }
    assert_eq!(vips[3].bind, BindMode::Address);
    assert_eq!(vips[3].attributes.med, None);
}

#[test]
fn bfd_is_off_unless_asked_for_and_takes_300ms_times_3_by_default() {
    assert!(accept(MINIMAL).bfd.is_empty());
    let text = MINIMAL.replace("remote_as = 65000\n", "remote_as = 65000\nbfd = true\n");
    let config = accept(&text);
    let session = config.bfd.get(&ip("192.0.2.1")).copied();
    assert_eq!(
        session,
        Some(SessionConfig {
            desired_min_tx: Interval::from_micros(300_000),
            required_min_rx: Interval::from_micros(300_000),
            multiplier: Multiplier::DEFAULT,
        })
    );
}

#[test]
fn bfd_intervals_without_bfd_leave_it_off() {
    let text = MINIMAL.replace(
        "remote_as = 65000\n",
        "remote_as = 65000\nbfd = false\nbfd_min_tx = \"50ms\"\n",
    );
    assert!(accept(&text).bfd.is_empty());
}

#[test]
fn an_exec_check_user_is_resolved_to_its_ids_groups_and_home_at_load() {
    let text = format!(
        "{MINIMAL}[[check]]\nname = \"c\"\ntype = \"exec\"\ncommand = [\"true\"]\nuser = \"root\"\n"
    );
    let CheckKind::Exec { user, .. } = &accept(&text).checks[0].kind else {
        panic!("not an exec check");
    };
    let user = user.as_ref().unwrap();
    assert_eq!(
        (user.name.as_str(), user.uid, user.gid),
        ("root", 0, 0),
        "{user:?}"
    );
    assert!(user.groups.contains(&0), "{user:?}");
    assert_eq!(user.home, PathBuf::from("/root"));
}

#[test]
fn a_failure_policy_and_the_degraded_attributes_are_read() {
    let text = format!(
        "{MINIMAL}checks = [\"web\"]\nsoft_checks = [\"load\"]\non_failure = \"degrade\"\nrequire = \"any\"\n\n[[check]]\nname = \"web\"\ntype = \"tcp\"\naddress = \"127.0.0.1:80\"\n\n[[check]]\nname = \"load\"\ntype = \"file\"\npath = \"/etc/announcer/busy\"\npass_if = \"absent\"\n\n[degraded]\nas_path_prepend = 5\nmed = 900\ncommunities = [\"65000:666\"]\n"
    );
    let config = accept(&text);
    let policy = &config.vips[0].policy;
    assert_eq!(
        **policy,
        Policy {
            soft_checks: ["load".to_owned()].into(),
            on_failure: OnFailure::Degrade,
            require: Require::Any,
        }
    );
    assert_eq!(
        config.degraded,
        DegradedConfig {
            as_path_prepend: 5,
            med: Some(900),
            communities: vec![Community::new(65000, 666)],
            large_communities: Vec::new(),
        }
    );
    assert_eq!(accept(MINIMAL).degraded.as_path_prepend, 3);
}
