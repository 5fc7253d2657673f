//! The VRRP side of the daemon: start, stop, crash, timers, received adverts, and what the
//! state machine's outputs mean on the host (adverts on the wire, VIPs on interfaces,
//! gratuitous ARPs, sync groups, trackers, the IPVS sync daemon's role).

use super::vrrp::{Vrrp, VrrpOut, VrrpParams, VrrpState};
use super::*;
use crate::admin::{IpvsOp, SyncDaemonConfig, SyncState};
use crate::engine::world::World;
use crate::engine::Event;
use crate::net::host::Host;
use crate::time::SimDuration;
use crate::wire::{IpPayload, Ipv4Packet};
use std::net::Ipv4Addr;

/// VRRP's multicast group.
pub const VRRP_GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 18);

impl Keepalived {
    /// A daemon for `cfg` on `h` (not started). The configuration must name interfaces the
    /// host has (the scenario checks it).
    pub fn new(host: usize, cfg: KeepalivedConfig, h: &Host, rng: SimRng) -> Self {
        let mut warnings = Vec::new();
        let mut instances = Vec::new();
        for i in &cfg.instances {
            let (p, w) = VrrpParams::new(i, &cfg.global);
            warnings.extend(w);
            let iface = h.iface_index(&i.interface).unwrap_or(0);
            let own = i
                .mcast_src_ip
                .or_else(|| h.ifaces[iface].primary())
                .unwrap_or(Ipv4Addr::UNSPECIFIED);
            let vips = i
                .virtual_ipaddress
                .iter()
                .map(|v| {
                    let dev = v
                        .dev
                        .as_deref()
                        .and_then(|d| h.iface_index(d))
                        .unwrap_or(iface);
                    (Cidr::new(v.addr, v.prefix), dev)
                })
                .collect();
            let track_ifaces = i
                .track_interface
                .iter()
                .filter_map(|t| h.iface_index(&t.name).map(|x| (x, t.weight)))
                .collect();
            let track_scripts = i
                .track_script
                .iter()
                .filter_map(|t| {
                    cfg.scripts
                        .iter()
                        .position(|s| s.name == t.name)
                        .map(|x| (x, t.weight))
                })
                .collect();
            instances.push(InstanceRt {
                vrrp: Vrrp::new(p, own),
                iface,
                vips,
                group: cfg
                    .sync_groups
                    .iter()
                    .position(|g| g.members.contains(&i.name)),
                track_ifaces,
                track_scripts,
                master_epoch: 0,
                armed: None,
                last_state: VrrpState::Init,
            });
        }
        let groups = cfg
            .sync_groups
            .iter()
            .map(|g| GroupRt {
                name: g.name.clone(),
                members: g
                    .members
                    .iter()
                    .filter_map(|m| instances.iter().position(|i| i.vrrp.p.name == *m))
                    .collect(),
                state: VrrpState::Init,
            })
            .collect();
        let scripts = cfg
            .scripts
            .iter()
            .map(|s| ScriptRt {
                name: s.name.clone(),
                script_ok: true,
                ok: None,
                count: 0,
            })
            .collect();
        let checkers = checker::Checkers::new(&cfg);
        Keepalived {
            host,
            cfg,
            running: false,
            epoch: 0,
            instances,
            groups,
            scripts,
            checkers,
            history: Vec::new(),
            history_seen: 0,
            log: Vec::new(),
            warnings,
            rng,
            started_once: false,
        }
    }

    pub(super) fn timer(&self, w: &mut World, at: SimTime, kind: HaTimerKind) {
        w.schedule(
            at,
            Event::Ha {
                node: self.host as u32,
                timer: HaTimer {
                    epoch: self.epoch,
                    kind,
                },
            },
        );
    }

