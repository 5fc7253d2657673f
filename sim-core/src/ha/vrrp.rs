//! One VRRP instance as keepalived 2.2.7 runs it (KA:vrrp/vrrp.c, vrrp_scheduler.c): a pure
//! state machine. Each call takes `now` and an input (timer expiry, a received advert, a
//! fault, a stop) and returns what the daemon must do (send an advert, add or remove the
//! VIPs, ...). Timers are kept in microseconds with keepalived's integer arithmetic, so the
//! skew and master-down interval are exactly keepalived's.

use crate::admin::keepalived::{GlobalDefs, InitialState, VrrpInstance};
use crate::time::{SimDuration, SimTime};
use crate::wire::VrrpAdvert;
use serde::Serialize;
use std::net::Ipv4Addr;

/// keepalived's clock unit: microseconds.
pub const TIMER_HZ: u64 = 1_000_000;
pub const TIMER_CENTI_HZ: u64 = 10_000;
pub const PRIO_OWNER: u8 = 255;
pub const PRIO_STOP: u8 = 0;

fn us(d: u64) -> SimDuration {
    SimDuration::from_micros(d)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum VrrpState {
    Init,
    Backup,
    Master,
    Fault,
    /// The daemon is not running.
    Stopped,
}

impl VrrpState {
    pub fn name(self) -> &'static str {
        match self {
            VrrpState::Init => "INIT",
            VrrpState::Backup => "BACKUP",
            VrrpState::Master => "MASTER",
            VrrpState::Fault => "FAULT",
            VrrpState::Stopped => "STOPPED",
        }
    }
}

/// An instance's settings, normalised as keepalived does when it loads the file.
#[derive(Clone, Debug, PartialEq)]
pub struct VrrpParams {
    pub name: String,
    pub vrid: u8,
    pub version: u8,
    /// Own advertisement interval, µs (v2: whole seconds; v3: centiseconds).
    pub adver_int: u64,
    pub base_priority: u8,
    pub init_master: bool,
    pub nopreempt: bool,
    /// µs; 0 = none.
    pub preempt_delay: u64,
    pub auth: Option<[u8; 8]>,
    pub vips: Vec<Ipv4Addr>,
    pub lower_prio_no_advert: bool,
    pub down_timer_adverts: u64,
}

impl VrrpParams {
    /// Normalises an instance; returns the warnings keepalived logs while doing so.
    pub fn new(i: &VrrpInstance, g: &GlobalDefs) -> (VrrpParams, Vec<String>) {
        let mut warnings = Vec::new();
        let version = i.effective_version(g);
        let configured = i.advert_int.0 / 1_000;
        let adver_int = if version == 2 {
            let r =
                ((configured + TIMER_HZ / 2) / TIMER_HZ * TIMER_HZ).clamp(TIMER_HZ, 255 * TIMER_HZ);
            if configured % TIMER_HZ != 0 {
                warnings.push(format!(
                    "({}) VRRPv2 advertisement interval {:.6}s must be an integer. rounding",
                    i.name,
                    configured as f64 / 1e6
                ));
            }
            r
        } else {
            let r = ((configured + TIMER_CENTI_HZ / 2) / TIMER_CENTI_HZ * TIMER_CENTI_HZ)
                .clamp(TIMER_CENTI_HZ, 4095 * TIMER_CENTI_HZ);
            if configured % TIMER_CENTI_HZ != 0 {
                warnings.push(format!(
                    "({}) VRRPv3 advertisement interval {:.6}s must be in units of 10ms - rounding",
                    i.name,
                    configured as f64 / 1e6
                ));
            }
            r
        };
        let auth = if version == 2 {
            i.auth_pass.as_ref().map(|p| {
                let mut a = [0u8; 8];
                for (d, s) in a.iter_mut().zip(p.bytes()) {
                    *d = s;
                }
                a
            })
        } else {
            None
        };
        let p = VrrpParams {
            name: i.name.clone(),
            vrid: i.virtual_router_id,
            version,
            adver_int,
            base_priority: i.priority,
            init_master: i.state == InitialState::Master,
            nopreempt: i.nopreempt,
            preempt_delay: i.preempt_delay.0 / 1_000,
            auth,
            vips: i.virtual_ipaddress.iter().map(|v| v.addr).collect(),
            lower_prio_no_advert: g.lower_prio_no_advert || g.vrrp_strict,
            down_timer_adverts: 3,
        };
        (p, warnings)
    }
}

