//! Conversions between the IPVS attribute sets and the shared model (`ServiceConfig`,
//! `DestConfig`, `Timeouts`, `SyncDaemonConfig`, statistics snapshots).
//!
//! Requests carry what ipvsadm's libipvs sends; replies are read the way the kernel fills
//! them (ip_vs_ctl.c `ip_vs_genl_fill_*`).

use super::attrs::{
    Counter, CounterValue, DaemonAttr, DestAttr, IpvsAttr, StatsAttr, SvcAttr, SvcFlags,
};
use super::value::InetAddr;
use lvslab_sim::admin::{
    svc_flags, DestConfig, Family, FwdMethod, Protocol, ServiceConfig, ServiceKey,
    SyncDaemonConfig, SyncState, Timeouts, TunCsum, TunType,
};
use lvslab_sim::ipvs::snapshot::{DestSnapshot, StatsSnapshot};
use netlink_packet_core::DecodeError;
use std::net::IpAddr;

fn err(msg: impl Into<String>) -> DecodeError {
    DecodeError::from(msg.into())
}

fn family_from_af(af: u16) -> Result<Family, DecodeError> {
    match af {
        2 => Ok(Family::Inet),
        10 => Ok(Family::Inet6),
        other => Err(err(format!("unknown address family {other}"))),
    }
}

/// The 4 netmask bytes for a service: IPv4 masks travel in network order, IPv6 prefix
/// lengths as a host-order integer (the kernel compares that integer with 1..128).
fn netmask_bytes(family: Family, netmask: u32) -> [u8; 4] {
    match family {
        Family::Inet => netmask.to_be_bytes(),
        Family::Inet6 => netmask.to_ne_bytes(),
    }
}

fn netmask_value(family: Family, raw: [u8; 4]) -> u32 {
    match family {
        Family::Inet => u32::from_be_bytes(raw),
        Family::Inet6 => u32::from_ne_bytes(raw),
    }
}

/// The attributes that identify a service (AF plus FWMARK, or PROTOCOL + ADDR + PORT):
/// enough for DEL_SERVICE, ZERO, GET_DEST and every dest command.
pub fn service_id(key: &ServiceKey) -> Vec<SvcAttr> {
    let mut v = vec![SvcAttr::Af(key.family().number())];
    match key {
        ServiceKey::Fwmark { mark, .. } => v.push(SvcAttr::Fwmark(*mark)),
        ServiceKey::Addr { proto, addr, port } => {
            v.push(SvcAttr::Protocol(u16::from(proto.number())));
            v.push(SvcAttr::Addr(InetAddr::from_ip(addr)));
            v.push(SvcAttr::Port(*port));
        }
    }
    v
}

/// A full service specification for NEW_SERVICE / SET_SERVICE. Flags are sent with an
/// all-ones mask, so the kernel replaces them (as `ipvsadm -A/-E` does).
pub fn service_spec(cfg: &ServiceConfig) -> Vec<SvcAttr> {
    let family = cfg.key.family();
    let mut v = service_id(&cfg.key);
    v.push(SvcAttr::SchedName(cfg.scheduler.clone()));
    if let Some(pe) = &cfg.pe_name {
        v.push(SvcAttr::PeName(pe.clone()));
    }
    v.push(SvcAttr::Flags(SvcFlags {
        flags: cfg.flags & svc_flags::USER_MASK,
        mask: !0,
    }));
    v.push(SvcAttr::Timeout(cfg.timeout));
    v.push(SvcAttr::Netmask(netmask_bytes(family, cfg.netmask)));
    v
}

