//! `lvslab apply SCENARIO [--node NAME] [--dry-run] [--prune] [--force]`: make a director's
//! live IPVS table match the design. Prints the plan, applies it, reads the table back and
//! verifies it; on any failure rolls back to the table as it was and says what happened.

use super::kernel::{connect, explain, KernelAccess};
use super::{load_checked, pick_director, Io, EXIT_REFUSED, EXIT_ROLLBACK_FAILED};
use crate::apply::{apply_with, dry_run, ApplyError, ApplyOptions, RollbackOutcome};
use crate::live::{BackendError, IpvsBackend};
use crate::memory::MemoryIpvs;
use lvslab_sim::admin::{IpvsOp, LvsConfig};

/// Environment variable that makes the Nth operation sent to the kernel fail (1-based),
/// to show a rollback on a real kernel.
pub const FAIL_AT_STEP_ENV: &str = "LVSLAB_FAIL_AT_STEP";

#[derive(Clone, Debug, Default)]
pub struct ApplyArgs {
    pub scenario: String,
    pub node: Option<String>,
    pub dry_run: bool,
    pub prune: bool,
    pub force: bool,
    /// Fail the Nth operation (see [`FAIL_AT_STEP_ENV`]).
    pub fail_at_step: Option<usize>,
}

/// A backend whose Nth `apply_op` fails without reaching the wrapped table.
pub struct FailAtStep<'a> {
    inner: &'a mut dyn IpvsBackend,
    step: usize,
    seen: usize,
}

impl<'a> FailAtStep<'a> {
    pub fn new(inner: &'a mut dyn IpvsBackend, step: usize) -> Self {
        FailAtStep {
            inner,
            step,
            seen: 0,
        }
    }
}

impl IpvsBackend for FailAtStep<'_> {
    fn read(&mut self) -> Result<LvsConfig, BackendError> {
        self.inner.read()
    }
    fn apply_op(&mut self, op: &IpvsOp) -> Result<(), BackendError> {
        self.seen += 1;
        if self.seen == self.step {
            return Err(BackendError::Errno {
                errno: 5,
                what: crate::live::op_name(op).into(),
                message: format!("failure injected by {FAIL_AT_STEP_ENV}={}", self.step),
            });
        }
        self.inner.apply_op(op)
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
}

