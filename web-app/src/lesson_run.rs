//! A lesson being taken in the lab: which step is on screen, the answers given, the checks
//! evaluated on the running simulation, and "show me" (the lesson's walkthrough performed
//! in the lab). The Yew panel renders it; all the logic is here, tested natively.

use crate::driver::Driver;
use lvslab_sim::lesson::predicate::EvalCtx;
use lvslab_sim::lesson::runner::play_until;
use lvslab_sim::lesson::{self, Action, Lesson, Outcome, StepKind, Until};
use std::collections::{BTreeMap, BTreeSet};

/// Every bundled lesson's id and title, in teaching order (cheap: the lessons are loaded,
/// and their scenarios built, only when one is opened). A bundled lesson that does not load
/// is a build bug that tests/lessons catches.
pub fn bundled() -> Vec<lesson::LessonSummary> {
    let mut v: Vec<lesson::LessonSummary> = lvslab_sim::bundled::LESSONS
        .iter()
        .filter_map(|b| lesson::summary(b.name, b.text))
        .collect();
    v.sort_by_key(|l| (l.order, l.id.clone()));
    v
}

/// A bundled lesson, loaded and validated.
pub fn load_bundled(id: &str) -> Result<Lesson, String> {
    let b = lvslab_sim::bundled::find_lesson(id).ok_or_else(|| format!("no lesson `{id}`"))?;
    lesson::load(
        &format!("lessons/{}.toml", b.name),
        b.text,
        &lesson::bundled_scenario,
    )
    .map_err(|d| d.first().map(|x| x.to_string()).unwrap_or_default())
}

/// The hosts a text's references name (the topology highlights them).
pub fn referenced_hosts(t: &str) -> Vec<String> {
    lvslab_sim::lesson::text::spans(t)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|s| match s {
            lvslab_sim::lesson::Span::Ref { target, .. } => match target {
                lvslab_sim::lesson::Ref::Node { host }
                | lvslab_sim::lesson::Ref::Link { host, .. }
                | lvslab_sim::lesson::Ref::Arp { host, .. }
                | lvslab_sim::lesson::Ref::Vrrp { host, .. } => Some(host),
                lvslab_sim::lesson::Ref::Ipvs { director, .. } => Some(director),
                lvslab_sim::lesson::Ref::Field { .. } => None,
            },
            lvslab_sim::lesson::Span::Text(_) => None,
        })
        .collect()
}

/// The header fields and table rows a text points at: (`field:` names, `arp:` host/ip).
pub fn referenced_rows(t: &str) -> (Vec<String>, Vec<(String, String)>) {
    let mut fields = Vec::new();
    let mut arp = Vec::new();
    for s in lvslab_sim::lesson::text::spans(t).unwrap_or_default() {
        if let lvslab_sim::lesson::Span::Ref { target, .. } = s {
            match target {
                lvslab_sim::lesson::Ref::Field { name } => fields.push(name),
                lvslab_sim::lesson::Ref::Arp { host, ip } => arp.push((host, ip)),
                _ => {}
            }
        }
    }
    (fields, arp)
}

pub struct LessonRun {
    pub lesson: Lesson,
    pub step: usize,
    /// The choice picked for each prediction (by step index).
    pub answers: BTreeMap<usize, usize>,
    /// `do` steps whose checks held (they stay done).
    pub done: BTreeSet<usize>,
    /// Trace records before this index belong to earlier steps.
    pub step_first_record: usize,
    /// The frame an observation found (the inspector shows it).
    pub focus: Option<usize>,
    /// Steps whose moment was played to (observations, revealed predictions).
    pub revealed: BTreeSet<usize>,
}

impl LessonRun {
    /// Starts a lesson: its own simulation (seed, faults as the lesson says) in a driver.
    pub fn start(lesson: Lesson) -> Result<(LessonRun, Driver), String> {
        let sim = lesson.build().map_err(|d| {
            d.first()
                .map(|x| x.to_string())
                .unwrap_or_else(|| "the scenario does not build".into())
        })?;
        let drop_faults = !lesson.faults;
        let d = Driver::with_sim(
            &lesson.scenario,
            &lesson.scenario_text,
            sim,
            Vec::new(),
            drop_faults,
        );
        let run = LessonRun {
            lesson,
            step: 0,
            answers: BTreeMap::new(),
            done: BTreeSet::new(),
            step_first_record: d.records().len(),
            focus: None,
            revealed: BTreeSet::new(),
        };
        Ok((run, d))
    }

    pub fn current(&self) -> &lesson::Step {
        &self.lesson.steps[self.step]
    }

    pub fn is_last(&self) -> bool {
        self.step + 1 >= self.lesson.steps.len()
    }

    /// The current step's checks, evaluated now.
    pub fn checks(&self, d: &Driver) -> Vec<Outcome> {
        let ctx = EvalCtx {
            step_first_record: self.step_first_record,
        };
        self.current()
            .kind
            .checks()
            .iter()
            .map(|c| c.pred.eval(&d.sim, ctx))
            .collect()
    }

    /// Marks the current `do` step done when its checks hold (called as the lab runs).
    pub fn update(&mut self, d: &Driver) {
        if matches!(self.current().kind, StepKind::Do { .. })
            && !self.done.contains(&self.step)
            && self.checks(d).iter().all(|o| o.pass)
        {
            self.done.insert(self.step);
        }
    }

