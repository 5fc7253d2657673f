//! The discrete-event engine: a closed set of events, ordered by (time, insertion counter),
//! delivered to hosts and switches. `Simulation` owns the hosts and the `World`.

pub mod flow;
mod ha_hooks;
pub mod queue;
pub mod report;
pub mod world;

use crate::admin::IpvsOp;
use crate::net::host::Host;
use crate::rng::SimRng;
use crate::time::{SimDuration, SimTime};
use crate::transport::app::{Arrival, WorkloadSpec};
use crate::wire::Frame;
use std::net::Ipv4Addr;
use world::{Notice, World};

/// A host timer (re-armed lazily: stale ones are recognised and ignored).
#[derive(Clone, Debug, PartialEq)]
pub enum HostTimer {
    Tcp {
        conn: u64,
        at: SimTime,
    },
    ArpRetry {
        iface: u32,
        ip: Ipv4Addr,
    },
    ArpProbe {
        iface: u32,
        ip: Ipv4Addr,
    },
    Ipvs {
        at: SimTime,
    },
    ServiceDone {
        conn: u64,
        port: u16,
    },
    RequestTimeout {
        conn: u64,
    },
    HoldClose {
        conn: u64,
    },
    UdpTimeout {
        src: Ipv4Addr,
        port: u16,
    },
    UdpReply {
        to: (Ipv4Addr, u16),
        from: (Ipv4Addr, u16),
        bytes: u32,
    },
}

/// Everything that can happen.
#[derive(Clone, Debug)]
pub enum Event {
    /// A frame reaches a host's interface.
    HostRx {
        node: u32,
        iface: u32,
        pkt: u64,
        frame: Box<Frame>,
    },
    Timer {
        node: u32,
        timer: HostTimer,
    },
    /// The next connection of a workload is due.
    Arrival {
        workload: u32,
    },
    Fault {
        index: u32,
    },
    /// A timer of the keepalived daemon (or the IPVS master sync thread) on a host.
    Ha {
        node: u32,
        timer: crate::ha::HaTimer,
    },
}

