//! The crate's one error type, and the pure mapping from a kernel errno (as
//! carried inside an rtnetlink error) to it.
//!
//! Invariant: every message names what was being done (address, interface)
//! and, for a refusal by the kernel, why; a permission error always says
//! that CAP_NET_ADMIN is needed.

use std::fmt;
use std::io;
use std::net::IpAddr;

/// What the crate was doing when an error happened; printed at the start of
/// error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// Opening the rtnetlink socket that requests go through.
    Connect,
    /// Subscribing to address and link events.
    Watch,
    /// Looking up an interface index by name.
    Resolve {
        /// The interface name looked up.
        interface: String,
    },
    /// Adding a host address to an interface.
    Bind {
        /// The interface the address goes on.
        interface: String,
        /// The address being bound.
        addr: IpAddr,
    },
    /// Deleting a host address from an interface.
    Unbind {
        /// The interface the address is removed from.
        interface: String,
        /// The address being removed.
        addr: IpAddr,
    },
    /// Listing the host addresses of an interface.
    List {
        /// The interface listed.
        interface: String,
    },
    /// Looking for the interface that holds an address.
    Find {
        /// The address looked for.
        addr: IpAddr,
    },
    /// Looking for a global-scope IPv4 address on the host.
    FirstGlobalIpv4,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect => write!(f, "opening an rtnetlink socket"),
            Self::Watch => write!(f, "subscribing to address events"),
            Self::Resolve { interface } => write!(f, "looking up interface {interface}"),
            Self::Bind { interface, addr } => write!(f, "binding {addr} to {interface}"),
            Self::Unbind { interface, addr } => write!(f, "unbinding {addr} from {interface}"),
            Self::List { interface } => write!(f, "listing the addresses of {interface}"),
            Self::Find { addr } => write!(f, "looking for the interface holding {addr}"),
            Self::FirstGlobalIpv4 => write!(f, "looking for a global IPv4 address"),
        }
    }
}

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No tokio runtime to spawn the netlink connection task on.
    #[error("{operation}: must be called inside a tokio runtime")]
    NoRuntime {
        /// What was being done.
        operation: Operation,
    },
    /// The netlink socket could not be opened or subscribed.
    #[error("{operation}: {source}")]
    Socket {
        /// What was being done.
        operation: Operation,
        /// The socket error.
        source: io::Error,
    },
    /// The named interface does not exist.
    #[error("no such interface: {0}")]
    NoSuchInterface(String),
    /// The address is already configured on a different interface; it is
    /// reported and never bound a second time.
    #[error("{addr} is already on interface {interface}: not binding it a second time")]
    OnOtherInterface {
        /// The address asked for.
        addr: IpAddr,
        /// The interface that holds it.
        interface: String,
    },
    /// The kernel refused for lack of privileges (EPERM or EACCES).
    #[error("{operation}: needs CAP_NET_ADMIN ({source})")]
    PermissionDenied {
        /// What was being done.
        operation: Operation,
        /// The kernel's errno.
        source: io::Error,
    },
    /// The kernel refused with another errno.
    #[error("{operation}: the kernel refused: {source}")]
    Kernel {
        /// What was being done.
        operation: Operation,
        /// The kernel's errno.
        source: io::Error,
    },
    /// A netlink failure without an errno (unexpected or undecodable reply,
    /// closed connection).
    #[error("{operation}: {source}")]
    Netlink {
        /// What was being done.
        operation: Operation,
        /// The rtnetlink error.
        source: rtnetlink::Error,
    },
}

/// The positive errno inside an rtnetlink error, if the kernel sent one.
pub(crate) fn errno(err: &rtnetlink::Error) -> Option<i32> {
    match err {
        rtnetlink::Error::NetlinkError(msg) => msg.code.map(|code| code.get().saturating_abs()),
        _ => None,
    }
}

impl Error {
    /// Maps a kernel errno met during `operation` to an error.
    pub(crate) fn from_errno(operation: Operation, errno: i32) -> Self {
        let source = io::Error::from_raw_os_error(errno);
        match source.kind() {
            io::ErrorKind::PermissionDenied => Self::PermissionDenied { operation, source },
            _ => Self::Kernel { operation, source },
        }
    }

    /// Maps an rtnetlink error met during `operation` to an error, by its
    /// errno when it carries one.
    pub(crate) fn from_netlink(operation: Operation, source: rtnetlink::Error) -> Self {
        match errno(&source) {
            Some(code) => Self::from_errno(operation, code),
            None => Self::Netlink { operation, source },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use libc::{EACCES, ENODEV, EPERM};
    use rtnetlink::packet_core::ErrorMessage;
    use std::num::NonZeroI32;

    fn bind_lo() -> Operation {
        Operation::Bind {
            interface: "lo".to_owned(),
            addr: "192.0.2.10".parse().unwrap(),
        }
    }

    fn nack(code: i32) -> rtnetlink::Error {
        let mut msg = ErrorMessage::default();
        msg.code = NonZeroI32::new(code);
        rtnetlink::Error::NetlinkError(msg)
    }

    #[test]
    fn eperm_and_eacces_say_cap_net_admin_with_address_and_interface() {
        for code in [EPERM, EACCES] {
            let err = Error::from_errno(bind_lo(), code);
            assert!(matches!(err, Error::PermissionDenied { .. }), "{err:?}");
            let text = err.to_string();
            assert!(text.contains("needs CAP_NET_ADMIN"), "{text}");
            assert!(text.contains("192.0.2.10"), "{text}");
            assert!(text.contains("lo"), "{text}");
        }
    }

    #[test]
    fn negative_netlink_code_becomes_positive_errno() {
        assert_eq!(errno(&nack(-EPERM)), Some(EPERM));
        let err = Error::from_netlink(bind_lo(), nack(-EACCES));
        assert!(matches!(err, Error::PermissionDenied { .. }), "{err:?}");
    }

    #[test]
    fn other_errno_is_a_kernel_error_naming_the_operation() {
        let op = Operation::Unbind {
            interface: "dum0".to_owned(),
            addr: "2001:db8::7".parse().unwrap(),
        };
        let err = Error::from_netlink(op, nack(-ENODEV));
        assert!(matches!(err, Error::Kernel { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.starts_with("unbinding 2001:db8::7 from dum0: the kernel refused"),
            "{text}"
        );
        assert!(!text.contains("CAP_NET_ADMIN"), "{text}");
    }

    #[test]
    fn errors_without_errno_stay_netlink_errors() {
        assert_eq!(errno(&rtnetlink::Error::RequestFailed), None);
        let err = Error::from_netlink(Operation::FirstGlobalIpv4, rtnetlink::Error::RequestFailed);
        assert!(matches!(err, Error::Netlink { .. }), "{err:?}");
    }

    #[test]
    fn on_other_interface_names_both() {
        let err = Error::OnOtherInterface {
            addr: "198.51.100.4".parse().unwrap(),
            interface: "dum0".to_owned(),
        };
        assert_eq!(
            err.to_string(),
            "198.51.100.4 is already on interface dum0: not binding it a second time"
        );
    }
}
