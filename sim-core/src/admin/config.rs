//! `LvsConfig`: the one description of a director's IPVS table.
//!
//! The simulated director runs it, the exporters render it, the ipvsadm parser produces
//! `IpvsOp`s that change it, and `lvslab apply` sends it to a kernel over netlink.
//! Field meanings and encodings follow the kernel's (see the reference, sections 1–6).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// Transport protocol of a virtual service.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    pub fn number(self) -> u8 {
        match self {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Sctp => 132,
        }
    }
    pub fn from_number(n: u16) -> Option<Protocol> {
        match n {
            6 => Some(Protocol::Tcp),
            17 => Some(Protocol::Udp),
            132 => Some(Protocol::Sctp),
            _ => None,
        }
    }
    /// Name as ipvsadm prints it ("TCP", "UDP", "SCTP").
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }
}

/// Address family.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Family {
    Inet,
    Inet6,
}

impl Family {
    pub fn of(addr: &IpAddr) -> Family {
        match addr {
            IpAddr::V4(_) => Family::Inet,
            IpAddr::V6(_) => Family::Inet6,
        }
    }
    /// AF_INET / AF_INET6 numbers.
    pub fn number(self) -> u16 {
        match self {
            Family::Inet => 2,
            Family::Inet6 => 10,
        }
    }
}

/// How a virtual service is identified: address + port + protocol, or a firewall mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ServiceKey {
    Addr {
        proto: Protocol,
        addr: IpAddr,
        port: u16,
    },
    Fwmark {
        mark: u32,
        family: Family,
    },
}

impl ServiceKey {
    pub fn family(&self) -> Family {
        match self {
            ServiceKey::Addr { addr, .. } => Family::of(addr),
            ServiceKey::Fwmark { family, .. } => *family,
        }
    }
    pub fn is_fwmark(&self) -> bool {
        matches!(self, ServiceKey::Fwmark { .. })
    }
    /// The service port (0 for fwmark services).
    pub fn port(&self) -> u16 {
        match self {
            ServiceKey::Addr { port, .. } => *port,
            ServiceKey::Fwmark { .. } => 0,
        }
    }
}

impl fmt::Display for ServiceKey {
    /// ipvsadm's numeric service argument: `-t 10.0.0.1:80`, `-u [::1]:53`, `-f 1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServiceKey::Addr { proto, addr, port } => {
                let sw = match proto {
                    Protocol::Tcp => "-t",
                    Protocol::Udp => "-u",
                    Protocol::Sctp => "--sctp-service",
                };
                write!(f, "{sw} {}", format_addr_port(addr, *port))
            }
            ServiceKey::Fwmark { mark, family } => {
                write!(f, "-f {mark}")?;
                if *family == Family::Inet6 {
                    write!(f, " -6")?;
                }
                Ok(())
            }
        }
    }
}

/// `addr:port`, with IPv6 addresses in brackets.
pub fn format_addr_port(addr: &IpAddr, port: u16) -> String {
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

/// Service flag bits (IP_VS_SVC_F_*).
pub mod svc_flags {
    pub const PERSISTENT: u32 = 0x0001;
    pub const HASHED: u32 = 0x0002;
    pub const ONEPACKET: u32 = 0x0004;
    pub const SCHED1: u32 = 0x0008;
    pub const SCHED2: u32 = 0x0010;
    pub const SCHED3: u32 = 0x0020;
    /// Flags a user may set (HASHED is the kernel's own).
    pub const USER_MASK: u32 = PERSISTENT | ONEPACKET | SCHED1 | SCHED2 | SCHED3;
}

/// Default persistence timeout ipvsadm and keepalived use when `-p` has no value.
pub const DEFAULT_PERSISTENCE_TIMEOUT: u32 = 360;

/// A virtual service's own settings (its real servers are in `VirtualService::dests`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceConfig {
    pub key: ServiceKey,
    /// Scheduler name as the kernel knows it ("rr", "wlc", "mh", ...).
    pub scheduler: String,
    /// IP_VS_SVC_F_* bits (see `svc_flags`).
    pub flags: u32,
    /// Persistence timeout in seconds (meaningful with PERSISTENT).
    pub timeout: u32,
    /// Persistence granularity: IPv4 netmask in host byte order (0xffffffff = per client),
    /// or the IPv6 prefix length (128 = per client).
    pub netmask: u32,
    /// Persistence engine ("sip"), if any.
    pub pe_name: Option<String>,
}

