//! The sockets of single-hop BFD (RFC 5881): one receiver per address family on UDP port
//! 3784 that reports each packet's TTL or hop limit, and per session a sender on its own
//! source port in 49152–65535 with TTL 255.

use std::io;
use std::io::IoSliceMut;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::os::fd::AsRawFd;

use nix::sys::socket::{self, recvmsg, sockopt, ControlMessageOwned, MsgFlags, SockaddrStorage};
use socket2::{Domain, Protocol, Socket, Type};
use tokio::io::Interest;
use tokio::net::UdpSocket;

/// The destination port of single-hop control packets (RFC 5881 §4).
pub const CONTROL_PORT: u16 = 3784;
/// The TTL or hop limit every single-hop packet is sent with and must arrive with (§5).
pub const TTL: u8 = 255;
/// The source ports a session may use (§4).
pub const SOURCE_PORTS: std::ops::RangeInclusive<u16> = 49152..=65535;

/// The receive buffer asked for (the kernel caps it at `net.core.rmem_max`): a burst of
/// garbage must not crowd out the peers' packets.
const RECEIVE_BUFFER_BYTES: usize = 1 << 20;

/// The largest packet read: a control packet with the longest authentication section is 52
/// bytes; more is cut and then fails the Length check or is ignored.
const RECEIVE_BUFFER: usize = 128;

/// A received datagram.
pub struct Datagram {
    /// The UDP payload (at most [`RECEIVE_BUFFER`] bytes of it).
    pub payload: Vec<u8>,
    /// Who sent it.
    pub from: SocketAddr,
    /// The TTL or hop limit it arrived with, when the kernel reported it.
    pub ttl: Option<u8>,
}

/// Binds the receiver of one family on port 3784 (IPv6 only for IPv6).
pub fn receiver(ipv6: bool) -> io::Result<UdpSocket> {
    let addr = if ipv6 {
        SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), CONTROL_PORT)
    } else {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), CONTROL_PORT)
    };
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if ipv6 {
        socket.set_only_v6(true)?;
        socket::setsockopt(&socket, sockopt::Ipv6RecvHopLimit, &true)?;
    } else {
        socket::setsockopt(&socket, sockopt::Ipv4RecvTtl, &true)?;
    }
    socket.set_recv_buffer_size(RECEIVE_BUFFER_BYTES)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

/// Binds a sender for `peer` from `local` (or the address the kernel picks) on `port`, with
/// TTL (hop limit) 255.
pub fn sender(peer: IpAddr, local: Option<IpAddr>, port: u16) -> io::Result<UdpSocket> {
    let unspecified = match peer {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    };
    let addr = SocketAddr::new(local.unwrap_or(unspecified), port);
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if peer.is_ipv6() {
        socket.set_unicast_hops_v6(u32::from(TTL))?;
    } else {
        socket.set_ttl(u32::from(TTL))?;
    }
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    UdpSocket::from_std(socket.into())
}

/// Receives one datagram with its TTL, waiting until one is there.
pub async fn receive(socket: &UdpSocket) -> io::Result<Datagram> {
    socket
        .async_io(Interest::READABLE, || receive_now(socket))
        .await
}

fn receive_now(socket: &UdpSocket) -> io::Result<Datagram> {
    let mut payload = vec![0; RECEIVE_BUFFER];
    let mut iov = [IoSliceMut::new(&mut payload)];
    let mut space = nix::cmsg_space!(libc::c_int);
    let message = recvmsg::<SockaddrStorage>(
        socket.as_raw_fd(),
        &mut iov,
        Some(&mut space),
        MsgFlags::MSG_DONTWAIT,
    )
    .map_err(io::Error::from)?;
    let ttl = message.cmsgs().ok().and_then(|mut cmsgs| {
        cmsgs.find_map(|cmsg| match cmsg {
            ControlMessageOwned::Ipv4Ttl(ttl) | ControlMessageOwned::Ipv6HopLimit(ttl) => {
                u8::try_from(ttl).ok()
            }
            _ => None,
        })
    });
    let from = message
        .address
        .as_ref()
        .and_then(socket_addr)
        .ok_or_else(|| io::Error::other("datagram without a source address"))?;
    let bytes = message.bytes;
    payload.truncate(bytes);
    Ok(Datagram { payload, from, ttl })
}

fn socket_addr(addr: &SockaddrStorage) -> Option<SocketAddr> {
    if let Some(v4) = addr.as_sockaddr_in() {
        return Some(SocketAddr::from((v4.ip(), v4.port())));
    }
    let v6 = addr.as_sockaddr_in6()?;
    let ip = v6.ip();
    Some(SocketAddr::new(ip.to_canonical(), v6.port()))
}
