//! The pure BFD session state machine (RFC 5880 §6.8) in asynchronous mode, Active role.
//!
//! No sockets and no clock: the driver feeds received packets ([`Session::receive`]) and the
//! current time, sends what [`Session::poll_transmit`] returns, and calls
//! [`Session::handle_timeout`] when [`Session::next_deadline`] is reached. Timers are plain
//! deadlines held here.
//!
//! Timer rules, each with its section:
//! - While not Up, Desired Min TX is advertised as at least one second (§6.8.3, slow start).
//! - Every change of the advertised intervals while Up starts a Poll Sequence (§6.5); an
//!   increase of Desired Min TX (our sending) and a decrease of Required Min RX (our
//!   detection) take effect only once the Final arrives (§6.8.3). A change asked for during a
//!   Poll Sequence starts another one after it.
//! - Packets go out every max(Desired Min TX in use, remote Required Min RX), less a random
//!   0–25 % (0–10 % more with a multiplier of 1), and not at all while the remote's Required
//!   Min RX is zero (§6.8.7). A Final answers a Poll at once. A state change is sent at once.
//! - Detection time: the remote's multiplier × max(our Required Min RX in use, the remote's
//!   Desired Min TX) (§6.8.4), restarted by every packet received.

mod snapshot;
#[cfg(test)]
mod tests;

use std::time::{Duration, Instant};

pub use snapshot::SessionSnapshot;

use crate::packet::ControlPacket;
use crate::rng::Rng;
use crate::types::{Diagnostic, Discriminator, Interval, Multiplier, SessionState};

/// What the operator configured for one session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionConfig {
    /// How often we would like to send once Up (bfd.DesiredMinTxInterval).
    pub desired_min_tx: Interval,
    /// How often we can take packets (bfd.RequiredMinRxInterval).
    pub required_min_rx: Interval,
    /// Our detection multiplier (bfd.DetectMult), which the remote applies to detect us.
    pub multiplier: Multiplier,
}

/// A change of the session state, to act on (a BFD client such as BGP) and to log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StateChange {
    /// The state left.
    pub from: SessionState,
    /// The state entered.
    pub to: SessionState,
    /// Why (bfd.LocalDiag after the change).
    pub diagnostic: Diagnostic,
    /// The diagnostic of the remote's last packet: why the remote went down, when it did.
    pub remote_diagnostic: Diagnostic,
}

impl StateChange {
    /// Whether this change is a failure of the forwarding path that a client (BGP) must act
    /// on: Up to Down because our detection time expired, or because the remote said Down
    /// with a path failure diagnostic (its own detection time expired: our packets no longer
    /// reach it). A remote that takes the session administratively down, or restarts or
    /// replaces its session (Down with no path failure, as FRR 8 does when its BGP session
    /// comes up), is talking to us over a working path: no failure (RFC 5882 §3.2).
    pub fn is_failure(&self) -> bool {
        self.from == SessionState::Up
            && self.to == SessionState::Down
            && (self.diagnostic == Diagnostic::ControlDetectionTimeExpired
                || self.remote_diagnostic.is_path_failure())
    }
}

/// A Poll Sequence (§6.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Poll {
    /// None under way.
    Idle,
    /// Sending P until a Final arrives; `again`: the parameters changed meanwhile, so
    /// another sequence follows this one.
    Pending { again: bool },
}

/// One BFD session. See the [module docs](self).
#[derive(Clone, Debug)]
pub struct Session {
    config: SessionConfig,
    state: SessionState,
    remote_state: SessionState,
    /// The diagnostic of the remote's last packet.
    remote_diagnostic: Diagnostic,
    local_discriminator: Discriminator,
    remote_discriminator: Option<Discriminator>,
    diagnostic: Diagnostic,
    /// The remote's last Required Min RX (bfd.RemoteMinRxInterval; 1 µs until heard).
    remote_min_rx: Interval,
    /// The remote's last Desired Min TX and multiplier, for our detection time.
    remote_desired_tx: Interval,
    remote_multiplier: Option<Multiplier>,
    /// What our packets say (Desired Min TX, Required Min RX).
    advertised_tx: Interval,
    advertised_rx: Interval,
    /// What is in force: our sending interval, and our Required Min RX for detection. Each
    /// lags the advertised value during a Poll Sequence where §6.8.3 says it must.
    tx_in_use: Interval,
    rx_in_use: Interval,
    /// Desired Min TX that overrides the configured one (a planned restart stretches it).
    stretched_tx: Option<Interval>,
    poll: Poll,
    /// A Poll was received at this time: a Final goes out with the next packet, at once.
    final_owed: Option<Instant>,
    /// When the next periodic packet is due; `None` while the remote wants none.
    next_tx: Option<Instant>,
    /// When the detection time runs out without a packet.
    detect_at: Option<Instant>,
    /// Jitter.
    rng: Rng,
}

