//! Two connections to the peer (RFC 4271 §6.8, RFC 6286 §2.3).

use super::{cease_collision, config, notified_and_closed, peer_open, rid, Harness, OURS, THEIRS};
use crate::fsm::collision::{loser, Origin};
use crate::fsm::{DownReason, FsmConfig, Input, Output, State};
use crate::types::Asn;
use crate::wire::{Message, Open};

fn closed_with_cease_collision(conn: crate::fsm::ConnId) -> Vec<Output> {
    notified_and_closed(conn, cease_collision())
}

/// Started, our connection up, and the peer's connection accepted: both in OpenSent.
fn both_in_open_sent(config: FsmConfig) -> Harness {
    let mut h = Harness::started_with(config);
    h.input(Input::Connected(OURS));
    h.answers_with_open(Input::Accepted(THEIRS), THEIRS);
    h
}

/// The default config with a router id above the peer's.
fn higher_router_id() -> FsmConfig {
    FsmConfig {
        router_id: rid(192, 0, 2, 9),
        ..config()
    }
}

/// The peer's OPEN on its connection wins the collision: ours is closed with a Cease and
/// the peer's answered with a KEEPALIVE, in OpenConfirm.
fn their_open_wins(h: &mut Harness) {
    let mut out = closed_with_cease_collision(OURS);
    out.push(Output::Send(THEIRS, Message::Keepalive));
    let open = Message::Open(peer_open());
    assert_eq!(h.input(Input::Received(THEIRS, open)), out);
    assert_eq!(h.state(), State::OpenConfirm);
}

#[test]
fn collision_keeps_the_connection_initiated_by_the_higher_router_id() {
    // Ours is 192.0.2.1, the peer's 192.0.2.2: the peer's connection survives.
    let mut h = both_in_open_sent(config());
    their_open_wins(&mut h);
    h.keepalive_establishes(THEIRS);
}

#[test]
fn collision_with_a_lower_peer_router_id_closes_the_connection_the_peer_initiated() {
    let mut h = both_in_open_sent(higher_router_id());
    let out = h.input(Input::Received(THEIRS, Message::Open(peer_open())));
    assert_eq!(out, closed_with_cease_collision(THEIRS));
    assert_eq!(h.state(), State::OpenSent);
    let out = h.input(Input::Received(OURS, Message::Open(peer_open())));
    assert_eq!(out, vec![Output::Send(OURS, Message::Keepalive)]);
    h.keepalive_establishes(OURS);
}

#[test]
fn collision_with_the_other_connection_in_open_confirm_is_resolved_on_the_second_open() {
    let mut h = Harness::open_confirm();
    h.input(Input::Accepted(THEIRS));
    assert_eq!(h.state(), State::OpenConfirm);
    their_open_wins(&mut h);
}

#[test]
fn collision_in_open_confirm_keeps_ours_when_our_router_id_is_higher() {
    let mut h = Harness::open_confirm_with(higher_router_id(), peer_open());
    h.input(Input::Accepted(THEIRS));
    let out = h.input(Input::Received(THEIRS, Message::Open(peer_open())));
    assert_eq!(out, closed_with_cease_collision(THEIRS));
    h.keepalive_establishes(OURS);
}

#[test]
fn collision_between_equal_router_ids_keeps_the_connection_of_the_higher_as() {
    let id = rid(192, 0, 2, 1);
    assert_eq!(
        loser(id, Asn::new(65001), id, Asn::new(65002)),
        Origin::Local
    );
    assert_eq!(
        loser(id, Asn::new(65003), id, Asn::new(65002)),
        Origin::Remote
    );

    let mut h = both_in_open_sent(config());
    let same_id = Open {
        router_id: id,
        ..peer_open()
    };
    let out = h.input(Input::Received(THEIRS, Message::Open(same_id)));
    assert_eq!(&out[..2], closed_with_cease_collision(OURS).as_slice());
}

