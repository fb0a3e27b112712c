//! The daemon's side of the control socket: accepts connections, reads request lines, hands
//! each request (with who sent it) to the daemon task and writes its reply. A malformed
//! request gets an error reply and changes nothing.
//!
//! Bounded as [`limits`](super::limits) decides: the accept loop owns the table of live
//! connections, and each connection's task reports what it does (waiting for a request,
//! working on one, gone) on a channel. A connection that has to make room, or that comes
//! when every slot is working, gets the [`BUSY`] reply and is closed.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

use super::limits::{
    frame, Admission, ConnectionId, Connections, Limits, Phase, BUSY, MAX_REQUESTS_PER_CONNECTION,
    WRITE_TIMEOUT,
};
use super::protocol::{Reply, Request};
use super::requester::Requester;

/// A request as the daemon task receives it: what was asked and who asked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Requested {
    /// The request.
    pub request: Request,
    /// The process that sent it, when the kernel could say.
    pub by: Option<Requester>,
}

/// A request on its way to the daemon task, with where to send the replies: at most a
/// [`Reply::Draining`] and then the final one.
pub type Call = (Requested, mpsc::Sender<Reply>);

/// The most replies one request gets.
const MAX_REPLIES: usize = 2;

/// How long the accept loop waits after a failed accept (e.g. out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The most connection reports the accept loop takes in one go before it accepts again.
const MAX_EVENTS_PER_ROUND: usize = 4 * super::limits::MAX_CONNECTIONS;

/// Why the control socket could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// Another daemon answers on the socket.
    #[error("another announcer is already running on {0}")]
    InUse(PathBuf),
    /// The socket (or its directory, or its permissions) could not be set up.
    #[error("control socket {path}: {source}")]
    Io {
        /// The socket path.
        path: PathBuf,
        /// The OS error.
        source: io::Error,
    },
    /// The configured group does not exist.
    #[error("control socket {path}: no group named {group:?}")]
    NoSuchGroup {
        /// The socket path.
        path: PathBuf,
        /// The group name.
        group: String,
    },
}

/// The bound control socket.
pub struct ControlSocket {
    listener: UnixListener,
    path: PathBuf,
}

/// What a connection's task tells the accept loop.
#[derive(Debug)]
enum Event {
    /// The connection does this now.
    Phase(ConnectionId, Phase),
    /// The connection is closed.
    Gone(ConnectionId),
}

/// Tells the accept loop that its connection is gone when the task ends, however it ends.
struct GoneOnDrop {
    id: ConnectionId,
    events: mpsc::UnboundedSender<Event>,
}

impl Drop for GoneOnDrop {
    fn drop(&mut self) {
        let _ = self.events.send(Event::Gone(self.id));
    }
}

/// One connection's task: its stream and what it shares with the accept loop.
struct Connection {
    stream: UnixStream,
    calls: mpsc::Sender<Call>,
    by: Option<Requester>,
    limits: Limits,
    /// Fires when the connection has to make room for a newer one.
    displaced: oneshot::Receiver<()>,
    gone: GoneOnDrop,
}

