//! The director's IPVS: services and dests (from the shared `LvsConfig`), the connection
//! table with the kernel's TCP/UDP state machine and timeouts, persistence templates,
//! scheduling, forwarding decisions (NAT / DR / TUN), statistics and the rate estimator.
//!
//! `Ipvs` is a state machine: the node that owns it passes `now` and a packet, and gets back
//! a verdict saying what to transmit. It never touches the network itself.
//!
//! Layout: `ctl` applies administrative operations (services, dests, the dest trash),
//! `core` is the packet path (lookups, scheduling, persistence, state, xmit verdicts),
//! `conn` the table, `proto` the state machines, `stats` counters and the estimator,
//! `sync` the connection-sync daemon's send and receive rules.

mod conn;
mod core;
mod ctl;
pub mod proto;
pub mod sched;
pub mod snapshot;
pub mod stats;
mod sync;
#[cfg(test)]
mod tests;

use crate::admin::{
    DestConfig, FwdMethod, IpvsError, IpvsOp, LvsConfig, ServiceConfig, ServiceKey, TunType,
};
use crate::net::fasthash::FastMap;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use crate::wire::{Ipv4Packet, SyncConnEntry};
use conn::ConnTable;
use proto::TimeoutTable;
use sched::{DestId, Scheduler};
use serde::{Deserialize, Serialize};
use snapshot::{ConnSnapshot, DestSnapshot, IpvsSnapshot, ServiceSnapshot};
use stats::Stats;
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

/// Approximate memory of the connection table (`Ipvs::memory_estimate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableMemory {
    /// Entries, templates included.
    pub entries: usize,
    /// Estimated heap bytes: entries, lookup indexes and the expiry heap.
    pub bytes: usize,
}

impl TableMemory {
    pub fn bytes_per_entry(&self) -> f64 {
        if self.entries == 0 {
            0.0
        } else {
            self.bytes as f64 / self.entries as f64
        }
    }
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
    /// Not IPVS traffic (or a local real server): let the local stack have it.
    Pass,
    /// Send to a real server.
    Forward(Box<Xmit>),
    /// Dropped; the string is a stable reason for reports.
    Drop(String),
    /// No real server available: answer the client with ICMP port unreachable.
    Unreachable(String),
}

/// The verdict of the FORWARD hook (replies of IPVS connections).
#[derive(Clone, Debug, PartialEq)]
pub enum IpvsOut {
    /// Not rewritten: route it unchanged. (Replies of DR/TUN entries that happen to pass
    /// the director are accounted and advance the state machine, but keep their addresses.)
    Pass,
    /// The packet was rewritten in place (source := VIP:vport).
    Masqueraded,
}

/// A real server (`struct ip_vs_dest`), live or in the trash.
#[derive(Clone, Debug)]
struct Dest {
    svc: ServiceKey,
    cfg: DestConfig,
    last_weight: i32,
    /// IP_VS_DEST_F_AVAILABLE: listed in its service (false while in the trash).
    available: bool,
    /// IP_VS_DEST_F_OVERLOAD.
    overloaded: bool,
    active: u32,
    inactive: u32,
    persist: u32,
    /// Entries bound to this dest (the kernel's refcnt minus the list's own reference).
    refs: u32,
    stats: Stats,
    /// Trash bookkeeping: when the dest was first seen unreferenced there.
    idle_start: Option<SimTime>,
}

/// A virtual service (`struct ip_vs_service`).
struct Service {
    cfg: ServiceConfig,
    sched: Box<dyn Scheduler>,
    /// Dests in kernel list order (newest first).
    dests: Vec<DestId>,
    stats: Stats,
}

/// Entries in the trash are checked this often.
const TRASH_CHECK: SimDuration = SimDuration(60_000_000_000);
/// A trash dest unreferenced for this long is freed.
const TRASH_PERIOD: SimDuration = SimDuration(120_000_000_000);

