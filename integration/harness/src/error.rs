//! The harness's one error type: every failure names what was being done and
//! carries what the lab observed, so a failing test explains itself.

use std::path::PathBuf;
use std::time::Duration;

/// Anything that can go wrong while building a lab or asking a router.
#[derive(thiserror::Error)]
pub enum Error {
    /// The lab cannot run here (not root, or a router binary or tool is missing): a lab
    /// test run anyway (it is ignored unless asked for) fails with this.
    #[error("lab required but unavailable: {0}")]
    LabUnavailable(String),
    /// A file or process operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What the harness was doing.
        what: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A command ran but exited unsuccessfully.
    #[error("`{command}` failed ({status}): {stderr}")]
    Command {
        /// The command line.
        command: String,
        /// Its exit status.
        status: std::process::ExitStatus,
        /// Its standard error, trimmed.
        stderr: String,
    },
    /// A condition was not reached before its deadline.
    #[error("timed out after {after:?} waiting for {what}; last observed: {last}")]
    Timeout {
        /// The awaited condition.
        what: String,
        /// How long the harness waited.
        after: Duration,
        /// The last thing observed while polling.
        last: String,
    },
    /// A router's or tool's output could not be understood.
    #[error("cannot parse {what}: {detail}")]
    Parse {
        /// Which output.
        what: String,
        /// What was wrong, with the offending text.
        detail: String,
    },
    /// A check on what the router shows did not hold.
    #[error("{0}")]
    Check(String),
    /// A process under test exited or misbehaved; its logs are attached.
    #[error("{what}\n--- {log} ---\n{contents}")]
    Process {
        /// What went wrong.
        what: String,
        /// The log file shown.
        log: PathBuf,
        /// The log's last lines.
        contents: String,
    },
}

/// Tests return `Result<(), Error>`; the test harness prints errors with
/// `Debug`, so make that the readable message rather than the struct dump.
impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
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

/// The harness's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