    /// Starts the daemon (at boot, or `systemctl start keepalived`).
    pub fn start(&mut self, h: &mut Host, w: &mut World) {
        if self.running {
            return;
        }
        let now = w.now;
        self.running = true;
        self.epoch += 1;
        h.vrrp_listening = true;
        self.note(now, "Starting Keepalived v2.2.7".into());
        for wmsg in self.warnings.clone() {
            self.note(now, wmsg);
        }
        // The checker process programs IPVS (the scenario already did for the first run).
        if self.started_once {
            self.checkers.program_startup(&self.cfg, h, w);
        }
        self.started_once = true;
        self.checkers.start(&self.cfg, now, &mut self.rng);
        for idx in 0..self.checkers.len() {
            let at = self.checkers.first_run(idx);
            self.timer(
                w,
                at,
                HaTimerKind::Check {
                    idx: idx as u32,
                    gen: 0,
                },
            );
        }
        if let Some(d) = self.cfg.sync_daemon() {
            let _ = self.ipvs(
                h,
                w,
                &IpvsOp::StartDaemon(self.daemon_cfg(&d, SyncState::Backup)),
            );
        }
        // Scripts run once at start-up so that instances know their trackers.
        for s in 0..self.scripts.len() {
            self.scripts[s].ok = None;
            self.scripts[s].count = 0;
            if self.cfg.scripts[s].init_fail {
                self.scripts[s].ok = Some(false);
            }
            self.run_script(s);
            let iv = self.cfg.scripts[s].interval;
            self.timer(w, now + iv, HaTimerKind::Script { idx: s as u16 });
        }
        for g in &mut self.groups {
            // A group starts MASTER only when a member is an owner wanting MASTER.
            let owner = g.members.iter().any(|&m| {
                let p = &self.instances[m].vrrp.p;
                p.init_master && p.base_priority == vrrp::PRIO_OWNER
            });
            g.state = if owner {
                VrrpState::Master
            } else {
                VrrpState::Backup
            };
        }
        for i in 0..self.instances.len() {
            let total = self.total_priority(i, h);
            self.instances[i].vrrp.effective_priority = total.clamp(1, 254) as u8;
            if self.instances[i].vrrp.p.base_priority == vrrp::PRIO_OWNER {
                self.instances[i].vrrp.effective_priority = vrrp::PRIO_OWNER;
            }
            let faulty = self.own_fault(i, h) || self.group_fault(i, h);
            self.instances[i].last_state = VrrpState::Init;
            self.instances[i].armed = None;
            let outs = self.instances[i].vrrp.start(now, faulty);
            self.apply(i, outs, h, w);
        }
    }

    fn daemon_cfg(
        &self,
        d: &crate::admin::keepalived::LvsSyncDaemon,
        state: SyncState,
    ) -> SyncDaemonConfig {
        SyncDaemonConfig {
            state,
            mcast_ifn: d.interface.clone(),
            syncid: d.syncid,
            maxlen: None,
            mcast_group: None,
            mcast_port: None,
            mcast_ttl: None,
        }
    }

    /// Applies an IPVS operation on the host's table.
    pub(super) fn ipvs(&self, h: &mut Host, w: &mut World, op: &IpvsOp) -> Result<(), String> {
        let now = w.now;
        let ipvs = h.ipvs.as_mut().ok_or("no IPVS on this host")?;
        let r = ipvs.apply(now, op).map_err(|e| e.to_string());
        h.ipvs_changed(w);
        r
    }

    /// SIGTERM: masters send a priority-0 advert and remove their VIPs; the checker process
    /// removes the virtual services it created; sync daemons stop.
    pub fn stop(&mut self, h: &mut Host, w: &mut World) {
        if !self.running {
            return;
        }
        let now = w.now;
        for i in 0..self.instances.len() {
            let outs = self.instances[i].vrrp.stop();
            self.apply(i, outs, h, w);
        }
        self.checkers.remove_services(&self.cfg, h, w);
        for st in [SyncState::Master, SyncState::Backup] {
            let _ = self.ipvs(h, w, &IpvsOp::StopDaemon(st));
        }
        self.running = false;
        h.vrrp_listening = false;
        self.note(now, "Stopped Keepalived v2.2.7".into());
    }

