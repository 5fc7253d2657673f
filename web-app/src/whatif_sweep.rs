//! The what-if panel's one-parameter sweep: which values it runs, the parameters of each
//! point, the results table, its charts and its CSV. Plain Rust: the panel runs one point
//! per timer tick (`SweepRun::step`), so the page stays responsive.

use crate::chart_export::{field, number};
use crate::sampling::Series;
use crate::whatif::{self, Capacity, Outcome, Params, ServiceTime};
use lvslab_sim::scenario::Scenario;

/// The fewest and most points a sweep runs.
pub const MIN_POINTS: usize = 2;
pub const MAX_POINTS: usize = 12;
/// The most connections a sweep simulates in all (points × connections per point): about
/// as much work as four runs of the default 60,000 connections.
pub const WORK_BUDGET: u64 = 240_000;

/// The parameter a sweep varies, in the unit its slider shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepParam {
    /// Connections per second.
    Rate,
    /// Workers of every real server.
    Workers,
    /// Mean service time of every real server, ms.
    ServiceMean,
    /// One weight slider (its index in `Params::weights`).
    Weight(usize),
    /// The hosts' TCP TIME_WAIT, seconds.
    TimeWait,
}

impl SweepParam {
    /// The stable name: element values, CSV headers, file names.
    pub fn slug(self) -> String {
        match self {
            SweepParam::Rate => "rate".into(),
            SweepParam::Workers => "workers".into(),
            SweepParam::ServiceMean => "service_ms".into(),
            SweepParam::Weight(i) => format!("weight{i}"),
            SweepParam::TimeWait => "time_wait_s".into(),
        }
    }

    pub fn parse(s: &str) -> Option<SweepParam> {
        match s {
            "rate" => Some(SweepParam::Rate),
            "workers" => Some(SweepParam::Workers),
            "service_ms" => Some(SweepParam::ServiceMean),
            "time_wait_s" => Some(SweepParam::TimeWait),
            _ => s
                .strip_prefix("weight")
                .and_then(|n| n.parse().ok())
                .map(SweepParam::Weight),
        }
    }

    /// Counts (workers, weights) take whole values.
    pub fn integer(self) -> bool {
        matches!(self, SweepParam::Workers | SweepParam::Weight(_))
    }

    /// The values a sweep may use.
    pub fn limits(self) -> (f64, f64) {
        match self {
            SweepParam::Rate => (1.0, 100_000.0),
            SweepParam::Workers => (1.0, 1024.0),
            SweepParam::ServiceMean => (0.01, 10_000.0),
            SweepParam::Weight(_) => (0.0, 65_535.0),
            SweepParam::TimeWait => (0.1, 600.0),
        }
    }

    /// The value `p` has now.
    pub fn current(self, p: &Params, cap: &Capacity) -> f64 {
        match self {
            SweepParam::Rate => p.rate,
            SweepParam::Workers => p.workers_or(cap) as f64,
            SweepParam::ServiceMean => p.service_or(cap).mean_ms,
            SweepParam::Weight(i) => p.weights.get(i).map(|w| w.1 as f64).unwrap_or(1.0),
            SweepParam::TimeWait => p.time_wait_ms as f64 / 1000.0,
        }
    }

    /// A first range to offer: from the current value towards overload.
    pub fn default_range(self, p: &Params, cap: &Capacity) -> (f64, f64) {
        let now = self.current(p, cap);
        let (lo, hi) = self.limits();
        match self {
            SweepParam::Rate => (now, (now * 4.0).min(hi)),
            SweepParam::Workers if now > 1.0 => (now, 1.0),
            SweepParam::Workers => (1.0, 8.0),
            SweepParam::ServiceMean => (now, (now * 8.0).clamp(lo, 200.0f64.max(now * 2.0))),
            SweepParam::Weight(_) => (0.0, 10.0),
            SweepParam::TimeWait => (1.0, 120.0),
        }
    }

    /// A copy of `p` with this parameter set to `v`.
    pub fn apply(self, p: &Params, cap: &Capacity, v: f64) -> Params {
        let mut q = p.clone();
        match self {
            SweepParam::Rate => q.rate = v,
            SweepParam::Workers => q.workers = Some(v.round().max(1.0) as u32),
            SweepParam::ServiceMean => {
                q.service = Some(ServiceTime {
                    dist: p.service_or(cap).dist,
                    mean_ms: v,
                })
            }
            SweepParam::Weight(i) => {
                if let Some(w) = q.weights.get_mut(i) {
                    w.1 = v.round() as i32;
                }
            }
            SweepParam::TimeWait => q.time_wait_ms = (v * 1000.0).round() as u64,
        }
        q
    }
}

