//! The lab driver: owns a running `Simulation` and a playback clock. The simulation runs a
//! little ahead of the clock so every frame on the wire at the clock's time has both its
//! send and its receive records; the view draws frames at the clock's time.

use crate::console::Console;
use crate::flights::{Dot, FlightLog};
use crate::sampling::Sampler;
use crate::topology::{point_along, Topology};
use lvslab_sim::engine::FaultAction;
use lvslab_sim::scenario::diag::Diagnostic;
use lvslab_sim::scenario::Scenario;
use lvslab_sim::trace::TraceRecord;
use lvslab_sim::SimTime;
use lvslab_sim::Simulation;

/// Beyond this many trace records the trace is switched off (memory), and the view says so.
pub const MAX_RECORDS: usize = 400_000;
/// With nothing on the wire, playback jumps at most this far at once.
const IDLE_JUMP_NS: u64 = 2_000_000_000;

/// A frame drawn on the topology.
#[derive(Clone, Debug, PartialEq)]
pub struct DotView {
    pub x: f64,
    pub y: f64,
    /// Connection hue; None for ARP and other connectionless frames.
    pub hue: Option<u16>,
    pub arp: bool,
    /// The tx record, for the inspector.
    pub record: usize,
    /// Which receiver this dot is heading for (broadcasts have several).
    pub arrival: usize,
}

/// Something the user did to the running lab, kept so the lab can be rebuilt at any time
/// position (time travel) and shared: replaying the log on the same scenario and seed gives
/// the same run.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LabInput {
    Action { action: FaultAction, label: String },
    Console { host: usize, line: String },
    Request,
}

/// A `LabInput` with the moment it happened: after `events` events, at `t` (ns).
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Logged {
    pub events: u64,
    pub t: u64,
    pub input: LabInput,
}

/// How to build the lab's simulation again (time travel rebuilds and replays).
#[derive(Clone, Debug)]
pub struct Source {
    pub seed: u64,
    /// Drop the scenario's timed faults (a lesson whose student performs them).
    pub drop_faults: bool,
}

pub struct Driver {
    pub sim: Simulation,
    pub source: Source,
    /// Every user input so far, in order; those after `next_input` wait for the
    /// simulation to reach them again (after stepping back).
    pub inputs: Vec<Logged>,
    next_input: usize,
    pub name: String,
    pub text: String,
    pub warnings: Vec<Diagnostic>,
    pub topo: Topology,
    pub flights: FlightLog,
    pub sampler: Sampler,
    pub console: Console,
    /// Playback clock, simulated nanoseconds.
    pub view_t: u64,
    pub playing: bool,
    /// Simulated nanoseconds per wall-clock millisecond.
    pub speed: f64,
    /// Jump over stretches where nothing is on the wire.
    pub skip_idle: bool,
    /// What the user changed, with simulated times.
    pub changes: Vec<(f64, String)>,
    pub trace_stopped: bool,
    lookahead: u64,
}

/// Default speed: a 100 µs LAN hop takes about 0.4 s on screen.
pub const DEFAULT_SPEED: f64 = 250.0;

impl Driver {
    /// Builds the scenario with the trace and capture on; errors are the diagnostics.
    pub fn new(name: &str, text: &str, seed: Option<u64>) -> Result<Driver, Vec<Diagnostic>> {
        let sc = Scenario::parse(name, text)?;
        let (sim, warnings) = sc.build(seed)?;
        Ok(Driver::with_sim(name, text, sim, warnings, false))
    }

    /// A driver over a simulation built elsewhere (a lesson's, with its own seed and faults).
    pub fn with_sim(
        name: &str,
        text: &str,
        mut sim: Simulation,
        warnings: Vec<Diagnostic>,
        drop_faults: bool,
    ) -> Driver {
        let source = Source {
            seed: sim.seed,
            drop_faults,
        };
        sim.world.trace.enabled = true;
        sim.world.trace.capture = true;
        // One link's latency and jitter, plus time for a full frame's serialisation: the
        // simulation runs no further ahead than that, so the counters stay close to the clock.
        let max_lat = sim
            .world
            .segments
            .iter()
            .map(|s| s.link.latency.0 + s.link.jitter.0 + s.link.serialization(1514).0)
            .max()
            .unwrap_or(0);
        let topo = Topology::from_sim(&sim);
        let mut d = Driver {
            sim,
            source,
            inputs: Vec::new(),
            next_input: 0,
            name: name.to_string(),
            text: text.to_string(),
            warnings,
            topo,
            flights: FlightLog::default(),
            sampler: Sampler::default(),
            console: Console::default(),
            view_t: 0,
            playing: false,
            speed: DEFAULT_SPEED,
            skip_idle: true,
            changes: Vec::new(),
            trace_stopped: false,
            lookahead: max_lat + 50_000,
        };
        d.ensure(0);
        d
    }

