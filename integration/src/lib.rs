//! The interop test lab of announcer: real BGP routers (BIRD 2, FRR, GoBGP)
//! as the edge router in network namespaces, our `bgp-speaker` (or a BIRD
//! stand-in) in speaker namespaces, and scenarios asserting on what the
//! router shows.
//!
//! Everything happens inside namespaces the tests create (unique names per
//! process and test); every process and namespace is owned by a guard that
//! cleans up on drop, also when a test fails. Layers, bottom up:
//! [`netns`], [`process`], [`wait`] → [`routers`], [`kernel`], [`speaker`],
//! [`reference`](mod@reference) → [`topology`] → [`scenarios`].
//!
//! The daemon lab runs the real `announcer` binary instead: [`http`] (the
//! client side of the lab's `web-server`), [`config_toml`] (the tables of
//! its config file), [`daemon`] and [`status`] (the daemon, its config and
//! its control client) → [`daemon_lab`] (router, two web servers, a client)
//! → [`daemon_scenarios`]. The benchmark ([`bench`], `scripts/bench`) runs
//! it against ExaBGP and GoBGP on the same foundations.

pub mod bench;
pub mod bfd_hostile;
pub mod clab;
pub mod config_toml;
pub mod control_flood;
pub mod daemon;
pub mod daemon_lab;
pub mod daemon_scenarios;
pub mod error;
pub mod hostile;
pub mod http;
pub mod kernel;
pub mod lab;
pub mod netns;
pub mod package;
pub mod process;
pub mod reference;
pub mod routers;
pub mod scenarios;
pub mod sender;
pub mod speaker;
pub mod status;
pub mod topology;
pub mod topology_tests;
pub mod wait;

pub use error::{Error, Result};
pub use lab::require_lab;