/// A service as a GET_SERVICE reply describes it, with its counters.
pub fn service_from_attrs(
    attrs: &[SvcAttr],
) -> Result<(ServiceConfig, StatsSnapshot), DecodeError> {
    let mut af = None;
    let mut proto = None;
    let mut addr = None;
    let mut port = None;
    let mut fwmark = None;
    let mut sched = None;
    let mut flags = 0u32;
    let mut timeout = 0u32;
    let mut netmask = None;
    let mut pe_name = None;
    let mut stats = None;
    let mut stats64 = None;
    for a in attrs {
        match a {
            SvcAttr::Af(v) => af = Some(*v),
            SvcAttr::Protocol(v) => proto = Some(*v),
            SvcAttr::Addr(v) => addr = Some(*v),
            SvcAttr::Port(v) => port = Some(*v),
            SvcAttr::Fwmark(v) => fwmark = Some(*v),
            SvcAttr::SchedName(v) => sched = Some(v.clone()),
            SvcAttr::Flags(f) => flags = f.flags,
            SvcAttr::Timeout(v) => timeout = *v,
            SvcAttr::Netmask(v) => netmask = Some(*v),
            SvcAttr::PeName(v) => pe_name = Some(v.clone()),
            SvcAttr::Stats(l) => stats = Some(l.as_slice()),
            SvcAttr::Stats64(l) => stats64 = Some(l.as_slice()),
            SvcAttr::Other(_) => {}
        }
    }
    let family = family_from_af(af.ok_or_else(|| err("service without IPVS_SVC_ATTR_AF"))?)?;
    let key = match fwmark {
        Some(mark) if mark != 0 => ServiceKey::Fwmark { mark, family },
        _ => {
            let (Some(p), Some(a), Some(port)) = (proto, addr, port) else {
                return Err(err(
                    "service has neither a firewall mark nor protocol, address and port",
                ));
            };
            let proto =
                Protocol::from_number(p).ok_or_else(|| err(format!("unknown protocol {p}")))?;
            ServiceKey::Addr {
                proto,
                addr: a.to_ip(family)?,
                port,
            }
        }
    };
    let scheduler = sched.ok_or_else(|| err("service without IPVS_SVC_ATTR_SCHED_NAME"))?;
    let mut cfg = ServiceConfig::new(key);
    cfg.scheduler = scheduler;
    cfg.flags = flags & svc_flags::USER_MASK;
    cfg.timeout = timeout;
    if let Some(raw) = netmask {
        cfg.netmask = netmask_value(family, raw);
    }
    cfg.pe_name = pe_name.filter(|p| !p.is_empty());
    Ok((cfg, stats_from_attrs(stats64.or(stats).unwrap_or(&[]))))
}

/// The attributes that identify a dest (DEL_DEST).
pub fn dest_id(addr: &IpAddr, port: u16) -> Vec<DestAttr> {
    vec![
        DestAttr::Addr(InetAddr::from_ip(addr)),
        DestAttr::Port(port),
        DestAttr::AddrFamily(Family::of(addr).number()),
    ]
}

/// A full dest specification for NEW_DEST / SET_DEST.
pub fn dest_spec(d: &DestConfig) -> Vec<DestAttr> {
    vec![
        DestAttr::Addr(InetAddr::from_ip(&d.addr)),
        DestAttr::Port(d.port),
        DestAttr::FwdMethod(d.fwd.code()),
        DestAttr::Weight(d.weight),
        DestAttr::TunType(d.tun_type.code()),
        DestAttr::TunPort(d.tun_port),
        DestAttr::TunFlags(d.tun_csum.flags()),
        DestAttr::UThresh(d.u_threshold),
        DestAttr::LThresh(d.l_threshold),
        DestAttr::AddrFamily(Family::of(&d.addr).number()),
    ]
}

/// A dest as a GET_DEST dump message describes it. `service_family` is used when the reply
/// has no IPVS_DEST_ATTR_ADDR_FAMILY (kernels before mixed-family support).
pub fn dest_from_attrs(
    attrs: &[DestAttr],
    service_family: Family,
) -> Result<DestSnapshot, DecodeError> {
    let mut addr = None;
    let mut port = None;
    let mut fwd = None;
    let mut weight = None;
    let mut af = None;
    let (mut u, mut l, mut active, mut inactive, mut persist) = (0, 0, 0, 0, 0);
    let (mut tun_type, mut tun_port, mut tun_flags) = (0u8, 0u16, 0u16);
    let (mut stats, mut stats64) = (None, None);
    for a in attrs {
        match a {
            DestAttr::Addr(v) => addr = Some(*v),
            DestAttr::Port(v) => port = Some(*v),
            DestAttr::FwdMethod(v) => fwd = Some(*v),
            DestAttr::Weight(v) => weight = Some(*v),
            DestAttr::UThresh(v) => u = *v,
            DestAttr::LThresh(v) => l = *v,
            DestAttr::ActiveConns(v) => active = *v,
            DestAttr::InactConns(v) => inactive = *v,
            DestAttr::PersistConns(v) => persist = *v,
            DestAttr::Stats(v) => stats = Some(v.as_slice()),
            DestAttr::Stats64(v) => stats64 = Some(v.as_slice()),
            DestAttr::AddrFamily(v) => af = Some(*v),
            DestAttr::TunType(v) => tun_type = *v,
            DestAttr::TunPort(v) => tun_port = *v,
            DestAttr::TunFlags(v) => tun_flags = *v,
            DestAttr::Other(_) => {}
        }
    }
    let family = match af {
        None | Some(0) => service_family,
        Some(n) => family_from_af(n)?,
    };
    let addr = addr
        .ok_or_else(|| err("dest without IPVS_DEST_ATTR_ADDR"))?
        .to_ip(family)?;
    let port = port.ok_or_else(|| err("dest without IPVS_DEST_ATTR_PORT"))?;
    let code = fwd.ok_or_else(|| err("dest without IPVS_DEST_ATTR_FWD_METHOD"))?;
    let fwd = FwdMethod::from_code(code)
        .ok_or_else(|| err(format!("unknown forwarding method {code}")))?;
    let weight = weight.ok_or_else(|| err("dest without IPVS_DEST_ATTR_WEIGHT"))?;
    let tun_type = TunType::from_code(tun_type)
        .ok_or_else(|| err(format!("unknown tunnel type {tun_type}")))?;
    Ok(DestSnapshot {
        config: DestConfig {
            addr,
            port,
            fwd,
            weight,
            u_threshold: u,
            l_threshold: l,
            tun_type,
            tun_port,
            tun_csum: TunCsum::from_flags(tun_flags),
        },
        active,
        inactive,
        persistent: persist,
        stats: stats_from_attrs(stats64.or(stats).unwrap_or(&[])),
    })
}