impl ControlSocket {
    /// Binds `path` (replacing a stale socket nobody answers on), mode 0600, or 0660 owned by
    /// `group` when one is given.
    pub fn bind(path: &Path, group: Option<&str>) -> Result<ControlSocket, ServerError> {
        let io_error = |source| ServerError::Io {
            path: path.to_owned(),
            source,
        };
        if std::os::unix::net::UnixStream::connect(path).is_ok() {
            return Err(ServerError::InUse(path.to_owned()));
        }
        match fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_error(e)),
            _ => {}
        }
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(io_error)?;
        }
        let listener = UnixListener::bind(path).map_err(io_error)?;
        let mode = match group {
            Some(name) => {
                let gid = nix::unistd::Group::from_name(name)
                    .ok()
                    .flatten()
                    .ok_or_else(|| ServerError::NoSuchGroup {
                        path: path.to_owned(),
                        group: name.to_owned(),
                    })?
                    .gid;
                std::os::unix::fs::chown(path, None, Some(gid.as_raw())).map_err(io_error)?;
                0o660
            }
            None => 0o600,
        };
        fs::set_permissions(path, fs::Permissions::from_mode(mode)).map_err(io_error)?;
        Ok(ControlSocket {
            listener,
            path: path.to_owned(),
        })
    }

    /// Serves connections with the default [`Limits`] until the daemon task stops taking
    /// calls.
    pub async fn serve(self, calls: mpsc::Sender<Call>) {
        self.serve_with(calls, Limits::default()).await;
    }

    /// Serves connections within `limits` until the daemon task stops taking calls.
    pub async fn serve_with(self, calls: mpsc::Sender<Call>, limits: Limits) {
        let (events_tx, mut events) = mpsc::unbounded_channel();
        let mut live = Connections::new(limits.max_connections);
        loop {
            tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        take_events(&mut live, &mut events);
                        admit(&mut live, stream, &calls, &events_tx, limits);
                        // Let a displaced connection close before the next accept, so a burst
                        // holds few descriptors beyond the cap.
                        tokio::task::yield_now().await;
                    }
                    Err(e) => {
                        warn!(socket = %self.path.display(), error = %e, live = live.len(), "control socket accept failed");
                        tokio::time::sleep(ACCEPT_BACKOFF).await;
                    }
                },
                Some(event) = events.recv() => apply(&mut live, event),
                () = calls.closed() => return,
            }
        }
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

/// Folds the reports waiting on `events` into `live`, so an admission sees what each
/// connection does now.
fn take_events(
    live: &mut Connections<oneshot::Sender<()>>,
    events: &mut mpsc::UnboundedReceiver<Event>,
) {
    for _ in 0..MAX_EVENTS_PER_ROUND {
        match events.try_recv() {
            Ok(event) => apply(live, event),
            Err(_) => return,
        }
    }
}

fn apply(live: &mut Connections<oneshot::Sender<()>>, event: Event) {
    match event {
        Event::Phase(id, phase) => live.set_phase(id, phase),
        Event::Gone(id) => {
            live.remove(id);
        }
    }
}

/// Serves `stream` if [`Connections::admission`] allows, closing the connection it displaces;
/// otherwise replies [`BUSY`] and closes it without reading.
fn admit(
    live: &mut Connections<oneshot::Sender<()>>,
    stream: UnixStream,
    calls: &mpsc::Sender<Call>,
    events: &mpsc::UnboundedSender<Event>,
    limits: Limits,
) {
    match live.admission() {
        Admission::Admit => {}
        Admission::Displace(id) => {
            debug!(
                connection = id,
                "control connection idle at the cap; closing it to make room"
            );
            if let Some(displace) = live.remove(id) {
                let _ = displace.send(());
            }
        }
        Admission::Refuse => {
            // Not a warning: a client retrying in a loop would flood the log.
            debug!(
                live = live.len(),
                "control connection refused: every slot is working on a request"
            );
            refuse(stream);
            return;
        }
    }
    let by = match stream.peer_cred() {
        Ok(cred) => Some(Requester::new(cred.uid(), cred.pid())),
        Err(e) => {
            debug!(error = %e, "no peer credentials on a control connection");
            None
        }
    };
    let (displace, displaced) = oneshot::channel();
    let id = live.insert(displace, Instant::now());
    let connection = Connection {
        stream,
        calls: calls.clone(),
        by,
        limits,
        displaced,
        gone: GoneOnDrop {
            id,
            events: events.clone(),
        },
    };
    tokio::spawn(connection.serve());
}