/// What a sweep asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSpec {
    pub param: SweepParam,
    pub from: f64,
    pub to: f64,
    pub points: usize,
}

impl Default for SweepSpec {
    fn default() -> SweepSpec {
        SweepSpec {
            param: SweepParam::Rate,
            from: 500.0,
            to: 8000.0,
            points: 4,
        }
    }
}

/// Why a sweep is refused.
#[derive(Clone, Debug, PartialEq)]
pub enum SweepError {
    /// The number of points is outside MIN_POINTS..=MAX_POINTS.
    Points { got: usize },
    /// From or to is outside the parameter's limits, not a number, or they are equal.
    Range { lo: f64, hi: f64 },
    /// The weight slider does not exist (any more).
    NoSuchWeight,
    /// points × connections is over WORK_BUDGET.
    OverBudget {
        points: usize,
        connections: u64,
        work: u64,
    },
}

impl SweepError {
    /// The catalogue message and its arguments.
    pub fn message(&self) -> (&'static str, Vec<(&'static str, String)>) {
        match self {
            SweepError::Points { got } => (
                "whatif-sweep-error-points",
                vec![
                    ("got", got.to_string()),
                    ("min", MIN_POINTS.to_string()),
                    ("max", MAX_POINTS.to_string()),
                ],
            ),
            SweepError::Range { lo, hi } => (
                "whatif-sweep-error-range",
                vec![("lo", number(*lo)), ("hi", number(*hi))],
            ),
            SweepError::NoSuchWeight => ("whatif-sweep-error-weight", vec![]),
            SweepError::OverBudget {
                points,
                connections,
                work,
            } => (
                "whatif-sweep-error-budget",
                vec![
                    ("points", points.to_string()),
                    ("connections", connections.to_string()),
                    ("work", work.to_string()),
                    ("budget", WORK_BUDGET.to_string()),
                ],
            ),
        }
    }
}

impl SweepSpec {
    /// The values the sweep runs: `points` evenly spaced from `from` to `to` (either way
    /// round), whole numbers for counts, repeats dropped.
    pub fn values(&self) -> Result<Vec<f64>, SweepError> {
        if !(MIN_POINTS..=MAX_POINTS).contains(&self.points) {
            return Err(SweepError::Points { got: self.points });
        }
        let (lo, hi) = self.param.limits();
        let ok = |v: f64| v.is_finite() && v >= lo && v <= hi;
        if !ok(self.from) || !ok(self.to) || self.from == self.to {
            return Err(SweepError::Range { lo, hi });
        }
        let n = self.points - 1;
        let mut out: Vec<f64> = Vec::with_capacity(self.points);
        for k in 0..=n {
            let v = self.from + (self.to - self.from) * k as f64 / n as f64;
            let v = if self.param.integer() { v.round() } else { v };
            if out.last() != Some(&v) {
                out.push(v);
            }
        }
        if out.len() < MIN_POINTS {
            return Err(SweepError::Range { lo, hi });
        }
        Ok(out)
    }

    /// `values`, once the parameter exists in `p` and the work fits the budget.
    pub fn plan(&self, p: &Params) -> Result<Vec<f64>, SweepError> {
        if let SweepParam::Weight(i) = self.param {
            if i >= p.weights.len() {
                return Err(SweepError::NoSuchWeight);
            }
        }
        let v = self.values()?;
        let work = v.len() as u64 * p.connections;
        if work > WORK_BUDGET {
            return Err(SweepError::OverBudget {
                points: v.len(),
                connections: p.connections,
                work,
            });
        }
        Ok(v)
    }
}

/// One point of a sweep.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    pub x: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub throughput: f64,
    pub sent: u64,
    pub completed: u64,
    pub failed: u64,
}

impl SweepPoint {
    pub fn of(x: f64, o: &Outcome) -> SweepPoint {
        SweepPoint {
            x,
            p50_ms: o.p50_ms,
            p99_ms: o.p99_ms,
            throughput: o.throughput,
            sent: o.sent,
            completed: o.completed,
            failed: o.failed,
        }
    }
}

/// The charts of a sweep, against the parameter.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SweepCharts {
    /// "p50" and "p99", ms.
    pub latency: Vec<Series>,
    /// "throughput", completed requests per second.
    pub throughput: Vec<Series>,
    /// "failed" requests.
    pub failures: Vec<Series>,
}

/// The points run so far.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepResult {
    pub param: SweepParam,
    pub points: Vec<SweepPoint>,
}

