//! What a session hands to the next process across a planned restart (RFC 5882 §4.3.2): its
//! discriminators, state and the remote's parameters, so that the new process carries on the
//! same session instead of starting one in Down, which the remote would take for a failure.

use std::time::Instant;

use serde::{Deserialize, Serialize};

use super::{Poll, Session, SessionConfig};
use crate::types::{Diagnostic, Discriminator, Interval, Multiplier, SessionState};

/// The session state that survives a planned restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSnapshot {
    /// bfd.LocalDiscr.
    pub local_discriminator: Discriminator,
    /// bfd.RemoteDiscr.
    pub remote_discriminator: Option<Discriminator>,
    /// bfd.SessionState.
    pub state: SessionState,
    /// bfd.LocalDiag.
    pub diagnostic: Diagnostic,
    /// The remote's Required Min RX, Desired Min TX and multiplier.
    pub remote_min_rx: Interval,
    /// See `remote_min_rx`.
    pub remote_desired_tx: Interval,
    /// See `remote_min_rx`.
    pub remote_multiplier: Option<Multiplier>,
    /// What our packets said last (Desired Min TX, Required Min RX, multiplier): the
    /// remote's detection time for us rests on them until the next Poll Sequence.
    pub advertised_tx: Interval,
    /// See `advertised_tx`.
    pub advertised_rx: Interval,
    /// See `advertised_tx`.
    pub multiplier: Multiplier,
}

impl Session {
    /// The state to hand to the next process.
    pub fn snapshot(&self) -> SessionSnapshot {
        SessionSnapshot {
            local_discriminator: self.local_discriminator,
            remote_discriminator: self.remote_discriminator,
            state: self.state,
            diagnostic: self.diagnostic,
            remote_min_rx: self.remote_min_rx,
            remote_desired_tx: self.remote_desired_tx,
            remote_multiplier: self.remote_multiplier,
            advertised_tx: self.advertised_tx,
            advertised_rx: self.advertised_rx,
            multiplier: self.config.multiplier,
        }
    }

    /// Carries on a session from a snapshot: same discriminators and state, the remote's
    /// parameters as last heard, the detection timer started now. A packet goes out at once,
    /// and a Poll Sequence brings the intervals back from the stretched ones to `config`.
    pub fn resume(
        snapshot: &SessionSnapshot,
        config: SessionConfig,
        seed: u64,
        now: Instant,
    ) -> Session {
        let mut session = Session::new(
            SessionConfig {
                multiplier: snapshot.multiplier,
                ..config
            },
            snapshot.local_discriminator,
            seed,
            now,
        );
        session.state = snapshot.state;
        session.diagnostic = snapshot.diagnostic;
        session.remote_state = snapshot.state;
        session.remote_discriminator = snapshot.remote_discriminator;
        session.remote_min_rx = snapshot.remote_min_rx;
        session.remote_desired_tx = snapshot.remote_desired_tx;
        session.remote_multiplier = snapshot.remote_multiplier;
        session.advertised_tx = snapshot.advertised_tx;
        session.advertised_rx = snapshot.advertised_rx;
        session.tx_in_use = snapshot.advertised_tx;
        session.rx_in_use = snapshot.advertised_rx;
        session.poll = Poll::Idle;
        session.detect_at = session.detection_time().and_then(|d| now.checked_add(d));
        session.set_config(config, now);
        session.next_tx = Some(now);
        session
    }
}
