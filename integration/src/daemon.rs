//! The `announcer` daemon under test: its configuration file (the TOML of
//! the daemon contract), the `announcer run` process in a web namespace, and
//! the control client (`status`, `withdraw`, `announce`) talking to it over
//! its Unix socket.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output};
use std::sync::Arc;
use std::time::Duration;

use crate::config_toml::{self, Probe};
use crate::error::{Error, Result};
use crate::netns::Netns;
use crate::process::ChildGuard;
use crate::routers::bfd::BfdTimers;
use crate::status::Status;

/// The health check's `interval`.
pub const CHECK_INTERVAL: Duration = Duration::from_millis(500);
/// The health check's `timeout`.
pub const CHECK_TIMEOUT: Duration = Duration::from_millis(300);
/// The health check's `rise`.
pub const RISE: u32 = 2;
/// The health check's `fall`.
pub const FALL: u32 = 2;
/// The name of the one health check.
pub const CHECK_NAME: &str = "web";
/// How long `announcer run` may take to answer on its control socket.
const STARTUP: Duration = Duration::from_secs(10);
/// The daemon's log filter.
const LOG_FILTER: &str = "info,announcer=debug,announcer_bgp=debug,announcer_health=debug";
/// Run by `sh -c` inside a private mount namespace (`unshare --mount`):
/// mounts a tmpfs of `$1` bytes on the state directory `$2`, then execs the
/// daemon `$0` with the remaining arguments (so its PID is the process's).
const MOUNT_STATE_THEN_RUN: &str =
    r#"mount -t tmpfs -o "size=$1,mode=0755" announcer-state "$2" && shift 2 && exec "$0" "$@""#;

/// What goes into one web server's `announcer` configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncerConfig {
    /// `[bgp] local_as`.
    pub local_as: u32,
    /// `[bgp] router_id`.
    pub router_id: Ipv4Addr,
    /// The one `[[peer]]`: its address.
    pub peer: IpAddr,
    /// The peer's `remote_as`.
    pub peer_as: u32,
    /// The peer's `hold_time` (whole seconds), if set.
    pub hold_time: Option<Duration>,
    /// The `[[check]]`'s URL.
    pub health_url: String,
    /// When set, the `[[check]]` is `type = "exec"` running this program and
    /// its arguments instead of fetching `health_url`.
    pub exec_command: Option<Vec<String>>,
    /// The peer's `password_file` (TCP MD5), if set.
    pub password_file: Option<PathBuf>,
    /// One `[[vip]]` per prefix, each gated by the check.
    pub vips: Vec<String>,
    /// `[control] socket`.
    pub socket: PathBuf,
    /// `[control] state_dir`.
    pub state_dir: PathBuf,
    /// `[metrics] listen`, if set.
    pub metrics: Option<SocketAddr>,
    /// More keys for each `[[vip]]` table (a failure policy).
    pub vip_keys: String,
    /// Checks each VIP depends on besides [`CHECK_NAME`] (defined in `extra`).
    pub more_checks: Vec<String>,
    /// More tables at the end of the file (checks, `[degraded]`).
    pub extra: String,
}

impl AnnouncerConfig {
    /// The TOML text.
    pub fn to_toml(&self) -> String {
        self.to_toml_with_bfd(None)
    }

    /// The TOML text, with BFD with the peer at `bfd`'s timers if set.
    pub fn to_toml_with_bfd(&self, bfd: Option<&BfdTimers>) -> String {
        let mut toml = String::new();
        config_toml::bgp(&mut toml, self.local_as, self.router_id);
        let peer = config_toml::Peer {
            address: self.peer,
            remote_as: self.peer_as,
            hold_time: self.hold_time,
            password_file: self.password_file.as_deref(),
        };
        config_toml::peer(&mut toml, &peer);
        if let Some(timers) = bfd {
            config_toml::peer_bfd(&mut toml, timers);
        }
        let probe = match &self.exec_command {
            None => Probe::Http(&self.health_url),
            Some(command) => Probe::Exec(command),
        };
        let check = config_toml::Check {
            name: CHECK_NAME,
            probe,
            interval: CHECK_INTERVAL,
            timeout: Some(CHECK_TIMEOUT),
            rise: RISE,
            fall: FALL,
        };
        config_toml::check(&mut toml, &check);
        for prefix in &self.vips {
            let mut checks = vec![CHECK_NAME];
            checks.extend(self.more_checks.iter().map(String::as_str));
            config_toml::vip(&mut toml, prefix, &checks, config_toml::Bind::Address);
            toml.push_str(&self.vip_keys);
        }
        config_toml::control(&mut toml, &self.socket, &self.state_dir);
        if let Some(listen) = self.metrics {
            config_toml::metrics(&mut toml, listen);
        }
        toml.push_str(&self.extra);
        toml
    }
}