impl ServiceConfig {
    /// A service with ipvsadm's defaults (scheduler wlc, no persistence).
    pub fn new(key: ServiceKey) -> Self {
        let netmask = match key.family() {
            Family::Inet => 0xffff_ffff,
            Family::Inet6 => 128,
        };
        ServiceConfig {
            key,
            scheduler: "wlc".into(),
            flags: 0,
            timeout: 0,
            netmask,
            pe_name: None,
        }
    }
    pub fn persistent(&self) -> bool {
        self.flags & svc_flags::PERSISTENT != 0
    }
    pub fn one_packet(&self) -> bool {
        self.flags & svc_flags::ONEPACKET != 0
    }
    pub fn default_netmask(&self) -> bool {
        match self.key.family() {
            Family::Inet => self.netmask == 0xffff_ffff,
            Family::Inet6 => self.netmask == 128,
        }
    }
}

/// Forwarding method of a real server (low 3 bits of the dest's conn_flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FwdMethod {
    /// NAT (masquerading), ipvsadm `-m`.
    Masq,
    /// The director itself.
    Local,
    /// IP tunnelling, ipvsadm `-i`.
    Tunnel,
    /// Direct routing (gatewaying), ipvsadm `-g` (ipvsadm's default).
    Route,
}

impl FwdMethod {
    pub fn code(self) -> u32 {
        match self {
            FwdMethod::Masq => 0,
            FwdMethod::Local => 1,
            FwdMethod::Tunnel => 2,
            FwdMethod::Route => 3,
        }
    }
    pub fn from_code(c: u32) -> Option<FwdMethod> {
        match c & 7 {
            0 => Some(FwdMethod::Masq),
            1 => Some(FwdMethod::Local),
            2 => Some(FwdMethod::Tunnel),
            3 => Some(FwdMethod::Route),
            _ => None,
        }
    }
    /// The name ipvsadm prints in the Forward column.
    pub fn name(self) -> &'static str {
        match self {
            FwdMethod::Masq => "Masq",
            FwdMethod::Local => "Local",
            FwdMethod::Tunnel => "Tunnel",
            FwdMethod::Route => "Route",
        }
    }
    /// NAT / DR / TUN, as lessons call them.
    pub fn mode_name(self) -> &'static str {
        match self {
            FwdMethod::Masq => "NAT",
            FwdMethod::Local => "local",
            FwdMethod::Tunnel => "TUN",
            FwdMethod::Route => "DR",
        }
    }
}

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum TunType {
    #[default]
    Ipip,
    Gue,
    Gre,
}

impl TunType {
    pub fn code(self) -> u8 {
        match self {
            TunType::Ipip => 0,
            TunType::Gue => 1,
            TunType::Gre => 2,
        }
    }
    pub fn from_code(c: u8) -> Option<TunType> {
        match c {
            0 => Some(TunType::Ipip),
            1 => Some(TunType::Gue),
            2 => Some(TunType::Gre),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            TunType::Ipip => "ipip",
            TunType::Gue => "gue",
            TunType::Gre => "gre",
        }
    }
}

/// Tunnel checksum option (IPVS_DEST_ATTR_TUN_FLAGS).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum TunCsum {
    #[default]
    NoCsum,
    Csum,
    RemCsum,
}

impl TunCsum {
    pub fn flags(self) -> u16 {
        match self {
            TunCsum::NoCsum => 0,
            TunCsum::Csum => 1,
            TunCsum::RemCsum => 2,
        }
    }
    pub fn from_flags(f: u16) -> TunCsum {
        if f & 2 != 0 {
            TunCsum::RemCsum
        } else if f & 1 != 0 {
            TunCsum::Csum
        } else {
            TunCsum::NoCsum
        }
    }
}

/// A real server ("destination") of a virtual service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DestConfig {
    pub addr: IpAddr,
    pub port: u16,
    pub fwd: FwdMethod,
    /// Kernel weight (a signed int there; ipvsadm accepts 0..65535, the kernel any >= 0).
    pub weight: i32,
    /// Upper connection threshold (`-x`), 0 = none.
    pub u_threshold: u32,
    /// Lower connection threshold (`-y`), 0 = none.
    pub l_threshold: u32,
    pub tun_type: TunType,
    /// GUE destination port (network semantics; 0 = unset).
    pub tun_port: u16,
    pub tun_csum: TunCsum,
}

