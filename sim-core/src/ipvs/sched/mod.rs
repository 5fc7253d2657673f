//! IPVS schedulers: one module per kernel scheduler.
//!
//! A scheduler sees the service's real servers as a slice of `DestView` in the kernel's
//! list order (newest first) and keeps only its own state (cursors, hash tables, caches).
//! Counters live in the IPVS runtime, which passes fresh views on every call.

pub mod dh;
pub mod fo;
pub mod hash;
pub mod lblc;
pub mod lblcr;
pub mod lc;
pub mod locality;
pub mod mh;
pub mod nq;
pub mod ovf;
pub mod rr;
pub mod sed;
pub mod sh;
pub mod twos;
pub mod wlc;
pub mod wrr;

#[cfg(test)]
mod ground_truth_tests;
#[cfg(test)]
mod testkit;

use crate::rng::SimRng;
use crate::time::SimTime;
use std::net::IpAddr;

/// Stable identity of a dest inside one IPVS instance (survives edits and the trash).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DestId(pub u32);

/// What a scheduler may read about a real server.
#[derive(Clone, Debug, PartialEq)]
pub struct DestView {
    pub id: DestId,
    pub addr: IpAddr,
    pub port: u16,
    /// Current weight (0 = quiesced).
    pub weight: i32,
    /// Most recent non-zero weight (mh keeps a quiesced dest's slots with it).
    pub last_weight: i32,
    pub active: u32,
    pub inactive: u32,
    /// The OVERLOAD flag (set by u_threshold / l_threshold accounting).
    pub overloaded: bool,
    /// The AVAILABLE flag (false once deleted; deleted dests are normally not in the list).
    pub available: bool,
}

impl DestView {
    /// The kernel's `ip_vs_dest_conn_overhead`: (active << 8) + inactive.
    pub fn overhead(&self) -> i64 {
        ((self.active as i64) << 8) + self.inactive as i64
    }
}

/// The packet fields schedulers hash on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchedInput {
    pub saddr: IpAddr,
    pub sport: u16,
    pub daddr: IpAddr,
    pub dport: u16,
    /// IP protocol number (6 TCP, 17 UDP, 132 SCTP; others hash with port 0).
    pub protocol: u8,
}

/// How the dest list changed (the kernel calls the scheduler's add/upd/del hooks).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DestChange {
    Added(DestId),
    Edited(DestId),
    /// `prev` is the node before the deleted dest in the old list (None = the list head).
    Deleted {
        id: DestId,
        prev: Option<DestId>,
    },
}

/// Service flag IP_VS_SVC_F_SCHED1: `sh-fallback` / `mh-fallback`.
pub const SVC_F_SCHED1: u32 = 0x0008;
/// Service flag IP_VS_SVC_F_SCHED2: `sh-port` / `mh-port`.
pub const SVC_F_SCHED2: u32 = 0x0010;
/// Service flag IP_VS_SVC_F_SCHED3 (no kernel scheduler uses it today).
pub const SVC_F_SCHED3: u32 = 0x0020;

/// The sysctls schedulers read (`net.ipv4.vs.lblc_expiration`, `lblcr_expiration`), in seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchedParams {
    pub lblc_expiration: u64,
    pub lblcr_expiration: u64,
}

impl Default for SchedParams {
    /// The kernel defaults: 24 hours each.
    fn default() -> Self {
        SchedParams {
            lblc_expiration: 86_400,
            lblcr_expiration: 86_400,
        }
    }
}

/// The kernel's log text when a scheduler finds nothing.
pub(crate) const NO_DEST: &str = "no destination available";

pub(crate) fn no_dest() -> NoDest {
    NoDest(NO_DEST.to_string())
}

/// Why a scheduler returned no dest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoDest(pub String);

/// The interface every kernel scheduler implements.
pub trait Scheduler {
    fn name(&self) -> &'static str;
    /// The scheduler was bound to a service that already has `dests` (the kernel's
    /// `init_service`, e.g. after `ipvsadm -E -s` switched schedulers). A scheduler made by
    /// `new_scheduler` starts as if bound to a service without dests; one that is asked to
    /// schedule before it ever saw a dest list binds to the list it is given.
    fn init_service(&mut self, _dests: &[DestView]) {}
    /// The scheduler sysctls changed (only lblc / lblcr read them).
    fn set_params(&mut self, _params: &SchedParams) {}
    /// The service's flags (IP_VS_SVC_F_SCHED1..3) changed or were set at creation.
    fn set_flags(&mut self, _flags: u32) {}
    /// The dest list changed; `dests` is the list after the change.
    fn dests_changed(&mut self, dests: &[DestView], change: DestChange);
    /// Picks a dest for a new connection.
    fn schedule(
        &mut self,
        now: SimTime,
        dests: &[DestView],
        pkt: &SchedInput,
        rng: &mut SimRng,
    ) -> Result<DestId, NoDest>;
    /// Earliest time the scheduler wants `on_timer` (lblc/lblcr garbage collection).
    fn poll_at(&self) -> Option<SimTime> {
        None
    }
    fn on_timer(&mut self, _now: SimTime) {}
}

/// Names of every scheduler the kernel ships.
pub const SCHEDULER_NAMES: [&str; 14] = [
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
];

/// Creates the named scheduler with default sysctls, or None if the kernel has no such scheduler.
pub fn new_scheduler(name: &str, now: SimTime) -> Option<Box<dyn Scheduler>> {
    new_scheduler_with_params(name, now, &SchedParams::default())
}

/// Creates the named scheduler for a service created at `now` (lblc / lblcr start their
/// garbage-collection timer then), or None if the kernel has no such scheduler.
pub fn new_scheduler_with_params(
    name: &str,
    now: SimTime,
    params: &SchedParams,
) -> Option<Box<dyn Scheduler>> {
    let s: Box<dyn Scheduler> = match name {
        "rr" => Box::new(rr::RrScheduler::default()),
        "wrr" => Box::new(wrr::WrrScheduler::default()),
        "lc" => Box::new(lc::LcScheduler),
        "wlc" => Box::new(wlc::WlcScheduler),
        "sed" => Box::new(sed::SedScheduler),
        "nq" => Box::new(nq::NqScheduler),
        "fo" => Box::new(fo::FoScheduler),
        "ovf" => Box::new(ovf::OvfScheduler),
        "twos" => Box::new(twos::TwosScheduler),
        "dh" => Box::new(dh::DhScheduler::default()),
        "sh" => Box::new(sh::ShScheduler::default()),
        "mh" => Box::new(mh::MhScheduler::default()),
        "lblc" => Box::new(lblc::LblcScheduler::new(now, params)),
        "lblcr" => Box::new(lblcr::LblcrScheduler::new(now, params)),
        _ => return None,
    };
    Some(s)
}