/// Counters of a STATS or STATS64 nest.
pub fn stats_from_attrs(attrs: &[StatsAttr]) -> StatsSnapshot {
    let mut s = StatsSnapshot::default();
    for a in attrs {
        if let StatsAttr::Counter(c, v) = a {
            let v = v.get();
            match c {
                Counter::Conns => s.conns = v,
                Counter::InPkts => s.inpkts = v,
                Counter::OutPkts => s.outpkts = v,
                Counter::InBytes => s.inbytes = v,
                Counter::OutBytes => s.outbytes = v,
                Counter::Cps => s.cps = v,
                Counter::InPps => s.inpps = v,
                Counter::OutPps => s.outpps = v,
                Counter::InBps => s.inbps = v,
                Counter::OutBps => s.outbps = v,
            }
        }
    }
    s
}

fn counter(s: &StatsSnapshot, c: Counter) -> u64 {
    match c {
        Counter::Conns => s.conns,
        Counter::InPkts => s.inpkts,
        Counter::OutPkts => s.outpkts,
        Counter::InBytes => s.inbytes,
        Counter::OutBytes => s.outbytes,
        Counter::Cps => s.cps,
        Counter::InPps => s.inpps,
        Counter::OutPps => s.outpps,
        Counter::InBps => s.inbps,
        Counter::OutBps => s.outbps,
    }
}

/// A STATS nest as the kernel fills it: 32-bit counters (truncated) except the two byte
/// counts, which are 64-bit.
pub fn stats32_attrs(s: &StatsSnapshot) -> Vec<StatsAttr> {
    Counter::ALL
        .iter()
        .map(|&c| {
            let v = counter(s, c);
            let value = if matches!(c, Counter::InBytes | Counter::OutBytes) {
                CounterValue::U64(v)
            } else {
                CounterValue::U32(v as u32)
            };
            StatsAttr::Counter(c, value)
        })
        .collect()
}

/// A STATS64 nest: every counter 64-bit.
pub fn stats64_attrs(s: &StatsSnapshot) -> Vec<StatsAttr> {
    Counter::ALL
        .iter()
        .map(|&c| StatsAttr::Counter(c, CounterValue::U64(counter(s, c))))
        .collect()
}

/// SET_CONFIG attributes (a zero leaves that timeout unchanged in the kernel).
pub fn timeouts_attrs(t: &Timeouts) -> Vec<IpvsAttr> {
    vec![
        IpvsAttr::TimeoutTcp(t.tcp),
        IpvsAttr::TimeoutTcpFin(t.tcp_fin),
        IpvsAttr::TimeoutUdp(t.udp),
    ]
}

/// Timeouts of a GET_CONFIG reply (a timeout the kernel omits, because its protocol is not
/// compiled in, reads as 0).
pub fn timeouts_from_attrs(attrs: &[IpvsAttr]) -> Timeouts {
    let mut t = Timeouts {
        tcp: 0,
        tcp_fin: 0,
        udp: 0,
    };
    for a in attrs {
        match a {
            IpvsAttr::TimeoutTcp(v) => t.tcp = *v,
            IpvsAttr::TimeoutTcpFin(v) => t.tcp_fin = *v,
            IpvsAttr::TimeoutUdp(v) => t.udp = *v,
            _ => {}
        }
    }
    t
}

