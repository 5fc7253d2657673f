//! The what-if panel's state and actions: its sliders, single runs (the previous one kept
//! for the overlay), one-parameter sweeps run one point per timer tick, and the charts'
//! CSV and PNG downloads.

use super::chart_canvas;
use super::dom;
use super::state::{LabState, Link, Msg};
use crate::chart_export;
use crate::whatif::{self, Capacity, Outcome, Params, ServiceDist, ServiceTime};
use crate::whatif_sweep::{SweepParam, SweepResult, SweepRun, SweepSpec};
use lvslab_i18n::Catalog;
use lvslab_sim::lesson::Lang;
use lvslab_sim::scenario::Scenario;

pub enum WiMsg {
    Weight(usize, i32),
    Scheduler(String),
    TcpFin(u32),
    TimeWait(u64),
    Rate(f64),
    Connections(u64),
    /// Workers of every real server.
    Workers(u32),
    /// Mean service time of every real server, ms.
    ServiceMean(f64),
    /// Shape of the real servers' service time.
    Distribution(ServiceDist),
    UseCurrent(bool),
    /// Shows "running" first, then computes on a timer so the page paints in between.
    Run,
    RunNow,
    /// The sweep's parameter (its range is reset to a sensible one).
    SweepOf(SweepParam),
    SweepFrom(f64),
    SweepTo(f64),
    SweepPoints(usize),
    /// Checks the sweep against the budget and schedules its first point.
    SweepStart,
    /// Runs the next point of sweep number `n` (stale numbers are ignored).
    SweepStep(u64),
    SweepCancel,
    /// Downloads a chart's lines as CSV, or its picture as PNG.
    Csv(WiChart),
    Png(WiChart),
    /// Downloads the sweep's results table as CSV.
    SweepTableCsv,
}

/// The what-if panel's charts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WiChart {
    Conns,
    Rps,
    Latency,
    SweepLatency,
    SweepThroughput,
    SweepFailures,
}

impl WiChart {
    pub const RUN: [WiChart; 3] = [WiChart::Conns, WiChart::Rps, WiChart::Latency];
    pub const SWEEP: [WiChart; 3] = [
        WiChart::SweepLatency,
        WiChart::SweepThroughput,
        WiChart::SweepFailures,
    ];

    /// The stable name in element ids (`whatif-csv-latency`) and file names.
    pub fn slug(self) -> &'static str {
        match self {
            WiChart::Conns => "conns",
            WiChart::Rps => "rps",
            WiChart::Latency => "latency",
            WiChart::SweepLatency => "sweep-latency",
            WiChart::SweepThroughput => "sweep-throughput",
            WiChart::SweepFailures => "sweep-failures",
        }
    }

    /// The canvas it is drawn on (`wi-latency`, as `chart_canvas` names them).
    pub fn canvas_id(self) -> String {
        format!("wi-{}", self.slug())
    }

    /// Its title's catalogue message.
    pub fn title_id(self) -> &'static str {
        match self {
            WiChart::Conns => "chart-conns",
            WiChart::Rps => "chart-rps",
            WiChart::Latency => "chart-latency",
            WiChart::SweepLatency => "whatif-sweep-chart-latency",
            WiChart::SweepThroughput => "whatif-sweep-chart-throughput",
            WiChart::SweepFailures => "whatif-sweep-chart-failures",
        }
    }

    fn of_run(self, d: &crate::sampling::ChartData) -> &[crate::sampling::Series] {
        match self {
            WiChart::Conns => &d.conns,
            WiChart::Rps => &d.rps,
            _ => &d.latency,
        }
    }

    fn of_sweep(self, c: &crate::whatif_sweep::SweepCharts) -> &[crate::sampling::Series] {
        match self {
            WiChart::SweepThroughput => &c.throughput,
            WiChart::SweepFailures => &c.failures,
            _ => &c.latency,
        }
    }
}

#[derive(Default)]
pub struct WhatIfState {
    pub use_current: bool,
    pub scenario: Option<Scenario>,
    pub params: Option<Params>,
    /// The scenario's own real-server capacity: what the capacity sliders show until moved.
    pub capacity: Option<Capacity>,
    pub outcome: Option<Outcome>,
    /// The run before `outcome`, drawn lighter and dashed under it.
    pub previous: Option<Outcome>,
    pub elapsed_ms: Option<f64>,
    pub error: Option<String>,
    pub dirty_chart: bool,
    pub running: bool,
    /// Runs finished since the page opened (the end-to-end tests wait on it).
    pub runs: u64,
    pub sweep_spec: SweepSpec,
    pub sweep: Option<SweepRun>,
    pub sweep_running: bool,
    pub sweep_error: Option<String>,
    /// The sweep before `sweep`, overlaid when it varied the same parameter.
    pub previous_sweep: Option<SweepResult>,
    /// Bumped by every sweep started or stopped: a pending step of an older one is ignored.
    pub sweep_gen: u64,
}

