//! The scripted peer's end of one TCP connection to the speaker under test: raw bytes out,
//! decoded messages in, every read bounded by a deadline.
//!
//! The socket is created on a thread that entered the peer's network namespace (see
//! [`crate::netns::in_namespace`]); a socket belongs to the namespace it was created in, so
//! the test thread can then use it directly.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use announcer_bgp::wire::{decode, frame_len, Hex, HexPrefix, Message, Notification, WireContext};
use announcer_bgp::Family;

use super::bytes::keepalive;
use crate::error::{Error, Result};
use crate::netns::{in_namespace, Netns};

/// How long connect and each write may take.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// How much is read from the socket at a time.
const READ_CHUNK: usize = 64 * 1024;

/// What one bounded read gave.
// Not boxed, like `Message` itself: each is read, matched and dropped at once.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A whole message, decoded.
    Message(Message),
    /// The speaker closed the connection (EOF or reset).
    Closed,
}

/// One connection of the scripted peer.
#[derive(Debug)]
pub struct Peer {
    stream: TcpStream,
    /// Received bytes not yet framed.
    buf: Vec<u8>,
    /// How the speaker's messages are decoded: 4-octet AS once our OPEN (which carries the
    /// capability) has been sent.
    ctx: WireContext,
}

impl Peer {
    /// Connects from inside `ns` to `to`.
    pub fn connect(ns: &Netns, to: SocketAddr) -> Result<Peer> {
        let stream = in_namespace(ns.name(), move || {
            TcpStream::connect_timeout(&to, IO_TIMEOUT)
        })?
        .map_err(|e| Error::io(format!("connect to the speaker at {to}"), e))?;
        Peer::new(stream)
    }

    /// Accepts the speaker's connection on `listener`, waiting at most `timeout`.
    pub fn accept(listener: &TcpListener, timeout: Duration) -> Result<Peer> {
        listener
            .set_nonblocking(true)
            .map_err(|e| Error::io("make the listener non-blocking", e))?;
        let stream = crate::wait::wait_until(
            "the speaker to connect to the peer",
            timeout,
            Duration::from_millis(10),
            || match listener.accept() {
                Ok((stream, _)) => Ok(stream),
                Err(e) => Err(e.to_string()),
            },
        )?;
        stream
            .set_nonblocking(false)
            .map_err(|e| Error::io("make the connection blocking", e))?;
        Peer::new(stream)
    }

    fn new(stream: TcpStream) -> Result<Peer> {
        stream
            .set_write_timeout(Some(IO_TIMEOUT))
            .and_then(|()| stream.set_nodelay(true))
            .map_err(|e| Error::io("set socket options", e))?;
        Ok(Peer {
            stream,
            buf: Vec::new(),
            ctx: WireContext::initial(),
        })
    }

    /// Writes `bytes` (bounded by the write timeout).
    pub fn send(&mut self, bytes: &[u8]) -> Result<()> {
        self.stream.write_all(bytes).map_err(|e| {
            Error::io(
                format!("send {} bytes: {}", bytes.len(), HexPrefix(bytes)),
                e,
            )
        })
    }

    /// Closes both directions of the connection.
    pub fn close(self) {
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    /// The next message from the speaker, or [`Received::Closed`]; fails after `timeout`.
    pub fn recv(&mut self, timeout: Duration) -> Result<Received> {
        let deadline = Instant::now() + timeout;
        let mut chunk = vec![0; READ_CHUNK];
        loop {
            if let Some(message) = self.framed()? {
                return Ok(Received::Message(message));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::Timeout {
                    what: "a message from the speaker".to_owned(),
                    after: timeout,
                    last: format!("unframed bytes: {}", HexPrefix(&self.buf)),
                });
            }
            self.stream
                .set_read_timeout(Some(left))
                .map_err(|e| Error::io("set read timeout", e))?;
            match self.stream.read(&mut chunk) {
                Ok(0) => return Ok(Received::Closed),
                Ok(n) => self.buf.extend(chunk.iter().take(n)),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return Ok(Received::Closed),
                Err(e) => return Err(Error::io("read from the speaker", e)),
            }
        }
    }

    /// Splits a whole message off the buffer and decodes it, if one is there.
    fn framed(&mut self) -> Result<Option<Message>> {
        let len = match frame_len(&self.buf) {
            Ok(Some(len)) if self.buf.len() >= len => len,
            Ok(_) => return Ok(None),
            Err(e) => {
                return Err(Error::Check(format!(
                    "the speaker sent a bad header ({e}): {}",
                    HexPrefix(&self.buf)
                )))
            }
        };
        let frame: Vec<u8> = self.buf.drain(..len).collect();
        decode(&frame, &self.ctx).map(Some).map_err(|e| {
            Error::Check(format!(
                "the speaker sent a message we cannot decode ({e}): {}",
                Hex(&frame)
            ))
        })
    }

