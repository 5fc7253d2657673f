//! High availability: keepalived running on directors.
//!
//! `Keepalived` is one daemon on one host: its VRRP instances (`vrrp`, the state machine;
//! `daemon`, what the daemon does with its outputs: adverts on the wire, VIPs on the
//! interfaces, gratuitous ARPs, sync groups, trackers, the IPVS sync daemon's role), its
//! health checkers (`checker`: TCP_CHECK / HTTP_GET over real TCP connections from the
//! director, real servers in and out of IPVS, quorum and sorry server). `sync` is the
//! kernel's master sync daemon sending connection entries.
//!
//! The engine owns the daemons, delivers their timers (`Event::Ha`) and what hosts report
//! to them (`Notice::Vrrp`, `Notice::Probe`).

pub mod checker;
mod daemon;
pub mod sync;
pub mod vrrp;

use crate::admin::keepalived::KeepalivedConfig;
use crate::net::Cidr;
use crate::rng::SimRng;
use crate::time::SimTime;
use serde::Serialize;
use vrrp::{Vrrp, VrrpState};

/// A timer of a keepalived daemon. `epoch` is the daemon's run number: timers of an
/// earlier run (before a stop or crash) are ignored.
#[derive(Clone, Debug, PartialEq)]
pub struct HaTimer {
    pub epoch: u32,
    pub kind: HaTimerKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum HaTimerKind {
    /// An instance's timer (backup: master down; master: next advert).
    Vrrp { inst: u16, at: SimTime },
    /// A delayed burst of gratuitous ARPs for the instance's `master_epoch`-th mastership.
    Garp {
        inst: u16,
        master_epoch: u64,
        refresh: bool,
    },
    /// The next run of a checker (`gen` = its run counter when scheduled).
    Check { idx: u32, gen: u64 },
    /// A checker's connect_timeout.
    CheckTimeout { idx: u32, gen: u64 },
    /// A vrrp_script run.
    Script { idx: u16 },
    /// The kernel's master sync thread wakes up (every second).
    SyncTick,
}

/// Something the daemon did, kept for reports and tests.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HaRecord {
    pub t: SimTime,
    pub instance: String,
    pub what: HaWhat,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum HaWhat {
    State(VrrpState),
    Advert {
        priority: u8,
    },
    VipAdded(String),
    VipRemoved(String),
    Garp(String),
    /// A real server's checker state changed (instance = "vs addr:port", text = rs).
    RealServer {
        rs: String,
        up: bool,
    },
    Quorum {
        up: bool,
    },
}

/// One VRRP instance of a daemon with its place on the host.
#[derive(Clone, Debug)]
pub struct InstanceRt {
    pub vrrp: Vrrp,
    /// Host interface the instance runs on.
    pub iface: usize,
    /// VIPs with the host interface they go on.
    pub vips: Vec<(Cidr, usize)>,
    pub group: Option<usize>,
    /// (host interface, weight)
    pub track_ifaces: Vec<(usize, i32)>,
    /// (script index, weight)
    pub track_scripts: Vec<(usize, i32)>,
    /// How many times the instance became master (numbers GARP timers).
    pub master_epoch: u64,
    armed: Option<SimTime>,
    last_state: VrrpState,
}

#[derive(Clone, Debug)]
pub struct GroupRt {
    pub name: String,
    pub members: Vec<usize>,
    pub state: VrrpState,
}

/// A vrrp_script: its result comes from the timeline (`script_ok`), its state follows
/// keepalived's rise/fall counting.
#[derive(Clone, Debug)]
pub struct ScriptRt {
    pub name: String,
    /// What the script would exit with now (set by faults; success by default).
    pub script_ok: bool,
    /// None = init (no result yet).
    pub ok: Option<bool>,
    count: u32,
}

/// keepalived on one director.
pub struct Keepalived {
    pub host: usize,
    pub cfg: KeepalivedConfig,
    pub running: bool,
    /// Run number (incremented at every start).
    pub epoch: u32,
    pub instances: Vec<InstanceRt>,
    pub groups: Vec<GroupRt>,
    pub scripts: Vec<ScriptRt>,
    pub checkers: checker::Checkers,
    pub history: Vec<HaRecord>,
    /// How much of `history` the engine has looked at.
    pub history_seen: usize,
    /// Log lines not yet collected by the engine.
    pub log: Vec<(SimTime, String)>,
    /// Warnings from normalising the configuration (advert_int rounding, ...).
    pub warnings: Vec<String>,
    rng: SimRng,
    /// The first start programs nothing in IPVS: the scenario did it at build time.
    started_once: bool,
}

impl Keepalived {
    /// Instance index by name.
    pub fn instance(&self, name: &str) -> Option<usize> {
        self.instances.iter().position(|i| i.vrrp.p.name == name)
    }

    /// State of every instance (name, state).
    pub fn states(&self) -> Vec<(String, VrrpState)> {
        self.instances
            .iter()
            .map(|i| (i.vrrp.p.name.clone(), i.vrrp.state))
            .collect()
    }

    fn record(&mut self, t: SimTime, instance: &str, what: HaWhat) {
        self.history.push(HaRecord {
            t,
            instance: instance.to_string(),
            what,
        });
    }

    fn note(&mut self, t: SimTime, line: String) {
        self.log.push((t, line));
    }
}
