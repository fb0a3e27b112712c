//! A tiny HTTP/1.1 server for the web nodes of the labs (the daemon lab, the
//! topologies under `integration/topologies/` and the `announcer:latest`
//! container image).
//!
//! `web-server --listen ADDR:PORT [--listen ...] --name web1 --health-file PATH`:
//! `GET /healthz` answers 200 "ok" unless PATH exists or health was switched
//! down (then 500 "unhealthy"); `GET /` answers 200 with the server's name as
//! the body, so a client sees which server answered; `GET /load` answers 200
//! "ok", or 503 "busy" while the `--busy-file` exists (a soft check: the
//! server still serves, but would rather others did); anything else is 404.
//! `HEAD` is answered like `GET` without the body. Every connection is
//! closed after one response.
//!
//! Health is flipped by creating or removing PATH, or over HTTP from the
//! node itself: `POST /health/down` and `POST /health/up` (accepted only
//! from a loopback address, so clients of the VIP cannot flip it).
//!
//! Two optional files make the server misbehave, for fault tests (each
//! stalled connection is held until the client closes it, at most
//! [`STALL_LIMIT`]):
//! - `--hang-file PATH`: while it exists, `GET /healthz` gets a status line
//!   and a header, then nothing more: the response head never ends;
//! - `--mute-file PATH`: while it exists, every connection is accepted and
//!   never answered.
//!
//! `--listen [::]:80` next to `--listen 0.0.0.0:80`: the IPv6 wildcard is
//! bound first; where it is dual-stack (the kernel default) it also serves
//! IPv4 and the IPv4 wildcard is then skipped.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;

/// How long a client may take to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest request head read; longer requests get 431.
const MAX_HEAD_LINES: usize = 100;
/// The longest a stalled connection is held open.
const STALL_LIMIT: Duration = Duration::from_secs(120);
/// What a hanging `/healthz` sends before it stalls: an unfinished head.
const HANG_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n";

/// Command-line options.
#[derive(Parser, Debug)]
struct Options {
    /// An address to listen on (repeatable), e.g. `0.0.0.0:80`.
    #[arg(long = "listen", required = true)]
    listen: Vec<SocketAddr>,
    /// The body of `GET /`: which server answered.
    #[arg(long)]
    name: String,
    /// While this file exists, `GET /healthz` answers 500.
    #[arg(long)]
    health_file: PathBuf,
    /// While this file exists, `GET /load` answers 503 "busy".
    #[arg(long)]
    busy_file: Option<PathBuf>,
    /// While this file exists, `GET /healthz` sends part of a head, then stalls.
    #[arg(long)]
    hang_file: Option<PathBuf>,
    /// While this file exists, connections are accepted and never answered.
    #[arg(long)]
    mute_file: Option<PathBuf>,
}

/// What the server answers with.
#[derive(Debug)]
struct Site {
    name: String,
    health_file: PathBuf,
    /// Set by `POST /health/down`, cleared by `POST /health/up`.
    switched_down: AtomicBool,
    /// `--busy-file`.
    busy_file: Option<PathBuf>,
    /// `--hang-file`.
    hang_file: Option<PathBuf>,
    /// `--mute-file`.
    mute_file: Option<PathBuf>,
}

impl Site {
    /// Whether the fault file `path` is given and exists.
    fn faulty(path: Option<&PathBuf>) -> bool {
        path.is_some_and(|path| path.exists())
    }
}

fn main() -> ExitCode {
    let options = Options::parse();
    let site = Arc::new(Site {
        name: options.name,
        health_file: options.health_file,
        switched_down: AtomicBool::new(false),
        busy_file: options.busy_file,
        hang_file: options.hang_file,
        mute_file: options.mute_file,
    });
    let Some(listeners) = bind_all(&options.listen, &site.name) else {
        return ExitCode::FAILURE;
    };
    eprintln!(
        "web-server {} listening on {:?}, unhealthy while {} exists",
        site.name,
        options.listen,
        site.health_file.display()
    );
    let threads: Vec<_> = listeners
        .into_iter()
        .map(|listener| {
            let site = Arc::clone(&site);
            std::thread::spawn(move || serve(&listener, &site))
        })
        .collect();
    for thread in threads {
        let _ = thread.join();
    }
    ExitCode::SUCCESS
}

