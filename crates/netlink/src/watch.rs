//! Address events: a separate rtnetlink socket subscribed to the IPv4 and
//! IPv6 ifaddr and route groups (and the link group, to name interfaces),
//! turned into [`AddressEvent`]s on a bounded channel: addresses, and `local`
//! host routes in the `local` table.
//!
//! Invariant: the subscription exists before the interface names are read,
//! so no event from the moment [`Vips::watch`] returns is missed; if the
//! kernel drops some (overrun), the channel closes instead of going on with
//! a gap.

use std::collections::HashMap;
use std::net::IpAddr;

use futures::channel::mpsc::UnboundedReceiver;
use futures::{StreamExt, TryStreamExt};
use rtnetlink::packet_core::{NetlinkMessage, NetlinkPayload};
use rtnetlink::packet_route::address::{AddressAttribute, AddressMessage};
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::sys::SocketAddr;
use rtnetlink::{Handle, MulticastGroup};
use tokio::sync::mpsc;
use tracing::{debug, warn};

use crate::addr::local_addr;
use crate::binding::Binding;
use crate::error::{Error, Operation};
use crate::link;
use crate::route::local_host_route;
use crate::vips::{current_runtime, Vips};

/// How many events may wait for the receiver before the watcher waits.
const CHANNEL_CAPACITY: usize = 256;

/// Unsolicited messages from a multicast rtnetlink socket.
type Messages = UnboundedReceiver<(NetlinkMessage<RouteNetlinkMessage>, SocketAddr)>;

/// An address, or a `local` host route, appearing on or disappearing from an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressEvent {
    /// Whether it appeared or disappeared.
    pub kind: AddressEventKind,
    /// The interface name (`#index` if it was unknown).
    pub interface: String,
    /// The local address.
    pub addr: IpAddr,
    /// Its prefix length.
    pub prefix_len: u8,
    /// An address, or a `local` route.
    pub binding: Binding,
}

/// What happened to the address of an [`AddressEvent`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressEventKind {
    /// The kernel added (or updated) it.
    Added,
    /// The kernel removed it.
    Removed,
}

impl AddressEventKind {
    /// [`Added`](Self::Added) when `present`, else [`Removed`](Self::Removed).
    fn from_present(present: bool) -> Self {
        if present {
            AddressEventKind::Added
        } else {
            AddressEventKind::Removed
        }
    }

    /// Whether the address is there after the event.
    pub fn present(self) -> bool {
        self == AddressEventKind::Added
    }
}

impl Vips {
    /// Address and `local` route events from now on, from a separate netlink
    /// socket subscribed to the IPv4 and IPv6 ifaddr and route groups.
    ///
    /// The channel closes when events were lost (the socket's receive
    /// buffer overflowed) or the socket failed: the caller should then
    /// re-read the state with [`Vips::bound`] and watch again. Dropping the
    /// receiver stops the watcher.
    pub async fn watch(&self) -> Result<mpsc::Receiver<AddressEvent>, Error> {
        let runtime = current_runtime(Operation::Watch)?;
        let (connection, handle, messages) = rtnetlink::new_multicast_connection(&[
            MulticastGroup::Link,
            MulticastGroup::Ipv4Ifaddr,
            MulticastGroup::Ipv6Ifaddr,
            MulticastGroup::Ipv4Route,
            MulticastGroup::Ipv6Route,
        ])
        .map_err(|source| Error::Socket {
            operation: Operation::Watch,
            source,
        })?;
        runtime.spawn(connection);
        let names = interface_names(&handle).await?;
        let (events, receiver) = mpsc::channel(CHANNEL_CAPACITY);
        runtime.spawn(forward(messages, names, events));
        Ok(receiver)
    }
}

/// Names of all interfaces by index.
async fn interface_names(handle: &Handle) -> Result<HashMap<u32, String>, Error> {
    handle
        .link()
        .get()
        .execute()
        .try_filter_map(
            |msg| async move { Ok(link::name(&msg).map(|name| (msg.header.index, name))) },
        )
        .try_collect()
        .await
        .map_err(|err| Error::from_netlink(Operation::Watch, err))
}

/// Translates netlink messages into events until the socket or the
/// receiver goes away; dropping `messages` then ends the connection task.
async fn forward(
    mut messages: Messages,
    mut names: HashMap<u32, String>,
    events: mpsc::Sender<AddressEvent>,
) {
    loop {
        let message = tokio::select! {
            () = events.closed() => break,
            message = messages.next() => message,
        };
        let Some((message, _)) = message else {
            debug!("address event socket closed");
            break;
        };
        let payload = match message.payload {
            NetlinkPayload::InnerMessage(payload) => payload,
            NetlinkPayload::Overrun(_) => {
                warn!("address events lost (netlink receive buffer full); closing the watch");
                break;
            }
            _ => continue,
        };
        let Some(event) = translate(payload, &mut names) else {
            continue;
        };
        debug!(?event, "address event");
        if events.send(event).await.is_err() {
            break;
        }
    }
}

