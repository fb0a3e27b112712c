//! The systemd notification protocol (`sd_notify(3)`): `READY=1` once the daemon serves,
//! `WATCHDOG=1` while its loops are alive, `STOPPING=1` on the way out. Outside systemd
//! (no `$NOTIFY_SOCKET`) every call does nothing.
//!
//! The states and the watchdog's environment come from the `sd-notify` crate; the sending
//! stays here because its `notify` ends each state with a newline and cannot reach an
//! abstract socket (`@name`), both of which `sd_notify(3)` allows.

use std::os::linux::net::SocketAddrExt;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::time::Duration;

use sd_notify::NotifyState;
use tracing::warn;

/// Where notifications go, and the watchdog period systemd asked for.
pub struct Systemd {
    socket: Option<(UnixDatagram, SocketAddr)>,
    watchdog: Option<Duration>,
}

impl Systemd {
    /// Reads `$NOTIFY_SOCKET`, and `$WATCHDOG_USEC` when `$WATCHDOG_PID` is unset or ours
    /// (`sd_watchdog_enabled(3)`).
    pub fn from_env() -> Systemd {
        let socket = std::env::var("NOTIFY_SOCKET")
            .ok()
            .filter(|path| !path.is_empty())
            .and_then(|path| match connect(&path) {
                Ok(socket) => Some(socket),
                Err(e) => {
                    warn!(socket = %path, error = %e, "cannot use systemd's notification socket");
                    None
                }
            });
        let watchdog = sd_notify::watchdog_enabled().filter(|period| !period.is_zero());
        Systemd { socket, watchdog }
    }

    /// How often to ping the watchdog: half its timeout, if systemd set one.
    pub fn watchdog_period(&self) -> Option<Duration> {
        self.watchdog
            .filter(|_| self.socket.is_some())
            .map(|d| d / 2)
    }

    /// The daemon is up and serving.
    pub fn ready(&self) {
        self.send(&NotifyState::Ready);
    }

    /// The daemon's loops are alive.
    pub fn watchdog(&self) {
        self.send(&NotifyState::Watchdog);
    }

    /// The daemon is shutting down.
    pub fn stopping(&self) {
        self.send(&NotifyState::Stopping);
    }

    fn send(&self, state: &NotifyState) {
        if let Some((socket, addr)) = &self.socket {
            let state = state.to_string();
            if let Err(e) = socket.send_to_addr(state.as_bytes(), addr) {
                warn!(error = %e, state, "cannot notify systemd");
            }
        }
    }
}

/// An unbound datagram socket and systemd's address (`@name` is an abstract socket).
fn connect(path: &str) -> std::io::Result<(UnixDatagram, SocketAddr)> {
    let addr = match path.strip_prefix('@') {
        Some(name) => SocketAddr::from_abstract_name(name.as_bytes())?,
        None => SocketAddr::from_pathname(path)?,
    };
    Ok((UnixDatagram::unbound()?, addr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notifications_reach_a_path_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify");
        let listener = UnixDatagram::bind(&path).unwrap();
        let systemd = Systemd {
            socket: Some(connect(path.to_str().unwrap()).unwrap()),
            watchdog: Some(Duration::from_secs(10)),
        };
        systemd.ready();
        systemd.watchdog();
        let mut buf = [0u8; 64];
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"READY=1");
        let n = listener.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"WATCHDOG=1");
        assert_eq!(systemd.watchdog_period(), Some(Duration::from_secs(5)));
    }

    #[test]
    fn without_a_socket_nothing_is_sent_and_there_is_no_watchdog() {
        let systemd = Systemd {
            socket: None,
            watchdog: Some(Duration::from_secs(10)),
        };
        systemd.ready();
        assert_eq!(systemd.watchdog_period(), None);
    }
}
