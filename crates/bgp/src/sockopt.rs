//! Socket options socket2 does not cover: TCP MD5 signatures (RFC 2385, Linux `TCP_MD5SIG`)
//! and the minimum TTL of GTSM (RFC 5082, `IP_MINTTL` / `IPV6_MINHOPCOUNT`).
//!
//! The only module with `unsafe`: each block is one `setsockopt` on a live descriptor with a
//! value that outlives the call.
#![allow(unsafe_code)]

use std::io;
use std::mem;
use std::net::IpAddr;
use std::os::fd::AsRawFd;

/// `struct tcp_md5sig` from `<linux/tcp.h>`.
#[repr(C)]
struct TcpMd5Sig {
    addr: libc::sockaddr_storage,
    flags: u8,
    prefix_len: u8,
    key_len: u16,
    ifindex: libc::c_int,
    key: [u8; libc::TCP_MD5SIG_MAXKEYLEN],
}

/// Sets (or, with an empty key, removes) the TCP MD5 signature key for segments to and from
/// `peer` on `socket`. On a listening socket it applies to connections accepted from `peer`.
pub fn set_tcp_md5(socket: &impl AsRawFd, peer: IpAddr, key: &[u8]) -> io::Result<()> {
    if key.len() > libc::TCP_MD5SIG_MAXKEYLEN {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "TCP MD5 key is {} bytes; Linux accepts at most {}",
                key.len(),
                libc::TCP_MD5SIG_MAXKEYLEN
            ),
        ));
    }
    // SAFETY: sockaddr_storage is plain old data; all-zero is a valid value.
    let mut sig: TcpMd5Sig = unsafe { mem::zeroed() };
    let storage = socket2::SockAddr::from(std::net::SocketAddr::new(peer, 0));
    // SAFETY: SockAddr holds a sockaddr_storage; copying it whole is in bounds.
    sig.addr = unsafe { *storage.as_ptr().cast::<libc::sockaddr_storage>() };
    sig.key_len = u16::try_from(key.len()).unwrap_or(0);
    for (dst, src) in sig.key.iter_mut().zip(key) {
        *dst = *src;
    }
    setsockopt(socket, libc::IPPROTO_TCP, libc::TCP_MD5SIG, &sig)
}

/// Drops packets whose TTL (hop limit) is below `min` (GTSM, RFC 5082 §3).
pub fn set_min_ttl(socket: &impl AsRawFd, peer: IpAddr, min: u8) -> io::Result<()> {
    let value = libc::c_int::from(min);
    match peer {
        IpAddr::V4(_) => setsockopt(socket, libc::IPPROTO_IP, libc::IP_MINTTL, &value),
        IpAddr::V6(_) => setsockopt(socket, libc::IPPROTO_IPV6, libc::IPV6_MINHOPCOUNT, &value),
    }
}

fn setsockopt<T>(socket: &impl AsRawFd, level: i32, name: i32, value: &T) -> io::Result<()> {
    let len = libc::socklen_t::try_from(mem::size_of::<T>())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "option too large"))?;
    // SAFETY: `value` points to a live, initialised T of `len` bytes for the whole call.
    let rc = unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            level,
            name,
            (value as *const T).cast(),
            len,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}
