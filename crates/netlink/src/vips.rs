//! The handle the daemon holds: bind, unbind, list and find service
//! addresses (VIPs) through one rtnetlink connection, as addresses or as
//! `local` routes ([`Binding`]).
//!
//! Invariants: a VIP is only ever added as a host address or host route
//! (/32, /128); it is never bound when another interface holds its address;
//! binding and unbinding are idempotent (EEXIST on add, and EADDRNOTAVAIL or
//! ESRCH on delete, count as success).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use futures::{stream, StreamExt, TryStreamExt};
use rtnetlink::packet_route::address::AddressMessage;
use rtnetlink::packet_route::route::RouteMessage;
use rtnetlink::packet_route::AddressFamily;
use rtnetlink::Handle;
use tracing::{debug, info};

use crate::addr::{
    family_of, global_ipv4, host_message, host_prefix_len, is_host, local_addr, skip_dad,
};
use crate::batch;
use crate::binding::Binding;
use crate::error::{errno, Error, Operation};
use crate::link;
use crate::route::{local_host_route, local_route_message};

/// How many address requests [`Vips::bind_all`] keeps in flight.
const PIPELINE: usize = 64;

/// The outcome of a successful [`Vips::bind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// The address was added by this call.
    Added,
    /// The interface already held the address; nothing was changed.
    AlreadyPresent,
}

/// A handle on the kernel's interface addresses, for binding VIPs.
///
/// Cheap to clone: clones share one rtnetlink connection, whose task runs on
/// the tokio runtime [`Vips::new`] was called in and ends once every clone
/// is dropped.
#[derive(Debug, Clone)]
pub struct Vips {
    /// Sends requests to the connection task and receives their replies.
    pub(crate) handle: Handle,
}

impl Vips {
    /// Opens an rtnetlink socket in the calling thread's network namespace
    /// and spawns its connection task on the current tokio runtime.
    pub async fn new() -> Result<Vips, Error> {
        let runtime = current_runtime(Operation::Connect)?;
        let (connection, handle, _) =
            rtnetlink::new_connection().map_err(|source| Error::Socket {
                operation: Operation::Connect,
                source,
            })?;
        runtime.spawn(connection);
        Ok(Vips { handle })
    }

    /// Binds `addr` on `interface` as `binding`: a /32 (IPv4) or /128 (IPv6)
    /// address, IPv6 without DAD so that it is usable at once; or a `local`
    /// host route in the `local` table.
    ///
    /// An address already on `interface` (at any prefix length), or the route
    /// already there, gives `Ok(Bound::AlreadyPresent)`. An address held by
    /// another interface gives `Err(Error::OnOtherInterface)`: reported, never
    /// duplicated.
    pub async fn bind(
        &self,
        binding: Binding,
        interface: &str,
        addr: IpAddr,
    ) -> Result<Bound, Error> {
        let operation = Operation::Bind {
            interface: interface.to_owned(),
            addr,
        };
        let index = link::index_of(&self.handle, interface).await?;
        let holders = self.holders(addr, &operation).await?;
        if holders.contains(&index) {
            debug!(%addr, interface, "already bound");
            return Ok(Bound::AlreadyPresent);
        }
        if let Some(&other) = holders.first() {
            return Err(Error::OnOtherInterface {
                addr,
                interface: self.name_or_index(other, &operation).await?,
            });
        }
        let bound = self.add(binding, index, addr, operation).await;
        if bound.is_ok() {
            info!(%addr, interface, %binding, "bound");
        }
        bound
    }

