//! The test lab: runs each test on its own thread inside a fresh private
//! network namespace, with a raw rtnetlink handle for acting behind the
//! crate's back (dummy links, foreign addresses, deletions).
//!
//! Safety rule: nothing here may touch the root namespace. The thread
//! unshares CLONE_NEWNET first, then checks that its namespace changed and
//! holds nothing but `lo` before anything is changed.
#![allow(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test support: a failed step is a failed test"
)]

use std::future::Future;
use std::net::IpAddr;

use futures::TryStreamExt;
use nix::sched::{unshare, CloneFlags};
use rtnetlink::packet_route::address::AddressMessage;
use rtnetlink::packet_route::route::{RouteAddress, RouteAttribute, RouteMessage, RouteType};
use rtnetlink::{Handle, LinkDummy, LinkUnspec, LinkVeth};

/// Runs `test` inside a new private network namespace whose `lo` is up, on
/// a current-thread tokio runtime owned by that namespace's thread.
///
/// The tests that use it are `#[ignore]`d (needs root: `sudo scripts/test`); run anyway
/// without root, or where a network namespace cannot be made, the test fails saying so.
pub fn in_private_netns<F, Fut>(name: &str, test: F)
where
    F: FnOnce(Lab) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    if !nix::unistd::geteuid().is_root() {
        unavailable(name, "needs root to create a network namespace");
    }
    let outcome = std::thread::spawn(move || -> Result<(), String> {
        let before = own_netns();
        unshare(CloneFlags::CLONE_NEWNET)
            .map_err(|errno| format!("unshare(CLONE_NEWNET) failed: {errno}"))?;
        assert_ne!(
            own_netns(),
            before,
            "unshare left the thread in its namespace"
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let lab = Lab::open().await;
            test(lab).await;
        });
        Ok(())
    })
    .join();
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(why)) => unavailable(name, &why),
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// The calling thread's network namespace, as `net:[inode]`.
fn own_netns() -> std::path::PathBuf {
    std::fs::read_link("/proc/thread-self/ns/net").unwrap()
}

/// Fails `name`, which was asked for (it is ignored otherwise) but cannot run here.
fn unavailable(name: &str, why: &str) -> ! {
    panic!(
        "{name}: {why}; these tests are ignored by a plain `cargo test` and run as root by \
         `sudo scripts/test`"
    );
}

/// A raw rtnetlink handle in the test's private namespace.
pub struct Lab {
    handle: Handle,
}

impl Lab {
    /// Connects, proves the namespace private, and brings `lo` up.
    async fn open() -> Lab {
        let (connection, handle, _) = rtnetlink::new_connection().unwrap();
        tokio::spawn(connection);
        let lab = Lab { handle };
        assert_eq!(lab.links().await, ["lo"], "namespace is not fresh");
        let lo = lab.index("lo").await;
        lab.handle
            .link()
            .set(LinkUnspec::new_with_index(lo).up().build())
            .execute()
            .await
            .unwrap();
        lab
    }

    /// Names of all interfaces.
    pub async fn links(&self) -> Vec<String> {
        let links: Vec<_> = self
            .handle
            .link()
            .get()
            .execute()
            .try_collect()
            .await
            .unwrap();
        links
            .iter()
            .flat_map(|link| &link.attributes)
            .filter_map(|attribute| match attribute {
                rtnetlink::packet_route::link::LinkAttribute::IfName(name) => Some(name.clone()),
                _ => None,
            })
            .collect()
    }

    /// Creates a dummy interface, up. Kernels built without the dummy
    /// driver (EOPNOTSUPP) get a veth pair instead, `name` and `name`-p,
    /// both up (so `name` has a carrier, and IPv6 on it would run DAD).
    pub async fn add_dummy(&self, name: &str) {
        let links = self.handle.link();
        let dummy = links.add(LinkDummy::new(name).up().build()).execute().await;
        match dummy {
            Ok(()) => {}
            Err(rtnetlink::Error::NetlinkError(err)) if err.raw_code() == -libc::EOPNOTSUPP => {
                let peer = format!("{name}-p");
                let veth = LinkVeth::new(name, &peer).up().build();
                links.add(veth).execute().await.unwrap();
                let peer = LinkUnspec::new_with_index(self.index(&peer).await);
                links.set(peer.up().build()).execute().await.unwrap();
            }
            Err(err) => panic!("cannot create {name}: {err}"),
        }
    }

    /// Deletes the interface `name` (a veth takes its peer along).
    pub async fn delete_link(&self, name: &str) {
        let index = self.index(name).await;
        self.handle.link().del(index).execute().await.unwrap();
    }

    /// Adds `addr/prefix_len` to `interface`.
    pub async fn add_address(&self, interface: &str, addr: IpAddr, prefix_len: u8) {
        let index = self.index(interface).await;
        self.handle
            .address()
            .add(index, addr, prefix_len)
            .execute()
            .await
            .unwrap();
    }

    /// Deletes every address equal to `addr`, whatever its interface.
    pub async fn delete_address(&self, addr: IpAddr) {
        for msg in self.addresses(addr).await {
            self.handle.address().del(msg).execute().await.unwrap();
        }
    }

    /// The kernel's messages for `addr`, on any interface.
    pub async fn addresses(&self, addr: IpAddr) -> Vec<AddressMessage> {
        self.handle
            .address()
            .get()
            .set_address_filter(addr)
            .execute()
            .try_collect()
            .await
            .unwrap()
    }

    /// Deletes every `local` route to `addr` in the `local` table, whoever added it.
    pub async fn delete_local_routes(&self, addr: IpAddr) {
        let routes: Vec<RouteMessage> = self
            .handle
            .route()
            .get(RouteMessage::default())
            .execute()
            .try_collect()
            .await
            .unwrap();
        let destination = RouteAttribute::Destination(RouteAddress::from(addr));
        for msg in routes {
            if msg.header.kind == RouteType::Local && msg.attributes.contains(&destination) {
                self.handle.route().del(msg).execute().await.unwrap();
            }
        }
    }

    async fn index(&self, interface: &str) -> u32 {
        let mut links = self.handle.link().get().match_name(interface).execute();
        links.try_next().await.unwrap().unwrap().header.index
    }
}