impl Session {
    /// A new session in state Down with our discriminator; it starts sending at once, slowly.
    pub fn new(
        config: SessionConfig,
        local_discriminator: Discriminator,
        seed: u64,
        now: Instant,
    ) -> Session {
        let mut session = Session {
            config,
            state: SessionState::Down,
            remote_state: SessionState::Down,
            remote_diagnostic: Diagnostic::None,
            local_discriminator,
            remote_discriminator: None,
            diagnostic: Diagnostic::None,
            remote_min_rx: Interval::from_micros(1),
            remote_desired_tx: Interval::ZERO,
            remote_multiplier: None,
            advertised_tx: Interval::ZERO,
            advertised_rx: Interval::ZERO,
            tx_in_use: Interval::ZERO,
            rx_in_use: Interval::ZERO,
            stretched_tx: None,
            poll: Poll::Idle,
            final_owed: None,
            next_tx: Some(now),
            detect_at: None,
            rng: Rng::new(seed),
        };
        session.update_parameters();
        session
    }

    /// bfd.SessionState.
    pub fn state(&self) -> SessionState {
        self.state
    }

    /// bfd.RemoteSessionState: the state in the remote's last packet.
    pub fn remote_state(&self) -> SessionState {
        self.remote_state
    }

    /// bfd.LocalDiag: why the session last left Up, or why it is not Up.
    pub fn diagnostic(&self) -> Diagnostic {
        self.diagnostic
    }

    /// bfd.LocalDiscr.
    pub fn local_discriminator(&self) -> Discriminator {
        self.local_discriminator
    }

    /// bfd.RemoteDiscr, once heard (and until a detection time passes in silence).
    pub fn remote_discriminator(&self) -> Option<Discriminator> {
        self.remote_discriminator
    }

    /// The configuration in force.
    pub fn config(&self) -> SessionConfig {
        self.config
    }

    /// The interval between our periodic packets, before jitter; `None` while the remote
    /// asks for none.
    pub fn transmit_interval(&self) -> Option<Interval> {
        (self.remote_min_rx != Interval::ZERO).then(|| self.tx_in_use.max(self.remote_min_rx))
    }

    /// The detection time: how long a silent remote takes to be declared Down; `None` until
    /// it has been heard.
    pub fn detection_time(&self) -> Option<Duration> {
        self.remote_multiplier
            .map(|m| m.times(self.rx_in_use.max(self.remote_desired_tx)))
    }

    /// True while a Poll Sequence waits for its Final.
    pub fn polling(&self) -> bool {
        self.poll != Poll::Idle
    }

    /// The earliest deadline: the next packet to send or the detection time running out.
    pub fn next_deadline(&self) -> Option<Instant> {
        [self.final_owed, self.next_tx, self.detect_at]
            .into_iter()
            .flatten()
            .min()
    }

    /// The detection time ran out (if `now` is past it): a session in Init or Up goes Down
    /// with diagnostic Control Detection Time Expired, and the remote's discriminator is
    /// forgotten (§6.8.1, §6.8.4).
    pub fn handle_timeout(&mut self, now: Instant) -> Option<StateChange> {
        if self.detect_at.is_none_or(|at| at > now) {
            return None;
        }
        self.detect_at = None;
        self.remote_discriminator = None;
        match self.state {
            SessionState::Init | SessionState::Up => self.change(
                SessionState::Down,
                Diagnostic::ControlDetectionTimeExpired,
                now,
            ),
            SessionState::Down | SessionState::AdminDown => None,
        }
    }

    /// A packet for this session arrived (RFC 5880 §6.8.6, from the step "Set
    /// bfd.RemoteDiscr"; the driver has matched it to this session and the codec has done
    /// the checks before).
    pub fn receive(&mut self, packet: &ControlPacket, now: Instant) -> Option<StateChange> {
        self.remote_discriminator = Some(packet.my_discriminator);
        self.remote_state = packet.state;
        self.remote_diagnostic = packet.diagnostic;
        self.remote_desired_tx = packet.desired_min_tx;
        self.remote_multiplier = Some(packet.multiplier);
        self.set_remote_min_rx(packet.required_min_rx, now);
        if packet.final_ {
            self.poll_answered();
        }
        self.detect_at = self.detection_time().and_then(|d| now.checked_add(d));
        if self.state == SessionState::AdminDown {
            return None;
        }
        if packet.poll {
            self.final_owed = Some(now);
        }
        use SessionState::{AdminDown, Down, Init, Up};
        match (self.state, packet.state) {
            (Down | Init | Up, AdminDown) if self.state != Down => {
                self.change(Down, Diagnostic::NeighborSignaledSessionDown, now)
            }
            (Down, Down) => self.change(Init, Diagnostic::None, now),
            (Down, Init) | (Init, Init | Up) => self.change(Up, Diagnostic::None, now),
            (Up, Down) => self.change(Down, Diagnostic::NeighborSignaledSessionDown, now),
            _ => None,
        }
    }

