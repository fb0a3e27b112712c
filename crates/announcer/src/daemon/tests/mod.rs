//! The daemon's event handling, drains, maintenance and reloads, run whole (its main loop,
//! the configuration parser, real check loops on files) under paused tokio time, with a
//! [`fake::Fake`] in place of netlink and the BGP speaker. No root, sockets or real clock.

mod drain;
mod events;
mod fake;
mod policy;
mod reload;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use announcer_bgp::{Prefix, Target};
use tempfile::TempDir;
use tokio::sync::mpsc;

use super::lifecycle::{Inputs, Signal};
use super::Daemon;
use crate::config;
use crate::control::protocol::{Reply, Request};
use crate::control::server::{Call, Requested};
use fake::{Effect, Fake, Marks};

/// The VIP every test configuration has.
const VIP: &str = "203.0.113.10/32";
/// The check interval: rise 1 and fall 1, so a check flips within one.
const INTERVAL: Duration = Duration::from_secs(1);
/// The most a test waits (in paused time) for the daemon to act.
const PATIENCE: Duration = Duration::from_secs(30);
/// How often a wait looks again.
const STEP: Duration = Duration::from_millis(10);

/// What differs between the test configurations' common parts.
#[derive(Clone, Copy)]
struct Options {
    graceful_restart: bool,
    drain_time: &'static str,
    router_id: &'static str,
    /// More `[bgp]` keys.
    bgp: &'static str,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            graceful_restart: false,
            drain_time: "2s",
            router_id: "192.0.2.11",
            bgp: "",
        }
    }
}

/// A configuration file: one peer, a file check that passes while `DIR/web-up` exists,
/// state under DIR, then `extra` (where `$DIR` stands for DIR).
fn config_text(dir: &Path, options: Options, extra: &str) -> String {
    let dir = dir.display();
    let extra = extra.replace("$DIR", &dir.to_string());
    let Options {
        graceful_restart,
        drain_time,
        router_id,
        bgp,
    } = options;
    format!(
        r#"
[bgp]
local_as = 65001
router_id = "{router_id}"
graceful_restart = {graceful_restart}
{bgp}

[[peer]]
address = "192.0.2.1"
remote_as = 65000

[[check]]
name = "web"
type = "file"
path = "{dir}/web-up"
interval = "1s"
rise = 1
fall = 1

[drain]
time = "{drain_time}"

[control]
socket = "{dir}/announcer.sock"
state_dir = "{dir}/state"
{extra}"#
    )
}

/// The VIP of every test, with the check.
const VIP_TABLE: &str = "\n[[vip]]\nprefix = \"203.0.113.10/32\"\nchecks = [\"web\"]\n";

fn prefix(text: &str) -> Prefix {
    text.parse().expect("a test prefix")
}

fn addr(text: &str) -> IpAddr {
    prefix(text).addr()
}

/// The fake world and the directory of the configuration, check file and state; it
/// outlives daemons, so a second one can start where the first stopped.
struct Lab {
    world: Fake,
    dir: TempDir,
    options: Options,
}

impl Lab {
    /// A world whose check file exists (the check passes), with the default options.
    fn new() -> Lab {
        Lab::with(Options::default())
    }

    /// The same with `options`.
    fn with(options: Options) -> Lab {
        let dir = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(dir.path().join("web-up"), "").expect("the check file");
        Lab {
            world: Fake::default(),
            dir,
            options,
        }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("announcer.toml")
    }

    /// Writes the configuration file: the common part, then `extra`.
    fn write_config(&self, extra: &str) {
        self.write_config_with(self.options, extra);
    }

    /// Writes the configuration file with other `options`.
    fn write_config_with(&self, options: Options, extra: &str) {
        let text = config_text(self.dir.path(), options, extra);
        std::fs::write(self.path(), text).expect("the config file");
    }

    /// Makes the check pass or fail.
    fn set_healthy(&self, healthy: bool) {
        self.set_file(self.dir.path().join("web-up"), healthy);
    }

    /// Creates or removes `file`, which a file check passes on while it exists.
    fn set_file(&self, file: PathBuf, healthy: bool) {
        if healthy {
            std::fs::write(file, "").expect("the check file");
        } else {
            std::fs::remove_file(file).expect("the check file");
        }
    }

    /// Every effect so far.
    fn log(&self) -> Vec<Effect> {
        self.world.0.borrow().log.clone()
    }

