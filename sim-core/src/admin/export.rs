//! Exporters: what a real director and its real servers need to run a scenario's design.
//!
//! Pure functions over the built model (no I/O), so the browser offers the same files as
//! `lvslab export`:
//! * `ipvsadm -R` rules, byte for byte what `ipvsadm -Sn` prints for that table;
//! * the director's sysctls (a sysctl.d file);
//! * a setup script and a matching teardown script for every real server, for the
//!   forwarding method(s) its director uses towards it;
//! * keepalived.conf (the director's own keepalived configuration, or its table as
//!   `virtual_server` sections);
//! * the reverse direction, an IPVS table as a scenario file ([`scenario_from_table`]).

mod realserver;
mod scenario;
mod sysctl;
#[cfg(test)]
mod tests;

pub use scenario::{scenario_from_table, ImportedTable};

use crate::admin::LvsConfig;
use crate::engine::Simulation;
use crate::ipvs::snapshot::IpvsSnapshot;
use crate::scenario::diag::{Diagnostic, Severity};
use crate::scenario::Scenario;
use crate::time::SimTime;
use std::fmt;

/// What to export.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Ipvsadm,
    Keepalived,
    RealServer,
    Sysctl,
    /// Everything.
    All,
}

impl Target {
    pub const NAMES: &'static [&'static str] =
        &["ipvsadm", "keepalived", "realserver", "sysctl", "all"];
}

impl std::str::FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "ipvsadm" => Ok(Target::Ipvsadm),
            "keepalived" => Ok(Target::Keepalived),
            "realserver" | "real-server" => Ok(Target::RealServer),
            "sysctl" => Ok(Target::Sysctl),
            "all" => Ok(Target::All),
            other => Err(format!(
                "unknown export target `{other}` (one of: {})",
                Target::NAMES.join(", ")
            )),
        }
    }
}

/// The kind of an exported file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Input for `ipvsadm -R`.
    IpvsadmRules,
    /// A sysctl.d file for the director (`sysctl -p FILE`).
    DirectorSysctl,
    RealServerSetup,
    RealServerTeardown,
    KeepalivedConf,
}

/// One exported file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportFile {
    /// The host it is for.
    pub node: String,
    pub kind: FileKind,
    /// File name, e.g. `director.ipvsadm`, `rs1.setup.sh`.
    pub name: String,
    pub content: String,
    /// Shell scripts are executable.
    pub executable: bool,
}

/// Files plus what the user should know about them (settings that a file format cannot
/// carry, real servers that are not hosts of the scenario...).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Export {
    pub files: Vec<ExportFile>,
    pub notes: Vec<String>,
}

/// Why nothing could be exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportError {
    /// The scenario has errors, so there is no model to export.
    Invalid(Vec<Diagnostic>),
    NoSuchNode {
        node: String,
        known: Vec<String>,
    },
    /// The request makes sense but there is nothing of that kind (for that node).
    Nothing(String),
    /// A value the files need cannot be derived from the scenario.
    CannotDerive {
        node: String,
        message: String,
    },
}

impl fmt::Display for ExportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExportError::Invalid(d) => {
                for x in d.iter().filter(|x| x.severity == Severity::Error) {
                    writeln!(f, "{x}")?;
                }
                write!(
                    f,
                    "the scenario has errors, so there is no design to export"
                )
            }
            ExportError::NoSuchNode { node, known } => write!(
                f,
                "no host `{node}` in this scenario (it has: {})",
                known.join(", ")
            ),
            ExportError::Nothing(m) => f.write_str(m),
            ExportError::CannotDerive { node, message } => write!(f, "{node}: {message}"),
        }
    }
}

impl std::error::Error for ExportError {}

/// `ipvsadm -Sn` of a table: feed it to `ipvsadm -R`. Like the real command it carries
/// neither thresholds (-x/-y), timeouts (--set) nor sync daemons; see [`unsaved_settings`].
pub fn ipvsadm_rules(table: &LvsConfig) -> String {
    crate::admin::ipvsadm::render_save(&IpvsSnapshot::from_config(table), true)
}

