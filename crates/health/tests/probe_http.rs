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

#[tokio::test]
async fn status_200_passes() {
    let server = TestServer::start(Behavior::respond(200, "fine")).await;
    let result = probe(&get(server.url("/health")), TIMEOUT).await;
    assert!(result.pass, "{result:?}");
    assert_eq!(result.detail, "HTTP 200");
}

#[tokio::test]
async fn status_500_fails_with_the_status_as_detail() {
    let server = TestServer::start(Behavior::respond(500, "broken")).await;
    let result = probe(&get(server.url("/")), TIMEOUT).await;
    assert!(!result.pass);
    assert_eq!(result.detail, "HTTP 500");
}

#[tokio::test]
async fn status_404_passes_when_404_is_expected() {
    let server = TestServer::start(Behavior::respond(404, "")).await;
    let check = HttpCheck {
        expect_status: ExpectStatus(vec![404..=404]),
        ..get(server.url("/gone"))
    };
    let result = probe(&check, TIMEOUT).await;
    assert!(result.pass, "{result:?}");
    assert_eq!(result.detail, "HTTP 404");
}

#[tokio::test]
async fn status_404_fails_by_default() {
    let server = TestServer::start(Behavior::respond(404, "")).await;
    let result = probe(&get(server.url("/gone")), TIMEOUT).await;
    assert!(!result.pass);
    assert_eq!(result.detail, "HTTP 404");
}

#[tokio::test]
async fn a_server_that_never_answers_fails_at_the_timeout() {
    let server = TestServer::start(Behavior::silent()).await;
    let start = Instant::now();
    let result = probe(&get(server.url("/")), SHORT).await;
    let elapsed = start.elapsed();
    assert!(!result.pass);
    assert_eq!(result.detail, "timed out after 300ms");
    assert!(elapsed >= SHORT, "{elapsed:?}");
    assert!(elapsed < SHORT + MARGIN, "{elapsed:?}");
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
    let check = HttpCheck {
        expect_body: Some("ok".into()),
        ..get(server.url("/"))
    };
    let start = Instant::now();
    let result = probe(&check, SHORT).await;
    let elapsed = start.elapsed();
    assert!(!result.pass);
    assert_eq!(result.detail, "timed out after 300ms");
    assert!(elapsed >= SHORT, "{elapsed:?}");
    assert!(elapsed < SHORT + MARGIN, "{elapsed:?}");
}

#[tokio::test]
async fn an_expected_body_present_passes() {
    let server = TestServer::start(Behavior::respond(200, "status: ok\n")).await;
    let check = HttpCheck {
        expect_body: Some("ok".into()),
        ..get(server.url("/"))
    };
    let result = probe(&check, TIMEOUT).await;
    assert!(result.pass, "{result:?}");
}

#[tokio::test]
async fn an_expected_body_absent_fails() {
    let server = TestServer::start(Behavior::respond(200, "status: degraded\n")).await;
    let check = HttpCheck {
        expect_body: Some("ok".into()),
        ..get(server.url("/"))
    };
    let result = probe(&check, TIMEOUT).await;
    assert!(!result.pass);
    assert_eq!(result.detail, "body lacks \"ok\"");
}

#[tokio::test]
async fn the_body_is_searched_only_up_to_the_cap() {
    let body = format!("{}ok", "x".repeat(BODY_CAP));
    let server = TestServer::start(Behavior::respond(200, &body)).await;
    let check = HttpCheck {
        expect_body: Some("ok".into()),
        ..get(server.url("/"))
    };
    let result = probe(&check, TIMEOUT).await;
    assert!(!result.pass);
    assert_eq!(result.detail, "body lacks \"ok\"");
}

#[tokio::test]
async fn the_expected_body_is_not_checked_against_an_unexpected_status() {
    let server = TestServer::start(Behavior::respond(503, "ok")).await;
    let check = HttpCheck {
        expect_body: Some("ok".into()),
        ..get(server.url("/"))
    };
    let result = probe(&check, TIMEOUT).await;
    assert!(!result.pass);
    assert_eq!(result.detail, "HTTP 503");
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
