//! The runner's one error type: every failure names what `lab` was doing and
//! what it found, so the message on stderr tells the user what to fix.

use std::path::PathBuf;

/// Anything that can stop a `lab` command.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What the runner was doing.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A topology, state file or tool output could not be understood.
    #[error("cannot parse {what}: {detail}")]
    Parse {
        /// Which input.
        what: String,
        /// What was wrong, with the offending text.
        detail: String,
    },
    /// The request cannot be carried out as asked (an unknown node, a missing tool, a
    /// lab already up, ...).
    #[error("{0}")]
    Refused(String),
    /// A process the runner started exited or misbehaved; its log is attached.
    #[error("{what}\n--- {log} ---\n{contents}")]
    Process {
        /// What went wrong.
        what: String,
        /// The log file shown.
        log: PathBuf,
        /// The log's last lines.
        contents: String,
    },
    /// A namespace, process or wait of the shared harness failed.
    #[error(transparent)]
    Harness(#[from] announcer_harness::Error),
}

impl Error {
    /// An I/O error with the operation that failed.
    pub fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            what: what.into(),
            source,
        }
    }

    /// A parse error for `what` with a detail message.
    pub fn parse(what: impl Into<String>, detail: impl Into<String>) -> Self {
        Error::Parse {
            what: what.into(),
            detail: detail.into(),
        }
    }
}

/// The runner's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
