//! The control socket: a Unix socket speaking line-delimited JSON, one request and one reply
//! per line. [`protocol`] is the message format, [`server`] the daemon's side, [`client`] the
//! CLI's.

pub mod client;
pub mod protocol;
pub mod server;