/// Settings of `table` that `ipvsadm -Sn` (and so [`ipvsadm_rules`]) leaves out, as the
/// ipvsadm commands that would set them.
pub fn unsaved_settings(table: &LvsConfig) -> Vec<String> {
    let mut out = Vec::new();
    let t = table.timeouts;
    if t != crate::admin::Timeouts::default() {
        out.push(format!(
            "timeouts are not part of `ipvsadm -S`: run `ipvsadm --set {} {} {}`",
            t.tcp, t.tcp_fin, t.udp
        ));
    }
    for s in &table.services {
        for d in &s.dests {
            if d.u_threshold != 0 || d.l_threshold != 0 {
                out.push(format!(
                    "thresholds are not part of `ipvsadm -S`: run `ipvsadm -e {} -r {} -x {} -y {}` after restoring",
                    s.config.key,
                    crate::admin::format_addr_port(&d.addr, d.port),
                    d.u_threshold,
                    d.l_threshold
                ));
            }
        }
    }
    if !table.daemons.is_empty() {
        out.push(
            "sync daemons are not part of `ipvsadm -S`: start them with `ipvsadm --start-daemon`"
                .into(),
        );
    }
    out
}

/// keepalived.conf for a director: its own keepalived configuration when the scenario gives
/// one, otherwise the director's IPVS table as keepalived `virtual_server` sections (with
/// every value written out: keepalived's defaults differ from ipvsadm's).
pub fn keepalived_conf(sim: &Simulation, director: &str) -> Result<String, ExportError> {
    use super::keepalived::{lvs, render, GlobalDefs, KeepalivedConfig};
    if let Some(ka) = sim.keepalived_on(director) {
        return Ok(render(&ka.cfg));
    }
    let host = sim
        .hosts
        .iter()
        .find(|h| h.name == director)
        .ok_or_else(|| ExportError::Nothing(format!("no host named `{director}`")))?;
    let ipvs = host
        .ipvs
        .as_ref()
        .ok_or_else(|| ExportError::Nothing(format!("{director} runs no IPVS")))?;
    let virtual_servers =
        lvs::from_lvs(ipvs.config()).map_err(|message| ExportError::CannotDerive {
            node: director.to_string(),
            message,
        })?;
    let cfg = KeepalivedConfig {
        global: GlobalDefs {
            router_id: Some(director.to_string()),
            ..GlobalDefs::default()
        },
        scripts: Vec::new(),
        sync_groups: Vec::new(),
        instances: Vec::new(),
        virtual_servers,
    };
    Ok(render(&cfg))
}

/// Builds the scenario and exports `target` for every host it concerns, or only `node`.
pub fn export(sc: &Scenario, target: Target, node: Option<&str>) -> Result<Export, ExportError> {
    let (sim, _warnings) = sc.build(None).map_err(ExportError::Invalid)?;
    export_from(&sim, &sc.spec.scenario.name, target, node)
}

/// Exports from an already built simulation (at its current state: call it before running
/// to get the design as written).
pub fn export_from(
    sim: &Simulation,
    scenario: &str,
    target: Target,
    node: Option<&str>,
) -> Result<Export, ExportError> {
    if let Some(n) = node {
        if !sim.hosts.iter().any(|h| h.name == n) {
            return Err(ExportError::NoSuchNode {
                node: n.into(),
                known: sim.hosts.iter().map(|h| h.name.clone()).collect(),
            });
        }
    }
    let directors: Vec<&str> = sim
        .hosts
        .iter()
        .filter(|h| h.ipvs.is_some())
        .map(|h| h.name.as_str())
        .filter(|h| node.is_none_or(|n| n == *h))
        .collect();
    let mut out = Export::default();
    let wants = |t: Target| target == t || target == Target::All;

    if wants(Target::Ipvsadm) {
        for d in &directors {
            let table = director_table(sim, d);
            out.files.push(ExportFile {
                node: d.to_string(),
                kind: FileKind::IpvsadmRules,
                name: format!("{d}.ipvsadm"),
                content: ipvsadm_rules(&table),
                executable: false,
            });
            out.notes.extend(
                unsaved_settings(&table)
                    .into_iter()
                    .map(|n| format!("{d}: {n}")),
            );
        }
    }
    if wants(Target::Sysctl) {
        for d in &directors {
            out.files.push(ExportFile {
                node: d.to_string(),
                kind: FileKind::DirectorSysctl,
                name: format!("{d}.sysctl.conf"),
                content: sysctl::director_sysctl_conf(sim, scenario, d),
                executable: false,
            });
        }
    }
    if wants(Target::Keepalived) {
        for d in &directors {
            match keepalived_conf(sim, d) {
                Ok(text) => out.files.push(ExportFile {
                    node: d.to_string(),
                    kind: FileKind::KeepalivedConf,
                    name: format!("{d}.keepalived.conf"),
                    content: text,
                    executable: false,
                }),
                Err(e) if target == Target::All => out.notes.push(format!("{d}: skipped: {e}")),
                Err(e) => return Err(e),
            }
        }
    }
    if wants(Target::RealServer) {
        let (plans, notes) = realserver::plans(sim, scenario)?;
        out.notes.extend(notes);
        for p in plans.iter().filter(|p| node.is_none_or(|n| n == p.host)) {
            let (setup, teardown) = realserver::scripts(p);
            out.files.push(ExportFile {
                node: p.host.clone(),
                kind: FileKind::RealServerSetup,
                name: format!("{}.setup.sh", p.host),
                content: setup,
                executable: true,
            });
            out.files.push(ExportFile {
                node: p.host.clone(),
                kind: FileKind::RealServerTeardown,
                name: format!("{}.teardown.sh", p.host),
                content: teardown,
                executable: true,
            });
        }
    }
    if out.files.is_empty() {
        let what = match target {
            Target::Ipvsadm => "ipvsadm rules",
            Target::Keepalived => "keepalived.conf",
            Target::RealServer => "real-server scripts",
            Target::Sysctl => "director sysctls",
            Target::All => "files",
        };
        let why = match (node, target) {
            (Some(n), Target::RealServer) => {
                format!("`{n}` is not a real server of any director in this scenario")
            }
            (Some(n), Target::All) => format!("`{n}` is neither a director nor a real server"),
            (Some(n), _) => format!("`{n}` is not a director (it has no IPVS table)"),
            (None, Target::RealServer) => {
                "no director has a real server that is a host of the scenario".into()
            }
            (None, _) => "the scenario has no director".into(),
        };
        return Err(ExportError::Nothing(format!("no {what} to export: {why}")));
    }
    Ok(out)
}

