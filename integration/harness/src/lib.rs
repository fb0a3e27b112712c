//! The lab harness of announcer, shared by the interop tests
//! (`announcer-integration`), the lab runner (`announcer-lab`) and the
//! benchmark (`announcer-bench`): real BGP routers (BIRD 2, FRR, GoBGP) and
//! the processes around them, in network namespaces.
//!
//! Everything happens inside namespaces the caller creates (unique names per
//! process); every process and namespace is owned by a guard that cleans up
//! on drop, also when a test fails. Layers, bottom up: [`error`],
//! [`preflight`] (can a lab run here?), [`netns`], [`process`], [`wait`] →
//! [`routers`], [`kernel`], [`http`], [`config_toml`] → [`topology`] (a
//! router and speakers joined by veth pairs) and [`web_server`] (the
//! `web-server` fixture started in a namespace).

pub mod config_toml;
pub mod error;
pub mod expect;
pub mod http;
pub mod kernel;
pub mod netns;
pub mod preflight;
pub mod process;
pub mod routers;
pub mod topology;
pub mod wait;
pub mod web_server;

pub use error::{Error, Result};
