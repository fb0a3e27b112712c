//! The `/metrics` endpoint: HTTP/1.1 on `[metrics] listen`, GET (or HEAD) `/metrics` only.
//! Each scrape asks the daemon's main loop for a [`Snapshot`] and encodes it off the loop.
//! Bounded: at most [`MAX_CONNECTIONS`] at once (more are closed at once), each for at most
//! [`CONNECTION_TIMEOUT`], a request head within [`HEADER_TIMEOUT`].

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, Semaphore};
use tracing::{debug, warn};

use super::{encode, Snapshot};
use crate::error::Error;

/// The most scrape connections served at once.
pub const MAX_CONNECTIONS: usize = 16;
/// The longest one connection lives.
pub const CONNECTION_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client may take to send a request head.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a scrape waits for the daemon's snapshot.
const SNAPSHOT_TIMEOUT: Duration = Duration::from_secs(5);
/// The content type of the page (prometheus-client writes OpenMetrics text).
const CONTENT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A scrape's request for a snapshot: the daemon answers on it.
pub type Scrape = oneshot::Sender<Snapshot>;

/// The bound listener.
pub struct MetricsServer {
    listener: TcpListener,
}

impl MetricsServer {
    /// Listens on `addr`.
    pub async fn bind(addr: SocketAddr) -> Result<MetricsServer, Error> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| Error::Metrics { addr, source })?;
        Ok(MetricsServer { listener })
    }

    /// Serves scrapes until the task is aborted; snapshots are asked of `scrapes`.
    pub async fn serve(self, scrapes: mpsc::Sender<Scrape>) {
        let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        loop {
            let (stream, from) = match self.listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    warn!(error = %e, "metrics: accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Ok(slot) = Arc::clone(&slots).try_acquire_owned() else {
                debug!(%from, "metrics: too many connections; closing this one");
                continue;
            };
            let scrapes = scrapes.clone();
            tokio::spawn(async move {
                let service = service_fn(move |request| answer(request, scrapes.clone()));
                let connection = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(HEADER_TIMEOUT)
                    .keep_alive(false)
                    .serve_connection(TokioIo::new(stream), service);
                if tokio::time::timeout(CONNECTION_TIMEOUT, connection)
                    .await
                    .is_err()
                {
                    debug!(%from, "metrics: connection timed out");
                }
                drop(slot);
            });
        }
    }
}

/// The response to one request.
async fn answer(
    request: Request<Incoming>,
    scrapes: mpsc::Sender<Scrape>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.uri().path() != "/metrics" {
        return Ok(plain(
            StatusCode::NOT_FOUND,
            "not found: metrics are at /metrics\n",
        ));
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return Ok(plain(StatusCode::METHOD_NOT_ALLOWED, "GET /metrics\n"));
    }
    let Some(snapshot) = snapshot(&scrapes).await else {
        return Ok(plain(
            StatusCode::SERVICE_UNAVAILABLE,
            "the daemon did not answer\n",
        ));
    };
    let page = tokio::task::spawn_blocking(move || encode(&snapshot)).await;
    let Ok(Ok(page)) = page else {
        return Ok(plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "cannot encode the metrics\n",
        ));
    };
    let mut response = Response::new(Full::new(Bytes::from(page)));
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(CONTENT));
    Ok(response)
}

/// Asks the daemon for a snapshot, within [`SNAPSHOT_TIMEOUT`].
async fn snapshot(scrapes: &mpsc::Sender<Scrape>) -> Option<Snapshot> {
    let (tx, rx) = oneshot::channel();
    let asked = async {
        scrapes.send(tx).await.ok()?;
        rx.await.ok()
    };
    tokio::time::timeout(SNAPSHOT_TIMEOUT, asked)
        .await
        .ok()
        .flatten()
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}