    /// Whether the student may go on: a prediction is answered, a task is done, an
    /// observation was played to.
    pub fn can_advance(&self) -> bool {
        match &self.current().kind {
            StepKind::Explain => true,
            StepKind::Predict { .. } => self.answers.contains_key(&self.step),
            StepKind::Observe { .. } => self.revealed.contains(&self.step),
            StepKind::Do { .. } => self.done.contains(&self.step),
        }
    }

    /// Answers the current prediction (once), then plays to its moment if it has one.
    pub fn answer(&mut self, choice: usize, d: &mut Driver) {
        let StepKind::Predict { choices, until, .. } = &self.current().kind else {
            return;
        };
        if choice >= choices.len() || self.answers.contains_key(&self.step) {
            return;
        }
        let until = *until;
        self.answers.insert(self.step, choice);
        if let Some(t) = until {
            d.seek(t.0);
            self.revealed.insert(self.step);
        }
    }

    /// Plays an observation to its moment; the frame it names (if any) becomes the focus.
    pub fn reveal(&mut self, d: &mut Driver) -> Result<(), String> {
        let StepKind::Observe { until, .. } = &self.current().kind else {
            return Ok(());
        };
        let until = until.clone();
        match &until {
            Until::Time(t) => d.seek(t.0),
            Until::Frame { .. } => {
                d.ensure(d.view_t);
                d.diverge();
                let found = play_until(&mut d.sim, &until, self.step_first_record)?;
                d.ensure(d.sim.now().0);
                if let Some(i) = found {
                    let t = d.records()[i].t;
                    d.seek(t);
                    self.focus = Some(i);
                }
            }
        }
        self.revealed.insert(self.step);
        Ok(())
    }

    /// Performs the current step's walkthrough in the lab ("show me").
    pub fn show_me(&mut self, d: &mut Driver) -> Result<(), String> {
        let StepKind::Do { walkthrough, .. } = &self.current().kind else {
            return Ok(());
        };
        for a in walkthrough.clone() {
            perform(&a, d)?;
        }
        self.update(d);
        Ok(())
    }

    pub fn next(&mut self, d: &Driver) {
        if !self.is_last() {
            self.step += 1;
            self.step_first_record = d.records().len();
            self.focus = None;
        }
    }

    pub fn back(&mut self) {
        self.step = self.step.saturating_sub(1);
        self.focus = None;
    }
}

/// An action performed in the lab as a student's click would.
pub fn perform(a: &Action, d: &mut Driver) -> Result<(), String> {
    match a {
        Action::RunFor(dt) => {
            let t = d.view_t + dt.0;
            d.seek(t);
            Ok(())
        }
        Action::RunUntil(t) => {
            d.seek(t.0);
            Ok(())
        }
        Action::Model(f) => {
            let label = describe(f, &d.sim);
            d.apply(f, &label)
        }
        Action::Ipvsadm { host, line } => match d.ipvsadm(*host, line) {
            0 => Ok(()),
            code => Err(format!("`{line}` exited {code}")),
        },
    }
}

/// A model change in the words of the lab's log (`rs1: net.ipv4.conf.all.arp_ignore = 1`).
pub fn describe(f: &lvslab_sim::engine::FaultAction, sim: &lvslab_sim::Simulation) -> String {
    use lvslab_sim::engine::FaultAction as F;
    let h = |i: &usize| {
        sim.hosts
            .get(*i)
            .map(|h| h.name.clone())
            .unwrap_or_default()
    };
    let ifc = |i: &usize, k: &usize| {
        sim.hosts
            .get(*i)
            .and_then(|h| h.ifaces.get(*k))
            .map(|x| x.name.clone())
            .unwrap_or_default()
    };
    match f {
        F::HostDown { host } => format!("{}: down", h(host)),
        F::HostUp { host } => format!("{}: up", h(host)),
        F::LinkDown { host, iface } => format!("{} {}: link down", h(host), ifc(host, iface)),
        F::LinkUp { host, iface } => format!("{} {}: link up", h(host), ifc(host, iface)),
        F::Sysctl { host, name, value } => format!("{}: {name} = {value}", h(host)),
        F::Ipvs { host, op } => format!("{}: {op:?}", h(host)),
        F::Slow { host, port, factor } => format!("{}:{port} {factor}x slower", h(host)),
        F::KeepalivedStop { host } => format!("{}: keepalived stopped", h(host)),
        F::KeepalivedStart { host } => format!("{}: keepalived started", h(host)),
        F::KeepalivedKill { host } => format!("{}: keepalived killed", h(host)),
        F::VrrpPriority {
            host,
            instance,
            priority,
        } => format!("{} {instance}: priority {priority}", h(host)),
        F::VrrpScript { host, script, ok } => format!(
            "{} {script}: {}",
            h(host),
            if *ok { "ok" } else { "failing" }
        ),
        F::Cut { a, b, cut, .. } => format!(
            "{} ↔ {}: {}",
            h(a),
            h(b),
            if *cut { "cut" } else { "restored" }
        ),
        F::ServerStop { host, port } => format!("{}:{port}: server stopped", h(host)),
        F::ServerStart { host, port } => format!("{}:{port}: server started", h(host)),
        F::ArpFlush { host } => format!("{}: ip neigh flush all", h(host)),
        F::Route { host, to, via } => format!("{}: ip route replace {to} via {via}", h(host)),
    }
}
