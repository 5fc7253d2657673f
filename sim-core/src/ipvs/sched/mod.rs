//! IPVS schedulers: one module per kernel scheduler.
//!
//! A scheduler sees the service's real servers as a slice of `DestView` in the kernel's
//! list order (newest first) and keeps only its own state (cursors, hash tables, caches).
//! Counters live in the IPVS runtime, which passes fresh views on every call.

pub mod rr;

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

/// Why a scheduler returned no dest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoDest(pub String);

/// The interface every kernel scheduler implements.
pub trait Scheduler {
    fn name(&self) -> &'static str;
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

/// Creates the named scheduler, or None if the kernel has no such scheduler.
pub fn new_scheduler(name: &str, now: SimTime) -> Option<Box<dyn Scheduler>> {
    let _ = now;
    match name {
        "rr" => Some(Box::new(rr::RrScheduler::default())),
        _ => None,
    }
}
