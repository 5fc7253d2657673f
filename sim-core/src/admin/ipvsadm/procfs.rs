//! The kernel's own text views: `/proc/net/ip_vs`, `/proc/net/ip_vs_conn` and
//! `/proc/net/ip_vs_stats` (formats of K:ip_vs_ctl.c and K:ip_vs_conn.c).
//!
//! `/proc/net/ip_vs` walks the kernel's service hash tables, so its service order is the
//! bucket order, and it prints the persistence timeout in jiffies. Both depend on the
//! machine: the bucket of a service mixes in bits of the address of the kernel's
//! per-namespace IPVS structure, and HZ is a build option. [`ProcParams::default`]
//! reproduces the observed 6.1 kernel (HZ = 250, bucket salt 0x40).

use crate::admin::{Family, ServiceKey};
use crate::ipvs::snapshot::{IpvsSnapshot, ServiceSnapshot};
use std::fmt::Write;
use std::net::{IpAddr, Ipv6Addr};

/// Machine-dependent inputs of `/proc/net/ip_vs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProcParams {
    /// Kernel ticks per second (the persistence timeout is printed as seconds × HZ).
    pub hz: u32,
    /// `(size_t)ipvs >> 8`: XOR-ed into every service hash. Only its low 8 bits matter.
    pub svc_hash_salt: u32,
}

impl Default for ProcParams {
    /// The kernel the ground truth was observed on: `-p 300` printed as 75000 (HZ 250),
    /// and the service order it printed implies a salt whose low byte is 0x40 (bits 0, 3
    /// and 4 were not constrained by the observation and are taken as 0).
    fn default() -> Self {
        ProcParams {
            hz: 250,
            svc_hash_salt: 0x40,
        }
    }
}

/// IP_VS_SVC_TAB_BITS
const SVC_TAB_BITS: u32 = 8;
const SVC_TAB_MASK: u32 = (1 << SVC_TAB_BITS) - 1;

fn fold(addr: &IpAddr) -> u32 {
    match addr {
        IpAddr::V4(a) => u32::from(*a),
        IpAddr::V6(a) => {
            let w = super::inet::addr_words(&IpAddr::V6(*a));
            w[0] ^ w[1] ^ w[2] ^ w[3]
        }
    }
}

/// Bucket of a service in the kernel's address table (`ip_vs_svc_hashkey`) or, for
/// fwmark services, in the fwmark table (`ip_vs_svc_fwm_hashkey`).
pub fn svc_bucket(key: &ServiceKey, salt: u32) -> u32 {
    match key {
        ServiceKey::Addr { proto, addr, port } => {
            let porth = u32::from(*port);
            let ahash = fold(addr) ^ salt;
            (u32::from(proto.number()) ^ ahash ^ (porth >> SVC_TAB_BITS) ^ porth) & SVC_TAB_MASK
        }
        ServiceKey::Fwmark { mark, .. } => (salt ^ mark) & SVC_TAB_MASK,
    }
}

/// Services in the order `/proc/net/ip_vs` prints them: the address table bucket by
/// bucket, then the fwmark table; inside a bucket the newest service comes first.
pub fn kernel_service_order(snap: &IpvsSnapshot, salt: u32) -> Vec<&ServiceSnapshot> {
    let mut v: Vec<(bool, u32, usize, &ServiceSnapshot)> = snap
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| {
            (
                s.config.key.is_fwmark(),
                svc_bucket(&s.config.key, salt),
                usize::MAX - i,
                s,
            )
        })
        .collect();
    v.sort_by_key(|(f, b, newest, _)| (*f, *b, *newest));
    v.into_iter().map(|(.., s)| s).collect()
}

