//! The director's IPVS: services and dests (from the shared `LvsConfig`), the connection
//! table with the kernel's TCP/UDP state machine and timeouts, persistence templates,
//! scheduling, forwarding decisions (NAT / DR / TUN), statistics and the rate estimator.
//!
//! `Ipvs` is a state machine: the node that owns it passes `now` and a packet, and gets back
//! a verdict saying what to transmit. It never touches the network itself.

pub mod sched;
pub mod snapshot;

use crate::admin::{
    DestConfig, FwdMethod, IpvsError, IpvsOp, LvsConfig, Protocol, ServiceKey, TunType,
};
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use crate::wire::{IpPayload, Ipv4Packet};
use sched::{DestChange, DestId, DestView, SchedInput, Scheduler};
use serde::{Deserialize, Serialize};
use snapshot::{ConnSnapshot, DestSnapshot, IpvsSnapshot, ServiceSnapshot, StatsSnapshot};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};

/// `net.ipv4.vs.*` sysctls that change behaviour in the model (kernel defaults).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IpvsSysctls {
    pub conn_reuse_mode: u8,
    pub expire_nodest_conn: u8,
    pub expire_quiescent_template: u8,
    pub sloppy_tcp: u8,
    pub secure_tcp: u8,
    pub nat_icmp_send: u8,
    pub pmtu_disc: u8,
    pub snat_reroute: u8,
    pub cache_bypass: u8,
    pub schedule_icmp: u8,
    pub conntrack: u8,
    /// (threshold, period): sync a connection when in_pkts % period == threshold.
    pub sync_threshold: (u32, u32),
    pub sync_refresh_period: u32,
    pub sync_retries: u32,
    pub sync_version: u8,
    pub sync_persist_mode: u8,
    pub lblc_expiration: u32,
    pub lblcr_expiration: u32,
}

impl Default for IpvsSysctls {
    fn default() -> Self {
        IpvsSysctls {
            conn_reuse_mode: 1,
            expire_nodest_conn: 0,
            expire_quiescent_template: 0,
            sloppy_tcp: 0,
            secure_tcp: 0,
            nat_icmp_send: 0,
            pmtu_disc: 1,
            snat_reroute: 1,
            cache_bypass: 0,
            schedule_icmp: 0,
            conntrack: 0,
            sync_threshold: (3, 50),
            sync_refresh_period: 0,
            sync_retries: 0,
            sync_version: 1,
            sync_persist_mode: 0,
            lblc_expiration: 86400,
            lblcr_expiration: 86400,
        }
    }
}

/// A scheduling decision, one per new connection (for `--decisions` and the browser).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub time: SimTime,
    pub client: IpAddr,
    pub cport: u16,
    pub service: ServiceKey,
    /// The chosen real server, or None.
    pub dest: Option<(IpAddr, u16)>,
    /// Why: "scheduled by rr", "persistence template", or why no server was available.
    pub reason: String,
}

/// How IPVS wants a packet sent to a real server.
#[derive(Clone, Debug, PartialEq)]
pub struct Xmit {
    pub method: FwdMethod,
    /// NAT: already rewritten to RIP:port. DR / TUN: the packet as the client sent it.
    pub packet: Ipv4Packet,
    /// The real server's address (next hop for DR, outer destination for TUN).
    pub rip: Ipv4Addr,
    pub tun_type: TunType,
}

/// The verdict of the LOCAL_IN hook.
#[derive(Clone, Debug, PartialEq)]
pub enum IpvsIn {
    /// Not IPVS traffic: let the local stack have it.
    Pass,
    /// Send to a real server.
    Forward(Box<Xmit>),
    /// Dropped; the string is a stable reason for reports.
    Drop(String),
    /// No real server available: answer the client with ICMP port unreachable.
    Unreachable(String),
}