impl DestConfig {
    /// A dest with ipvsadm's defaults: weight 1, direct routing.
    pub fn new(addr: IpAddr, port: u16) -> Self {
        DestConfig {
            addr,
            port,
            fwd: FwdMethod::Route,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
            tun_type: TunType::Ipip,
            tun_port: 0,
            tun_csum: TunCsum::NoCsum,
        }
    }
    pub fn with_fwd(mut self, fwd: FwdMethod) -> Self {
        self.fwd = fwd;
        self
    }
    pub fn with_weight(mut self, w: i32) -> Self {
        self.weight = w;
        self
    }
}

/// A virtual service and its real servers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VirtualService {
    pub config: ServiceConfig,
    /// Real servers in the kernel's list order: **newest first** (the kernel inserts a new
    /// dest at the front of the list, and every "first wins" tie-break follows this order).
    pub dests: Vec<DestConfig>,
}

/// `ipvsadm --set tcp tcpfin udp`, in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeouts {
    pub tcp: u32,
    pub tcp_fin: u32,
    pub udp: u32,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            tcp: 900,
            tcp_fin: 120,
            udp: 300,
        }
    }
}

/// Sync daemon role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SyncState {
    Master,
    Backup,
}

impl SyncState {
    pub fn code(self) -> u32 {
        match self {
            SyncState::Master => 1,
            SyncState::Backup => 2,
        }
    }
}

/// A connection-sync daemon (`ipvsadm --start-daemon`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncDaemonConfig {
    pub state: SyncState,
    pub mcast_ifn: String,
    pub syncid: u8,
    pub maxlen: Option<u16>,
    pub mcast_group: Option<IpAddr>,
    pub mcast_port: Option<u16>,
    pub mcast_ttl: Option<u8>,
}

/// The whole IPVS table of one director.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LvsConfig {
    /// Services in creation order.
    pub services: Vec<VirtualService>,
    pub timeouts: Timeouts,
    pub daemons: Vec<SyncDaemonConfig>,
}

/// One change to an IPVS table, as ipvsadm and netlink express them.
/// Edits carry the complete new object (as ipvsadm sends it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IpvsOp {
    AddService(ServiceConfig),
    EditService(ServiceConfig),
    DelService(ServiceKey),
    /// `ipvsadm -C`: delete every service.
    Flush,
    AddDest(ServiceKey, DestConfig),
    EditDest(ServiceKey, DestConfig),
    DelDest {
        service: ServiceKey,
        addr: IpAddr,
        port: u16,
    },
    /// `--set`: a zero field leaves that timeout unchanged.
    SetTimeouts(Timeouts),
    /// `-Z`: zero the statistics of one service or of everything.
    Zero(Option<ServiceKey>),
    StartDaemon(SyncDaemonConfig),
    StopDaemon(SyncState),
}

/// Why the kernel refused an operation (the errno it would return).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum IpvsError {
    #[error("Service already exists")]
    ServiceExists,
    #[error("Service not defined")]
    NoService,
    #[error("Destination already exists")]
    DestExists,
    #[error("No such destination")]
    NoDest,
    #[error("Scheduler or persistence engine not found")]
    NoScheduler,
    #[error("Invalid argument: {0}")]
    Invalid(String),
    #[error("Value out of range: {0}")]
    Range(String),
    #[error("Sync daemon error: {0}")]
    Daemon(String),
}

impl IpvsError {
    /// The errno the kernel returns for this error.
    pub fn errno(&self) -> i32 {
        match self {
            IpvsError::ServiceExists | IpvsError::DestExists => 17, // EEXIST
            IpvsError::NoService => 3,                              // ESRCH
            IpvsError::NoDest | IpvsError::NoScheduler => 2,        // ENOENT
            IpvsError::Invalid(_) | IpvsError::Daemon(_) => 22,     // EINVAL
            IpvsError::Range(_) => 34,                              // ERANGE
        }
    }
}

/// Every scheduler the kernel ships (names as `-s` takes them).
pub const SCHEDULERS: [&str; 14] = [
    "rr", "wrr", "lc", "wlc", "sed", "nq", "fo", "ovf", "twos", "dh", "sh", "mh", "lblc", "lblcr",
];

