//! Guided lessons: ordered steps (explain, predict, observe, do) over one scenario, in two
//! languages, with typed checks over the running model and a walkthrough that tests the
//! lesson itself. The file format is described in docs/lessons.md.

pub mod action;
pub mod format;
pub mod predicate;
pub mod runner;
pub mod text;

use crate::engine::Simulation;
use crate::scenario::diag::{line_col, locate, path_string, Diagnostic, Seg, Severity};
use crate::scenario::Scenario;
use crate::time::{parse_duration, SimDuration, SimTime};
pub use action::Action;
use format::{LessonFile, StepFile, TextFile};
pub use predicate::{Outcome, Predicate};
pub use text::{LText, Lang, Ref, Span};

/// A message to show in the reader's language: an id of the interface's message catalogue
/// and its arguments. The model speaks in ids; the interfaces translate them.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Message {
    pub id: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Message {
    pub fn new(id: &'static str) -> Message {
        Message {
            id,
            args: Vec::new(),
        }
    }
    pub fn arg(mut self, name: &'static str, v: impl std::fmt::Display) -> Message {
        self.args.push((name, v.to_string()));
        self
    }
    pub fn get(&self, name: &str) -> Option<&str> {
        self.args
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A validated lesson.
#[derive(Clone, Debug)]
pub struct Lesson {
    pub id: String,
    pub file: String,
    pub order: u32,
    pub scenario: String,
    /// The scenario's text, as resolved when the lesson loaded.
    pub scenario_text: String,
    pub seed: Option<u64>,
    /// Whether the scenario's timed faults stay (false: the student performs them).
    pub faults: bool,
    pub title: LText,
    pub summary: LText,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug)]
pub struct Step {
    pub kind: StepKind,
    pub text: LText,
    pub why: Option<LText>,
    /// Line of the step in the lesson file (for reports).
    pub line: usize,
}

#[derive(Clone, Debug)]
pub struct Choice {
    pub text: LText,
    pub feedback: LText,
    pub correct: bool,
}

/// A check with its line in the file.
#[derive(Clone, Debug)]
pub struct Check {
    pub pred: Predicate,
    pub line: usize,
}

#[derive(Clone, Debug)]
pub enum Until {
    Time(SimTime),
    Frame {
        pattern: predicate::FramePattern,
        timeout: SimDuration,
    },
}

#[derive(Clone, Debug)]
pub enum StepKind {
    Explain,
    Predict {
        choices: Vec<Choice>,
        until: Option<SimTime>,
        checks: Vec<Check>,
    },
    Observe {
        until: Until,
        checks: Vec<Check>,
    },
    Do {
        hint: Option<LText>,
        checks: Vec<Check>,
        walkthrough: Vec<Action>,
    },
}

impl StepKind {
    pub fn name(&self) -> &'static str {
        match self {
            StepKind::Explain => "explain",
            StepKind::Predict { .. } => "predict",
            StepKind::Observe { .. } => "observe",
            StepKind::Do { .. } => "do",
        }
    }
    pub fn checks(&self) -> &[Check] {
        match self {
            StepKind::Explain => &[],
            StepKind::Predict { checks, .. }
            | StepKind::Observe { checks, .. }
            | StepKind::Do { checks, .. } => checks,
        }
    }
}

/// Default wait for an `until-frame`.
pub const FRAME_TIMEOUT: SimDuration = SimDuration(30_000_000_000);

impl Lesson {
    /// Builds the lesson's simulation: its scenario and seed, with or without the
    /// scenario's timed faults, the trace on (checks read it).
    pub fn build(&self) -> Result<Simulation, Vec<Diagnostic>> {
        let mut sc = Scenario::parse(&self.scenario, &self.scenario_text)?;
        if !self.faults {
            sc.spec.faults.clear();
        }
        let (mut sim, _) = sc.build(self.seed)?;
        sim.world.trace.enabled = true;
        Ok(sim)
    }

    /// Every text of the lesson in one language (for completeness tests and search).
    pub fn texts(&self) -> Vec<&LText> {
        let mut v = vec![&self.title, &self.summary];
        for s in &self.steps {
            v.push(&s.text);
            v.extend(s.why.iter());
            match &s.kind {
                StepKind::Predict { choices, .. } => {
                    for c in choices {
                        v.push(&c.text);
                        v.push(&c.feedback);
                    }
                }
                StepKind::Do { hint: Some(h), .. } => v.push(h),
                _ => {}
            }
        }
        v
    }
}

