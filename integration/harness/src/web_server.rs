//! The lab's `web-server` fixture (package `announcer-fixtures`) started in
//! a namespace: the service the daemon's checks probe, shared by the daemon
//! testbed and the benchmark.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use crate::error::Result;
use crate::http::get_once;
use crate::netns::Netns;
use crate::process::ChildGuard;

/// The port the web servers serve the VIP on.
pub const HTTP_PORT: u16 = 80;
/// The health endpoint's port (on 127.0.0.1 in each web namespace).
pub const HEALTH_PORT: u16 = 8080;
/// How long the web server may take to answer `/healthz`.
const WEB_STARTUP: Duration = Duration::from_secs(10);

/// How a web server's endpoints can be made to stall (the `web-server`'s
/// `--hang-file` and `--mute-file`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stall {
    /// `GET /healthz` gets part of a response head, then nothing.
    MidResponse,
    /// Every connection is accepted and never answered.
    Mute,
}

/// The file that makes the web server in `dir` stall as `stall` says.
pub fn stall_file(dir: &Path, stall: Stall) -> PathBuf {
    dir.join(match stall {
        Stall::MidResponse => "hang",
        Stall::Mute => "mute",
    })
}

/// Starts `web-server` in `ns` as `name` (its logs in `dir`), listening on
/// `0.0.0.0:80` and `127.0.0.1:8080`, and waits until `/healthz` answers 200.
/// It stalls while the files of [`Web::set_stall`] exist in `dir`.
pub fn start_web_server(
    binary: &Path,
    ns: &Arc<Netns>,
    dir: &Path,
    name: &str,
    health_file: &Path,
) -> Result<ChildGuard> {
    let mut command = ns.command(&binary.to_string_lossy());
    command
        .args(["--listen", &format!("0.0.0.0:{HTTP_PORT}")])
        .args(["--listen", &format!("127.0.0.1:{HEALTH_PORT}")])
        .args(["--name", name])
        .arg("--health-file")
        .arg(health_file)
        .arg("--hang-file")
        .arg(stall_file(dir, Stall::MidResponse))
        .arg("--mute-file")
        .arg(stall_file(dir, Stall::Mute));
    let health = SocketAddr::from((Ipv4Addr::LOCALHOST, HEALTH_PORT));
    let what = format!("{name}'s web-server to answer /healthz");
    ChildGuard::spawn_ready(
        "web-server",
        command,
        dir,
        (&what, WEB_STARTUP),
        || match get_once(ns, health, "/healthz") {
            Ok(response) if response.status == 200 => Ok(()),
            Ok(response) => Err(format!("{response:?}")),
            Err(e) => Err(e.to_string()),
        },
    )
}