    /// Moves the clock to `t` (simulating up to it), paused.
    pub fn seek(&mut self, t: u64) {
        self.playing = false;
        if t > self.view_t {
            self.view_t = t;
            self.ensure(t);
        }
    }

    pub fn records(&self) -> &[TraceRecord] {
        &self.sim.world.trace.records
    }

    /// Runs the simulation to `t` plus the lookahead (sampling every simulated second) and
    /// indexes the new records.
    pub fn ensure(&mut self, t: u64) {
        let until = t.saturating_add(self.lookahead);
        // Inputs logged before a step back are applied again when their moment comes.
        while let Some(l) = self.inputs.get(self.next_input).cloned() {
            if l.t > until {
                break;
            }
            if l.t > 0 {
                self.sampler.run_sampled(&mut self.sim, l.t - 1);
            }
            lvslab_sim::lesson::runner::replay_to(&mut self.sim, l.events, SimTime(l.t));
            self.next_input += 1;
            let _ = self.perform(&l.input);
        }
        if self.sim.now().0 < until {
            self.sampler.run_sampled(&mut self.sim, until);
        }
        self.index();
    }

    /// Applies an input to the simulation (no logging).
    fn perform(&mut self, input: &LabInput) -> Result<(), String> {
        match input {
            LabInput::Action { action, label } => {
                let r = self.sim.apply_action(action);
                let t = self.sim.now().as_secs_f64();
                self.changes.push((
                    t,
                    match &r {
                        Ok(()) => label.to_string(),
                        Err(e) => format!("{label}: {e}"),
                    },
                ));
                r
            }
            LabInput::Console { host, line } => {
                self.console.submit(&mut self.sim, *host, line);
                match self.console.entries.last().map(|e| e.output.exit_code) {
                    Some(0) | None => Ok(()),
                    Some(c) => Err(format!("`{line}` exited {c}")),
                }
            }
            LabInput::Request => {
                let spec = self
                    .sim
                    .workloads
                    .first()
                    .map(|w| w.spec.clone())
                    .ok_or("this scenario has no workload")?;
                let src = spec.sources.first().copied();
                let client = spec.client;
                self.sim.connect(client, spec, src, None);
                Ok(())
            }
        }
    }

    /// Logs an input made now (dropping inputs that were waiting past this moment: the
    /// run now takes another course) and applies it.
    pub fn input(&mut self, input: LabInput) -> Result<(), String> {
        self.inputs.truncate(self.next_input);
        self.inputs.push(Logged {
            events: self.sim.world.metrics.events,
            t: self.sim.now().0,
            input: input.clone(),
        });
        self.next_input = self.inputs.len();
        let r = self.perform(&input);
        self.index();
        r
    }

    /// Drops the inputs waiting past the current moment (before the simulation is advanced
    /// by other means than `ensure`).
    pub fn diverge(&mut self) {
        self.inputs.truncate(self.next_input);
    }

    /// Moves the clock to any time, earlier ones included: going back rebuilds the
    /// simulation from the scenario and replays the inputs up to there. Deterministic: the
    /// trace records, and so every view, are the same as on the way forward.
    pub fn seek_to(&mut self, t: u64) {
        self.playing = false;
        if t >= self.view_t {
            self.view_t = t;
            self.ensure(t);
            return;
        }
        if let Ok(sim) = self.rebuilt() {
            self.sim = sim;
            self.flights = FlightLog::default();
            self.sampler = Sampler::default();
            self.console = Console::default();
            self.changes.clear();
            self.trace_stopped = false;
            self.next_input = 0;
        }
        self.view_t = t;
        self.ensure(t);
    }

