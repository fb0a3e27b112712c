//! Requests and replies on the control socket.
//!
//! ```text
//! → {"command":"status"}
//! ← {"ok":true,"status":{...}}
//! → {"command":"withdraw","prefixes":["203.0.113.10/32"],"reason":"kernel upgrade"}
//! ← {"ok":true,"draining_ms":500,"message":"draining 203.0.113.10/32 for 500 ms ..."}
//! ← {"ok":true,"message":"withdrawn: 203.0.113.10/32"}
//! → {"command":"reload"}
//! ← {"ok":true,"message":"reloaded: add: 203.0.113.11/32"}
//! → {"command":"preview","config":"/etc/announcer/announcer.toml.new"}
//! ← {"ok":true,"message":"bind 203.0.113.11/32 on lo\nannounce 203.0.113.11/32"}
//! → {"command":"nonsense"}
//! ← {"ok":false,"error":"unknown variant `nonsense`, ..."}
//! ```
//!
//! A connection that comes when every slot is taken, or that waited longest for its request
//! when a new one needs room, gets `{"ok":false,"error":"busy: too many control connections"}`
//! and is closed; one that sends no whole request within 5 s, or a line over
//! [`MAX_REQUEST_LEN`], gets an error reply and is closed (see [`super::limits`]).

use serde::{Deserialize, Serialize};

use crate::status::StatusReport;

/// The longest request line the daemon reads, without its newline; a connection buffers no
/// more than this (and its read buffer) of one request.
pub const MAX_REQUEST_LEN: usize = 64 * 1024;

/// A request from the CLI.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "lowercase", deny_unknown_fields)]
pub enum Request {
    /// Report peers, VIPs and checks.
    Status {},
    /// Put VIPs in maintenance (all when `prefixes` is empty).
    Withdraw {
        /// The VIPs; empty means all.
        #[serde(default)]
        prefixes: Vec<String>,
        /// Why, shown in status and kept with the state.
        #[serde(default)]
        reason: Option<String>,
        /// Withdraw at once, without the drain.
        #[serde(default)]
        now: bool,
        /// End the maintenance by itself after this many milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        for_ms: Option<u64>,
    },
    /// Take VIPs out of maintenance (all when `prefixes` is empty).
    Announce {
        /// The VIPs; empty means all.
        #[serde(default)]
        prefixes: Vec<String>,
    },
    /// Read the configuration file again and apply it (as SIGHUP does); the reply says what
    /// changed, or why nothing did.
    Reload {},
    /// What reloading the file at `config` would do now; nothing changes.
    Preview {
        /// The file, as an absolute path the daemon can read.
        config: std::path::PathBuf,
    },
}

/// The daemon's reply.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Reply {
    /// The status report.
    Status {
        /// Always true.
        ok: bool,
        /// The report.
        status: StatusReport,
    },
    /// A withdrawal is draining; the final reply follows within `draining_ms`.
    Draining {
        /// Always true.
        ok: bool,
        /// How long the drain lasts, in milliseconds.
        draining_ms: u64,
        /// What is draining.
        message: String,
    },
    /// A command was carried out.
    Done {
        /// Always true.
        ok: bool,
        /// What was done.
        message: String,
    },
    /// The request was refused; nothing changed.
    Failed {
        /// Always false.
        ok: bool,
        /// Why.
        error: String,
    },
}

impl Reply {
    /// A success with a message.
    pub fn done(message: impl Into<String>) -> Reply {
        Reply::Done {
            ok: true,
            message: message.into(),
        }
    }

    /// A refusal with the reason.
    pub fn failed(error: impl Into<String>) -> Reply {
        Reply::Failed {
            ok: false,
            error: error.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_read_as_documented() {
        let r: Request = serde_json::from_str(
            r#"{"command":"withdraw","prefixes":["203.0.113.10/32"],"reason":"maint"}"#,
        )
        .unwrap();
        assert_eq!(
            r,
            Request::Withdraw {
                prefixes: vec!["203.0.113.10/32".into()],
                reason: Some("maint".into()),
                now: false,
                for_ms: None,
            }
        );
        let r: Request = serde_json::from_str(
            r#"{"command":"withdraw","prefixes":[],"now":true,"for_ms":60000}"#,
        )
        .unwrap();
        assert!(
            matches!(
                r,
                Request::Withdraw {
                    for_ms: Some(60_000),
                    ..
                }
            ),
            "{r:?}"
        );
        let r: Request = serde_json::from_str(r#"{"command":"announce"}"#).unwrap();
        assert_eq!(r, Request::Announce { prefixes: vec![] });
    }

    #[test]
    fn unknown_commands_and_fields_are_refused() {
        assert!(serde_json::from_str::<Request>(r#"{"command":"reboot"}"#).is_err());
        assert!(serde_json::from_str::<Request>(r#"{"command":"status","force":true}"#).is_err());
        assert!(serde_json::from_str::<Request>("not json").is_err());
    }

    #[test]
    fn replies_round_trip_through_json() {
        for reply in [
            Reply::done("withdrawn: all"),
            Reply::Draining {
                ok: true,
                draining_ms: 500,
                message: "draining 203.0.113.10/32".into(),
            },
            Reply::failed("no VIP 203.0.113.99/32 is configured"),
        ] {
            let text = serde_json::to_string(&reply).unwrap();
            assert_eq!(serde_json::from_str::<Reply>(&text).unwrap(), reply);
        }
    }
}
