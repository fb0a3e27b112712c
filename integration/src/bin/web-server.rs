//! A tiny HTTP/1.1 server for the web namespaces of the daemon lab.
//!
//! `web-server --listen ADDR:PORT [--listen ...] --name web1 --health-file PATH`:
//! `GET /healthz` answers 200 "ok" unless PATH exists (then 500
//! "unhealthy"), so a test flips health by creating or removing the file;
//! `GET /` answers 200 with the server's name as the body, so a client sees
//! which server answered; anything else is 404. `HEAD` is answered like
//! `GET` without the body. Every connection is closed after one response.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
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
}

fn main() -> ExitCode {
    let options = Options::parse();
    let site = Arc::new(Site {
        name: options.name,
        health_file: options.health_file,
    });
    let mut listeners = Vec::new();
    for address in &options.listen {
        match TcpListener::bind(address) {
            Ok(listener) => listeners.push(listener),
            Err(e) => {
                eprintln!("web-server {}: cannot listen on {address}: {e}", site.name);
                return ExitCode::FAILURE;
            }
        }
    }
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
    let (status, body) = if complete {
        route(method, target, site)
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

/// The status line and body for `method target`.
fn route(method: &str, target: &str, site: &Site) -> (&'static str, String) {
    if method != "GET" && method != "HEAD" {
        return ("405 Method Not Allowed", String::new());
    }
    match target {
        "/healthz" if unhealthy(&site.health_file) => {
            ("500 Internal Server Error", "unhealthy".to_owned())
        }
        "/healthz" => ("200 OK", "ok".to_owned()),
        "/" => ("200 OK", site.name.clone()),
        _ => ("404 Not Found", String::new()),
    }
}

/// Whether the health file says "fail".
fn unhealthy(health_file: &Path) -> bool {
    health_file.exists()
}