/// What the daemon must do after a step of the state machine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VrrpOut {
    /// Send an advertisement with this priority.
    Advert(u8),
    AddVips,
    RemoveVips,
    /// As master, an advert of lower priority arrived: repeat the gratuitous ARPs
    /// (`garp_lower_prio_repeat`, again after `garp_lower_prio_delay`).
    LowerPrioGarps,
    /// The instance entered this state (the daemon sends GARPs, moves the sync daemon,
    /// syncs its group).
    Entered(VrrpState),
    /// A line for the log, as keepalived writes it.
    Log(String),
}

/// One running VRRP instance.
#[derive(Clone, Debug)]
pub struct Vrrp {
    pub p: VrrpParams,
    pub state: VrrpState,
    pub wantstate: VrrpState,
    pub effective_priority: u8,
    /// Master_Adver_Interval (µs): the master's, as learnt from v3 adverts; own otherwise.
    pub master_adver_int: u64,
    /// The current down timer length (µs).
    pub ms_down_timer: u64,
    /// When the instance's timer fires (backup: master down; master: next advert).
    pub sands: Option<SimTime>,
    /// End of the preempt delay window; None = not started.
    pub preempt_time: Option<SimTime>,
    pub master_saddr: Option<Ipv4Addr>,
    pub master_priority: u8,
    /// The address our adverts come from (compared with a sender of equal priority).
    pub own_addr: Ipv4Addr,
}

impl Vrrp {
    pub fn new(p: VrrpParams, own_addr: Ipv4Addr) -> Self {
        let prio = p.base_priority;
        let adv = p.adver_int;
        Vrrp {
            p,
            state: VrrpState::Init,
            wantstate: VrrpState::Backup,
            effective_priority: prio,
            master_adver_int: adv,
            ms_down_timer: 0,
            sands: None,
            preempt_time: None,
            master_saddr: None,
            master_priority: 0,
            own_addr,
        }
    }

    /// `VRRP_TIMER_SKEW_CALC`: v2 (256-P)/256 s whatever the interval; v3 scaled by the
    /// master's interval in centiseconds (625/16 = TIMER_CENTI_HZ/256).
    fn skew_calc(&self, pri_val: u64) -> u64 {
        if self.p.version == 3 {
            pri_val * (self.master_adver_int / TIMER_CENTI_HZ) * 625 / 16
        } else {
            pri_val * TIMER_HZ / 256
        }
    }
    pub fn skew(&self) -> u64 {
        self.skew_calc(256 - self.effective_priority as u64)
    }
    /// `VRRP_MS_DOWN_TIMER`: down_timer_adverts * Master_Adver_Interval + skew.
    pub fn master_down_interval(&self) -> u64 {
        self.p.down_timer_adverts * self.master_adver_int + self.skew()
    }

    fn arm(&mut self, now: SimTime) {
        self.sands = Some(match self.state {
            VrrpState::Master => now + us(self.p.adver_int),
            _ => now + us(self.ms_down_timer),
        });
    }

    /// The priority this instance advertises as master.
    pub fn advert_priority(&self) -> u8 {
        if self.p.base_priority == PRIO_OWNER {
            PRIO_OWNER
        } else {
            self.effective_priority
        }
    }

    /// The advertisement this instance sends with `priority`.
    pub fn advert(&self, priority: u8) -> VrrpAdvert {
        VrrpAdvert {
            version: self.p.version,
            vrid: self.p.vrid,
            priority,
            adver_int_cs: (self.p.adver_int / TIMER_CENTI_HZ) as u16,
            auth_pass: self.p.auth,
            addrs: self.p.vips.clone(),
        }
    }

