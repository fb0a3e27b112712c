//! `probe-loop --address ADDR:PORT --path /healthz --rate 100 --secs S`:
//! HTTP probes, each on a fresh TCP connection, at a fixed rate from one
//! blocking loop, for `S` seconds (the footprint benchmark's kernel floor;
//! see `announcer_bench::probe_loop`). Exit status: 0 all
//! answered 200, 1 one was not (the loop stops there).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use announcer_bench::probe_loop::{self, Probes};
use clap::Parser;

/// Command-line options.
#[derive(Parser, Debug)]
#[command(
    name = "probe-loop",
    about = "HTTP probes on fresh connections at a fixed rate"
)]
struct Options {
    /// The web server.
    #[arg(long)]
    address: SocketAddr,
    /// The path fetched.
    #[arg(long, default_value = "/healthz")]
    path: String,
    /// Probes per second.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    rate: u32,
    /// How long to probe, in seconds.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    secs: u64,
}

fn main() -> ExitCode {
    let options = Options::parse();
    let probes = Probes {
        address: options.address,
        path: options.path,
        rate: options.rate,
        duration: Duration::from_secs(options.secs),
    };
    match probe_loop::run(&probes) {
        Ok(count) => {
            eprintln!("probe-loop: {count} probes, all answered 200");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("probe-loop: {e}");
            ExitCode::FAILURE
        }
    }
}
