//! A canned HTTP/1.1 server on 127.0.0.1 for probe tests: it reads one request
//! head per connection, reports it, then behaves as told.

// Test code: a panic is how a test fails, helpers included.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

/// What the server does once it has read a request head.
#[derive(Clone)]
pub enum Behavior {
    /// Writes these bytes and closes.
    Answer(Vec<u8>),
    /// Writes these bytes and then keeps the connection open without a word.
    Stall(Vec<u8>),
}

impl Behavior {
    /// A complete response with `status` and `body`.
    pub fn respond(status: u16, body: &str) -> Self {
        Behavior::Answer(
            format!(
                "HTTP/1.1 {status} Canned\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    }

    /// Accepts and never answers.
    pub fn silent() -> Self {
        Behavior::Stall(Vec::new())
    }
}

/// A running test server; dropping it stops it and its connections.
pub struct TestServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Request heads received, in order.
    pub requests: mpsc::UnboundedReceiver<String>,
    /// The accept loop and the connections.
    _tasks: JoinSet<()>,
}

impl TestServer {
    /// Starts a server on an ephemeral loopback port.
    pub async fn start(behavior: Behavior) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (report, requests) = mpsc::unbounded_channel();
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut connections = JoinSet::new();
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                connections.spawn(serve(stream, behavior.clone(), report.clone()));
            }
        });
        TestServer {
            addr,
            requests,
            _tasks: tasks,
        }
    }

    /// An http:// URL on this server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The next request head received, waiting a bounded time.
    pub async fn next_request(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(5), self.requests.recv())
            .await
            .unwrap()
            .unwrap()
    }
}

/// Reads one request head from `stream`, reports it and acts out `behavior`.
async fn serve(mut stream: TcpStream, behavior: Behavior, report: mpsc::UnboundedSender<String>) {
    let mut head = Vec::new();
    let mut chunk = [0_u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
    }
    let _ = report.send(String::from_utf8_lossy(&head).into_owned());
    match behavior {
        Behavior::Answer(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Behavior::Stall(bytes) => {
            let _ = stream.write_all(&bytes).await;
            std::future::pending::<()>().await;
        }
    }
}

/// The value of header `name` in a request head, if present.
pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name).then(|| value.trim())
    })
}