    /// How many effects so far.
    fn mark(&self) -> usize {
        self.world.0.borrow().log.len()
    }

    /// The effects from the `from`th on.
    fn since(&self, from: usize) -> Vec<Effect> {
        let mut log = self.log();
        log.split_off(from.min(log.len()))
    }

    /// Writes the configuration (`extra` after the common part), starts a daemon on the
    /// fake world and runs its main loop alongside `script`, then SIGTERM (unless the script
    /// stopped it).
    async fn run(&self, extra: &str, script: impl AsyncFnOnce(&Running<'_>)) {
        self.write_config(extra);
        let config = config::load(&self.path()).expect("the test configuration loads");
        let mut daemon = Daemon::start(&self.path(), config, self.world.clone())
            .await
            .expect("the daemon starts");
        let (calls, calls_rx) = mpsc::channel(16);
        let (signals, signals_rx) = mpsc::channel(4);
        let (_scrapes, scrapes_rx) = mpsc::channel(1);
        let running = Running {
            lab: self,
            calls,
            signals,
        };
        let script = async {
            script(&running).await;
            let _ = running.signals.send(Signal::Terminate).await;
        };
        let inputs = Inputs {
            calls: calls_rx,
            signals: signals_rx,
            scrapes: scrapes_rx,
        };
        tokio::join!(daemon.serve(inputs), script);
    }
}

/// A daemon running on a [`Lab`]: its inputs.
struct Running<'a> {
    lab: &'a Lab,
    calls: mpsc::Sender<Call>,
    signals: mpsc::Sender<Signal>,
}

impl Running<'_> {
    /// Waits (in paused time) until `effect` is recorded at or after the `from`th; returns
    /// its index. Panics after [`PATIENCE`].
    async fn wait_for(&self, from: usize, effect: &Effect) -> usize {
        for _ in 0..PATIENCE.as_millis() / STEP.as_millis() {
            if let Some(at) = self.lab.since(from).iter().position(|e| e == effect) {
                return from + at;
            }
            tokio::time::sleep(STEP).await;
        }
        panic!("no {effect:?} after #{from}: {:#?}", self.lab.log())
    }

    /// Lets the daemon run for `time` (paused time).
    async fn pass(&self, time: Duration) {
        tokio::time::sleep(time).await;
    }

    /// Sends a request as the control socket would; its first reply, and where a second
    /// one (the end of a drain) arrives.
    async fn request(&self, request: Request) -> (Reply, mpsc::Receiver<Reply>) {
        let (tx, mut rx) = mpsc::channel(2);
        let call = (Requested { request, by: None }, tx);
        self.calls.send(call).await.expect("the daemon takes calls");
        let reply = rx.recv().await.expect("a reply");
        (reply, rx)
    }

    async fn signal(&self, signal: Signal) {
        self.signals
            .send(signal)
            .await
            .expect("the daemon takes signals");
    }

    /// Rewrites the configuration with `extra` and sends SIGHUP; returns once the daemon
    /// has handled it (a status request after it is answered).
    async fn reload(&self, extra: &str) {
        self.reload_with(self.lab.options, extra).await;
    }

    /// The same with other `options`.
    async fn reload_with(&self, options: Options, extra: &str) {
        self.lab.write_config_with(options, extra);
        self.hang_up().await;
    }

    /// The same with `from` replaced by `to` in the common part.
    async fn reload_edited(&self, extra: &str, from: &str, to: &str) {
        let text = config_text(self.lab.dir.path(), self.lab.options, extra);
        std::fs::write(self.lab.path(), text.replace(from, to)).expect("the config file");
        self.hang_up().await;
    }

    /// SIGHUP; returns once the daemon has handled it (a status request sent after it is
    /// answered).
    async fn hang_up(&self) {
        self.signal(Signal::Hangup).await;
        self.request(Request::Status {}).await;
    }
}

/// Starts a daemon with the common configuration and `extra` on a new lab, runs `script`
/// against it, stops it and returns the lab.
async fn with_daemon(extra: &str, script: impl AsyncFnOnce(&Running<'_>)) -> Lab {
    let lab = Lab::new();
    lab.run(extra, script).await;
    lab
}

/// The announcement of the test VIP to every peer.
fn announced(marks: Marks) -> Effect {
    Effect::Announce(Target::All, prefix(VIP), marks)
}

/// The withdrawal of the test VIP from every peer.
fn withdrawn() -> Effect {
    Effect::Withdraw(Target::All, prefix(VIP))
}
