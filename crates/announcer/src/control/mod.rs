//! The control socket: a Unix socket speaking line-delimited JSON, one request and one reply
//! per line. [`protocol`] is the message format, [`server`] the daemon's side within the
//! bounds of [`limits`], [`client`] the CLI's; [`requester`] names who sent a request.

pub mod client;
pub mod limits;
pub mod protocol;
pub mod requester;
pub mod server;
