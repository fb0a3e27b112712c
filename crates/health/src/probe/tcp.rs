//! TCP probe: passes when a connection to the address is established in time.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;

use super::{connect_failed, timed, ProbeResult, Verdict};

/// Connects to `address` and closes at once; passes when the connect succeeds
/// within `timeout`.
pub async fn probe(address: SocketAddr, timeout: Duration) -> ProbeResult {
    timed(timeout, async {
        match TcpStream::connect(address).await {
            Ok(_) => Verdict::pass("connected"),
            Err(err) => connect_failed(&err),
        }
    })
    .await
}
