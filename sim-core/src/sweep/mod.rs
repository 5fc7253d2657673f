//! Parameter sweeps for capacity planning: a base scenario, parameters addressed by path,
//! values as lists or ranges, repetitions with their own seeds, an SLO and the knee (the
//! highest arrival rate that meets it).
//!
//! This module is pure: it expands the grid, runs one point at a time and renders results.
//! Running points in parallel, progress and files are the command line's job, so the same
//! sweep gives the same rows whatever runs it (a thread pool, shards, or the browser).

pub mod file;
pub mod param;
pub mod path;
pub mod result;
pub mod run;
pub mod slo;
mod template;

use crate::scenario::diag::Diagnostic;
use crate::scenario::Scenario;
use file::{ModeChoice, ParamFile, Scale, SweepFile};
use param::{Param, ParamError, Target};
use path::value_text;
use result::{Figures, Knee, Row, RunMode, SweepResult};
use slo::{SloError, SloTerm};

/// Grids larger than this are refused: a typo in a range should not start a week of runs.
pub const MAX_POINTS: usize = 100_000;

#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("{}", .0.iter().map(|d| d.to_string()).collect::<Vec<_>>().join("\n"))]
    File(Vec<Diagnostic>),
    #[error("param[{index}] (`{path}`): {source}")]
    Param {
        index: usize,
        path: String,
        source: ParamError,
    },
    #[error("param[{index}] (`{path}`): {why}")]
    Values {
        index: usize,
        path: String,
        why: String,
    },
    #[error(transparent)]
    Slo(#[from] SloError),
    #[error("{0}")]
    Invalid(String),
}

/// Why one point could not run.
#[derive(Debug, thiserror::Error)]
pub enum PointError {
    #[error("point {point} ({values}): the scenario is invalid with these values:\n{diags}")]
    Scenario {
        point: usize,
        values: String,
        diags: String,
    },
    #[error("point {point} ({values}): {source}")]
    Param {
        point: usize,
        values: String,
        source: ParamError,
    },
    #[error("point {point} ({values}): {why}")]
    Mode {
        point: usize,
        values: String,
        why: String,
    },
}

/// One run of the grid.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub index: usize,
    pub config: usize,
    pub rep: u32,
    pub seed: u64,
    /// One value per parameter, in parameter order.
    pub values: Vec<toml::Value>,
}

