//! The control socket's bounds, as pure decisions the server applies: how many connections
//! live at once and which one gives way to a new one ([`Connections`]), and when a request
//! line is complete, too long or cut off ([`frame`]).
//!
//! Invariant: at most [`Limits::max_connections`] connections are live; a connection buffers
//! at most [`Limits::max_request_len`] bytes of one request and waits at most
//! [`Limits::request_timeout`] for it. A local client that opens connections and never
//! writes (a leaking monitoring script) therefore costs the daemon a fixed number of file
//! descriptors and a bounded amount of memory, and never keeps `status` out.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::protocol::MAX_REQUEST_LEN;

/// The most control connections served at once.
pub const MAX_CONNECTIONS: usize = 64;

/// How long a connection may take to send one whole request line, from when the daemon
/// starts waiting for it (the CLI sends its request right after connecting).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// How long writing one reply may take before the client is given up on.
pub const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// The most requests one connection may send before it is closed.
pub const MAX_REQUESTS_PER_CONNECTION: usize = 1_000;

/// The reply line of a connection refused or closed to make room for a newer one.
pub const BUSY: &str = "busy: too many control connections";

/// The bounds of the control socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The most connections served at once.
    pub max_connections: usize,
    /// How long one request line may take to arrive.
    pub request_timeout: Duration,
    /// The longest request line, in bytes, without its newline.
    pub max_request_len: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: MAX_CONNECTIONS,
            request_timeout: REQUEST_TIMEOUT,
            max_request_len: MAX_REQUEST_LEN,
        }
    }
}

/// Identifies one live connection.
pub type ConnectionId = u64;

/// What one live connection is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Waiting for its next request line since then: it may be closed to make room.
    Waiting(Instant),
    /// Its request is with the daemon or its reply is being written: never interrupted.
    Working,
}

/// What to do with a connection just accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admission {
    /// There is room: serve it.
    Admit,
    /// Close this connection, the one that has waited longest for its request (with the
    /// [`BUSY`] reply), and serve the new one in its place.
    Displace(ConnectionId),
    /// Every connection is working on a request: reply [`BUSY`] and close the new one at once.
    Refuse,
}

/// The live connections, as the task that accepts them tracks them; `H` is how a
/// connection is told to close.
#[derive(Debug)]
pub struct Connections<H> {
    cap: usize,
    next_id: ConnectionId,
    live: BTreeMap<ConnectionId, (Phase, H)>,
}

impl<H> Connections<H> {
    /// No connections yet, at most `cap` at once (at least one).
    pub fn new(cap: usize) -> Connections<H> {
        Connections {
            cap: cap.max(1),
            next_id: 0,
            live: BTreeMap::new(),
        }
    }

    /// How many connections are live.
    pub fn len(&self) -> usize {
        self.live.len()
    }

    /// What to do with one more connection: serve it while there is room; at the cap, make
    /// room by closing the connection that has waited longest for its request (idle
    /// connections give way, so a client that sends its request at once is always served);
    /// refuse it when every live connection is working on a request.
    pub fn admission(&self) -> Admission {
        if self.live.len() < self.cap {
            return Admission::Admit;
        }
        self.live
            .iter()
            .filter_map(|(id, (phase, _))| match phase {
                Phase::Waiting(since) => Some((*since, *id)),
                Phase::Working => None,
            })
            .min()
            .map_or(Admission::Refuse, |(_, id)| Admission::Displace(id))
    }

    /// Records a new connection, waiting for its first request since `now`.
    pub fn insert(&mut self, handle: H, now: Instant) -> ConnectionId {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        self.live.insert(id, (Phase::Waiting(now), handle));
        id
    }

    /// Records what connection `id` does now (nothing if it is gone).
    pub fn set_phase(&mut self, id: ConnectionId, phase: Phase) {
        if let Some((current, _)) = self.live.get_mut(&id) {
            *current = phase;
        }
    }

    /// Forgets connection `id`, returning its handle if it was live.
    pub fn remove(&mut self, id: ConnectionId) -> Option<H> {
        self.live.remove(&id).map(|(_, handle)| handle)
    }
}

/// Why a request line could not be taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameError {
    /// More than the bound arrived without a newline.
    TooLong(usize),
    /// The line is not UTF-8.
    NotText,
}

impl FrameError {
    /// The reply line's error text.
    pub fn message(self) -> String {
        match self {
            FrameError::TooLong(max) => format!("request longer than {max} bytes"),
            FrameError::NotText => "malformed request: not UTF-8".to_owned(),
        }
    }
}