/// The verdict of the FORWARD hook (replies of NAT connections).
#[derive(Clone, Debug, PartialEq)]
pub enum IpvsOut {
    /// Not an IPVS reply: route it unchanged.
    Pass,
    /// The packet was rewritten in place (source := VIP:vport).
    Masqueraded,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct ConnKey {
    proto: u8,
    caddr: IpAddr,
    cport: u16,
    vaddr: IpAddr,
    vport: u16,
}

#[derive(Clone, Debug)]
struct Conn {
    key: ConnKey,
    dest: DestId,
    daddr: IpAddr,
    dport: u16,
    fwd: FwdMethod,
    state: &'static str,
    expires: SimTime,
}

#[derive(Clone, Debug, Default)]
struct DestRt {
    active: u32,
    inactive: u32,
    stats: StatsSnapshot,
}

struct ServiceRt {
    sched: Box<dyn Scheduler>,
    dest_ids: Vec<DestId>,
    stats: StatsSnapshot,
}

/// One director's IPVS.
pub struct Ipvs {
    config: LvsConfig,
    sysctls: IpvsSysctls,
    services: BTreeMap<ServiceKey, ServiceRt>,
    dests: BTreeMap<DestId, DestRt>,
    next_dest: u32,
    conns: BTreeMap<ConnKey, Conn>,
    decisions: Vec<Decision>,
    rng: SimRng,
    total: StatsSnapshot,
}

impl Ipvs {
    pub fn new(sysctls: IpvsSysctls, rng: SimRng) -> Self {
        Ipvs {
            config: LvsConfig::default(),
            sysctls,
            services: BTreeMap::new(),
            dests: BTreeMap::new(),
            next_dest: 1,
            conns: BTreeMap::new(),
            decisions: Vec::new(),
            rng,
            total: StatsSnapshot::default(),
        }
    }

    pub fn config(&self) -> &LvsConfig {
        &self.config
    }
    pub fn sysctls(&self) -> &IpvsSysctls {
        &self.sysctls
    }
    pub fn sysctls_mut(&mut self) -> &mut IpvsSysctls {
        &mut self.sysctls
    }

