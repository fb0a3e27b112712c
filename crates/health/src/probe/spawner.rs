//! Where exec checks are started from: a thread of their own whose credentials hold no
//! capability, so that no command a check runs inherits the daemon's privileges.
//!
//! Linux keeps credentials per thread, and a child process is forked with the credentials
//! of the thread that spawns it. Capabilities survive `execve(2)` through three doors:
//! the ambient set (how systemd's `AmbientCapabilities=` reaches a non-root daemon), the
//! inheritable set (for programs with file capabilities), and, for a process whose user
//! id is 0, the bounding set (root gets every capability of the bounding set at exec).
//! So each spawner thread, once, before it spawns anything:
//!
//! 1. sets `no_new_privs`, so that set-user-id programs and file capabilities grant
//!    nothing (as `NoNewPrivileges=yes` already does under the shipped unit);
//! 2. empties its bounding set where it may (that needs `CAP_SETPCAP`, which root has and
//!    the unit's daemon has not);
//! 3. empties its ambient set;
//! 4. for a check with `user`, takes that user's groups, group id and user id (needs
//!    `CAP_SETGID` and `CAP_SETUID`);
//! 5. empties its inheritable, permitted and effective sets;
//! 6. checks the result: no capability in any set, and an empty bounding set if the thread
//!    is still root. Otherwise it refuses to spawn, and every probe fails with the reason.
//!
//! The rest of the daemon keeps its capabilities: only these threads give theirs up. All
//! of this is safe code through `rustix`, which calls the thread-level system calls
//! (the C library's `setuid` and `setgroups` would change every thread of the daemon).
//! There is one thread per distinct user, created at the first probe that needs it.

use std::collections::HashMap;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rustix::io::Errno;
use rustix::process::{geteuid, getuid, Gid, Uid};
use rustix::thread::{self as cred, CapabilitySet, CapabilitySets};
use tokio::process::{Child, Command};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::error::Error;
use crate::spec::ExecUser;

/// One command to spawn, the runtime its child and pipes belong to, and where to answer.
struct Request {
    /// The command, ready to spawn.
    command: Command,
    /// The runtime of the probe: the child is reaped and its pipes polled there.
    runtime: Handle,
    /// The spawned child, or why not.
    reply: oneshot::Sender<Result<Child, Error>>,
}

/// A spawner thread, or why it could not be set up (kept: capabilities once given up
/// do not come back, so the answer would be the same next time).
type Spawner = Result<Sender<Request>, Arc<Error>>;

/// The spawner threads, by the user their commands run as (`None`: the daemon's own).
fn spawners() -> &'static Mutex<HashMap<Option<ExecUser>, Spawner>> {
    static SPAWNERS: OnceLock<Mutex<HashMap<Option<ExecUser>, Spawner>>> = OnceLock::new();
    SPAWNERS.get_or_init(Mutex::default)
}

/// Spawns `command` from the spawner thread of `user`, without capabilities.
pub(super) async fn spawn(command: Command, user: Option<&ExecUser>) -> Result<Child, Error> {
    let sender = spawner(user)?;
    let (reply, answer) = oneshot::channel();
    let request = Request {
        command,
        runtime: Handle::current(),
        reply,
    };
    if sender.send(request).is_err() {
        // The thread died: forget it, so that the next probe starts another.
        spawners()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&user.cloned());
        return Err(Error::SpawnerGone);
    }
    answer.await.map_err(|_| Error::SpawnerGone)?
}

/// The sender to the spawner thread of `user`, starting the thread if there is none.
fn spawner(user: Option<&ExecUser>) -> Result<Sender<Request>, Error> {
    let mut spawners = spawners().lock().unwrap_or_else(PoisonError::into_inner);
    let key = user.cloned();
    match spawners.get(&key) {
        Some(Ok(sender)) => return Ok(sender.clone()),
        Some(Err(why)) => return Err(Error::Sandbox(Arc::clone(why))),
        None => {}
    }
    match start(key.clone()) {
        Ok(sender) => {
            spawners.insert(key, Ok(sender.clone()));
            Ok(sender)
        }
        // Not starting a thread may pass; a refused setup would only be refused again.
        Err(err @ (Error::Thread { .. } | Error::SpawnerGone)) => Err(err),
        Err(refused) => {
            tracing::warn!(user = ?key.as_ref().map(|user| &user.name), %refused, "exec checks cannot run");
            let refused = Arc::new(refused);
            spawners.insert(key, Err(Arc::clone(&refused)));
            Err(Error::Sandbox(refused))
        }
    }
}

