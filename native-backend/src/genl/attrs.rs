//! The attribute sets of the IPVS family (include/uapi/linux/ip_vs.h): top level, service,
//! destination, daemon, statistics and info. One enum per set; an attribute this code does
//! not know is kept as `Other` and emitted again byte for byte.
//!
//! Nested attributes are emitted without NLA_F_NESTED, as the kernel and ipvsadm do.

use super::value::{
    be16_of, bytes4_of, ipv4_of, ipv6_of, nested, put_string, string_of, u16_of, u32_of, u64_of,
    u8_of, InetAddr,
};
use netlink_packet_core::{DecodeError, DefaultNla, Emitable, Nla, NlaBuffer, Parseable};
use std::net::{Ipv4Addr, Ipv6Addr};

/// IPVS_CMD_ATTR_*.
pub mod cmd_attr {
    pub const SERVICE: u16 = 1;
    pub const DEST: u16 = 2;
    pub const DAEMON: u16 = 3;
    pub const TIMEOUT_TCP: u16 = 4;
    pub const TIMEOUT_TCP_FIN: u16 = 5;
    pub const TIMEOUT_UDP: u16 = 6;
}

/// IPVS_INFO_ATTR_* (top level of GET_INFO replies, sharing numbers with IPVS_CMD_ATTR_*).
pub mod info_attr {
    pub const VERSION: u16 = 1;
    pub const CONN_TAB_SIZE: u16 = 2;
}

/// IPVS_SVC_ATTR_*.
pub mod svc_attr {
    pub const AF: u16 = 1;
    pub const PROTOCOL: u16 = 2;
    pub const ADDR: u16 = 3;
    pub const PORT: u16 = 4;
    pub const FWMARK: u16 = 5;
    pub const SCHED_NAME: u16 = 6;
    pub const FLAGS: u16 = 7;
    pub const TIMEOUT: u16 = 8;
    pub const NETMASK: u16 = 9;
    pub const STATS: u16 = 10;
    pub const PE_NAME: u16 = 11;
    pub const STATS64: u16 = 12;
}

/// IPVS_DEST_ATTR_*.
pub mod dest_attr {
    pub const ADDR: u16 = 1;
    pub const PORT: u16 = 2;
    pub const FWD_METHOD: u16 = 3;
    pub const WEIGHT: u16 = 4;
    pub const U_THRESH: u16 = 5;
    pub const L_THRESH: u16 = 6;
    pub const ACTIVE_CONNS: u16 = 7;
    pub const INACT_CONNS: u16 = 8;
    pub const PERSIST_CONNS: u16 = 9;
    pub const STATS: u16 = 10;
    pub const ADDR_FAMILY: u16 = 11;
    pub const STATS64: u16 = 12;
    pub const TUN_TYPE: u16 = 13;
    pub const TUN_PORT: u16 = 14;
    pub const TUN_FLAGS: u16 = 15;
}

/// IPVS_DAEMON_ATTR_*.
pub mod daemon_attr {
    pub const STATE: u16 = 1;
    pub const MCAST_IFN: u16 = 2;
    pub const SYNC_ID: u16 = 3;
    pub const SYNC_MAXLEN: u16 = 4;
    pub const MCAST_GROUP: u16 = 5;
    pub const MCAST_GROUP6: u16 = 6;
    pub const MCAST_PORT: u16 = 7;
    pub const MCAST_TTL: u16 = 8;
}

/// IPVS_STATS_ATTR_*.
pub mod stats_attr {
    pub const CONNS: u16 = 1;
    pub const INPKTS: u16 = 2;
    pub const OUTPKTS: u16 = 3;
    pub const INBYTES: u16 = 4;
    pub const OUTBYTES: u16 = 5;
    pub const CPS: u16 = 6;
    pub const INPPS: u16 = 7;
    pub const OUTPPS: u16 = 8;
    pub const INBPS: u16 = 9;
    pub const OUTBPS: u16 = 10;
    pub const PAD: u16 = 11;
}

