//! The keepalived configuration model (keepalived 2.2.7): `global_defs`, `vrrp_script`,
//! `vrrp_sync_group`, `vrrp_instance` and `virtual_server` with its real servers and health
//! checkers.
//!
//! Values are stored *resolved*: wherever keepalived fills in a default (priority 255 for a
//! `state MASTER` without `priority`, lb_kind NAT, protocol UDP, warmup = delay_loop, ...)
//! the parser writes that default into the model, and the renderer writes every value out
//! again. keepalived's defaults differ from ipvsadm's (NAT vs DR, UDP when no protocol is
//! given), so a rendered file never relies on them.
//!
//! `parse` reads keepalived.conf text (errors carry the line), `render` writes it, `lvs`
//! converts the `virtual_server` part to and from the shared `LvsConfig`.

pub mod lvs;
pub mod parse;
pub mod render;
#[cfg(test)]
mod tests;

use crate::admin::{FwdMethod, Protocol};
use crate::time::SimDuration;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr};

pub use parse::{parse, KeepalivedError};
pub use render::render;

/// A whole keepalived.conf.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct KeepalivedConfig {
    pub global: GlobalDefs,
    pub scripts: Vec<VrrpScript>,
    pub sync_groups: Vec<SyncGroup>,
    pub instances: Vec<VrrpInstance>,
    pub virtual_servers: Vec<VirtualServer>,
}

/// `global_defs`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GlobalDefs {
    pub router_id: Option<String>,
    /// `vrrp_version` (2 or 3), the default of every instance.
    pub vrrp_version: u8,
    /// `vrrp_garp_master_delay`: seconds until the second burst of gratuitous ARPs (0 = none).
    pub garp_master_delay: u32,
    /// `vrrp_garp_master_repeat`: gratuitous ARPs per VIP in each burst.
    pub garp_master_repeat: u32,
    /// `vrrp_garp_master_refresh`: seconds between refresh bursts while master (0 = off).
    pub garp_master_refresh: u32,
    pub garp_master_refresh_repeat: u32,
    /// `vrrp_garp_lower_prio_delay` (None = garp_master_delay).
    pub garp_lower_prio_delay: Option<u32>,
    /// `vrrp_garp_lower_prio_repeat` (None = garp_master_repeat).
    pub garp_lower_prio_repeat: Option<u32>,
    /// `vrrp_garp_interval`: spacing between gratuitous ARPs on one interface.
    pub garp_interval: SimDuration,
    /// `vrrp_lower_prio_no_advert`.
    pub lower_prio_no_advert: bool,
    /// `vrrp_strict`.
    pub vrrp_strict: bool,
    /// `vrrp_skip_check_adv_addr`.
    pub skip_check_adv_addr: bool,
    /// `lvs_sync_daemon <iface> <instance> [id N]`.
    pub lvs_sync_daemon: Option<LvsSyncDaemon>,
}

impl Default for GlobalDefs {
    fn default() -> Self {
        GlobalDefs {
            router_id: None,
            vrrp_version: 2,
            garp_master_delay: 5,
            garp_master_repeat: 5,
            garp_master_refresh: 0,
            garp_master_refresh_repeat: 1,
            garp_lower_prio_delay: None,
            garp_lower_prio_repeat: None,
            garp_interval: SimDuration::ZERO,
            lower_prio_no_advert: false,
            vrrp_strict: false,
            skip_check_adv_addr: false,
            lvs_sync_daemon: None,
        }
    }
}

/// `lvs_sync_daemon`: the IPVS sync daemon follows one VRRP instance (master daemon while it
/// is MASTER, backup daemon otherwise).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LvsSyncDaemon {
    pub interface: String,
    pub instance: String,
    pub syncid: u8,
}

/// `vrrp_script`: in the simulator a script's exit status is set from the timeline (it
/// succeeds until a fault says otherwise).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VrrpScript {
    pub name: String,
    pub script: String,
    pub interval: SimDuration,
    /// None = the interval.
    pub timeout: Option<SimDuration>,
    pub weight: i32,
    pub rise: u32,
    pub fall: u32,
    pub init_fail: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncGroup {
    pub name: String,
    pub members: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InitialState {
    Master,
    Backup,
}

/// A tracked interface or script with its weight (0 = failure means FAULT).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tracked {
    pub name: String,
    pub weight: i32,
}

/// A `virtual_ipaddress` line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VipSpec {
    pub addr: Ipv4Addr,
    pub prefix: u8,
    /// None = the instance's interface.
    pub dev: Option<String>,
}

/// `vrrp_instance`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VrrpInstance {
    pub name: String,
    pub state: InitialState,
    pub interface: String,
    pub virtual_router_id: u8,
    /// Configured (base) priority 1..255.
    pub priority: u8,
    /// As configured (normalised by version when the instance runs).
    pub advert_int: SimDuration,
    /// None = `global_defs` vrrp_version.
    pub version: Option<u8>,
    pub nopreempt: bool,
    pub preempt_delay: SimDuration,
    /// `authentication { auth_type PASS auth_pass ... }` (at most 8 bytes are used).
    pub auth_pass: Option<String>,
    pub virtual_ipaddress: Vec<VipSpec>,
    pub track_interface: Vec<Tracked>,
    pub track_script: Vec<Tracked>,
    pub mcast_src_ip: Option<Ipv4Addr>,
    /// `lvs_sync_daemon_interface` (old per-instance form of lvs_sync_daemon).
    pub lvs_sync_daemon_interface: Option<String>,
}

