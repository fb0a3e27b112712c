//! Tests of the session state machine, written as a specification: each name is a sentence
//! about behaviour, time is an `Instant` advanced by hand, and no runtime is involved.

mod backoff;
mod collision;
mod established;
mod graceful_restart;
mod negotiation;
mod properties;
mod reset;
mod send_hold;
mod start;
mod stop;
mod unexpected;

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{Backoff, ConnId, DownReason, Fsm, FsmConfig, Input, Output, State};
use crate::types::{Asn, Family, HoldTime, RouterId};
use crate::wire::{Capability, CeaseSubcode, ErrorCode, FsmSubcode, Message, Notification, Open};

/// Our connection (we connected out).
const OURS: ConnId = ConnId(1);
/// The peer's connection (it connected to us).
const THEIRS: ConnId = ConnId(2);

/// eBGP AS65001 (192.0.2.1) → AS65002, IPv4 and IPv6 unicast, hold 90 s, backoff 1 s … 60 s.
fn config() -> FsmConfig {
    FsmConfig {
        local_as: Asn::new(65001),
        remote_as: Asn::new(65002),
        router_id: rid(192, 0, 2, 1),
        hold_time: HoldTime::DEFAULT,
        passive: false,
        families: vec![Family::IPV4_UNICAST, Family::IPV6_UNICAST],
        backoff: Backoff {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(60),
        },
        connect_timeout: Duration::from_secs(30),
        jitter_seed: 7,
        graceful_restart: None,
    }
}

fn rid(a: u8, b: u8, c: u8, d: u8) -> RouterId {
    RouterId::new(Ipv4Addr::new(a, b, c, d)).unwrap()
}

fn hold(seconds: u16) -> HoldTime {
    HoldTime::new(seconds).unwrap()
}

/// The peer's OPEN as a modern speaker sends it: AS65002, 192.0.2.2, hold 90 s, IPv4 and IPv6
/// unicast, route refresh, 4-octet AS.
fn peer_open() -> Open {
    Open {
        my_as: 65002,
        hold_time: HoldTime::DEFAULT,
        router_id: rid(192, 0, 2, 2),
        capabilities: vec![
            Capability::Multiprotocol(Family::IPV4_UNICAST),
            Capability::Multiprotocol(Family::IPV6_UNICAST),
            Capability::RouteRefresh,
            Capability::FourOctetAs(Asn::new(65002)),
        ],
    }
}

fn notification(code: ErrorCode) -> Notification {
    Notification::new(code, Bytes::new())
}

fn fsm_error(subcode: FsmSubcode) -> Notification {
    notification(ErrorCode::Fsm(subcode))
}

fn cease_collision() -> Notification {
    notification(ErrorCode::Cease(
        CeaseSubcode::ConnectionCollisionResolution,
    ))
}

/// What the machine outputs when it sends `n` on `conn` and closes it.
fn notified_and_closed(conn: ConnId, n: Notification) -> Vec<Output> {
    vec![
        Output::Send(conn, Message::Notification(n)),
        Output::Close(conn),
    ]
}

/// What the machine outputs when it answers an error on `conn` with `n` and that was the
/// session's last connection.
fn failure(conn: ConnId, n: Notification) -> Vec<Output> {
    let mut out = notified_and_closed(conn, n.clone());
    out.push(Output::Down(DownReason::Sent(n)));
    out
}

/// A machine and the hand-driven clock it runs on.
struct Harness {
    fsm: Fsm,
    now: Instant,
}

impl Harness {
    fn new(config: FsmConfig) -> Self {
        Harness {
            fsm: Fsm::new(config),
            now: Instant::now(),
        }
    }

    /// Started with the default config.
    fn started() -> Self {
        Self::started_with(config())
    }

    fn started_with(config: FsmConfig) -> Self {
        let mut h = Harness::new(config);
        h.input(Input::Start);
        h
    }

    /// Established on our connection with the default config and peer.
    fn established() -> Self {
        Self::established_with(config(), peer_open())
    }

    fn established_with(config: FsmConfig, open: Open) -> Self {
        let mut h = Harness::open_confirm_with(config, open);
        h.keepalive_establishes(OURS);
        h
    }

    /// OpenSent on our connection.
    fn open_sent() -> Self {
        let mut h = Harness::started();
        h.input(Input::Connected(OURS));
        assert_eq!(h.state(), State::OpenSent);
        h
    }

    /// OpenConfirm on our connection with the default config and peer.
    fn open_confirm() -> Self {
        Self::open_confirm_with(config(), peer_open())
    }

    fn open_confirm_with(config: FsmConfig, open: Open) -> Self {
        let mut h = Harness::started_with(config);
        h.input(Input::Connected(OURS));
        let out = h.input(Input::Received(OURS, Message::Open(open)));
        assert_eq!(out, vec![Output::Send(OURS, Message::Keepalive)]);
        assert_eq!(h.state(), State::OpenConfirm);
        h
    }

    fn input(&mut self, input: Input) -> Vec<Output> {
        self.fsm.handle(input, self.now)
    }

    /// Feeds `input` and asserts that the machine answers with its OPEN on `conn`, in
    /// OpenSent.
    fn answers_with_open(&mut self, input: Input, conn: ConnId) {
        let out = self.input(input);
        let open = Message::Open(self.fsm.open_message());
        assert_eq!(out, vec![Output::Send(conn, open)]);
        assert_eq!(self.state(), State::OpenSent);
    }

    /// Receives a KEEPALIVE on `conn` and asserts that it establishes the session there.
    fn keepalive_establishes(&mut self, conn: ConnId) {
        let out = self.input(Input::Received(conn, Message::Keepalive));
        assert!(
            matches!(out.as_slice(), [Output::Established { conn: c, .. }] if *c == conn),
            "{out:?}"
        );
    }

    fn state(&self) -> State {
        self.fsm.state()
    }

    /// Moves the clock forward and fires what is due.
    fn advance(&mut self, by: Duration) -> Vec<Output> {
        self.now += by;
        self.fsm.handle_timeout(self.now)
    }

    /// How long until the next deadline.
    fn next_in(&self) -> Option<Duration> {
        self.fsm.poll_timeout().map(|t| t.duration_since(self.now))
    }

    /// Jumps to the next deadline and fires it.
    fn fire_next(&mut self) -> Vec<Output> {
        let by = self.next_in().expect("a pending deadline");
        self.advance(by)
    }
}
