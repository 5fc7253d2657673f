//! The sweep file format (TOML): a base scenario, the parameters to vary, repetitions,
//! an SLO and an optional knee search. Unknown fields are errors with a location.
//!
//! ```toml
//! slo = ["p99 < 50ms", "failed < 0.1%"]
//!
//! [sweep]
//! name = "rate-by-scheduler"
//! base = "capacity-10rs"          # a bundled scenario, or a file relative to this one
//! repetitions = 3                 # seeds: seed, seed + 1, ...
//!
//! [[param]]
//! path = "workload.rate"
//! range = { from = 500, to = 3000, step = 500 }
//!
//! [[param]]
//! path = "ipvs.scheduler"
//! values = ["rr", "wlc", "lc"]
//!
//! [knee]
//! param = "workload.rate"
//! ```

use crate::scenario::diag::{self, Diagnostic};
use crate::scenario::format::Dur;
use serde::Deserialize;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SweepFile {
    pub sweep: SweepMeta,
    /// Conditions every run must meet, e.g. "p99 < 50ms", "failed < 0.1%".
    #[serde(default)]
    pub slo: Vec<String>,
    #[serde(default, rename = "param")]
    pub params: Vec<ParamFile>,
    #[serde(default)]
    pub knee: Option<KneeFile>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SweepMeta {
    pub name: String,
    /// A bundled scenario's name, or a scenario file (relative to the sweep file).
    pub base: String,
    #[serde(default = "one")]
    pub repetitions: u32,
    /// Seed of the first repetition (default: the base scenario's seed).
    #[serde(default)]
    pub seed: Option<u64>,
    /// How long each run simulates (default: long enough for the workloads to finish).
    #[serde(default)]
    pub duration: Option<Dur>,
    #[serde(default)]
    pub mode: ModeChoice,
    /// The parameter on the charts' x axis (default: the first numeric one).
    #[serde(default)]
    pub x: Option<String>,
}

fn one() -> u32 {
    1
}

/// Bulk (connection-level) or packet-by-packet runs.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ModeChoice {
    /// Bulk where it models the point faithfully, packet by packet otherwise.
    #[default]
    Auto,
    Bulk,
    Packet,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ParamFile {
    /// A column name (default: the path).
    #[serde(default)]
    pub name: Option<String>,
    /// Where the value goes: a scenario path (`workload.rate`, `host[rs1].server.workers`,
    /// `host[*].time_wait`, `segment[lan].bandwidth`), a live IPVS setting
    /// (`ipvs.scheduler`, `ipvs.flags`, `ipvs.persistent`, `ipvs.weight[10.0.0.11:80]`,
    /// `ipvs.timeout.tcp|tcpfin|udp`) or `real-servers` (with `template`).
    pub path: String,
    #[serde(default)]
    pub values: Option<Vec<toml::Value>>,
    #[serde(default)]
    pub range: Option<RangeFile>,
    /// For `real-servers`: the real-server host that is copied.
    #[serde(default)]
    pub template: Option<String>,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RangeFile {
    pub from: f64,
    pub to: f64,
    /// Linear steps of this size...
    #[serde(default)]
    pub step: Option<f64>,
    /// ...or this many points (linear, or geometric with `scale = "log"`).
    #[serde(default)]
    pub points: Option<u32>,
    #[serde(default)]
    pub scale: Scale,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scale {
    #[default]
    Linear,
    Log,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KneeFile {
    /// The arrival-rate parameter (a `[[param]]`'s name or path).
    pub param: String,
    /// Search bounds (default: that parameter's lowest and highest value).
    #[serde(default)]
    pub low: Option<f64>,
    #[serde(default)]
    pub high: Option<f64>,
    /// Stop when the bracket is narrower than this fraction of the rate (default 0.02).
    #[serde(default)]
    pub precision: Option<f64>,
}

impl SweepFile {
    pub fn parse(file_name: &str, text: &str) -> Result<SweepFile, Vec<Diagnostic>> {
        diag::parse_toml(file_name, text, "; see docs/sweeps.md")
    }
}
