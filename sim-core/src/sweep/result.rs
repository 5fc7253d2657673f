//! What a sweep produces: one row per run, the knee of each configuration, and the tidy CSV
//! built from them. Everything here is plain data, so shards run in different processes can
//! be merged and rendered to the same bytes as a single run.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// How a point was simulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunMode {
    /// Connection-level bulk mode (the real IPVS, no frames).
    Bulk,
    /// Packet by packet.
    Packet,
}

impl RunMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Bulk => "bulk",
            RunMode::Packet => "packet",
        }
    }
}

/// The figures of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct Figures {
    pub sent: u64,
    pub completed: u64,
    pub failed: u64,
    /// Failure reason -> count.
    pub failures: BTreeMap<String, u64>,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub mean_ms: f64,
    /// Completed requests per simulated second, from the first request to the last answer.
    pub throughput_rps: f64,
    /// Real server name -> share of the completed requests (0..1).
    pub share: BTreeMap<String, f64>,
    /// Highest ActiveConn / InActConn summed over every director's destinations, sampled
    /// every 100 ms of simulated time.
    pub peak_active: u64,
    pub peak_inactive: u64,
    /// Packets and bytes IPVS counted on every director, per direction.
    pub director_in_packets: u64,
    pub director_in_bytes: u64,
    pub director_out_packets: u64,
    pub director_out_bytes: u64,
    /// Simulated events (a measure of the work the run took).
    pub events: u64,
}

impl Figures {
    /// The failed fraction of the sent requests (0 when nothing was sent).
    pub fn failed_ratio(&self) -> f64 {
        if self.sent == 0 {
            0.0
        } else {
            self.failed as f64 / self.sent as f64
        }
    }
}

/// One run: a point of the parameter grid with one seed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// Position in the full grid (configurations x values x repetitions), stable across
    /// shards.
    pub point: usize,
    /// The configuration: every parameter except the chart's x parameter.
    pub config: usize,
    /// Repetition (0-based) and the seed it ran with.
    pub rep: u32,
    pub seed: u64,
    /// (parameter name, value as written in the sweep file)
    pub values: Vec<(String, String)>,
    pub mode: RunMode,
    /// Why the point ran packet by packet when bulk mode was asked for (empty otherwise).
    #[serde(default)]
    pub mode_note: String,
    pub figures: Figures,
}

impl Row {
    pub fn value(&self, param: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == param)
            .map(|(_, v)| v.as_str())
    }
}

/// The knee of one configuration: the highest arrival rate that meets the SLO.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Knee {
    pub config: usize,
    /// The configuration's parameter values (without the rate).
    pub values: Vec<(String, String)>,
    /// Highest rate found to meet the SLO; None when even the lowest rate fails it.
    pub rate: Option<f64>,
    /// The lowest rate found to fail (None when the highest rate searched still meets it).
    pub fails_at: Option<f64>,
    /// Runs (rate x repetitions) the search took.
    pub runs: u32,
}

/// A whole sweep, or one shard of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepResult {
    pub name: String,
    /// Parameter names in grid order (the first varies slowest).
    pub params: Vec<String>,
    /// The parameter on the charts' x axis.
    pub x: String,
    /// The SLO as written (e.g. "p99 < 50ms").
    pub slo: Vec<String>,
    /// Points in the full grid (all shards).
    pub total_points: usize,
    /// `None` for a whole sweep; `Some((i, n))` for shard i of n.
    pub shard: Option<(usize, usize)>,
    /// Rows in point order.
    pub rows: Vec<Row>,
    /// Knees in configuration order (empty without an SLO or a rate parameter).
    pub knees: Vec<Knee>,
    /// The knee search's precision, as a fraction of the rate (e.g. 0.02).
    pub knee_precision: f64,
    /// True when the run was interrupted before every point finished.
    #[serde(default)]
    pub interrupted: bool,
}

