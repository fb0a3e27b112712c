//! The addresses the benchmark announces: scale routes from 198.18.0.0/15
//! (RFC 2544's benchmarking block), service VIPs from 203.0.113.0/24.

use std::net::Ipv4Addr;

use crate::plan::MAX_SCALE_ROUTES;
use announcer_harness::error::{Error, Result};

/// The first address of the scale block, 198.18.0.0/15.
const SCALE_BASE: Ipv4Addr = Ipv4Addr::new(198, 18, 0, 0);

/// The scale block, for the one local route that delivers all of it.
pub const SCALE_BLOCK: &str = "198.18.0.0/15";

/// The VIP of the failover scenario.
pub const FAILOVER_VIP: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);

/// `n` distinct addresses of 198.18.0.0/15, in order from 198.18.0.0.
pub fn scale_addresses(n: usize) -> Result<Vec<Ipv4Addr>> {
    if n > MAX_SCALE_ROUTES {
        return Err(Error::Check(format!(
            "198.18.0.0/15 holds {MAX_SCALE_ROUTES} addresses, not {n}"
        )));
    }
    let base = u32::from(SCALE_BASE);
    (0..n)
        .map(|i| {
            u32::try_from(i)
                .map(|i| Ipv4Addr::from(base + i))
                .map_err(|e| Error::Check(e.to_string()))
        })
        .collect()
}

/// `n` service VIPs, 203.0.113.1 upwards (at most 254).
pub fn service_vips(n: usize) -> Result<Vec<Ipv4Addr>> {
    let count = u8::try_from(n)
        .ok()
        .filter(|&count| count < 255)
        .ok_or_else(|| Error::Check(format!("203.0.113.0/24 holds 254 VIPs, not {n}")))?;
    Ok((1..=count).map(|i| Ipv4Addr::new(203, 0, 113, i)).collect())
}

/// `address/32`.
pub fn host_route(address: Ipv4Addr) -> String {
    format!("{address}/32")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_addresses_count_up_from_the_start_of_the_block() {
        let addresses = scale_addresses(300).unwrap();
        assert_eq!(addresses.len(), 300);
        assert_eq!(addresses[0], Ipv4Addr::new(198, 18, 0, 0));
        assert_eq!(addresses[256], Ipv4Addr::new(198, 18, 1, 0));
        let all = scale_addresses(MAX_SCALE_ROUTES).unwrap();
        assert_eq!(all.last(), Some(&Ipv4Addr::new(198, 19, 255, 255)));
        assert!(scale_addresses(MAX_SCALE_ROUTES + 1).is_err());
        let (base, len) = SCALE_BLOCK.split_once('/').unwrap();
        assert_eq!(base.parse::<Ipv4Addr>().unwrap(), SCALE_BASE);
        assert_eq!(
            1usize << (32 - len.parse::<u32>().unwrap()),
            MAX_SCALE_ROUTES
        );
    }

    #[test]
    fn service_vips_stay_inside_the_documentation_block() {
        let vips = service_vips(100).unwrap();
        assert_eq!(vips.first(), Some(&Ipv4Addr::new(203, 0, 113, 1)));
        assert_eq!(vips.last(), Some(&Ipv4Addr::new(203, 0, 113, 100)));
        assert!(service_vips(255).is_err());
        assert_eq!(host_route(vips[0]), "203.0.113.1/32");
    }
}
