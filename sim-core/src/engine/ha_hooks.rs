//! The engine's side of high availability: it owns the keepalived daemons and the IPVS
//! master sync daemons, delivers their timers and what hosts report to them, applies the
//! HA faults of the timeline, and notes VRRP takeovers for the report.

use super::report::FailoverWatch;
use super::{Event, FaultAction, LogLine, Simulation};
use crate::admin::keepalived::KeepalivedConfig;
use crate::engine::world::ProbeOutcome;
use crate::ha::sync::{self, SyncSender};
use crate::ha::vrrp::VrrpState;
use crate::ha::{HaTimer, HaTimerKind, HaWhat, Keepalived};
use crate::net::host::Role;
use crate::rng::SimRng;
use crate::wire::Ipv4Packet;

impl Simulation {
    /// Runs keepalived with `cfg` on a host, starting now.
    pub fn install_keepalived(&mut self, host: usize, cfg: KeepalivedConfig, rng: SimRng) {
        let ka = Keepalived::new(host, cfg, &self.hosts[host], rng);
        self.keepalived.push(ka);
        let k = self.keepalived.len() - 1;
        if self.hosts[host].up {
            let ka = &mut self.keepalived[k];
            ka.start(&mut self.hosts[host], &mut self.world);
        }
        self.ha_after_step();
    }

    /// Installs keepalived on a host and starts it at `at` (a director that boots later).
    pub fn install_keepalived_at(
        &mut self,
        host: usize,
        cfg: KeepalivedConfig,
        rng: SimRng,
        at: crate::time::SimTime,
    ) {
        let ka = Keepalived::new(host, cfg, &self.hosts[host], rng);
        self.keepalived.push(ka);
        self.add_fault(super::Fault {
            at,
            action: FaultAction::KeepalivedStart { host },
            label: format!("keepalived starts on {}", self.hosts[host].name),
        });
    }

    fn daemon_of(&self, host: usize) -> Option<usize> {
        self.keepalived.iter().position(|k| k.host == host)
    }

    /// The keepalived daemon of a host, by host name.
    pub fn keepalived_on(&self, host: &str) -> Option<&Keepalived> {
        let h = self.host_index(host)?;
        self.daemon_of(h).map(|k| &self.keepalived[k])
    }

    pub(super) fn ha_timer(&mut self, node: usize, t: HaTimer) {
        if t.kind == HaTimerKind::SyncTick {
            let mut keep = false;
            if let Some(s) = self.sync_senders.get_mut(&node) {
                keep = s.tick(&mut self.hosts[node], &mut self.world);
            }
            if keep {
                let at = self.world.now + sync::CHECK_PERIOD;
                self.world.schedule(
                    at,
                    Event::Ha {
                        node: node as u32,
                        timer: t,
                    },
                );
            }
            return;
        }
        if let Some(k) = self.daemon_of(node) {
            self.keepalived[k].on_timer(&mut self.hosts[node], &mut self.world, t);
        }
    }

    pub(super) fn ha_advert(&mut self, node: usize, iface: usize, p: &Ipv4Packet) {
        if let Some(k) = self.daemon_of(node) {
            self.keepalived[k].on_advert(&mut self.hosts[node], &mut self.world, iface, p);
        }
    }

    pub(super) fn ha_probe(&mut self, node: usize, tag: u64, outcome: &ProbeOutcome) {
        if let Some(k) = self.daemon_of(node) {
            self.keepalived[k].on_probe(&mut self.hosts[node], &mut self.world, tag, outcome);
        }
    }

    pub(super) fn ha_host_down(&mut self, host: usize) {
        if let Some(k) = self.daemon_of(host) {
            let now = self.world.now;
            self.keepalived[k].crash(&mut self.hosts[host], now);
        }
    }

    pub(super) fn ha_host_up(&mut self, host: usize) {
        if let Some(k) = self.daemon_of(host) {
            self.keepalived[k].start(&mut self.hosts[host], &mut self.world);
        }
    }

    pub(super) fn ha_links_changed(&mut self, host: usize) {
        if let Some(k) = self.daemon_of(host) {
            self.keepalived[k].links_changed(&mut self.hosts[host], &mut self.world);
        }
    }

