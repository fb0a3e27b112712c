//! One TCP connection's I/O: the outbound connect (with MD5, TTL and source address), a reader
//! task that frames messages, and a writer task that drains an outgoing queue.
//!
//! The tasks never interpret messages; they post [`IoEvent`]s to the session task. The queue
//! counts its bytes ([`Conn::queued`]) so that the session stops queueing UPDATEs while the
//! peer does not read, and asks to be told ([`IoEvent::Drained`]) when there is room again;
//! the writer also records when it last got bytes into the socket, for the send hold timer.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::config::{PeerConfig, TtlMode};
use crate::fsm::ConnId;
use crate::sockopt;
use crate::wire::{frame_len, DecodeError, HEADER_LEN, MAX_MESSAGE_LEN};

/// What the I/O tasks tell the session task.
#[derive(Debug)]
pub(crate) enum IoEvent {
    /// The outbound connection attempt finished.
    Connected(io::Result<TcpStream>),
    /// A whole message arrived on a connection.
    Frame(ConnId, Bytes),
    /// The byte stream on a connection cannot be framed; the bytes are the offending header.
    BadFrame(ConnId, DecodeError, Bytes),
    /// The connection ended (EOF, reset or I/O error).
    Closed(ConnId, Option<io::Error>),
    /// The queue is empty (all of it reached the socket), as [`Conn::notify_when_drained`]
    /// asked.
    Drained(ConnId),
}
/// How long a closed connection's writer may take to flush what is queued (a NOTIFICATION
/// included) before it is abandoned: a peer that does not read never takes it.
const CLOSE_FLUSH: Duration = Duration::from_secs(5);

/// What the session task and a connection's writer share.
#[derive(Debug, Default)]
struct Shared {
    /// Bytes queued and not yet in the socket.
    queued: AtomicUsize,
    /// The session waits for [`IoEvent::Drained`].
    notify_drained: AtomicBool,
    /// When bytes last reached the socket, not yet reported to the session.
    last_write: Mutex<Option<Instant>>,
}

/// A live connection as the session task holds it.
#[derive(Debug)]
pub(crate) struct Conn {
    /// Our end of the connection.
    pub local: SocketAddr,
    /// The writer's queue. Unbounded as a channel; the session keeps what it holds bounded
    /// (UPDATEs only while [`Conn::queued`] is below its limit; other messages are few).
    outgoing: mpsc::UnboundedSender<Bytes>,
    shared: Arc<Shared>,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
}

impl Conn {
    /// Starts the reader and writer tasks for `stream`.
    pub fn start(id: ConnId, stream: TcpStream, events: mpsc::Sender<IoEvent>) -> io::Result<Conn> {
        let local = stream.local_addr()?;
        stream.set_nodelay(true)?;
        let (read, write) = stream.into_split();
        let (outgoing, queue) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared::default());
        let reader = tokio::spawn(read_frames(id, read, events.clone()));
        let writer = tokio::spawn(write_queue(id, write, queue, Arc::clone(&shared), events));
        Ok(Conn {
            local,
            outgoing,
            shared,
            reader,
            writer,
        })
    }

    /// Queues bytes for sending; false when the writer has already stopped.
    pub fn send(&self, bytes: Bytes) -> bool {
        let len = bytes.len();
        self.shared.queued.fetch_add(len, Ordering::Relaxed);
        if self.outgoing.send(bytes).is_ok() {
            return true;
        }
        self.shared.queued.fetch_sub(len, Ordering::Relaxed);
        false
    }

    /// Bytes queued that have not reached the socket yet.
    pub fn queued(&self) -> usize {
        self.shared.queued.load(Ordering::Relaxed)
    }

    /// Asks the writer for one [`IoEvent::Drained`] once the queue is empty.
    pub fn notify_when_drained(&self) {
        self.shared.notify_drained.store(true, Ordering::Relaxed);
    }

    /// When queued bytes last reached the socket, if they did since the last call.
    pub fn take_last_write(&self) -> Option<Instant> {
        self.shared
            .last_write
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
    }

    /// Lets the writer flush what is queued and close our side, and keeps reading until the
    /// peer closes its side too (it has then read everything we sent, a NOTIFICATION
    /// included). Returns the writer's and the reader's handles, which finish in that order;
    /// the writer gives up after [`CLOSE_FLUSH`].
    pub fn close_when_peer_has_read(self) -> (JoinHandle<()>, JoinHandle<()>) {
        drop(self.outgoing);
        (bounded(self.writer), self.reader)
    }

    /// Stops reading and lets the writer flush what is queued (for at most [`CLOSE_FLUSH`]),
    /// then close. The returned handle finishes when the connection is closed.
    pub fn close(self) -> JoinHandle<()> {
        self.reader.abort();
        drop(self.outgoing);
        bounded(self.writer)
    }
}