    fn rebuilt(&self) -> Result<Simulation, String> {
        let mut sc = Scenario::parse(&self.name, &self.text).map_err(|d| format!("{d:?}"))?;
        if self.source.drop_faults {
            sc.spec.faults.clear();
        }
        let (mut sim, _) = sc
            .build(Some(self.source.seed))
            .map_err(|d| format!("{d:?}"))?;
        sim.world.trace.enabled = true;
        sim.world.trace.capture = true;
        Ok(sim)
    }

    /// Moves the clock to the middle of the previous hop (pausing playback).
    pub fn step_back(&mut self) {
        let to = self.flights.prev_hop_midpoint(self.view_t).unwrap_or(0);
        self.seek_to(to);
    }

    fn index(&mut self) {
        self.flights.ingest(&self.sim.world.trace.records);
        if self.sim.world.trace.records.len() > MAX_RECORDS && !self.trace_stopped {
            self.sim.world.trace.enabled = false;
            self.sim.world.trace.capture = false;
            self.trace_stopped = true;
        }
    }

    /// Advances playback by `wall_ms` of real time.
    pub fn tick(&mut self, wall_ms: f64) {
        if !(self.playing && wall_ms.is_finite() && wall_ms > 0.0) {
            return;
        }
        let adv = (wall_ms.min(250.0) * self.speed).max(1.0) as u64;
        let mut target = self.view_t.saturating_add(adv);
        self.ensure(target);
        if self.skip_idle
            && self.flights.in_flight(self.view_t).is_empty()
            && self.flights.in_flight(target).is_empty()
        {
            if let Some(next) = self.next_activity(self.view_t) {
                if next > target {
                    target = next;
                }
            } else {
                target = self.view_t.saturating_add(IDLE_JUMP_NS);
            }
            // Never past a fault or a change of the user's: the jump lands on it.
            if let Some(m) = self.next_change_after(self.view_t) {
                target = target.min(m.max(self.view_t + 1));
            }
        }
        self.view_t = target;
        self.ensure(target);
    }

    /// The next scheduled fault or logged input after `t` (ns).
    pub fn next_change_after(&self, t: u64) -> Option<u64> {
        let f = self
            .sim
            .faults
            .iter()
            .map(|f| f.at.0)
            .filter(|&x| x > t)
            .min();
        let i = self.inputs.iter().map(|l| l.t).filter(|&x| x > t).min();
        f.into_iter().chain(i).min()
    }

    /// The next transmission after `t`, running the simulation forward (at most
    /// IDLE_JUMP_NS) to find it.
    fn next_activity(&mut self, t: u64) -> Option<u64> {
        let limit = t.saturating_add(IDLE_JUMP_NS);
        loop {
            if let Some(n) = self.flights.next_start(t + 1) {
                return Some(n);
            }
            if self.sim.now().0 >= limit || self.trace_stopped {
                return None;
            }
            let next = (self.sim.now().0 + 10_000_000).min(limit);
            self.sampler.run_sampled(&mut self.sim, next);
            self.index();
        }
    }

    /// Moves the clock to the middle of the next hop (pausing playback).
    pub fn step_hop(&mut self) {
        self.playing = false;
        for _ in 0..2 {
            if let Some(m) = self.flights.next_hop_midpoint(self.view_t) {
                self.view_t = m;
                self.ensure(m);
                return;
            }
            if let Some(n) = self.next_activity(self.view_t) {
                self.ensure(n);
            }
        }
    }

    /// Jumps to the scenario's end (everything in between is simulated, not animated).
    pub fn run_to_end(&mut self) {
        let end = self.sim.end.0.max(self.view_t);
        self.view_t = end;
        self.ensure(end);
    }

    /// Applies a fault or toggle now and notes it.
    pub fn apply(&mut self, a: &FaultAction, label: &str) -> Result<(), String> {
        self.input(LabInput::Action {
            action: a.clone(),
            label: label.to_string(),
        })
    }

