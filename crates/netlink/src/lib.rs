//! announcer-netlink: binds VIPs to an interface as host addresses (/32,
//! /128) or as `local` host routes through rtnetlink, and reports when they
//! come and go.
//!
//! The daemon holds one [`Vips`] per network namespace: [`Vips::bind`] and
//! [`Vips::unbind`] are idempotent, a VIP already held by another interface
//! is reported and never duplicated, and [`Vips::watch`] streams
//! [`AddressEvent`]s so that a VIP removed behind the daemon's back is
//! noticed. A netlink socket belongs to the network namespace of the thread
//! that opens it: [`Vips::new`] and [`Vips::watch`] must run in the
//! namespace whose addresses they are meant to manage.

mod addr;
mod batch;
mod binding;
mod error;
mod link;
mod route;
mod vips;
mod watch;

pub use binding::Binding;
pub use error::{Error, Operation};
pub use vips::{Bound, Vips};
pub use watch::{AddressEvent, AddressEventKind};