/// One director's IPVS.
pub struct Ipvs {
    config: LvsConfig,
    sysctls: IpvsSysctls,
    timeouts: TimeoutTable,
    /// Lookup-heavy (every packet); where order matters the keys are sorted first.
    services: FastMap<ServiceKey, Service>,
    dests: FastMap<DestId, Dest>,
    /// Deleted dests waiting to be freed or revived, newest first.
    trash: Vec<DestId>,
    next_dest: u32,
    conns: ConnTable,
    decisions: Vec<Decision>,
    rng: SimRng,
    total: Stats,
    est_next: Option<SimTime>,
    trash_next: Option<SimTime>,
    sync_out: Vec<SyncConnEntry>,
}

impl Ipvs {
    pub fn new(sysctls: IpvsSysctls, rng: SimRng) -> Self {
        Ipvs {
            config: LvsConfig::default(),
            sysctls,
            timeouts: TimeoutTable::default(),
            services: FastMap::default(),
            dests: FastMap::default(),
            trash: Vec::new(),
            next_dest: 1,
            conns: ConnTable::default(),
            decisions: Vec::new(),
            rng,
            total: Stats::default(),
            est_next: None,
            trash_next: None,
            sync_out: Vec::new(),
        }
    }

    pub fn config(&self) -> &LvsConfig {
        &self.config
    }

    /// ActiveConn and InActConn summed over every destination (a sum: the map's order
    /// cannot matter).
    pub fn conn_counts(&self) -> (u64, u64) {
        self.dests.values().fold((0, 0), |(a, i), d| {
            (a + u64::from(d.active), i + u64::from(d.inactive))
        })
    }
    pub fn sysctls(&self) -> &IpvsSysctls {
        &self.sysctls
    }
    pub fn sysctls_mut(&mut self) -> &mut IpvsSysctls {
        &mut self.sysctls
    }

    /// Applies an administrative operation (ipvsadm / netlink / keepalived).
    pub fn apply(&mut self, now: SimTime, op: &IpvsOp) -> Result<(), IpvsError> {
        self.apply_op(now, op)
    }

    /// LOCAL_IN hook: a packet addressed to this director (no firewall mark).
    pub fn in_packet(&mut self, now: SimTime, pkt: &Ipv4Packet) -> IpvsIn {
        self.in_packet_marked(now, pkt, 0)
    }

    /// LOCAL_IN hook for a packet carrying a netfilter mark (fwmark services match first).
    pub fn in_packet_marked(&mut self, now: SimTime, pkt: &Ipv4Packet, fwmark: u32) -> IpvsIn {
        self.packet_in(now, pkt, fwmark)
    }

    /// FORWARD hook: a packet routed through this director (NAT replies are rewritten).
    pub fn out_packet(&mut self, now: SimTime, pkt: &mut Ipv4Packet) -> IpvsOut {
        self.packet_out(now, pkt)
    }

    /// Earliest time `on_timer` has work to do.
    pub fn poll_at(&self) -> Option<SimTime> {
        let mut t = [self.conns.next_timer(), self.est_next, self.trash_next]
            .into_iter()
            .flatten()
            .min();
        for s in self.services.values() {
            if let Some(p) = s.sched.poll_at() {
                t = Some(t.map_or(p, |x| x.min(p)));
            }
        }
        t
    }

    /// Expires connections whose timers ran out, and runs periodic work (estimator every
    /// 2 s, trash check every 60 s, scheduler garbage collection).
    pub fn on_timer(&mut self, now: SimTime) {
        while let Some(id) = self.conns.pop_expired(now) {
            self.expire_entry(now, id);
        }
        while let Some(t) = self.est_next {
            if t > now {
                break;
            }
            self.run_estimator();
            self.est_next = Some(t + stats::ESTIMATOR_PERIOD);
        }
        if let Some(t) = self.trash_next {
            if t <= now {
                self.check_trash(now);
            }
        }
        for s in self.services.values_mut() {
            if s.sched.poll_at().is_some_and(|p| p <= now) {
                s.sched.on_timer(now);
            }
        }
    }

