//! A tiny HTTP/1.1 server for the web nodes of the labs (the daemon lab, the
//! topologies under `integration/topologies/` and the `announcer:latest`
//! container image).
//!
//! `web-server --listen ADDR:PORT [--listen ...] --name web1 --health-file PATH`:
//! `GET /healthz` answers 200 "ok" unless PATH exists or health was switched
//! down (then 500 "unhealthy"); `GET /` answers 200 with the server's name as
//! the body, so a client sees which server answered; anything else is 404.
//! `HEAD` is answered like `GET` without the body. Every connection is
//! closed after one response.
//!
//! Health is flipped by creating or removing PATH, or over HTTP from the
//! node itself: `POST /health/down` and `POST /health/up` (accepted only
//! from a loopback address, so clients of the VIP cannot flip it).
//!
//! `--listen [::]:80` next to `--listen 0.0.0.0:80`: the IPv6 wildcard is
//! bound first; where it is dual-stack (the kernel default) it also serves
//! IPv4 and the IPv4 wildcard is then skipped.

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;

/// How long a client may take to send its request head.
const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// The longest request head read; longer requests get 431.
const MAX_HEAD_LINES: usize = 100;

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
}

/// What the server answers with.
#[derive(Debug)]
struct Site {
    name: String,
    health_file: PathBuf,
    /// Set by `POST /health/down`, cleared by `POST /health/up`.
    switched_down: AtomicBool,
}

fn main() -> ExitCode {
    let options = Options::parse();
    let site = Arc::new(Site {
        name: options.name,
        health_file: options.health_file,
        switched_down: AtomicBool::new(false),
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
        }
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