/// Binds every address, IPv6 first; an IPv4 wildcard already served by a
/// dual-stack IPv6 wildcard on the same port is skipped. `None` (after a
/// message) when an address cannot be bound.
fn bind_all(addresses: &[SocketAddr], name: &str) -> Option<Vec<TcpListener>> {
    let mut ordered = addresses.to_vec();
    ordered.sort_by_key(SocketAddr::is_ipv4);
    let mut listeners: Vec<TcpListener> = Vec::new();
    for address in ordered {
        match TcpListener::bind(address) {
            Ok(listener) => listeners.push(listener),
            Err(e)
                if e.kind() == ErrorKind::AddrInUse && dual_stack_covers(&listeners, address) =>
            {
                eprintln!(
                    "web-server {name}: {address} is served by [::]:{}",
                    address.port()
                );
            }
            Err(e) => {
                eprintln!("web-server {name}: cannot listen on {address}: {e}");
                return None;
            }
        }
    }
    Some(listeners)
}

/// Whether `address` is the IPv4 wildcard and one of `listeners` is the IPv6
/// wildcard on the same port (which then also accepts IPv4).
fn dual_stack_covers(listeners: &[TcpListener], address: SocketAddr) -> bool {
    address.is_ipv4()
        && address.ip().is_unspecified()
        && listeners.iter().any(|listener| {
            listener.local_addr().is_ok_and(|local| {
                local.is_ipv6() && local.ip().is_unspecified() && local.port() == address.port()
            })
        })
}

/// Accepts connections for ever, one thread per connection.
fn serve(listener: &TcpListener, site: &Arc<Site>) {
    for stream in listener.incoming() {
        match stream {
            Ok(stream) => {
                let site = Arc::clone(site);
                std::thread::spawn(move || {
                    if let Err(e) = answer(stream, &site) {
                        eprintln!("web-server {}: {e}", site.name);
                    }
                });
            }
            Err(e) => eprintln!("web-server {}: accept: {e}", site.name),
        }
    }
}