    fn log(&self, s: impl std::fmt::Display) -> VrrpOut {
        VrrpOut::Log(format!("({}) {s}", self.p.name))
    }

    /// Start-up (`vrrp_init_state`). `faulty`: an interface or tracker is down.
    ///
    /// A `state MASTER` instance below priority 255 starts in BACKUP and times out after the
    /// plain Master_Down_Interval, in a sync group too: real keepalived 2.2.7 did so in 5 of
    /// 5 trials (LD1 init to MASTER 3.610 s with `vrrp_sync_group G1 { group { VI_1 VI_2 } }`,
    /// the same as without a group), although its current source reads as if a group's
    /// instances waited only one advert interval and the minimum skew. The observation wins.
    pub fn start(&mut self, now: SimTime, faulty: bool) -> Vec<VrrpOut> {
        let mut out = vec![VrrpOut::RemoveVips];
        self.master_adver_int = self.p.adver_int;
        self.wantstate = if self.p.init_master {
            VrrpState::Master
        } else {
            VrrpState::Backup
        };
        self.preempt_time = None;
        self.master_saddr = None;
        if faulty {
            self.state = VrrpState::Fault;
            self.sands = None;
            out.push(self.log("Entering FAULT STATE (init)"));
            out.push(VrrpOut::Entered(VrrpState::Fault));
            return out;
        }
        self.state = VrrpState::Backup;
        if self.p.init_master && self.p.base_priority == PRIO_OWNER {
            // "The simplest way to become master is to timeout from the backup state very
            // quickly (1usec)".
            self.ms_down_timer = 1;
        } else {
            self.ms_down_timer = self.master_down_interval();
            out.push(self.log("Entering BACKUP STATE (init)"));
        }
        self.arm(now);
        out.push(VrrpOut::Entered(VrrpState::Backup));
        out
    }

    /// True when the instance's timer is due.
    pub fn due(&self, now: SimTime) -> bool {
        self.sands.is_some_and(|t| t <= now)
            && matches!(self.state, VrrpState::Backup | VrrpState::Master)
    }

    /// Backup's down timer ran out: the instance wants to be master. The caller checks its
    /// sync group and then calls `goto_master` or `wait_for_group`.
    pub fn down_timer_expired(&mut self) -> Vec<VrrpOut> {
        self.wantstate = VrrpState::Master;
        vec![self.log("Receive advertisement timeout")]
    }

    /// `vrrp_sync_can_goto_master` said no: stay BACKUP and re-arm the full interval.
    pub fn wait_for_group(&mut self, now: SimTime) {
        self.ms_down_timer = self.master_down_interval();
        self.arm(now);
    }

    /// Becoming master (`vrrp_state_become_master`): one advert first, so that the old
    /// master can let the addresses go, then the VIPs; the caller sends the GARPs.
    pub fn goto_master(&mut self, now: SimTime) -> Vec<VrrpOut> {
        self.state = VrrpState::Master;
        self.wantstate = VrrpState::Master;
        self.arm(now);
        vec![
            self.log("Entering MASTER STATE"),
            VrrpOut::Advert(self.advert_priority()),
            self.log("setting VIPs."),
            VrrpOut::AddVips,
            VrrpOut::Entered(VrrpState::Master),
        ]
    }

    /// Master's advert timer.
    pub fn master_tick(&mut self, now: SimTime) -> Vec<VrrpOut> {
        self.arm(now);
        vec![VrrpOut::Advert(self.advert_priority())]
    }

    /// Leaves MASTER for BACKUP without a priority-0 advert (higher-priority master seen,
    /// or the sync group went BACKUP).
    pub fn leave_master_to_backup(&mut self, now: SimTime) -> Vec<VrrpOut> {
        self.state = VrrpState::Backup;
        self.wantstate = VrrpState::Backup;
        self.preempt_time = None;
        self.ms_down_timer = self.master_down_interval();
        self.arm(now);
        vec![
            self.log("Entering BACKUP STATE"),
            self.log("removing VIPs."),
            VrrpOut::RemoveVips,
            VrrpOut::Entered(VrrpState::Backup),
        ]
    }