impl LvsConfig {
    pub fn service(&self, key: &ServiceKey) -> Option<&VirtualService> {
        self.services.iter().find(|s| s.config.key == *key)
    }
    fn service_mut(&mut self, key: &ServiceKey) -> Option<&mut VirtualService> {
        self.services.iter_mut().find(|s| s.config.key == *key)
    }

    /// Checks an operation the way the kernel would, without changing anything.
    pub fn check(&self, op: &IpvsOp) -> Result<(), IpvsError> {
        self.clone().apply(op)
    }

    /// Applies one operation with the kernel's validation and error semantics.
    pub fn apply(&mut self, op: &IpvsOp) -> Result<(), IpvsError> {
        match op {
            IpvsOp::AddService(cfg) => {
                validate_service(cfg)?;
                if self.service(&cfg.key).is_some() {
                    return Err(IpvsError::ServiceExists);
                }
                let mut cfg = cfg.clone();
                cfg.flags &= svc_flags::USER_MASK;
                self.services.push(VirtualService {
                    config: cfg,
                    dests: Vec::new(),
                });
                Ok(())
            }
            IpvsOp::EditService(cfg) => {
                validate_service(cfg)?;
                let svc = self.service_mut(&cfg.key).ok_or(IpvsError::NoService)?;
                let mut cfg = cfg.clone();
                cfg.flags &= svc_flags::USER_MASK;
                svc.config = cfg;
                Ok(())
            }
            IpvsOp::DelService(key) => {
                let before = self.services.len();
                self.services.retain(|s| s.config.key != *key);
                if self.services.len() == before {
                    Err(IpvsError::NoService)
                } else {
                    Ok(())
                }
            }
            IpvsOp::Flush => {
                self.services.clear();
                Ok(())
            }
            IpvsOp::AddDest(key, d) => {
                let svc = self.service_mut(key).ok_or(IpvsError::NoService)?;
                validate_dest(&svc.config, d)?;
                if svc
                    .dests
                    .iter()
                    .any(|x| x.addr == d.addr && x.port == d.port)
                {
                    return Err(IpvsError::DestExists);
                }
                svc.dests.insert(0, d.clone());
                Ok(())
            }
            IpvsOp::EditDest(key, d) => {
                let svc = self.service_mut(key).ok_or(IpvsError::NoService)?;
                validate_dest(&svc.config, d)?;
                let slot = svc
                    .dests
                    .iter_mut()
                    .find(|x| x.addr == d.addr && x.port == d.port)
                    .ok_or(IpvsError::NoDest)?;
                *slot = d.clone();
                Ok(())
            }
            IpvsOp::DelDest {
                service,
                addr,
                port,
            } => {
                let svc = self.service_mut(service).ok_or(IpvsError::NoService)?;
                let before = svc.dests.len();
                svc.dests.retain(|x| !(x.addr == *addr && x.port == *port));
                if svc.dests.len() == before {
                    Err(IpvsError::NoDest)
                } else {
                    Ok(())
                }
            }
            IpvsOp::SetTimeouts(t) => {
                if t.tcp > 0 {
                    self.timeouts.tcp = t.tcp;
                }
                if t.tcp_fin > 0 {
                    self.timeouts.tcp_fin = t.tcp_fin;
                }
                if t.udp > 0 {
                    self.timeouts.udp = t.udp;
                }
                Ok(())
            }
            IpvsOp::Zero(key) => {
                if let Some(k) = key {
                    self.service(k).ok_or(IpvsError::NoService)?;
                }
                Ok(())
            }
            IpvsOp::StartDaemon(d) => {
                if self.daemons.iter().any(|x| x.state == d.state) {
                    return Err(IpvsError::Daemon("sync daemon already running".into()));
                }
                self.daemons.push(d.clone());
                self.daemons.sort_by_key(|x| x.state);
                Ok(())
            }
            IpvsOp::StopDaemon(state) => {
                let before = self.daemons.len();
                self.daemons.retain(|x| x.state != *state);
                if before == self.daemons.len() {
                    Err(IpvsError::Daemon("no such sync daemon".into()))
                } else {
                    Ok(())
                }
            }
        }
    }