/// The knee search of one configuration (every parameter but the rate fixed).
#[derive(Clone, Debug, PartialEq)]
pub struct KneeJob {
    pub config: usize,
    /// One value per parameter; the rate's slot is replaced during the search.
    pub values: Vec<toml::Value>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KneeSpec {
    pub param: usize,
    pub low: f64,
    pub high: f64,
    pub precision: f64,
}

/// A validated sweep, ready to run.
#[derive(Clone, Debug)]
pub struct Sweep {
    pub name: String,
    pub base: Scenario,
    base_table: toml::Table,
    pub params: Vec<Param>,
    /// Index of the x-axis parameter (None when there are no parameters).
    pub x: Option<usize>,
    pub slo: Vec<SloTerm>,
    pub knee: Option<KneeSpec>,
    pub repetitions: u32,
    pub first_seed: u64,
    pub mode: ModeChoice,
    pub duration: Option<crate::SimDuration>,
}

fn expand_values(p: &ParamFile) -> Result<Vec<toml::Value>, String> {
    match (&p.values, &p.range) {
        (Some(_), Some(_)) => Err("give `values` or `range`, not both".into()),
        (None, None) => Err("give `values = [...]` or `range = { from, to, step }`".into()),
        (Some(v), None) if v.is_empty() => Err("`values` is empty".into()),
        (Some(v), None) => Ok(v.clone()),
        (None, Some(r)) => {
            if !(r.from.is_finite() && r.to.is_finite()) {
                return Err("range bounds must be finite numbers".into());
            }
            let ints = r.from.fract() == 0.0
                && r.to.fract() == 0.0
                && r.step.is_none_or(|s| s.fract() == 0.0)
                && r.scale == Scale::Linear;
            let nums: Vec<f64> = match (r.step, r.points, r.scale) {
                (Some(_), Some(_), _) => return Err("give `step` or `points`, not both".into()),
                (Some(step), None, Scale::Linear) => {
                    if !(step.is_finite() && step > 0.0) {
                        return Err("`step` must be above 0".into());
                    }
                    if r.to < r.from {
                        return Err(format!("`to` ({}) is below `from` ({})", r.to, r.from));
                    }
                    let n = ((r.to - r.from) / step + 1e-9).floor() as usize + 1;
                    if n > MAX_POINTS {
                        return Err(format!("{n} values: more than {MAX_POINTS}"));
                    }
                    (0..n).map(|i| r.from + step * i as f64).collect()
                }
                (Some(_), None, Scale::Log) => {
                    return Err("a log range takes `points`, not `step`".into())
                }
                (None, Some(n), scale) => {
                    if n < 2 || n as usize > MAX_POINTS {
                        return Err(format!("`points` must be from 2 to {MAX_POINTS}"));
                    }
                    let n = n as usize;
                    match scale {
                        Scale::Linear => (0..n)
                            .map(|i| r.from + (r.to - r.from) * i as f64 / (n - 1) as f64)
                            .collect(),
                        Scale::Log => {
                            if r.from <= 0.0 || r.to <= 0.0 {
                                return Err("a log range needs bounds above 0".into());
                            }
                            let (a, b) = (r.from.ln(), r.to.ln());
                            (0..n)
                                .map(|i| (a + (b - a) * i as f64 / (n - 1) as f64).exp())
                                .map(|v| (v * 1e6).round() / 1e6)
                                .collect()
                        }
                    }
                }
                (None, None, _) => return Err("a range needs `step` or `points`".into()),
            };
            Ok(nums
                .into_iter()
                .map(|v| {
                    if ints || (v.fract() == 0.0 && v.abs() < 9e15) {
                        toml::Value::Integer(v as i64)
                    } else {
                        toml::Value::Float(v)
                    }
                })
                .collect())
        }
    }
}

fn as_number(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    }
}

