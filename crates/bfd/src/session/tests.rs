//! The session state machine, rule by rule: every transition of RFC 5880 §6.8.6 and every
//! timer rule of §6.8.3, §6.8.4 and §6.8.7.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use super::*;

const FAST: Interval = Interval::from_micros(100_000);

fn config() -> SessionConfig {
    SessionConfig {
        desired_min_tx: FAST,
        required_min_rx: FAST,
        multiplier: Multiplier::DEFAULT,
    }
}

fn discr(value: u32) -> Discriminator {
    Discriminator::new(value).unwrap()
}

fn session(now: Instant) -> Session {
    Session::new(config(), discr(7), 42, now)
}

/// A packet from the remote (discriminator 99) in `state`, knowing ours.
fn remote(state: SessionState) -> ControlPacket {
    ControlPacket::new(state, discr(99), Some(discr(7)), FAST)
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A session brought Up by the remote (Down → Init → Up) with the Poll of reaching Up
/// answered, so the fast intervals are in force.
fn up(now: Instant) -> Session {
    let mut s = session(now);
    s.receive(&remote(SessionState::Down), now);
    s.receive(&remote(SessionState::Up), now);
    assert_eq!(s.state(), SessionState::Up);
    s.receive(&final_up(), now);
    assert!(!s.polling());
    s
}

/// The remote's Final while Up.
fn final_up() -> ControlPacket {
    ControlPacket {
        final_: true,
        ..remote(SessionState::Up)
    }
}

/// The configuration with one change.
fn configured(change: impl FnOnce(&mut SessionConfig)) -> SessionConfig {
    let mut config = config();
    change(&mut config);
    config
}

/// A packet from the remote that keeps us from declaring it Down for 25.5 s.
fn patient(packet: ControlPacket) -> ControlPacket {
    ControlPacket {
        multiplier: Multiplier::new(255).unwrap(),
        ..packet
    }
}

/// Every packet sent between `from` and `until`, following the session's own deadlines.
fn sent(s: &mut Session, from: Instant, until: Instant) -> Vec<(Instant, ControlPacket)> {
    let mut out = Vec::new();
    let mut now = from;
    for _ in 0..10_000 {
        while let Some(p) = s.poll_transmit(now) {
            out.push((now, p));
        }
        match s.next_deadline().filter(|d| *d <= until) {
            Some(d) => now = d.max(now),
            None => break,
        }
        s.handle_timeout(now);
    }
    out
}

#[test]
fn a_new_session_is_down_and_sends_at_once_with_slow_start_intervals() {
    let now = Instant::now();
    let mut s = session(now);
    assert_eq!(s.state(), SessionState::Down);
    let p = s.poll_transmit(now).unwrap();
    assert_eq!(p.state, SessionState::Down);
    assert_eq!(p.your_discriminator, None);
    assert_eq!(p.my_discriminator, discr(7));
    assert_eq!(p.desired_min_tx, Interval::SLOW);
    assert_eq!(p.required_min_rx, FAST);
    assert_eq!(p.required_min_echo_rx, Interval::ZERO);
    assert!(!p.poll && !p.final_);
}

#[test]
fn until_up_packets_are_at_least_three_quarters_of_a_second_apart() {
    let now = Instant::now();
    let mut s = session(now);
    let packets = sent(&mut s, now, now + Duration::from_secs(10));
    assert!(
        packets.len() >= 10 && packets.len() <= 14,
        "{}",
        packets.len()
    );
    for pair in packets.windows(2) {
        assert!(pair[1].0 - pair[0].0 >= ms(750));
        assert!(pair[1].0 - pair[0].0 <= ms(1000));
    }
}

#[test]
fn down_receiving_down_goes_init_and_says_so_at_once() {
    let now = Instant::now();
    let mut s = session(now);
    s.poll_transmit(now);
    let change = s
        .receive(&remote(SessionState::Down), now + ms(10))
        .unwrap();
    assert_eq!(
        (change.from, change.to),
        (SessionState::Down, SessionState::Init)
    );
    let p = s.poll_transmit(now + ms(10)).unwrap();
    assert_eq!(p.state, SessionState::Init);
    assert_eq!(p.your_discriminator, Some(discr(99)));
}

#[test]
fn down_receiving_init_goes_up() {
    let now = Instant::now();
    let mut s = session(now);
    let change = s.receive(&remote(SessionState::Init), now).unwrap();
    assert_eq!(change.to, SessionState::Up);
}

#[test]
fn init_receiving_init_or_up_goes_up() {
    for state in [SessionState::Init, SessionState::Up] {
        let now = Instant::now();
        let mut s = session(now);
        s.receive(&remote(SessionState::Down), now);
        assert_eq!(s.receive(&remote(state), now).unwrap().to, SessionState::Up);
    }
}

#[test]
fn down_ignores_up_and_init_ignores_down() {
    let now = Instant::now();
    let mut s = session(now);
    assert_eq!(s.receive(&remote(SessionState::Up), now), None);
    assert_eq!(s.state(), SessionState::Down);
    s.receive(&remote(SessionState::Down), now);
    assert_eq!(s.receive(&remote(SessionState::Down), now), None);
    assert_eq!(s.state(), SessionState::Init);
}

#[test]
fn up_receiving_down_goes_down_with_neighbor_signaled_session_down() {
    let now = Instant::now();
    let mut s = up(now);
    let change = s.receive(&remote(SessionState::Down), now).unwrap();
    assert_eq!(change.to, SessionState::Down);
    assert_eq!(change.diagnostic, Diagnostic::NeighborSignaledSessionDown);
    assert_eq!(s.poll_transmit(now).unwrap().desired_min_tx, Interval::SLOW);
}

#[test]
fn a_remote_admin_down_takes_init_and_up_down_but_not_down() {
    let now = Instant::now();
    let mut s = up(now);
    let change = s.receive(&remote(SessionState::AdminDown), now).unwrap();
    assert_eq!(change.diagnostic, Diagnostic::NeighborSignaledSessionDown);
    assert_eq!(s.receive(&remote(SessionState::AdminDown), now), None);
    assert_eq!(s.state(), SessionState::Down);
}

#[test]
fn up_ignores_init_from_the_remote() {
    let now = Instant::now();
    let mut s = up(now);
    assert_eq!(s.receive(&remote(SessionState::Init), now), None);
    assert_eq!(s.state(), SessionState::Up);
}

#[test]
fn detection_time_is_the_remote_multiplier_times_the_slower_of_our_rx_and_its_tx() {
    let now = Instant::now();
    let mut s = up(now);
    assert_eq!(s.detection_time(), Some(ms(300)));
    let slow_remote = ControlPacket {
        multiplier: Multiplier::new(5).unwrap(),
        desired_min_tx: Interval::from_micros(250_000),
        ..remote(SessionState::Up)
    };
    s.receive(&slow_remote, now);
    assert_eq!(s.detection_time(), Some(ms(1250)));
}

#[test]
fn silence_for_a_detection_time_takes_up_down_and_forgets_the_remote() {
    let now = Instant::now();
    let mut s = up(now);
    assert_eq!(s.handle_timeout(now + ms(299)), None);
    let change = s.handle_timeout(now + ms(300)).unwrap();
    assert_eq!(change.to, SessionState::Down);
    assert_eq!(change.diagnostic, Diagnostic::ControlDetectionTimeExpired);
    assert_eq!(s.remote_discriminator(), None);
    assert_eq!(
        s.poll_transmit(now + ms(300)).unwrap().your_discriminator,
        None
    );
}

#[test]
fn every_packet_received_restarts_the_detection_time() {
    let now = Instant::now();
    let mut s = up(now);
    s.receive(&remote(SessionState::Up), now + ms(200));
    assert_eq!(s.handle_timeout(now + ms(400)), None);
    assert!(s.handle_timeout(now + ms(500)).is_some());
}

#[test]
fn silence_while_init_takes_it_down_and_while_down_only_forgets_the_remote() {
    let now = Instant::now();
    let mut s = session(now);
    s.receive(&remote(SessionState::Down), now);
    let change = s.handle_timeout(now + Duration::from_secs(3)).unwrap();
    assert_eq!(
        (change.from, change.to),
        (SessionState::Init, SessionState::Down)
    );
    let mut s = session(now);
    s.receive(
        &ControlPacket {
            your_discriminator: None,
            ..remote(SessionState::AdminDown)
        },
        now,
    );
    assert_eq!(s.handle_timeout(now + Duration::from_secs(3)), None);
    assert_eq!(s.remote_discriminator(), None);
}

#[test]
fn reaching_up_polls_for_the_fast_intervals_until_the_final() {
    let now = Instant::now();
    let mut s = session(now);
    s.receive(&remote(SessionState::Init), now);
    assert!(s.polling());
    let p = s.poll_transmit(now).unwrap();
    assert!(p.poll);
    assert_eq!(p.desired_min_tx, FAST);
    assert_eq!(s.transmit_interval(), Some(FAST));
    s.receive(&final_up(), now);
    assert!(!s.polling());
    let later = sent(&mut s, now + ms(1), now + ms(500));
    assert!(later.iter().all(|(_, p)| !p.poll));
}

#[test]
fn a_poll_is_answered_at_once_with_a_final_and_no_poll() {
    let now = Instant::now();
    let mut s = up(now);
    s.set_config(
        configured(|c| c.required_min_rx = Interval::from_micros(50_000)),
        now,
    );
    assert!(s.polling());
    s.poll_transmit(now + ms(500));
    s.receive(
        &ControlPacket {
            poll: true,
            ..remote(SessionState::Up)
        },
        now + ms(510),
    );
    assert_eq!(
        s.next_deadline(),
        Some(now + ms(510)).min(s.next_deadline())
    );
    let p = s.poll_transmit(now + ms(510)).unwrap();
    assert!(p.final_ && !p.poll);
    let p = s.poll_transmit(now + ms(700)).unwrap();
    assert!(p.poll && !p.final_);
}

#[test]
fn the_transmit_interval_is_the_slower_of_ours_and_the_remote_rx_with_jitter() {
    let now = Instant::now();
    let mut s = up(now);
    s.receive(
        &patient(ControlPacket {
            required_min_rx: Interval::from_micros(200_000),
            ..remote(SessionState::Up)
        }),
        now,
    );
    assert_eq!(s.transmit_interval(), Some(Interval::from_micros(200_000)));
    let packets = sent(&mut s, now, now + Duration::from_secs(20));
    assert!(packets.len() > 90);
    let gaps: Vec<Duration> = packets.windows(2).map(|w| w[1].0 - w[0].0).collect();
    assert!(
        gaps.iter().all(|g| *g >= ms(150) && *g <= ms(200)),
        "{gaps:?}"
    );
    assert!(gaps.iter().any(|g| *g < ms(170)) && gaps.iter().any(|g| *g > ms(185)));
}

#[test]
fn with_a_multiplier_of_one_the_jitter_keeps_packets_within_ninety_percent() {
    let now = Instant::now();
    let one = configured(|c| c.multiplier = Multiplier::new(1).unwrap());
    let mut s = Session::new(one, discr(7), 5, now);
    s.receive(&remote(SessionState::Init), now);
    s.receive(
        &patient(ControlPacket {
            final_: true,
            ..remote(SessionState::Up)
        }),
        now,
    );
    let packets = sent(&mut s, now, now + Duration::from_secs(10));
    assert!(packets.len() > 100);
    for pair in packets.windows(2).skip(1) {
        let gap = pair[1].0 - pair[0].0;
        assert!(gap >= ms(75) && gap <= ms(90), "{gap:?}");
    }
}

#[test]
fn a_remote_required_min_rx_of_zero_stops_periodic_packets_but_not_finals() {
    let now = Instant::now();
    let mut s = up(now);
    s.receive(
        &ControlPacket {
            required_min_rx: Interval::ZERO,
            ..remote(SessionState::Up)
        },
        now,
    );
    assert_eq!(s.transmit_interval(), None);
    s.poll_transmit(now);
    assert!(sent(&mut s, now + ms(1), now + ms(250)).is_empty());
    s.receive(
        &ControlPacket {
            poll: true,
            required_min_rx: Interval::ZERO,
            ..remote(SessionState::Up)
        },
        now + ms(250),
    );
    assert!(s.poll_transmit(now + ms(250)).unwrap().final_);
    s.receive(&remote(SessionState::Up), now + ms(260));
    assert!(
        s.next_deadline().unwrap() <= now + ms(360),
        "sending resumes within an interval"
    );
}

#[test]
fn a_slower_desired_tx_takes_effect_only_after_the_final() {
    let now = Instant::now();
    let mut s = up(now);
    let slow = Interval::from_micros(500_000);
    s.set_config(configured(|c| c.desired_min_tx = slow), now);
    assert!(s.polling());
    assert_eq!(s.transmit_interval(), Some(FAST));
    assert_eq!(s.poll_transmit(now + ms(100)).unwrap().desired_min_tx, slow);
    s.receive(&final_up(), now + ms(110));
    assert_eq!(s.transmit_interval(), Some(slow));
}

#[test]
fn a_faster_desired_tx_takes_effect_at_once() {
    let now = Instant::now();
    let mut s = up(now);
    let fast = Interval::from_micros(50_000);
    s.receive(
        &ControlPacket {
            required_min_rx: fast,
            ..remote(SessionState::Up)
        },
        now,
    );
    s.set_config(configured(|c| c.desired_min_tx = fast), now);
    assert_eq!(s.transmit_interval(), Some(fast));
    assert!(s.next_deadline().unwrap() <= now + ms(50));
}

#[test]
fn a_lower_required_rx_shortens_detection_only_after_the_final() {
    let now = Instant::now();
    let mut s = up(now);
    let remote_fast = ControlPacket {
        desired_min_tx: Interval::from_micros(10_000),
        ..remote(SessionState::Up)
    };
    s.receive(&remote_fast, now);
    s.set_config(
        configured(|c| c.required_min_rx = Interval::from_micros(10_000)),
        now,
    );
    assert_eq!(s.detection_time(), Some(ms(300)));
    s.receive(
        &ControlPacket {
            final_: true,
            ..remote_fast
        },
        now,
    );
    assert_eq!(s.detection_time(), Some(ms(30)));
}

#[test]
fn a_higher_required_rx_lengthens_detection_at_once() {
    let now = Instant::now();
    let mut s = up(now);
    s.set_config(
        configured(|c| c.required_min_rx = Interval::from_micros(400_000)),
        now,
    );
    assert_eq!(s.detection_time(), Some(ms(1200)));
}

#[test]
fn a_change_during_a_poll_sequence_is_polled_again_after_its_final() {
    let now = Instant::now();
    let mut s = up(now);
    s.set_config(
        configured(|c| c.desired_min_tx = Interval::from_micros(200_000)),
        now,
    );
    s.set_config(
        configured(|c| c.desired_min_tx = Interval::from_micros(300_000)),
        now,
    );
    s.receive(&final_up(), now);
    assert!(s.polling(), "the second change needs its own Final");
    s.receive(&final_up(), now);
    assert!(!s.polling());
    assert_eq!(s.transmit_interval(), Some(Interval::from_micros(300_000)));
}

#[test]
fn a_new_multiplier_goes_out_in_the_next_packet_without_a_reset() {
    let now = Instant::now();
    let mut s = up(now);
    s.set_config(
        configured(|c| c.multiplier = Multiplier::new(5).unwrap()),
        now,
    );
    assert_eq!(s.state(), SessionState::Up);
    assert_eq!(s.poll_transmit(now + ms(100)).unwrap().multiplier.get(), 5);
}

#[test]
fn going_down_drops_back_to_slow_start_and_ends_the_poll() {
    let now = Instant::now();
    let mut s = session(now);
    s.receive(&remote(SessionState::Init), now);
    assert!(s.polling());
    s.handle_timeout(now + Duration::from_secs(1));
    assert!(!s.polling());
    assert_eq!(s.transmit_interval(), Some(Interval::SLOW));
}

#[test]
fn admin_down_says_so_at_once_and_ignores_the_remote_afterwards() {
    let now = Instant::now();
    let mut s = up(now);
    let change = s.admin_down(now + ms(50)).unwrap();
    assert_eq!(change.to, SessionState::AdminDown);
    let p = s.poll_transmit(now + ms(50)).unwrap();
    assert_eq!(p.state, SessionState::AdminDown);
    assert_eq!(p.diagnostic, Diagnostic::AdministrativelyDown);
    assert_eq!(s.receive(&remote(SessionState::Down), now + ms(60)), None);
    assert_eq!(s.state(), SessionState::AdminDown);
    assert_eq!(s.admin_down(now + ms(70)), None);
}

#[test]
fn stretching_for_a_restart_polls_for_a_remote_detection_time_that_long() {
    let now = Instant::now();
    let mut s = up(now);
    s.stretch_for_restart(Duration::from_secs(30), now);
    assert!(s.polling());
    let p = s.poll_transmit(now + ms(100)).unwrap();
    assert!(p.poll);
    assert_eq!(
        p.multiplier.times(p.desired_min_tx),
        Duration::from_secs(30)
    );
    s.receive(&final_up(), now + ms(110));
    assert!(!s.polling());
}

#[test]
fn a_resumed_session_carries_on_up_with_the_same_discriminators_and_polls_back() {
    let now = Instant::now();
    let mut old = up(now);
    old.stretch_for_restart(Duration::from_secs(30), now);
    old.receive(&final_up(), now);
    let snapshot = old.snapshot();
    let later = now + Duration::from_secs(2);
    let mut s = Session::resume(&snapshot, config(), 9, later);
    assert_eq!(s.state(), SessionState::Up);
    let p = s.poll_transmit(later).unwrap();
    assert_eq!(
        (p.state, p.my_discriminator, p.your_discriminator),
        (SessionState::Up, discr(7), Some(discr(99)))
    );
    assert!(p.poll);
    assert_eq!(p.desired_min_tx, FAST);
    assert_eq!(s.detection_time(), Some(ms(300)));
    assert_eq!(s.receive(&remote(SessionState::Up), later), None);
}

#[test]
fn our_detection_time_expiring_is_a_failure() {
    let now = Instant::now();
    let mut s = up(now);
    assert!(s.handle_timeout(now + ms(300)).unwrap().is_failure());
}

#[test]
fn the_remote_timing_us_out_is_a_failure_but_its_restart_or_admin_down_is_not() {
    let cases = [
        (
            SessionState::Down,
            Diagnostic::ControlDetectionTimeExpired,
            true,
        ),
        (SessionState::Down, Diagnostic::PathDown, true),
        (SessionState::Down, Diagnostic::ForwardingPlaneReset, true),
        (SessionState::Down, Diagnostic::None, false),
        (
            SessionState::Down,
            Diagnostic::NeighborSignaledSessionDown,
            false,
        ),
        (
            SessionState::AdminDown,
            Diagnostic::AdministrativelyDown,
            false,
        ),
        (SessionState::AdminDown, Diagnostic::None, false),
    ];
    for (state, diagnostic, failure) in cases {
        let now = Instant::now();
        let mut s = up(now);
        let change = s
            .receive(
                &ControlPacket {
                    diagnostic,
                    ..remote(state)
                },
                now,
            )
            .unwrap();
        assert_eq!(change.to, SessionState::Down, "{state} {diagnostic}");
        assert_eq!(change.is_failure(), failure, "{state} {diagnostic}");
    }
}

#[test]
fn leaving_init_is_never_a_failure() {
    let now = Instant::now();
    let mut s = session(now);
    s.receive(&remote(SessionState::Down), now);
    let change = s.handle_timeout(now + Duration::from_secs(3)).unwrap();
    assert!(!change.is_failure());
}