/// `%pI6`: eight groups of four lowercase hex digits.
fn full_v6(a: &Ipv6Addr) -> String {
    a.segments()
        .iter()
        .map(|s| format!("{s:04x}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn hex_addr(a: &IpAddr) -> String {
    match a {
        IpAddr::V4(v4) => format!("{:08X}", u32::from(*v4)),
        IpAddr::V6(v6) => full_v6(v6),
    }
}

/// `/proc/net/ip_vs`.
pub fn render_proc_ip_vs(snap: &IpvsSnapshot, params: &ProcParams) -> String {
    let mut out = format!(
        "IP Virtual Server version 1.2.1 (size={})\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port Forward Weight ActiveConn InActConn\n",
        snap.conn_tab_size
    );
    for s in kernel_service_order(snap, params.svc_hash_salt) {
        let cfg = &s.config;
        let ops = if cfg.one_packet() { "ops " } else { "" };
        match cfg.key {
            ServiceKey::Addr {
                proto,
                addr: IpAddr::V6(a),
                port,
            } => {
                let _ = write!(
                    out,
                    "{}  [{}]:{port:04X} {} ",
                    proto.name(),
                    full_v6(&a),
                    cfg.scheduler
                );
            }
            ServiceKey::Addr { proto, addr, port } => {
                let _ = write!(
                    out,
                    "{}  {}:{port:04X} {} {ops} ",
                    proto.name(),
                    hex_addr(&addr),
                    cfg.scheduler
                );
            }
            ServiceKey::Fwmark { mark, .. } => {
                let _ = write!(out, "FWM  {mark:08X} {} {ops}", cfg.scheduler);
            }
        }
        if cfg.persistent() {
            // The kernel keeps the mask as a network-order word and prints ntohl() of it;
            // an IPv6 prefix length is stored as a plain number, so it comes out swapped.
            let mask = match cfg.key.family() {
                Family::Inet => cfg.netmask,
                Family::Inet6 => cfg.netmask.swap_bytes(),
            };
            let ticks = u64::from(cfg.timeout) * u64::from(params.hz);
            let _ = writeln!(out, "persistent {} {mask:08X}", ticks as u32 as i32);
        } else {
            out.push('\n');
        }
        for d in &s.dests {
            let c = &d.config;
            let addr = match c.addr {
                IpAddr::V4(_) => hex_addr(&c.addr),
                IpAddr::V6(_) => format!("[{}]", hex_addr(&c.addr)),
            };
            let _ = writeln!(
                out,
                "  -> {addr}:{:04X}      {:<7} {:<6} {:<10} {:<10}",
                c.port,
                c.fwd.name(),
                c.weight,
                d.active as i32,
                d.inactive as i32
            );
        }
    }
    out
}

/// `/proc/net/ip_vs_conn`.
pub fn render_proc_ip_vs_conn(snap: &IpvsSnapshot) -> String {
    let mut out = String::from(
        "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n",
    );
    for c in &snap.conns {
        let pe = match &c.pe {
            Some((name, data)) => format!(" {name} {data}"),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "{:<3} {} {:04X} {} {:04X} {} {:04X} {:<11} {:>7}{pe}",
            c.protocol,
            hex_addr(&c.caddr),
            c.cport,
            hex_addr(&c.vaddr),
            c.vport,
            hex_addr(&c.daddr),
            c.dport,
            c.state,
            c.expires_secs.min(u64::from(u32::MAX))
        );
    }
    out
}

/// `/proc/net/ip_vs_stats`: totals and rates in hexadecimal.
pub fn render_proc_ip_vs_stats(snap: &IpvsSnapshot) -> String {
    let t = &snap.total;
    format!(
        "   Total Incoming Outgoing         Incoming         Outgoing\n   Conns  Packets  Packets            Bytes            Bytes\n{:>8X} {:>8X} {:>8X} {:>16X} {:>16X}\n\n Conns/s   Pkts/s   Pkts/s          Bytes/s          Bytes/s\n{:>8X} {:>8X} {:>8X} {:>16X} {:>16X}\n",
        t.conns, t.inpkts, t.outpkts, t.inbytes, t.outbytes, t.cps, t.inpps, t.outpps, t.inbps, t.outbps
    )
}