impl Sweep {
    /// Validates a sweep against its base scenario: every path and every value is applied
    /// and the scenario built once per value, so a bad one is reported before anything runs.
    pub fn new(file: &SweepFile, base: Scenario) -> Result<Sweep, SweepError> {
        let meta = &file.sweep;
        if meta.repetitions == 0 || meta.repetitions > 1000 {
            return Err(SweepError::Invalid(
                "sweep.repetitions must be from 1 to 1000".into(),
            ));
        }
        let base_table: toml::Table = toml::from_str(&base.text)
            .map_err(|e| SweepError::Invalid(format!("{}: {e}", base.file_name)))?;
        let mut params = Vec::new();
        for (i, p) in file.params.iter().enumerate() {
            let target =
                Target::parse(&p.path, p.template.as_deref()).map_err(|e| SweepError::Param {
                    index: i,
                    path: p.path.clone(),
                    source: e,
                })?;
            let values = expand_values(p).map_err(|why| SweepError::Values {
                index: i,
                path: p.path.clone(),
                why,
            })?;
            let name = p.name.clone().unwrap_or_else(|| p.path.clone());
            if params.iter().any(|q: &Param| q.name == name) {
                return Err(SweepError::Values {
                    index: i,
                    path: p.path.clone(),
                    why: format!("another parameter is already named `{name}`; give one a `name`"),
                });
            }
            params.push(Param {
                name,
                target,
                values,
            });
        }
        let find = |key: &str| {
            params
                .iter()
                .position(|p| p.name == key)
                .or_else(|| file.params.iter().position(|p| p.path == key))
        };
        let x = match &meta.x {
            Some(k) => Some(find(k).ok_or_else(|| {
                SweepError::Invalid(format!("sweep.x: no parameter named `{k}`"))
            })?),
            None => params
                .iter()
                .position(|p| p.values.iter().all(|v| as_number(v).is_some()))
                .or(if params.is_empty() { None } else { Some(0) }),
        };
        let slo = file
            .slo
            .iter()
            .map(|s| SloTerm::parse(s))
            .collect::<Result<Vec<_>, _>>()?;
        let knee = match &file.knee {
            None => None,
            Some(k) => {
                if slo.is_empty() {
                    return Err(SweepError::Invalid(
                        "[knee] needs an SLO: add e.g. slo = [\"p99 < 50ms\"]".into(),
                    ));
                }
                let idx = find(&k.param).ok_or_else(|| {
                    SweepError::Invalid(format!("knee.param: no parameter named `{}`", k.param))
                })?;
                let nums: Vec<f64> = params[idx].values.iter().filter_map(as_number).collect();
                if nums.len() != params[idx].values.len() {
                    return Err(SweepError::Invalid(format!(
                        "knee.param: `{}` must have numeric values",
                        k.param
                    )));
                }
                let low = k
                    .low
                    .unwrap_or_else(|| nums.iter().cloned().fold(f64::MAX, f64::min));
                let high = k
                    .high
                    .unwrap_or_else(|| nums.iter().cloned().fold(f64::MIN, f64::max));
                let precision = k.precision.unwrap_or(0.02);
                if !(low > 0.0 && high > low && low.is_finite() && high.is_finite()) {
                    return Err(SweepError::Invalid(format!(
                        "knee: the search needs 0 < low < high (low {low}, high {high})"
                    )));
                }
                if !(precision > 0.0 && precision < 1.0) {
                    return Err(SweepError::Invalid(
                        "knee.precision is a fraction of the rate between 0 and 1, e.g. 0.02"
                            .into(),
                    ));
                }
                Some(KneeSpec {
                    param: idx,
                    low,
                    high,
                    precision,
                })
            }
        };
        let sw = Sweep {
            name: meta.name.clone(),
            first_seed: meta.seed.unwrap_or(base.spec.scenario.seed),
            base,
            base_table,
            params,
            x,
            slo,
            knee,
            repetitions: meta.repetitions,
            mode: meta.mode,
            duration: meta.duration.map(|d| d.0),
        };
        let total = sw.total_points();
        if total > MAX_POINTS {
            return Err(SweepError::Invalid(format!(
                "the grid has {total} runs; more than {MAX_POINTS} (fewer values or repetitions)"
            )));
        }
        sw.validate_values()?;
        Ok(sw)
    }

    /// Applies each value of each parameter alone to the base and builds it.
    fn validate_values(&self) -> Result<(), SweepError> {
        for (i, p) in self.params.iter().enumerate() {
            for v in &p.values {
                let mut values: Vec<Option<&toml::Value>> = vec![None; self.params.len()];
                values[i] = Some(v);
                let mut table = self.base_table.clone();
                p.apply_static(&mut table, v)
                    .map_err(|e| SweepError::Param {
                        index: i,
                        path: p.name.clone(),
                        source: e,
                    })?;
                let (mut sim, _) =
                    self.build_table(&table, None)
                        .map_err(|diags| SweepError::Values {
                            index: i,
                            path: p.name.clone(),
                            why: format!(
                                "{} = {}: the scenario is invalid:\n{diags}",
                                p.name,
                                value_text(v)
                            ),
                        })?;
                p.apply_live(&mut sim, v).map_err(|e| SweepError::Param {
                    index: i,
                    path: p.name.clone(),
                    source: e,
                })?;
            }
        }
        Ok(())
    }

    fn build_table(
        &self,
        table: &toml::Table,
        seed: Option<u64>,
    ) -> Result<(crate::Simulation, Vec<Diagnostic>), String> {
        let text = toml::to_string(table).map_err(|e| e.to_string())?;
        let sc = Scenario::parse(&self.base.file_name, &text).map_err(render)?;
        sc.build(seed).map_err(render)
    }

