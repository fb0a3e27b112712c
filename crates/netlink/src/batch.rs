//! Many adds in one datagram. The kernel handles an rtnetlink request while it is being
//! sent, so one `sendmsg` carrying [`PER_DATAGRAM`] adds returns with every one of their
//! acks already queued on the socket: thousands of VIPs cost a few hundred system calls
//! instead of two each, and nothing here ever waits.
//!
//! Invariant: at most [`PER_DATAGRAM`] acks are outstanding, so that they fit the socket's
//! receive buffer (a full buffer would drop them); an add whose ack is missing is reported
//! as failed, and the caller tries it again on its own.

use std::io;
use std::net::IpAddr;

use rtnetlink::packet_core::{
    NetlinkMessage, NetlinkPayload, NLM_F_ACK, NLM_F_CREATE, NLM_F_EXCL, NLM_F_REQUEST,
};
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::sys::{protocols::NETLINK_ROUTE, Socket, SocketAddr};

use crate::addr::{host_message, skip_dad};
use crate::binding::Binding;
use crate::error::{Error, Operation};
use crate::route::local_route_message;
use crate::vips::Bound;

/// The most adds one datagram carries (and acks outstanding).
const PER_DATAGRAM: usize = 64;
/// Room for one datagram of adds, and for the largest ack (a refusal echoes its request).
const BUFFER: usize = 64 * 1024;

/// The add request of `addr` through interface `index` as `binding`.
fn request(binding: Binding, index: u32, addr: IpAddr) -> RouteNetlinkMessage {
    match binding {
        Binding::Address => {
            let mut msg = host_message(index, addr);
            skip_dad(&mut msg);
            RouteNetlinkMessage::NewAddress(msg)
        }
        Binding::Route => RouteNetlinkMessage::NewRoute(local_route_message(index, addr)),
    }
}

/// Adds every address of `addrs` through interface `index` (named `interface`) as
/// `binding`, each with its own outcome in the order given; `Err` only when no socket
/// can be opened. Other tasks run between datagrams.
pub(crate) async fn add_all(
    binding: Binding,
    interface: &str,
    index: u32,
    addrs: &[IpAddr],
) -> Result<Vec<(IpAddr, Result<Bound, Error>)>, Error> {
    let socket = open().map_err(|source| Error::Socket {
        operation: Operation::Connect,
        source,
    })?;
    let mut outbox = vec![0u8; BUFFER];
    let mut inbox = Vec::with_capacity(BUFFER);
    let mut outcomes = Vec::with_capacity(addrs.len());
    for (number, chunk) in addrs.chunks(PER_DATAGRAM).enumerate() {
        let first = first_sequence(number);
        let mut answers: Vec<Option<Result<Bound, i32>>> = vec![None; chunk.len()];
        match send(&socket, &mut outbox, binding, index, chunk, first) {
            Ok(()) => receive(&socket, &mut inbox, first, &mut answers),
            Err(err) => answers.fill(Some(Err(err.raw_os_error().unwrap_or(libc::EIO)))),
        }
        for (&addr, answer) in chunk.iter().zip(answers) {
            let operation = || Operation::Bind {
                interface: interface.to_owned(),
                addr,
            };
            let outcome = match answer {
                Some(Ok(bound)) => Ok(bound),
                Some(Err(errno)) => Err(Error::from_errno(operation(), errno)),
                None => Err(Error::Socket {
                    operation: operation(),
                    source: io::Error::other("the kernel's answer went missing"),
                }),
            };
            outcomes.push((addr, outcome));
        }
        tokio::task::yield_now().await;
    }
    Ok(outcomes)
}

/// A netlink route socket, bound, that never blocks.
fn open() -> io::Result<Socket> {
    let mut socket = Socket::new(NETLINK_ROUTE)?;
    socket.bind_auto()?;
    socket.set_non_blocking(true)?;
    socket.set_cap_ack(true)?;
    Ok(socket)
}

/// The sequence number of the first add of the `number`th datagram of a call: the
/// datagram's number in the upper bits, the add's place in it (from 1) in the lowest 8,
/// so that no number is 0 (the kernel's own messages) or repeats within 65,536 datagrams.
fn first_sequence(number: usize) -> u32 {
    ((number % 0x1_0000) as u32) << 8 | 1
}

/// Sends the adds of `chunk` in one datagram, numbered from `first`.
fn send(
    socket: &Socket,
    buffer: &mut [u8],
    binding: Binding,
    index: u32,
    chunk: &[IpAddr],
    first: u32,
) -> io::Result<()> {
    let mut length = 0;
    for (n, &addr) in (first..first + PER_DATAGRAM as u32).zip(chunk) {
        let mut message = NetlinkMessage::from(request(binding, index, addr));
        message.header.flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_EXCL | NLM_F_CREATE;
        message.header.sequence_number = n;
        message.finalize();
        let end = length + message.buffer_len();
        let slot = buffer
            .get_mut(length..end)
            .ok_or_else(|| io::Error::other("a datagram of adds outgrew its buffer"))?;
        message.serialize(slot);
        length = end;
    }
    let datagram = buffer.get(..length).unwrap_or_default();
    let sent = socket.send_to(datagram, &SocketAddr::new(0, 0), 0)?;
    if sent == length {
        Ok(())
    } else {
        Err(io::Error::other("the kernel took part of a datagram"))
    }
}

/// Reads the acks queued for the adds numbered from `first` into `answers`, until every
/// one is answered or none is left to read.
fn receive(
    socket: &Socket,
    buffer: &mut Vec<u8>,
    first: u32,
    answers: &mut [Option<Result<Bound, i32>>],
) {
    let mut unanswered = answers.len();
    while unanswered > 0 {
        buffer.clear();
        let Ok(length) = socket.recv(buffer, 0) else {
            return;
        };
        let mut rest = buffer.get(..length).unwrap_or_default();
        while let Ok(message) = NetlinkMessage::<RouteNetlinkMessage>::deserialize(rest) {
            let size = (message.header.length as usize).next_multiple_of(4).max(4);
            rest = rest.get(size..).unwrap_or_default();
            let NetlinkPayload::Error(ack) = message.payload else {
                continue;
            };
            let n = message.header.sequence_number.wrapping_sub(first) as usize;
            let Some(slot @ None) = answers.get_mut(n) else {
                continue;
            };
            *slot = Some(match ack.code.map(|code| code.get().saturating_abs()) {
                None => Ok(Bound::Added),
                Some(libc::EEXIST) => Ok(Bound::AlreadyPresent),
                Some(errno) => Err(errno),
            });
            unanswered -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_numbers_are_never_zero_and_leave_room_for_a_datagram() {
        assert_eq!(first_sequence(0), 1);
        assert_eq!(first_sequence(1), 0x101);
        assert_eq!(first_sequence(0x1_0000), 1);
        let last = first_sequence(0xffff) + PER_DATAGRAM as u32 - 1;
        assert_eq!(last, 0xff_ff40);
    }

    #[test]
    fn a_datagram_of_adds_fits_the_buffer() {
        let addrs: Vec<IpAddr> = (0..PER_DATAGRAM)
            .map(|n| format!("2001:db8::{n:x}").parse().unwrap())
            .collect();
        for binding in [Binding::Address, Binding::Route] {
            let length: usize = addrs
                .iter()
                .map(|&addr| NetlinkMessage::from(request(binding, 1, addr)).buffer_len())
                .sum();
            assert!(length <= BUFFER, "{binding}: {length}");
        }
    }
}