/// A change to the model at a point in time. Serialisable, so a lab's changes can be kept
/// in a share link and replayed.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case")]
pub enum FaultAction {
    /// The host crashes: it stops answering and loses its connections.
    HostDown {
        host: usize,
    },
    /// The host comes back (with empty caches).
    HostUp {
        host: usize,
    },
    LinkDown {
        host: usize,
        iface: usize,
    },
    LinkUp {
        host: usize,
        iface: usize,
    },
    Sysctl {
        host: usize,
        name: String,
        value: i64,
    },
    /// An IPVS operation on a director (e.g. from an ipvsadm command line).
    Ipvs {
        host: usize,
        op: IpvsOp,
    },
    /// Multiply a server application's service times.
    Slow {
        host: usize,
        port: u16,
        factor: f64,
    },
    /// keepalived receives SIGTERM: priority-0 adverts, VIPs and services removed.
    KeepalivedStop {
        host: usize,
    },
    /// keepalived is started (again).
    KeepalivedStart {
        host: usize,
    },
    /// keepalived's VRRP process is killed: silence, the VIPs stay configured.
    KeepalivedKill {
        host: usize,
    },
    /// A VRRP instance's configured priority changes.
    VrrpPriority {
        host: usize,
        instance: String,
        priority: u8,
    },
    /// A vrrp_script starts succeeding (`ok`) or failing.
    VrrpScript {
        host: usize,
        script: String,
        ok: bool,
    },
    /// The network between two hosts is cut (or restored): frames between their ports on
    /// the segments they share (only the segment of host `a`'s `iface` when given) are lost
    /// while both interfaces stay up.
    Cut {
        a: usize,
        b: usize,
        iface: Option<usize>,
        cut: bool,
    },
    /// `ip neigh flush all` on a host.
    ArpFlush {
        host: usize,
    },
    /// `ip route replace TO via VIA` on a host.
    Route {
        host: usize,
        to: crate::net::Cidr,
        via: Ipv4Addr,
    },
    /// A server application stops listening (connections are refused) ...
    ServerStop {
        host: usize,
        port: u16,
    },
    /// ... or starts again.
    ServerStart {
        host: usize,
        port: u16,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Fault {
    pub at: SimTime,
    pub action: FaultAction,
    /// What the scenario file said, for logs.
    pub label: String,
}

/// A workload's running state.
pub struct WorkloadRt {
    pub spec: WorkloadSpec,
    rng: SimRng,
    issued: u64,
    next_src: usize,
    /// Requests of this workload that finished (completed or failed).
    pub finished: u64,
}

/// A log line about something that happened (faults, failures), for reports and the UI.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct LogLine {
    pub t: f64,
    pub text: String,
}

pub struct Simulation {
    pub name: String,
    pub seed: u64,
    pub world: World,
    pub hosts: Vec<Host>,
    pub workloads: Vec<WorkloadRt>,
    pub faults: Vec<Fault>,
    pub end: SimTime,
    pub log: Vec<LogLine>,
    console_tags: u64,
    pub console_results: Vec<(u64, Result<(), String>)>,
    /// keepalived daemons (one per director that runs it).
    pub keepalived: Vec<crate::ha::Keepalived>,
    /// IPVS master sync daemons, by host.
    pub sync_senders: std::collections::BTreeMap<usize, crate::ha::sync::SyncSender>,
    /// VRRP takeovers and the client connections open at that moment.
    pub failovers: Vec<report::FailoverWatch>,
    stopped_servers: std::collections::BTreeMap<(usize, u16), crate::transport::app::ServerSpec>,
    last_master: std::collections::BTreeMap<String, usize>,
    /// Connection-level bulk mode, when enabled (`use_bulk_mode`).
    flow: Option<Box<flow::FlowEngine>>,
}

impl Simulation {
    pub fn new(
        name: String,
        seed: u64,
        world: World,
        hosts: Vec<Host>,
        workloads: Vec<(WorkloadSpec, SimRng)>,
        faults: Vec<Fault>,
        end: SimTime,
    ) -> Self {
        let mut sim = Simulation {
            name,
            seed,
            world,
            hosts,
            workloads: workloads
                .into_iter()
                .map(|(spec, rng)| WorkloadRt {
                    spec,
                    rng,
                    issued: 0,
                    next_src: 0,
                    finished: 0,
                })
                .collect(),
            faults,
            end,
            log: Vec::new(),
            console_tags: 0,
            console_results: Vec::new(),
            keepalived: Vec::new(),
            sync_senders: Default::default(),
            failovers: Vec::new(),
            stopped_servers: Default::default(),
            last_master: Default::default(),
            flow: None,
        };
        for (i, w) in sim.workloads.iter().enumerate() {
            sim.world.schedule(
                w.spec.first_arrival(),
                Event::Arrival { workload: i as u32 },
            );
        }
        for (i, f) in sim.faults.iter().enumerate() {
            sim.world.schedule(f.at, Event::Fault { index: i as u32 });
        }
        sim
    }

    pub fn now(&self) -> SimTime {
        self.world.now
    }

    /// Adds a timed fault (or change) to the timeline.
    pub fn add_fault(&mut self, f: Fault) {
        let at = f.at.max(self.world.now);
        self.faults.push(f);
        let index = (self.faults.len() - 1) as u32;
        self.world.schedule(at, Event::Fault { index });
    }

    pub fn host_index(&self, name: &str) -> Option<usize> {
        self.hosts.iter().position(|h| h.name == name)
    }

    /// Processes the next event; returns its time, or None when nothing is left.
    pub fn step(&mut self) -> Option<SimTime> {
        if let Some(mut f) = self.flow.take() {
            let r = f.step(self);
            self.flow = Some(f);
            return r;
        }
        let (at, ev) = self.world.queue.pop()?;
        self.world.now = at;
        self.world.metrics.events += 1;
        match ev {
            Event::HostRx {
                node,
                iface,
                pkt,
                frame,
            } => {
                self.hosts[node as usize].receive(&mut self.world, iface as usize, *frame, pkt);
            }
            Event::Timer { node, timer } => {
                self.hosts[node as usize].on_timer(&mut self.world, timer)
            }
            Event::Arrival { workload } => self.arrival(workload as usize),
            Event::Fault { index } => self.apply_fault(index as usize),
            Event::Ha { node, timer } => self.ha_timer(node as usize, timer),
        }
        self.drain_notices();
        self.ha_after_step();
        Some(at)
    }