/// Reads one request head and writes one response, then closes.
fn answer(stream: TcpStream, site: &Site) -> std::io::Result<()> {
    if Site::faulty(site.mute_file.as_ref()) {
        return hold(stream);
    }
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    stream.set_write_timeout(Some(READ_TIMEOUT))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut complete = false;
    for _ in 0..MAX_HEAD_LINES {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line.trim_end().is_empty() {
            complete = true;
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method == "GET" && target == "/healthz" && Site::faulty(site.hang_file.as_ref()) {
        let mut stream = stream;
        stream.write_all(HANG_HEAD)?;
        stream.flush()?;
        return hold(stream);
    }
    let from_node = stream.peer_addr()?.ip().to_canonical().is_loopback();
    let (status, body) = if complete {
        route(method, target, from_node, site)
    } else {
        ("431 Request Header Fields Too Large", String::new())
    };
    let body = if method == "HEAD" { "" } else { body.as_str() };
    let mut stream = stream;
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}

/// Holds a stalled connection without answering: reads and discards until
/// the client closes it, or [`STALL_LIMIT`] passes.
fn hold(mut stream: TcpStream) -> std::io::Result<()> {
    let deadline = Instant::now() + STALL_LIMIT;
    stream.set_read_timeout(Some(READ_TIMEOUT))?;
    let mut sink = [0_u8; 1024];
    while Instant::now() < deadline {
        match stream.read(&mut sink) {
            Ok(0) => return Ok(()),
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The status line and body for `method target`; `from_node` says whether
/// the client is on the node itself (a loopback address).
fn route(method: &str, target: &str, from_node: bool, site: &Site) -> (&'static str, String) {
    if method == "POST" {
        return switch_health(target, from_node, site);
    }
    if method != "GET" && method != "HEAD" {
        return ("405 Method Not Allowed", String::new());
    }
    match target {
        "/healthz" if unhealthy(site) => ("500 Internal Server Error", "unhealthy".to_owned()),
        "/healthz" => ("200 OK", "ok".to_owned()),
        "/load" if Site::faulty(site.busy_file.as_ref()) => {
            ("503 Service Unavailable", "busy".to_owned())
        }
        "/load" => ("200 OK", "ok".to_owned()),
        "/" => ("200 OK", site.name.clone()),
        _ => ("404 Not Found", String::new()),
    }
}

/// `POST /health/down` or `/health/up` from the node itself.
fn switch_health(target: &str, from_node: bool, site: &Site) -> (&'static str, String) {
    let down = match target {
        "/health/down" => true,
        "/health/up" => false,
        _ => return ("404 Not Found", String::new()),
    };
    if !from_node {
        return ("403 Forbidden", "only from the node itself\n".to_owned());
    }
    site.switched_down.store(down, Ordering::Relaxed);
    let state = if down { "down" } else { "up" };
    eprintln!("web-server {}: health switched {state}", site.name);
    ("200 OK", format!("health switched {state}\n"))
}

/// Whether health was switched down or the health file exists.
fn unhealthy(site: &Site) -> bool {
    site.switched_down.load(Ordering::Relaxed) || site.health_file.exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> Site {
        Site {
            name: "web1".to_owned(),
            health_file: PathBuf::from("/nonexistent/web-server-test/unhealthy"),
            switched_down: AtomicBool::new(false),
            busy_file: None,
            hang_file: None,
            mute_file: None,
        }
    }

    #[test]
    fn load_is_busy_while_the_busy_file_exists() {
        let busy = std::env::temp_dir().join(format!("web-server-busy-{}", std::process::id()));
        let site = Site {
            busy_file: Some(busy.clone()),
            ..site()
        };
        assert_eq!(route("GET", "/load", false, &site).0, "200 OK");
        std::fs::write(&busy, "").unwrap();
        let answer = route("GET", "/load", false, &site);
        std::fs::remove_file(&busy).unwrap();
        assert_eq!(answer.0, "503 Service Unavailable");
        assert_eq!(route("GET", "/healthz", false, &site).0, "200 OK");
    }

    #[test]
    fn health_is_switched_over_http_only_from_the_node_itself() {
        let site = site();
        assert_eq!(route("GET", "/healthz", false, &site).0, "200 OK");
        assert_eq!(
            route("POST", "/health/down", false, &site).0,
            "403 Forbidden"
        );
        assert_eq!(route("GET", "/healthz", false, &site).0, "200 OK");
        assert_eq!(route("POST", "/health/down", true, &site).0, "200 OK");
        assert_eq!(
            route("GET", "/healthz", false, &site).0,
            "500 Internal Server Error"
        );
        assert_eq!(route("GET", "/", false, &site).1, "web1");
        assert_eq!(route("POST", "/health/up", true, &site).0, "200 OK");
        assert_eq!(route("GET", "/healthz", false, &site).0, "200 OK");
        assert_eq!(route("POST", "/other", true, &site).0, "404 Not Found");
    }

    /// What a client gets from a one-connection server with `site`: the
    /// bytes that arrived within half a second of sending `GET /healthz`.
    fn first_bytes(site: Site) -> Vec<u8> {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (stream, _) = listener.accept().unwrap();
            answer(stream, &site)
        });
        let mut client = TcpStream::connect(address).unwrap();
        client
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        client
            .set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let mut seen = Vec::new();
        let mut chunk = [0_u8; 256];
        while let Ok(read @ 1..) = client.read(&mut chunk) {
            seen.extend_from_slice(&chunk[..read]);
        }
        drop(client);
        server.join().unwrap().unwrap();
        seen
    }

    #[test]
    fn a_hanging_health_endpoint_sends_an_unfinished_head_and_a_mute_one_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let fault = dir.path().join("fault");
        std::fs::write(&fault, "").unwrap();
        let hanging = Site {
            hang_file: Some(fault.clone()),
            ..site()
        };
        assert_eq!(first_bytes(hanging), HANG_HEAD);
        let mute = Site {
            mute_file: Some(fault.clone()),
            ..site()
        };
        assert!(first_bytes(mute).is_empty());
        std::fs::remove_file(&fault).unwrap();
        let healed = Site {
            hang_file: Some(fault),
            ..site()
        };
        assert!(first_bytes(healed).starts_with(b"HTTP/1.1 200 OK\r\n"));
    }

    #[test]
    fn only_the_ipv4_wildcard_on_the_same_port_is_covered_by_the_ipv6_wildcard() {
        let Ok(v6) = TcpListener::bind("[::]:0") else {
            return; // no IPv6 here
        };
        let port = v6.local_addr().unwrap().port();
        let listeners = [v6];
        let v4 = |text: &str| text.parse::<SocketAddr>().unwrap();
        assert!(dual_stack_covers(
            &listeners,
            v4(&format!("0.0.0.0:{port}"))
        ));
        assert!(!dual_stack_covers(
            &listeners,
            v4(&format!("127.0.0.1:{port}"))
        ));
        assert!(!dual_stack_covers(&listeners, v4("0.0.0.0:1")));
    }
}