    /// [`Vips::bind`] for many addresses on one interface, with one address dump: the cost
    /// of binding thousands of VIPs at start. Local routes go many to a datagram; addresses
    /// go with up to [`PIPELINE`] requests in flight, as the kernel's own cost of adding
    /// one dwarfs the rest (and grows with how many the host has). Each address gets its
    /// own outcome; `Err` only when the interface, the dump or the socket fails.
    pub async fn bind_all(
        &self,
        binding: Binding,
        interface: &str,
        addrs: &[IpAddr],
    ) -> Result<Vec<(IpAddr, Result<Bound, Error>)>, Error> {
        let operation = |addr| Operation::Bind {
            interface: interface.to_owned(),
            addr,
        };
        let Some(&first) = addrs.first() else {
            return Ok(Vec::new());
        };
        let index = link::index_of(&self.handle, interface).await?;
        let mut holders: HashMap<IpAddr, Vec<u32>> = HashMap::new();
        for msg in self
            .addresses(AddressFamily::Unspec, &operation(first))
            .await?
        {
            if let Some(addr) = local_addr(&msg) {
                holders.entry(addr).or_default().push(msg.header.index);
            }
        }
        let mut outcomes = Vec::with_capacity(addrs.len());
        let mut missing = Vec::new();
        for &addr in addrs {
            match holders.get(&addr).map(Vec::as_slice) {
                Some(held) if held.contains(&index) => {
                    outcomes.push((addr, Ok(Bound::AlreadyPresent)))
                }
                Some(&[other, ..]) => {
                    let interface = self.name_or_index(other, &operation(addr)).await?;
                    outcomes.push((addr, Err(Error::OnOtherInterface { addr, interface })));
                }
                _ => missing.push(addr),
            }
        }
        let added = match binding {
            Binding::Route => batch::add_all(binding, interface, index, &missing).await?,
            Binding::Address => {
                stream::iter(missing)
                    .map(|addr| async move {
                        (addr, self.add(binding, index, addr, operation(addr)).await)
                    })
                    .buffer_unordered(PIPELINE)
                    .collect()
                    .await
            }
        };
        let count = added.iter().filter(|(_, r)| r.is_ok()).count();
        info!(interface, %binding, added = count, "bound");
        outcomes.extend(added);
        Ok(outcomes)
    }

    /// Adds `addr` through the interface `index` as `binding` (no DAD for IPv6 addresses).
    async fn add(
        &self,
        binding: Binding,
        index: u32,
        addr: IpAddr,
        operation: Operation,
    ) -> Result<Bound, Error> {
        let added = match binding {
            Binding::Address => {
                let mut request = self
                    .handle
                    .address()
                    .add(index, addr, host_prefix_len(addr));
                skip_dad(request.message_mut());
                request.execute().await
            }
            Binding::Route => {
                let message = local_route_message(index, addr);
                self.handle.route().add(message).execute().await
            }
        };
        match added {
            Ok(()) => Ok(Bound::Added),
            Err(err) if errno(&err) == Some(libc::EEXIST) => {
                debug!(%addr, "bound meanwhile by someone else");
                Ok(Bound::AlreadyPresent)
            }
            Err(err) => Err(Error::from_netlink(operation, err)),
        }
    }

    /// Removes the host address `addr` from `interface`, or its `local` route,
    /// as `binding`. Absent is `Ok(())`; the same address with a shorter
    /// prefix, or a route announcer did not add (the kernel's, for an
    /// address), is left alone.
    pub async fn unbind(
        &self,
        binding: Binding,
        interface: &str,
        addr: IpAddr,
    ) -> Result<(), Error> {
        let index = link::index_of(&self.handle, interface).await?;
        let removed = match binding {
            Binding::Address => {
                let message = host_message(index, addr);
                self.handle.address().del(message).execute().await
            }
            Binding::Route => {
                let message = local_route_message(index, addr);
                self.handle.route().del(message).execute().await
            }
        };
        match removed {
            Ok(()) => {
                info!(%addr, interface, %binding, "unbound");
                Ok(())
            }
            Err(err) if matches!(errno(&err), Some(libc::EADDRNOTAVAIL | libc::ESRCH)) => {
                debug!(%addr, interface, "not bound, nothing to unbind");
                Ok(())
            }
            Err(err) => Err(Error::from_netlink(
                Operation::Unbind {
                    interface: interface.to_owned(),
                    addr,
                },
                err,
            )),
        }
    }