#[test]
fn router_ids_are_compared_as_unsigned_numbers() {
    let low = rid(9, 255, 255, 255);
    let high = rid(128, 0, 0, 1);
    assert_eq!(loser(low, Asn::new(1), high, Asn::new(1)), Origin::Local);
    assert_eq!(loser(high, Asn::new(1), low, Asn::new(1)), Origin::Remote);
}

#[test]
fn connection_accepted_while_established_is_closed_with_cease_collision() {
    let mut h = Harness::established();
    assert_eq!(
        h.input(Input::Accepted(THEIRS)),
        closed_with_cease_collision(THEIRS)
    );
    assert_eq!(h.state(), State::Established);
    assert_eq!(
        h.fsm.negotiated().map(|n| n.peer_id),
        Some(rid(192, 0, 2, 2))
    );
}

#[test]
fn second_inbound_connection_is_closed_with_cease_collision() {
    let mut h = both_in_open_sent(config());
    let third = crate::fsm::ConnId(3);
    assert_eq!(
        h.input(Input::Accepted(third)),
        closed_with_cease_collision(third)
    );
    assert_eq!(h.state(), State::OpenSent);
}

#[test]
fn accepted_while_connecting_keeps_both_until_an_open_decides() {
    let mut h = Harness::started();
    h.answers_with_open(Input::Accepted(THEIRS), THEIRS);
    let out = h.input(Input::Received(THEIRS, Message::Open(peer_open())));
    assert_eq!(
        out,
        vec![
            Output::CancelConnect,
            Output::Send(THEIRS, Message::Keepalive)
        ]
    );
    assert_eq!(
        h.input(Input::Connected(OURS)),
        vec![Output::Close(OURS)],
        "cancelled, raced"
    );
    assert_eq!(h.state(), State::OpenConfirm);
}

#[test]
fn accepted_while_connecting_then_connected_makes_two_connections() {
    let mut h = Harness::started();
    h.input(Input::Accepted(THEIRS));
    h.answers_with_open(Input::Connected(OURS), OURS);
    their_open_wins(&mut h);
}

#[test]
fn losing_one_of_two_connections_does_not_end_the_session() {
    let mut h = both_in_open_sent(config());
    assert_eq!(h.input(Input::Closed(OURS)), vec![]);
    assert_eq!(h.state(), State::OpenSent);
    let n = super::notification(crate::wire::ErrorCode::Cease(
        crate::wire::CeaseSubcode::ConnectionCollisionResolution,
    ));
    let out = h.input(Input::Received(THEIRS, Message::Notification(n.clone())));
    assert_eq!(
        out,
        vec![Output::Close(THEIRS), Output::Down(DownReason::Received(n))]
    );
    assert_eq!(h.state(), State::Idle);
}

#[test]
fn open_error_on_one_of_two_connections_leaves_the_other() {
    let mut h = both_in_open_sent(config());
    let wrong_as = Open {
        my_as: 65009,
        capabilities: vec![],
        ..peer_open()
    };
    let out = h.input(Input::Received(THEIRS, Message::Open(wrong_as)));
    assert_eq!(out.len(), 2, "NOTIFICATION and close, no Down: {out:?}");
    assert_eq!(h.state(), State::OpenSent);
}

#[test]
fn established_closes_a_connection_still_in_open_sent() {
    let mut h = Harness::open_confirm();
    h.input(Input::Accepted(THEIRS));
    let out = h.input(Input::Received(OURS, Message::Keepalive));
    assert_eq!(&out[..2], closed_with_cease_collision(THEIRS).as_slice());
    assert!(
        matches!(&out[2..], [Output::Established { conn: OURS, .. }]),
        "{out:?}"
    );
    assert_eq!(
        h.fsm.wire_context(THEIRS),
        &crate::wire::WireContext::initial()
    );
}

#[test]
fn losing_the_inbound_connection_while_connecting_cancels_the_attempt_and_waits() {
    let mut h = Harness::started();
    h.input(Input::Accepted(THEIRS));
    let out = h.input(Input::Closed(THEIRS));
    assert_eq!(
        out,
        vec![
            Output::CancelConnect,
            Output::Down(DownReason::ConnectionClosed)
        ]
    );
    assert_eq!(h.state(), State::Idle);
}