    /// The daemon dies (SIGKILL of the VRRP process, or the host crashing): nothing is
    /// sent, the VIPs and the IPVS table stay as they are.
    pub fn crash(&mut self, h: &mut Host, now: SimTime) {
        if !self.running {
            return;
        }
        for i in 0..self.instances.len() {
            self.instances[i].vrrp.crash();
            self.instances[i].last_state = VrrpState::Stopped;
            let name = self.instances[i].vrrp.p.name.clone();
            self.record(now, &name, HaWhat::State(VrrpState::Stopped));
        }
        self.checkers.crash();
        self.running = false;
        h.vrrp_listening = false;
        self.note(now, "keepalived killed".into());
    }

    /// A timer fired.
    pub fn on_timer(&mut self, h: &mut Host, w: &mut World, t: HaTimer) {
        if !self.running || t.epoch != self.epoch || !h.up {
            return;
        }
        let now = w.now;
        match t.kind {
            HaTimerKind::Vrrp { inst, at } => {
                let i = inst as usize;
                if self.instances[i].vrrp.sands != Some(at) || !self.instances[i].vrrp.due(now) {
                    return;
                }
                self.instances[i].armed = None;
                match self.instances[i].vrrp.state {
                    VrrpState::Backup => self.backup_timeout(i, h, w),
                    VrrpState::Master => {
                        let outs = self.instances[i].vrrp.master_tick(now);
                        self.apply(i, outs, h, w);
                    }
                    _ => {}
                }
            }
            HaTimerKind::Garp {
                inst,
                master_epoch,
                refresh,
            } => {
                let i = inst as usize;
                let r = &self.instances[i];
                if r.vrrp.state != VrrpState::Master || r.master_epoch != master_epoch {
                    return;
                }
                let g = &self.cfg.global;
                if refresh {
                    let (n, every) = (g.garp_master_refresh_repeat, g.garp_master_refresh);
                    self.garps(i, n, h, w);
                    self.timer(
                        w,
                        now + SimDuration::from_secs(every as u64),
                        HaTimerKind::Garp {
                            inst,
                            master_epoch,
                            refresh: true,
                        },
                    );
                } else {
                    let n = g.garp_master_repeat;
                    self.garps(i, n, h, w);
                }
            }
            HaTimerKind::Script { idx } => {
                let s = idx as usize;
                self.run_script(s);
                let iv = self.cfg.scripts[s].interval;
                self.timer(w, now + iv, HaTimerKind::Script { idx });
                self.trackers_changed(h, w);
            }
            HaTimerKind::Check { idx, gen } => self.checker_run(idx as usize, gen, h, w),
            HaTimerKind::CheckTimeout { idx, gen } => self.checker_timeout(idx as usize, gen, h, w),
            HaTimerKind::SyncTick => {}
        }
    }

    /// The backup's master-down timer ran out (`vrrp_goto_master` with the sync group
    /// rule: only when every member wants MASTER).
    fn backup_timeout(&mut self, i: usize, h: &mut Host, w: &mut World) {
        let now = w.now;
        let outs = self.instances[i].vrrp.down_timer_expired();
        self.apply(i, outs, h, w);
        if let Some(g) = self.instances[i].group {
            let group = &self.groups[g];
            if group.state != VrrpState::Master
                && group
                    .members
                    .iter()
                    .any(|&m| m != i && self.instances[m].vrrp.wantstate != VrrpState::Master)
            {
                self.instances[i].vrrp.wait_for_group(now);
                self.rearm(i, w);
                return;
            }
        }
        let outs = self.instances[i].vrrp.goto_master(now);
        self.apply(i, outs, h, w);
    }

    /// An advert arrived on interface `iface`.
    pub fn on_advert(&mut self, h: &mut Host, w: &mut World, iface: usize, p: &Ipv4Packet) {
        if !self.running {
            return;
        }
        let IpPayload::Vrrp(a) = &p.payload else {
            return;
        };
        let now = w.now;
        for i in 0..self.instances.len() {
            if self.instances[i].iface != iface || self.instances[i].vrrp.p.vrid != a.vrid {
                continue;
            }
            let outs = self.instances[i].vrrp.on_advert(now, p.src, p.ttl, a);
            self.apply(i, outs, h, w);
            self.rearm(i, w);
        }
    }