    /// A received advertisement (already for our VRID) with the IP source and TTL it came with.
    pub fn on_advert(
        &mut self,
        now: SimTime,
        src: Ipv4Addr,
        ttl: u8,
        a: &VrrpAdvert,
    ) -> Vec<VrrpOut> {
        let mut out = Vec::new();
        if !matches!(self.state, VrrpState::Backup | VrrpState::Master) {
            return out;
        }
        if src == self.own_addr {
            return out;
        }
        if ttl != 255 {
            out.push(self.log(format!("invalid TTL/HOP limit {ttl} from {src} - ignoring")));
            return out;
        }
        if a.version != self.p.version {
            out.push(self.log(format!(
                "received VRRPv{} advert from {src}, we run v{} - ignoring",
                a.version, self.p.version
            )));
            return out;
        }
        if self.p.version == 2 {
            if a.auth_pass.is_some() != self.p.auth.is_some() {
                out.push(self.log(format!(
                    "received an advert from {src} with the wrong authentication type - ignoring"
                )));
                return out;
            }
            if a.auth_pass != self.p.auth {
                out.push(self.log(format!("bad password in advert from {src} - ignoring")));
                return out;
            }
            if a.adver_int_cs as u64 * TIMER_CENTI_HZ != self.p.adver_int {
                out.push(self.log(format!(
                    "advertisement interval mismatch mine={} sec rcv'd={} sec from {src} - ignoring",
                    self.p.adver_int / TIMER_HZ,
                    a.adver_int_cs / 100
                )));
                return out;
            }
        }
        if a.addrs.len() != self.p.vips.len() && a.priority != PRIO_STOP {
            out.push(self.log(format!(
                "received an invalid ip address count {} from {src}, expected {}",
                a.addrs.len(),
                self.p.vips.len()
            )));
        }
        let adv_int = a.adver_int_cs as u64 * TIMER_CENTI_HZ;
        match self.state {
            VrrpState::Backup => self.backup_rx(now, src, a, adv_int, &mut out),
            VrrpState::Master => self.master_rx(now, src, a, adv_int, &mut out),
            _ => {}
        }
        out
    }

    /// `vrrp_state_backup`.
    fn backup_rx(
        &mut self,
        now: SimTime,
        src: Ipv4Addr,
        a: &VrrpAdvert,
        adv_int: u64,
        out: &mut Vec<VrrpOut>,
    ) {
        let eff = self.effective_priority;
        if a.priority == PRIO_STOP {
            out.push(self.log("Backup received priority 0 advertisement"));
            self.ms_down_timer = self.skew();
            self.arm(now);
            return;
        }
        let in_delay = self.p.preempt_delay > 0 && self.preempt_time.is_none_or(|t| t > now);
        if self.p.nopreempt || a.priority >= eff || in_delay {
            if self.p.version == 3 && self.master_adver_int != adv_int {
                self.master_adver_int = adv_int;
                out.push(self.log(format!(
                    "advertisement interval updated to {} milli-sec from {src}",
                    adv_int / 1000
                )));
            }
            if self.p.preempt_delay > 0 {
                if a.priority >= eff {
                    self.preempt_time = None;
                } else if !self.p.nopreempt && self.preempt_time.is_none() {
                    self.preempt_time = Some(now + us(self.p.preempt_delay));
                    out.push(self.log(format!(
                        "start preempt delay ({} s)",
                        self.p.preempt_delay as f64 / 1e6
                    )));
                }
            }
            self.ms_down_timer = self.master_down_interval();
            self.arm(now);
            self.master_saddr = Some(src);
            self.master_priority = a.priority;
            self.wantstate = VrrpState::Backup;
        } else {
            out.push(self.log(format!(
                "received lower priority ({}) advert from {src} - discarding",
                a.priority
            )));
        }
    }

