//! `lvslab export`, `lvslab apply` and `lvslab import`: from a simulated design to a real
//! director and back.
//!
//! Every command writes its product to `out` (stdout) and its messages to `err` (stderr),
//! so a script can pipe `lvslab export --to ipvsadm` straight into `ipvsadm -R`.

mod apply_cmd;
mod export_cmd;
mod import_cmd;
mod kernel;

pub use apply_cmd::{apply, ApplyArgs, FailAtStep, FAIL_AT_STEP_ENV};
pub use export_cmd::{export, ExportArgs};
pub use import_cmd::{import, rules_for_table, table_from_save, ImportArgs, ImportSource};
pub use kernel::{has_cap_net_admin, KernelAccess};

use crate::scenario_io::load;
use lvslab_sim::admin::export::{check_design, DesignCheck};
use lvslab_sim::scenario::Scenario;
use std::io::Write;

/// Exit status when the input was refused (invalid design, bad arguments, no access).
pub const EXIT_REFUSED: i32 = 1;
/// Exit status when a rollback after a failed apply did not restore the table.
pub const EXIT_ROLLBACK_FAILED: i32 = 3;

/// Where a command writes: its product and its messages.
pub struct Io<'a> {
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
}

/// Loads a scenario and checks it is fit to deploy: no errors, and its own workload runs
/// in simulation without failed requests. Prints the warnings and the verdict. Returns the
/// scenario when it may be used (`force` lets a failing design through, but not one with
/// errors: that has no model to deploy).
pub(crate) fn load_checked(
    path: &str,
    force: bool,
    verb: &str,
    io: &mut Io,
) -> std::io::Result<Option<Scenario>> {
    let sc = match load(path) {
        Ok(s) => s,
        Err(e) => {
            writeln!(io.err, "{e}")?;
            return Ok(None);
        }
    };
    let check = check_design(&sc);
    report_check(&sc, &check, io)?;
    let problems = check.problems();
    if check.errors().next().is_some() {
        writeln!(
            io.err,
            "lvslab: refusing to {verb} {}: the design has errors (listed above); fix them first",
            sc.file_name
        )?;
        return Ok(None);
    }
    if !problems.is_empty() {
        if force {
            writeln!(
                io.err,
                "lvslab: {verb} anyway (--force), although: {}",
                problems.join("; ")
            )?;
        } else {
            writeln!(
                io.err,
                "lvslab: refusing to {verb} {}: {} (use --force to {verb} it anyway)",
                sc.file_name,
                problems.join("; ")
            )?;
            return Ok(None);
        }
    }
    Ok(Some(sc))
}

fn report_check(sc: &Scenario, check: &DesignCheck, io: &mut Io) -> std::io::Result<()> {
    for d in &check.diagnostics {
        writeln!(io.err, "{d}")?;
    }
    let errors = check.errors().count();
    let warnings = check.warnings().count();
    let traffic = match &check.traffic {
        None => "not simulated".to_string(),
        Some(t) if t.sent == 0 => format!(
            "no requests in {:.1} simulated s (the scenario has no workload to check)",
            t.simulated_ms as f64 / 1000.0
        ),
        Some(t) => format!(
            "{} of {} simulated request(s) completed, {} failed",
            t.completed, t.sent, t.failed
        ),
    };
    writeln!(
        io.err,
        "design check of {}: {errors} error(s), {warnings} warning(s); {traffic}",
        sc.file_name
    )
}

/// The director of a scenario to work on: `node`, or the only one.
pub(crate) fn pick_director(
    sc: &Scenario,
    node: Option<&str>,
) -> Result<lvslab_sim::scenario::DirectorTable, String> {
    let tables = sc
        .director_tables()
        .map_err(|_| format!("{}: the scenario has errors", sc.file_name))?;
    let names: Vec<&str> = tables.iter().map(|t| t.host.as_str()).collect();
    match node {
        Some(n) => tables.iter().find(|t| t.host == n).cloned().ok_or_else(|| {
            if sc.spec.hosts.iter().any(|h| h.name == n) {
                format!(
                    "`{n}` is not a director (it has no IPVS table); directors: {}",
                    names.join(", ")
                )
            } else {
                format!(
                    "no host `{n}` in {}; directors: {}",
                    sc.file_name,
                    names.join(", ")
                )
            }
        }),
        None => match tables.len() {
            0 => Err(format!(
                "{} has no director (no host with an IPVS table)",
                sc.file_name
            )),
            1 => Ok(tables[0].clone()),
            _ => Err(format!(
                "{} has {} directors ({}): choose one with --node",
                sc.file_name,
                tables.len(),
                names.join(", ")
            )),
        },
    }
}

#[cfg(test)]
mod tests;
