//! The subset of a containerlab topology the runner supports, after
//! containerlab's merge of `defaults`, `kinds` and the node itself: plain
//! data, with paths already resolved against the topology file's directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::role::Role;

/// A parsed topology.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topology {
    /// The lab's `name`.
    pub name: String,
    /// The topology file (absolute).
    pub file: PathBuf,
    /// Its nodes, in file order.
    pub nodes: Vec<Node>,
    /// Its links, in file order.
    pub links: Vec<Link>,
    /// What the runner ignores, one line each (printed by `up` and `validate`).
    pub warnings: Vec<String>,
}

impl Topology {
    /// The node called `name`.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|node| node.name == name)
    }

    /// The network namespace of node `node`: containerlab's container name.
    pub fn netns(&self, node: &str) -> String {
        format!("clab-{}-{node}", self.name)
    }
}

/// One node after the merge (node > kind > defaults).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Its name under `topology.nodes`.
    pub name: String,
    /// Its kind (`linux` when neither the node nor the defaults set one).
    pub kind: String,
    /// Its container image, if any.
    pub image: Option<String>,
    /// Its bind mounts: the node's, then its kind's, then the defaults'
    /// (a less specific bind to the same container path is dropped).
    pub binds: Vec<Bind>,
    /// Its exec lines: the defaults', then its kind's, then its own.
    pub exec: Vec<String>,
    /// Its environment: defaults, overridden by kind, overridden by node.
    pub env: BTreeMap<String, String>,
    /// Its `cmd`, if any.
    pub cmd: Option<String>,
}

impl Node {
    /// What runs on this node, from its image.
    pub fn role(&self) -> Role {
        Role::of(self.image.as_deref())
    }

    /// The host path of the bind whose container path is `target`.
    pub fn bind_source(&self, target: &str) -> Option<&Path> {
        self.binds
            .iter()
            .find(|bind| bind.container == target)
            .map(|bind| bind.host.as_path())
    }
}

/// A bind mount `host:container[:options]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bind {
    /// The host path (absolute: relative ones are resolved against the
    /// topology file's directory).
    pub host: PathBuf,
    /// The path inside the container.
    pub container: String,
    /// Whether the bind is read-only (`:ro`).
    pub read_only: bool,
}

/// One end of a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The node.
    pub node: String,
    /// The interface name inside the node.
    pub interface: String,
}

/// A point-to-point link (a veth pair).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The first endpoint.
    pub a: Endpoint,
    /// The second endpoint.
    pub b: Endpoint,
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.node, self.interface)
    }
}

impl std::fmt::Display for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} <-> {}", self.a, self.b)
    }
}
