//! What a check is: its probe and its timing. Plain data, built by the daemon's config.

use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

/// One named check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckSpec {
    /// The name VIPs refer to it by.
    pub name: String,
    /// The probe.
    pub kind: CheckKind,
    /// Time between probes while the state is settled.
    pub interval: Duration,
    /// Time between probes while the state is changing (a streak against the current state).
    pub fast_interval: Duration,
    /// How long one probe may take; longer is a failure.
    pub timeout: Duration,
    /// Passes in a row that make a failing check healthy.
    pub rise: u32,
    /// Failures in a row that make a healthy check failing.
    pub fall: u32,
}

impl CheckSpec {
    /// Time between probes unless configured.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);
    /// Probe timeout unless configured (or the interval, if that is shorter).
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);
    /// Passes in a row to become healthy, and failures in a row to become failing, unless
    /// configured.
    pub const DEFAULT_RISE_FALL: u32 = 2;
    /// The shortest default fast interval (unless the interval itself is shorter).
    const MIN_DEFAULT_FAST_INTERVAL: Duration = Duration::from_millis(100);

    /// The check `name` probing with `kind` at the default timing: every 2 s, 500 ms while
    /// changing, a 1 s timeout, rise and fall 2.
    pub fn new(name: impl Into<String>, kind: CheckKind) -> Self {
        CheckSpec {
            name: name.into(),
            kind,
            interval: Self::DEFAULT_INTERVAL,
            fast_interval: Self::default_fast_interval(Self::DEFAULT_INTERVAL),
            timeout: Self::DEFAULT_TIMEOUT,
            rise: Self::DEFAULT_RISE_FALL,
            fall: Self::DEFAULT_RISE_FALL,
        }
    }

    /// The fast interval of a check probing every `interval`, unless configured: a quarter
    /// of it, at least 100 ms, at most the interval.
    pub fn default_fast_interval(interval: Duration) -> Duration {
        (interval / 4)
            .max(Self::MIN_DEFAULT_FAST_INTERVAL)
            .min(interval)
    }
}

/// The probe of a check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckKind {
    /// An HTTP request.
    Http(HttpCheck),
    /// A TCP connection to an address.
    Tcp {
        /// Where to connect.
        address: SocketAddr,
    },
    /// A command run without a shell and without capabilities; exit status 0 passes.
    Exec {
        /// Program and arguments.
        command: Vec<String>,
        /// Another user to run it as; `None` runs it as the daemon's own user.
        user: Option<ExecUser>,
    },
    /// A path that must exist, or must be absent.
    File {
        /// The path.
        path: PathBuf,
        /// Which of the two passes.
        pass_if: FilePassIf,
    },
}

/// The user an exec check runs as, resolved when the configuration is loaded (a change
/// in the user database takes effect at the next reload).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExecUser {
    /// The user name, as configured.
    pub name: String,
    /// Its user id.
    pub uid: u32,
    /// Its primary group id.
    pub gid: u32,
    /// Every group it is a member of (supplementary groups), the primary one included.
    pub groups: Vec<u32>,
    /// Its home directory, given to the command as `HOME`.
    pub home: PathBuf,
}

/// An HTTP check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpCheck {
    /// The URL (http only).
    pub url: String,
    /// GET or HEAD.
    pub method: HttpMethod,
    /// Status codes that pass.
    pub expect_status: ExpectStatus,
    /// A substring the body must contain.
    pub expect_body: Option<String>,
    /// A Host header instead of the URL's authority.
    pub host: Option<String>,
}

/// The HTTP method of a check.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HttpMethod {
    /// GET.
    #[default]
    Get,
    /// HEAD.
    Head,
}

/// The set of HTTP status codes that pass: a union of ranges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectStatus(pub Vec<RangeInclusive<u16>>);

impl Default for ExpectStatus {
    fn default() -> Self {
        ExpectStatus(vec![200..=399])
    }
}

impl ExpectStatus {
    /// True when `status` passes.
    pub fn contains(&self, status: u16) -> bool {
        self.0.iter().any(|r| r.contains(&status))
    }
}

/// When a file check passes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FilePassIf {
    /// While the path exists.
    #[default]
    Exists,
    /// While the path is absent (a soft-stop file).
    Absent,
}
