//! announcer-bgp: a small BGP-4 speaker for announcing and withdrawing service routes.
//!
//! Layers, from the wire up:
//! - [`types`]: protocol value newtypes (`Asn`, `RouterId`, `HoldTime`, `Prefix`, ...).
//! - [`wire`]: the sans-IO message codec (framing, decode, encode, error → NOTIFICATION).
//! - [`fsm`]: the pure session state machine (RFC 4271 §8): inputs and time in, actions out.
//! - [`rib_out`]: the per-peer Adj-RIB-Out and UPDATE packing.
//! - [`session`] / [`speaker`]: the tokio driver and the handle a daemon holds.
//! - [`timer`]: sleeping until a deadline that may not be set (the driver's and a daemon's
//!   loops).

pub mod config;
pub mod error;
pub mod fsm;
pub mod rib_out;
pub mod session;
mod sockopt;
pub mod speaker;
pub mod timer;
pub mod types;
pub mod wire;

pub use config::{GracefulRestartConfig, Password, PeerConfig, SpeakerConfig, TtlMode};
pub use error::Error;
pub use rib_out::RouteAttributes;
pub use session::{MessageCounts, PeerStatus, SessionEvent};
pub use speaker::{Speaker, Target};
pub use types::{Afi, Asn, Family, HoldTime, Prefix, RouterId, Safi};
