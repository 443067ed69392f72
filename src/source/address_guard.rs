//! The SSRF guard for outbound connections (HTTP origins, issue 8): which IP addresses pixgate
//! may connect to on a source's behalf. It judges the address actually about to be connected
//! to — after DNS resolution, for every redirect hop — so a name that resolves (or later
//! re-resolves) to an internal address is refused like the literal address would be.
//!
//! Refused unless the source allows the network explicitly: loopback, private (RFC 1918),
//! unique-local, link-local, carrier-grade NAT, "this network" and unspecified, multicast,
//! broadcast, documentation, benchmarking and reserved ranges. IPv6 forms that carry an IPv4
//! address (IPv4-mapped, IPv4-compatible, NAT64, 6to4) are judged by the IPv4 address inside,
//! so `::ffff:127.0.0.1` is loopback; Teredo and other tunnels are refused outright.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::config::Network;

/// Why an address is not public.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Internal {
    Loopback,
    /// RFC 1918 and IPv6 unique-local (`fc00::/7`) and site-local (`fec0::/10`).
    Private,
    LinkLocal,
    /// RFC 6598 shared address space (`100.64.0.0/10`).
    CarrierGradeNat,
    /// `0.0.0.0/8` and `::`.
    Unspecified,
    Multicast,
    Broadcast,
    /// Documentation, benchmarking, IETF-reserved and future-use ranges, and tunnels whose
    /// real endpoint cannot be judged (Teredo).
    Reserved,
}

impl fmt::Display for Internal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Internal::Loopback => "a loopback address",
            Internal::Private => "a private address",
            Internal::LinkLocal => "a link-local address",
            Internal::CarrierGradeNat => "a carrier-grade NAT address",
            Internal::Unspecified => "an unspecified address",
            Internal::Multicast => "a multicast address",
            Internal::Broadcast => "the broadcast address",
            Internal::Reserved => "a reserved address",
        })
    }
}

/// What kind of address `ip` is; `None` for an ordinary public address.
pub fn classify(ip: IpAddr) -> Option<Internal> {
    match ip {
        IpAddr::V4(v4) => classify_v4(v4),
        IpAddr::V6(v6) => classify_v6(v6),
    }
}

fn classify_v4(ip: Ipv4Addr) -> Option<Internal> {
    let [a, b, c, _] = ip.octets();
    let class = match (a, b, c) {
        (0, _, _) => Internal::Unspecified,
        (10, _, _) | (172, 16..=31, _) | (192, 168, _) => Internal::Private,
        (100, 64..=127, _) => Internal::CarrierGradeNat,
        (127, _, _) => Internal::Loopback,
        (169, 254, _) => Internal::LinkLocal,
        // IETF protocol assignments, TEST-NET-1/2/3, the deprecated 6to4 relay anycast, and
        // benchmarking.
        (192, 0, 0) | (192, 0, 2) | (198, 51, 100) | (203, 0, 113) | (192, 88, 99) => {
            Internal::Reserved
        }
        (198, 18..=19, _) => Internal::Reserved,
        (224..=239, _, _) => Internal::Multicast,
        _ if ip == Ipv4Addr::BROADCAST => Internal::Broadcast,
        (240..=255, _, _) => Internal::Reserved,
        _ => return None,
    };
    Some(class)
}

fn classify_v6(ip: Ipv6Addr) -> Option<Internal> {
    if let Some(v4) = embedded_v4(ip) {
        return classify_v4(v4);
    }
    let s = ip.segments();
    let class = if ip.is_unspecified() {
        Internal::Unspecified
    } else if ip.is_loopback() {
        Internal::Loopback
    } else if s[0] & 0xfe00 == 0xfc00 || s[0] & 0xffc0 == 0xfec0 {
        Internal::Private
    } else if s[0] & 0xffc0 == 0xfe80 {
        Internal::LinkLocal
    } else if s[0] & 0xff00 == 0xff00 {
        Internal::Multicast
    } else if (s[0], s[1]) == (0x2001, 0x0db8)
        // IETF protocol assignments (Teredo, benchmarking, ORCHID…), discard-only, local-use
        // NAT64, and the reserved 0000::/8 around the IPv4 forms handled above.
        || (s[0] == 0x2001 && s[1] < 0x0200)
        || (s[0], s[1], s[2], s[3]) == (0x0100, 0, 0, 0)
        || (s[0], s[1]) == (0x0064, 0xff9b) && s[2] == 1
        || s[0] & 0xff00 == 0
    {
        Internal::Reserved
    } else {
        return None;
    };
    Some(class)
}

/// The IPv4 address an IPv6 address stands for: IPv4-mapped `::ffff:a.b.c.d`, the deprecated
/// IPv4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, and 6to4 `2002:aabb:ccdd::/48`.
fn embedded_v4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = ip.segments();
    let low = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(low()),
        // `::` and `::1` are themselves, not 0.0.0.0 and 0.0.0.1.
        [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 || lo > 1 => Some(low()),
        [0x0064, 0xff9b, 0, 0, 0, 0, _, _] => Some(low()),
        [0x2002, hi, lo, ..] => Some(Ipv4Addr::new(
            (hi >> 8) as u8,
            hi as u8,
            (lo >> 8) as u8,
            lo as u8,
        )),
        _ => None,
    }
}

