//! What can be wrong with a configuration, and where: every error names the file, the line
//! and column, and the dotted key path (`peer[0].remote_as`) of the offending value.
//!
//! Validation works on byte offsets ([`Invalid`]); [`Invalid::locate`] turns one into a
//! [`ConfigError`] once, at the edge, where the text and the file name are known.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why a configuration was rejected.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file could not be read.
    #[error("{}: {source}", .path.display())]
    Read {
        /// The configuration file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// The file was read but is not a valid configuration.
    #[error("{}:{line}:{column}: {}{problem}", .path.display(), KeyPrefix(.key))]
    Invalid {
        /// The configuration file.
        path: PathBuf,
        /// 1-based line of the offending value (or of its table, for a missing key).
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// Dotted key path with array indexes, e.g. `peer[0].remote_as`; empty for syntax
        /// errors and for problems with the whole document.
        key: String,
        /// What is wrong.
        problem: Box<Problem>,
    },
}

/// What is wrong with one value (or key) of the configuration.
///
/// Messages never include a password: they name the key and, at most, the value's TOML type.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    /// Reported by the TOML parser: a syntax error, an unknown or missing key, a table where
    /// an array of tables belongs.
    #[error("{0}")]
    Toml(String),
    /// A value of the wrong type or form.
    #[error("expected {expected}, found {found}")]
    Expected {
        /// What the key takes.
        expected: &'static str,
        /// The value as written (TOML syntax), or only its type for secrets.
        found: String,
    },
    /// AS 23456 only stands in for 4-octet AS numbers in 2-octet fields.
    #[error("AS 23456 is AS_TRANS (RFC 6793) and cannot be a real AS number")]
    AsTrans,
    /// A VIP prefix that is not a /32 or /128.
    #[error("{found} is not a host route: a VIP prefix is /32 (IPv4) or /128 (IPv6)")]
    NotHostRoute {
        /// The prefix as written.
        found: String,
    },
    /// A value that must be unique appears again.
    #[error("duplicate {what}: {value} (first on line {first_line})")]
    Duplicate {
        /// What must be unique, e.g. "check name".
        what: &'static str,
        /// The repeated value.
        value: String,
        /// Where it first appeared.
        first_line: usize,
    },
    /// A VIP refers to a check no `[[check]]` defines.
    #[error("no [[check]] is named {name:?}")]
    UndefinedCheck {
        /// The name referred to.
        name: String,
    },
    /// A key that belongs to another check type.
    #[error("not a key of {kind} checks (their own keys: {allowed})")]
    NotForCheckType {
        /// The check's type.
        kind: &'static str,
        /// The keys that type takes besides the common ones.
        allowed: &'static str,
    },
    /// A key the check's type requires is missing.
    #[error("{kind} checks need `{key}`")]
    MissingForCheckType {
        /// The check's type.
        kind: &'static str,
        /// The missing key.
        key: &'static str,
    },
    /// A `[[vip]]` with neither `prefix` nor `prefixes`.
    #[error("missing: a VIP needs `prefix` (one host route) or `prefixes` (a list of them)")]
    MissingPrefix,
    /// Two keys that exclude each other are both set.
    #[error("cannot be combined with `{other}`")]
    Exclusive {
        /// The other key.
        other: &'static str,
    },
    /// The password file could not be opened or read.
    #[error("cannot read password file {}: {source}", .file.display())]
    PasswordFileRead {
        /// The password file (resolved against the configuration's directory).
        file: PathBuf,
        /// What the OS said.
        #[source]
        source: io::Error,
    },
    /// The password file is readable by users other than its owner and group.
    #[error(
        "password file {} is readable by others (mode {mode:04o}); remove that with chmod o-rwx",
        .file.display()
    )]
    PasswordFileReadable {
        /// The password file.
        file: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The password (inline or from its file) is empty.
    #[error("the password is empty")]
    EmptyPassword,
    /// The password is longer than a TCP MD5 key may be.
    #[error("the password is longer than {max} bytes, the TCP MD5 key limit")]
    PasswordTooLong {
        /// The limit in bytes (Linux `TCP_MD5SIG_MAXKEYLEN`).
        max: usize,
    },
    /// A check's timeout is longer than its interval.
    #[error("timeout {timeout:?} is longer than the interval {interval:?}")]
    TimeoutOverInterval {
        /// The probe timeout.
        timeout: Duration,
        /// The check interval.
        interval: Duration,
    },
    /// A check's fast interval is longer than its interval.
    #[error("fast_interval {fast:?} is longer than the interval {interval:?}")]
    FastOverInterval {
        /// The fast interval.
        fast: Duration,
        /// The check interval.
        interval: Duration,
    },
    /// An exec check's `user` is not in the system's user database.
    #[error("no user named {name:?} on this system")]
    UnknownUser {
        /// The name as written.
        name: String,
    },
    /// The user database could not be read for an exec check's `user`.
    #[error("cannot look up user {name:?}: {source}")]
    UserLookup {
        /// The name as written.
        name: String,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// A peer's local address is of the other address family.
    #[error("local address {local} and peer address {peer} are of different address families")]
    LocalAddressFamily {
        /// The configured local address.
        local: std::net::IpAddr,
        /// The peer's address.
        peer: std::net::IpAddr,
    },
}

/// A problem found at a byte offset of the text, before the file name is attached.
#[derive(Debug)]
pub(super) struct Invalid {
    /// Byte offset of the offending value in the text.
    pub at: usize,
    /// Dotted key path.
    pub key: String,
    /// What is wrong.
    pub problem: Problem,
}

impl Invalid {
    /// A problem at `at` with the value under `key`.
    pub fn new(at: usize, key: impl Into<String>, problem: Problem) -> Self {
        Invalid {
            at,
            key: key.into(),
            problem,
        }
    }

    /// The error for the file `path` whose contents are `text`.
    pub fn locate(self, text: &str, path: &Path) -> ConfigError {
        let (line, column) = line_column(text, self.at);
        ConfigError::Invalid {
            path: path.to_owned(),
            line,
            column,
            key: self.key,
            problem: Box::new(self.problem),
        }
    }
}

/// The 1-based line and column (in characters) of byte offset `at` in `text`.
pub(super) fn line_column(text: &str, at: usize) -> (usize, usize) {
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// Writes `key: ` before the problem, or nothing when there is no key.
struct KeyPrefix<'a>(&'a str);

impl fmt::Display for KeyPrefix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            Ok(())
        } else {
            write!(f, "{}: ", self.0)
        }
    }
}