    /// Runs a console line (ipvsadm or an `@` directive) on a host; returns its exit code.
    pub fn ipvsadm(&mut self, host: usize, line: &str) -> i32 {
        let _ = self.input(LabInput::Console {
            host,
            line: line.to_string(),
        });
        let code = self
            .console
            .entries
            .last()
            .map(|e| e.output.exit_code)
            .unwrap_or(0);
        // `@connect` and `@t=` run the simulation ahead: the clock follows.
        let now = self.sim.now().0.saturating_sub(self.lookahead);
        if now > self.view_t {
            self.view_t = now;
        }
        code
    }

    /// Opens one more connection like the first workload's.
    /// Without a workload (the console testbeds), a GET from the first client to the first
    /// virtual service, through the console's `@connect` (its line shows the decision).
    pub fn send_request(&mut self) -> Result<(), String> {
        if !self.sim.workloads.is_empty() {
            return self.input(LabInput::Request);
        }
        let svc = self.sim.hosts.iter().enumerate().find_map(|(i, h)| {
            let ipvs = h.ipvs.as_ref()?;
            ipvs.config()
                .services
                .iter()
                .find_map(|s| match s.config.key {
                    lvslab_sim::admin::ServiceKey::Addr { addr, port, .. } => Some((i, addr, port)),
                    _ => None,
                })
        });
        let Some((director, vip, port)) = svc else {
            return Err("the director has no virtual service yet: add one in the console (ipvsadm -A -t VIP:PORT -s rr, then -a -t VIP:PORT -r RIP -m)".into());
        };
        let cip = self
            .sim
            .hosts
            .iter()
            .filter(|h| h.role == lvslab_sim::net::host::Role::Client)
            .flat_map(|h| h.ifaces.iter())
            .find_map(|i| i.primary())
            .ok_or("the scenario has no client host")?;
        match self.ipvsadm(director, &format!("@connect {cip} {vip}:{port}")) {
            0 => Ok(()),
            _ => Err(self
                .console
                .entries
                .last()
                .map(|e| e.output.stderr.trim().to_string())
                .unwrap_or_default()),
        }
    }

    /// Frames on the wire at the clock's time, placed on the topology.
    pub fn dots(&self) -> Vec<DotView> {
        self.flights
            .in_flight(self.view_t)
            .into_iter()
            .filter_map(|d| self.place(&d))
            .collect()
    }

    fn place(&self, d: &Dot) -> Option<DotView> {
        let f = &self.flights.flights[d.flight];
        let from = self.topo.node_index(&f.node)?;
        let to = d
            .arrival
            .and_then(|k| f.arrivals.get(k))
            .and_then(|a| self.topo.node_index(&a.node).map(|n| (n, a.iface.as_str())));
        let path = self.topo.path(from, &f.iface, to)?;
        let (x, y) = point_along(&path, d.frac);
        Some(DotView {
            x,
            y,
            hue: f.hue,
            arp: f.kind == crate::flights::FrameKind::Arp,
            record: f.tx,
            arrival: d.arrival.unwrap_or(0),
        })
    }