impl SweepResult {
    pub fn charts(&self) -> SweepCharts {
        fn line(points: &[SweepPoint], label: &str, f: fn(&SweepPoint) -> f64) -> Series {
            Series {
                label: label.into(),
                points: points.iter().map(|p| (p.x, f(p))).collect(),
            }
        }
        let pts = &self.points;
        SweepCharts {
            latency: vec![
                line(pts, "p50", |p| p.p50_ms),
                line(pts, "p99", |p| p.p99_ms),
            ],
            throughput: vec![line(pts, "throughput", |p| p.throughput)],
            failures: vec![line(pts, "failed", |p| p.failed as f64)],
        }
    }

    /// The results table as CSV, one row per point.
    pub fn csv(&self) -> String {
        let mut out = format!(
            "{},p50_ms,p99_ms,throughput_per_s,sent,completed,failed\n",
            field(&self.param.slug())
        );
        for p in &self.points {
            out.push_str(&format!(
                "{},{},{},{},{},{},{}\n",
                number(p.x),
                number(p.p50_ms),
                number(p.p99_ms),
                number(p.throughput),
                p.sent,
                p.completed,
                p.failed
            ));
        }
        out
    }
}

/// A sweep under way (or done): the values still to run and the points run.
#[derive(Clone, Debug)]
pub struct SweepRun {
    pub spec: SweepSpec,
    pub values: Vec<f64>,
    base: Params,
    capacity: Capacity,
    pub result: SweepResult,
    /// Milliseconds spent computing the points so far (set by the caller).
    pub elapsed_ms: f64,
}

impl SweepRun {
    /// Checks the request and prepares its points over the parameters `base`.
    pub fn start(
        spec: &SweepSpec,
        base: &Params,
        capacity: &Capacity,
    ) -> Result<SweepRun, SweepError> {
        let values = spec.plan(base)?;
        Ok(SweepRun {
            spec: spec.clone(),
            values,
            base: base.clone(),
            capacity: capacity.clone(),
            result: SweepResult {
                param: spec.param,
                points: Vec::new(),
            },
            elapsed_ms: 0.0,
        })
    }

    pub fn done(&self) -> bool {
        self.result.points.len() >= self.values.len()
    }

    /// (points run, points in all)
    pub fn progress(&self) -> (usize, usize) {
        (self.result.points.len(), self.values.len())
    }