/// The IPVS table of a director as the scenario defines it.
fn director_table(sim: &Simulation, director: &str) -> LvsConfig {
    sim.hosts
        .iter()
        .find(|h| h.name == director)
        .and_then(|h| h.ipvs.as_ref())
        .map(|i| i.config().clone())
        .unwrap_or_default()
}

/// Simulated traffic longer than this is not waited for before an export.
pub const CHECK_MAX_SIMULATED: SimTime = SimTime(30 * crate::time::NANOS_PER_SEC);

/// Outcome of running a scenario's own workload before exporting or applying it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrafficCheck {
    /// Simulated seconds that were run.
    pub simulated_ms: u64,
    pub sent: u64,
    pub completed: u64,
    pub failed: u64,
    /// Failure reasons with counts.
    pub failures: Vec<(String, u64)>,
}

/// Validation plus a short simulation: is this design worth deploying?
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DesignCheck {
    pub diagnostics: Vec<Diagnostic>,
    /// None when the scenario has errors (nothing was run).
    pub traffic: Option<TrafficCheck>,
}

impl DesignCheck {
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }
    pub fn warnings(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Warning)
    }
    /// What stands against deploying this design (empty: nothing).
    pub fn problems(&self) -> Vec<String> {
        let mut p: Vec<String> = self.errors().map(|d| d.to_string()).collect();
        if let Some(t) = &self.traffic {
            if t.failed > 0 {
                let reasons: Vec<String> = t
                    .failures
                    .iter()
                    .map(|(r, n)| format!("{n} x {r}"))
                    .collect();
                p.push(format!(
                    "in simulation {} of {} request(s) failed ({})",
                    t.failed,
                    t.sent,
                    reasons.join(", ")
                ));
            }
        }
        p
    }
}

/// Validates `sc` and runs its workload for at most [`CHECK_MAX_SIMULATED`].
pub fn check_design(sc: &Scenario) -> DesignCheck {
    match sc.build(None) {
        Err(diagnostics) => DesignCheck {
            diagnostics,
            traffic: None,
        },
        Ok((mut sim, diagnostics)) => {
            if sim.end > CHECK_MAX_SIMULATED {
                sim.end = CHECK_MAX_SIMULATED;
            }
            sim.run();
            let r = sim.report();
            DesignCheck {
                diagnostics,
                traffic: Some(TrafficCheck {
                    simulated_ms: sim.end.as_nanos() / 1_000_000,
                    sent: r.requests.sent,
                    completed: r.requests.completed,
                    failed: r.requests.failed,
                    failures: r
                        .requests
                        .failures
                        .iter()
                        .map(|x| (x.reason.clone(), x.count))
                        .collect(),
                }),
            }
        }
    }
}
