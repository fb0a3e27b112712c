//! Properties over arbitrary input sequences: whatever the peer and the network do, the
//! machine never panics, never talks on a connection the driver does not hold, keeps at most
//! two connections and one outbound attempt, and fires every due deadline.

use std::collections::BTreeSet;
use std::time::Duration;

use proptest::prelude::*;

use super::{config, peer_open, Harness};
use crate::fsm::{ConnId, FsmConfig, Input, Output, State};
use crate::types::Family;
use crate::wire::{
    CeaseSubcode, DecodeError, ErrorCode, Message, Notification, Open, RouteRefresh, Update,
};

#[derive(Clone, Debug)]
enum Step {
    Input(Box<Input>),
    Advance(Duration),
}

fn conn_id() -> impl Strategy<Value = ConnId> {
    (1u64..=4).prop_map(ConnId)
}

fn message() -> impl Strategy<Value = Message> {
    prop_oneof![
        Just(Message::Open(peer_open())),
        Just(Message::Open(Open {
            my_as: 65009,
            ..peer_open()
        })),
        Just(Message::Open(Open {
            hold_time: crate::types::HoldTime::NONE,
            ..peer_open()
        })),
        Just(Message::Keepalive),
        Just(Message::Update(Update::default())),
        Just(Message::RouteRefresh(RouteRefresh {
            family: Family::IPV6_UNICAST,
            subtype: 0
        })),
        Just(Message::Notification(Notification::new(
            ErrorCode::Cease(CeaseSubcode::AdministrativeReset),
            Vec::new(),
        ))),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => Just(Step::Input(Box::new(Input::Start))),
        1 => Just(Step::Input(Box::new(Input::Stop(Some(Notification::new(
            ErrorCode::Cease(CeaseSubcode::AdministrativeShutdown),
            Vec::new(),
        )))))),
        1 => Just(Step::Input(Box::new(Input::Stop(None)))),
        3 => conn_id().prop_map(|id| Step::Input(Box::new(Input::Connected(id)))),
        2 => Just(Step::Input(Box::new(Input::ConnectFailed))),
        3 => conn_id().prop_map(|id| Step::Input(Box::new(Input::Accepted(id)))),
        2 => conn_id().prop_map(|id| Step::Input(Box::new(Input::Closed(id)))),
        8 => (conn_id(), message()).prop_map(|(id, m)| Step::Input(Box::new(Input::Received(id, m)))),
        1 => conn_id().prop_map(|id| Step::Input(Box::new(Input::Malformed(id, DecodeError::BadMarker)))),
        2 => conn_id().prop_map(|id| Step::Input(Box::new(Input::Written(id)))),
        1 => Just(Step::Input(Box::new(Input::Reset(Notification::new(ErrorCode::Cease(CeaseSubcode::BfdDown), Vec::new()))))),
        4 => (0u64..300).prop_map(|s| Step::Advance(Duration::from_secs(s))),
    ]
}

/// What a driver would hold: the connections it was told about and not told to close.
#[derive(Default)]
struct Driver {
    live: BTreeSet<ConnId>,
    closed: BTreeSet<ConnId>,
    connecting: bool,
}

impl Driver {
    /// Applies the input's effect on the driver's side before the machine sees it, and says
    /// whether the input is one a real driver could produce.
    fn feed(&mut self, input: &Input) -> bool {
        match input {
            Input::Connected(id) | Input::Accepted(id) => {
                let fresh = !self.live.contains(id) && !self.closed.contains(id);
                if fresh {
                    self.live.insert(*id);
                    if matches!(input, Input::Connected(_)) {
                        self.connecting = false;
                    }
                }
                fresh
            }
            Input::ConnectFailed => {
                self.connecting = false;
                true
            }
            Input::Closed(id)
            | Input::Received(id, _)
            | Input::Malformed(id, _)
            | Input::Written(id) => {
                let live = self.live.contains(id);
                if live && matches!(input, Input::Closed(_)) {
                    self.live.remove(id);
                    self.closed.insert(*id);
                }
                live
            }
            Input::Start | Input::Stop(_) | Input::Reset(_) => true,
        }
    }

    fn perform(&mut self, outputs: &[Output]) {
        for output in outputs {
            match output {
                Output::Connect => {
                    assert!(!self.connecting, "a second attempt while one is under way");
                    self.connecting = true;
                }
                Output::CancelConnect => self.connecting = false,
                Output::Send(id, _) => assert!(self.live.contains(id), "send on {id:?}"),
                Output::Close(id) => {
                    self.live.remove(id);
                    self.closed.insert(*id);
                }
                Output::Established { .. }
                | Output::Down(_)
                | Output::Update(_)
                | Output::RouteRefresh(_) => {}
            }
        }
    }
}

fn run(config: FsmConfig, steps: Vec<Step>) {
    let mut h = Harness::new(config);
    let mut driver = Driver::default();
    for step in steps {
        let outputs = match step {
            Step::Input(input) => {
                let input = *input;
                if !driver.feed(&input) {
                    continue;
                }
                let stop = matches!(input, Input::Stop(_));
                let outputs = h.input(input);
                if stop {
                    assert_eq!(h.state(), State::Idle);
                    assert_eq!(h.fsm.poll_timeout(), None);
                }
                outputs
            }
            Step::Advance(by) => {
                let outputs = h.advance(by);
                assert!(
                    !matches!(h.fsm.poll_timeout(), Some(t) if t <= h.now),
                    "a due deadline left"
                );
                outputs
            }
        };
        driver.perform(&outputs);
        if let Some(Output::Established { conn, .. }) = outputs
            .iter()
            .find(|o| matches!(o, Output::Established { .. }))
        {
            assert_eq!(driver.live.iter().collect::<Vec<_>>(), vec![conn]);
        }
        assert_eq!(
            h.state() == State::Established,
            h.fsm.negotiated().is_some()
        );
        assert!(driver.live.len() <= 2, "{:?}", driver.live);
    }
}

proptest! {
    #[test]
    fn any_input_sequence_keeps_the_machine_consistent(
        steps in proptest::collection::vec(step(), 0..60),
        passive in any::<bool>(),
    ) {
        run(FsmConfig { passive, ..config() }, steps);
    }
}
