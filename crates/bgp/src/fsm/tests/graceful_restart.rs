//! Graceful restart (RFC 4724) as the restarting speaker: the capability in our OPEN, the
//! Restart State bit only until the first session is up, and a stop without NOTIFICATION.

use super::*;
use crate::config::GracefulRestartConfig;
use crate::wire::{GracefulRestart, GracefulRestartFamily};

fn with_restart(restarting: bool) -> FsmConfig {
    FsmConfig {
        graceful_restart: Some(GracefulRestartConfig {
            restart_time: 120,
            restarting,
        }),
        ..config()
    }
}

/// Our OPEN on a new connection of `h`.
fn sent_open(h: &mut Harness, conn: ConnId) -> Open {
    match h.input(Input::Connected(conn)).as_slice() {
        [Output::Send(id, Message::Open(open))] if *id == conn => open.clone(),
        other => panic!("expected our OPEN, got {other:?}"),
    }
}

fn graceful_restart(open: &Open) -> Option<&GracefulRestart> {
    open.capabilities.iter().find_map(|c| match c {
        Capability::GracefulRestart(gr) => Some(gr),
        _ => None,
    })
}

#[test]
fn without_graceful_restart_the_open_carries_no_such_capability() {
    let mut h = Harness::started();
    assert_eq!(graceful_restart(&sent_open(&mut h, OURS)), None);
}

#[test]
fn the_capability_names_the_restart_time_and_preserved_forwarding_for_every_family() {
    let mut h = Harness::started_with(with_restart(false));
    let open = sent_open(&mut h, OURS);
    assert_eq!(
        graceful_restart(&open),
        Some(&GracefulRestart {
            restart_state: false,
            notification: false,
            restart_time: 120,
            families: vec![
                GracefulRestartFamily {
                    family: Family::IPV4_UNICAST,
                    forwarding_preserved: true,
                },
                GracefulRestartFamily {
                    family: Family::IPV6_UNICAST,
                    forwarding_preserved: true,
                },
            ],
        })
    );
}

#[test]
fn a_restarting_speaker_sets_the_restart_state_bit_until_its_first_session_is_up() {
    let mut h = Harness::started_with(with_restart(true));
    let first = sent_open(&mut h, OURS);
    assert!(graceful_restart(&first).is_some_and(|gr| gr.restart_state));
    h.input(Input::Received(OURS, Message::Open(peer_open())));
    h.input(Input::Received(OURS, Message::Keepalive));
    assert_eq!(h.state(), State::Established);
    h.input(Input::Closed(OURS));
    h.fire_next();
    let again = sent_open(&mut h, ConnId(3));
    assert!(graceful_restart(&again).is_some_and(|gr| !gr.restart_state));
}

#[test]
fn a_stop_without_notification_closes_silently_and_reports_a_restart() {
    let mut h = Harness::established();
    assert_eq!(
        h.input(Input::Stop(None)),
        vec![Output::Close(OURS), Output::Down(DownReason::Restarting)]
    );
    assert_eq!(h.state(), State::Idle);
    assert_eq!(h.next_in(), None);
}
