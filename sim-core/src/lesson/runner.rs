//! A lesson's own test: its walkthrough played headless. Every check of a `do` step must
//! fail before the student acts, still fail when the same time passes without the
//! student's actions (replayed from the start: runs are deterministic), and hold after.
//! Predictions with checks and observations must hold when they are revealed.

use super::predicate::EvalCtx;
use super::{Action, Check, Lesson, Outcome, StepKind, Until};
use crate::engine::Simulation;
use crate::time::SimTime;

/// An action as it was performed: after `events` events, at `t`. Replaying the log on a
/// fresh simulation of the same scenario and seed reproduces the state exactly.
#[derive(Clone, Debug, PartialEq)]
pub struct Logged {
    pub events: u64,
    pub t: SimTime,
    pub action: Action,
}

/// Steps `sim` to exactly `events` events and the clock to `t`.
pub fn replay_to(sim: &mut Simulation, events: u64, t: SimTime) {
    while sim.world.metrics.events < events {
        if sim.step().is_none() {
            break;
        }
    }
    if sim.now() < t {
        sim.run_until(t);
    }
}

/// Performs a logged action on a simulation that has replayed up to it.
pub fn replay(sim: &mut Simulation, log: &[Logged]) -> Result<(), String> {
    for l in log {
        replay_to(sim, l.events, l.t);
        l.action.perform(sim)?;
    }
    Ok(())
}

/// When a check was evaluated, and what it had to show then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// A prediction's answer or an observation: must hold.
    Revealed,
    /// A `do` check before the student acts: must fail.
    Before,
    /// A `do` check after the same time without the student's actions: must fail.
    Idle,
    /// A `do` check after the walkthrough: must hold.
    After,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Revealed => "revealed",
            Phase::Before => "before",
            Phase::Idle => "idle",
            Phase::After => "after",
        }
    }
    fn wants_pass(self) -> bool {
        matches!(self, Phase::Revealed | Phase::After)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct CheckReport {
    pub phase: Phase,
    pub line: usize,
    pub outcome: Outcome,
    /// The check showed what this phase requires.
    pub ok: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct StepReport {
    pub index: usize,
    pub kind: &'static str,
    pub line: usize,
    /// Simulated time when the step ended.
    pub t: SimTime,
    pub checks: Vec<CheckReport>,
    /// An action the walkthrough could not perform, or an observation that never came.
    pub error: Option<String>,
}

impl StepReport {
    pub fn ok(&self) -> bool {
        self.error.is_none() && self.checks.iter().all(|c| c.ok)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct LessonReport {
    pub id: String,
    pub steps: Vec<StepReport>,
    /// The lesson's scenario did not build.
    pub error: Option<String>,
}

impl LessonReport {
    pub fn passed(&self) -> bool {
        self.error.is_none() && self.steps.iter().all(|s| s.ok())
    }
}

fn eval(checks: &[Check], sim: &Simulation, ctx: EvalCtx, phase: Phase) -> Vec<CheckReport> {
    checks
        .iter()
        .map(|c| {
            let outcome = c.pred.eval(sim, ctx);
            CheckReport {
                phase,
                line: c.line,
                ok: outcome.pass == phase.wants_pass(),
                outcome,
            }
        })
        .collect()
}

/// Plays to the moment an observation names. Returns the index of the frame found, or an
/// error when it never came.
pub fn play_until(
    sim: &mut Simulation,
    until: &Until,
    from_record: usize,
) -> Result<Option<usize>, String> {
    match until {
        Until::Time(t) => {
            if *t > sim.now() {
                sim.run_until(*t);
            }
            Ok(None)
        }
        Until::Frame { pattern, timeout } => {
            let deadline = sim.now() + *timeout;
            let mut seen = from_record;
            loop {
                let recs = &sim.world.trace.records;
                if let Some(i) = recs[seen.min(recs.len())..]
                    .iter()
                    .position(|r| pattern.matches(r))
                {
                    return Ok(Some(seen + i));
                }
                seen = recs.len();
                match sim.next_event_time() {
                    Some(t) if t <= deadline => {
                        sim.step();
                    }
                    _ => {
                        return Err(format!(
                            "no frame at {} matching the pattern within {}",
                            pattern.node,
                            crate::time::format_duration(*timeout)
                        ))
                    }
                }
            }
        }
    }
}

/// Runs a lesson's walkthrough and reports every check.
pub fn check_walkthrough(lesson: &Lesson) -> LessonReport {
    let mut report = LessonReport {
        id: lesson.id.clone(),
        steps: Vec::new(),
        error: None,
    };
    let build = || {
        lesson.build().map_err(|d| {
            d.first()
                .map(|x| x.to_string())
                .unwrap_or_else(|| "the scenario does not build".into())
        })
    };
    let mut sim = match build() {
        Ok(s) => s,
        Err(e) => {
            report.error = Some(e);
            return report;
        }
    };
    let mut log: Vec<Logged> = Vec::new();
    for (index, step) in lesson.steps.iter().enumerate() {
        let first = sim.world.trace.records.len();
        let ctx = EvalCtx {
            step_first_record: first,
        };
        let mut sr = StepReport {
            index,
            kind: step.kind.name(),
            line: step.line,
            t: sim.now(),
            checks: Vec::new(),
            error: None,
        };
        match &step.kind {
            StepKind::Explain => {}
            StepKind::Predict { until, checks, .. } => {
                if let Some(t) = until {
                    if *t > sim.now() {
                        sim.run_until(*t);
                    }
                }
                sr.checks = eval(checks, &sim, ctx, Phase::Revealed);
            }
            StepKind::Observe { until, checks } => match play_until(&mut sim, until, first) {
                Ok(_) => sr.checks = eval(checks, &sim, ctx, Phase::Revealed),
                Err(e) => sr.error = Some(e),
            },
            StepKind::Do {
                checks,
                walkthrough,
                ..
            } => {
                sr.checks = eval(checks, &sim, ctx, Phase::Before);
                // The same time without the student's actions, from a fresh replay.
                match build().and_then(|mut idle| {
                    replay(&mut idle, &log)?;
                    replay_to(&mut idle, sim.world.metrics.events, sim.now());
                    let ictx = EvalCtx {
                        step_first_record: idle.world.trace.records.len(),
                    };
                    for a in walkthrough.iter().filter(|a| a.is_time()) {
                        a.perform(&mut idle)?;
                    }
                    Ok(eval(checks, &idle, ictx, Phase::Idle))
                }) {
                    Ok(c) => sr.checks.extend(c),
                    Err(e) => sr.error = Some(format!("replay without the actions: {e}")),
                }
                for a in walkthrough {
                    if !a.is_time() {
                        log.push(Logged {
                            events: sim.world.metrics.events,
                            t: sim.now(),
                            action: a.clone(),
                        });
                    }
                    if let Err(e) = a.perform(&mut sim) {
                        sr.error = Some(e);
                        break;
                    }
                }
                sr.checks.extend(eval(checks, &sim, ctx, Phase::After));
            }
        }
        sr.t = sim.now();
        report.steps.push(sr);
    }
    report
}
