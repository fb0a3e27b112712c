//! Why an exec check's command could not be started. Probes never return these: they
//! become the detail of a failing result (see [`crate::probe`]).

use std::io;
use std::sync::Arc;

/// Why a command was not started.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spawner thread's setup failed earlier; every command of its user fails with it.
    #[error("{0}")]
    Sandbox(Arc<Error>),
    /// A step of giving up the spawner thread's privileges failed.
    #[error("exec checks refused: cannot {step}: {source}")]
    Privileges {
        /// What was being done, e.g. "clear the capabilities".
        step: &'static str,
        /// What the kernel said.
        #[source]
        source: io::Error,
    },
    /// The spawner thread could not take the configured user's identity.
    #[error(
        "cannot run as user {user:?} (uid {uid}, gid {gid}): {source}; \
         `user` needs a daemon with CAP_SETUID and CAP_SETGID"
    )]
    SwitchUser {
        /// The configured user name.
        user: String,
        /// Its user id.
        uid: u32,
        /// Its primary group id.
        gid: u32,
        /// What the kernel said.
        #[source]
        source: io::Error,
    },
    /// After giving everything up, a capability set is still not empty.
    #[error(
        "exec checks refused: their {set} capability set still holds {bits:#x} \
         (a daemon running as root needs CAP_SETPCAP to empty its bounding set)"
    )]
    CapabilitiesRemain {
        /// Which set.
        set: &'static str,
        /// The capabilities left in it, as in /proc/PID/status.
        bits: u64,
    },
    /// The spawner thread could not be started.
    #[error("cannot start the exec spawner thread: {source}")]
    Thread {
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// The spawner thread is gone.
    #[error("the exec spawner thread is gone")]
    SpawnerGone,
    /// The command itself could not be started (not found, not executable, ...).
    #[error("{source}")]
    Spawn {
        /// What the OS said.
        #[source]
        source: io::Error,
    },
}