/// The event a message stands for, keeping `names` up to date on link
/// messages. The kernel reports an interface's addresses removed before the
/// interface itself, so removals are still named.
fn translate(
    payload: RouteNetlinkMessage,
    names: &mut HashMap<u32, String>,
) -> Option<AddressEvent> {
    match payload {
        RouteNetlinkMessage::NewLink(msg) => {
            if let Some(name) = link::name(&msg) {
                names.insert(msg.header.index, name);
            }
            None
        }
        RouteNetlinkMessage::DelLink(msg) => {
            names.remove(&msg.header.index);
            None
        }
        RouteNetlinkMessage::NewAddress(ref msg) | RouteNetlinkMessage::DelAddress(ref msg) => {
            let (interface, addr) = describe(msg, names)?;
            let present = matches!(payload, RouteNetlinkMessage::NewAddress(_));
            let prefix_len = msg.header.prefix_len;
            Some(event(
                present,
                interface,
                addr,
                prefix_len,
                Binding::Address,
            ))
        }
        RouteNetlinkMessage::NewRoute(ref msg) | RouteNetlinkMessage::DelRoute(ref msg) => {
            let (index, addr) = local_host_route(msg)?;
            let present = matches!(payload, RouteNetlinkMessage::NewRoute(_));
            let prefix_len = msg.header.destination_prefix_length;
            Some(event(
                present,
                name_of(index, names),
                addr,
                prefix_len,
                Binding::Route,
            ))
        }
        _ => None,
    }
}

/// The event of an address (or route) that is `present` after the message, or not.
fn event(
    present: bool,
    interface: String,
    addr: IpAddr,
    prefix_len: u8,
    binding: Binding,
) -> AddressEvent {
    AddressEvent {
        kind: AddressEventKind::from_present(present),
        interface,
        addr,
        prefix_len,
        binding,
    }
}

/// The interface name and local address of an address message. An unknown
/// index falls back to the IPv4 label, then to `#index`.
fn describe(msg: &AddressMessage, names: &HashMap<u32, String>) -> Option<(String, IpAddr)> {
    let addr = local_addr(msg)?;
    let index = msg.header.index;
    let interface = match names.get(&index) {
        Some(name) => name.clone(),
        None => label(msg).unwrap_or_else(|| name_of(index, names)),
    };
    Some((interface, addr))
}

/// The name of interface `index`, or `#index` when it is unknown.
fn name_of(index: u32, names: &HashMap<u32, String>) -> String {
    names
        .get(&index)
        .cloned()
        .unwrap_or_else(|| format!("#{index}"))
}

/// The IFA_LABEL of an IPv4 address message.
fn label(msg: &AddressMessage) -> Option<String> {
    msg.attributes.iter().find_map(|attribute| match attribute {
        AddressAttribute::Label(label) => Some(label.clone()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::host_message;
    use rtnetlink::packet_route::link::{LinkAttribute, LinkMessage};

    fn link_message(index: u32, name: &str) -> LinkMessage {
        let mut msg = LinkMessage::default();
        msg.header.index = index;
        msg.attributes.push(LinkAttribute::IfName(name.to_owned()));
        msg
    }

    #[test]
    fn link_messages_name_later_address_events() {
        let mut names = HashMap::new();
        let new_link = RouteNetlinkMessage::NewLink(link_message(4, "dum0"));
        assert_eq!(translate(new_link, &mut names), None);
        let addr = "192.0.2.9".parse().unwrap();
        let added = RouteNetlinkMessage::NewAddress(host_message(4, addr));
        let expected = event(true, "dum0".to_owned(), addr, 32, Binding::Address);
        assert_eq!(expected.kind, AddressEventKind::Added);
        assert_eq!(translate(added, &mut names), Some(expected));
    }

    #[test]
    fn removal_after_link_deletion_falls_back_to_index() {
        let mut names = HashMap::from([(4, "dum0".to_owned())]);
        let del_link = RouteNetlinkMessage::DelLink(link_message(4, "dum0"));
        assert_eq!(translate(del_link, &mut names), None);
        let addr = "2001:db8::9".parse().unwrap();
        let removed = RouteNetlinkMessage::DelAddress(host_message(4, addr));
        let expected = event(false, "#4".to_owned(), addr, 128, Binding::Address);
        assert_eq!(expected.kind, AddressEventKind::Removed);
        assert_eq!(translate(removed, &mut names), Some(expected));
    }

    #[test]
    fn local_routes_come_and_go_as_route_events_and_other_routes_are_ignored() {
        use crate::route::local_route_message;
        use rtnetlink::packet_route::route::RouteType;
        let mut names = HashMap::from([(1, "lo".to_owned())]);
        let route = local_route_message(1, "203.0.113.9".parse().unwrap());
        let addr: IpAddr = "203.0.113.9".parse().unwrap();
        let expected = |present| Some(event(present, "lo".to_owned(), addr, 32, Binding::Route));
        let added = RouteNetlinkMessage::NewRoute(route.clone());
        assert_eq!(translate(added, &mut names), expected(true));
        let removed = RouteNetlinkMessage::DelRoute(route.clone());
        assert_eq!(translate(removed, &mut names), expected(false));
        let mut unicast = route;
        unicast.header.kind = RouteType::Unicast;
        let other = RouteNetlinkMessage::NewRoute(unicast);
        assert_eq!(translate(other, &mut names), None);
    }

    #[test]
    fn ipv4_label_names_an_unknown_interface() {
        let mut msg = host_message(9, "198.51.100.9".parse().unwrap());
        msg.attributes
            .push(AddressAttribute::Label("lo:vip".to_owned()));
        let (interface, _) = describe(&msg, &HashMap::new()).unwrap();
        assert_eq!(interface, "lo:vip");
    }
}
