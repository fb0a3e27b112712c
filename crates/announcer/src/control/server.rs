//! The daemon's side of the control socket: accepts connections, reads request lines, hands
//! each request to the daemon task and writes its reply. A malformed request gets an error
//! reply and changes nothing.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{UnixListener, UnixStream};
use tokio::sync::mpsc;
use tracing::{debug, warn};

use super::protocol::{Reply, Request, MAX_REQUEST_LEN};

/// A request on its way to the daemon task, with where to send the replies: at most a
/// [`Reply::Draining`] and then the final one.
pub type Call = (Request, mpsc::Sender<Reply>);

/// The most replies one request gets.
const MAX_REPLIES: usize = 2;

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

    /// Serves connections until the daemon task stops taking calls.
    pub async fn serve(self, calls: mpsc::Sender<Call>) {
        loop {
            match self.listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(serve_connection(stream, calls.clone()));
                }
                Err(e) => {
                    warn!(socket = %self.path.display(), error = %e, "control socket accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
            if calls.is_closed() {
                return;
            }
        }
    }
}

impl Drop for ControlSocket {
    fn drop(&mut self) {
        let _ = fs::remove_file(&self.path);
    }
}

async fn serve_connection(stream: UnixStream, calls: mpsc::Sender<Call>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read.take(MAX_REQUEST_LEN as u64 * 16)).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        let request = if line.len() > MAX_REQUEST_LEN {
            Err(Reply::failed(format!(
                "request longer than {MAX_REQUEST_LEN} bytes"
            )))
        } else {
            serde_json::from_str::<Request>(&line)
                .map_err(|e| Reply::failed(format!("malformed request: {e}")))
        };
        let (replies_tx, mut replies) = mpsc::channel(MAX_REPLIES);
        match request {
            Ok(request) => {
                if calls.send((request, replies_tx)).await.is_err() {
                    replies = closed_with(Reply::failed("announcer is shutting down"));
                }
            }
            Err(reply) => replies = closed_with(reply),
        }
        for _ in 0..MAX_REPLIES {
            let reply = replies
                .recv()
                .await
                .unwrap_or_else(|| Reply::failed("announcer is shutting down"));
            let last = !matches!(reply, Reply::Draining { .. });
            let mut text = serde_json::to_string(&reply).unwrap_or_else(|e| {
                format!("{{\"ok\":false,\"error\":\"cannot encode reply: {e}\"}}")
            });
            text.push('\n');
            if write.write_all(text.as_bytes()).await.is_err() {
                debug!("control client went away");
                return;
            }
            if last {
                break;
            }
        }
    }
}

/// A reply channel that holds just `reply`.
fn closed_with(reply: Reply) -> mpsc::Receiver<Reply> {
    let (tx, rx) = mpsc::channel(1);
    let _ = tx.try_send(reply);
    rx
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    use tokio::net::UnixStream;
    use tokio::sync::mpsc;

    use super::*;

    async fn exchange(path: &Path, line: &str) -> serde_json::Value {
        let mut stream = UnixStream::connect(path).await.unwrap();
        stream.write_all(line.as_bytes()).await.unwrap();
        let mut reply = String::new();
        BufReader::new(stream).read_line(&mut reply).await.unwrap();
        serde_json::from_str(&reply).unwrap()
    }

    #[tokio::test]
    async fn the_socket_is_private_and_a_malformed_request_never_reaches_the_daemon() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run/announcer.sock");
        let socket = ControlSocket::bind(&path, None).unwrap();
        assert_eq!(
            fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let (calls, mut daemon) = mpsc::channel(4);
        tokio::spawn(socket.serve(calls));

        let reply = exchange(&path, "{\"command\":\"reboot\"}\n").await;
        assert_eq!(reply["ok"], false);
        assert!(
            reply["error"]
                .as_str()
                .unwrap()
                .starts_with("malformed request"),
            "{reply}"
        );
        assert!(daemon.try_recv().is_err(), "nothing reached the daemon");

        let answer = tokio::spawn(async move {
            let (request, reply) = daemon.recv().await.unwrap();
            assert_eq!(request, Request::Announce { prefixes: vec![] });
            reply.send(Reply::done("maintenance over")).await.unwrap();
        });
        let reply = exchange(&path, "{\"command\":\"announce\"}\n").await;
        assert_eq!(reply["message"], "maintenance over");
        answer.await.unwrap();
    }

    #[tokio::test]
    async fn a_second_daemon_on_the_same_socket_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("announcer.sock");
        let _first = ControlSocket::bind(&path, None).unwrap();
        assert!(matches!(
            ControlSocket::bind(&path, None),
            Err(ServerError::InUse(_))
        ));
    }

    #[tokio::test]
    async fn a_stale_socket_file_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("announcer.sock");
        drop(std::os::unix::net::UnixListener::bind(&path).unwrap());
        assert!(path.exists());
        ControlSocket::bind(&path, None).unwrap();
    }
}
