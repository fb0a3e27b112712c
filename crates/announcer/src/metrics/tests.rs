//! The metrics page: every contracted name with its labels, in base units, counters with
//! `_total`, and the per-VIP series only when asked for.

use std::time::{Duration, Instant};

use announcer_bgp::{Asn, PeerStatus};

use super::*;

fn peer(state: State) -> PeerStatus {
    let mut status = PeerStatus::new(
        "tor-a".to_owned(),
        "192.0.2.1".parse().unwrap(),
        Asn::new(65000),
    );
    status.state = state;
    status.established_at = (state == State::Established).then(Instant::now);
    status.messages_sent.add(MessageType::Open);
    status.messages_sent.add(MessageType::Keepalive);
    status.messages_received.add(MessageType::Update);
    status.notifications_sent.insert(6, 2);
    status.flaps = 3;
    status
}

fn snapshot(per_vip: bool) -> Snapshot {
    let metrics = CheckMetrics::default();
    let web = metrics.start("web");
    web.flipped();
    web.probed(Duration::from_millis(3));
    let vip = VipSample {
        prefix: "203.0.113.10/32".to_owned(),
        announced: true,
        bound: true,
        maintenance: false,
    };
    Snapshot {
        peers: vec![peer(State::Established)],
        bfd_up: vec![("192.0.2.1".parse().unwrap(), true)],
        vips: per_vip.then(|| vec![vip]),
        checks: vec![CheckSample {
            name: "web".to_owned(),
            healthy: true,
        }],
        check_metrics: metrics,
    }
}

#[test]
fn every_contracted_series_is_on_the_page_with_its_labels() {
    let page = encode(&snapshot(true)).unwrap();
    let series = [
        "announcer_peer_up{peer=\"tor-a\"} 1",
        "announcer_peer_state{peer=\"tor-a\"} 6",
        "announcer_peer_uptime_seconds{peer=\"tor-a\"} ",
        "announcer_peer_flaps_total{peer=\"tor-a\"} 3",
        "announcer_messages_sent_total{peer=\"tor-a\",type=\"open\"} 1",
        "announcer_messages_sent_total{peer=\"tor-a\",type=\"keepalive\"} 1",
        "announcer_messages_received_total{peer=\"tor-a\",type=\"update\"} 1",
        "announcer_notifications_sent_total{peer=\"tor-a\",code=\"6\"} 2",
        "announcer_bfd_up{peer=\"tor-a\"} 1",
        "announcer_vip_announced{prefix=\"203.0.113.10/32\"} 1",
        "announcer_vip_bound{prefix=\"203.0.113.10/32\"} 1",
        "announcer_vip_maintenance{prefix=\"203.0.113.10/32\"} 0",
        "announcer_check_healthy{check=\"web\"} 1",
        "announcer_check_duration_seconds_bucket{le=\"0.005\",check=\"web\"} 1",
        "announcer_check_duration_seconds_count{check=\"web\"} 1",
        "announcer_check_transitions_total{check=\"web\"} 1",
        "announcer_build_info{version=\"",
    ];
    for line in series {
        assert!(page.contains(line), "no {line:?} in:\n{page}");
    }
    assert!(page.ends_with("# EOF\n"), "{page}");
}

#[test]
fn the_per_vip_series_can_be_left_out() {
    let page = encode(&snapshot(false)).unwrap();
    assert!(!page.contains("announcer_vip_"), "{page}");
    assert!(page.contains("announcer_check_healthy"), "{page}");
}

#[test]
fn a_stopped_check_leaves_no_series_and_a_restarted_one_counts_from_zero() {
    let metrics = CheckMetrics::default();
    let web = metrics.start("web");
    web.flipped();
    metrics.stop("web");
    let again = metrics.start("web");
    again.probed(Duration::from_millis(1));
    let snapshot = Snapshot {
        check_metrics: metrics,
        ..Snapshot::default()
    };
    let page = encode(&snapshot).unwrap();
    assert!(
        !page.contains("announcer_check_transitions_total{check=\"web\"} 1"),
        "{page}"
    );
    assert!(
        page.contains("announcer_check_duration_seconds_count{check=\"web\"} 1"),
        "{page}"
    );
}

#[test]
fn states_are_numbered_as_rfc_4273_numbers_them() {
    let cases = [
        (State::Idle, 1),
        (State::Connect, 2),
        (State::Active, 3),
        (State::OpenSent, 4),
        (State::OpenConfirm, 5),
        (State::Established, 6),
    ];
    for (state, number) in cases {
        assert_eq!(state_number(state), number, "{state:?}");
    }
}