    /// The HA faults.
    pub(super) fn ha_action(&mut self, a: &FaultAction) -> Result<(), String> {
        let daemon = |s: &Self, host: usize| {
            s.daemon_of(host)
                .ok_or_else(|| format!("{} runs no keepalived", s.hosts[host].name))
        };
        match a {
            FaultAction::KeepalivedStop { host } => {
                let k = daemon(self, *host)?;
                self.keepalived[k].stop(&mut self.hosts[*host], &mut self.world);
            }
            FaultAction::KeepalivedStart { host } => {
                let k = daemon(self, *host)?;
                self.keepalived[k].start(&mut self.hosts[*host], &mut self.world);
            }
            FaultAction::KeepalivedKill { host } => {
                let k = daemon(self, *host)?;
                let now = self.world.now;
                self.keepalived[k].crash(&mut self.hosts[*host], now);
            }
            FaultAction::VrrpPriority {
                host,
                instance,
                priority,
            } => {
                let k = daemon(self, *host)?;
                self.keepalived[k].set_priority(
                    &mut self.hosts[*host],
                    &mut self.world,
                    instance,
                    *priority,
                )?;
            }
            FaultAction::VrrpScript { host, script, ok } => {
                let k = daemon(self, *host)?;
                self.keepalived[k].set_script(script, *ok)?;
            }
            FaultAction::ServerStop { host, port } => {
                let h = &mut self.hosts[*host];
                let key = (crate::transport::app::L4::Tcp, *port);
                let s = h
                    .servers
                    .remove(&key)
                    .ok_or_else(|| format!("{} has no TCP server on port {port}", h.name))?;
                self.stopped_servers.insert((*host, *port), s.spec);
            }
            FaultAction::Cut { a, b, iface, cut } => {
                let mut n = 0;
                for seg in self.world.segments.iter_mut() {
                    let pa: Vec<usize> = (0..seg.ports.len())
                        .filter(|&p| {
                            seg.ports[p].node == *a && iface.is_none_or(|i| seg.ports[p].iface == i)
                        })
                        .collect();
                    let pb: Vec<usize> = (0..seg.ports.len())
                        .filter(|&p| seg.ports[p].node == *b)
                        .collect();
                    for &x in &pa {
                        for &y in &pb {
                            n += 1;
                            if *cut {
                                seg.cut.insert((x.min(y), x.max(y)));
                            } else {
                                seg.cut.remove(&(x.min(y), x.max(y)));
                            }
                        }
                    }
                }
                if n == 0 {
                    return Err(format!(
                        "{} and {} share no segment",
                        self.hosts[*a].name, self.hosts[*b].name
                    ));
                }
            }
            FaultAction::ServerStart { host, port } => {
                let spec = self
                    .stopped_servers
                    .remove(&(*host, *port))
                    .ok_or_else(|| format!("no stopped server on port {port}"))?;
                self.hosts[*host].add_server(spec);
            }
            _ => {}
        }
        self.ha_after_step();
        Ok(())
    }

    /// After every event: move daemon log lines to the run log, note takeovers, feed the
    /// master sync daemons.
    pub(super) fn ha_after_step(&mut self) {
        for k in 0..self.keepalived.len() {
            if !self.keepalived[k].log.is_empty() {
                let host = self.hosts[self.keepalived[k].host].name.clone();
                for (t, text) in std::mem::take(&mut self.keepalived[k].log) {
                    self.log.push(LogLine {
                        t: t.as_secs_f64(),
                        text: format!("{host}: Keepalived_vrrp: {text}"),
                    });
                }
            }
            self.note_takeovers(k);
        }
        for node in 0..self.hosts.len() {
            let runs_master = self.hosts[node].ipvs.as_ref().is_some_and(|i| {
                i.config()
                    .daemons
                    .iter()
                    .any(|d| d.state == crate::admin::SyncState::Master)
            });
            if !runs_master && !self.sync_senders.contains_key(&node) {
                continue;
            }
            let s = self
                .sync_senders
                .entry(node)
                .or_insert_with(|| SyncSender::new(node));
            if runs_master && !s.ticking {
                s.ticking = true;
                let at = self.world.now + sync::CHECK_PERIOD;
                self.world.schedule(
                    at,
                    Event::Ha {
                        node: node as u32,
                        timer: HaTimer {
                            epoch: 0,
                            kind: HaTimerKind::SyncTick,
                        },
                    },
                );
            }
            s.collect(&mut self.hosts[node], &mut self.world);
        }
    }

    /// An instance became MASTER on a host other than the previous master: a takeover.
    /// Every established client connection is watched from now on.
    fn note_takeovers(&mut self, k: usize) {
        let host = self.keepalived[k].host;
        let seen = self.keepalived[k].history_seen;
        let new: Vec<(crate::time::SimTime, String)> = self.keepalived[k].history[seen..]
            .iter()
            .filter(|r| r.what == HaWhat::State(VrrpState::Master))
            .map(|r| (r.t, r.instance.clone()))
            .collect();
        self.keepalived[k].history_seen = self.keepalived[k].history.len();
        for (t, inst) in new {
            let prev = self.last_master.insert(inst.clone(), host);
            let Some(prev) = prev.filter(|p| *p != host) else {
                continue;
            };
            // Members of a sync group move together: one takeover.
            if let Some(f) = self.failovers.last_mut() {
                if f.t == t && f.to == self.hosts[host].name && f.from == self.hosts[prev].name {
                    f.instance = format!("{},{inst}", f.instance);
                    continue;
                }
            }
            let mut watched = Vec::new();
            for (i, h) in self.hosts.iter_mut().enumerate() {
                if h.role == Role::Client || h.role == Role::Host {
                    let ids = h.watch_established_clients();
                    watched.extend(ids.into_iter().map(|c| (i, c)));
                }
            }
            self.failovers.push(FailoverWatch {
                t,
                instance: inst,
                from: self.hosts[prev].name.clone(),
                to: self.hosts[host].name.clone(),
                conns: watched,
            });
        }
    }
}
