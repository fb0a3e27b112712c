//! HTTP probe: one request over a fresh HTTP/1.1 connection (hyper), http:// only.
//!
//! The probe resolves the URL's host, connects, sends GET or HEAD with the Host
//! header (the URL's authority unless overridden) and passes when the status is
//! expected and, if asked, the first [`BODY_CAP`] bytes of the body contain the
//! expected text. Everything, DNS included, is bounded by the timeout.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper::header::{CONNECTION, HOST, USER_AGENT};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::{lookup_host, TcpStream};
use tokio::task::JoinSet;

use super::{connect_failed, timed, ProbeResult, Verdict};
use crate::spec::{HttpCheck, HttpMethod};

/// How much of a response body is searched for the expected text.
pub const BODY_CAP: usize = 64 * 1024;

/// Runs the HTTP check once, bounded by `timeout`.
pub async fn probe(check: &HttpCheck, timeout: Duration) -> ProbeResult {
    timed(timeout, async {
        match exchange(check).await {
            Ok(verdict) | Err(verdict) => verdict,
        }
    })
    .await
}

/// Where a URL points: what to resolve and connect to, and what to ask for.
struct Target {
    /// Host name or IP address, without IPv6 brackets.
    host: String,
    /// TCP port, 80 unless the URL names one.
    port: u16,
    /// The Host header value: host and optional port, without user info.
    authority: String,
    /// Path and query, "/" when the URL has none.
    path: String,
}

impl Target {
    /// Parses an http:// URL; anything else is a failing verdict.
    fn parse(url: &str) -> Result<Self, Verdict> {
        let uri: Uri = url
            .parse()
            .map_err(|err| Verdict::fail(format!("bad URL {url:?}: {err}")))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => {
                return Err(Verdict::fail(format!(
                    "{other}:// is not supported, only http://"
                )))
            }
            None => return Err(Verdict::fail(format!("URL {url:?} lacks http://"))),
        }
        let authority = uri
            .authority()
            .ok_or_else(|| Verdict::fail(format!("URL {url:?} lacks a host")))?;
        let host_port = authority
            .as_str()
            .rsplit_once('@')
            .map_or(authority.as_str(), |(_, host_port)| host_port);
        Ok(Target {
            host: authority
                .host()
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            port: authority.port_u16().unwrap_or(80),
            authority: host_port.to_owned(),
            path: uri
                .path_and_query()
                .map_or("/", |path| path.as_str())
                .to_owned(),
        })
    }
}

/// The whole exchange; `Err` carries the failing verdict of an early stop.
async fn exchange(check: &HttpCheck) -> Result<Verdict, Verdict> {
    let target = Target::parse(&check.url)?;
    let stream = connect(&target).await?;
    let (mut sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|err| Verdict::fail(format!("HTTP: {err}")))?;
    // The connection is driven by its own task, aborted when this set is
    // dropped at the end of the exchange or when the timeout drops the exchange.
    let mut driver = JoinSet::new();
    driver.spawn(connection);
    let method = match check.method {
        HttpMethod::Get => Method::GET,
        HttpMethod::Head => Method::HEAD,
    };
    let request = Request::builder()
        .method(method)
        .uri(target.path.as_str())
        .header(HOST, check.host.as_deref().unwrap_or(&target.authority))
        .header(USER_AGENT, "announcer-health")
        .header(CONNECTION, "close")
        .body(Empty::<Bytes>::new())
        .map_err(|err| Verdict::fail(format!("bad request: {err}")))?;
    let response = sender
        .send_request(request)
        .await
        .map_err(|err| Verdict::fail(format!("HTTP: {err}")))?;
    let status = response.status().as_u16();
    if !check.expect_status.contains(status) {
        return Err(Verdict::fail(format!("HTTP {status}")));
    }
    if let Some(needle) = &check.expect_body {
        let found = body_contains(response.into_body(), needle.as_bytes())
            .await
            .map_err(|err| Verdict::fail(format!("body: {err}")))?;
        if !found {
            return Err(Verdict::fail(format!("body lacks {needle:?}")));
        }
    }
    Ok(Verdict::pass(format!("HTTP {status}")))
}

/// Resolves the target's host and connects to the first address that accepts.
async fn connect(target: &Target) -> Result<TcpStream, Verdict> {
    let addresses = lookup_host((target.host.as_str(), target.port))
        .await
        .map_err(|err| Verdict::fail(format!("DNS: {err}")))?;
    let mut failure = Verdict::fail(format!("DNS: no address for {}", target.host));
    for address in addresses {
        match TcpStream::connect(address).await {
            Ok(stream) => return Ok(stream),
            Err(err) => failure = connect_failed(&err),
        }
    }
    Err(failure)
}

/// Reads at most [`BODY_CAP`] bytes of `body`, stopping early once `needle` is seen.
async fn body_contains(mut body: Incoming, needle: &[u8]) -> Result<bool, hyper::Error> {
    let mut seen: Vec<u8> = Vec::new();
    while seen.len() < BODY_CAP {
        let Some(frame) = body.frame().await else {
            break;
        };
        if let Ok(data) = frame?.into_data() {
            let room = BODY_CAP.saturating_sub(seen.len());
            seen.extend_from_slice(data.get(..room).unwrap_or(&data));
            if contains(&seen, needle) {
                return Ok(true);
            }
        }
    }
    Ok(contains(&seen, needle))
}

/// True when `needle` occurs in `haystack`; the empty needle occurs everywhere.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_url_targets_port_80_and_the_root_path() {
        let target = Target::parse("http://example.org").unwrap();
        assert_eq!(target.host, "example.org");
        assert_eq!(target.port, 80);
        assert_eq!(target.authority, "example.org");
        assert_eq!(target.path, "/");
    }

    #[test]
    fn a_url_keeps_its_port_path_and_query() {
        let target = Target::parse("http://127.0.0.1:8080/health?deep=1").unwrap();
        assert_eq!(target.host, "127.0.0.1");
        assert_eq!(target.port, 8080);
        assert_eq!(target.authority, "127.0.0.1:8080");
        assert_eq!(target.path, "/health?deep=1");
    }

    #[test]
    fn an_ipv6_url_resolves_without_brackets_but_sends_them_in_host() {
        let target = Target::parse("http://[::1]:81/").unwrap();
        assert_eq!(target.host, "::1");
        assert_eq!(target.authority, "[::1]:81");
    }

    #[test]
    fn user_info_is_not_sent_in_the_host_header() {
        let target = Target::parse("http://user:pw@example.org:81/").unwrap();
        assert_eq!(target.authority, "example.org:81");
    }

    #[test]
    fn an_https_url_is_refused_with_a_clear_detail() {
        let verdict = Target::parse("https://example.org/").err().unwrap();
        assert!(!verdict.pass);
        assert_eq!(verdict.detail, "https:// is not supported, only http://");
    }

    #[test]
    fn a_url_without_scheme_is_refused() {
        let verdict = Target::parse("/health").err().unwrap();
        assert!(
            verdict.detail.contains("lacks http://"),
            "{}",
            verdict.detail
        );
    }

    #[test]
    fn contains_finds_a_needle_anywhere_and_the_empty_needle_always() {
        assert!(contains(b"status: ok\n", b"ok"));
        assert!(!contains(b"status: ko\n", b"ok"));
        assert!(!contains(b"o", b"ok"));
        assert!(contains(b"", b""));
    }
}