    fn run_estimator(&mut self) {
        self.total.estimate();
        for s in self.services.values_mut() {
            s.stats.estimate();
        }
        for d in self.dests.values_mut() {
            if d.available {
                d.stats.estimate();
            }
        }
    }

    /// Scheduling decisions made since the last call.
    pub fn take_decisions(&mut self) -> Vec<Decision> {
        std::mem::take(&mut self.decisions)
    }

    /// Connection entries the master sync daemon sent since the last call.
    pub fn take_sync_entries(&mut self) -> Vec<SyncConnEntry> {
        std::mem::take(&mut self.sync_out)
    }

    /// Backup side: creates or updates entries from a received sync message.
    pub fn apply_sync(&mut self, now: SimTime, entries: &[SyncConnEntry]) {
        for e in entries {
            self.sync_receive(now, e);
        }
    }

    /// Number of connection entries (including templates).
    pub fn conn_count(&self) -> usize {
        self.conns.len()
    }

    /// Size of the connection table, for the benchmark's bytes per tracked connection.
    pub fn memory_estimate(&self) -> TableMemory {
        TableMemory {
            entries: self.conns.len(),
            bytes: self.conns.memory_estimate(),
        }
    }

    pub fn snapshot(&self, now: SimTime) -> IpvsSnapshot {
        let mut snap = self.snapshot_services(now);
        snap.conns = self
            .conns
            .iter()
            .filter(|c| c.flags & conn::flags::ONE_PACKET == 0)
            .map(|c| conn_row(c, now))
            .collect();
        snap
    }

    /// Services, destinations and counters without the connection rows: cheap enough to take
    /// every simulated second of a run with a large connection table.
    pub fn snapshot_services(&self, _now: SimTime) -> IpvsSnapshot {
        let mut snap = IpvsSnapshot::from_config(&self.config);
        snap.services = self
            .config
            .services
            .iter()
            .filter_map(|vs| {
                let s = self.services.get(&vs.config.key)?;
                Some(ServiceSnapshot {
                    config: s.cfg.clone(),
                    stats: s.stats.snapshot(),
                    dests: s
                        .dests
                        .iter()
                        .filter_map(|id| self.dests.get(id))
                        .map(|d| DestSnapshot {
                            config: d.cfg.clone(),
                            active: d.active,
                            inactive: d.inactive,
                            persistent: d.persist,
                            stats: d.stats.snapshot(),
                        })
                        .collect(),
                })
            })
            .collect();
        snap.total = self.total.snapshot();
        snap
    }
}

fn conn_row(c: &conn::Conn, now: SimTime) -> ConnSnapshot {
    let template = c.is_template();
    let protocol = match c.proto {
        6 => "TCP".to_string(),
        17 => "UDP".to_string(),
        132 => "SCTP".to_string(),
        0 => "IP".to_string(),
        1 => "ICMP".to_string(),
        n => format!("IP_{n}"),
    };
    let state = if template {
        if c.state & proto::CTPL_ASSURED != 0 {
            "ASSURED"
        } else {
            "NONE"
        }
        .to_string()
    } else if c.proto == 6 {
        proto::TCP_STATE_NAMES[(c.state as usize).min(proto::tcp_state::COUNT - 1)].to_string()
    } else if c.proto == 17 {
        "UDP".to_string()
    } else {
        "ERR!".to_string()
    };
    ConnSnapshot {
        protocol,
        caddr: c.caddr,
        cport: c.cport,
        vaddr: c.vaddr,
        vport: c.vport,
        daddr: c.daddr,
        dport: c.dport,
        state,
        expires_secs: c.expires.saturating_sub(now).0 / crate::time::NANOS_PER_SEC,
        template,
        pe: None,
        synced: c.flags & conn::flags::SYNC != 0,
    }
}
