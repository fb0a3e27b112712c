//! Preflight: whether the lab tests can run here (root, the router binaries, the
//! workspace binaries they run).
//!
//! Every lab test is `#[ignore = "needs root: scripts/test"]`, so a plain `cargo test`
//! reports it as ignored and it runs only when asked for (`scripts/test`, which passes
//! `--include-ignored`, or `--ignored`/`--include-ignored` by hand). A lab test that was
//! asked for but cannot run here fails, naming what is missing: it never passes without
//! having run.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::routers::RouterKind;

/// The environment variable `scripts/test` sets to say the lab must run. The helpers here
/// fail whether or not it is set (a lab test runs only when asked for); some helpers
/// elsewhere still read it.
pub const REQUIRED_ENV: &str = "ANNOUNCER_LAB_REQUIRED";

/// Tools every lab uses besides the routers.
const COMMON: &[&str] = &["ip", "sysctl", "ss"];

/// Directories searched besides `PATH` (root's tools live in sbin).
const EXTRA_DIRS: &[&str] = &["/usr/sbin", "/sbin", "/usr/bin", "/bin"];

/// `Ok(true)` if `test` can run with `router`; an error naming what is missing if not.
/// (It never returns `Ok(false)`; the `bool` stays for the callers' `if !require_host(..)?`.)
pub fn require_host(router: RouterKind, test: &str) -> Result<bool> {
    if !nix::unistd::geteuid().is_root() {
        return unavailable(test, "needs root (network namespaces)");
    }
    let missing: Vec<&str> = COMMON
        .iter()
        .chain(router.binaries())
        .copied()
        .filter(|b| find_binary(b).is_none())
        .collect();
    if !missing.is_empty() {
        return unavailable(test, &format!("{router} lab needs {}", missing.join(", ")));
    }
    Ok(true)
}

/// The `web-server` fixture (package `announcer-fixtures`).
pub const WEB_SERVER: &str = "web-server";
/// The `bgp-speaker` fixture (package `announcer-fixtures`).
pub const BGP_SPEAKER: &str = "bgp-speaker";
/// The `lab` runner (package `announcer-lab`).
pub const LAB: &str = "lab";

/// The workspace binaries the lab tests run, each with the package that builds it.
const BUILT_BY: &[(&str, &str)] = &[
    ("announcer", "announcer"),
    (WEB_SERVER, "announcer-fixtures"),
    (BGP_SPEAKER, "announcer-fixtures"),
    (LAB, "announcer-lab"),
];

/// The workspace binary `name` (one of [`WEB_SERVER`], [`BGP_SPEAKER`], [`LAB`],
/// `announcer`) in the target directory this test runs from
/// (`.../target/debug/deps/<test>` → `.../target/debug/<name>`), or a failure like
/// [`require_host`] when it has not been built. A `name` with a `/` is a path, taken as is.
/// `scripts/test` builds these binaries before it runs the tests.
pub fn require_built(name: &str, test: &str) -> Result<PathBuf> {
    let path = if name.contains('/') {
        PathBuf::from(name)
    } else {
        let exe =
            std::env::current_exe().map_err(|e| Error::io("locate the test executable", e))?;
        exe.parent()
            .and_then(Path::parent)
            .map(|dir| dir.join(name))
            .ok_or_else(|| Error::Check(format!("no target dir above {}", exe.display())))?
    };
    if path.is_file() {
        return Ok(path);
    }
    let package = BUILT_BY
        .iter()
        .find(|(binary, _)| *binary == name)
        .map_or("the package that builds it", |(_, package)| package);
    let reason = format!(
        "{} does not exist; build it first: cargo build -p {package}",
        path.display()
    );
    unavailable(test, &reason).map(|_| path)
}

/// The `announcer` binary (found by [`require_built`]), or a failure like
/// [`require_host`] when it has not been built.
pub fn require_announcer(test: &str) -> Result<Option<PathBuf>> {
    require_built("announcer", test).map(Some)
}

/// The failure of a lab test that was asked for (it is `#[ignore]`d otherwise) but cannot
/// run here.
fn unavailable(test: &str, reason: &str) -> Result<bool> {
    Err(Error::LabUnavailable(format!(
        "{test}: {reason}; lab tests are ignored by a plain `cargo test` and run as root by \
         `sudo scripts/test`"
    )))
}

/// The path of `name` (absolute, or looked up in `PATH` and the sbin dirs).
pub fn find_binary(name: &str) -> Option<PathBuf> {
    if name.starts_with('/') {
        return Path::new(name).is_file().then(|| PathBuf::from(name));
    }
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(EXTRA_DIRS.iter().copied())
        .map(|dir| Path::new(dir).join(name))
        .find(|candidate| candidate.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binaries_are_found_on_the_path_or_by_absolute_name() {
        assert!(find_binary("sh").is_some());
        assert!(find_binary("/bin/sh").is_some());
        assert!(find_binary("no-such-binary-in-the-lab").is_none());
    }
}