    /// `vrrp_state_master_rx`.
    fn master_rx(
        &mut self,
        now: SimTime,
        src: Ipv4Addr,
        a: &VrrpAdvert,
        adv_int: u64,
        out: &mut Vec<VrrpOut>,
    ) {
        let eff = self.advert_priority();
        if a.priority == PRIO_STOP {
            out.push(VrrpOut::Advert(eff));
            self.arm(now);
            return;
        }
        let lower =
            a.priority < eff || (a.priority == eff && u32::from(src) < u32::from(self.own_addr));
        if lower {
            out.push(self.log(format!("Received advert from {src} with lower priority {}, ours {eff}, forcing new election", a.priority)));
            if !self.p.lower_prio_no_advert {
                out.push(VrrpOut::Advert(eff));
            }
            out.push(VrrpOut::LowerPrioGarps);
            self.arm(now);
            return;
        }
        out.push(self.log(format!(
            "Master received advert from {src} with higher priority {}, ours {eff}",
            a.priority
        )));
        if self.p.version == 3 {
            self.master_adver_int = adv_int;
        }
        out.extend(self.leave_master_to_backup(now));
        self.master_saddr = Some(src);
        self.master_priority = a.priority;
    }

    /// An interface or tracker failed (`faulty`) or everything is fine again.
    pub fn set_fault(&mut self, now: SimTime, faulty: bool) -> Vec<VrrpOut> {
        let mut out = Vec::new();
        match (faulty, self.state) {
            (true, VrrpState::Master) => {
                out.push(self.log("Entering FAULT STATE"));
                out.push(VrrpOut::Advert(PRIO_STOP));
                out.push(self.log("removing VIPs."));
                out.push(VrrpOut::RemoveVips);
            }
            (true, VrrpState::Backup) => out.push(self.log("Entering FAULT STATE")),
            (false, VrrpState::Fault) => {
                self.state = VrrpState::Backup;
                self.master_adver_int = self.p.adver_int;
                self.preempt_time = None;
                if self.p.init_master && self.p.base_priority == PRIO_OWNER {
                    self.ms_down_timer = 1;
                } else {
                    self.wantstate = VrrpState::Backup;
                    self.ms_down_timer = self.master_down_interval();
                    out.push(self.log("Entering BACKUP STATE"));
                }
                self.arm(now);
                out.push(VrrpOut::Entered(VrrpState::Backup));
                return out;
            }
            _ => return out,
        }
        self.state = VrrpState::Fault;
        self.wantstate = VrrpState::Fault;
        self.sands = None;
        out.push(VrrpOut::Entered(VrrpState::Fault));
        out
    }

    /// Trackers changed the total priority (`base + adjustments`). An owner is never
    /// adjusted; a backup's pending expiry moves by the change of its down timer.
    pub fn set_total_priority(&mut self, total: i32) -> Vec<VrrpOut> {
        if self.p.base_priority == PRIO_OWNER {
            return Vec::new();
        }
        let new = total.clamp(1, 254) as u8;
        if new == self.effective_priority {
            return Vec::new();
        }
        let old = self.effective_priority;
        self.effective_priority = new;
        if self.state == VrrpState::Backup {
            if let Some(t) = self.sands {
                let before = self.ms_down_timer;
                let after = self.master_down_interval();
                self.ms_down_timer = after;
                self.sands = Some(if after >= before {
                    t + us(after - before)
                } else {
                    SimTime(t.0.saturating_sub((before - after) * 1_000))
                });
            }
        }
        vec![self.log(format!("Changing effective priority from {old} to {new}"))]
    }

    /// Graceful stop (SIGTERM): a master sends one priority-0 advert and removes its VIPs.
    pub fn stop(&mut self) -> Vec<VrrpOut> {
        let mut out = Vec::new();
        if self.state == VrrpState::Master {
            out.push(VrrpOut::Advert(PRIO_STOP));
            out.push(self.log("removing VIPs."));
            out.push(VrrpOut::RemoveVips);
        }
        self.state = VrrpState::Stopped;
        self.sands = None;
        out.push(VrrpOut::Entered(VrrpState::Stopped));
        out
    }

    /// The process dies: nothing is sent, nothing is removed.
    pub fn crash(&mut self) {
        self.state = VrrpState::Stopped;
        self.sands = None;
    }
}

#[cfg(test)]
mod tests;