/// Version and connection-table size from a GET_INFO reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpvsInfo {
    /// 0x010201 for "1.2.1".
    pub version: u32,
    pub conn_tab_size: u32,
}

impl IpvsInfo {
    /// "1.2.1".
    pub fn version_string(&self) -> String {
        format!(
            "{}.{}.{}",
            (self.version >> 16) & 0xff,
            (self.version >> 8) & 0xff,
            self.version & 0xff
        )
    }
}

pub fn info_from_attrs(attrs: &[IpvsAttr]) -> Result<IpvsInfo, DecodeError> {
    let mut version = None;
    let mut size = None;
    for a in attrs {
        match a {
            IpvsAttr::InfoVersion(v) => version = Some(*v),
            IpvsAttr::InfoConnTabSize(v) => size = Some(*v),
            _ => {}
        }
    }
    Ok(IpvsInfo {
        version: version.ok_or_else(|| err("GET_INFO reply without IPVS_INFO_ATTR_VERSION"))?,
        conn_tab_size: size
            .ok_or_else(|| err("GET_INFO reply without IPVS_INFO_ATTR_CONN_TAB_SIZE"))?,
    })
}

/// NEW_DAEMON attributes: the mandatory state, interface and sync id, then what is set.
pub fn daemon_spec(d: &SyncDaemonConfig) -> Vec<DaemonAttr> {
    let mut v = vec![
        DaemonAttr::State(d.state.code()),
        DaemonAttr::McastIfn(d.mcast_ifn.clone()),
        DaemonAttr::SyncId(u32::from(d.syncid)),
    ];
    if let Some(m) = d.maxlen {
        v.push(DaemonAttr::SyncMaxlen(m));
    }
    match d.mcast_group {
        Some(IpAddr::V4(a)) => v.push(DaemonAttr::McastGroup(a)),
        Some(IpAddr::V6(a)) => v.push(DaemonAttr::McastGroup6(a)),
        None => {}
    }
    if let Some(p) = d.mcast_port {
        v.push(DaemonAttr::McastPort(p));
    }
    if let Some(t) = d.mcast_ttl {
        v.push(DaemonAttr::McastTtl(t));
    }
    v
}

/// A running daemon from a GET_DAEMON dump message.
pub fn daemon_from_attrs(attrs: &[DaemonAttr]) -> Result<SyncDaemonConfig, DecodeError> {
    let mut state = None;
    let mut ifn = None;
    let mut syncid = None;
    let mut d = SyncDaemonConfig {
        state: SyncState::Master,
        mcast_ifn: String::new(),
        syncid: 0,
        maxlen: None,
        mcast_group: None,
        mcast_port: None,
        mcast_ttl: None,
    };
    for a in attrs {
        match a {
            DaemonAttr::State(v) => state = Some(*v),
            DaemonAttr::McastIfn(v) => ifn = Some(v.clone()),
            DaemonAttr::SyncId(v) => syncid = Some(*v),
            DaemonAttr::SyncMaxlen(v) => d.maxlen = Some(*v),
            DaemonAttr::McastGroup(a) => d.mcast_group = Some(IpAddr::V4(*a)),
            DaemonAttr::McastGroup6(a) => d.mcast_group = Some(IpAddr::V6(*a)),
            DaemonAttr::McastPort(v) => d.mcast_port = Some(*v),
            DaemonAttr::McastTtl(v) => d.mcast_ttl = Some(*v),
            DaemonAttr::Other(_) => {}
        }
    }
    d.state = match state.ok_or_else(|| err("daemon without IPVS_DAEMON_ATTR_STATE"))? {
        1 => SyncState::Master,
        2 => SyncState::Backup,
        n => return Err(err(format!("unknown sync daemon state {n}"))),
    };
    d.mcast_ifn = ifn.ok_or_else(|| err("daemon without IPVS_DAEMON_ATTR_MCAST_IFN"))?;
    let id = syncid.ok_or_else(|| err("daemon without IPVS_DAEMON_ATTR_SYNC_ID"))?;
    d.syncid = u8::try_from(id).map_err(|_| err(format!("sync id {id} is above 255")))?;
    Ok(d)
}