impl WhatIfState {
    /// The previous sweep, when it can share the current one's axes.
    pub fn comparable_previous_sweep(&self) -> Option<&SweepResult> {
        let now = self.sweep.as_ref()?;
        self.previous_sweep
            .as_ref()
            .filter(|p| p.param == now.result.param)
    }

    /// The capacity a slider starts from.
    pub fn capacity_or_default(&self) -> Capacity {
        self.capacity.clone().unwrap_or(Capacity {
            workers: 64,
            service: ServiceTime {
                dist: ServiceDist::Constant,
                mean_ms: 0.2,
            },
        })
    }

    /// Paints the charts when something changed.
    pub fn draw_charts(&mut self, cat: &Catalog, lang: Lang) -> Result<(), String> {
        if !self.dirty_chart {
            return Ok(());
        }
        self.dirty_chart = false;
        if let Some(o) = &self.outcome {
            chart_canvas::draw_chart_set_with(
                cat,
                lang,
                "wi",
                &o.chart,
                self.previous.as_ref().map(|p| &p.chart),
            )?;
        }
        if let Some(s) = self.sweep.as_ref().filter(|s| !s.result.points.is_empty()) {
            let x = super::whatif_sweep_view::param_label(
                cat,
                lang,
                s.result.param,
                self.params.as_ref(),
            );
            chart_canvas::draw_sweep_set(
                cat,
                lang,
                &x,
                &s.result,
                self.comparable_previous_sweep(),
            )?;
        }
        Ok(())
    }
}

/// Sends `m` after `ms` milliseconds, so the page paints first.
fn later(link: &Link, ms: u32, m: WiMsg) {
    let link = link.clone();
    gloo::timers::callback::Timeout::new(ms, move || link.send_message(Msg::Wi(m))).forget();
}

impl LabState {
    /// Sets the what-if up on its base scenario or on the lab's current one.
    pub(super) fn ensure_whatif(&mut self) {
        let w = &mut self.whatif;
        let sc = if w.use_current {
            match &self.lab {
                Some(d) => Scenario::parse(&d.name, &d.text).map_err(|e| format!("{e:?}")),
                None => Err(self.cat.tr(self.lang, "error-no-lab", &[])),
            }
        } else {
            whatif::base()
        };
        match sc.and_then(|s| whatif::defaults(&s).map(|p| (s, p))) {
            Ok((s, p)) => {
                w.capacity = Some(whatif::capacity(&s));
                w.scenario = Some(s);
                w.params = Some(p);
                w.error = None;
            }
            Err(e) => {
                w.scenario = None;
                w.params = None;
                w.capacity = None;
                w.error = Some(e);
            }
        }
        w.outcome = None;
        w.previous = None;
        w.elapsed_ms = None;
        w.sweep_gen += 1;
        w.sweep = None;
        w.sweep_running = false;
        w.sweep_error = None;
        w.previous_sweep = None;
    }

    /// Opening the what-if: set it up once; settings from a share link survive that.
    pub(super) fn open_whatif(&mut self) {
        if self.whatif.scenario.is_none() {
            let kept = self.whatif.params.take();
            self.ensure_whatif();
            if let Some(shared) = kept {
                if let Some(own) = self.whatif.params.take() {
                    self.whatif.params = Some(whatif::adopt(&own, &shared));
                }
            }
        }
        self.whatif.dirty_chart = self.whatif.outcome.is_some() || self.whatif.sweep.is_some();
    }

    pub(super) fn update_whatif(&mut self, link: &Link, m: WiMsg) {
        match m {
            WiMsg::UseCurrent(b) => {
                self.whatif.use_current = b;
                self.ensure_whatif();
            }
            WiMsg::Run => {
                self.whatif.running = true;
                later(link, 30, WiMsg::RunNow);
            }
            WiMsg::RunNow => self.whatif_run_now(),
            WiMsg::SweepStart => self.sweep_start(link),
            WiMsg::SweepStep(n) => self.sweep_step(link, n),
            WiMsg::SweepCancel => {
                self.whatif.sweep_gen += 1;
                self.whatif.sweep_running = false;
            }
            WiMsg::Csv(c) => {
                if let Err(e) = self.whatif_csv(c) {
                    self.error = Some(e);
                }
            }
            WiMsg::Png(c) => {
                let name = format!("whatif-{}.png", c.slug());
                if let Err(e) =
                    dom::canvas_png(&c.canvas_id()).and_then(|u| dom::download_url(&name, &u))
                {
                    self.error = Some(e);
                }
            }
            WiMsg::SweepTableCsv => {
                if let Some(s) = &self.whatif.sweep {
                    let url = chart_export::data_url("text/csv", &s.result.csv());
                    if let Err(e) = dom::download_url("whatif-sweep.csv", &url) {
                        self.error = Some(e);
                    }
                }
            }
            m => self.whatif_setting(m),
        }
    }

