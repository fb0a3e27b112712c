//! The namespace runner behind the `lab` binary: brings a containerlab
//! topology (`.clab.yml`) up as network namespaces and veth pairs on one
//! host, without Docker.
//!
//! Layers, bottom up: [`model`] (the supported subset of a topology) ←
//! [`parse`] (YAML, containerlab's defaults/kinds/nodes merge) and
//! [`schema`] (the official JSON schema); [`role`] (what runs on a node, by
//! image) and [`announcer_conf`]; [`state`] (what a lab has made, on disk)
//! and [`procs`] (detached processes identified by PID and start time) →
//! [`up`], [`down`], [`exec`], [`status`].
//!
//! Invariant: everything the runner creates lives in namespaces it creates
//! (`clab-<lab>-<node>`) or under [`state::ROOT`]; the root namespace is
//! never changed, and every step is recorded in `state.json` before or as it
//! happens so `lab down` can undo a half-finished `lab up`.

pub mod announcer_conf;
pub mod down;
pub mod error;
pub mod exec;
pub mod launch;
pub mod model;
pub mod parse;
pub mod procs;
pub mod role;
pub mod schema;
pub mod state;
pub mod status;
pub mod up;

pub use error::{Error, Result};