impl VrrpInstance {
    pub fn effective_version(&self, g: &GlobalDefs) -> u8 {
        self.version.unwrap_or(g.vrrp_version)
    }
}

/// How a virtual server is identified.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum VsKey {
    Addr { addr: IpAddr, port: u16 },
    Fwmark(u32),
}

/// `virtual_server`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VirtualServer {
    pub key: VsKey,
    pub protocol: Protocol,
    pub delay_loop: SimDuration,
    pub lb_algo: String,
    pub lb_kind: FwdMethod,
    /// None = no persistence.
    pub persistence_timeout: Option<u32>,
    /// IPv4 netmask (0xffffffff = per client).
    pub persistence_granularity: u32,
    pub sorry_server: Option<(IpAddr, u16)>,
    pub sorry_server_inhibit: bool,
    pub quorum: u32,
    pub hysteresis: u32,
    pub alpha: bool,
    pub omega: bool,
    pub ha_suspend: bool,
    pub real_servers: Vec<RealServer>,
}

/// `real_server`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RealServer {
    pub addr: IpAddr,
    pub port: u16,
    pub weight: i32,
    pub inhibit_on_failure: bool,
    pub uthreshold: u32,
    pub lthreshold: u32,
    pub checkers: Vec<Checker>,
}

/// A health checker with every timing resolved (inherited from the real server and the
/// virtual server, else keepalived's defaults).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checker {
    pub kind: CheckKind,
    pub connect_ip: Option<IpAddr>,
    pub connect_port: Option<u16>,
    pub bindto: Option<IpAddr>,
    pub connect_timeout: SimDuration,
    pub retry: u32,
    pub delay_before_retry: SimDuration,
    pub warmup: SimDuration,
    pub delay_loop: SimDuration,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CheckKind {
    Tcp,
    Http { urls: Vec<UrlCheck> },
}

impl CheckKind {
    pub fn keyword(&self) -> &'static str {
        match self {
            CheckKind::Tcp => "TCP_CHECK",
            CheckKind::Http { .. } => "HTTP_GET",
        }
    }
}

/// One `url { path ... status_code ... }` of HTTP_GET.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UrlCheck {
    pub path: String,
    /// Accepted status code ranges (inclusive); empty = 200-299.
    pub status_codes: Vec<(u16, u16)>,
    pub digest: Option<String>,
}

impl UrlCheck {
    /// Whether a response status passes this URL's check.
    pub fn accepts(&self, status: u16) -> bool {
        if self.status_codes.is_empty() {
            (200..=299).contains(&status)
        } else {
            self.status_codes
                .iter()
                .any(|(a, b)| (*a..=*b).contains(&status))
        }
    }
}

/// keepalived's defaults (KA:check/check_data.c, check_api.c).
pub mod defaults {
    use crate::time::SimDuration;
    pub const DELAY_LOOP: SimDuration = SimDuration(60_000_000_000);
    pub const CONNECT_TIMEOUT: SimDuration = SimDuration(5_000_000_000);
    pub const RETRY: u32 = 1;
    pub const TCP_DELAY_BEFORE_RETRY: SimDuration = SimDuration(1_000_000_000);
    pub const HTTP_DELAY_BEFORE_RETRY: SimDuration = SimDuration(3_000_000_000);
    pub const PRIORITY: u8 = 100;
    pub const OWNER_PRIORITY: u8 = 255;
    pub const ADVERT_INT: SimDuration = SimDuration(1_000_000_000);
    pub const PERSISTENCE_TIMEOUT: u32 = 360;
}

impl KeepalivedConfig {
    pub fn instance(&self, name: &str) -> Option<&VrrpInstance> {
        self.instances.iter().find(|i| i.name == name)
    }
    pub fn script(&self, name: &str) -> Option<&VrrpScript> {
        self.scripts.iter().find(|s| s.name == name)
    }
    /// The sync group an instance belongs to.
    pub fn group_of(&self, instance: &str) -> Option<&SyncGroup> {
        self.sync_groups
            .iter()
            .find(|g| g.members.iter().any(|m| m == instance))
    }
    /// The sync daemon setting, from `global_defs lvs_sync_daemon` or an instance's
    /// `lvs_sync_daemon_interface`.
    pub fn sync_daemon(&self) -> Option<LvsSyncDaemon> {
        self.global.lvs_sync_daemon.clone().or_else(|| {
            self.instances.iter().find_map(|i| {
                i.lvs_sync_daemon_interface
                    .as_ref()
                    .map(|ifname| LvsSyncDaemon {
                        interface: ifname.clone(),
                        instance: i.name.clone(),
                        syncid: 0,
                    })
            })
        })
    }
}