    /// Records that happened at or before the clock.
    pub fn visible_records(&self) -> usize {
        FlightLog::records_until(self.records(), self.view_t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lvslab_sim::bundled;

    fn driver(name: &str) -> Driver {
        let b = bundled::find(name).unwrap();
        Driver::new(b.name, b.text, None).unwrap()
    }

    #[test]
    fn playing_moves_frames_and_counters() {
        let mut d = driver("dr-lab");
        d.playing = true;
        let mut seen_dots = 0;
        let mut frames = 0;
        while d.sim.world.metrics.requests_completed < 2 && frames < 20_000 {
            d.tick(16.0);
            let dots = d.dots();
            seen_dots += dots.len();
            assert!(dots.iter().all(|p| p.x.is_finite() && p.y.is_finite()));
            frames += 1;
        }
        assert!(seen_dots > 0);
        assert!(
            d.sim.world.metrics.requests_completed >= 2,
            "after {frames} frames"
        );
        assert!(d.visible_records() > 0);
        // The simulation is never behind the clock.
        assert!(d.sim.now().0 >= d.view_t);
    }

    #[test]
    fn step_puts_one_frame_mid_link() {
        let mut d = driver("nat-lab");
        let before = d.view_t;
        d.step_hop();
        assert!(d.view_t > before);
        assert!(!d.dots().is_empty());
        let t1 = d.view_t;
        d.step_hop();
        assert!(d.view_t > t1);
    }

    #[test]
    fn failing_a_real_server_shows_in_the_drops() {
        let mut d = driver("dr-lab");
        let rs1 = d.sim.host_index("rs1").unwrap();
        d.apply(&FaultAction::HostDown { host: rs1 }, "rs1 down")
            .unwrap();
        d.run_to_end();
        let r = d.sim.report();
        let rs1_served = r
            .real_servers
            .iter()
            .find(|x| x.host == "rs1")
            .unwrap()
            .requests;
        assert_eq!(rs1_served, 0);
        assert!(r.drops.iter().any(|x| x.node == "rs1"), "{:?}", r.drops);
        assert_eq!(d.changes.len(), 1);
    }

    #[test]
    fn send_request_adds_a_connection() {
        let mut d = driver("dr-lab");
        d.run_to_end();
        let before = d.sim.world.metrics.requests_sent;
        d.send_request().unwrap();
        d.playing = true;
        for _ in 0..2000 {
            d.tick(16.0);
        }
        assert_eq!(d.sim.world.metrics.requests_sent, before + 1);
    }

    #[test]
    fn invalid_text_gives_diagnostics() {
        let e = Driver::new("x", "[scenario]\nname = 1", None)
            .err()
            .unwrap();
        assert!(!e.is_empty());
        assert!(e[0].line > 0);
    }
}

/// A driver on a bundled scenario, for the view models' tests.
#[cfg(test)]
pub fn test_driver(name: &str) -> Driver {
    let b = lvslab_sim::bundled::find(name).expect("bundled scenario");
    Driver::new(b.name, b.text, None).expect("it builds")
}

#[cfg(test)]
mod time_travel_tests {
    use super::*;

    fn dr() -> Driver {
        let b = lvslab_sim::bundled::find("dr-lab").unwrap();
        Driver::new(b.name, b.text, None).unwrap()
    }

    /// What the views show at the clock: the frames on the wire, the director's table and
    /// the router's ARP cache.
    fn view(d: &Driver) -> String {
        let dir = d.sim.host_index("director").unwrap();
        let snap = d.sim.hosts[dir]
            .ipvs
            .as_ref()
            .unwrap()
            .snapshot(d.sim.now());
        format!(
            "{} {:?} {} {:?}",
            d.view_t,
            d.dots(),
            lvslab_sim::admin::render_list(&snap),
            d.sim.hosts[d.sim.host_index("router").unwrap()].arp.rows()
        )
    }

    #[test]
    fn ten_hops_back_and_forward_give_the_same_state() {
        let mut d = dr();
        for _ in 0..25 {
            d.step_hop();
        }
        // A change made by the user is replayed at its moment.
        d.apply(
            &FaultAction::Sysctl {
                host: d.sim.host_index("rs1").unwrap(),
                name: "net.ipv4.conf.all.arp_ignore".into(),
                value: 1,
            },
            "arp_ignore 1",
        )
        .unwrap();
        for _ in 0..10 {
            d.step_hop();
        }
        let here = view(&d);
        let recs = d.records().len();
        for _ in 0..10 {
            d.step_back();
        }
        assert!(d.view_t < here.split(' ').next().unwrap().parse::<u64>().unwrap());
        for _ in 0..10 {
            d.step_hop();
        }
        assert_eq!(view(&d), here);
        assert!(d.records().len() >= recs.min(d.records().len()));
        // Straight to a moment, or forward past it and back: the same.
        let t = d.view_t;
        d.seek_to(t + 2_000_000_000);
        d.seek_to(t);
        assert_eq!(view(&d), here);
        // Through a share link: the log packed into the URL and read back.
        let packed = crate::share::pack(serde_json::to_string(&d.inputs).unwrap().as_bytes());
        let back: Vec<Logged> =
            serde_json::from_slice(&crate::share::unpack(&packed).unwrap()).unwrap();
        let mut fresh = dr();
        fresh.inputs = back;
        fresh.seek_to(t);
        assert_eq!(view(&fresh), here);
    }
}
