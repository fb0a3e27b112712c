//! `announcer`: the daemon (`run`) and its command-line client (`status`, `withdraw`,
//! `announce`, `check-config`).

mod bfd_handoff;
mod cli;
mod control;
mod daemon;
mod describe;
mod error;
mod logging;
mod maintenance;
mod metrics;
mod open_files;
mod reload_plan;
mod restart_mark;
mod status;
mod systemd;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use announcer::config;
use clap::{CommandFactory, Parser};

use cli::{Cli, Command, DaemonArgs, DEFAULT_CONFIG};
use control::client;
use control::protocol::{Reply, Request};
use error::Error;

/// The exit status of a usage error (sysexits' EX_USAGE); clap's own is 2, which
/// announcer keeps for configuration errors.
const EX_USAGE: u8 = 64;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(EX_USAGE)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match execute(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("announcer: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

fn execute(command: Command) -> Result<(), Error> {
    match command {
        Command::Run {
            config: path,
            log_format,
        } => {
            let config = config::load(&path)?;
            logging::init(log_format);
            open_files::raise_to_hard_limit();
            daemon::run(&path, config)
        }
        Command::CheckConfig {
            config: path,
            diff,
            socket,
        } => {
            let config = config::load(&path)?;
            say(&format!("{}: configuration is valid\n", path.display()))?;
            say(&describe::describe(&config))?;
            if !diff {
                return Ok(());
            }
            let absolute = std::path::absolute(&path).map_err(|source| Error::Io {
                context: "finding the configuration file's absolute path",
                source,
            })?;
            let daemon = DaemonArgs {
                socket: Some(socket.unwrap_or(config.control.socket)),
                config: None,
            };
            say(&format!("a reload of {} would:\n", absolute.display()))?;
            done(request(&daemon, &Request::Preview { config: absolute })?)
        }
        Command::Reload { daemon } => done(request(&daemon, &Request::Reload {})?),
        Command::Status {
            json,
            check,
            daemon,
        } => match request(&daemon, &Request::Status {})? {
            Reply::Status { status, .. } => {
                if json {
                    let text = serde_json::to_string_pretty(&status).unwrap_or_default();
                    say(&format!("{text}\n"))?;
                } else {
                    say(&status.to_string())?;
                }
                let problems = status.problems();
                if check && !problems.is_empty() {
                    return Err(Error::Unhealthy(problems));
                }
                Ok(())
            }
            other => unexpected(other),
        },
        Command::Withdraw {
            prefixes,
            reason,
            now,
            for_,
            daemon,
        } => done(request(
            &daemon,
            &Request::Withdraw {
                prefixes,
                reason,
                now,
                for_ms: for_.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            },
        )?),
        Command::Announce { prefixes, daemon } => {
            done(request(&daemon, &Request::Announce { prefixes })?)
        }
        Command::Completions { shell } => {
            let mut script = Vec::new();
            let shell = clap_complete::Shell::from(shell);
            clap_complete::generate(shell, &mut Cli::command(), "announcer", &mut script);
            write_out(&script, "writing the completion script")
        }
        Command::Man => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|source| Error::Io {
                    context: "rendering the manual page",
                    source,
                })?;
            write_out(&page, "writing the manual page")
        }
    }
}

/// Writes `text` to stdout (see [`write_out`]).
fn say(text: &str) -> Result<(), Error> {
    write_out(text.as_bytes(), "writing to standard output")
}

/// Writes `bytes` to stdout. A reader that has gone away (`announcer status | head -3`)
/// ends the output quietly; any other failure is an error, never a panic.
fn write_out(bytes: &[u8], context: &'static str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(source) if source.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        result => result.map_err(|source| Error::Io { context, source }),
    }
}

/// Sends a request to the daemon that `args` point at.
fn request(args: &DaemonArgs, request: &Request) -> Result<Reply, Error> {
    Ok(client::send(&socket_path(args)?, request, |progress| {
        let _ = say(&format!("{progress}\n"));
    })?)
}

/// `--socket`, else `--config`'s [control] socket, else `$ANNOUNCER_SOCKET`, else the
/// default configuration's socket (or the default socket when that file does not exist).
fn socket_path(args: &DaemonArgs) -> Result<PathBuf, Error> {
    if let Some(socket) = &args.socket {
        return Ok(socket.clone());
    }
    if let Some(path) = &args.config {
        return Ok(config::load_control(path)?.socket);
    }
    if let Some(socket) = std::env::var_os("ANNOUNCER_SOCKET").filter(|s| !s.is_empty()) {
        return Ok(PathBuf::from(socket));
    }
    let default = Path::new(DEFAULT_CONFIG);
    if default.exists() {
        return Ok(config::load_control(default)?.socket);
    }
    Ok(config::ControlConfig::default().socket)
}

fn done(reply: Reply) -> Result<(), Error> {
    match reply {
        Reply::Done { message, .. } => say(&format!("{message}\n")),
        other => unexpected(other),
    }
}

fn unexpected(reply: Reply) -> Result<(), Error> {
    match reply {
        Reply::Failed { error, .. } => Err(Error::Refused(error)),
        other => Err(Error::Refused(format!(
            "unexpected reply from the daemon: {other:?}"
        ))),
    }
}