    /// Runs every event up to and including time `t`, then sets the clock to `t`.
    /// Time of the next event, whichever engine runs.
    pub fn next_event_time(&self) -> Option<SimTime> {
        match &self.flow {
            Some(f) => f.peek_time(),
            None => self.world.queue.peek_time(),
        }
    }

    pub fn run_until(&mut self, t: SimTime) {
        while let Some(next) = self.next_event_time() {
            if next > t {
                break;
            }
            self.step();
        }
        if self.world.now < t {
            self.world.now = t;
        }
    }

    /// Runs to the scenario's end.
    pub fn run(&mut self) {
        let end = self.end;
        self.run_until(end);
    }

    /// Runs to the end, calling `progress(now, end)` about every simulated second.
    pub fn run_with_progress(&mut self, mut progress: impl FnMut(SimTime, SimTime)) {
        let end = self.end;
        let mut next_tick = SimTime::ZERO;
        while let Some(t) = self.next_event_time() {
            if t > end {
                break;
            }
            self.step();
            if self.world.now >= next_tick {
                progress(self.world.now, end);
                next_tick = self.world.now + SimDuration::from_secs(1);
            }
        }
        self.world.now = end;
        progress(end, end);
    }

    fn drain_notices(&mut self) {
        if self.world.notices.is_empty() {
            return;
        }
        for n in std::mem::take(&mut self.world.notices) {
            match n {
                Notice::RequestFinished { workload } => {
                    if let Some(w) = self.workloads.get_mut(workload) {
                        w.finished += 1;
                        if let Arrival::Sequential { think } = w.spec.arrival {
                            let at = self.world.now + think;
                            self.world.schedule(
                                at,
                                Event::Arrival {
                                    workload: workload as u32,
                                },
                            );
                        }
                    }
                }
                Notice::ConsoleConnect { tag, outcome } => {
                    self.console_results.push((tag, outcome))
                }
                Notice::Vrrp {
                    node,
                    iface,
                    packet,
                } => self.ha_advert(node, iface, &packet),
                Notice::Probe { node, tag, outcome } => self.ha_probe(node, tag, &outcome),
            }
        }
    }

    fn arrival(&mut self, i: usize) {
        let now = self.world.now;
        let w = &mut self.workloads[i];
        if w.spec.connections.map(|n| w.issued >= n).unwrap_or(false)
            || w.spec.stop.map(|s| now >= s).unwrap_or(false)
        {
            return;
        }
        let k = w.issued as usize;
        w.issued += 1;
        let replayed = w.spec.arrival.replayed(k).copied();
        let src = if let Some(r) = &replayed {
            Some(r.src)
        } else if w.spec.sources.is_empty() {
            None
        } else {
            let s = w.spec.sources[w.next_src % w.spec.sources.len()];
            w.next_src += 1;
            Some(s)
        };
        let next = match &w.spec.arrival {
            Arrival::Poisson { rate } => Some(SimDuration::from_secs_f64(w.rng.exp(1.0 / rate))),
            Arrival::Uniform { rate } => Some(SimDuration::from_secs_f64(1.0 / rate)),
            Arrival::Sequential { .. } => None,
            Arrival::Replay(_) => w.spec.arrival.replay_gap(k),
        };
        if let Some(d) = next {
            self.world
                .schedule(now + d, Event::Arrival { workload: i as u32 });
        }
        let spec = &self.workloads[i].spec;
        match replayed {
            Some(r) => {
                let from = crate::net::host::RequestFrom {
                    src,
                    sport: Some(r.sport),
                    sizes: Some((r.request_bytes, r.response_bytes)),
                };
                let _ = self.hosts[spec.client].start_request_from(
                    &mut self.world,
                    i,
                    spec,
                    from,
                    None,
                );
            }
            None => self.hosts[spec.client].start_request(&mut self.world, i, spec, src, None),
        }
    }