    /// The next message that is not a KEEPALIVE or an UPDATE (which a live session sends at
    /// any time), or `Closed`.
    pub fn recv_significant(&mut self, timeout: Duration) -> Result<Received> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.recv(left)? {
                Received::Message(Message::Keepalive | Message::Update(_)) => {}
                other => return Ok(other),
            }
        }
    }

    /// Sends our OPEN (e.g. [`peer_open`](super::bytes::peer_open)), after the speaker's OPEN
    /// was read; from then on the speaker's messages are decoded with 4-octet ASNs.
    pub fn send_open(&mut self, open: &[u8]) -> Result<()> {
        self.send(open)?;
        self.ctx = WireContext {
            four_octet_as: true,
            families: vec![Family::IPV4_UNICAST],
        };
        Ok(())
    }

    /// Completes the OPEN exchange after the speaker's OPEN was read: our `open`, its
    /// KEEPALIVE, our KEEPALIVE. The session is Established on return.
    pub fn establish(&mut self, open: &[u8], timeout: Duration) -> Result<()> {
        self.send_open(open)?;
        match self.recv(timeout)? {
            Received::Message(Message::Keepalive) => self.send(&keepalive()),
            other => Err(Error::Check(format!(
                "expected the speaker's KEEPALIVE after our OPEN, got {other:?}"
            ))),
        }
    }

    /// Expects a NOTIFICATION (after any KEEPALIVEs and UPDATEs), then the close; returns it
    /// with the time it took to arrive.
    pub fn expect_notification(&mut self, timeout: Duration) -> Result<(Notification, Duration)> {
        let start = Instant::now();
        let notification = match self.recv_significant(timeout)? {
            Received::Message(Message::Notification(n)) => n,
            other => {
                return Err(Error::Check(format!(
                    "expected a NOTIFICATION, got {other:?}"
                )))
            }
        };
        let took = start.elapsed();
        self.expect_closed(timeout)?;
        Ok((notification, took))
    }

    /// Expects the speaker to close the connection, skipping KEEPALIVEs and UPDATEs.
    pub fn expect_closed(&mut self, timeout: Duration) -> Result<()> {
        match self.recv_significant(timeout)? {
            Received::Closed => Ok(()),
            other => Err(Error::Check(format!(
                "expected the speaker to close, got {other:?}"
            ))),
        }
    }

    /// Checks the session stays up for `window`: the speaker neither closes nor sends a
    /// NOTIFICATION (or anything but KEEPALIVEs and UPDATEs), while we send a KEEPALIVE every
    /// `keepalive`. Returns how many KEEPALIVEs the speaker sent.
    pub fn stays_up(&mut self, window: Duration, keepalive_every: Duration) -> Result<usize> {
        let end = Instant::now() + window;
        let mut next_keepalive = Instant::now();
        let mut keepalives = 0;
        loop {
            let now = Instant::now();
            if now >= end {
                return Ok(keepalives);
            }
            if now >= next_keepalive {
                self.send(&keepalive())?;
                next_keepalive = now + keepalive_every;
            }
            let wait = end.min(next_keepalive).saturating_duration_since(now);
            match self.recv(wait) {
                Ok(Received::Message(Message::Keepalive)) => keepalives += 1,
                Ok(Received::Message(Message::Update(_))) => {}
                Ok(other) => {
                    return Err(Error::Check(format!(
                    "expected the session to stay up, got {other:?} after {keepalives} KEEPALIVEs"
                )))
                }
                Err(Error::Timeout { .. }) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends `bytes` one at a time, one every `every`, watching for the speaker's answer in
    /// between; returns the first NOTIFICATION that arrives (with the time since the drip
    /// began), or `None` when the whole drip was sent without one.
    pub fn drip(
        &mut self,
        bytes: &[u8],
        every: Duration,
    ) -> Result<Option<(Notification, Duration)>> {
        let start = Instant::now();
        for byte in bytes {
            self.send(std::slice::from_ref(byte))?;
            let next = Instant::now() + every;
            while let Some(left) = next.checked_duration_since(Instant::now()) {
                match self.recv(left) {
                    Ok(Received::Message(Message::Notification(n))) => {
                        return Ok(Some((n, start.elapsed())))
                    }
                    Ok(Received::Message(Message::Keepalive | Message::Update(_))) => {}
                    Err(Error::Timeout { .. }) => break,
                    Ok(other) => {
                        return Err(Error::Check(format!(
                            "during the drip the speaker sent {other:?}"
                        )))
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(None)
    }

    /// Waits for an UPDATE announcing `prefix` (e.g. `203.0.113.7/32`), skipping KEEPALIVEs
    /// and other UPDATEs; returns how long it took.
    pub fn expect_route(&mut self, prefix: &str, timeout: Duration) -> Result<Duration> {
        let start = Instant::now();
        loop {
            let left = timeout.saturating_sub(start.elapsed());
            match self.recv(left)? {
                Received::Message(Message::Update(update))
                    if update.nlri.iter().any(|p| p.to_string() == prefix) =>
                {
                    return Ok(start.elapsed())
                }
                Received::Message(Message::Keepalive | Message::Update(_)) => {}
                other => {
                    return Err(Error::Check(format!(
                        "expected an UPDATE for {prefix}, got {other:?}"
                    )))
                }
            }
        }
    }
}