/// Whether pixgate may connect to `ip` for a source that allows `allowed` networks: public
/// addresses always, internal ones only inside an allowed network.
pub fn check(ip: IpAddr, allowed: &[Network]) -> Result<(), Internal> {
    match classify(ip) {
        None => Ok(()),
        Some(_) if allowed.iter().any(|n| n.contains(ip)) => Ok(()),
        Some(class) => Err(class),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(text: &str) -> Option<Internal> {
        classify(text.parse().unwrap())
    }

    #[test]
    fn every_internal_ipv4_class_is_refused() {
        use Internal::*;
        let cases = [
            ("0.0.0.0", Some(Unspecified)),
            ("0.1.2.3", Some(Unspecified)),
            ("10.0.0.1", Some(Private)),
            ("172.16.0.1", Some(Private)),
            ("172.31.255.255", Some(Private)),
            ("192.168.1.1", Some(Private)),
            ("100.64.0.1", Some(CarrierGradeNat)),
            ("100.127.255.255", Some(CarrierGradeNat)),
            ("127.0.0.1", Some(Loopback)),
            ("127.255.255.254", Some(Loopback)),
            ("169.254.169.254", Some(LinkLocal)),
            ("192.0.0.8", Some(Reserved)),
            ("192.0.2.1", Some(Reserved)),
            ("198.51.100.7", Some(Reserved)),
            ("203.0.113.9", Some(Reserved)),
            ("198.18.0.1", Some(Reserved)),
            ("192.88.99.1", Some(Reserved)),
            ("224.0.0.1", Some(Multicast)),
            ("239.255.255.250", Some(Multicast)),
            ("240.0.0.1", Some(Reserved)),
            ("255.255.255.255", Some(Broadcast)),
            // Neighbours of the ranges are public.
            ("172.15.255.255", None),
            ("172.32.0.0", None),
            ("100.63.255.255", None),
            ("100.128.0.0", None),
            ("169.253.0.1", None),
            ("192.169.0.1", None),
            ("198.17.255.255", None),
            ("198.20.0.0", None),
            ("223.255.255.255", None),
            ("8.8.8.8", None),
            ("93.184.216.34", None),
        ];
        for (ip, want) in cases {
            assert_eq!(class(ip), want, "{ip}");
        }
    }

    #[test]
    fn every_internal_ipv6_class_is_refused_including_ipv4_in_disguise() {
        use Internal::*;
        let cases = [
            ("::", Some(Unspecified)),
            ("::1", Some(Loopback)),
            ("fe80::1", Some(LinkLocal)),
            ("febf::1", Some(LinkLocal)),
            ("fc00::1", Some(Private)),
            ("fd12:3456::1", Some(Private)),
            ("fec0::1", Some(Private)),
            ("ff02::1", Some(Multicast)),
            ("2001:db8::1", Some(Reserved)),
            ("2001::1", Some(Reserved)),
            ("2001:2::1", Some(Reserved)),
            ("100::1", Some(Reserved)),
            ("64:ff9b:1::1", Some(Reserved)),
            // IPv4 inside IPv6 is judged as that IPv4 address.
            ("::ffff:127.0.0.1", Some(Loopback)),
            ("::ffff:10.1.2.3", Some(Private)),
            ("::ffff:169.254.169.254", Some(LinkLocal)),
            ("::ffff:0.0.0.0", Some(Unspecified)),
            ("::127.0.0.1", Some(Loopback)),
            ("::10.0.0.1", Some(Private)),
            ("64:ff9b::7f00:1", Some(Loopback)),
            ("64:ff9b::a9fe:a9fe", Some(LinkLocal)),
            ("2002:7f00:1::1", Some(Loopback)),
            ("2002:c0a8:101::1", Some(Private)),
            ("::ffff:8.8.8.8", None),
            ("64:ff9b::808:808", None),
            ("2002:808:808::1", None),
            ("2606:4700:4700::1111", None),
            ("2a00:1450:4001:81b::200e", None),
        ];
        for (ip, want) in cases {
            assert_eq!(class(ip), want, "{ip}");
        }
    }

    #[test]
    fn allowed_networks_open_exactly_themselves() {
        let allowed: Vec<Network> = ["10.1.0.0/16", "fd00::/8", "127.0.0.1"]
            .iter()
            .map(|n| n.parse().unwrap())
            .collect();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(check(ip("10.1.2.3"), &allowed), Ok(()));
        assert_eq!(check(ip("::ffff:10.1.2.3"), &allowed), Ok(()));
        assert_eq!(check(ip("10.2.0.1"), &allowed), Err(Internal::Private));
        assert_eq!(check(ip("fd12::1"), &allowed), Ok(()));
        assert_eq!(check(ip("fc00::1"), &allowed), Err(Internal::Private));
        assert_eq!(check(ip("127.0.0.1"), &allowed), Ok(()));
        assert_eq!(check(ip("127.0.0.2"), &allowed), Err(Internal::Loopback));
        assert_eq!(check(ip("8.8.8.8"), &[]), Ok(()));
        assert_eq!(check(ip("169.254.169.254"), &[]), Err(Internal::LinkLocal));
    }
}
