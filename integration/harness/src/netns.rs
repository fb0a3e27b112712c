//! Network namespaces owned by a test: created with a unique name, deleted on
//! drop. All addresses, links and sysctls the lab sets live inside them; the
//! root namespace is never changed (veth pairs are created straight into
//! their namespaces).

use std::net::IpAddr;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// Makes namespace names unique within this process (the PID makes them
/// unique across test binaries running in parallel).
static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A network namespace, deleted when dropped.
///
/// Drop processes running inside it first (declare the namespace before the
/// processes, so it is dropped after them).
#[derive(Debug)]
pub struct Netns {
    name: String,
}

impl Netns {
    /// Creates `lab<pid>-<n>-<role>` and brings its loopback up.
    pub fn new(role: &str) -> Result<Self> {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let name = format!("lab{}-{n}-{role}", std::process::id());
        run(Command::new("ip").args(["netns", "add", &name]))?;
        let ns = Netns { name };
        ns.ip(&["link", "set", "lo", "up"])?;
        Ok(ns)
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A command running `program` inside this namespace (`ip netns exec`,
    /// which execs the program: the child's PID is the program's).
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new("ip");
        command.args(["netns", "exec", &self.name, program]);
        command
    }

    /// Runs `program args...` inside the namespace and returns its stdout.
    pub fn exec(&self, program: &str, args: &[&str]) -> Result<String> {
        run(self.command(program).args(args))
    }

    /// Runs `ip -n <ns> args...`.
    pub fn ip(&self, args: &[&str]) -> Result<String> {
        run(Command::new("ip").args(["-n", &self.name]).args(args))
    }

    /// Sets a sysctl inside the namespace (only `net.*` keys are per namespace).
    pub fn sysctl(&self, key: &str, value: &str) -> Result<()> {
        self.exec("sysctl", &["-qw", &format!("{key}={value}")])
            .map(drop)
    }

    /// Adds `address/prefix_len` to `dev`; IPv6 addresses skip duplicate
    /// address detection so they are usable at once.
    pub fn add_address(&self, dev: &str, address: IpAddr, prefix_len: u8) -> Result<()> {
        let cidr = format!("{address}/{prefix_len}");
        let mut args = vec!["addr", "add", &cidr, "dev", dev];
        if address.is_ipv6() {
            args.push("nodad");
        }
        self.ip(&args).map(drop)
    }

    /// Sets `dev` up.
    pub fn link_up(&self, dev: &str) -> Result<()> {
        self.ip(&["link", "set", dev, "up"]).map(drop)
    }

    /// Turns off IPv6 duplicate address detection for interfaces created
    /// from now on in this namespace.
    pub fn disable_dad(&self) -> Result<()> {
        self.sysctl("net.ipv6.conf.all.accept_dad", "0")?;
        self.sysctl("net.ipv6.conf.default.accept_dad", "0")
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Err(e) = run(Command::new("ip").args(["netns", "del", &self.name])) {
            eprintln!("lab: could not delete namespace {}: {e}", self.name);
        }
    }
}

/// Creates a veth pair straight into two namespaces (`a_if` in `a`, `b_if`
/// in `b`) and sets both ends up.
pub fn veth(a: &Netns, a_if: &str, b: &Netns, b_if: &str) -> Result<()> {
    run(Command::new("ip").args([
        "link",
        "add",
        a_if,
        "netns",
        a.name(),
        "type",
        "veth",
        "peer",
        "name",
        b_if,
        "netns",
        b.name(),
    ]))?;
    a.link_up(a_if)?;
    b.link_up(b_if)
}

/// Runs a command to completion; its stdout, or an error with its stderr.
pub fn run(command: &mut Command) -> Result<String> {
    run_reporting(command, false)
}

/// [`run`] for a command whose progress on stdout explains a failure (the `lab` runner):
/// the error carries its stdout and its stderr.
pub fn run_verbose(command: &mut Command) -> Result<String> {
    run_reporting(command, true)
}

/// Runs `command` to completion; its stdout, or an error with its stderr (after its stdout
/// if `with_stdout`).
fn run_reporting(command: &mut Command, with_stdout: bool) -> Result<String> {
    let line = format!("{command:?}").replace('"', "");
    let output = command
        .output()
        .map_err(|e| Error::io(format!("run {line}"), e))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let shown = if with_stdout {
            format!("{stdout}{stderr}")
        } else {
            stderr.into_owned()
        };
        return Err(Error::Command {
            command: line,
            status: output.status,
            stderr: shown.trim().to_owned(),
        });
    }
    Ok(stdout.into_owned())
}

/// Runs `work` on a short-lived thread that has entered the network namespace `name`
/// (`setns` changes only that thread's namespace; sockets made there stay in it).
pub fn in_namespace<T: Send + 'static>(
    name: &str,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T> {
    let handle = std::fs::File::open(format!("/run/netns/{name}"))
        .map_err(|e| Error::io(format!("open namespace {name}"), e))?;
    let name = name.to_owned();
    std::thread::spawn(move || {
        nix::sched::setns(&handle, nix::sched::CloneFlags::CLONE_NEWNET)
            .map_err(|e| Error::io(format!("enter namespace {name}"), e.into()))?;
        Ok(work())
    })
    .join()
    .map_err(|_| Error::Check("a thread inside a namespace panicked".to_owned()))?
}