    fn apply_fault(&mut self, index: usize) {
        let f = self.faults[index].clone();
        let t = self.world.now.as_secs_f64();
        let res = self.apply_action(&f.action);
        let text = match res {
            Ok(()) => f.label.clone(),
            Err(e) => format!("{}: failed: {e}", f.label),
        };
        self.log.push(LogLine { t, text });
    }

    /// Applies a fault or a live change (the browser's buttons use this too).
    pub fn apply_action(&mut self, a: &FaultAction) -> Result<(), String> {
        match a {
            FaultAction::HostDown { host } => {
                self.ha_host_down(*host);
                self.hosts[*host].crash()
            }
            FaultAction::HostUp { host } => {
                self.hosts[*host].recover();
                self.ha_host_up(*host);
            }
            FaultAction::LinkDown { host, iface } => {
                self.hosts[*host].set_link(&mut self.world, *iface, false);
                self.ha_links_changed(*host);
            }
            FaultAction::LinkUp { host, iface } => {
                self.hosts[*host].set_link(&mut self.world, *iface, true);
                self.ha_links_changed(*host);
            }
            FaultAction::KeepalivedStop { .. }
            | FaultAction::KeepalivedStart { .. }
            | FaultAction::KeepalivedKill { .. }
            | FaultAction::VrrpPriority { .. }
            | FaultAction::VrrpScript { .. }
            | FaultAction::ServerStop { .. }
            | FaultAction::ServerStart { .. }
            | FaultAction::Cut { .. } => self.ha_action(a)?,
            FaultAction::ArpFlush { host } => self.hosts[*host].flush_arp(),
            FaultAction::Route { host, to, via } => self.hosts[*host].replace_route(*to, *via)?,
            FaultAction::Sysctl { host, name, value } => {
                self.hosts[*host].set_sysctl(name, *value)?
            }
            FaultAction::Ipvs { host, op } => {
                let now = self.world.now;
                let h = &mut self.hosts[*host];
                let ipvs = h
                    .ipvs
                    .as_mut()
                    .ok_or_else(|| format!("{} runs no IPVS", h.name))?;
                ipvs.apply(now, op).map_err(|e| e.to_string())?;
                h.ipvs_changed(&mut self.world);
            }
            FaultAction::Slow { host, port, factor } => {
                let h = &mut self.hosts[*host];
                let mut found = false;
                for ((_, p), s) in h.servers.iter_mut() {
                    if *p == *port {
                        s.spec.slowdown = *factor;
                        found = true;
                    }
                }
                if !found {
                    return Err(format!("{} has no server on port {port}", h.name));
                }
            }
        }
        Ok(())
    }

    /// Opens one client connection now (console `@connect`) from `src` (and `sport`, if
    /// given). Its connect outcome appears in `console_results` under the returned tag; the
    /// request's end shows in `workloads[handle.workload].finished`.
    pub fn connect(
        &mut self,
        host: usize,
        spec: WorkloadSpec,
        src: Option<Ipv4Addr>,
        sport: Option<u16>,
    ) -> ConsoleConn {
        self.console_tags += 1;
        let tag = self.console_tags;
        let idx = self.workloads.len();
        let rng = SimRng::from_seed(tag);
        self.workloads.push(WorkloadRt {
            spec: spec.clone(),
            rng,
            issued: 1,
            next_src: 0,
            finished: 0,
        });
        let local = self.hosts[host].start_request_from(
            &mut self.world,
            idx,
            &spec,
            crate::net::host::RequestFrom {
                src,
                sport,
                sizes: None,
            },
            Some(tag),
        );
        self.drain_notices();
        ConsoleConn {
            tag,
            workload: idx,
            local,
        }
    }
}

/// A connection opened by `Simulation::connect`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsoleConn {
    pub tag: u64,
    /// Index of the one-connection workload created for it.
    pub workload: usize,
    /// The client's address and port, or None when it could not even start.
    pub local: Option<(Ipv4Addr, u16)>,
}
