//! What runs on a node, decided by a substring of its image, and the
//! container paths of the configuration each role reads from its binds.

use serde::{Deserialize, Serialize};

/// The container path of FRR's integrated configuration.
pub const FRR_CONF: &str = "/etc/frr/frr.conf";
/// The container path of FRR's daemons file (which daemons the image starts).
pub const FRR_DAEMONS_FILE: &str = "/etc/frr/daemons";
/// The container path of BIRD's configuration.
pub const BIRD_CONF: &str = "/etc/bird/bird.conf";
/// The container path of announcer's configuration.
pub const ANNOUNCER_CONF: &str = "/etc/announcer/announcer.toml";

/// The role of a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Image contains `frrouting/frr`: zebra, staticd and bgpd, plus bfdd
    /// when the bound daemons file enables it.
    Frr,
    /// Image contains `bird`: one `bird` process.
    Bird,
    /// Image contains `announcer`: `web-server` and `announcer run`.
    Announcer,
    /// Any other image (or none): the namespace only, plus `cmd` if given.
    Linux,
}

impl Role {
    /// The role for `image` (substring match, first match wins in the
    /// order FRR, BIRD, announcer).
    pub fn of(image: Option<&str>) -> Role {
        match image {
            Some(image) if image.contains("frrouting/frr") => Role::Frr,
            Some(image) if image.contains("bird") => Role::Bird,
            Some(image) if image.contains("announcer") => Role::Announcer,
            _ => Role::Linux,
        }
    }

    /// Whether the runner starts this role's processes itself.
    pub fn is_known(self) -> bool {
        self != Role::Linux
    }

    /// The bind target this role needs, if any.
    pub fn config_target(self) -> Option<&'static str> {
        match self {
            Role::Frr => Some(FRR_CONF),
            Role::Bird => Some(BIRD_CONF),
            Role::Announcer => Some(ANNOUNCER_CONF),
            Role::Linux => None,
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Role::Frr => "FRR",
            Role::Bird => "BIRD",
            Role::Announcer => "announcer",
            Role::Linux => "linux",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_map_to_roles_by_substring() {
        assert_eq!(Role::of(Some("quay.io/frrouting/frr:8.4.1")), Role::Frr);
        assert_eq!(Role::of(Some("frrouting/frr")), Role::Frr);
        assert_eq!(Role::of(Some("ghcr.io/x/bird:2.0")), Role::Bird);
        assert_eq!(Role::of(Some("pierky/bird")), Role::Bird);
        assert_eq!(Role::of(Some("announcer:latest")), Role::Announcer);
        assert_eq!(
            Role::of(Some("ghcr.io/acme/announcer:0.1")),
            Role::Announcer
        );
        assert_eq!(Role::of(Some("alpine:3")), Role::Linux);
        assert_eq!(Role::of(Some("frr")), Role::Linux);
        assert_eq!(Role::of(None), Role::Linux);
        assert!(!Role::Linux.is_known());
        assert_eq!(Role::Bird.config_target(), Some(BIRD_CONF));
    }
}
