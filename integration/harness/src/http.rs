//! Bounded HTTP/1.1 GET loops run from inside a namespace: one thread enters
//! the namespace (`setns`, which changes only that thread's network
//! namespace), opens short connections with timeouts and tallies which server
//! answered (the body of the lab's `web-server`): `count` of them, or in the
//! background until stopped ([`ClientLoop`]).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::netns::{in_namespace, Netns};

/// Connect, read and write timeout of each request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(1);
/// The largest response read.
const MAX_RESPONSE: u64 = 64 * 1024;

/// What a GET loop saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Answers with status 200, by body (the server's name).
    pub answers: BTreeMap<String, usize>,
    /// Every request that failed or did not get a 200, with why and when.
    pub failures: Vec<Failure>,
}

/// A request that failed or did not get a 200.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// When its connection was opened.
    pub started: Instant,
    /// When it failed.
    pub ended: Instant,
    /// What went wrong.
    pub why: String,
}

impl Failure {
    /// Whether the connection was open at some moment of `from..=to`.
    pub fn open_during(&self, from: Instant, to: Instant) -> bool {
        self.started <= to && self.ended >= from
    }
}

impl Tally {
    /// Sends one request and records its outcome.
    fn request(&mut self, address: SocketAddr, path: &str) {
        let started = Instant::now();
        let why = match get(address, path) {
            Ok(Response { status: 200, body }) => {
                *self.answers.entry(body).or_insert(0) += 1;
                return;
            }
            Ok(other) => format!("{other:?}"),
            Err(e) => e,
        };
        self.failures.push(Failure {
            started,
            ended: Instant::now(),
            why,
        });
    }

    /// Why each failed request failed.
    pub fn failure_reasons(&self) -> Vec<&str> {
        self.failures.iter().map(|f| f.why.as_str()).collect()
    }

    /// How many 200 answers came from `server`.
    pub fn answers_from(&self, server: &str) -> usize {
        self.answers.get(server).copied().unwrap_or(0)
    }
}

/// An answer: status code and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The body, trimmed.
    pub body: String,
}

/// Sends `GET path` to `address` `count` times from inside the network
/// namespace named `namespace`, each on a new connection (so each gets a new
/// source port), and tallies the answers.
pub fn get_many(namespace: &str, address: SocketAddr, path: &str, count: usize) -> Result<Tally> {
    let path = path.to_owned();
    in_namespace(namespace, move || {
        let mut tally = Tally::default();
        for _ in 0..count {
            tally.request(address, &path);
        }
        tally
    })
}

/// Short connections in the background, one after another with `pause` between them, until
/// [`ClientLoop::stop`] (or `limit` time, whichever is first).
#[derive(Debug)]
pub struct ClientLoop {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Result<Tally>>,
}

impl ClientLoop {
    /// Starts the loop from the namespace named `namespace` to `address`.
    pub fn start(
        namespace: &str,
        address: SocketAddr,
        path: &str,
        pause: Duration,
        limit: Duration,
    ) -> ClientLoop {
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let namespace = namespace.to_owned();
        let path = path.to_owned();
        let thread = std::thread::spawn(move || {
            in_namespace(&namespace, move || {
                let end = Instant::now() + limit;
                let mut tally = Tally::default();
                while !stopped.load(Ordering::Relaxed) && Instant::now() < end {
                    tally.request(address, &path);
                    std::thread::sleep(pause);
                }
                tally
            })
        });
        ClientLoop { stop, thread }
    }

    /// Stops the loop and returns what it saw.
    pub fn stop(self) -> Result<Tally> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| Error::Check("the client loop panicked".into()))?
    }
}

/// Sends one `GET path` to `address` from inside `ns`.
pub fn get_once(ns: &Netns, address: SocketAddr, path: &str) -> Result<Response> {
    let owned = path.to_owned();
    in_namespace(ns.name(), move || get(address, &owned))?
        .map_err(|e| Error::Check(format!("GET http://{address}{path} in {}: {e}", ns.name())))
}

/// One request on a new connection; `Err` says what failed.
fn get(address: SocketAddr, path: &str) -> std::result::Result<Response, String> {
    let mut stream = TcpStream::connect_timeout(&address, REQUEST_TIMEOUT)
        .map_err(|e| format!("connect {address}: {e}"))?;
    stream
        .set_read_timeout(Some(REQUEST_TIMEOUT))
        .and_then(|()| stream.set_write_timeout(Some(REQUEST_TIMEOUT)))
        .map_err(|e| format!("set timeouts: {e}"))?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| format!("send to {address}: {e}"))?;
    let mut raw = Vec::new();
    stream
        .take(MAX_RESPONSE)
        .read_to_end(&mut raw)
        .map_err(|e| format!("read from {address}: {e}"))?;
    parse_response(&String::from_utf8_lossy(&raw))
}

/// Parses `HTTP/1.1 200 OK\r\n...\r\n\r\nbody`.
fn parse_response(text: &str) -> std::result::Result<Response, String> {
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| format!("no end of head in {text:?}"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("no status in {head:?}"))?;
    Ok(Response {
        status,
        body: body.trim().to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_gives_its_status_and_trimmed_body() {
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nweb1\n";
        assert_eq!(
            parse_response(text).unwrap(),
            Response {
                status: 200,
                body: "web1".into()
            }
        );
        assert!(parse_response("HTTP/1.1 200 OK\r\n").is_err());
        assert!(parse_response("garbage\r\n\r\n").is_err());
    }

    #[test]
    fn a_tally_counts_answers_per_server() {
        let mut tally = Tally::default();
        tally.answers.insert("web1".into(), 3);
        assert_eq!(tally.answers_from("web1"), 3);
        assert_eq!(tally.answers_from("web2"), 0);
    }

    #[test]
    fn a_failure_was_open_during_the_moments_its_connection_spans() {
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let failure = Failure {
            started: at(10),
            ended: at(20),
            why: "reset".into(),
        };
        for (from, to, open) in [
            (0, 9, false),
            (0, 10, true),
            (15, 16, true),
            (20, 30, true),
            (21, 30, false),
        ] {
            assert_eq!(failure.open_during(at(from), at(to)), open, "{from}..={to}");
        }
    }
}
