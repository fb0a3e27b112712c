//! announcer-bfd: single-hop Bidirectional Forwarding Detection (RFC 5880, RFC 5881) in
//! asynchronous mode, so that a router notices a dead or frozen server within a detection
//! time of a few hundred milliseconds instead of at BGP hold-time expiry.
//!
//! Layers, from the wire up:
//! - [`types`]: protocol values (`Discriminator`, `SessionState`, `Diagnostic`, `Interval`,
//!   `Multiplier`).
//! - [`packet`]: the sans-IO control-packet codec (RFC 5880 §4.1) and the reception checks
//!   of §6.8.6 that need no session.
//! - [`session`]: the pure session state machine (§6.8): packets and time in, state changes
//!   and packets to send out; timers are deadlines held as data.
//! - [`driver`]: the tokio shell: UDP port 3784 in, one source port per session out,
//!   TTL 255 both ways (RFC 5881 §5), demultiplexing, and the handle a daemon holds.
//!
//! Left out, as an announcer on a server needs neither: Demand mode (§6.6) and the Echo
//! function (§6.4; we advertise Required Min Echo RX Interval 0), and authentication (§6.7;
//! packets with the A bit are discarded).

pub mod driver;
pub mod error;
pub mod packet;
mod rng;
pub mod session;
mod socket;
pub mod types;

pub use driver::{Bfd, BfdPeer, Handoff, PeerBfdStatus};
pub use error::Error;
pub use packet::{ControlPacket, Discard};
pub use session::{Session, SessionConfig, SessionSnapshot, StateChange};
pub use types::{Diagnostic, Discriminator, Interval, Multiplier, SessionState};