/// Where a lesson's scenario comes from: a name to its text (bundled, or a file beside).
pub type ScenarioSource<'a> = &'a dyn Fn(&str) -> Option<String>;

struct Loader<'a> {
    file: &'a str,
    text: &'a str,
    doc: Option<toml_edit::Document<&'a str>>,
    diags: Vec<Diagnostic>,
}

fn k(s: &str) -> Seg {
    Seg::Key(s.into())
}

impl Loader<'_> {
    fn err(&mut self, path: &[Seg], message: String, hint: Option<&str>) {
        let (line, col) = self
            .doc
            .as_ref()
            .and_then(|d| locate(d, path))
            .map(|sp| line_col(self.text, sp.start))
            .unwrap_or((0, 0));
        self.diags.push(Diagnostic {
            severity: Severity::Error,
            file: self.file.into(),
            line,
            col,
            path: path_string(path),
            message,
            hint: hint.map(String::from),
        });
    }

    fn line(&self, path: &[Seg]) -> usize {
        self.doc
            .as_ref()
            .and_then(|d| locate(d, path))
            .map(|sp| line_col(self.text, sp.start).0)
            .unwrap_or(0)
    }

    /// Both languages present and not blank; references valid.
    fn text(&mut self, path: &[Seg], t: &TextFile, names: Option<&predicate::Names<'_>>) -> LText {
        let mut out = LText::default();
        for (lang, v, slot) in [
            (Lang::En, &t.en, &mut out.en),
            (Lang::ZhCn, &t.zh, &mut out.zh),
        ] {
            let mut p = path.to_vec();
            match v.as_deref().map(str::trim) {
                None | Some("") => {
                    self.err(
                        path,
                        format!("the {} text is missing", lang.code()),
                        Some("every text needs both `en` and `zh-CN`"),
                    );
                }
                Some(s) => {
                    p.push(k(lang.code()));
                    match text::spans(s) {
                        Err(e) => self.err(&p, e, Some("references are written [words](node:HOST), link:HOST/IFACE, field:NAME, arp:HOST/IP, ipvs:DIRECTOR/RIP:PORT, vrrp:HOST/INSTANCE")),
                        Ok(spans) => {
                            if let Some(n) = names {
                                for sp in spans {
                                    if let Span::Ref { target, .. } = sp {
                                        if let Err(e) = check_ref(&target, n) {
                                            self.err(&p, e, None);
                                        }
                                    }
                                }
                            }
                        }
                    }
                    *slot = s.to_string();
                }
            }
        }
        out
    }

    fn time(&mut self, path: &[Seg], v: &str) -> Option<SimDuration> {
        match parse_duration(v) {
            Ok(d) => Some(d),
            Err(e) => {
                self.err(path, e, None);
                None
            }
        }
    }

    fn checks(
        &mut self,
        path: &[Seg],
        list: &[format::CheckFile],
        n: &predicate::Names<'_>,
    ) -> Vec<Check> {
        let mut out = Vec::new();
        for (j, c) in list.iter().enumerate() {
            let mut p = path.to_vec();
            p.extend([k("check"), Seg::Index(j)]);
            match predicate::resolve(c, n) {
                Ok(pred) => out.push(Check {
                    pred,
                    line: self.line(&p),
                }),
                Err((key, msg)) => {
                    let mut q = p.clone();
                    q.push(k(key));
                    self.err(&q, format!("check `{}`: {msg}", c.what), None);
                }
            }
        }
        out
    }

    fn step(&mut self, i: usize, s: &StepFile, n: &predicate::Names<'_>) -> Option<Step> {
        let path = vec![k("step"), Seg::Index(i)];
        let at = |key: &str| {
            let mut p = path.clone();
            p.push(k(key));
            p
        };
        let text = match &s.text {
            Some(t) => self.text(&at("text"), t, Some(n)),
            None => {
                self.err(
                    &path,
                    "the step has no `text`".into(),
                    Some("add text = { en = \"...\", zh-CN = \"...\" }"),
                );
                LText::default()
            }
        };
        let why = s.why.as_ref().map(|t| self.text(&at("why"), t, Some(n)));
        let kind = s.kind.as_str();
        let allowed: &[&str] = match kind {
            "explain" => &[],
            "predict" => &["choices", "until", "check"],
            "observe" => &["until", "until-frame", "timeout", "check"],
            "do" => &["hint", "check", "walkthrough"],
            other => {
                self.err(
                    &at("kind"),
                    format!("unknown step kind `{other}`"),
                    Some("write kind = \"explain\", \"predict\", \"observe\" or \"do\""),
                );
                return None;
            }
        };
        for (key, present) in [
            ("choices", !s.choices.is_empty()),
            ("until", s.until.is_some()),
            ("until-frame", s.until_frame.is_some()),
            ("timeout", s.timeout.is_some()),
            ("check", !s.check.is_empty()),
            ("hint", s.hint.is_some()),
            ("walkthrough", !s.walkthrough.is_empty()),
        ] {
            if present && !allowed.contains(&key) {
                self.err(&at(key), format!("a `{kind}` step has no `{key}`"), None);
            }
        }
        let checks = self.checks(&path, &s.check, n);
        let until = s
            .until
            .as_deref()
            .and_then(|u| self.time(&at("until"), u))
            .map(|d| SimTime::ZERO + d);
        let kind = match kind {
            "explain" => StepKind::Explain,
            "predict" => {
                let mut choices = Vec::new();
                for (j, c) in s.choices.iter().enumerate() {
                    let mut p = at("choices");
                    p.push(Seg::Index(j));
                    let mut pt = p.clone();
                    pt.push(k("text"));
                    let mut pf = p.clone();
                    pf.push(k("feedback"));
                    choices.push(Choice {
                        text: self.text(&pt, &c.text, Some(n)),
                        feedback: self.text(&pf, &c.feedback, Some(n)),
                        correct: c.correct,
                    });
                }
                if choices.len() < 2 {
                    self.err(
                        &path,
                        "a prediction needs at least two choices".into(),
                        None,
                    );
                }
                let right = choices.iter().filter(|c| c.correct).count();
                if right != 1 {
                    self.err(
                        &at("choices"),
                        format!(
                            "a prediction has exactly one correct choice (this one has {right})"
                        ),
                        Some("mark the right answer with correct = true"),
                    );
                }
                StepKind::Predict {
                    choices,
                    until,
                    checks,
                }
            }
            "observe" => {
                let until = match (until, &s.until_frame) {
                    (Some(t), None) => Until::Time(t),
                    (None, Some(f)) => {
                        let timeout = s
                            .timeout
                            .as_deref()
                            .and_then(|t| self.time(&at("timeout"), t))
                            .unwrap_or(FRAME_TIMEOUT);
                        match n.frame_file(f) {
                            Ok(pattern) => Until::Frame { pattern, timeout },
                            Err((key, msg)) => {
                                let mut p = at("until-frame");
                                p.push(k(key));
                                self.err(&p, msg, None);
                                return None;
                            }
                        }
                    }
                    _ => {
                        self.err(&path, "an observe step plays to a moment: give `until` or `until-frame` (not both)".into(), None);
                        return None;
                    }
                };
                StepKind::Observe { until, checks }
            }
            _ => {
                let hint = s.hint.as_ref().map(|t| self.text(&at("hint"), t, Some(n)));
                let mut walkthrough = Vec::new();
                for (j, a) in s.walkthrough.iter().enumerate() {
                    let mut p = at("walkthrough");
                    p.push(Seg::Index(j));
                    match action::resolve(a, n) {
                        Ok(x) => walkthrough.push(x),
                        Err((key, msg)) => {
                            p.push(k(key));
                            self.err(&p, format!("action `{}`: {msg}", a.action), None);
                        }
                    }
                }
                if s.check.is_empty() {
                    self.err(&path, "a `do` step needs at least one check".into(), Some("add check = [ { what = ..., ... } ]: it tells the student the task is done"));
                }
                if !s.walkthrough.iter().any(|a| a.action != "run") {
                    self.err(
                        &path,
                        "a `do` step's walkthrough needs at least one action besides `run`".into(),
                        Some("list what a student does, e.g. { do = \"sysctl\", ... }"),
                    );
                }
                StepKind::Do {
                    hint,
                    checks,
                    walkthrough,
                }
            }
        };
        Some(Step {
            kind,
            text,
            why,
            line: self.line(&path),
        })
    }
}