/// A task that waits for `writer` for at most [`CLOSE_FLUSH`], then aborts it (a peer that
/// does not read would keep it, and its queue, forever).
fn bounded(mut writer: JoinHandle<()>) -> JoinHandle<()> {
    tokio::spawn(async move {
        if tokio::time::timeout(CLOSE_FLUSH, &mut writer)
            .await
            .is_err()
        {
            writer.abort();
        }
    })
}

/// Reads, frames and posts messages until the stream ends or cannot be framed.
async fn read_frames(id: ConnId, mut read: OwnedReadHalf, events: mpsc::Sender<IoEvent>) {
    let mut buf = BytesMut::with_capacity(2 * MAX_MESSAGE_LEN);
    loop {
        loop {
            match frame_len(&buf) {
                Ok(Some(len)) if buf.len() >= len => {
                    let frame = buf.split_to(len).freeze();
                    if events.send(IoEvent::Frame(id, frame)).await.is_err() {
                        return;
                    }
                }
                Ok(_) => break,
                Err(e) => {
                    let header = buf.split_to(buf.len().min(HEADER_LEN)).freeze();
                    let _ = events.send(IoEvent::BadFrame(id, e, header)).await;
                    return;
                }
            }
        }
        buf.reserve(MAX_MESSAGE_LEN);
        match read.read_buf(&mut buf).await {
            Ok(0) => {
                let _ = events.send(IoEvent::Closed(id, None)).await;
                return;
            }
            Ok(_) => {}
            Err(e) => {
                let _ = events.send(IoEvent::Closed(id, Some(e))).await;
                return;
            }
        }
    }
}

/// Writes queued bytes in order, counting what reaches the socket; shuts the stream down
/// when the queue is closed.
async fn write_queue(
    id: ConnId,
    mut write: OwnedWriteHalf,
    mut queue: mpsc::UnboundedReceiver<Bytes>,
    shared: Arc<Shared>,
    events: mpsc::Sender<IoEvent>,
) {
    while let Some(mut bytes) = queue.recv().await {
        while bytes.has_remaining() {
            let written = match write.write(&bytes).await {
                Ok(0) => Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => Ok(n),
                Err(e) => Err(e),
            };
            let n = match written {
                Ok(n) => n,
                Err(e) => {
                    let _ = events.send(IoEvent::Closed(id, Some(e))).await;
                    return;
                }
            };
            bytes.advance(n);
            *shared
                .last_write
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
            let left = shared
                .queued
                .fetch_sub(n, Ordering::Relaxed)
                .saturating_sub(n);
            if left == 0 && shared.notify_drained.swap(false, Ordering::Relaxed) {
                let _ = events.send(IoEvent::Drained(id)).await;
            }
        }
    }
    let _ = write.shutdown().await;
}

/// Opens the outbound connection to `peer` with its socket options.
pub(crate) async fn connect(peer: &PeerConfig) -> io::Result<TcpStream> {
    let target = peer.socket_addr();
    let socket = match target {
        SocketAddr::V4(_) => TcpSocket::new_v4()?,
        SocketAddr::V6(_) => TcpSocket::new_v6()?,
    };
    apply_socket_options(&socket, peer)?;
    if let Some(local) = peer.local_address {
        socket.bind(SocketAddr::new(local, 0)).map_err(|e| {
            io::Error::new(e.kind(), format!("cannot bind local address {local}: {e}"))
        })?;
    }
    socket.connect(target).await
}

/// MD5 key and TTL settings for a socket to `peer`.
fn apply_socket_options(socket: &TcpSocket, peer: &PeerConfig) -> io::Result<()> {
    set_md5(socket, peer)?;
    apply_ttl(&socket2::SockRef::from(socket), peer)
}

/// Installs the peer's TCP MD5 key, if it has one, on a connecting or listening socket.
pub(crate) fn set_md5(socket: &impl std::os::fd::AsRawFd, peer: &PeerConfig) -> io::Result<()> {
    let Some(password) = &peer.password else {
        return Ok(());
    };
    sockopt::set_tcp_md5(socket, peer.address, password.expose())
        .map_err(|e| io::Error::new(e.kind(), format!("cannot set TCP MD5 signature: {e}")))
}

/// Sets the TTL (hop limit) and, for GTSM, the minimum accepted TTL.
pub(crate) fn apply_ttl(socket: &socket2::SockRef<'_>, peer: &PeerConfig) -> io::Result<()> {
    let (ttl, min) = match peer.ttl {
        TtlMode::Default => return Ok(()),
        TtlMode::Multihop(ttl) => (ttl, None),
        TtlMode::Security { hops } => (u8::MAX, Some(u8::MAX - hops.max(1) + 1)),
    };
    match peer.address {
        std::net::IpAddr::V4(_) => socket.set_ttl(u32::from(ttl))?,
        std::net::IpAddr::V6(_) => socket.set_unicast_hops_v6(u32::from(ttl))?,
    }
    if let Some(min) = min {
        sockopt::set_min_ttl(&**socket, peer.address, min)?;
    }
    Ok(())
}
