//! The network model: interfaces, addresses, routes, L2 segments (learning switches),
//! ARP caches with Linux's arp_ignore / arp_announce, and reverse-path filtering.

pub mod arp;
pub mod fasthash;
pub mod host;
pub mod route;
pub mod segment;

use crate::wire::MacAddr;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::Ipv4Addr;

/// An IPv4 address with its prefix length, as `ip addr` shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Cidr {
    pub addr: Ipv4Addr,
    pub prefix: u8,
}

impl Cidr {
    pub fn new(addr: Ipv4Addr, prefix: u8) -> Self {
        Cidr {
            addr,
            prefix: prefix.min(32),
        }
    }
    pub fn mask(&self) -> u32 {
        if self.prefix == 0 {
            0
        } else {
            u32::MAX << (32 - self.prefix as u32)
        }
    }
    pub fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) & self.mask())
    }
    pub fn contains(&self, ip: Ipv4Addr) -> bool {
        (u32::from(ip) & self.mask()) == (u32::from(self.addr) & self.mask())
    }
    pub fn broadcast(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.addr) | !self.mask())
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl std::str::FromStr for Cidr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: Ipv4Addr = a
            .trim()
            .parse()
            .map_err(|_| format!("`{s}` is not an IPv4 address (write e.g. 192.168.10.1/24)"))?;
        let prefix = match p {
            Some(p) => p
                .trim()
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= 32)
                .ok_or_else(|| format!("`{s}`: prefix length must be 0..32"))?,
            None => 32,
        };
        Ok(Cidr { addr, prefix })
    }
}

/// What kind of device an interface is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IfaceKind {
    /// An Ethernet port attached to a segment.
    Ethernet,
    /// `lo`: addresses here are local but never answered for on the wire by themselves.
    Loopback,
    /// `tunl0`: the IPIP fallback device (exists when the ipip module is loaded).
    Tunnel,
}

/// Per-interface sysctls (net.ipv4.conf.<iface>.*). The effective value of each is
/// max(all, iface), as in Linux.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IfConf {
    pub arp_ignore: u8,
    pub arp_announce: u8,
    pub rp_filter: u8,
    pub send_redirects: u8,
}

/// A network interface of a host.
#[derive(Clone, Debug)]
pub struct Iface {
    pub name: String,
    pub kind: IfaceKind,
    pub mac: MacAddr,
    /// Addresses in the order they were added; the first in a subnet is its primary.
    pub addrs: Vec<Cidr>,
    pub up: bool,
    pub mtu: u16,
    pub conf: IfConf,
    /// Segment and port this interface is plugged into (Ethernet only).
    pub attachment: Option<(usize, usize)>,
}

impl Iface {
    pub fn has_addr(&self, ip: Ipv4Addr) -> bool {
        self.addrs.iter().any(|c| c.addr == ip)
    }
    /// The primary address of the subnet that contains `ip`, if any.
    pub fn addr_in_subnet_of(&self, ip: Ipv4Addr) -> Option<Ipv4Addr> {
        self.addrs
            .iter()
            .find(|c| c.prefix < 32 && c.contains(ip))
            .map(|c| c.addr)
    }
    /// The interface's primary address (first address that is not a /32 host address,
    /// or the first address at all).
    pub fn primary(&self) -> Option<Ipv4Addr> {
        self.addrs
            .iter()
            .find(|c| c.prefix < 32)
            .or(self.addrs.first())
            .map(|c| c.addr)
    }
}