    /// Link state changed on the host: re-evaluate faults and tracking weights.
    pub fn links_changed(&mut self, h: &mut Host, w: &mut World) {
        if self.running {
            self.trackers_changed(h, w);
        }
    }

    /// A vrrp_script will from now on exit with success (`ok`) or failure.
    pub fn set_script(&mut self, name: &str, ok: bool) -> Result<(), String> {
        let s = self
            .scripts
            .iter_mut()
            .find(|s| s.name == name)
            .ok_or_else(|| format!("no vrrp_script {name}"))?;
        s.script_ok = ok;
        Ok(())
    }

    /// Changes an instance's configured priority (as editing the file and reloading would).
    pub fn set_priority(
        &mut self,
        h: &mut Host,
        w: &mut World,
        inst: &str,
        prio: u8,
    ) -> Result<(), String> {
        let i = self
            .instance(inst)
            .ok_or_else(|| format!("no vrrp_instance {inst}"))?;
        self.instances[i].vrrp.p.base_priority = prio;
        if self.running {
            let total = self.total_priority(i, h);
            let outs = self.instances[i].vrrp.set_total_priority(total);
            self.apply(i, outs, h, w);
            self.rearm(i, w);
        }
        Ok(())
    }

    /// keepalived's rise/fall counting of one script run.
    fn run_script(&mut self, s: usize) {
        let (rise, fall) = (self.cfg.scripts[s].rise, self.cfg.scripts[s].fall);
        let sc = &mut self.scripts[s];
        let res = sc.script_ok;
        match sc.ok {
            None => {
                if !res {
                    sc.ok = Some(false);
                    sc.count = 0;
                } else {
                    sc.count += 1;
                    if sc.count >= rise {
                        sc.ok = Some(true);
                        sc.count = 0;
                    }
                }
            }
            Some(true) => {
                if res {
                    sc.count = 0;
                } else {
                    sc.count += 1;
                    if sc.count >= fall {
                        sc.ok = Some(false);
                        sc.count = 0;
                    }
                }
            }
            Some(false) => {
                if !res {
                    sc.count = 0;
                } else {
                    sc.count += 1;
                    if sc.count >= rise {
                        sc.ok = Some(true);
                        sc.count = 0;
                    }
                }
            }
        }
    }

    /// Configured priority plus tracker weights (positive while OK, negative while failed).
    fn total_priority(&self, i: usize, h: &Host) -> i32 {
        let r = &self.instances[i];
        let mut total = r.vrrp.p.base_priority as i32;
        for &(x, wgt) in &r.track_ifaces {
            let up = h.ifaces[x].up;
            if (wgt > 0 && up) || (wgt < 0 && !up) {
                total += wgt;
            }
        }
        for &(s, wgt) in &r.track_scripts {
            let ok = self.scripts[s].ok == Some(true);
            if (wgt > 0 && ok) || (wgt < 0 && !ok) {
                total += wgt;
            }
        }
        total
    }

    /// The instance's own interface is down, or a weight-0 tracker failed.
    fn own_fault(&self, i: usize, h: &Host) -> bool {
        let r = &self.instances[i];
        !h.ifaces[r.iface].up
            || r.track_ifaces
                .iter()
                .any(|&(x, wgt)| wgt == 0 && !h.ifaces[x].up)
            || r.track_scripts
                .iter()
                .any(|&(s, wgt)| wgt == 0 && self.scripts[s].ok == Some(false))
    }

    /// Another member of the instance's sync group is faulty (the group goes FAULT).
    fn group_fault(&self, i: usize, h: &Host) -> bool {
        self.instances[i].group.is_some_and(|g| {
            self.groups[g]
                .members
                .iter()
                .any(|&m| m != i && self.own_fault(m, h))
        })
    }