/// Runs `lvslab apply`. With `backend` None the kernel is used (over netlink); tests pass
/// a [`MemoryIpvs`]. Returns the exit status.
pub fn apply(
    args: &ApplyArgs,
    backend: Option<&mut dyn IpvsBackend>,
    io: &mut Io,
) -> std::io::Result<i32> {
    let verb = if args.dry_run { "plan" } else { "apply" };
    let Some(sc) = load_checked(&args.scenario, args.force, verb, io)? else {
        return Ok(EXIT_REFUSED);
    };
    let director = match pick_director(&sc, args.node.as_deref()) {
        Ok(d) => d,
        Err(e) => {
            writeln!(io.err, "lvslab: {e}")?;
            return Ok(EXIT_REFUSED);
        }
    };

    let mut notes = Vec::new();
    let mut kernel;
    let mut empty = MemoryIpvs::default();
    let target: &mut dyn IpvsBackend = match backend {
        Some(b) => b,
        None => match connect(!args.dry_run, &mut notes) {
            KernelAccess::Ready(n) => {
                kernel = n;
                &mut kernel
            }
            KernelAccess::Unavailable(why) if args.dry_run => {
                writeln!(io.err, "lvslab: cannot read the live IPVS table: {why}")?;
                writeln!(
                    io.err,
                    "lvslab: dry run: planning against an EMPTY table instead (the plan shows everything the design needs)"
                )?;
                &mut empty
            }
            KernelAccess::Unavailable(why) => {
                writeln!(io.err, "lvslab: cannot apply: {why}")?;
                return Ok(EXIT_REFUSED);
            }
        },
    };
    for n in &notes {
        writeln!(io.err, "lvslab: {n}")?;
    }

    let want = &director.config;
    let opts = ApplyOptions {
        prune: args.prune,
        ..ApplyOptions::default()
    };
    // The plan first, as it will be applied (apply plans again from a fresh read).
    let preview = match dry_run(target, want, args.prune) {
        Ok(r) => r,
        Err(ApplyError::Read(e)) if args.dry_run => {
            writeln!(
                io.err,
                "lvslab: cannot read the live IPVS table: {}",
                explain(&e)
            )?;
            writeln!(
                io.err,
                "lvslab: dry run: planning against an EMPTY table instead (the plan shows everything the design needs)"
            )?;
            return finish_dry_run(&mut empty, want, &director.host, &sc.file_name, args, io);
        }
        Err(e) => return report_error(&e, io),
    };
    writeln!(
        io.out,
        "director `{}` of {} -> {}",
        director.host,
        sc.file_name,
        target.describe()
    )?;
    write_plan(&preview.plan, args.prune, io)?;
    if args.dry_run {
        writeln!(io.out, "dry run: nothing was changed")?;
        return Ok(0);
    }
    if preview.plan.is_empty() {
        writeln!(
            io.out,
            "the live table already matches the design: nothing to do"
        )?;
        return Ok(0);
    }

    let mut faulty;
    let target: &mut dyn IpvsBackend = match args.fail_at_step {
        Some(n) => {
            writeln!(
                io.err,
                "lvslab: {FAIL_AT_STEP_ENV}={n}: operation {n} will be made to fail"
            )?;
            faulty = FailAtStep::new(target, n);
            &mut faulty
        }
        None => target,
    };
    match apply_with(target, want, opts) {
        Ok(r) => {
            let dests: usize = r.after.services.iter().map(|s| s.dests.len()).sum();
            writeln!(
                io.out,
                "applied {} operation(s); read back {} service(s) with {dests} real server(s): the table matches the design",
                r.plan.len(),
                r.after.services.len()
            )?;
            for key in &r.plan.order_differs {
                writeln!(
                    io.out,
                    "note: {key}: existing real servers were kept in place, so the kernel's list order differs from the design"
                )?;
            }
            Ok(0)
        }
        Err(e) => report_error(&e, io),
    }
}

fn finish_dry_run(
    empty: &mut MemoryIpvs,
    want: &LvsConfig,
    host: &str,
    file: &str,
    args: &ApplyArgs,
    io: &mut Io,
) -> std::io::Result<i32> {
    match dry_run(empty, want, args.prune) {
        Ok(r) => {
            writeln!(
                io.out,
                "director `{host}` of {file} -> {} (empty)",
                empty.describe()
            )?;
            write_plan(&r.plan, args.prune, io)?;
            writeln!(io.out, "dry run: nothing was changed")?;
            Ok(0)
        }
        Err(e) => report_error(&e, io),
    }
}

fn write_plan(plan: &crate::plan::Plan, prune: bool, io: &mut Io) -> std::io::Result<()> {
    if plan.is_empty() {
        writeln!(io.out, "plan: no changes")?;
    } else {
        writeln!(
            io.out,
            "plan: {} operation(s){}",
            plan.len(),
            if prune {
                " (--prune: services not in the design are deleted)"
            } else {
                ""
            }
        )?;
        write!(io.out, "{plan}")?;
    }
    Ok(())
}

fn report_error(e: &ApplyError, io: &mut Io) -> std::io::Result<i32> {
    match e {
        ApplyError::Read(b) => {
            writeln!(
                io.err,
                "lvslab: cannot read the live IPVS table: {}",
                explain(b)
            )?;
            Ok(EXIT_REFUSED)
        }
        ApplyError::Aborted {
            failure,
            plan,
            applied,
            rollback,
        } => {
            writeln!(io.err, "lvslab: apply FAILED: {failure}")?;
            writeln!(
                io.err,
                "lvslab: {applied} of {} planned operation(s) had been applied; {rollback}",
                plan.len()
            )?;
            if let RollbackOutcome::Restored { plan } = rollback {
                if !plan.is_empty() {
                    writeln!(io.err, "rollback operations:")?;
                    write!(io.err, "{plan}")?;
                }
            }
            Ok(match rollback {
                RollbackOutcome::Failed { .. } => EXIT_ROLLBACK_FAILED,
                _ => EXIT_REFUSED,
            })
        }
    }
}