fn check_ref(r: &Ref, n: &predicate::Names<'_>) -> Result<(), String> {
    let host = |h: &str| n.host_named("ref", h).map_err(|e| e.1);
    match r {
        Ref::Node { host: h } => host(h).map(|_| ()),
        Ref::Link { host: h, iface } => {
            let i = host(h)?;
            n.iface(i, "ref", iface).map_err(|e| e.1)
        }
        Ref::Field { name } => predicate::Field::parse(name)
            .map(|_| ())
            .ok_or_else(|| format!("unknown header field `{name}` in a reference")),
        Ref::Arp { host: h, ip } => {
            host(h)?;
            ip.parse::<std::net::Ipv4Addr>()
                .map(|_| ())
                .map_err(|_| format!("`{ip}` is not an IPv4 address"))
        }
        Ref::Ipvs { director, server } => {
            n.director(&Some(director.clone())).map_err(|e| e.1)?;
            crate::scenario::parse_sockaddr(server).map(|_| ())
        }
        Ref::Vrrp { host: h, instance } => {
            let i = host(h)?;
            let k = n
                .sim
                .keepalived
                .iter()
                .find(|k| k.host == i)
                .ok_or_else(|| format!("{h} runs no keepalived"))?;
            k.instance(instance)
                .map(|_| ())
                .ok_or_else(|| format!("no vrrp_instance `{instance}` on {h}"))
        }
    }
}