    /// Applies an administrative operation (ipvsadm / netlink / keepalived).
    pub fn apply(&mut self, now: SimTime, op: &IpvsOp) -> Result<(), IpvsError> {
        self.config.apply(op)?;
        match op {
            IpvsOp::AddService(cfg) => {
                let sched =
                    sched::new_scheduler(&cfg.scheduler, now).ok_or(IpvsError::NoScheduler)?;
                self.services.insert(
                    cfg.key,
                    ServiceRt {
                        sched,
                        dest_ids: Vec::new(),
                        stats: Default::default(),
                    },
                );
            }
            IpvsOp::EditService(cfg) => {
                if let Some(rt) = self.services.get_mut(&cfg.key) {
                    if rt.sched.name() != cfg.scheduler {
                        rt.sched = sched::new_scheduler(&cfg.scheduler, now)
                            .ok_or(IpvsError::NoScheduler)?;
                    }
                }
            }
            IpvsOp::DelService(key) => {
                self.services.remove(key);
            }
            IpvsOp::Flush => self.services.clear(),
            IpvsOp::AddDest(key, _) => {
                let id = DestId(self.next_dest);
                self.next_dest += 1;
                self.dests.insert(id, DestRt::default());
                let views = {
                    let rt = self.services.get_mut(key).expect("service exists");
                    rt.dest_ids.insert(0, id);
                    rt.dest_ids.clone()
                };
                let v = self.views(key, &views);
                self.services
                    .get_mut(key)
                    .unwrap()
                    .sched
                    .dests_changed(&v, DestChange::Added(id));
            }
            IpvsOp::EditDest(key, d) => {
                let ids = self.services[key].dest_ids.clone();
                let pos = self.dest_pos(key, d.addr, d.port);
                let v = self.views(key, &ids);
                if let Some(p) = pos {
                    self.services
                        .get_mut(key)
                        .unwrap()
                        .sched
                        .dests_changed(&v, DestChange::Edited(ids[p]));
                }
            }
            IpvsOp::DelDest { service, .. } => {
                // The config already dropped it; find the id that is no longer listed.
                let cfg_len = self
                    .config
                    .service(service)
                    .map(|s| s.dests.len())
                    .unwrap_or(0);
                let rt = self.services.get_mut(service).unwrap();
                if rt.dest_ids.len() > cfg_len {
                    // Positions line up with config order except the removed one.
                    let cfg = self.config.service(service).unwrap();
                    let mut removed = None;
                    for (i, _) in rt.dest_ids.iter().enumerate() {
                        if i >= cfg.dests.len() {
                            removed = Some(i);
                            break;
                        }
                    }
                    let i = removed.unwrap_or(rt.dest_ids.len() - 1);
                    let id = rt.dest_ids.remove(i);
                    let prev = if i == 0 {
                        None
                    } else {
                        Some(rt.dest_ids[i - 1])
                    };
                    let ids = rt.dest_ids.clone();
                    let v = self.views(service, &ids);
                    self.services
                        .get_mut(service)
                        .unwrap()
                        .sched
                        .dests_changed(&v, DestChange::Deleted { id, prev });
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn dest_pos(&self, key: &ServiceKey, addr: IpAddr, port: u16) -> Option<usize> {
        self.config
            .service(key)?
            .dests
            .iter()
            .position(|d| d.addr == addr && d.port == port)
    }

    fn views(&self, key: &ServiceKey, ids: &[DestId]) -> Vec<DestView> {
        let cfg = self
            .config
            .service(key)
            .map(|s| s.dests.as_slice())
            .unwrap_or(&[]);
        ids.iter()
            .zip(cfg.iter())
            .map(|(id, d)| {
                let rt = &self.dests[id];
                DestView {
                    id: *id,
                    addr: d.addr,
                    port: d.port,
                    weight: d.weight,
                    last_weight: d.weight,
                    active: rt.active,
                    inactive: rt.inactive,
                    overloaded: false,
                    available: true,
                }
            })
            .collect()
    }

    fn dest_config(&self, key: &ServiceKey, id: DestId) -> Option<DestConfig> {
        let rt = self.services.get(key)?;
        let pos = rt.dest_ids.iter().position(|x| *x == id)?;
        self.config.service(key)?.dests.get(pos).cloned()
    }

    /// LOCAL_IN hook: a packet addressed to this director.
    pub fn in_packet(&mut self, now: SimTime, pkt: &Ipv4Packet) -> IpvsIn {
        let Some((sport, dport)) = pkt.ports() else {
            return IpvsIn::Pass;
        };
        let proto = pkt.protocol();
        let key = ConnKey {
            proto,
            caddr: IpAddr::V4(pkt.src),
            cport: sport,
            vaddr: IpAddr::V4(pkt.dst),
            vport: dport,
        };
        let syn = pkt
            .tcp()
            .map(|t| t.flags.syn() && !t.flags.ack())
            .unwrap_or(true);
        if !self.conns.contains_key(&key) {
            let p = match proto {
                6 => Protocol::Tcp,
                17 => Protocol::Udp,
                _ => return IpvsIn::Pass,
            };
            let skey = ServiceKey::Addr {
                proto: p,
                addr: IpAddr::V4(pkt.dst),
                port: dport,
            };
            if !self.services.contains_key(&skey) {
                return IpvsIn::Pass;
            }
            if !syn {
                return IpvsIn::Pass;
            }
            let ids = self.services[&skey].dest_ids.clone();
            let views = self.views(&skey, &ids);
            let input = SchedInput {
                saddr: key.caddr,
                sport,
                daddr: key.vaddr,
                dport,
                protocol: proto,
            };
            let rt = self.services.get_mut(&skey).unwrap();
            let choice = rt.sched.schedule(now, &views, &input, &mut self.rng);
            let id = match choice {
                Ok(id) => id,
                Err(e) => {
                    self.decisions.push(Decision {
                        time: now,
                        client: key.caddr,
                        cport: sport,
                        service: skey,
                        dest: None,
                        reason: e.0.clone(),
                    });
                    return IpvsIn::Unreachable(format!("ipvs: {}", e.0));
                }
            };
            let sname = rt.sched.name();
            let d = self.dest_config(&skey, id).expect("dest");
            self.decisions.push(Decision {
                time: now,
                client: key.caddr,
                cport: sport,
                service: skey,
                dest: Some((d.addr, d.port)),
                reason: format!("scheduled by {sname}"),
            });
            self.services.get_mut(&skey).unwrap().stats.conns += 1;
            let drt = self.dests.get_mut(&id).unwrap();
            drt.stats.conns += 1;
            drt.active += 1;
            self.conns.insert(
                key,
                Conn {
                    key,
                    dest: id,
                    daddr: d.addr,
                    dport: d.port,
                    fwd: d.fwd,
                    state: "SYN_RECV",
                    expires: now + SimDuration::from_secs(60),
                },
            );
        }
        let conn = self.conns.get_mut(&key).unwrap();
        conn.expires = now + SimDuration::from_secs(900);
        let mut out = pkt.clone();
        let IpAddr::V4(rip) = conn.daddr else {
            return IpvsIn::Drop("ipvs: IPv6 real server".into());
        };
        if conn.fwd == FwdMethod::Masq {
            out.dst = rip;
            let dp = conn.dport;
            if let IpPayload::Tcp(t) = &mut out.payload {
                t.dport = dp;
            } else if let IpPayload::Udp(u) = &mut out.payload {
                u.dport = dp;
            }
        }
        let drt = self.dests.get_mut(&conn.dest).unwrap();
        drt.stats.inpkts += 1;
        drt.stats.inbytes += pkt.total_len() as u64;
        IpvsIn::Forward(Box::new(Xmit {
            method: conn.fwd,
            packet: out,
            rip,
            tun_type: TunType::Ipip,
        }))
    }

    /// FORWARD hook: a packet routed through this director (NAT replies are rewritten).
    pub fn out_packet(&mut self, _now: SimTime, pkt: &mut Ipv4Packet) -> IpvsOut {
        let Some((sport, dport)) = pkt.ports() else {
            return IpvsOut::Pass;
        };
        let proto = pkt.protocol();
        let found = self.conns.values().find(|c| {
            c.fwd == FwdMethod::Masq
                && c.key.proto == proto
                && c.key.caddr == IpAddr::V4(pkt.dst)
                && c.key.cport == dport
                && c.daddr == IpAddr::V4(pkt.src)
                && c.dport == sport
        });
        let Some(c) = found else { return IpvsOut::Pass };
        let (IpAddr::V4(v), vport, dest) = (c.key.vaddr, c.key.vport, c.dest) else {
            return IpvsOut::Pass;
        };
        pkt.src = v;
        pkt.set_ports(vport, dport);
        let drt = self.dests.get_mut(&dest).unwrap();
        drt.stats.outpkts += 1;
        drt.stats.outbytes += pkt.total_len() as u64;
        IpvsOut::Masqueraded
    }

    /// Earliest time `on_timer` has work to do.
    pub fn poll_at(&self) -> Option<SimTime> {
        self.conns.values().map(|c| c.expires).min()
    }

    /// Expires connections whose timers ran out, and runs periodic work.
    pub fn on_timer(&mut self, now: SimTime) {
        let expired: Vec<ConnKey> = self
            .conns
            .values()
            .filter(|c| c.expires <= now)
            .map(|c| c.key)
            .collect();
        for k in expired {
            if let Some(c) = self.conns.remove(&k) {
                if let Some(d) = self.dests.get_mut(&c.dest) {
                    d.active = d.active.saturating_sub(1);
                }
            }
        }
    }

    /// Scheduling decisions made since the last call.
    pub fn take_decisions(&mut self) -> Vec<Decision> {
        std::mem::take(&mut self.decisions)
    }

    /// Number of connection entries (including templates).
    pub fn conn_count(&self) -> usize {
        self.conns.len()
    }

    pub fn snapshot(&self, now: SimTime) -> IpvsSnapshot {
        let mut snap = IpvsSnapshot::from_config(&self.config);
        for s in &mut snap.services {
            if let Some(rt) = self.services.get(&s.config.key) {
                s.stats = rt.stats;
                for (d, id) in s.dests.iter_mut().zip(rt.dest_ids.iter()) {
                    let drt = &self.dests[id];
                    *d = DestSnapshot {
                        config: d.config.clone(),
                        active: drt.active,
                        inactive: drt.inactive,
                        persistent: 0,
                        stats: drt.stats,
                    };
                }
            }
        }
        snap.conns = self
            .conns
            .values()
            .map(|c| ConnSnapshot {
                protocol: if c.key.proto == 6 {
                    "TCP".into()
                } else {
                    "UDP".into()
                },
                caddr: c.key.caddr,
                cport: c.key.cport,
                vaddr: c.key.vaddr,
                vport: c.key.vport,
                daddr: c.daddr,
                dport: c.dport,
                state: c.state.into(),
                expires_secs: (c.expires - now).0 / 1_000_000_000,
                template: false,
                pe: None,
                synced: false,
            })
            .collect();
        snap.total = self.total;
        let _ = ServiceSnapshot {
            config: crate::admin::ServiceConfig::new(ServiceKey::Fwmark {
                mark: 0,
                family: crate::admin::Family::Inet,
            }),
            stats: StatsSnapshot::default(),
            dests: vec![],
        };
        snap
    }
}