/// One web server's `announcer`: its config file and, while running, its
/// `announcer run` process (killed on drop).
#[derive(Debug)]
pub struct Announcer {
    binary: PathBuf,
    ns: Arc<Netns>,
    dir: PathBuf,
    config: AnnouncerConfig,
    process: Option<ChildGuard>,
    /// The size of the private tmpfs on the state directory, if the daemon
    /// gets one ([`Announcer::use_private_state_tmpfs`]).
    state_tmpfs: Option<u64>,
    /// Extra environment of the daemon ([`Announcer::set_env`]).
    env: Vec<(String, String)>,
    /// BFD with the peer at these timers ([`Announcer::set_bfd`]).
    bfd: Option<BfdTimers>,
}

/// Fails unless the daemon exited with success on SIG`signal` (its exit `status`).
pub fn expect_clean_exit(status: ExitStatus, signal: &str) -> Result<()> {
    if status.success() {
        Ok(())
    } else {
        Err(Error::Check(format!(
            "announcer exited with {status} on SIG{signal}"
        )))
    }
}

impl Announcer {
    /// Writes `config` to `dir/announcer.toml`; nothing runs yet.
    pub fn new(binary: &Path, ns: Arc<Netns>, dir: &Path, config: AnnouncerConfig) -> Result<Self> {
        let announcer = Announcer {
            binary: binary.to_owned(),
            ns,
            dir: dir.to_owned(),
            config,
            process: None,
            state_tmpfs: None,
            env: Vec::new(),
            bfd: None,
        };
        announcer.write_config()?;
        Ok(announcer)
    }

    /// The configuration file.
    pub fn config_path(&self) -> PathBuf {
        self.dir.join("announcer.toml")
    }

    /// The configuration as last written.
    pub fn config(&self) -> &AnnouncerConfig {
        &self.config
    }

    /// Rewrites the configuration file with `change` applied (the running
    /// daemon sees it on SIGHUP or restart).
    pub fn update_config(&mut self, change: impl FnOnce(&mut AnnouncerConfig)) -> Result<()> {
        change(&mut self.config);
        self.write_config()
    }

    fn write_config(&self) -> Result<()> {
        self.write_config_text(&self.config_text())
    }

    /// The configuration file's text as last written from the configuration
    /// (with the BFD keys of [`Announcer::set_bfd`]).
    pub fn config_text(&self) -> String {
        self.config.to_toml_with_bfd(self.bfd.as_ref())
    }

    /// The BFD timers of the configuration, if it has BFD.
    pub fn bfd(&self) -> Option<BfdTimers> {
        self.bfd
    }

    /// Rewrites the configuration file with BFD with the peer at `timers`
    /// (none: no BFD); the running daemon sees it on SIGHUP or restart.
    pub fn set_bfd(&mut self, timers: Option<BfdTimers>) -> Result<()> {
        self.bfd = timers;
        self.write_config()
    }

    /// Overwrites the configuration file with `text` (e.g. an invalid one);
    /// [`Announcer::update_config`] writes the real one again.
    pub fn write_config_text(&self, text: &str) -> Result<()> {
        let path = self.config_path();
        std::fs::write(&path, text).map_err(|e| Error::io(format!("write {}", path.display()), e))
    }

    /// From the next [`Announcer::start`] on, runs the daemon in a private
    /// mount namespace (`unshare --mount --propagation private`, which dies
    /// with it) where its state directory is a fresh tmpfs of `bytes` bytes:
    /// the test can fill it or remount it read-only
    /// ([`Announcer::in_mount_namespace`]) without touching any mount of the
    /// host. Its files are seen at [`Announcer::state_dir_seen`].
    pub fn use_private_state_tmpfs(&mut self, bytes: u64) {
        self.state_tmpfs = Some(bytes);
    }