fn emit_list<T: Nla>(list: &[T], buf: &mut [u8]) {
    list.emit(buf)
}

fn list_len<T: Nla>(list: &[T]) -> usize {
    list.buffer_len()
}

fn parse_list<T>(what: &str, payload: &[u8]) -> Result<Vec<T>, DecodeError>
where
    T: for<'a> Parseable<NlaBuffer<&'a [u8]>>,
{
    nested(what, payload)?
        .iter()
        .map(|b| T::parse(b).map_err(|e| DecodeError::from(format!("{what}: {e}"))))
        .collect()
}

fn other<T: AsRef<[u8]> + ?Sized>(buf: &NlaBuffer<&T>) -> Result<DefaultNla, DecodeError> {
    DefaultNla::parse(buf)
}

// ---------------------------------------------------------------------------------------------
// Statistics

/// Which counter a statistics attribute carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counter {
    Conns,
    InPkts,
    OutPkts,
    InBytes,
    OutBytes,
    Cps,
    InPps,
    OutPps,
    InBps,
    OutBps,
}

impl Counter {
    pub const ALL: [Counter; 10] = [
        Counter::Conns,
        Counter::InPkts,
        Counter::OutPkts,
        Counter::InBytes,
        Counter::OutBytes,
        Counter::Cps,
        Counter::InPps,
        Counter::OutPps,
        Counter::InBps,
        Counter::OutBps,
    ];
    pub fn id(self) -> u16 {
        Counter::ALL
            .iter()
            .position(|c| *c == self)
            .map(|i| i as u16 + 1)
            .unwrap_or(0)
    }
    pub fn from_id(id: u16) -> Option<Counter> {
        Counter::ALL.get(usize::from(id).checked_sub(1)?).copied()
    }
}

/// A counter is 32 bits in IPVS_*_ATTR_STATS (except the byte counts) and 64 bits in STATS64.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CounterValue {
    U32(u32),
    U64(u64),
}

impl CounterValue {
    pub fn get(self) -> u64 {
        match self {
            CounterValue::U32(v) => u64::from(v),
            CounterValue::U64(v) => v,
        }
    }
}

/// IPVS_STATS_ATTR_*.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StatsAttr {
    Counter(Counter, CounterValue),
    /// IPVS_STATS_ATTR_PAD: the kernel inserts it before a u64 that would not be 8-byte
    /// aligned (on architectures without cheap unaligned access). Its payload is kept.
    Pad(Vec<u8>),
    Other(DefaultNla),
}