    fn trackers_changed(&mut self, h: &mut Host, w: &mut World) {
        let now = w.now;
        for i in 0..self.instances.len() {
            let faulty = self.own_fault(i, h) || self.group_fault(i, h);
            let st = self.instances[i].vrrp.state;
            if (faulty && matches!(st, VrrpState::Backup | VrrpState::Master))
                || (!faulty && st == VrrpState::Fault)
            {
                let outs = self.instances[i].vrrp.set_fault(now, faulty);
                self.apply(i, outs, h, w);
            }
            let total = self.total_priority(i, h);
            let outs = self.instances[i].vrrp.set_total_priority(total);
            self.apply(i, outs, h, w);
            self.rearm(i, w);
        }
    }

    /// Schedules the instance's timer if it moved.
    fn rearm(&mut self, i: usize, w: &mut World) {
        let r = &self.instances[i];
        if let Some(at) = r.vrrp.sands {
            if r.armed != Some(at) {
                self.instances[i].armed = Some(at);
                self.timer(w, at.max(w.now), HaTimerKind::Vrrp { inst: i as u16, at });
            }
        }
    }

    /// Carries out what an instance's state machine asked for.
    fn apply(&mut self, i: usize, outs: Vec<VrrpOut>, h: &mut Host, w: &mut World) {
        let now = w.now;
        let name = self.instances[i].vrrp.p.name.clone();
        for o in outs {
            match o {
                VrrpOut::Log(l) => self.note(now, l),
                VrrpOut::Advert(prio) => self.send_advert(i, prio, h, w),
                VrrpOut::AddVips => {
                    for (c, dev) in self.instances[i].vips.clone() {
                        if !h.ifaces[dev].addrs.iter().any(|a| a.addr == c.addr) {
                            h.add_addr(dev, c);
                            self.record(now, &name, HaWhat::VipAdded(c.to_string()));
                        }
                    }
                }
                VrrpOut::RemoveVips => {
                    let mut removed = false;
                    for (c, dev) in self.instances[i].vips.clone() {
                        let before = h.ifaces[dev].addrs.len();
                        h.del_addr(dev, c.addr);
                        if h.ifaces[dev].addrs.len() != before {
                            removed = true;
                            self.record(now, &name, HaWhat::VipRemoved(c.to_string()));
                        }
                    }
                    // At start-up keepalived removes addresses a killed predecessor left.
                    if removed && self.instances[i].last_state == VrrpState::Init {
                        self.note(now, format!("({name}) removing VIPs."));
                    }
                }
                VrrpOut::LowerPrioGarps => {
                    let g = &self.cfg.global;
                    let n = g.garp_lower_prio_repeat.unwrap_or(g.garp_master_repeat);
                    let delay = g.garp_lower_prio_delay.unwrap_or(g.garp_master_delay);
                    self.garps(i, n, h, w);
                    if delay > 0 && n > 0 {
                        let me = self.instances[i].master_epoch;
                        self.timer(
                            w,
                            now + SimDuration::from_secs(delay as u64),
                            HaTimerKind::Garp {
                                inst: i as u16,
                                master_epoch: me,
                                refresh: false,
                            },
                        );
                    }
                }
                VrrpOut::Entered(st) => self.entered(i, st, h, w),
            }
        }
        self.rearm(i, w);
    }