    fn sizes(&self) -> (usize, usize) {
        let nx = self.x.map(|x| self.params[x].values.len()).unwrap_or(1);
        let configs: usize = self
            .params
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != self.x)
            .map(|(_, p)| p.values.len())
            .product();
        (configs, nx)
    }

    pub fn total_points(&self) -> usize {
        let (c, nx) = self.sizes();
        c * nx * self.repetitions as usize
    }

    /// Every point in grid order: configurations (first parameter slowest), then the x
    /// values, then repetitions.
    pub fn points(&self) -> Vec<Point> {
        let (configs, nx) = self.sizes();
        let others: Vec<usize> = (0..self.params.len())
            .filter(|i| Some(*i) != self.x)
            .collect();
        let mut out = Vec::with_capacity(self.total_points());
        for c in 0..configs {
            let mut values: Vec<toml::Value> = vec![toml::Value::Boolean(false); self.params.len()];
            let mut rest = c;
            for &i in others.iter().rev() {
                let n = self.params[i].values.len();
                values[i] = self.params[i].values[rest % n].clone();
                rest /= n;
            }
            for xi in 0..nx {
                if let Some(x) = self.x {
                    values[x] = self.params[x].values[xi].clone();
                }
                for rep in 0..self.repetitions {
                    out.push(Point {
                        index: out.len(),
                        config: c,
                        rep,
                        seed: self.first_seed.wrapping_add(rep as u64),
                        values: values.clone(),
                    });
                }
            }
        }
        out
    }

    /// The points of shard `i` of `n` (every n-th point, so shards get similar work).
    pub fn shard(&self, i: usize, n: usize) -> Vec<Point> {
        self.points()
            .into_iter()
            .filter(|p| p.index % n == i)
            .collect()
    }

    fn describe(&self, values: &[toml::Value]) -> String {
        self.params
            .iter()
            .zip(values)
            .map(|(p, v)| format!("{}={}", p.name, value_text(v)))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Builds and runs one set of values with one seed.
    pub fn run_values(
        &self,
        point: usize,
        values: &[toml::Value],
        seed: u64,
    ) -> Result<run::RunOutcome, PointError> {
        let describe = || self.describe(values);
        let mut table = self.base_table.clone();
        for (p, v) in self.params.iter().zip(values) {
            p.apply_static(&mut table, v)
                .map_err(|e| PointError::Param {
                    point,
                    values: describe(),
                    source: e,
                })?;
        }
        let build = |table: &toml::Table| -> Result<crate::Simulation, PointError> {
            let (mut sim, _) =
                self.build_table(table, Some(seed))
                    .map_err(|diags| PointError::Scenario {
                        point,
                        values: describe(),
                        diags,
                    })?;
            for (p, v) in self.params.iter().zip(values) {
                p.apply_live(&mut sim, v).map_err(|e| PointError::Param {
                    point,
                    values: describe(),
                    source: e,
                })?;
            }
            sim.world.trace.enabled = false;
            sim.world.trace.capture = false;
            sim.end = match self.duration {
                Some(d) => crate::SimTime::ZERO + d,
                None => run::settle_end(&sim),
            };
            Ok(sim)
        };
        let mut sim = build(&table)?;
        let (mode, mut note) =
            run::choose_mode(&mut sim, self.mode).map_err(|why| PointError::Mode {
                point,
                values: describe(),
                why,
            })?;
        let mut figures = run::run_and_measure(&mut sim);
        let mut mode = mode;
        if mode == RunMode::Bulk {
            if let Some((host, share)) = run::busiest_link(&sim, &figures) {
                if share > run::BULK_LINK_LIMIT {
                    let why = format!(
                        "{host}'s link at {:.0}% of its bandwidth: bulk mode does not model link queueing",
                        share * 100.0
                    );
                    if self.mode == ModeChoice::Auto {
                        let mut packet = build(&table)?;
                        figures = run::run_and_measure(&mut packet);
                        mode = RunMode::Packet;
                    }
                    note = why;
                }
            }
        }
        Ok(run::RunOutcome {
            figures,
            mode,
            note,
        })
    }

    /// Runs one point of the grid.
    pub fn run_point(&self, p: &Point) -> Result<Row, PointError> {
        let out = self.run_values(p.index, &p.values, p.seed)?;
        Ok(Row {
            point: p.index,
            config: p.config,
            rep: p.rep,
            seed: p.seed,
            values: self
                .params
                .iter()
                .zip(&p.values)
                .map(|(q, v)| (q.name.clone(), value_text(v)))
                .collect(),
            mode: out.mode,
            mode_note: out.note,
            figures: out.figures,
        })
    }

    /// True when every condition of the SLO holds.
    pub fn meets_slo(&self, f: &Figures) -> bool {
        self.slo.iter().all(|t| t.met(f))
    }

    /// The knee searches: one per combination of the other parameters.
    pub fn knee_jobs(&self) -> Vec<KneeJob> {
        let Some(k) = &self.knee else {
            return Vec::new();
        };
        let others: Vec<usize> = (0..self.params.len()).filter(|i| *i != k.param).collect();
        let n: usize = others
            .iter()
            .map(|i| self.params[*i].values.len())
            .product();
        (0..n)
            .map(|c| {
                let mut values = vec![toml::Value::Float(k.low); self.params.len()];
                let mut rest = c;
                for &i in others.iter().rev() {
                    let m = self.params[i].values.len();
                    values[i] = self.params[i].values[rest % m].clone();
                    rest /= m;
                }
                KneeJob { config: c, values }
            })
            .collect()
    }

    /// Bisection on the rate: a rate passes when every repetition meets the SLO. The search
    /// stops when the bracket is within the precision (a fraction of the rate).
    pub fn search_knee(&self, job: &KneeJob) -> Result<Knee, PointError> {
        let k = self
            .knee
            .as_ref()
            .expect("knee_jobs is empty without [knee]");
        let mut runs = 0u32;
        let mut passes = |rate: f64| -> Result<bool, PointError> {
            let mut values = job.values.clone();
            values[k.param] = toml::Value::Float(rate);
            for rep in 0..self.repetitions {
                runs += 1;
                let o = self.run_values(
                    usize::MAX,
                    &values,
                    self.first_seed.wrapping_add(rep as u64),
                )?;
                if !self.meets_slo(&o.figures) {
                    return Ok(false);
                }
            }
            Ok(true)
        };
        let (mut lo, mut hi) = (k.low, k.high);
        let (rate, fails_at) = if passes(hi)? {
            (Some(hi), None)
        } else if !passes(lo)? {
            (None, Some(lo))
        } else {
            while (hi - lo) > k.precision * lo {
                let mid = (lo + hi) / 2.0;
                if passes(mid)? {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            (Some(lo), Some(hi))
        };
        Ok(Knee {
            config: job.config,
            values: self
                .params
                .iter()
                .zip(&job.values)
                .enumerate()
                .filter(|(i, _)| *i != k.param)
                .map(|(_, (p, v))| (p.name.clone(), value_text(v)))
                .collect(),
            rate,
            fails_at,
            runs,
        })
    }

    /// An empty result to fill with rows and knees.
    pub fn result(&self, shard: Option<(usize, usize)>) -> SweepResult {
        SweepResult {
            name: self.name.clone(),
            params: self.params.iter().map(|p| p.name.clone()).collect(),
            x: self
                .x
                .map(|x| self.params[x].name.clone())
                .unwrap_or_default(),
            slo: self.slo.iter().map(|t| t.text.clone()).collect(),
            total_points: self.total_points(),
            shard,
            rows: Vec::new(),
            knees: Vec::new(),
            knee_precision: self.knee.as_ref().map(|k| k.precision).unwrap_or(0.0),
            interrupted: false,
        }
    }

    /// Knee jobs of shard `i` of `n`.
    pub fn shard_knee_jobs(&self, i: usize, n: usize) -> Vec<KneeJob> {
        self.knee_jobs()
            .into_iter()
            .filter(|j| j.config % n == i)
            .collect()
    }
}

fn render(d: Vec<Diagnostic>) -> String {
    d.iter()
        .filter(|x| x.severity == crate::scenario::diag::Severity::Error)
        .map(|x| format!("  {x}"))
        .collect::<Vec<_>>()
        .join("\n")
}