    /// The packet to send now, if one is due: a Final owed, or the periodic packet. Call
    /// again after the returned deadline; each call sends at most one packet.
    pub fn poll_transmit(&mut self, now: Instant) -> Option<ControlPacket> {
        let periodic = self.next_tx.is_some_and(|at| at <= now);
        if self.final_owed.is_none() && !periodic {
            return None;
        }
        let final_ = self.final_owed.take().is_some();
        let packet = ControlPacket {
            diagnostic: self.diagnostic,
            poll: !final_ && self.polling(),
            final_,
            multiplier: self.config.multiplier,
            required_min_rx: self.advertised_rx,
            ..ControlPacket::new(
                self.state,
                self.local_discriminator,
                self.remote_discriminator,
                self.advertised_tx,
            )
        };
        if periodic {
            self.schedule_tx(now);
        }
        Some(packet)
    }

    /// Applies new intervals and multiplier to the running session: a Poll Sequence while
    /// Up, never a reset (§6.8.3).
    pub fn set_config(&mut self, config: SessionConfig, now: Instant) {
        self.config = config;
        self.update_parameters();
        self.reschedule_if_sooner(now);
    }

    /// Advertises a Desired Min TX long enough that the remote's detection time becomes at
    /// least `detection` (a Poll Sequence): for a planned restart, during which no packet
    /// is sent. Done once [`Session::polling`] turns false.
    pub fn stretch_for_restart(&mut self, detection: Duration, now: Instant) {
        let per_packet = detection / u32::from(self.config.multiplier.get());
        self.stretched_tx = Some(Interval::from_duration(per_packet).max(self.advertised_tx));
        self.update_parameters();
        self.reschedule_if_sooner(now);
    }

    /// Takes the session administratively down (RFC 5880 §6.8.16, RFC 5882 §3.2): the remote
    /// learns that this is no failure. The next packet says so, at once.
    pub fn admin_down(&mut self, now: Instant) -> Option<StateChange> {
        if self.state == SessionState::AdminDown {
            return None;
        }
        self.change(
            SessionState::AdminDown,
            Diagnostic::AdministrativelyDown,
            now,
        )
    }

    fn change(
        &mut self,
        to: SessionState,
        diagnostic: Diagnostic,
        now: Instant,
    ) -> Option<StateChange> {
        let from = self.state;
        self.state = to;
        self.diagnostic = diagnostic;
        if to != SessionState::Up {
            self.poll = Poll::Idle;
        }
        self.update_parameters();
        self.next_tx = Some(now);
        Some(StateChange {
            from,
            to,
            diagnostic,
            remote_diagnostic: self.remote_diagnostic,
        })
    }

    /// The Desired Min TX and Required Min RX the session should advertise now.
    fn wanted(&self) -> (Interval, Interval) {
        let mut tx = self.stretched_tx.unwrap_or(self.config.desired_min_tx);
        if self.state != SessionState::Up {
            tx = tx.max(Interval::SLOW);
        }
        (tx, self.config.required_min_rx)
    }

    /// Brings the advertised intervals to what is wanted: at once while not Up, through a
    /// Poll Sequence while Up.
    fn update_parameters(&mut self) {
        let (tx, rx) = self.wanted();
        if (tx, rx) == (self.advertised_tx, self.advertised_rx) {
            return;
        }
        self.advertised_tx = tx;
        self.advertised_rx = rx;
        if self.state != SessionState::Up {
            self.tx_in_use = tx;
            self.rx_in_use = rx;
            return;
        }
        if tx < self.tx_in_use {
            self.tx_in_use = tx;
        }
        if rx > self.rx_in_use {
            self.rx_in_use = rx;
        }
        self.poll = match self.poll {
            Poll::Idle => Poll::Pending { again: false },
            Poll::Pending { .. } => Poll::Pending { again: true },
        };
    }

    /// A Final arrived: what the sequence announced is now in force everywhere.
    fn poll_answered(&mut self) {
        let Poll::Pending { again } = self.poll else {
            return;
        };
        self.tx_in_use = self.advertised_tx;
        self.rx_in_use = self.advertised_rx;
        self.poll = if again {
            Poll::Pending { again: false }
        } else {
            Poll::Idle
        };
    }

    fn set_remote_min_rx(&mut self, interval: Interval, now: Instant) {
        self.remote_min_rx = interval;
        if interval == Interval::ZERO {
            self.next_tx = None;
        } else {
            self.reschedule_if_sooner(now);
        }
    }

    /// Moves the next periodic packet earlier when the interval in force got shorter (or
    /// sending resumes).
    fn reschedule_if_sooner(&mut self, now: Instant) {
        let Some(interval) = self.transmit_interval() else {
            return;
        };
        let bound = now.checked_add(interval.as_duration());
        if self.next_tx.is_none() || self.next_tx > bound {
            self.schedule_tx(now);
        }
    }

    /// The next periodic packet: the interval in force less the jitter of §6.8.7.
    fn schedule_tx(&mut self, now: Instant) {
        self.next_tx = self.transmit_interval().and_then(|interval| {
            let most = if self.config.multiplier.get() == 1 {
                90
            } else {
                100
            };
            let percent = 75 + u64::from(self.rng.below(most - 75 + 1));
            let micros = u64::from(interval.micros()) * percent / 100;
            now.checked_add(Duration::from_micros(micros))
        });
    }
}
