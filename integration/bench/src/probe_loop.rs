//! The kernel's share of a health checker's work: HTTP probes, each on a
//! fresh TCP connection, at a fixed rate from one blocking loop that does
//! nothing else (the `probe-loop` binary). Its CPU time in the footprint
//! scenario is the floor under any checker that opens a connection per
//! probe: connect, one `GET` with `Connection: close`, read to EOF, close.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// How long a probe waits for each read of its response.
pub const READ_TIMEOUT: Duration = Duration::from_secs(1);

/// The probes to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probes {
    /// The web server.
    pub address: SocketAddr,
    /// The path fetched, e.g. `/healthz`.
    pub path: String,
    /// Probes per second (at least 1).
    pub rate: u32,
    /// How long to probe.
    pub duration: Duration,
}

impl Probes {
    /// The request every probe sends.
    pub fn request(&self) -> String {
        format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.path, self.address
        )
    }

    /// How many probes: `rate` per second of `duration`.
    pub fn count(&self) -> u64 {
        let nanos = self.duration.as_nanos() * u128::from(self.rate.max(1)) / 1_000_000_000;
        u64::try_from(nanos).unwrap_or(u64::MAX)
    }

    /// When probe `i` is due, from the start: `i / rate` seconds.
    fn due(&self, i: u64) -> Duration {
        Duration::from_nanos(i.saturating_mul(1_000_000_000) / u64::from(self.rate.max(1)))
    }
}

/// One probe: `TcpStream::connect`, write `request`, read the response to
/// EOF (into `response`, cleared first), drop the connection; an error
/// unless the status is 200.
pub fn probe(address: SocketAddr, request: &[u8], response: &mut Vec<u8>) -> Result<(), String> {
    let mut stream = TcpStream::connect(address).map_err(|e| format!("connect {address}: {e}"))?;
    stream
        .set_read_timeout(Some(READ_TIMEOUT))
        .map_err(|e| format!("set a read timeout: {e}"))?;
    stream
        .write_all(request)
        .map_err(|e| format!("send the request: {e}"))?;
    response.clear();
    stream
        .read_to_end(response)
        .map_err(|e| format!("read the response: {e}"))?;
    if response.starts_with(b"HTTP/1.1 200 ") {
        Ok(())
    } else {
        let head = response.split(|&b| b == b'\r').next().unwrap_or_default();
        Err(format!("answered {:?}", String::from_utf8_lossy(head)))
    }
}

/// Makes [`Probes::count`] probes, probe `i` at `i / rate` seconds from the
/// start (one that is late goes at once); stops at the first that fails.
/// Returns how many it made.
pub fn run(probes: &Probes) -> Result<u64, String> {
    let request = probes.request();
    let mut response = Vec::with_capacity(256);
    let start = Instant::now();
    let count = probes.count();
    for i in 0..count {
        let due = probes.due(i);
        if let Some(wait) = due.checked_sub(start.elapsed()) {
            std::thread::sleep(wait);
        }
        probe(probes.address, request.as_bytes(), &mut response)
            .map_err(|e| format!("probe {} of {count}: {e}", i + 1))?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, TcpListener};

    /// A server answering `answers` connections, one each, with `status`.
    fn server(status: &'static str, answers: usize) -> SocketAddr {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for stream in listener.incoming().take(answers) {
                let mut stream = stream.unwrap();
                let mut head = [0u8; 512];
                let n = stream.read(&mut head).unwrap();
                assert!(head[..n].ends_with(b"Connection: close\r\n\r\n"));
                let body = format!("HTTP/1.1 {status}\r\nContent-Length: 2\r\n\r\nok");
                stream.write_all(body.as_bytes()).unwrap();
            }
        });
        address
    }

    fn probes(address: SocketAddr, duration: Duration) -> Probes {
        Probes {
            address,
            path: "/healthz".to_owned(),
            rate: 100,
            duration,
        }
    }

    #[test]
    fn probes_are_counted_and_spread_at_the_rate() {
        let five = probes(server("200 OK", 5), Duration::from_millis(50));
        assert_eq!(five.count(), 5);
        assert_eq!(five.due(3), Duration::from_millis(30));
        assert!(five
            .request()
            .starts_with("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:"));
        let start = Instant::now();
        assert_eq!(run(&five), Ok(5));
        assert!(start.elapsed() >= Duration::from_millis(40));
    }

    #[test]
    fn a_probe_that_is_not_answered_200_stops_the_loop() {
        let failing = probes(
            server("500 Internal Server Error", 1),
            Duration::from_secs(1),
        );
        let error = run(&failing).unwrap_err();
        assert!(
            error.starts_with("probe 1 of 100: answered \"HTTP/1.1 500"),
            "{error}"
        );
    }
}
