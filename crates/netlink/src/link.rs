//! Interface lookups over rtnetlink: name to index, index to name, and the
//! set of loopback interfaces.
//!
//! Invariant: a name the kernel does not know (ENODEV) or that cannot be an
//! interface name becomes `Error::NoSuchInterface`; no other error is
//! reinterpreted.

use std::collections::HashSet;

use futures::TryStreamExt;
use rtnetlink::packet_route::link::{LinkAttribute, LinkFlags, LinkMessage};
use rtnetlink::Handle;

use crate::error::{errno, Error, Operation};

/// IFNAMSIZ: kernel interface names are at most 15 bytes.
const MAX_NAME_LEN: usize = 15;

/// The index of the interface called `name`.
pub(crate) async fn index_of(handle: &Handle, name: &str) -> Result<u32, Error> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err(Error::NoSuchInterface(name.to_owned()));
    }
    let mut links = handle.link().get().match_name(name).execute();
    match links.try_next().await {
        Ok(Some(link)) => Ok(link.header.index),
        Ok(None) => Err(Error::NoSuchInterface(name.to_owned())),
        Err(err) if errno(&err) == Some(libc::ENODEV) => {
            Err(Error::NoSuchInterface(name.to_owned()))
        }
        Err(err) => Err(Error::from_netlink(
            Operation::Resolve {
                interface: name.to_owned(),
            },
            err,
        )),
    }
}

/// The name of the interface with `index`, if it still exists.
pub(crate) async fn name_of(
    handle: &Handle,
    index: u32,
    operation: &Operation,
) -> Result<Option<String>, Error> {
    let mut links = handle.link().get().match_index(index).execute();
    match links.try_next().await {
        Ok(link) => Ok(link.as_ref().and_then(name)),
        Err(err) if errno(&err) == Some(libc::ENODEV) => Ok(None),
        Err(err) => Err(Error::from_netlink(operation.clone(), err)),
    }
}

/// The indexes of all loopback interfaces.
pub(crate) async fn loopbacks(
    handle: &Handle,
    operation: &Operation,
) -> Result<HashSet<u32>, Error> {
    handle
        .link()
        .get()
        .execute()
        .try_filter_map(|link| async move {
            Ok(link
                .header
                .flags
                .contains(LinkFlags::Loopback)
                .then_some(link.header.index))
        })
        .try_collect()
        .await
        .map_err(|err| Error::from_netlink(operation.clone(), err))
}

/// The interface name a link message carries.
pub(crate) fn name(link: &LinkMessage) -> Option<String> {
    link.attributes
        .iter()
        .find_map(|attribute| match attribute {
            LinkAttribute::IfName(name) => Some(name.clone()),
            _ => None,
        })
}