    /// The operations that build this configuration from an empty table, in an order that
    /// reproduces the kernel list order of every service's dests.
    pub fn to_ops(&self) -> Vec<IpvsOp> {
        let mut ops = Vec::new();
        if self.timeouts != Timeouts::default() {
            ops.push(IpvsOp::SetTimeouts(self.timeouts));
        }
        for svc in &self.services {
            ops.push(IpvsOp::AddService(svc.config.clone()));
            for d in svc.dests.iter().rev() {
                ops.push(IpvsOp::AddDest(svc.config.key, d.clone()));
            }
        }
        for d in &self.daemons {
            ops.push(IpvsOp::StartDaemon(d.clone()));
        }
        ops
    }
}

fn validate_service(cfg: &ServiceConfig) -> Result<(), IpvsError> {
    if !SCHEDULERS.contains(&cfg.scheduler.as_str()) {
        return Err(IpvsError::NoScheduler);
    }
    if let Some(pe) = &cfg.pe_name {
        if pe != "sip" {
            return Err(IpvsError::NoScheduler);
        }
    }
    if cfg.key.family() == Family::Inet6 && !(1..=128).contains(&cfg.netmask) {
        return Err(IpvsError::Invalid(
            "IPv6 persistence prefix must be 1..128".into(),
        ));
    }
    Ok(())
}

fn validate_dest(svc: &ServiceConfig, d: &DestConfig) -> Result<(), IpvsError> {
    if d.weight < 0 {
        return Err(IpvsError::Range("weight must not be negative".into()));
    }
    if d.l_threshold > d.u_threshold && d.u_threshold != 0 {
        return Err(IpvsError::Range(
            "lower threshold above upper threshold".into(),
        ));
    }
    if Family::of(&d.addr) != svc.key.family() && d.fwd != FwdMethod::Tunnel {
        return Err(IpvsError::Invalid(
            "a dest of another address family needs tunnelling".into(),
        ));
    }
    if d.tun_type == TunType::Gue && d.fwd == FwdMethod::Tunnel && d.tun_port == 0 {
        return Err(IpvsError::Invalid("GUE tunnels need a port".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ServiceKey {
        ServiceKey::Addr {
            proto: Protocol::Tcp,
            addr: "10.0.0.1".parse().unwrap(),
            port: 80,
        }
    }

    #[test]
    fn dests_are_kept_newest_first_and_to_ops_rebuilds_the_order() {
        let mut c = LvsConfig::default();
        c.apply(&IpvsOp::AddService(ServiceConfig::new(key())))
            .unwrap();
        for h in ["192.168.10.12", "192.168.10.13", "192.168.10.11"] {
            c.apply(&IpvsOp::AddDest(
                key(),
                DestConfig::new(h.parse().unwrap(), 80),
            ))
            .unwrap();
        }
        let order: Vec<String> = c.services[0]
            .dests
            .iter()
            .map(|d| d.addr.to_string())
            .collect();
        assert_eq!(order, ["192.168.10.11", "192.168.10.13", "192.168.10.12"]);
        let mut d = LvsConfig::default();
        for op in c.to_ops() {
            d.apply(&op).unwrap();
        }
        assert_eq!(c, d);
    }

    #[test]
    fn kernel_errors() {
        let mut c = LvsConfig::default();
        let mut s = ServiceConfig::new(key());
        c.apply(&IpvsOp::AddService(s.clone())).unwrap();
        assert_eq!(
            c.apply(&IpvsOp::AddService(s.clone())),
            Err(IpvsError::ServiceExists)
        );
        s.scheduler = "bogus".into();
        assert_eq!(
            c.apply(&IpvsOp::EditService(s)),
            Err(IpvsError::NoScheduler)
        );
        let d = DestConfig::new("1.2.3.4".parse().unwrap(), 80);
        c.apply(&IpvsOp::AddDest(key(), d.clone())).unwrap();
        assert_eq!(
            c.apply(&IpvsOp::AddDest(key(), d)),
            Err(IpvsError::DestExists)
        );
        let other = ServiceKey::Addr {
            proto: Protocol::Tcp,
            addr: "10.0.0.9".parse().unwrap(),
            port: 80,
        };
        assert_eq!(
            c.apply(&IpvsOp::AddDest(
                other,
                DestConfig::new("1.2.3.4".parse().unwrap(), 80)
            )),
            Err(IpvsError::NoService)
        );
        assert_eq!(
            c.apply(&IpvsOp::DelDest {
                service: key(),
                addr: "9.9.9.9".parse().unwrap(),
                port: 80
            }),
            Err(IpvsError::NoDest)
        );
    }
}
