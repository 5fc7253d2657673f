//! Applying a wanted table to a backend: read the live table, plan, check the plan against
//! the kernel's rules, apply it step by step, read back and verify. If a step or the
//! verification fails, the table is rolled back to the state read at the start, and the
//! error says which step failed with what, and whether the rollback restored that state.

// An aborted apply carries the whole story (plan, failing step, rollback plan); it happens
// once per run, so its size does not matter.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

use crate::live::{BackendError, IpvsBackend};
use crate::plan::{differences, format_op, op_sign, plan_with, simulate, Plan, PlanOptions};
use lvslab_sim::admin::{IpvsError, IpvsOp, LvsConfig};
use std::fmt;

/// How to apply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ApplyOptions {
    /// Delete services (and stop daemons) the wanted table does not have.
    pub prune: bool,
    /// Reorder dests that stay (delete and re-add) so that list order matches exactly.
    pub exact_order: bool,
    /// Only plan (and check the plan against the kernel's rules); change nothing.
    pub dry_run: bool,
}

/// What a successful apply (or dry run) did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyReport {
    /// Which backend was changed.
    pub backend: String,
    /// The table read at the start.
    pub before: LvsConfig,
    /// The operations (all applied, unless this was a dry run).
    pub plan: Plan,
    pub dry_run: bool,
    /// The table read back after applying; for a dry run, the table the plan would produce.
    pub after: LvsConfig,
}

impl fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.plan)?;
        let n = self.plan.len();
        if self.dry_run {
            writeln!(
                f,
                "dry run: {n} operation(s) planned for {}, nothing changed",
                self.backend
            )?;
        } else if n == 0 {
            writeln!(f, "{} already matches; nothing to do", self.backend)?;
        } else {
            writeln!(
                f,
                "{n} operation(s) applied to {} and verified",
                self.backend
            )?;
        }
        for key in &self.plan.order_differs {
            writeln!(
                f,
                "note: {key}: existing real servers were kept in place, so the kernel's list order differs from the design (use exact order to re-add them)"
            )?;
        }
        Ok(())
    }
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyFailure {
    /// The kernel's rules refuse this step; found before anything was changed.
    Refused {
        index: usize,
        op: IpvsOp,
        error: IpvsError,
    },
    /// This step failed on the backend.
    Step {
        index: usize,
        op: IpvsOp,
        error: BackendError,
    },
    /// The table could not be read back after the last step.
    ReadBack(BackendError),
    /// The table read back does not match what was wanted.
    Verify(Vec<String>),
}

impl fmt::Display for ApplyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplyFailure::Refused { index, op, error } => write!(
                f,
                "step {} ({} {}) would be refused: {error}",
                index + 1,
                op_sign(op),
                format_op(op)
            ),
            ApplyFailure::Step { index, op, error } => {
                write!(
                    f,
                    "step {} ({} {}) failed: {error}",
                    index + 1,
                    op_sign(op),
                    format_op(op)
                )
            }
            ApplyFailure::ReadBack(e) => write!(f, "reading the table back failed: {e}"),
            ApplyFailure::Verify(diffs) => {
                write!(
                    f,
                    "the table read back differs from the design: {}",
                    diffs.join("; ")
                )
            }
        }
    }
}

/// Whether the starting state was restored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RollbackOutcome {
    /// Nothing had been changed, so there was nothing to undo.
    NothingChanged,
    /// The table was read back equal to the starting state, after these operations.
    Restored { plan: Plan },
    /// The rollback did not restore the starting state.
    Failed {
        plan: Plan,
        steps_done: usize,
        reason: String,
    },
}

impl fmt::Display for RollbackOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RollbackOutcome::NothingChanged => write!(f, "nothing was changed"),
            RollbackOutcome::Restored { plan } => {
                write!(f, "rolled back with {} operation(s); the table is as it was before", plan.len())
            }
            RollbackOutcome::Failed { plan, steps_done, reason } => write!(
                f,
                "ROLLBACK FAILED after {steps_done} of {} operation(s): {reason}; the table is in an intermediate state",
                plan.len()
            ),
        }
    }
}

/// Why an apply did not complete.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    /// The live table could not be read at the start; nothing was changed.
    #[error("could not read the live IPVS table: {0}")]
    Read(BackendError),
    /// A step or the verification failed; see `rollback` for the state left behind.
    #[error("{failure}; {rollback} ({applied} of {total} planned operation(s) had been applied)", total = plan.len())]
    Aborted {
        failure: ApplyFailure,
        plan: Plan,
        applied: usize,
        rollback: RollbackOutcome,
    },
}

/// Applies `want` to the backend (see the module doc); `prune` deletes unwanted services.
pub fn apply(
    backend: &mut dyn IpvsBackend,
    want: &LvsConfig,
    prune: bool,
) -> Result<ApplyReport, ApplyError> {
    apply_with(
        backend,
        want,
        ApplyOptions {
            prune,
            ..ApplyOptions::default()
        },
    )
}

