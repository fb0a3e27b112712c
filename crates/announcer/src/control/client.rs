//! The CLI's side of the control socket: one request, one reply, bounded in time.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::protocol::{Reply, Request};

/// How long the client waits for the daemon.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Why a request could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Nothing listens on the socket.
    #[error("cannot reach the announcer daemon at {path}: {source} (is `announcer run` running?)")]
    Connect {
        /// The socket path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The exchange failed half-way.
    #[error("talking to the announcer daemon at {path}: {source}")]
    Exchange {
        /// The socket path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The reply was not understood.
    #[error("the announcer daemon at {path} sent a reply that is not understood: {source}")]
    BadReply {
        /// The socket path.
        path: PathBuf,
        /// The parse error.
        source: serde_json::Error,
    },
}

/// Sends `request` to the daemon listening on `path` and returns its final reply; a
/// [`Reply::Draining`] before it goes to `progress`, and extends the wait by its drain time.
pub fn send(
    path: &Path,
    request: &Request,
    mut progress: impl FnMut(&str),
) -> Result<Reply, ClientError> {
    let exchange = |source| ClientError::Exchange {
        path: path.to_owned(),
        source,
    };
    let stream = UnixStream::connect(path).map_err(|source| ClientError::Connect {
        path: path.to_owned(),
        source,
    })?;
    stream.set_read_timeout(Some(TIMEOUT)).map_err(exchange)?;
    stream.set_write_timeout(Some(TIMEOUT)).map_err(exchange)?;
    let mut line = serde_json::to_string(request).map_err(|source| ClientError::BadReply {
        path: path.to_owned(),
        source,
    })?;
    line.push('\n');
    (&stream).write_all(line.as_bytes()).map_err(exchange)?;
    let mut reader = BufReader::new(&stream);
    let mut read_reply = || {
        let mut text = String::new();
        reader.read_line(&mut text).map_err(exchange)?;
        serde_json::from_str(&text).map_err(|source| ClientError::BadReply {
            path: path.to_owned(),
            source,
        })
    };
    match read_reply()? {
        Reply::Draining {
            draining_ms,
            message,
            ..
        } => {
            progress(&message);
            stream
                .set_read_timeout(Some(Duration::from_millis(draining_ms) + TIMEOUT))
                .map_err(exchange)?;
            read_reply()
        }
        reply => Ok(reply),
    }
}