impl Connection {
    /// Reads requests and writes their replies until the client closes, sends something
    /// that is not a request line, is too slow, or has to make room.
    async fn serve(self) {
        let Connection {
            stream,
            calls,
            by,
            limits,
            mut displaced,
            gone,
        } = self;
        let (read, mut write) = stream.into_split();
        let mut reader = BufReader::new(read);
        for _ in 0..MAX_REQUESTS_PER_CONNECTION {
            let line = tokio::select! {
                biased;
                displace = &mut displaced => {
                    // Made room for a newer connection; or the accept loop is gone (the
                    // daemon is stopping) and nothing more will be served.
                    if displace.is_ok() {
                        let _ = write_reply(&mut write, &Reply::failed(BUSY)).await;
                    }
                    return;
                }
                line = tokio::time::timeout(limits.request_timeout, read_line(&mut reader, limits.max_request_len)) => line,
            };
            let line = match line {
                Err(_elapsed) => {
                    debug!(
                        connection = gone.id,
                        "control client sent no request in time"
                    );
                    let timeout = limits.request_timeout;
                    let reply = Reply::failed(format!("no complete request within {timeout:?}"));
                    let _ = write_reply(&mut write, &reply).await;
                    return;
                }
                Ok(Err(e)) => {
                    debug!(connection = gone.id, error = %e, "control connection read failed");
                    return;
                }
                Ok(Ok(Ok(None))) => return,
                Ok(Ok(Err(reply))) => {
                    let _ = write_reply(&mut write, &reply).await;
                    return;
                }
                Ok(Ok(Ok(Some(line)))) => line,
            };
            let _ = gone.events.send(Event::Phase(gone.id, Phase::Working));
            if let Err(e) = answer(&line, by, &calls, &mut write).await {
                debug!(connection = gone.id, error = %e, "control client went away");
                return;
            }
            let waiting = Phase::Waiting(Instant::now());
            let _ = gone.events.send(Event::Phase(gone.id, waiting));
        }
    }
}

/// Reads one request line of at most `max` bytes: `None` at the end of the stream, a
/// failed [`Reply`] for a line that is too long or not text (the rest is never read).
async fn read_line(
    reader: &mut (impl AsyncBufRead + Unpin),
    max: usize,
) -> io::Result<Result<Option<String>, Reply>> {
    let mut bytes = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    reader.take(limit).read_until(b'\n', &mut bytes).await?;
    Ok(frame(bytes, max).map_err(|e| Reply::failed(e.message())))
}

/// Answers one request line: its refusal if it is malformed, else what the daemon task
/// answers (a [`Reply::Draining`] at once, then the final reply when it comes).
async fn answer(
    line: &str,
    by: Option<Requester>,
    calls: &mpsc::Sender<Call>,
    write: &mut (impl AsyncWrite + Unpin),
) -> io::Result<()> {
    let shutting_down = || Reply::failed("announcer is shutting down");
    let request = match serde_json::from_str::<Request>(line) {
        Ok(request) => request,
        Err(e) => {
            return write_reply(write, &Reply::failed(format!("malformed request: {e}"))).await
        }
    };
    let (replies_tx, mut replies) = mpsc::channel(MAX_REPLIES);
    if calls
        .send((Requested { request, by }, replies_tx))
        .await
        .is_err()
    {
        return write_reply(write, &shutting_down()).await;
    }
    for _ in 0..MAX_REPLIES {
        let reply = replies.recv().await.unwrap_or_else(shutting_down);
        write_reply(write, &reply).await?;
        if !matches!(reply, Reply::Draining { .. }) {
            break;
        }
    }
    Ok(())
}

/// `reply` as one line of JSON.
fn reply_line(reply: &Reply) -> String {
    let mut text = serde_json::to_string(reply)
        .unwrap_or_else(|e| format!("{{\"ok\":false,\"error\":\"cannot encode reply: {e}\"}}"));
    text.push('\n');
    text
}

/// Writes `reply` as one line, giving up after [`WRITE_TIMEOUT`] on a client that does not
/// read.
async fn write_reply(write: &mut (impl AsyncWrite + Unpin), reply: &Reply) -> io::Result<()> {
    let line = reply_line(reply);
    match tokio::time::timeout(WRITE_TIMEOUT, write.write_all(line.as_bytes())).await {
        Ok(written) => written,
        Err(_elapsed) => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the control client does not read its reply",
        )),
    }
}

/// Replies [`BUSY`] to a connection there is no room for, without waiting (the reply fits an
/// empty socket buffer), and closes it.
fn refuse(stream: UnixStream) {
    let _ = stream.try_write(reply_line(&Reply::failed(BUSY)).as_bytes());
}

#[cfg(test)]
mod tests;