/// Starts a spawner thread for `user` and waits for its setup (a few system calls).
fn start(user: Option<ExecUser>) -> Result<Sender<Request>, Error> {
    let (requests, queue) = mpsc::channel::<Request>();
    let (ready, setup) = mpsc::sync_channel(1);
    let name = match &user {
        Some(user) => format!("exec-as-{}", user.uid),
        None => "exec".to_owned(),
    };
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            let outcome = drop_privileges(user.as_ref());
            let failed = outcome.is_err();
            if ready.send(outcome).is_err() || failed {
                return;
            }
            for request in queue {
                serve(request);
            }
        })
        .map_err(|source| Error::Thread { source })?;
    setup.recv().map_err(|_| Error::SpawnerGone)??;
    Ok(requests)
}

/// Spawns one request's command and answers it.
fn serve(request: Request) {
    let Request {
        mut command,
        runtime,
        reply,
    } = request;
    let _runtime = runtime.enter();
    // Spawning panics if the probe's runtime is shutting down; that fails one probe only.
    let spawned = catch_unwind(AssertUnwindSafe(|| command.spawn()))
        .unwrap_or_else(|_| Err(io::Error::other("the runtime is shutting down")))
        .map_err(|source| Error::Spawn { source });
    // Nobody waiting any more: the child is dropped here, which kills it.
    let _ = reply.send(spawned);
}

/// Gives up this thread's privileges for good, as the module documentation lists, and
/// becomes `user` if there is one.
fn drop_privileges(user: Option<&ExecUser>) -> Result<(), Error> {
    let step = |step: &'static str| {
        move |errno: Errno| Error::Privileges {
            step,
            source: errno.into(),
        }
    };
    cred::set_no_new_privs(true).map_err(step("set no_new_privs"))?;
    empty_bounding_set();
    match cred::clear_ambient_capability_set() {
        // EINVAL: a kernel before 4.3 has no ambient set to clear.
        Ok(()) | Err(Errno::INVAL) => {}
        Err(errno) => return Err(step("clear the ambient capabilities")(errno)),
    }
    if let Some(user) = user {
        become_user(user)?;
    }
    let none = CapabilitySets {
        effective: CapabilitySet::empty(),
        permitted: CapabilitySet::empty(),
        inheritable: CapabilitySet::empty(),
    };
    cred::set_capabilities(None, none).map_err(step("clear the capabilities"))?;
    verify()
}

/// Drops every capability from this thread's bounding set that it is allowed to; without
/// `CAP_SETPCAP` that is none, which [`verify`] accepts unless the thread is root.
fn empty_bounding_set() {
    for bit in 0..u64::BITS {
        let cap = CapabilitySet::from_bits_retain(1 << bit);
        match cred::capability_is_in_bounding_set(cap) {
            Ok(true) => {
                if cred::remove_capability_from_bounding_set(cap).is_err() {
                    return;
                }
            }
            Ok(false) => {}
            // EINVAL: past the last capability this kernel knows.
            Err(_) => return,
        }
    }
}

/// Takes `user`'s groups, group id and user id on this thread only.
fn become_user(user: &ExecUser) -> Result<(), Error> {
    let switch = |source: Errno| Error::SwitchUser {
        user: user.name.clone(),
        uid: user.uid,
        gid: user.gid,
        source: source.into(),
    };
    let gid = Gid::from_raw(user.gid);
    let uid = Uid::from_raw(user.uid);
    let groups: Vec<Gid> = user.groups.iter().copied().map(Gid::from_raw).collect();
    cred::set_thread_groups(&groups).map_err(switch)?;
    cred::set_thread_res_gid(gid, gid, gid).map_err(switch)?;
    cred::set_thread_res_uid(uid, uid, uid).map_err(switch)
}

/// Fails unless this thread holds no capability a command could inherit.
fn verify() -> Result<(), Error> {
    let remain = |set: &'static str, bits: u64| Error::CapabilitiesRemain { set, bits };
    let sets = cred::capabilities(None).map_err(|errno| Error::Privileges {
        step: "read the capabilities",
        source: errno.into(),
    })?;
    for (set, bits) in [
        ("inheritable", sets.inheritable.bits()),
        ("permitted", sets.permitted.bits()),
        ("effective", sets.effective.bits()),
    ] {
        if bits != 0 {
            return Err(remain(set, bits));
        }
    }
    let ambient = held(cred::capability_is_in_ambient_set);
    if ambient != 0 {
        return Err(remain("ambient", ambient));
    }
    // Root (real or effective) regains its bounding set at exec.
    let root = getuid().is_root() || geteuid().is_root();
    let bounding = held(cred::capability_is_in_bounding_set);
    if root && bounding != 0 {
        return Err(remain("bounding (running as root)", bounding));
    }
    Ok(())
}

/// The capabilities `is_in` reports as held, as a bit mask (reading stops at the first
/// capability the kernel does not know).
fn held(is_in: impl Fn(CapabilitySet) -> rustix::io::Result<bool>) -> u64 {
    let mut bits = 0;
    for bit in 0..u64::BITS {
        match is_in(CapabilitySet::from_bits_retain(1 << bit)) {
            Ok(true) => bits |= 1 << bit,
            Ok(false) => {}
            Err(_) => break,
        }
    }
    bits
}
