//! `lab`: brings a containerlab topology up as network namespaces on this
//! host, without Docker (the library of this package).
//!
//! ```text
//! lab up <file.clab.yml>          create namespaces, links, processes, run exec lines
//! lab down <file.clab.yml>        stop and delete everything the lab made
//! lab exec <file> <node> -- cmd   run cmd in the node (vtysh, birdc and announcer
//!                                 find their node's private sockets)
//! lab status                      every lab up on this host
//! lab validate [--schema F] <file> containerlab schema + what the runner supports
//! ```
//!
//! Errors are one line on stderr and exit 1 (`validate`: exit 2). Every
//! command but `validate` needs root.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use announcer_lab::Error;
use announcer_lab::{down, exec, launch, parse, schema, status, up};
use clap::{Parser, Subcommand};

/// Command-line options.
#[derive(Debug, Parser)]
#[command(
    name = "lab",
    about = "Run containerlab topologies as network namespaces, without Docker"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Cmd {
    /// Bring the topology up.
    Up {
        /// The topology file.
        file: PathBuf,
    },
    /// Tear the topology down (also after a crashed `up`).
    Down {
        /// The topology file.
        file: PathBuf,
    },
    /// Run a command inside a node; exits with its status.
    Exec {
        /// The topology file.
        file: PathBuf,
        /// The node.
        node: String,
        /// The command and its arguments (after `--`).
        #[arg(last = true, required = true)]
        command: Vec<String>,
    },
    /// Show every lab up on this host.
    Status,
    /// Check a topology against the containerlab schema and the runner.
    Validate {
        /// The containerlab JSON schema (default: $CLAB_SCHEMA, else
        /// shared/containerlab/clab.schema.json beside the repository).
        #[arg(long)]
        schema: Option<PathBuf>,
        /// The topology file.
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Cmd::Validate { .. }) && !nix::unistd::geteuid().is_root() {
        eprintln!("lab: must run as root (it creates network namespaces)");
        return ExitCode::FAILURE;
    }
    match cli.command {
        Cmd::Up { file } => report("up", &file, run_up(&file)),
        Cmd::Down { file } => report("down", &file, run_down(&file)),
        Cmd::Exec {
            file,
            node,
            command,
        } => match parse::load(&file).and_then(|topo| exec::lab_exec(&topo, &node, &command)) {
            Ok(code) => ExitCode::from(u8::try_from(code).unwrap_or(1)),
            Err(e) => report("exec", &file, Err(e)),
        },
        Cmd::Status => match status::status() {
            Ok(Some(text)) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Ok(None) => {
                println!("no lab is up");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("lab: status: {}", one_line(&e));
                ExitCode::FAILURE
            }
        },
        Cmd::Validate { schema, file } => validate(&file, schema),
    }
}

/// `up`: warnings, then the lab.
fn run_up(file: &Path) -> Result<(), Error> {
    let topo = parse::load(file)?;
    for warning in &topo.warnings {
        eprintln!("lab: warning: {warning}");
    }
    up::up(&topo)?;
    println!(
        "lab {} is up: {} nodes, {} links; try `lab exec {} <node> -- ip addr`, `lab status`, `lab down {}`",
        topo.name,
        topo.nodes.len(),
        topo.links.len(),
        file.display(),
        file.display()
    );
    Ok(())
}

/// `down`: what was found and removed.
fn run_down(file: &Path) -> Result<(), Error> {
    let topo = parse::load(file)?;
    match down::down(&topo)? {
        down::Outcome::NotUp => println!("lab {} is not up", topo.name),
        down::Outcome::Removed(events) => {
            for event in events {
                eprintln!("lab: {event}");
            }
            println!("lab {} is down", topo.name);
        }
    }
    Ok(())
}

/// `validate`: exit 2 on any error.
fn validate(file: &Path, schema: Option<PathBuf>) -> ExitCode {
    let fail = |what: String| {
        eprintln!("lab: validate {}: {what}", file.display());
        ExitCode::from(2)
    };
    let topo = match parse::load(file) {
        Ok(topo) => topo,
        Err(e) => return fail(one_line(&e)),
    };
    let schema_path = schema.unwrap_or_else(schema::default_path);
    if schema_path.is_file() {
        let text = match std::fs::read_to_string(file) {
            Ok(text) => text,
            Err(e) => return fail(e.to_string()),
        };
        match schema::violations(&schema_path, &text) {
            Ok(violations) if violations.is_empty() => {}
            Ok(violations) => return fail(format!("schema: {}", violations.join("; "))),
            Err(e) => return fail(one_line(&e)),
        }
    } else {
        eprintln!(
            "lab: warning: no containerlab schema at {} (set {} or --schema); schema not checked",
            schema_path.display(),
            schema::SCHEMA_ENV
        );
    }
    for node in &topo.nodes {
        if let Err(e) = launch::config_source(node) {
            return fail(one_line(&e));
        }
    }
    for warning in &topo.warnings {
        eprintln!("lab: warning: {warning}");
    }
    println!(
        "{}: valid (lab {}, {} nodes, {} links)",
        file.display(),
        topo.name,
        topo.nodes.len(),
        topo.links.len()
    );
    ExitCode::SUCCESS
}

/// Prints a failed command's error as one line; exit 1.
fn report(command: &str, file: &Path, outcome: Result<(), Error>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lab: {command} {}: {}", file.display(), one_line(&e));
            ExitCode::FAILURE
        }
    }
}

/// An error on one line (log excerpts joined with ` | `).
fn one_line(error: &Error) -> String {
    error
        .to_string()
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" | ")
}