/// Formats a figure for the CSV: integers as integers, fractions with up to 6 decimals
/// (trailing zeros dropped), so the bytes do not depend on how the float was produced.
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    let s = format!("{v:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

impl SweepResult {
    /// Failure reasons and real servers seen in any row (sorted), for the CSV's columns.
    fn columns(&self) -> (Vec<String>, Vec<String>) {
        let mut reasons = BTreeSet::new();
        let mut servers = BTreeSet::new();
        for r in &self.rows {
            reasons.extend(r.figures.failures.keys().cloned());
            servers.extend(r.figures.share.keys().cloned());
        }
        (reasons.into_iter().collect(), servers.into_iter().collect())
    }

    /// The tidy CSV: one row per run, every parameter and every figure.
    pub fn csv(&self) -> String {
        let (reasons, servers) = self.columns();
        let mut head: Vec<String> =
            vec!["point".into(), "config".into(), "rep".into(), "seed".into()];
        head.extend(self.params.iter().cloned());
        for h in [
            "mode",
            "sent",
            "completed",
            "failed",
            "failed_ratio",
            "p50_ms",
            "p90_ms",
            "p99_ms",
            "max_ms",
            "mean_ms",
            "throughput_rps",
            "peak_active",
            "peak_inactive",
            "director_in_packets",
            "director_in_bytes",
            "director_out_packets",
            "director_out_bytes",
            "events",
        ] {
            head.push(h.into());
        }
        for r in &reasons {
            head.push(format!("failed: {r}"));
        }
        for s in &servers {
            head.push(format!("share: {s}"));
        }
        let mut out = String::new();
        out.push_str(
            &head
                .iter()
                .map(|h| csv_field(h))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
        for r in &self.rows {
            let f = &r.figures;
            let mut cells: Vec<String> = vec![
                r.point.to_string(),
                r.config.to_string(),
                r.rep.to_string(),
                r.seed.to_string(),
            ];
            for p in &self.params {
                cells.push(r.value(p).unwrap_or("").to_string());
            }
            cells.push(r.mode.as_str().into());
            cells.push(f.sent.to_string());
            cells.push(f.completed.to_string());
            cells.push(f.failed.to_string());
            cells.push(fmt_num(f.failed_ratio()));
            for v in [
                f.p50_ms,
                f.p90_ms,
                f.p99_ms,
                f.max_ms,
                f.mean_ms,
                f.throughput_rps,
            ] {
                cells.push(fmt_num(v));
            }
            for v in [
                f.peak_active,
                f.peak_inactive,
                f.director_in_packets,
                f.director_in_bytes,
                f.director_out_packets,
                f.director_out_bytes,
                f.events,
            ] {
                cells.push(v.to_string());
            }
            for reason in &reasons {
                cells.push(f.failures.get(reason).copied().unwrap_or(0).to_string());
            }
            for s in &servers {
                cells.push(fmt_num(f.share.get(s).copied().unwrap_or(0.0)));
            }
            out.push_str(
                &cells
                    .iter()
                    .map(|c| csv_field(c))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            out.push('\n');
        }
        out
    }

    /// The knee table as CSV.
    pub fn knee_csv(&self) -> String {
        let names: Vec<String> = self
            .knees
            .first()
            .map(|k| k.values.iter().map(|(n, _)| n.clone()).collect())
            .unwrap_or_default();
        let mut out = String::from("config");
        for n in &names {
            out.push(',');
            out.push_str(&csv_field(n));
        }
        out.push_str(",knee_rate,fails_at,runs\n");
        for k in &self.knees {
            out.push_str(&k.config.to_string());
            for (_, v) in &k.values {
                out.push(',');
                out.push_str(&csv_field(v));
            }
            out.push(',');
            out.push_str(&k.rate.map(fmt_num).unwrap_or_default());
            out.push(',');
            out.push_str(&k.fails_at.map(fmt_num).unwrap_or_default());
            out.push(',');
            out.push_str(&k.runs.to_string());
            out.push('\n');
        }
        out
    }

    /// The knee table for a terminal.
    pub fn knee_table(&self) -> String {
        if self.knees.is_empty() {
            return String::new();
        }
        let names: Vec<String> = self
            .knees
            .first()
            .map(|k| k.values.iter().map(|(n, _)| n.clone()).collect())
            .unwrap_or_default();
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut head = names.clone();
        head.push(format!("knee ({})", self.slo.join(", ")));
        head.push("fails at".into());
        rows.push(head);
        for k in &self.knees {
            let mut r: Vec<String> = k.values.iter().map(|(_, v)| v.clone()).collect();
            r.push(match k.rate {
                Some(v) => format!("{} /s", fmt_num(v.round())),
                None => "below the range".into(),
            });
            r.push(match k.fails_at {
                Some(v) => format!("{} /s", fmt_num(v.round())),
                None => "not reached".into(),
            });
            rows.push(r);
        }
        let cols = rows[0].len();
        let widths: Vec<usize> = (0..cols)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for (i, r) in rows.iter().enumerate() {
            let line: Vec<String> = r
                .iter()
                .enumerate()
                .map(|(c, v)| format!("{v:<w$}", w = widths[c]))
                .collect();
            out.push_str(line.join("  ").trim_end());
            out.push('\n');
            if i == 0 {
                let total: usize = widths.iter().sum::<usize>() + 2 * (cols - 1);
                out.push_str(&"-".repeat(total));
                out.push('\n');
            }
        }
        out
    }

    /// Joins shards into the whole sweep: rows and knees in order, duplicates refused.
    pub fn merge(parts: Vec<SweepResult>) -> Result<SweepResult, MergeError> {
        let mut it = parts.into_iter();
        let mut first = it.next().ok_or(MergeError::Empty)?;
        let n = match first.shard {
            Some((_, n)) => n,
            None => 1,
        };
        let mut seen: BTreeSet<usize> = first.shard.map(|s| s.0).into_iter().collect();
        for p in it {
            if p.name != first.name
                || p.params != first.params
                || p.total_points != first.total_points
            {
                return Err(MergeError::Different(p.name.clone()));
            }
            match p.shard {
                Some((i, pn)) if pn == n => {
                    if !seen.insert(i) {
                        return Err(MergeError::Duplicate(i, n));
                    }
                }
                _ => return Err(MergeError::Different(p.name.clone())),
            }
            first.rows.extend(p.rows);
            first.knees.extend(p.knees);
            first.interrupted |= p.interrupted;
        }
        let missing: Vec<usize> = (0..n).filter(|i| !seen.contains(i)).collect();
        if !missing.is_empty() {
            return Err(MergeError::Missing(missing, n));
        }
        first.rows.sort_by_key(|r| r.point);
        first.knees.sort_by_key(|k| k.config);
        first.shard = None;
        Ok(first)
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MergeError {
    #[error("nothing to merge")]
    Empty,
    #[error("`{0}` is a different sweep (name, parameters or size differ)")]
    Different(String),
    #[error("shard {0}/{1} is given twice")]
    Duplicate(usize, usize),
    #[error("shards missing: {list} (of {of})", list = join(.0), of = .1)]
    Missing(Vec<usize>, usize),
}

fn join(v: &[usize]) -> String {
    v.iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