/// Parses and validates a lesson. `scenarios` gives a scenario's text by name. Every
/// problem comes back as a located diagnostic; nothing panics.
pub fn load(
    file: &str,
    text: &str,
    scenarios: ScenarioSource<'_>,
) -> Result<Lesson, Vec<Diagnostic>> {
    let lf: LessonFile = crate::scenario::diag::parse_toml(file, text, "; see docs/lessons.md")?;
    let mut l = Loader {
        file,
        text,
        doc: toml_edit::Document::parse(text).ok(),
        diags: Vec::new(),
    };
    let head = &lf.lesson;
    let stem = file
        .rsplit('/')
        .next()
        .unwrap_or(file)
        .trim_end_matches(".toml");
    if file.ends_with(".toml") && stem != head.id {
        l.err(
            &[k("lesson"), k("id")],
            format!(
                "the id `{}` differs from the file name `{stem}.toml`",
                head.id
            ),
            Some("name the file after the id"),
        );
    }
    let title = l.text(&[k("lesson"), k("title")], &head.title, None);
    let summary = l.text(&[k("lesson"), k("summary")], &head.summary, None);
    let Some(scenario_text) = scenarios(&head.scenario) else {
        l.err(
            &[k("lesson"), k("scenario")],
            format!("no scenario `{}`", head.scenario),
            Some("name a bundled scenario (lvslab list) or a file in scenarios/"),
        );
        return Err(l.diags);
    };
    let mut lesson = Lesson {
        id: head.id.clone(),
        file: file.to_string(),
        order: head.order,
        scenario: head.scenario.clone(),
        scenario_text,
        seed: head.seed,
        faults: head.faults.unwrap_or(true),
        title,
        summary,
        steps: Vec::new(),
    };
    let sim = match lesson.build() {
        Ok(s) => s,
        Err(d) => {
            let first = d
                .iter()
                .find(|x| x.severity == Severity::Error)
                .map(|x| x.to_string())
                .unwrap_or_default();
            l.err(
                &[k("lesson"), k("scenario")],
                format!("the scenario `{}` does not build: {first}", head.scenario),
                None,
            );
            return Err(l.diags);
        }
    };
    let names = predicate::Names { sim: &sim };
    if lf.step.is_empty() {
        l.err(
            &[k("lesson")],
            "the lesson has no steps".into(),
            Some("add [[step]] tables"),
        );
    }
    for (i, s) in lf.step.iter().enumerate() {
        if let Some(st) = l.step(i, s, &names) {
            lesson.steps.push(st);
        }
    }
    if !lf.step.is_empty() && !lf.step.iter().any(|s| s.kind == "do") {
        l.err(
            &[k("step")],
            "the lesson has no `do` step: the student never acts".into(),
            Some("add a step with kind = \"do\", a check and a walkthrough"),
        );
    }
    if l.diags.is_empty() {
        Ok(lesson)
    } else {
        Err(l.diags)
    }
}

/// What a lesson picker shows, read without building the lesson's scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonSummary {
    pub id: String,
    pub order: u32,
    pub title: LText,
}

/// The id, order and title of a lesson file (None when it does not parse); `load`
/// validates the whole lesson when it is opened.
pub fn summary(file: &str, text: &str) -> Option<LessonSummary> {
    let lf: LessonFile = crate::scenario::diag::parse_toml(file, text, "").ok()?;
    let t = &lf.lesson.title;
    Some(LessonSummary {
        id: lf.lesson.id.clone(),
        order: lf.lesson.order,
        title: LText {
            en: t.en.clone().unwrap_or_default(),
            zh: t.zh.clone().unwrap_or_default(),
        },
    })
}

/// The scenario source for bundled lessons: the bundled scenarios.
pub fn bundled_scenario(name: &str) -> Option<String> {
    crate::bundled::find(name).map(|b| b.text.to_string())
}
