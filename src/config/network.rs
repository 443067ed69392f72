//! A network in CIDR notation, as a source lists the internal networks its origin may reach
//! (`allowed_networks`). Parsed once with the rest of the configuration; the SSRF guard
//! (`source::address_guard`) asks it whether an address lies inside.

use std::net::IpAddr;
use std::str::FromStr;

/// A network in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or one address), as a source lists
/// the internal networks it may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    base: IpAddr,
    prefix: u8,
}

impl Network {
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.base, canonical(ip)) {
            (IpAddr::V4(base), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(base) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(base), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(base) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4-mapped address is its IPv4 address, so `10.0.0.0/8` allows `::ffff:10.1.2.3` too.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

impl FromStr for Network {
    type Err = String;

    fn from_str(text: &str) -> Result<Network, String> {
        let bad =
            || format!("{text:?} is not a network; write e.g. \"10.0.0.0/8\" or \"fd00::/8\"");
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let base = IpAddr::from_str(address.trim()).map_err(|_| bad())?;
        let bits = if base.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= bits)
                .ok_or_else(bad)?,
        };
        // `::ffff:10.0.0.0/104` is `10.0.0.0/8`; a prefix shorter than the mapping itself
        // would quietly cover every IPv4 address, so it is refused.
        match (base, canonical(base)) {
            (IpAddr::V6(_), IpAddr::V4(v4)) if prefix >= 96 => Ok(Network {
                base: IpAddr::V4(v4),
                prefix: prefix - 96,
            }),
            (IpAddr::V6(_), IpAddr::V4(_)) => Err(bad()),
            _ => Ok(Network { base, prefix }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_parse_strictly() {
        for good in [
            "10.0.0.0/8",
            "0.0.0.0/0",
            "::/0",
            "fd00::/8",
            "192.168.1.1",
            "::ffff:10.0.0.0/104",
        ] {
            assert!(good.parse::<Network>().is_ok(), "{good}");
        }
        for bad in [
            "10.0.0.0/33",
            "fd00::/129",
            "10.0.0/8",
            "example.com",
            "10.0.0.0/x",
            "",
            "::ffff:10.0.0.0/80",
        ] {
            assert!(bad.parse::<Network>().is_err(), "{bad}");
        }
        let mapped: Network = "::ffff:10.0.0.0/104".parse().unwrap();
        assert!(mapped.contains("10.9.9.9".parse().unwrap()));
        assert!(!mapped.contains("11.0.0.1".parse().unwrap()));
    }
}