    /// The host addresses (/32, /128) currently on `interface`, or the
    /// addresses of the `local` host routes through it (whoever added them),
    /// in the kernel's order. Loopback addresses (`::1`, 127.0.0.0/8) are not
    /// listed: they are never VIPs, and must never look like stale ones.
    pub async fn bound(&self, binding: Binding, interface: &str) -> Result<Vec<IpAddr>, Error> {
        let operation = Operation::List {
            interface: interface.to_owned(),
        };
        let index = link::index_of(&self.handle, interface).await?;
        let held: Vec<IpAddr> = match binding {
            Binding::Address => self
                .addresses(AddressFamily::Unspec, &operation)
                .await?
                .iter()
                .filter(|msg| msg.header.index == index && is_host(msg))
                .filter_map(local_addr)
                .collect(),
            Binding::Route => self
                .routes(&operation)
                .await?
                .iter()
                .filter_map(local_host_route)
                .filter(|&(oif, _)| oif == index)
                .map(|(_, addr)| addr)
                .collect(),
        };
        Ok(held.into_iter().filter(|a| !a.is_loopback()).collect())
    }

    /// The interface that holds `addr` (at any prefix length), if any.
    pub async fn find(&self, addr: IpAddr) -> Result<Option<String>, Error> {
        let operation = Operation::Find { addr };
        match self.holders(addr, &operation).await?.first() {
            Some(&index) => link::name_of(&self.handle, index, &operation).await,
            None => Ok(None),
        }
    }

    /// The first global-scope IPv4 address on the host, for a default BGP
    /// router id; `None` if there is none.
    ///
    /// Addresses on loopback interfaces are skipped: that is where VIPs
    /// live, and a VIP is shared by every node announcing it, so as a router
    /// id it would collide.
    pub async fn first_global_ipv4(&self) -> Result<Option<Ipv4Addr>, Error> {
        let operation = Operation::FirstGlobalIpv4;
        let loopbacks = link::loopbacks(&self.handle, &operation).await?;
        let addresses = self.addresses(AddressFamily::Inet, &operation).await?;
        Ok(addresses
            .iter()
            .filter(|msg| !loopbacks.contains(&msg.header.index))
            .find_map(global_ipv4))
    }

    /// Every address of every interface, of one family (`Unspec`: all).
    async fn addresses(
        &self,
        family: AddressFamily,
        operation: &Operation,
    ) -> Result<Vec<AddressMessage>, Error> {
        let mut request = self.handle.address().get();
        request.message_mut().header.family = family;
        request
            .execute()
            .try_collect()
            .await
            .map_err(|err| Error::from_netlink(operation.clone(), err))
    }

    /// Every route of every table and family.
    async fn routes(&self, operation: &Operation) -> Result<Vec<RouteMessage>, Error> {
        let mut request = self.handle.route().get(RouteMessage::default());
        request.message_mut().header.address_family = AddressFamily::Unspec;
        request
            .execute()
            .try_collect()
            .await
            .map_err(|err| Error::from_netlink(operation.clone(), err))
    }

    /// The indexes of the interfaces holding `addr`, at any prefix length.
    async fn holders(&self, addr: IpAddr, operation: &Operation) -> Result<Vec<u32>, Error> {
        let addresses = self.addresses(family_of(addr), operation).await?;
        Ok(addresses
            .iter()
            .filter(|msg| local_addr(msg) == Some(addr))
            .map(|msg| msg.header.index)
            .collect())
    }

    /// The interface name of `index`, or `#index` if it vanished meanwhile.
    async fn name_or_index(&self, index: u32, operation: &Operation) -> Result<String, Error> {
        let name = link::name_of(&self.handle, index, operation).await?;
        Ok(name.unwrap_or_else(|| format!("#{index}")))
    }
}

/// The tokio runtime to spawn connection tasks on.
pub(crate) fn current_runtime(operation: Operation) -> Result<tokio::runtime::Handle, Error> {
    tokio::runtime::Handle::try_current().map_err(|_| Error::NoRuntime { operation })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_outside_a_tokio_runtime_is_an_error_not_a_panic() {
        let result = futures::executor::block_on(Vips::new());
        assert!(matches!(
            result,
            Err(Error::NoRuntime {
                operation: Operation::Connect
            })
        ));
    }
}