/// Plans only: the live table, the plan and the table it would produce.
pub fn dry_run(
    backend: &mut dyn IpvsBackend,
    want: &LvsConfig,
    prune: bool,
) -> Result<ApplyReport, ApplyError> {
    apply_with(
        backend,
        want,
        ApplyOptions {
            prune,
            dry_run: true,
            ..ApplyOptions::default()
        },
    )
}

/// `apply` with all options.
pub fn apply_with(
    backend: &mut dyn IpvsBackend,
    want: &LvsConfig,
    opts: ApplyOptions,
) -> Result<ApplyReport, ApplyError> {
    let before = backend.read().map_err(ApplyError::Read)?;
    let plan = plan_with(
        &before,
        want,
        PlanOptions {
            prune: opts.prune,
            exact_order: opts.exact_order,
        },
    );

    let expected = match simulate(&before, &plan) {
        Ok(t) => t,
        Err((index, error)) => {
            let op = plan.ops[index].clone();
            return Err(ApplyError::Aborted {
                failure: ApplyFailure::Refused { index, op, error },
                plan,
                applied: 0,
                rollback: RollbackOutcome::NothingChanged,
            });
        }
    };
    if opts.dry_run {
        return Ok(ApplyReport {
            backend: backend.describe(),
            before,
            plan,
            dry_run: true,
            after: expected,
        });
    }

    let mut applied = 0;
    for (index, op) in plan.ops.iter().enumerate() {
        if let Err(error) = backend.apply_op(op) {
            let failure = ApplyFailure::Step {
                index,
                op: op.clone(),
                error,
            };
            return Err(abort(backend, &before, failure, plan, applied));
        }
        applied += 1;
    }

    let after = match backend.read() {
        Ok(t) => t,
        Err(e) => {
            return Err(abort(
                backend,
                &before,
                ApplyFailure::ReadBack(e),
                plan,
                applied,
            ))
        }
    };
    // The result must be what was wanted, and exactly what the kernel's rules predict
    // (including the list order of the dests the plan touched).
    let mut diffs = differences(&after, want, opts.prune, opts.exact_order);
    if diffs.is_empty() {
        let predicted = LvsConfig {
            services: expected
                .services
                .iter()
                .filter(|s| want.service(&s.config.key).is_some())
                .cloned()
                .collect(),
            timeouts: want.timeouts,
            daemons: want.daemons.clone(),
        };
        diffs = differences(&after, &predicted, opts.prune, true);
    }
    if !diffs.is_empty() {
        return Err(abort(
            backend,
            &before,
            ApplyFailure::Verify(diffs),
            plan,
            applied,
        ));
    }
    Ok(ApplyReport {
        backend: backend.describe(),
        before,
        plan,
        dry_run: false,
        after,
    })
}

fn abort(
    backend: &mut dyn IpvsBackend,
    before: &LvsConfig,
    failure: ApplyFailure,
    plan: Plan,
    applied: usize,
) -> ApplyError {
    let rollback = rollback_to(backend, before);
    ApplyError::Aborted {
        failure,
        plan,
        applied,
        rollback,
    }
}

/// Brings the backend back to `saved` exactly (services, dests in list order, timeouts,
/// daemons) and checks the result by reading it back.
pub fn rollback_to(backend: &mut dyn IpvsBackend, saved: &LvsConfig) -> RollbackOutcome {
    let current = match backend.read() {
        Ok(t) => t,
        Err(e) => {
            return RollbackOutcome::Failed {
                plan: Plan::default(),
                steps_done: 0,
                reason: format!("could not read the table to roll back: {e}"),
            }
        }
    };
    let plan = plan_with(
        &current,
        saved,
        PlanOptions {
            prune: true,
            exact_order: true,
        },
    );
    for (i, op) in plan.ops.iter().enumerate() {
        if let Err(e) = backend.apply_op(op) {
            return RollbackOutcome::Failed {
                reason: format!(
                    "rollback step {} ({} {}) failed: {e}",
                    i + 1,
                    op_sign(op),
                    format_op(op)
                ),
                steps_done: i,
                plan,
            };
        }
    }
    let steps = plan.len();
    match backend.read() {
        Err(e) => RollbackOutcome::Failed {
            plan,
            steps_done: steps,
            reason: format!("could not read the table back after rolling back: {e}"),
        },
        Ok(now) => {
            let diffs = differences(&now, saved, true, true);
            if diffs.is_empty() {
                RollbackOutcome::Restored { plan }
            } else {
                RollbackOutcome::Failed {
                    plan,
                    steps_done: steps,
                    reason: diffs.join("; "),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
