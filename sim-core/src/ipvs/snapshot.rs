//! Read-only views of a director's IPVS state, for the ipvsadm renderers, the browser and
//! the reports. Built by `Ipvs::snapshot`.

use crate::admin::{DestConfig, LvsConfig, ServiceConfig, Timeouts};
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// Counters and decoded rates, as `ipvsadm --stats` / `--rate` show them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsSnapshot {
    pub conns: u64,
    pub inpkts: u64,
    pub outpkts: u64,
    pub inbytes: u64,
    pub outbytes: u64,
    /// Connections per second (decoded from the estimator).
    pub cps: u64,
    pub inpps: u64,
    pub outpps: u64,
    /// Bytes (not bits) per second.
    pub inbps: u64,
    pub outbps: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DestSnapshot {
    pub config: DestConfig,
    pub active: u32,
    pub inactive: u32,
    pub persistent: u32,
    pub stats: StatsSnapshot,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceSnapshot {
    pub config: ServiceConfig,
    pub stats: StatsSnapshot,
    /// Kernel list order (newest first).
    pub dests: Vec<DestSnapshot>,
}

/// One row of /proc/net/ip_vs_conn (`ipvsadm -Lnc`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConnSnapshot {
    /// "TCP", "UDP", "SCTP", or "IP" for fwmark templates.
    pub protocol: String,
    pub caddr: IpAddr,
    pub cport: u16,
    /// Virtual address (for fwmark templates: the mark as an IPv4 address, e.g. 0.0.0.1).
    pub vaddr: IpAddr,
    pub vport: u16,
    pub daddr: IpAddr,
    pub dport: u16,
    /// State name as the kernel prints it ("ESTABLISHED", "TIME_WAIT", "UDP", "NONE", "ASSURED").
    pub state: String,
    /// Remaining time on the entry's timer, whole seconds rounded down.
    pub expires_secs: u64,
    pub template: bool,
    /// Persistence engine name and data, if any.
    pub pe: Option<(String, String)>,
    /// Where the entry came from: false = local, true = the sync daemon.
    pub synced: bool,
}

/// Everything the ipvsadm text formats need.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct IpvsSnapshot {
    /// Connection hash table size (the "size=" in ipvsadm's header), 4096 by default.
    pub conn_tab_size: u32,
    /// Services in creation order.
    pub services: Vec<ServiceSnapshot>,
    /// Connection entries in table order.
    pub conns: Vec<ConnSnapshot>,
    pub timeouts: Timeouts,
    pub daemons: Vec<crate::admin::SyncDaemonConfig>,
    pub total: StatsSnapshot,
}

impl IpvsSnapshot {
    /// A snapshot of a configuration with no traffic (all counters zero).
    pub fn from_config(config: &LvsConfig) -> Self {
        IpvsSnapshot {
            conn_tab_size: 4096,
            services: config
                .services
                .iter()
                .map(|s| ServiceSnapshot {
                    config: s.config.clone(),
                    stats: StatsSnapshot::default(),
                    dests: s
                        .dests
                        .iter()
                        .map(|d| DestSnapshot {
                            config: d.clone(),
                            active: 0,
                            inactive: 0,
                            persistent: 0,
                            stats: StatsSnapshot::default(),
                        })
                        .collect(),
                })
                .collect(),
            conns: Vec::new(),
            timeouts: config.timeouts,
            daemons: config.daemons.clone(),
            total: StatsSnapshot::default(),
        }
    }
}
