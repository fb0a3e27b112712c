//! The command line (clap).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::logging::LogFormat;

/// Where `run` and `check-config` read the configuration by default.
pub const DEFAULT_CONFIG: &str = "/etc/announcer/announcer.toml";

/// The version `--version` prints: the package's, and the commit it was built from.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("ANNOUNCER_COMMIT"),
    ")"
);

/// announcer: announces service addresses over BGP while their health checks pass.
#[derive(Debug, Parser)]
#[command(name = "announcer", version = VERSION, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon in the foreground; logs go to stderr.
    Run {
        /// The configuration file.
        #[arg(short, long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        /// How log lines are written: text, or one JSON object per line.
        #[arg(long, env = "ANNOUNCER_LOG_FORMAT", value_enum, default_value_t)]
        log_format: LogFormat,
    },
    /// Validate the configuration and print what would be bound, checked and announced.
    CheckConfig {
        /// The configuration file.
        #[arg(short, long, default_value = DEFAULT_CONFIG)]
        config: PathBuf,
        /// Also ask the running daemon what reloading this file would bind, unbind,
        /// announce, withdraw, start, stop and reset; nothing changes.
        #[arg(long)]
        diff: bool,
        /// The daemon's control socket (for --diff); default: the file's `[control]` socket.
        #[arg(long, requires = "diff")]
        socket: Option<PathBuf>,
    },
    /// Show peers, VIPs and checks, and why each VIP is or is not announced.
    Status {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        /// Exit 1 (after printing) when a peer is not Established or a VIP that should be
        /// announced is not: for monitoring systems.
        #[arg(long)]
        check: bool,
        /// How to reach the daemon.
        #[command(flatten)]
        daemon: DaemonArgs,
    },
    /// Take VIPs out of service for maintenance (all when none is named): drain (re-announce
    /// with GRACEFUL_SHUTDOWN for the [drain] time), then withdraw. It stays so across
    /// restarts until `announcer announce`.
    Withdraw {
        /// The VIPs (prefixes as configured); none means all.
        prefixes: Vec<String>,
        /// Why, shown in status.
        #[arg(long)]
        reason: Option<String>,
        /// Withdraw at once: skip the drain (announcing with GRACEFUL_SHUTDOWN for the
        /// configured drain time first).
        #[arg(long)]
        now: bool,
        /// End the maintenance by itself after DURATION ("30m", "2h", "1h30m"): the VIPs
        /// are announced again if healthy. The deadline holds across restarts.
        #[arg(long = "for", value_name = "DURATION", value_parser = parse_for)]
        for_: Option<Duration>,
        /// How to reach the daemon.
        #[command(flatten)]
        daemon: DaemonArgs,
    },
    /// End maintenance for VIPs (all when none is named).
    Announce {
        /// The VIPs (prefixes as configured); none means all.
        prefixes: Vec<String>,
        /// How to reach the daemon.
        #[command(flatten)]
        daemon: DaemonArgs,
    },
    /// Have the daemon read its configuration file again and apply it. Exits 0 once it is
    /// applied, 1 with the error when the file is refused (everything keeps running).
    Reload {
        /// How to reach the daemon.
        #[command(flatten)]
        daemon: DaemonArgs,
    },
    /// Print a shell completion script.
    Completions {
        /// The shell.
        shell: Shell,
    },
    /// Print the manual page (roff).
    Man,
}

/// `--for`: a positive duration in the configuration's form.
fn parse_for(text: &str) -> Result<Duration, String> {
    match announcer::config::parse_duration(text) {
        Some(duration) if !duration.is_zero() => Ok(duration),
        _ => Err(
            "a duration such as \"30m\", \"2h\" or \"1h30m\" (units h, m, s, ms), not zero"
                .to_owned(),
        ),
    }
}

/// The shells `completions` writes for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    /// GNU Bash.
    Bash,
    /// Z shell.
    Zsh,
    /// fish.
    Fish,
}

impl From<Shell> for clap_complete::Shell {
    fn from(shell: Shell) -> Self {
        match shell {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
        }
    }
}

/// How a client command finds the daemon: `--socket`, else the `[control]` socket of
/// `--config`, else `$ANNOUNCER_SOCKET`, else the default configuration's socket.
#[derive(Debug, Args)]
pub struct DaemonArgs {
    /// The daemon's control socket.
    #[arg(long)]
    pub socket: Option<PathBuf>,
    /// A configuration file whose `[control]` socket to use.
    #[arg(short, long)]
    pub config: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn withdraw_takes_prefixes_and_a_reason() {
        let cli = Cli::parse_from([
            "announcer",
            "withdraw",
            "203.0.113.10/32",
            "--reason",
            "kernel upgrade",
        ]);
        let Command::Withdraw {
            prefixes, reason, ..
        } = cli.command
        else {
            panic!("{cli:?}")
        };
        assert_eq!(prefixes, vec!["203.0.113.10/32"]);
        assert_eq!(reason.as_deref(), Some("kernel upgrade"));
    }

    #[test]
    fn withdraw_for_takes_a_positive_duration_in_the_configuration_form() {
        let cases = [
            ("90m", Some(Duration::from_secs(5400))),
            ("1h30m", Some(Duration::from_secs(5400))),
            ("45s", Some(Duration::from_secs(45))),
            ("0s", None),
            ("1.5h", None),
            ("soon", None),
        ];
        for (text, want) in cases {
            let parsed = Cli::try_parse_from(["announcer", "withdraw", "--for", text]);
            let got = parsed.ok().and_then(|cli| match cli.command {
                Command::Withdraw { for_, .. } => for_,
                _ => None,
            });
            assert_eq!(got, want, "{text}");
        }
    }
}