impl Nla for StatsAttr {
    fn value_len(&self) -> usize {
        match self {
            StatsAttr::Counter(_, CounterValue::U32(_)) => 4,
            StatsAttr::Counter(_, CounterValue::U64(_)) => 8,
            StatsAttr::Pad(p) => p.len(),
            StatsAttr::Other(o) => o.value_len(),
        }
    }
    fn kind(&self) -> u16 {
        match self {
            StatsAttr::Counter(c, _) => c.id(),
            StatsAttr::Pad(_) => stats_attr::PAD,
            StatsAttr::Other(o) => o.kind(),
        }
    }
    fn emit_value(&self, buf: &mut [u8]) {
        match self {
            StatsAttr::Counter(_, CounterValue::U32(v)) => {
                buf[..4].copy_from_slice(&v.to_ne_bytes())
            }
            StatsAttr::Counter(_, CounterValue::U64(v)) => {
                buf[..8].copy_from_slice(&v.to_ne_bytes())
            }
            StatsAttr::Pad(p) => buf[..p.len()].copy_from_slice(p),
            StatsAttr::Other(o) => o.emit_value(buf),
        }
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Parseable<NlaBuffer<&'a T>> for StatsAttr {
    fn parse(buf: &NlaBuffer<&'a T>) -> Result<Self, DecodeError> {
        let v = buf.value();
        let kind = buf.kind();
        if kind == stats_attr::PAD {
            return Ok(StatsAttr::Pad(v.to_vec()));
        }
        match Counter::from_id(kind) {
            Some(c) => {
                let what = format!("statistics counter {kind}");
                let value = match v.len() {
                    4 => CounterValue::U32(u32_of(&what, v)?),
                    8 => CounterValue::U64(u64_of(&what, v)?),
                    n => {
                        return Err(DecodeError::from(format!(
                            "{what}: a counter is 4 or 8 bytes, got {n}"
                        )))
                    }
                };
                Ok(StatsAttr::Counter(c, value))
            }
            None => Ok(StatsAttr::Other(other(buf)?)),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Service

/// `struct ip_vs_flags`: new flag bits and the mask of bits to change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SvcFlags {
    pub flags: u32,
    pub mask: u32,
}

/// IPVS_SVC_ATTR_*.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SvcAttr {
    /// AF_INET (2) or AF_INET6 (10).
    Af(u16),
    /// IP protocol number (6, 17, 132).
    Protocol(u16),
    Addr(InetAddr),
    /// Port, in host order here (network order on the wire).
    Port(u16),
    Fwmark(u32),
    SchedName(String),
    Flags(SvcFlags),
    /// Persistence timeout in seconds.
    Timeout(u32),
    /// The raw 4 bytes: an IPv4 mask in network order, or an IPv6 prefix length as a
    /// host-order integer.
    Netmask([u8; 4]),
    Stats(Vec<StatsAttr>),
    PeName(String),
    Stats64(Vec<StatsAttr>),
    Other(DefaultNla),
}

impl Nla for SvcAttr {
    fn value_len(&self) -> usize {
        use SvcAttr::*;
        match self {
            Af(_) | Protocol(_) | Port(_) => 2,
            Fwmark(_) | Timeout(_) | Netmask(_) => 4,
            Addr(a) => a.as_bytes().len(),
            SchedName(s) | PeName(s) => s.len() + 1,
            Flags(_) => 8,
            Stats(l) | Stats64(l) => list_len(l),
            Other(o) => o.value_len(),
        }
    }
    fn kind(&self) -> u16 {
        use svc_attr as k;
        use SvcAttr::*;
        match self {
            Af(_) => k::AF,
            Protocol(_) => k::PROTOCOL,
            Addr(_) => k::ADDR,
            Port(_) => k::PORT,
            Fwmark(_) => k::FWMARK,
            SchedName(_) => k::SCHED_NAME,
            Flags(_) => k::FLAGS,
            Timeout(_) => k::TIMEOUT,
            Netmask(_) => k::NETMASK,
            Stats(_) => k::STATS,
            PeName(_) => k::PE_NAME,
            Stats64(_) => k::STATS64,
            Other(o) => o.kind(),
        }
    }
    fn emit_value(&self, buf: &mut [u8]) {
        use SvcAttr::*;
        match self {
            Af(v) | Protocol(v) => buf[..2].copy_from_slice(&v.to_ne_bytes()),
            Port(v) => buf[..2].copy_from_slice(&v.to_be_bytes()),
            Fwmark(v) | Timeout(v) => buf[..4].copy_from_slice(&v.to_ne_bytes()),
            Netmask(b) => buf[..4].copy_from_slice(b),
            Addr(a) => buf[..a.as_bytes().len()].copy_from_slice(a.as_bytes()),
            SchedName(s) | PeName(s) => put_string(buf, s),
            Flags(f) => {
                buf[..4].copy_from_slice(&f.flags.to_ne_bytes());
                buf[4..8].copy_from_slice(&f.mask.to_ne_bytes());
            }
            Stats(l) | Stats64(l) => emit_list(l, buf),
            Other(o) => o.emit_value(buf),
        }
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Parseable<NlaBuffer<&'a T>> for SvcAttr {
    fn parse(buf: &NlaBuffer<&'a T>) -> Result<Self, DecodeError> {
        use svc_attr as k;
        let v = buf.value();
        Ok(match buf.kind() {
            k::AF => SvcAttr::Af(u16_of("IPVS_SVC_ATTR_AF", v)?),
            k::PROTOCOL => SvcAttr::Protocol(u16_of("IPVS_SVC_ATTR_PROTOCOL", v)?),
            k::ADDR => SvcAttr::Addr(InetAddr::parse("IPVS_SVC_ATTR_ADDR", v)?),
            k::PORT => SvcAttr::Port(be16_of("IPVS_SVC_ATTR_PORT", v)?),
            k::FWMARK => SvcAttr::Fwmark(u32_of("IPVS_SVC_ATTR_FWMARK", v)?),
            k::SCHED_NAME => SvcAttr::SchedName(string_of("IPVS_SVC_ATTR_SCHED_NAME", v)?),
            k::FLAGS => {
                let raw: [u8; 8] = v.try_into().map_err(|_| {
                    DecodeError::from(format!(
                        "IPVS_SVC_ATTR_FLAGS: expected 8 bytes of payload, got {}",
                        v.len()
                    ))
                })?;
                SvcAttr::Flags(SvcFlags {
                    flags: u32_of("flags", &raw[..4])?,
                    mask: u32_of("mask", &raw[4..])?,
                })
            }
            k::TIMEOUT => SvcAttr::Timeout(u32_of("IPVS_SVC_ATTR_TIMEOUT", v)?),
            k::NETMASK => SvcAttr::Netmask(bytes4_of("IPVS_SVC_ATTR_NETMASK", v)?),
            k::STATS => SvcAttr::Stats(parse_list("IPVS_SVC_ATTR_STATS", v)?),
            k::PE_NAME => SvcAttr::PeName(string_of("IPVS_SVC_ATTR_PE_NAME", v)?),
            k::STATS64 => SvcAttr::Stats64(parse_list("IPVS_SVC_ATTR_STATS64", v)?),
            _ => SvcAttr::Other(other(buf)?),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Destination

/// IPVS_DEST_ATTR_*.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DestAttr {
    Addr(InetAddr),
    /// Host order here, network order on the wire.
    Port(u16),
    /// Forwarding method (the kernel keeps the low 3 bits).
    FwdMethod(u32),
    /// A signed int in the kernel.
    Weight(i32),
    UThresh(u32),
    LThresh(u32),
    ActiveConns(u32),
    InactConns(u32),
    PersistConns(u32),
    Stats(Vec<StatsAttr>),
    AddrFamily(u16),
    Stats64(Vec<StatsAttr>),
    TunType(u8),
    /// Host order here, network order on the wire.
    TunPort(u16),
    TunFlags(u16),
    Other(DefaultNla),
}

impl Nla for DestAttr {
    fn value_len(&self) -> usize {
        use DestAttr::*;
        match self {
            Addr(a) => a.as_bytes().len(),
            Port(_) | AddrFamily(_) | TunPort(_) | TunFlags(_) => 2,
            TunType(_) => 1,
            FwdMethod(_) | Weight(_) | UThresh(_) | LThresh(_) | ActiveConns(_) | InactConns(_)
            | PersistConns(_) => 4,
            Stats(l) | Stats64(l) => list_len(l),
            Other(o) => o.value_len(),
        }
    }
    fn kind(&self) -> u16 {
        use dest_attr as k;
        use DestAttr::*;
        match self {
            Addr(_) => k::ADDR,
            Port(_) => k::PORT,
            FwdMethod(_) => k::FWD_METHOD,
            Weight(_) => k::WEIGHT,
            UThresh(_) => k::U_THRESH,
            LThresh(_) => k::L_THRESH,
            ActiveConns(_) => k::ACTIVE_CONNS,
            InactConns(_) => k::INACT_CONNS,
            PersistConns(_) => k::PERSIST_CONNS,
            Stats(_) => k::STATS,
            AddrFamily(_) => k::ADDR_FAMILY,
            Stats64(_) => k::STATS64,
            TunType(_) => k::TUN_TYPE,
            TunPort(_) => k::TUN_PORT,
            TunFlags(_) => k::TUN_FLAGS,
            Other(o) => o.kind(),
        }
    }
    fn emit_value(&self, buf: &mut [u8]) {
        use DestAttr::*;
        match self {
            Addr(a) => buf[..a.as_bytes().len()].copy_from_slice(a.as_bytes()),
            Port(v) | TunPort(v) => buf[..2].copy_from_slice(&v.to_be_bytes()),
            AddrFamily(v) | TunFlags(v) => buf[..2].copy_from_slice(&v.to_ne_bytes()),
            TunType(v) => buf[0] = *v,
            Weight(v) => buf[..4].copy_from_slice(&v.to_ne_bytes()),
            FwdMethod(v) | UThresh(v) | LThresh(v) | ActiveConns(v) | InactConns(v)
            | PersistConns(v) => buf[..4].copy_from_slice(&v.to_ne_bytes()),
            Stats(l) | Stats64(l) => emit_list(l, buf),
            Other(o) => o.emit_value(buf),
        }
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Parseable<NlaBuffer<&'a T>> for DestAttr {
    fn parse(buf: &NlaBuffer<&'a T>) -> Result<Self, DecodeError> {
        use dest_attr as k;
        let v = buf.value();
        Ok(match buf.kind() {
            k::ADDR => DestAttr::Addr(InetAddr::parse("IPVS_DEST_ATTR_ADDR", v)?),
            k::PORT => DestAttr::Port(be16_of("IPVS_DEST_ATTR_PORT", v)?),
            k::FWD_METHOD => DestAttr::FwdMethod(u32_of("IPVS_DEST_ATTR_FWD_METHOD", v)?),
            k::WEIGHT => DestAttr::Weight(u32_of("IPVS_DEST_ATTR_WEIGHT", v)? as i32),
            k::U_THRESH => DestAttr::UThresh(u32_of("IPVS_DEST_ATTR_U_THRESH", v)?),
            k::L_THRESH => DestAttr::LThresh(u32_of("IPVS_DEST_ATTR_L_THRESH", v)?),
            k::ACTIVE_CONNS => DestAttr::ActiveConns(u32_of("IPVS_DEST_ATTR_ACTIVE_CONNS", v)?),
            k::INACT_CONNS => DestAttr::InactConns(u32_of("IPVS_DEST_ATTR_INACT_CONNS", v)?),
            k::PERSIST_CONNS => DestAttr::PersistConns(u32_of("IPVS_DEST_ATTR_PERSIST_CONNS", v)?),
            k::STATS => DestAttr::Stats(parse_list("IPVS_DEST_ATTR_STATS", v)?),
            k::ADDR_FAMILY => DestAttr::AddrFamily(u16_of("IPVS_DEST_ATTR_ADDR_FAMILY", v)?),
            k::STATS64 => DestAttr::Stats64(parse_list("IPVS_DEST_ATTR_STATS64", v)?),
            k::TUN_TYPE => DestAttr::TunType(u8_of("IPVS_DEST_ATTR_TUN_TYPE", v)?),
            k::TUN_PORT => DestAttr::TunPort(be16_of("IPVS_DEST_ATTR_TUN_PORT", v)?),
            k::TUN_FLAGS => DestAttr::TunFlags(u16_of("IPVS_DEST_ATTR_TUN_FLAGS", v)?),
            _ => DestAttr::Other(other(buf)?),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Sync daemon

/// IPVS_DAEMON_ATTR_*.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DaemonAttr {
    /// 1 master, 2 backup.
    State(u32),
    McastIfn(String),
    SyncId(u32),
    SyncMaxlen(u16),
    McastGroup(Ipv4Addr),
    McastGroup6(Ipv6Addr),
    /// Host order (the kernel converts when it opens the socket).
    McastPort(u16),
    McastTtl(u8),
    Other(DefaultNla),
}

impl Nla for DaemonAttr {
    fn value_len(&self) -> usize {
        use DaemonAttr::*;
        match self {
            State(_) | SyncId(_) | McastGroup(_) => 4,
            McastIfn(s) => s.len() + 1,
            SyncMaxlen(_) | McastPort(_) => 2,
            McastGroup6(_) => 16,
            McastTtl(_) => 1,
            Other(o) => o.value_len(),
        }
    }
    fn kind(&self) -> u16 {
        use daemon_attr as k;
        use DaemonAttr::*;
        match self {
            State(_) => k::STATE,
            McastIfn(_) => k::MCAST_IFN,
            SyncId(_) => k::SYNC_ID,
            SyncMaxlen(_) => k::SYNC_MAXLEN,
            McastGroup(_) => k::MCAST_GROUP,
            McastGroup6(_) => k::MCAST_GROUP6,
            McastPort(_) => k::MCAST_PORT,
            McastTtl(_) => k::MCAST_TTL,
            Other(o) => o.kind(),
        }
    }
    fn emit_value(&self, buf: &mut [u8]) {
        use DaemonAttr::*;
        match self {
            State(v) | SyncId(v) => buf[..4].copy_from_slice(&v.to_ne_bytes()),
            McastIfn(s) => put_string(buf, s),
            SyncMaxlen(v) | McastPort(v) => buf[..2].copy_from_slice(&v.to_ne_bytes()),
            McastGroup(a) => buf[..4].copy_from_slice(&a.octets()),
            McastGroup6(a) => buf[..16].copy_from_slice(&a.octets()),
            McastTtl(v) => buf[0] = *v,
            Other(o) => o.emit_value(buf),
        }
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Parseable<NlaBuffer<&'a T>> for DaemonAttr {
    fn parse(buf: &NlaBuffer<&'a T>) -> Result<Self, DecodeError> {
        use daemon_attr as k;
        let v = buf.value();
        Ok(match buf.kind() {
            k::STATE => DaemonAttr::State(u32_of("IPVS_DAEMON_ATTR_STATE", v)?),
            k::MCAST_IFN => DaemonAttr::McastIfn(string_of("IPVS_DAEMON_ATTR_MCAST_IFN", v)?),
            k::SYNC_ID => DaemonAttr::SyncId(u32_of("IPVS_DAEMON_ATTR_SYNC_ID", v)?),
            k::SYNC_MAXLEN => DaemonAttr::SyncMaxlen(u16_of("IPVS_DAEMON_ATTR_SYNC_MAXLEN", v)?),
            k::MCAST_GROUP => DaemonAttr::McastGroup(ipv4_of("IPVS_DAEMON_ATTR_MCAST_GROUP", v)?),
            k::MCAST_GROUP6 => {
                DaemonAttr::McastGroup6(ipv6_of("IPVS_DAEMON_ATTR_MCAST_GROUP6", v)?)
            }
            k::MCAST_PORT => DaemonAttr::McastPort(u16_of("IPVS_DAEMON_ATTR_MCAST_PORT", v)?),
            k::MCAST_TTL => DaemonAttr::McastTtl(u8_of("IPVS_DAEMON_ATTR_MCAST_TTL", v)?),
            _ => DaemonAttr::Other(other(buf)?),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Top level

/// IPVS_CMD_ATTR_*, plus the IPVS_INFO_ATTR_* that GET_INFO replies carry at the top level
/// under the same numbers (which set applies depends on the command).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IpvsAttr {
    Service(Vec<SvcAttr>),
    Dest(Vec<DestAttr>),
    Daemon(Vec<DaemonAttr>),
    TimeoutTcp(u32),
    TimeoutTcpFin(u32),
    TimeoutUdp(u32),
    /// IPVS_INFO_ATTR_VERSION (0x010201 = 1.2.1).
    InfoVersion(u32),
    /// IPVS_INFO_ATTR_CONN_TAB_SIZE.
    InfoConnTabSize(u32),
    Other(DefaultNla),
}

impl Nla for IpvsAttr {
    fn value_len(&self) -> usize {
        use IpvsAttr::*;
        match self {
            Service(l) => list_len(l),
            Dest(l) => list_len(l),
            Daemon(l) => list_len(l),
            TimeoutTcp(_) | TimeoutTcpFin(_) | TimeoutUdp(_) | InfoVersion(_)
            | InfoConnTabSize(_) => 4,
            Other(o) => o.value_len(),
        }
    }
    fn kind(&self) -> u16 {
        use IpvsAttr::*;
        match self {
            Service(_) => cmd_attr::SERVICE,
            Dest(_) => cmd_attr::DEST,
            Daemon(_) => cmd_attr::DAEMON,
            TimeoutTcp(_) => cmd_attr::TIMEOUT_TCP,
            TimeoutTcpFin(_) => cmd_attr::TIMEOUT_TCP_FIN,
            TimeoutUdp(_) => cmd_attr::TIMEOUT_UDP,
            InfoVersion(_) => info_attr::VERSION,
            InfoConnTabSize(_) => info_attr::CONN_TAB_SIZE,
            Other(o) => o.kind(),
        }
    }
    fn emit_value(&self, buf: &mut [u8]) {
        use IpvsAttr::*;
        match self {
            Service(l) => emit_list(l, buf),
            Dest(l) => emit_list(l, buf),
            Daemon(l) => emit_list(l, buf),
            TimeoutTcp(v) | TimeoutTcpFin(v) | TimeoutUdp(v) | InfoVersion(v)
            | InfoConnTabSize(v) => buf[..4].copy_from_slice(&v.to_ne_bytes()),
            Other(o) => o.emit_value(buf),
        }
    }
}

impl IpvsAttr {
    /// Parses one top-level attribute; `info` selects the IPVS_INFO_ATTR_* meaning
    /// (GET_INFO / SET_INFO messages).
    pub fn parse_top(buf: &NlaBuffer<&[u8]>, info: bool) -> Result<Self, DecodeError> {
        let v = buf.value();
        let kind = buf.kind();
        if info {
            return Ok(match kind {
                info_attr::VERSION => IpvsAttr::InfoVersion(u32_of("IPVS_INFO_ATTR_VERSION", v)?),
                info_attr::CONN_TAB_SIZE => {
                    IpvsAttr::InfoConnTabSize(u32_of("IPVS_INFO_ATTR_CONN_TAB_SIZE", v)?)
                }
                _ => IpvsAttr::Other(other(buf)?),
            });
        }
        Ok(match kind {
            cmd_attr::SERVICE => IpvsAttr::Service(parse_list("IPVS_CMD_ATTR_SERVICE", v)?),
            cmd_attr::DEST => IpvsAttr::Dest(parse_list("IPVS_CMD_ATTR_DEST", v)?),
            cmd_attr::DAEMON => IpvsAttr::Daemon(parse_list("IPVS_CMD_ATTR_DAEMON", v)?),
            cmd_attr::TIMEOUT_TCP => IpvsAttr::TimeoutTcp(u32_of("IPVS_CMD_ATTR_TIMEOUT_TCP", v)?),
            cmd_attr::TIMEOUT_TCP_FIN => {
                IpvsAttr::TimeoutTcpFin(u32_of("IPVS_CMD_ATTR_TIMEOUT_TCP_FIN", v)?)
            }
            cmd_attr::TIMEOUT_UDP => IpvsAttr::TimeoutUdp(u32_of("IPVS_CMD_ATTR_TIMEOUT_UDP", v)?),
            _ => IpvsAttr::Other(other(buf)?),
        })
    }
}
