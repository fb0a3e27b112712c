//! The daemon under systemd's notification protocol: a datagram socket stands in for
//! systemd's `NOTIFY_SOCKET`, and the test reads what the daemon tells it.

use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

use super::{measured, settled, EXIT_LIMIT};
use crate::daemon_testbed::Bed;
use crate::error::{Error, Result};

/// The watchdog timeout given to the daemon (it pings at half of it, at most every second).
const WATCHDOG_USEC: u64 = 2_000_000;
/// How long the pings are counted.
const WATCHED: Duration = Duration::from_secs(3);
/// Pings expected in [`WATCHED`] (one a second, less one for scheduling).
const MIN_PINGS: usize = 2;
/// The most datagrams read in one wait.
const MAX_MESSAGES: usize = 1_000;

/// web2's announcer started with `NOTIFY_SOCKET` and `WATCHDOG_USEC` says `READY=1` once
/// it serves, `WATCHDOG=1` every second while its checks run, and `STOPPING=1` on SIGTERM.
pub fn the_daemon_notifies_systemd_and_pings_its_watchdog(bed: Bed, test: &str) -> Result<()> {
    settled(bed, test, |lab| {
        let web2 = lab.web_mut(2)?;
        let path = web2.dir().join("notify.sock");
        let socket = UnixDatagram::bind(&path)
            .map_err(|e| Error::io(format!("bind {}", path.display()), e))?;
        web2.announcer.signal("TERM")?;
        web2.announcer.wait_exit(EXIT_LIMIT)?;
        web2.announcer
            .set_env("NOTIFY_SOCKET", &path.to_string_lossy());
        web2.announcer
            .set_env("WATCHDOG_USEC", &WATCHDOG_USEC.to_string());
        let start = Instant::now();
        web2.announcer.start()?;
        let ready = receive(&socket, "READY=1", Duration::from_secs(10))?;
        measured("systemd: start to READY=1", ready.duration_since(start));
        let pings = count(&socket, "WATCHDOG=1", WATCHED)?;
        eprintln!("measured: systemd: {pings} WATCHDOG=1 in {WATCHED:?}");
        if pings < MIN_PINGS {
            return Err(Error::Check(format!(
                "only {pings} watchdog pings in {WATCHED:?}"
            )));
        }
        web2.announcer.signal("TERM")?;
        receive(&socket, "STOPPING=1", EXIT_LIMIT)?;
        web2.announcer.wait_exit(EXIT_LIMIT).map(drop)
    })
}

/// Waits for the datagram `want`; returns when it came.
fn receive(socket: &UnixDatagram, want: &str, limit: Duration) -> Result<Instant> {
    let end = Instant::now() + limit;
    let mut seen = Vec::new();
    for _ in 0..MAX_MESSAGES {
        let Some(message) = next(socket, end)? else {
            break;
        };
        if message == want {
            return Ok(Instant::now());
        }
        seen.push(message);
    }
    Err(Error::Check(format!(
        "no {want:?} from the daemon within {limit:?}; got {seen:?}"
    )))
}

/// How many datagrams equal to `want` arrive within `period`.
fn count(socket: &UnixDatagram, want: &str, period: Duration) -> Result<usize> {
    let end = Instant::now() + period;
    let mut matched = 0;
    for _ in 0..MAX_MESSAGES {
        match next(socket, end)? {
            Some(message) if message == want => matched += 1,
            Some(_) => {}
            None => break,
        }
    }
    Ok(matched)
}

/// The next datagram before `end`, or `None` when `end` passed first.
fn next(socket: &UnixDatagram, end: Instant) -> Result<Option<String>> {
    let left = end.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Ok(None);
    }
    socket
        .set_read_timeout(Some(left))
        .map_err(|e| Error::io("set the notify socket's timeout", e))?;
    let mut buf = [0u8; 512];
    match socket.recv(&mut buf) {
        Ok(n) => Ok(Some(
            String::from_utf8_lossy(buf.get(..n).unwrap_or_default()).into_owned(),
        )),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(Error::io("read the notify socket", e)),
    }
}
