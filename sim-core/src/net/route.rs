//! IPv4 routing: longest-prefix match over connected and static routes.

use super::{Cidr, Iface, IfaceKind};
use serde::{Deserialize, Serialize};
use std::net::Ipv4Addr;

/// A static route (`ip route add DST [via GW] [dev IF] [src SRC]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub dst: Cidr,
    pub via: Option<Ipv4Addr>,
    /// Output interface index (resolved from `dev` or from the gateway's subnet).
    pub dev: usize,
    pub src: Option<Ipv4Addr>,
}

/// The result of a route lookup.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteHit {
    pub iface: usize,
    /// The neighbour to hand the packet to (the gateway, or the destination itself).
    pub next_hop: Ipv4Addr,
    /// Preferred source address for locally generated packets.
    pub src: Option<Ipv4Addr>,
}

/// Looks up `dst`: connected subnets of Ethernet/tunnel interfaces that are up and the
/// static routes, longest prefix first; among equal prefixes connected routes win.
pub fn lookup(ifaces: &[Iface], routes: &[Route], dst: Ipv4Addr) -> Option<RouteHit> {
    let mut best: Option<(u8, u8, RouteHit)> = None; // (prefix, priority, hit)
    for (i, ifc) in ifaces.iter().enumerate() {
        if !ifc.up || ifc.kind == IfaceKind::Loopback {
            continue;
        }
        for c in &ifc.addrs {
            if c.prefix == 32 || !c.contains(dst) {
                continue;
            }
            let hit = RouteHit {
                iface: i,
                next_hop: dst,
                src: Some(c.addr),
            };
            let cand = (c.prefix, 1, hit);
            if best.map(|b| (cand.0, cand.1) > (b.0, b.1)).unwrap_or(true) {
                best = Some(cand);
            }
        }
    }
    for r in routes {
        if !r.dst.contains(dst) || !ifaces.get(r.dev).map(|i| i.up).unwrap_or(false) {
            continue;
        }
        let hit = RouteHit {
            iface: r.dev,
            next_hop: r.via.unwrap_or(dst),
            src: r.src,
        };
        let cand = (r.dst.prefix, 0, hit);
        if best.map(|b| (cand.0, cand.1) > (b.0, b.1)).unwrap_or(true) {
            best = Some(cand);
        }
    }
    best.map(|b| b.2)
}

/// `lookup` with the connected subnets precomputed as (network, iface, preferred source).
pub fn lookup_cached(
    connected: &[(Cidr, usize, Ipv4Addr)],
    ifaces: &[Iface],
    routes: &[Route],
    dst: Ipv4Addr,
) -> Option<RouteHit> {
    let mut best: Option<(u8, u8, RouteHit)> = None;
    for (net, i, src) in connected {
        if net.contains(dst) && best.map(|b| (net.prefix, 1) > (b.0, b.1)).unwrap_or(true) {
            best = Some((
                net.prefix,
                1,
                RouteHit {
                    iface: *i,
                    next_hop: dst,
                    src: Some(*src),
                },
            ));
        }
    }
    for r in routes {
        if !r.dst.contains(dst) || !ifaces.get(r.dev).map(|i| i.up).unwrap_or(false) {
            continue;
        }
        let hit = RouteHit {
            iface: r.dev,
            next_hop: r.via.unwrap_or(dst),
            src: r.src,
        };
        if best.map(|b| (r.dst.prefix, 0) > (b.0, b.1)).unwrap_or(true) {
            best = Some((r.dst.prefix, 0, hit));
        }
    }
    best.map(|b| b.2)
}