    /// From the next [`Announcer::start`] on, runs the daemon with `key=value` in its
    /// environment (e.g. systemd's `NOTIFY_SOCKET`).
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.push((key.to_owned(), value.to_owned()));
    }

    /// Starts `announcer run -c CONFIG` in the namespace and waits until it
    /// answers `status` on its control socket.
    pub fn start(&mut self) -> Result<()> {
        if self.process.is_some() {
            return Err(Error::Check("announcer is already running".to_owned()));
        }
        let binary = self.binary.to_string_lossy().into_owned();
        let mut command = match self.state_tmpfs {
            None => self.ns.command(&binary),
            Some(bytes) => {
                let state_dir = &self.config.state_dir;
                std::fs::create_dir_all(state_dir)
                    .map_err(|e| Error::io(format!("create {}", state_dir.display()), e))?;
                let mut command = self.ns.command("unshare");
                command
                    .args(["--mount", "--propagation", "private", "sh", "-c"])
                    .args([MOUNT_STATE_THEN_RUN, &binary, &bytes.to_string()])
                    .arg(state_dir);
                command
            }
        };
        command
            .arg("run")
            .arg("-c")
            .arg(self.config_path())
            .env("RUST_LOG", LOG_FILTER)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        let what = ("announcer to answer on its socket", STARTUP);
        let process = ChildGuard::spawn_ready("announcer", command, &self.dir, what, || {
            self.status().map_err(|e| e.to_string())
        })?;
        self.process = Some(process);
        Ok(())
    }

    /// The running daemon, or an error saying it is not running.
    fn process(&mut self) -> Result<&mut ChildGuard> {
        self.process
            .as_mut()
            .ok_or_else(|| Error::Check("announcer is not running".to_owned()))
    }

    /// The running daemon's PID.
    pub fn pid(&self) -> Result<u32> {
        self.process
            .as_ref()
            .map(ChildGuard::pid)
            .ok_or_else(|| Error::Check("announcer is not running".to_owned()))
    }

    /// The state directory as the running daemon sees it: inside its private
    /// mount namespace (through `/proc/PID/root`) when it has one.
    pub fn state_dir_seen(&self) -> Result<PathBuf> {
        let state_dir = &self.config.state_dir;
        if self.state_tmpfs.is_none() {
            return Ok(state_dir.clone());
        }
        let relative = state_dir.strip_prefix("/").unwrap_or(state_dir);
        Ok(PathBuf::from(format!("/proc/{}/root", self.pid()?)).join(relative))
    }

    /// Runs `program args...` in the daemon's private mount namespace
    /// (`nsenter -t PID -m`) and returns its stdout. Refuses unless the
    /// daemon has a private state tmpfs and its mount namespace is not this
    /// process's, so nothing can reach the host's mounts.
    pub fn in_mount_namespace(&self, program: &str, args: &[&str]) -> Result<String> {
        let pid = self.pid()?;
        let theirs = mount_namespace(&format!("/proc/{pid}/ns/mnt"))?;
        if self.state_tmpfs.is_none() || theirs == mount_namespace("/proc/self/ns/mnt")? {
            return Err(Error::Check(format!(
                "announcer (pid {pid}) has no private mount namespace; refusing to run {program}"
            )));
        }
        let mut command = Command::new("nsenter");
        command
            .args(["-t", &pid.to_string(), "-m", "--", program])
            .args(args);
        crate::netns::run(&mut command)
    }

    /// The daemon's whole log (stderr, kept across restarts).
    pub fn log_text(&self) -> Result<String> {
        let path = self.dir.join("announcer.stderr");
        std::fs::read_to_string(&path).map_err(|e| Error::io(format!("read {}", path.display()), e))
    }

    /// Sends `signal` (`TERM`, `HUP`, `STOP`, `CONT`, ...) to the daemon.
    pub fn signal(&mut self, signal: &str) -> Result<()> {
        self.process()?.signal(signal)
    }

    /// Whether the daemon process is still running.
    pub fn is_running(&mut self) -> Result<bool> {
        Ok(self.process()?.try_exited()?.is_none())
    }

    /// Waits (bounded) for the daemon to exit and forgets the process.
    pub fn wait_exit(&mut self, timeout: Duration) -> Result<ExitStatus> {
        let status = self.process()?.wait_exit(timeout)?;
        self.process = None;
        Ok(status)
    }

    /// Runs `announcer ARGS --socket SOCKET` and returns its output,
    /// whatever its exit status.
    pub fn client(&self, args: &[&str]) -> Result<Output> {
        let mut command = Command::new(&self.binary);
        command.args(args).arg("--socket").arg(&self.config.socket);
        command
            .output()
            .map_err(|e| Error::io(format!("run {command:?}"), e))
    }

    /// `announcer check-config` of this announcer's file: its stdout and stderr.
    pub fn check_config(&self) -> Result<String> {
        let mut command = Command::new(&self.binary);
        command
            .arg("check-config")
            .arg("-c")
            .arg(self.config_path());
        let output = command
            .output()
            .map_err(|e| Error::io(format!("run {command:?}"), e))?;
        Ok(format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }

    /// Runs a client command that must succeed; returns its stdout.
    pub fn control(&self, args: &[&str]) -> Result<String> {
        let output = self.client(args)?;
        if !output.status.success() {
            return Err(Error::Command {
                command: format!(
                    "announcer {} --socket {}",
                    args.join(" "),
                    self.config.socket.display()
                ),
                status: output.status,
                stderr: String::from_utf8_lossy(&output.stderr).trim().to_owned(),
            });
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// `announcer status --json`, parsed.
    pub fn status(&self) -> Result<Status> {
        Status::parse(&self.control(&["status", "--json"])?)
    }

    /// The daemon's log (kept across restarts) and its current status.
    pub fn logs(&self) -> String {
        let log = self.dir.join("announcer.stderr");
        let status = match self.status() {
            Ok(status) => status.raw,
            Err(e) => e.to_string(),
        };
        format!(
            "--- {} ---\n{}\n--- status ---\n{status}\n",
            log.display(),
            crate::process::tail(&log, 80)
        )
    }
}

/// The mount namespace a `/proc/.../ns/mnt` link points at (`mnt:[N]`).
fn mount_namespace(link: &str) -> Result<PathBuf> {
    std::fs::read_link(link).map_err(|e| Error::io(format!("read {link}"), e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use announcer_harness::expect::missing_parts;

    #[test]
    fn the_config_has_every_table_of_the_contract() {
        let config = AnnouncerConfig {
            local_as: 65001,
            router_id: Ipv4Addr::new(192, 0, 2, 11),
            peer: "192.0.2.1".parse().unwrap(),
            peer_as: 65000,
            hold_time: Some(Duration::from_secs(3)),
            health_url: "http://127.0.0.1:8080/healthz".into(),
            exec_command: None,
            password_file: None,
            vips: vec!["203.0.113.10/32".into(), "203.0.113.20/32".into()],
            socket: "/lab/web1/announcer.sock".into(),
            state_dir: "/lab/web1/state".into(),
            metrics: None,
            vip_keys: String::new(),
            more_checks: Vec::new(),
            extra: String::new(),
        };
        let toml = config.to_toml();
        let missing = missing_parts(
            &toml,
            &[
            "[bgp]\nlocal_as = 65001\nrouter_id = \"192.0.2.11\"\n",
            "[[peer]]\naddress = \"192.0.2.1\"\nremote_as = 65000\nhold_time = \"3s\"\n",
            "url = \"http://127.0.0.1:8080/healthz\"\ninterval = \"500ms\"\ntimeout = \"300ms\"\nrise = 2\nfall = 2\n",
            "[[vip]]\nprefix = \"203.0.113.20/32\"\nchecks = [\"web\"]\n",
            "[control]\nsocket = \"/lab/web1/announcer.sock\"\nstate_dir = \"/lab/web1/state\"\n",
            ],
        );
        assert!(missing.is_empty(), "{missing:?} missing from:\n{toml}");
        assert_eq!(toml.matches("[[vip]]").count(), 2);
        let without_hold = AnnouncerConfig {
            hold_time: None,
            ..config
        };
        assert!(!without_hold.to_toml().contains("hold_time"));
        assert!(!without_hold.to_toml().contains("bfd"));
        let with_bfd = without_hold.to_toml_with_bfd(Some(&crate::routers::bfd::FAST));
        assert!(with_bfd.contains(
            "remote_as = 65000\nbfd = true\nbfd_min_tx = \"100ms\"\nbfd_min_rx = \"100ms\"\nbfd_multiplier = 3\n"
        ));
        let exec = AnnouncerConfig {
            exec_command: Some(vec!["sh".into(), "-c".into(), r#"test ! -e "$0""#.into()]),
            ..without_hold
        };
        let toml = exec.to_toml();
        assert!(
            toml.contains("type = \"exec\"\ncommand = [\"sh\", \"-c\", 'test ! -e \"$0\"']\n"),
            "{toml}"
        );
        assert!(!toml.contains("url ="));
    }
}
