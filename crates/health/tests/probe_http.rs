//! The HTTP probe against canned servers on 127.0.0.1.

mod support;

use std::time::{Duration, Instant};

use announcer_health::probe::http::{probe, BODY_CAP};
use announcer_health::{ExpectStatus, HttpCheck, HttpMethod};
use support::http_server::{header, Behavior, TestServer};
use tokio::net::TcpListener;

const TIMEOUT: Duration = Duration::from_secs(5);
const SHORT: Duration = Duration::from_millis(300);
/// How much later than its timeout a probe may return: generous for a loaded machine, and
/// still far below what these tests catch (a probe waiting for a server that never answers).
const MARGIN: Duration = Duration::from_secs(5);
/// A timeout a refused connection must not wait out.
const LONG: Duration = Duration::from_secs(60);
/// "At once" on a loaded machine: generous, and still far below [`LONG`].
const FAST: Duration = Duration::from_secs(10);

fn get(url: String) -> HttpCheck {
    HttpCheck {
        url,
        method: HttpMethod::Get,
        expect_status: ExpectStatus::default(),
        expect_body: None,
        host: None,
    }
}

/// `check` with the expected body "ok".
fn expect_ok(check: HttpCheck) -> HttpCheck {
    HttpCheck {
        expect_body: Some("ok".into()),
        ..check
    }
}

/// Probes `check` with the [`SHORT`] timeout and asserts that it fails by timing out, neither
/// before the timeout nor long after.
async fn fails_at_the_short_timeout(check: &HttpCheck) {
    let start = Instant::now();
    let result = probe(check, SHORT).await;
    let elapsed = start.elapsed();
    assert!(!result.pass);
    assert_eq!(result.detail, "timed out after 300ms");
    assert!(elapsed >= SHORT, "{elapsed:?}");
    assert!(elapsed < SHORT + MARGIN, "{elapsed:?}");
}

/// A server's answer and what the probe makes of it: `Ok(detail)` passes, `Err(detail)`
/// fails.
struct Case {
    name: &'static str,
    status: u16,
    body: String,
    check: fn(HttpCheck) -> HttpCheck,
    verdict: Result<&'static str, &'static str>,
}

#[tokio::test]
async fn the_status_then_the_body_decide_pass_or_fail() {
    const LACKS_OK: &str = "body lacks \"ok\"";
    let same = |check| check;
    let expect_404 = |check| HttpCheck {
        expect_status: ExpectStatus(vec![404..=404]),
        ..check
    };
    let case = |name, status, body: &str, check, verdict| Case {
        name,
        status,
        body: body.to_owned(),
        check,
        verdict,
    };
    let past_cap = format!("{}ok", "x".repeat(BODY_CAP));
    let cases = [
        case("200", 200, "fine", same, Ok("HTTP 200")),
        case("500", 500, "broken", same, Err("HTTP 500")),
        case("404 expected", 404, "", expect_404, Ok("HTTP 404")),
        case("404 by default", 404, "", same, Err("HTTP 404")),
        case("ok", 200, "status: ok\n", expect_ok, Ok("HTTP 200")),
        case("no ok", 200, "status: degraded\n", expect_ok, Err(LACKS_OK)),
        case("ok past the cap", 200, &past_cap, expect_ok, Err(LACKS_OK)),
        case("503 with ok", 503, "ok", expect_ok, Err("HTTP 503")),
    ];
    let mut failures = Vec::new();
    for case in cases {
        let server = TestServer::start(Behavior::respond(case.status, &case.body)).await;
        let result = probe(&(case.check)(get(server.url("/"))), TIMEOUT).await;
        let detail = result.detail.as_str();
        if (if result.pass { Ok(detail) } else { Err(detail) }) != case.verdict {
            failures.push(format!("{}: got {result:?}", case.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn a_server_that_never_answers_fails_at_the_timeout() {
    let server = TestServer::start(Behavior::silent()).await;
    fails_at_the_short_timeout(&get(server.url("/"))).await;
}

#[tokio::test]
async fn a_refused_connection_fails_fast() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let start = Instant::now();
    let result = probe(&get(format!("http://{addr}/")), LONG).await;
    let elapsed = start.elapsed();
    assert!(!result.pass);
    assert_eq!(result.detail, "connect refused");
    assert!(elapsed < FAST, "{elapsed:?}");
}

#[tokio::test]
async fn a_body_slower_than_the_timeout_fails() {
    let head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial";
    let server = TestServer::start(Behavior::Stall(head.as_bytes().to_vec())).await;
    fails_at_the_short_timeout(&expect_ok(get(server.url("/")))).await;
}

#[tokio::test]
async fn head_sends_a_head_request_and_reads_no_body() {
    let head = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
    let mut server = TestServer::start(Behavior::Stall(head.as_bytes().to_vec())).await;
    let check = HttpCheck {
        method: HttpMethod::Head,
        ..get(server.url("/running"))
    };
    let result = probe(&check, TIMEOUT).await;
    assert!(result.pass, "{result:?}");
    let request = server.next_request().await;
    assert!(
        request.starts_with("HEAD /running HTTP/1.1\r\n"),
        "{request}"
    );
}

#[tokio::test]
async fn the_host_header_defaults_to_the_url_authority() {
    let mut server = TestServer::start(Behavior::respond(200, "")).await;
    let result = probe(&get(server.url("/?deep=1")), TIMEOUT).await;
    assert!(result.pass, "{result:?}");
    let request = server.next_request().await;
    assert!(
        request.starts_with("GET /?deep=1 HTTP/1.1\r\n"),
        "{request}"
    );
    let expected = server.addr.to_string();
    assert_eq!(header(&request, "host"), Some(expected.as_str()));
}

#[tokio::test]
async fn the_host_header_can_be_overridden() {
    let mut server = TestServer::start(Behavior::respond(200, "")).await;
    let check = HttpCheck {
        host: Some("www.example.org".into()),
        ..get(server.url("/"))
    };
    let result = probe(&check, TIMEOUT).await;
    assert!(result.pass, "{result:?}");
    let request = server.next_request().await;
    assert_eq!(header(&request, "host"), Some("www.example.org"));
}

#[tokio::test]
async fn a_server_closing_without_an_answer_fails() {
    let server = TestServer::start(Behavior::Answer(Vec::new())).await;
    let result = probe(&get(server.url("/")), TIMEOUT).await;
    assert!(!result.pass);
    assert!(result.detail.starts_with("HTTP: "), "{}", result.detail);
}

#[tokio::test]
async fn https_fails_with_a_clear_detail() {
    let result = probe(&get("https://127.0.0.1/".into()), TIMEOUT).await;
    assert!(!result.pass);
    assert_eq!(result.detail, "https:// is not supported, only http://");
}

#[tokio::test]
async fn an_unresolvable_host_fails_with_a_dns_detail() {
    let result = probe(&get("http://nonexistent.invalid/".into()), SHORT).await;
    assert!(!result.pass);
    assert!(
        result.detail.starts_with("DNS: ") || result.detail.starts_with("timed out"),
        "{}",
        result.detail
    );
}