    /// Runs the next point (nothing when done).
    pub fn step(&mut self, sc: &Scenario) -> Result<(), String> {
        let Some(&v) = self.values.get(self.result.points.len()) else {
            return Ok(());
        };
        let p = self.spec.param.apply(&self.base, &self.capacity, v);
        let o = whatif::run(sc, &p)?;
        self.result.points.push(SweepPoint::of(v, &o));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whatif::ServiceDist;

    fn spec(param: SweepParam, from: f64, to: f64, points: usize) -> SweepSpec {
        SweepSpec {
            param,
            from,
            to,
            points,
        }
    }

    #[test]
    fn values_are_evenly_spaced_and_whole_for_counts() {
        let v = spec(SweepParam::Rate, 100.0, 400.0, 4).values().unwrap();
        assert_eq!(v, [100.0, 200.0, 300.0, 400.0]);
        let v = spec(SweepParam::Workers, 8.0, 1.0, 4).values().unwrap();
        assert_eq!(v, [8.0, 6.0, 3.0, 1.0]);
        let v = spec(SweepParam::Workers, 1.0, 2.0, 5).values().unwrap();
        assert_eq!(v, [1.0, 2.0]);
        let v = spec(SweepParam::ServiceMean, 5.0, 35.0, 4)
            .values()
            .unwrap();
        assert_eq!(v, [5.0, 15.0, 25.0, 35.0]);
        for p in [
            SweepParam::Rate,
            SweepParam::Workers,
            SweepParam::ServiceMean,
            SweepParam::Weight(2),
            SweepParam::TimeWait,
        ] {
            assert_eq!(SweepParam::parse(&p.slug()), Some(p));
        }
        assert_eq!(SweepParam::parse("weightx"), None);
    }

    #[test]
    fn bad_requests_are_refused_with_a_reason() {
        let p = whatif::defaults(&whatif::base().unwrap()).unwrap();
        assert_eq!(
            spec(SweepParam::Rate, 100.0, 200.0, 1).values(),
            Err(SweepError::Points { got: 1 })
        );
        assert_eq!(
            spec(SweepParam::Rate, 100.0, 200.0, MAX_POINTS + 1).values(),
            Err(SweepError::Points { got: 13 })
        );
        assert!(matches!(
            spec(SweepParam::Rate, 100.0, 100.0, 3).values(),
            Err(SweepError::Range { .. })
        ));
        assert!(matches!(
            spec(SweepParam::Workers, 0.0, 4.0, 3).values(),
            Err(SweepError::Range { .. })
        ));
        assert!(matches!(
            spec(SweepParam::Rate, f64::NAN, 4.0, 3).values(),
            Err(SweepError::Range { .. })
        ));
        // The default 60,000 connections: four points fit, five do not.
        assert_eq!(p.connections, 60_000);
        assert!(spec(SweepParam::Rate, 1000.0, 4000.0, 4).plan(&p).is_ok());
        let e = spec(SweepParam::Rate, 1000.0, 5000.0, 5)
            .plan(&p)
            .unwrap_err();
        assert_eq!(
            e,
            SweepError::OverBudget {
                points: 5,
                connections: 60_000,
                work: 300_000
            }
        );
        let (id, args) = e.message();
        assert_eq!(id, "whatif-sweep-error-budget");
        assert!(args.contains(&("budget", "240000".to_string())));
        assert_eq!(
            spec(SweepParam::Weight(9), 0.0, 4.0, 3).plan(&p),
            Err(SweepError::NoSuchWeight)
        );
    }

    #[test]
    fn messages_are_in_the_catalogue() {
        let cat = lvslab_i18n::Catalog::new();
        let errors = [
            SweepError::Points { got: 1 },
            SweepError::Range { lo: 1.0, hi: 2.0 },
            SweepError::NoSuchWeight,
            SweepError::OverBudget {
                points: 5,
                connections: 60_000,
                work: 300_000,
            },
        ];
        for lang in lvslab_i18n::Lang::ALL {
            for e in &errors {
                let (id, args) = e.message();
                assert!(cat.has(lang, id), "{}: no {id}", lang.code());
                let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let text = cat.tr(lang, id, &args);
                assert!(!text.contains('{'), "{text}");
            }
            for d in ServiceDist::ALL {
                let id = format!("whatif-dist-{}", d.slug());
                assert!(cat.has(lang, &id), "{}: no {id}", lang.code());
            }
        }
    }

    #[test]
    fn each_parameter_lands_in_the_params() {
        let sc = whatif::base().unwrap();
        let cap = whatif::capacity(&sc);
        let p = whatif::defaults(&sc).unwrap();
        assert_eq!(SweepParam::Rate.apply(&p, &cap, 900.0).rate, 900.0);
        assert_eq!(SweepParam::Workers.apply(&p, &cap, 3.4).workers, Some(3));
        let s = SweepParam::ServiceMean
            .apply(&p, &cap, 40.0)
            .service
            .unwrap();
        assert_eq!((s.dist, s.mean_ms), (ServiceDist::Exponential, 40.0));
        assert_eq!(SweepParam::TimeWait.apply(&p, &cap, 2.5).time_wait_ms, 2500);
        assert_eq!(SweepParam::Weight(1).apply(&p, &cap, 7.0).weights[1].1, 7);
        assert_eq!(SweepParam::Workers.current(&p, &cap), 16.0);
        assert_eq!(SweepParam::Workers.default_range(&p, &cap), (16.0, 1.0));
        let (a, b) = SweepParam::ServiceMean.default_range(&p, &cap);
        assert!(a < b && b <= 200.0, "{a} {b}");
    }

    #[test]
    fn a_service_time_sweep_shows_latency_rising() {
        let sc = whatif::base().unwrap();
        let cap = whatif::capacity(&sc);
        let mut p = whatif::defaults(&sc).unwrap();
        p.connections = 600;
        p.rate = 600.0;
        let mut run =
            SweepRun::start(&spec(SweepParam::ServiceMean, 5.0, 60.0, 3), &p, &cap).unwrap();
        assert_eq!(run.progress(), (0, 3));
        while !run.done() {
            run.step(&sc).unwrap();
        }
        assert_eq!(run.progress(), (3, 3));
        let r = &run.result;
        let p99: Vec<f64> = r.points.iter().map(|x| x.p99_ms).collect();
        assert!(p99.windows(2).all(|w| w[1] > w[0]), "{p99:?}");
        assert!(p99[2] > 5.0 * p99[0], "{p99:?}");
        assert!(r.points.iter().all(|x| x.sent == 600));
        let c = r.charts();
        assert_eq!(c.latency.len(), 2);
        assert_eq!(c.latency[1].points.len(), 3);
        assert_eq!(c.latency[1].points[2], (60.0, p99[2]));
        let csv = r.csv();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "service_ms,p50_ms,p99_ms,throughput_per_s,sent,completed,failed"
        );
        assert_eq!(lines.len(), 4);
        assert!(lines[1].starts_with("5,"), "{csv}");
        assert!(lines[3].starts_with("60,"), "{csv}");
        // Stepping a finished sweep does nothing.
        run.step(&sc).unwrap();
        assert_eq!(run.result.points.len(), 3);
    }
}