    /// Side effects of entering a state: GARPs and the sync daemon for MASTER, and the
    /// sync group following.
    fn entered(&mut self, i: usize, st: VrrpState, h: &mut Host, w: &mut World) {
        let now = w.now;
        let prev = self.instances[i].last_state;
        self.instances[i].last_state = st;
        let name = self.instances[i].vrrp.p.name.clone();
        self.record(now, &name, HaWhat::State(st));
        let is_sync_instance = self.cfg.sync_daemon().filter(|d| d.instance == name);
        match st {
            VrrpState::Master => {
                self.instances[i].master_epoch += 1;
                let me = self.instances[i].master_epoch;
                let g = self.cfg.global.clone();
                self.note(now, format!("({name}) Sending/queueing gratuitous ARPs"));
                self.garps(i, g.garp_master_repeat, h, w);
                if g.garp_master_delay > 0 && g.garp_master_repeat > 0 {
                    self.timer(
                        w,
                        now + SimDuration::from_secs(g.garp_master_delay as u64),
                        HaTimerKind::Garp {
                            inst: i as u16,
                            master_epoch: me,
                            refresh: false,
                        },
                    );
                }
                if g.garp_master_refresh > 0 {
                    self.timer(
                        w,
                        now + SimDuration::from_secs(
                            (g.garp_master_delay + g.garp_master_refresh) as u64,
                        ),
                        HaTimerKind::Garp {
                            inst: i as u16,
                            master_epoch: me,
                            refresh: true,
                        },
                    );
                }
                if let Some(d) = is_sync_instance {
                    let _ = self.ipvs(h, w, &IpvsOp::StopDaemon(SyncState::Backup));
                    let _ = self.ipvs(
                        h,
                        w,
                        &IpvsOp::StartDaemon(self.daemon_cfg(&d, SyncState::Master)),
                    );
                }
                if let Some(g) = self.instances[i].group {
                    if self.groups[g].state != VrrpState::Master {
                        self.groups[g].state = VrrpState::Master;
                        let gname = self.groups[g].name.clone();
                        self.note(
                            now,
                            format!("VRRP_Group({gname}) Syncing instances to MASTER state"),
                        );
                        for m in self.groups[g].members.clone() {
                            if m != i && self.instances[m].vrrp.state == VrrpState::Backup {
                                let outs = self.instances[m].vrrp.goto_master(now);
                                self.apply(m, outs, h, w);
                            }
                        }
                    }
                }
            }
            VrrpState::Backup | VrrpState::Fault | VrrpState::Stopped => {
                if prev == VrrpState::Master {
                    if let Some(d) = is_sync_instance.filter(|_| st != VrrpState::Stopped) {
                        let _ = self.ipvs(h, w, &IpvsOp::StopDaemon(SyncState::Master));
                        let _ = self.ipvs(
                            h,
                            w,
                            &IpvsOp::StartDaemon(self.daemon_cfg(&d, SyncState::Backup)),
                        );
                    }
                }
                if st == VrrpState::Backup && prev == VrrpState::Master {
                    if let Some(g) = self.instances[i].group {
                        self.groups[g].state = VrrpState::Backup;
                        let gname = self.groups[g].name.clone();
                        self.note(
                            now,
                            format!("VRRP_Group({gname}) Syncing instances to BACKUP state"),
                        );
                        for m in self.groups[g].members.clone() {
                            if m != i && self.instances[m].vrrp.state == VrrpState::Master {
                                let outs = self.instances[m].vrrp.leave_master_to_backup(now);
                                self.apply(m, outs, h, w);
                            }
                        }
                    }
                }
                if st == VrrpState::Fault {
                    if let Some(g) = self.instances[i].group {
                        self.groups[g].state = VrrpState::Fault;
                    }
                }
            }
            VrrpState::Init => {}
        }
    }

    /// One burst of gratuitous ARPs: `n` per VIP, on the VIP's interface.
    fn garps(&mut self, i: usize, n: u32, h: &mut Host, w: &mut World) {
        let now = w.now;
        let name = self.instances[i].vrrp.p.name.clone();
        for (c, dev) in self.instances[i].vips.clone() {
            for _ in 0..n {
                h.gratuitous_arp(w, dev, c.addr);
                self.record(now, &name, HaWhat::Garp(c.addr.to_string()));
            }
        }
    }

    /// An advertisement on the wire: 224.0.0.18, protocol 112, TTL 255, TOS 0xc0, no DF,
    /// IP ID 0, from the interface's primary address (or mcast_src_ip).
    fn send_advert(&mut self, i: usize, prio: u8, h: &mut Host, w: &mut World) {
        let r = &self.instances[i];
        let p = Ipv4Packet {
            src: r.vrrp.own_addr,
            dst: VRRP_GROUP,
            ttl: 255,
            tos: 0xc0,
            id: 0,
            df: false,
            payload: IpPayload::Vrrp(r.vrrp.advert(prio)),
        };
        let name = r.vrrp.p.name.clone();
        if h.ifaces[r.iface].up {
            let _ = h.route_and_send(w, p, None);
        }
        self.record(w.now, &name, HaWhat::Advert { priority: prio });
    }
}
