//! The TCP probe against 127.0.0.1.

use std::time::{Duration, Instant};

use announcer_health::probe::tcp::probe;
use tokio::net::TcpListener;

const TIMEOUT: Duration = Duration::from_secs(5);
/// A timeout a refused connection must not wait out.
const LONG: Duration = Duration::from_secs(60);
/// "At once" on a loaded machine: generous, and still far below [`LONG`].
const FAST: Duration = Duration::from_secs(10);

#[tokio::test]
async fn an_open_port_passes() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let result = probe(listener.local_addr().unwrap(), TIMEOUT).await;
    assert!(result.pass, "{result:?}");
    assert_eq!(result.detail, "connected");
}

#[tokio::test]
async fn a_closed_port_fails_fast_as_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let start = Instant::now();
    let result = probe(addr, LONG).await;
    let elapsed = start.elapsed();
    assert!(!result.pass);
    assert_eq!(result.detail, "connect refused");
    assert!(elapsed < FAST, "{elapsed:?}");
}