    /// A slider or field moved.
    fn whatif_setting(&mut self, m: WiMsg) {
        let cap = self.whatif.capacity_or_default();
        let w = &mut self.whatif;
        let Some(p) = &mut w.params else { return };
        match m {
            WiMsg::Weight(i, v) => {
                if let Some(x) = p.weights.get_mut(i) {
                    x.1 = v;
                }
            }
            WiMsg::Scheduler(s) => p.scheduler = s,
            WiMsg::TcpFin(v) => p.tcp_fin_s = v,
            WiMsg::TimeWait(v) => p.time_wait_ms = v,
            WiMsg::Rate(v) => p.rate = v,
            WiMsg::Connections(v) => p.connections = v,
            WiMsg::Workers(v) => p.workers = Some(v.max(1)),
            WiMsg::ServiceMean(v) => {
                p.service = Some(ServiceTime {
                    dist: p.service_or(&cap).dist,
                    mean_ms: v,
                })
            }
            WiMsg::Distribution(d) => {
                p.service = Some(ServiceTime {
                    dist: d,
                    mean_ms: p.service_or(&cap).mean_ms,
                })
            }
            WiMsg::SweepOf(param) => {
                let (from, to) = param.default_range(p, &cap);
                w.sweep_spec.param = param;
                w.sweep_spec.from = from;
                w.sweep_spec.to = to;
            }
            WiMsg::SweepFrom(v) => w.sweep_spec.from = v,
            WiMsg::SweepTo(v) => w.sweep_spec.to = v,
            WiMsg::SweepPoints(n) => w.sweep_spec.points = n,
            _ => {}
        }
    }

    fn whatif_run_now(&mut self) {
        let w = &mut self.whatif;
        w.running = false;
        let (Some(sc), Some(p)) = (&w.scenario, &w.params) else {
            return;
        };
        let t0 = dom::now_ms();
        let r = whatif::run(sc, p);
        let t1 = dom::now_ms();
        match r {
            Ok(o) => {
                w.previous = w.outcome.take();
                w.outcome = Some(o);
                w.elapsed_ms = Some(t1 - t0);
                w.error = None;
                w.dirty_chart = true;
                w.runs += 1;
                dom::set_global("lvslabWhatIfMs", t1 - t0);
            }
            Err(e) => w.error = Some(e),
        }
    }

    fn sweep_start(&mut self, link: &Link) {
        let cap = self.whatif.capacity_or_default();
        let w = &mut self.whatif;
        let Some(p) = &w.params else { return };
        match SweepRun::start(&w.sweep_spec, p, &cap) {
            Ok(run) => {
                if let Some(old) = w.sweep.take() {
                    if !old.result.points.is_empty() {
                        w.previous_sweep = Some(old.result);
                    }
                }
                w.sweep = Some(run);
                w.sweep_gen += 1;
                w.sweep_running = true;
                w.sweep_error = None;
                w.dirty_chart = true;
                later(link, 30, WiMsg::SweepStep(w.sweep_gen));
            }
            Err(e) => {
                let (id, args) = e.message();
                let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                w.sweep_error = Some(self.cat.tr(self.lang, id, &args));
            }
        }
    }

    /// One point of the sweep, then the next on a timer: one bulk run per tick.
    fn sweep_step(&mut self, link: &Link, n: u64) {
        let w = &mut self.whatif;
        if n != w.sweep_gen || !w.sweep_running {
            return;
        }
        let (Some(sc), Some(run)) = (&w.scenario, &mut w.sweep) else {
            w.sweep_running = false;
            return;
        };
        let t0 = dom::now_ms();
        let r = run.step(sc);
        run.elapsed_ms += dom::now_ms() - t0;
        w.dirty_chart = true;
        match r {
            Ok(()) if run.done() => {
                w.sweep_running = false;
                dom::set_global("lvslabWhatIfSweepMs", run.elapsed_ms);
            }
            Ok(()) => later(link, 16, WiMsg::SweepStep(n)),
            Err(e) => {
                w.sweep_running = false;
                w.sweep_error = Some(e);
            }
        }
    }

    /// A chart's lines as a CSV download.
    fn whatif_csv(&self, c: WiChart) -> Result<(), String> {
        let w = &self.whatif;
        let text = if WiChart::RUN.contains(&c) {
            let Some(o) = &w.outcome else { return Ok(()) };
            let before = w
                .previous
                .as_ref()
                .map(|p| c.of_run(&p.chart))
                .unwrap_or(&[]);
            chart_export::csv("seconds", c.of_run(&o.chart), before)
        } else {
            let Some(s) = &w.sweep else { return Ok(()) };
            let now = s.result.charts();
            let before = w
                .comparable_previous_sweep()
                .map(|p| p.charts())
                .unwrap_or_default();
            chart_export::csv(
                &s.result.param.slug(),
                c.of_sweep(&now),
                c.of_sweep(&before),
            )
        };
        let url = chart_export::data_url("text/csv", &text);
        dom::download_url(&format!("whatif-{}.csv", c.slug()), &url)
    }
}