/// The request line in `bytes`, read with at most `max + 1` bytes taken from the
/// connection: `None` at the end of the stream with nothing read; the text without its
/// newline otherwise (a last line without a newline counts as a request). More than `max`
/// bytes without a newline is [`FrameError::TooLong`]; the rest of it is never read.
pub fn frame(mut bytes: Vec<u8>, max: usize) -> Result<Option<String>, FrameError> {
    if bytes.is_empty() {
        return Ok(None);
    }
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    } else if bytes.len() > max {
        return Err(FrameError::TooLong(max));
    }
    if bytes.len() > max {
        return Err(FrameError::TooLong(max));
    }
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| FrameError::NotText)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full_of(phases: &[Phase]) -> Connections<()> {
        let mut connections = Connections::new(phases.len());
        let now = Instant::now();
        for phase in phases {
            let id = connections.insert((), now);
            connections.set_phase(id, *phase);
        }
        connections
    }

    #[test]
    fn a_connection_is_admitted_while_there_is_room() {
        let mut connections = Connections::new(2);
        assert_eq!(connections.admission(), Admission::Admit);
        connections.insert((), Instant::now());
        assert_eq!(connections.admission(), Admission::Admit);
        connections.insert((), Instant::now());
        assert_ne!(connections.admission(), Admission::Admit);
        assert_eq!(connections.len(), 2);
    }

    #[test]
    fn at_the_cap_the_connection_waiting_longest_for_its_request_gives_way() {
        let start = Instant::now();
        let later = start + Duration::from_secs(1);
        let connections = full_of(&[Phase::Waiting(later), Phase::Working, Phase::Waiting(start)]);
        assert_eq!(connections.admission(), Admission::Displace(2));
    }

    #[test]
    fn a_connection_that_waits_again_after_a_reply_counts_from_then() {
        let start = Instant::now();
        let mut connections = full_of(&[Phase::Waiting(start), Phase::Waiting(start)]);
        connections.set_phase(0, Phase::Waiting(start + Duration::from_secs(2)));
        assert_eq!(connections.admission(), Admission::Displace(1));
    }

    #[test]
    fn at_the_cap_with_every_connection_working_a_new_one_is_refused() {
        let connections = full_of(&[Phase::Working, Phase::Working]);
        assert_eq!(connections.admission(), Admission::Refuse);
    }

    #[test]
    fn a_closed_connection_frees_its_slot_and_returns_its_handle() {
        let mut connections = Connections::new(1);
        let id = connections.insert("close me", Instant::now());
        assert_eq!(connections.admission(), Admission::Displace(id));
        assert_eq!(connections.remove(id), Some("close me"));
        assert_eq!(connections.remove(id), None);
        assert_eq!(connections.admission(), Admission::Admit);
        connections.set_phase(id, Phase::Working);
        assert_eq!(
            connections.len(),
            0,
            "a gone connection is not brought back"
        );
    }

    #[test]
    fn a_cap_of_zero_still_serves_one_connection() {
        let connections: Connections<()> = Connections::new(0);
        assert_eq!(connections.admission(), Admission::Admit);
    }

    #[test]
    fn the_defaults_bound_a_connection_to_64_kib_and_5_seconds_and_the_socket_to_64() {
        let limits = Limits::default();
        assert_eq!(limits.max_request_len, 64 * 1024);
        assert_eq!(limits.request_timeout, Duration::from_secs(5));
        assert_eq!(limits.max_connections, 64);
    }

    #[test]
    fn request_lines_are_framed_within_the_bound() {
        let max = 8;
        for (name, bytes, want) in [
            ("end of stream", "", Ok(None)),
            ("a line", "status\n", Ok(Some("status"))),
            ("a CRLF line", "status\r\n", Ok(Some("status"))),
            ("a last line without newline", "status", Ok(Some("status"))),
            ("exactly the bound", "12345678\n", Ok(Some("12345678"))),
            (
                "one byte over, newline seen",
                "123456789\n",
                Err(FrameError::TooLong(8)),
            ),
            (
                "one byte over, cut off",
                "123456789",
                Err(FrameError::TooLong(8)),
            ),
        ] {
            let got = frame(bytes.as_bytes().to_vec(), max);
            assert_eq!(got, want.map(|o| o.map(str::to_owned)), "{name}");
        }
        assert_eq!(frame(vec![0xff, b'\n'], max), Err(FrameError::NotText));
    }

    #[test]
    fn frame_errors_say_what_was_wrong() {
        assert_eq!(
            FrameError::TooLong(65_536).message(),
            "request longer than 65536 bytes"
        );
        assert!(FrameError::NotText
            .message()
            .starts_with("malformed request"));
    }
}
