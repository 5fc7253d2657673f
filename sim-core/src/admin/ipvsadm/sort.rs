//! ipvsadm's ordering of listings: libipvs's comparators run through glibc's `qsort`.
//!
//! The comparators subtract 32-bit host-order values and keep the difference in a signed
//! int, so values more than 2^31 apart compare "circularly" (192.168.0.1 sorts before
//! 10.0.0.1). Such a comparator is not a total order, so the result depends on the sort
//! algorithm: glibc's `qsort` on small arrays is a top-down merge sort that takes the left
//! element when the comparison is <= 0, reproduced here step for step.

use super::inet::addr_words;
use crate::admin::{Family, ServiceKey};
use crate::ipvs::snapshot::{DestSnapshot, ServiceSnapshot};
use std::net::IpAddr;

/// glibc `msort_with_tmp`: stable top-down merge sort with a C-style comparator.
pub(crate) fn glibc_msort<T: Clone>(v: &mut [T], cmp: &dyn Fn(&T, &T) -> i32) {
    let n = v.len();
    if n <= 1 {
        return;
    }
    let n1 = n / 2;
    glibc_msort(&mut v[..n1], cmp);
    glibc_msort(&mut v[n1..], cmp);
    let mut merged = Vec::with_capacity(n);
    let (mut i, mut j) = (0, n1);
    while i < n1 && j < n {
        if cmp(&v[i], &v[j]) <= 0 {
            merged.push(v[i].clone());
            i += 1;
        } else {
            merged.push(v[j].clone());
            j += 1;
        }
    }
    merged.extend_from_slice(&v[i..n1]);
    merged.extend_from_slice(&v[j..n]);
    v.clone_from_slice(&merged);
}

/// `(int)(a - b)` on two unsigned ints.
fn wrap_diff(a: u32, b: u32) -> i32 {
    a.wrapping_sub(b) as i32
}

fn af_number(a: &IpAddr) -> i32 {
    match a {
        IpAddr::V4(_) => 2,
        IpAddr::V6(_) => 10,
    }
}

/// The fields libipvs keeps for a service entry from a netlink dump (fwmark services
/// carry no protocol or address there).
struct SvcFields {
    fwmark: u32,
    af: i32,
    protocol: i32,
    addr: [u32; 4],
    port: i32,
}

fn svc_fields(key: &ServiceKey) -> SvcFields {
    match key {
        ServiceKey::Addr { proto, addr, port } => SvcFields {
            fwmark: 0,
            af: af_number(addr),
            protocol: i32::from(proto.number()),
            addr: addr_words(addr),
            port: i32::from(*port),
        },
        ServiceKey::Fwmark { mark, family } => SvcFields {
            fwmark: *mark,
            af: i32::from(family.number()),
            protocol: 0,
            addr: [0; 4],
            port: 0,
        },
    }
}

/// libipvs `ipvs_cmp_services`.
pub(crate) fn cmp_services(a: &ServiceKey, b: &ServiceKey) -> i32 {
    let (s1, s2) = (svc_fields(a), svc_fields(b));
    let r = wrap_diff(s1.fwmark, s2.fwmark);
    if r != 0 {
        return r;
    }
    let r = s1.af - s2.af;
    if r != 0 {
        return r;
    }
    let r = s1.protocol - s2.protocol;
    if r != 0 {
        return r;
    }
    let r = if s1.af == i32::from(Family::Inet6.number()) {
        (0..4)
            .map(|i| wrap_diff(s1.addr[i], s2.addr[i]))
            .find(|r| *r != 0)
            .unwrap_or(0)
    } else {
        wrap_diff(s1.addr[0], s2.addr[0])
    };
    if r != 0 {
        return r;
    }
    s1.port - s2.port
}

/// libipvs `ipvs_cmp_dests` (the first dest's family decides how addresses compare).
pub(crate) fn cmp_dests(a: &IpAddr, aport: u16, b: &IpAddr, bport: u16) -> i32 {
    let (w1, w2) = (addr_words(a), addr_words(b));
    let r = if a.is_ipv6() {
        (0..4)
            .map(|i| wrap_diff(w1[i], w2[i]))
            .find(|r| *r != 0)
            .unwrap_or(0)
    } else {
        wrap_diff(w1[0], w2[0])
    };
    if r != 0 {
        return r;
    }
    i32::from(aport) - i32::from(bport)
}

/// Services in listing order (sorted unless `nosort`, which keeps dump order).
pub(crate) fn services_in_order(
    services: &[ServiceSnapshot],
    nosort: bool,
) -> Vec<&ServiceSnapshot> {
    let mut v: Vec<&ServiceSnapshot> = services.iter().collect();
    if !nosort {
        glibc_msort(&mut v, &|a: &&ServiceSnapshot, b: &&ServiceSnapshot| {
            cmp_services(&a.config.key, &b.config.key)
        });
    }
    v
}

/// Dests in listing order (sorted unless `nosort`, which keeps kernel list order).
pub(crate) fn dests_in_order(dests: &[DestSnapshot], nosort: bool) -> Vec<&DestSnapshot> {
    let mut v: Vec<&DestSnapshot> = dests.iter().collect();
    if !nosort {
        glibc_msort(&mut v, &|a: &&DestSnapshot, b: &&DestSnapshot| {
            cmp_dests(&a.config.addr, a.config.port, &b.config.addr, b.config.port)
        });
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::Protocol;

    fn key(a: &str, port: u16) -> ServiceKey {
        ServiceKey::Addr {
            proto: Protocol::Tcp,
            addr: a.parse().unwrap(),
            port,
        }
    }

    #[test]
    fn signed_subtraction_wraps() {
        // 0xC0A80001 - 0x0A000001 does not fit an int: 192.168.0.1 sorts first.
        assert!(cmp_services(&key("192.168.0.1", 80), &key("10.0.0.1", 80)) < 0);
        assert!(cmp_services(&key("10.0.0.1", 80), &key("10.0.0.2", 80)) < 0);
        assert!(cmp_services(&key("10.0.0.1", 80), &key("10.0.0.1", 443)) < 0);
        let fwm = ServiceKey::Fwmark {
            mark: 1,
            family: Family::Inet,
        };
        assert!(cmp_services(&key("10.0.0.1", 80), &fwm) < 0);
        assert!(
            cmp_dests(
                &"192.168.10.11".parse().unwrap(),
                80,
                &"10.0.0.1".parse().unwrap(),
                80
            ) < 0
        );
    }

    #[test]
    fn merge_sort_is_glibc_order_for_a_cyclic_comparator() {
        // a < b, b < c, c < a by wrapping distance: the outcome is fixed by the algorithm.
        let vals: Vec<u32> = vec![0x0000_0000, 0x6000_0000, 0xC000_0000];
        let mut v = vals.clone();
        glibc_msort(&mut v, &|a: &u32, b: &u32| wrap_diff(*a, *b));
        // n1 = 1: [0], sort [0x6.., 0xC..] -> 0x6 < 0xC -> [0x6, 0xC];
        // merge: cmp(0, 0x6..) < 0 -> 0; then 0x6, 0xC.
        assert_eq!(v, vals);
        let mut w = vec![0xC000_0000u32, 0x0000_0000, 0x6000_0000];
        glibc_msort(&mut w, &|a: &u32, b: &u32| wrap_diff(*a, *b));
        // [0xC] | sort [0, 0x6] = [0, 0x6]; cmp(0xC, 0) = wrap(0xC000_0000) < 0 -> 0xC first.
        assert_eq!(w, vec![0xC000_0000, 0x0000_0000, 0x6000_0000]);
    }
}
