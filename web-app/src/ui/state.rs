//! The lab's state in one home: every field the interface shows, the `Msg` action enum,
//! and `LabState::update`, which applies an action and says whether the view changed. The
//! panels (function components in `components`, their bodies in the panel modules) read
//! it through a `Link`; the `App` component owns it and runs the animation-frame loop.

use super::dom;
pub use super::whatif_state::{WhatIfState, WiMsg};
use crate::catalog::{self, Entry};
use crate::compare::{self, Journey};
use crate::driver::Driver;
use crate::exports;
use crate::lesson_run::{self, LessonRun};
use crate::share;
use lvslab_i18n::Catalog;
use lvslab_sim::engine::FaultAction;
use lvslab_sim::lesson::Lang;
use lvslab_sim::scenario::diag::{Diagnostic, Severity};
use lvslab_sim::scenario::Scenario;
use std::cell::RefCell;
use std::collections::VecDeque;
use yew::prelude::*;

/// How the panels reach the state: dispatch an action, and read the state (a weak handle:
/// the `App` component owns it). Equal when both point at the same app.
#[derive(Clone)]
pub struct Link {
    dispatch: Callback<Msg>,
    state: std::rc::Weak<RefCell<LabState>>,
}

impl PartialEq for Link {
    fn eq(&self, o: &Self) -> bool {
        self.dispatch == o.dispatch && self.state.ptr_eq(&o.state)
    }
}

impl Link {
    pub fn new(dispatch: Callback<Msg>, state: &std::rc::Rc<RefCell<LabState>>) -> Link {
        Link {
            dispatch,
            state: std::rc::Rc::downgrade(state),
        }
    }

    /// The state, for a panel that renders it (None once the app is gone).
    pub fn state(&self) -> Option<std::rc::Rc<RefCell<LabState>>> {
        self.state.upgrade()
    }

    pub fn send_message(&self, m: Msg) {
        self.dispatch.emit(m);
    }

    /// A callback that turns an event into an action.
    pub fn callback<IN: 'static>(&self, f: impl Fn(IN) -> Msg + 'static) -> Callback<IN> {
        let d = self.dispatch.clone();
        Callback::from(move |e| d.emit(f(e)))
    }

    /// A callback that may turn an event into an action.
    pub fn batch_callback<IN: 'static>(
        &self,
        f: impl Fn(IN) -> Option<Msg> + 'static,
    ) -> Callback<IN> {
        let d = self.dispatch.clone();
        Callback::from(move |e| {
            if let Some(m) = f(e) {
                d.emit(m)
            }
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    Lab,
    Compare,
    WhatIf,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    Rules,
    Pcap,
    Toml,
    Keepalived,
    Scripts,
}

pub enum Msg {
    Frame(f64),
    Pick(String),
    SeedInput(String),
    ApplySeed,
    EditorInput(String),
    RunEdited,
    RevertEditor,
    TogglePlay,
    Step,
    Speed(f64),
    SkipIdle(bool),
    RunToEnd,
    SendRequest,
    Restart,
    Inspect(usize),
    CloseInspector,
    NodeTab(usize),
    Fault(FaultAction, String),
    Ipvsadm(usize, String),
    ConsoleInput(String),
    ConsoleSubmit,
    ConsoleOlder,
    ConsoleNewer,
    ConsoleHost(usize),
    Export(ExportKind),
    DismissError,
    ToggleBig,
    SetView(View),
    CmpTogglePlay,
    CmpStep,
    CmpRestart,
    CmpSpeed(f64),
    Wi(WiMsg),
    Redraw,
    PickLesson(String),
    LessonAnswer(usize),
    LessonReveal,
    LessonShowMe,
    LessonNext,
    LessonBack,
    LessonExit,
    SetLang(Lang),
    StepBack,
    /// Moves the clock to a time (ns), earlier ones included.
    Seek(u64),
    MarkerNext,
    MarkerPrev,
    LogFilterSet(crate::packet_log::LogFilter),
    /// A page of the packet log; None follows the newest.
    LogPage(Option<usize>),
    Palette(bool),
    /// Enter on a host in the diagram: inspect its newest frame.
    InspectNode(usize),
    /// Restart without the changes made in the lab.
    DiscardChanges,
}

/// The three lab scenarios replayed side by side on one clock, each aligned on its first SYN.
pub struct ComparePane {
    pub name: String,
    pub driver: Driver,
    pub journey: Option<Journey>,
    pub start: u64,
}

pub struct CompareState {
    pub panes: Vec<ComparePane>,
    /// Nanoseconds since each pane's first SYN.
    pub rel: u64,
    pub playing: bool,
    pub speed: f64,
}

pub struct LabState {
    pub view: View,
    pub lang: Lang,
    pub cat: Catalog,
    pub lessons: Vec<lvslab_sim::lesson::LessonSummary>,
    pub lesson: Option<LessonRun>,
    /// Only the lesson and its lab (an iframe in a course page).
    pub embed: bool,
    pub log_filter: crate::packet_log::LogFilter,
    /// The timeline's markers found in the trace so far (the trace only grows).
    pub marker_cache: RefCell<crate::timeline::TraceMarkers>,
    /// The packet log's connection choices found so far.
    pub conn_index: RefCell<crate::packet_log::ConnIndex>,
    /// Title and watch text of the scenario as loaded (shown when it was edited).
    pub edited_meta: Option<(String, String)>,
    pub log_page: Option<usize>,
    pub palette_safe: bool,
    pub catalog: Vec<Entry>,
    pub lab: Option<Driver>,
    pub current: String,
    pub seed: u64,
    pub seed_input: String,
    pub editor_text: String,
    pub edited: bool,
    pub diagnostics: Vec<Diagnostic>,
    pub selected: Option<usize>,
    pub node_tab: usize,
    pub console_host: usize,
    pub console_input: String,
    pub error: Option<String>,
    pub big: bool,
    last_frame: Option<f64>,
    frame_times: VecDeque<f64>,
    pub fps: f64,
    charts_drawn_at: Option<u64>,
    pub compare: Option<CompareState>,
    pub whatif: WhatIfState,
    /// Bumped on every user action and at most every `PANEL_REFRESH_MS` while playing: the
    /// heavy panels (log, tables, console) re-render only when it changes.
    pub panel_stamp: u64,
    /// Bumped by the app on every change: panels that follow the clock use it as stamp.
    pub version: u64,
    panel_bumped_at: f64,
}

/// How often the heavy panels follow the animation.
const PANEL_REFRESH_MS: f64 = 200.0;

fn diagnostics_of(name: &str, text: &str) -> Vec<Diagnostic> {
    match Scenario::parse(name, text) {
        Err(d) => d,
        Ok(sc) => sc.check(),
    }
}

pub fn has_errors(d: &[Diagnostic]) -> bool {
    d.iter().any(|x| x.severity == Severity::Error)
}

impl LabState {
    /// A new running lab: its seed, diagnostics, and the console and nodes panel on its
    /// first director.
    fn adopt(&mut self, d: Driver, diagnostics: Vec<Diagnostic>) {
        self.seed = d.sim.seed;
        self.seed_input = self.seed.to_string();
        self.diagnostics = diagnostics;
        self.console_host = d
            .sim
            .hosts
            .iter()
            .position(|h| h.ipvs.is_some())
            .unwrap_or(0);
        self.node_tab = self.console_host;
        self.lab = Some(d);
    }

    fn load(&mut self, name: &str, text: &str, seed: Option<u64>) {
        self.marker_cache = Default::default();
        self.conn_index = Default::default();
        self.selected = None;
        self.charts_drawn_at = None;
        // An edited scenario keeps its own title and watch text.
        self.edited_meta = Scenario::parse(name, text).ok().map(|sc| {
            (
                sc.spec.scenario.title.clone(),
                sc.spec.scenario.watch.clone(),
            )
        });
        match Driver::new(name, text, seed) {
            Ok(d) => {
                let w = d.warnings.clone();
                self.adopt(d, w);
            }
            Err(diags) => {
                self.diagnostics = diags;
                self.lab = None;
                self.seed = seed.unwrap_or(self.seed);
            }
        }
        self.current = name.to_string();
        self.update_hash();
    }

    fn share_state(&self) -> share::Share {
        share::Share {
            scenario: Some(self.current.clone()),
            seed: Some(self.seed),
            toml: self.edited.then(|| self.editor_text.clone()),
            view: match self.view {
                View::Lab => None,
                View::Compare => Some("compare".into()),
                View::WhatIf => Some("whatif".into()),
            },
            lesson: self.lesson.as_ref().map(|r| r.lesson.id.clone()),
            step: self.lesson.as_ref().map(|r| r.step + 1),
            lang: (self.lang != Lang::En).then(|| self.lang.code().to_string()),
            embed: self.embed,
            t_ms: self
                .lab
                .as_ref()
                .map(|l| l.view_t / 1_000_000)
                .filter(|t| *t > 0),
            actions: self
                .lab
                .as_ref()
                .filter(|l| !l.inputs.is_empty())
                .and_then(|l| serde_json::to_string(&l.inputs).ok())
                .map(|j| share::pack(j.as_bytes())),
            whatif: self
                .whatif
                .params
                .as_ref()
                .filter(|_| self.whatif.outcome.is_some())
                .and_then(|p| serde_json::to_string(p).ok())
                .map(|j| share::pack(j.as_bytes())),
        }
    }

    /// Restores the changes and the clock a share link carries.
    fn restore(&mut self, sh: &share::Share) {
        let Some(l) = self.lab.as_mut() else { return };
        if let Some(a) = &sh.actions {
            match share::unpack(a).and_then(|b| {
                serde_json::from_slice::<Vec<crate::driver::Logged>>(&b).map_err(|e| e.to_string())
            }) {
                Ok(log) => l.inputs = log,
                Err(e) => self.error = Some(format!("share link `a`: {e}")),
            }
        }
        if let Some(t) = sh.t_ms {
            l.seek_to(t.saturating_mul(1_000_000));
        } else if sh.actions.is_some() {
            // Changes without a time: from the start, so they happen at their moments.
            l.seek_to(0);
        }
        if let Some(w) = &sh.whatif {
            if let Ok(p) = share::unpack(w).and_then(|b| {
                serde_json::from_slice::<crate::whatif::Params>(&b).map_err(|e| e.to_string())
            }) {
                self.whatif.params = Some(p);
            }
        }
    }

    fn update_hash(&self) {
        dom::set_hash(&share::fragment_of(&self.share_state()));
        dom::set_html_lang(self.lang.code());
    }

    pub fn share_link(&self) -> String {
        format!(
            "{}{}",
            dom::page_url(),
            share::fragment_of(&self.share_state())
        )
    }

    /// Hosts the lesson's current step points at.
    pub fn highlighted(&self) -> Vec<String> {
        let Some(r) = &self.lesson else {
            return Vec::new();
        };
        let st = r.current();
        let mut v = lesson_run::referenced_hosts(st.text.get(self.lang));
        if let Some(w) = &st.why {
            v.extend(lesson_run::referenced_hosts(w.get(self.lang)));
        }
        v
    }

    /// Header fields and ARP rows the lesson's current step points at.
    pub fn highlighted_rows(&self) -> (Vec<String>, Vec<(String, String)>) {
        let Some(r) = &self.lesson else {
            return Default::default();
        };
        let st = r.current();
        let (mut f, mut a) = lesson_run::referenced_rows(st.text.get(self.lang));
        if let Some(w) = &st.why {
            let (f2, a2) = lesson_run::referenced_rows(w.get(self.lang));
            f.extend(f2);
            a.extend(a2);
        }
        (f, a)
    }

    /// When a step points at a host's ARP row, the nodes panel shows that host.
    fn follow_step(&mut self) {
        let (_, arp) = self.highlighted_rows();
        if let (Some((host, _)), Some(l)) = (arp.first(), &self.lab) {
            if let Some(i) = l.sim.host_index(host) {
                self.node_tab = i;
            }
        }
    }

    fn start_lesson(&mut self, id: &str, step: Option<usize>) {
        let l = match lesson_run::load_bundled(id) {
            Ok(l) => l,
            Err(_) => {
                self.error = Some(self.cat.tr(self.lang, "error-no-lesson", &[("id", id)]));
                return;
            }
        };
        self.marker_cache = Default::default();
        self.conn_index = Default::default();
        match LessonRun::start(l) {
            Ok((mut run, d)) => {
                self.selected = None;
                self.charts_drawn_at = None;
                self.adopt(d, Vec::new());
                self.current = run.lesson.scenario.clone();
                self.editor_text = run.lesson.scenario_text.clone();
                self.edited = false;
                // A shared link may open a later step: replay the earlier ones as shown.
                if let (Some(n), Some(lab)) = (step, self.lab.as_mut()) {
                    while run.step + 1 < n.max(1) {
                        if let lvslab_sim::lesson::StepKind::Predict { choices, .. } =
                            &run.current().kind
                        {
                            let right = choices.iter().position(|c| c.correct).unwrap_or(0);
                            run.answer(right, lab);
                        }
                        let _ = run.reveal(lab);
                        if !run.can_advance() {
                            let _ = run.show_me(lab);
                        }
                        run.next(lab);
                    }
                }
                self.lesson = Some(run);
                self.follow_step();
                self.view = View::Lab;
                dom::scroll_to("lesson");
            }
            Err(e) => {
                self.error = Some(self.cat.tr(self.lang, "lesson-error", &[("error", &e)]));
            }
        }
        self.update_hash();
    }

    fn lesson_msg(&mut self, msg: Msg) {
        let (Some(run), Some(lab)) = (self.lesson.as_mut(), self.lab.as_mut()) else {
            return;
        };
        let r = match msg {
            Msg::LessonAnswer(i) => {
                run.answer(i, lab);
                Ok(())
            }
            Msg::LessonReveal => run.reveal(lab),
            Msg::LessonShowMe => run.show_me(lab),
            Msg::LessonNext => {
                run.next(lab);
                Ok(())
            }
            Msg::LessonBack => {
                run.back();
                Ok(())
            }
            _ => Ok(()),
        };
        if let Some(f) = run.focus {
            self.selected = Some(f);
        }
        self.follow_step();
        if let Err(e) = r {
            self.error = Some(e);
        }
        self.update_hash();
    }

    fn pick(&mut self, name: &str, seed: Option<u64>) {
        match catalog::find(name) {
            Some(e) => {
                self.editor_text = e.text.to_string();
                self.edited = false;
                self.load(e.name, e.text, seed);
            }
            None => {
                self.error = Some(
                    self.cat
                        .tr(self.lang, "error-no-scenario", &[("name", name)]),
                )
            }
        }
    }

    fn build_compare(&self) -> Result<CompareState, String> {
        let mut panes = Vec::new();
        for name in compare::LABS {
            let e = catalog::find(name).ok_or_else(|| {
                self.cat
                    .tr(self.lang, "error-no-scenario", &[("name", name)])
            })?;
            let mut d = Driver::new(e.name, e.text, None).map_err(|x| {
                let n = x.len().to_string();
                self.cat.tr(
                    self.lang,
                    "error-compare-diagnostics",
                    &[("name", name), ("n", &n)],
                )
            })?;
            // Enough simulated time for the first request and its reply.
            d.ensure(1_500_000_000);
            let journey = compare::journey(d.records(), &d.flights);
            let start = journey.as_ref().map(|j| j.start).unwrap_or(0);
            d.view_t = start;
            panes.push(ComparePane {
                name: name.to_string(),
                driver: d,
                journey,
                start,
            });
        }
        Ok(CompareState {
            panes,
            rel: 0,
            playing: false,
            speed: crate::driver::DEFAULT_SPEED,
        })
    }

    fn cmp_set_rel(&mut self, rel: u64) {
        if let Some(c) = &mut self.compare {
            c.rel = rel;
            for p in &mut c.panes {
                p.driver.view_t = p.start + rel;
                p.driver.ensure(p.driver.view_t);
            }
        }
    }

    fn export(&mut self, k: ExportKind) -> Result<(), String> {
        let d = match (k, &self.lab) {
            (ExportKind::Toml, _) => Some(exports::scenario_toml(&self.current, &self.editor_text)),
            (_, None) => return Err(self.t("error-not-running")),
            (ExportKind::Rules, Some(l)) => exports::ipvsadm_rules(&l.sim),
            (ExportKind::Pcap, Some(l)) => Some(exports::pcap(&l.sim, None)),
            (ExportKind::Keepalived, Some(l)) => exports::keepalived_conf(&l.sim),
            (ExportKind::Scripts, Some(l)) => exports::real_server_scripts(&l.sim),
        };
        match d {
            Some(d) => dom::download(&d),
            None => Err(self.t("error-not-available")),
        }
    }

    /// Draws the charts of the current view; true when that failed (the error is set).
    fn draw_charts(&mut self) -> bool {
        let had = self.error.is_some();
        if self.view == View::Lab {
            if let Some(l) = &self.lab {
                let at = l.sampler.next_sec;
                if self.charts_drawn_at != Some(at) {
                    self.charts_drawn_at = Some(at);
                    let data = l.sampler.chart_data(&l.sim);
                    if let Err(e) =
                        super::chart_canvas::draw_chart_set(&self.cat, self.lang, "lab", &data)
                    {
                        self.error = Some(e);
                    }
                }
            }
        }
        if self.view == View::WhatIf {
            if let Err(e) = self.whatif.draw_charts(&self.cat, self.lang) {
                self.error = Some(e);
            }
        }
        !had && self.error.is_some()
    }
}

impl LabState {
    /// The state a page opens with: what its URL fragment asks for. Returns messages to
    /// send once the component exists (opening another tab).
    pub fn new() -> (LabState, Vec<Msg>) {
        let mut pending = Vec::new();
        let mut app = LabState {
            view: View::Lab,
            lang: Lang::En,
            cat: Catalog::new(),
            lessons: lesson_run::bundled(),
            lesson: None,
            embed: false,
            log_filter: Default::default(),
            marker_cache: Default::default(),
            conn_index: Default::default(),
            edited_meta: None,
            log_page: None,
            palette_safe: false,
            catalog: catalog::entries(),
            lab: None,
            current: String::new(),
            seed: 1,
            seed_input: "1".into(),
            editor_text: String::new(),
            edited: false,
            diagnostics: Vec::new(),
            selected: None,
            node_tab: 0,
            console_host: 0,
            console_input: String::new(),
            error: None,
            big: false,
            last_frame: None,
            frame_times: VecDeque::new(),
            fps: 0.0,
            charts_drawn_at: None,
            compare: None,
            whatif: WhatIfState::default(),
            panel_stamp: 0,
            version: 0,
            panel_bumped_at: 0.0,
        };
        // The URL fragment chooses the scenario, seed, edited text and view.
        let sh = match share::parse_fragment(&dom::hash()) {
            Ok(s) => s,
            Err(e) => {
                app.error = Some(e);
                Default::default()
            }
        };
        app.lang = sh.lang.as_deref().and_then(Lang::parse).unwrap_or(Lang::En);
        app.embed = sh.embed;
        dom::set_html_lang(app.lang.code());
        if let Some(id) = sh.lesson.clone() {
            app.start_lesson(&id, sh.step);
        } else if let Some(text) = sh.toml.clone() {
            app.editor_text = text.clone();
            app.edited = true;
            app.diagnostics = diagnostics_of("shared.toml", &text);
            let name = sh.scenario.clone().unwrap_or_else(|| "shared".into());
            app.load(&name, &text, sh.seed);
        } else {
            let first = app
                .catalog
                .first()
                .map(|e| e.name.to_string())
                .unwrap_or_default();
            let name = sh.scenario.clone().unwrap_or(first);
            app.pick(&name, sh.seed);
        }
        app.restore(&sh);
        match sh.view.as_deref() {
            Some("compare") => pending.push(Msg::SetView(View::Compare)),
            Some("whatif") => pending.push(Msg::SetView(View::WhatIf)),
            _ => {}
        }
        (app, pending)
    }

    /// Applies one action; true when the view must be drawn again.
    pub fn update(&mut self, link: &Link, msg: Msg) -> bool {
        let user = !matches!(msg, Msg::Frame(_) | Msg::Redraw);
        if user {
            self.panel_stamp += 1;
        }
        match msg {
            Msg::Frame(ts) => {
                let dt = self.last_frame.map(|l| ts - l).unwrap_or(0.0);
                self.last_frame = Some(ts);
                self.frame_times.push_back(ts);
                while self.frame_times.front().is_some_and(|&f| ts - f > 1000.0) {
                    self.frame_times.pop_front();
                }
                self.fps = self.frame_times.len() as f64;
                let mut changed = false;
                if ts - self.panel_bumped_at >= PANEL_REFRESH_MS {
                    self.panel_bumped_at = ts;
                    self.panel_stamp += 1;
                }
                match self.view {
                    View::Lab => {
                        if let Some(l) = &mut self.lab {
                            if l.playing {
                                l.tick(dt);
                                changed = true;
                                if let Some(r) = &mut self.lesson {
                                    r.update(l);
                                }
                            }
                        }
                    }
                    View::Compare => {
                        let adv = self.compare.as_ref().and_then(|c| {
                            c.playing
                                .then(|| c.rel + (dt.clamp(0.0, 250.0) * c.speed) as u64)
                        });
                        if let Some(rel) = adv {
                            self.cmp_set_rel(rel);
                            changed = true;
                        }
                    }
                    View::WhatIf => {}
                }
                return changed;
            }
            Msg::Pick(name) => {
                self.lesson = None;
                self.pick(&name, None);
                dom::scroll_to("lab-main");
            }
            Msg::PickLesson(id) => self.start_lesson(&id, None),
            Msg::StepBack => {
                if let Some(l) = &mut self.lab {
                    l.step_back();
                }
            }
            Msg::Seek(t) => {
                if let Some(l) = &mut self.lab {
                    l.seek_to(t);
                }
            }
            Msg::MarkerNext | Msg::MarkerPrev => {
                if let Some(l) = &mut self.lab {
                    let m = crate::timeline::markers_cached(l, &mut self.marker_cache.borrow_mut());
                    let to = if matches!(msg, Msg::MarkerNext) {
                        crate::timeline::next_after(&m, l.view_t)
                    } else {
                        crate::timeline::prev_before(&m, l.view_t)
                    };
                    if let Some(t) = to {
                        l.seek_to(t);
                    }
                }
            }
            Msg::LogFilterSet(f) => {
                self.log_filter = f;
                self.log_page = None;
            }
            Msg::LogPage(p) => self.log_page = p,
            Msg::Palette(b) => self.palette_safe = b,
            Msg::InspectNode(h) => {
                if let Some(l) = &self.lab {
                    let name = &l.sim.hosts[h].name;
                    let n = l.visible_records();
                    if let Some(i) = (0..n).rev().find(|&i| &l.records()[i].node == name) {
                        self.selected = Some(i);
                    }
                }
            }
            Msg::LessonExit => {
                self.lesson = None;
                self.update_hash();
            }
            Msg::SetLang(l) => {
                self.lang = l;
                self.update_hash();
            }
            m @ (Msg::LessonAnswer(_)
            | Msg::LessonReveal
            | Msg::LessonShowMe
            | Msg::LessonNext
            | Msg::LessonBack) => self.lesson_msg(m),
            Msg::SeedInput(s) => self.seed_input = s,
            Msg::ApplySeed => match self.seed_input.trim().parse::<u64>() {
                Ok(seed) => {
                    let (name, text) = (self.current.clone(), self.editor_text.clone());
                    self.load(&name, &text, Some(seed));
                }
                Err(_) => {
                    self.error = Some(self.cat.tr(
                        self.lang,
                        "error-seed",
                        &[("seed", &self.seed_input)],
                    ))
                }
            },
            Msg::EditorInput(t) => {
                self.diagnostics = diagnostics_of(&format!("{}.toml", self.current), &t);
                self.editor_text = t;
                self.edited = true;
            }
            Msg::RunEdited => {
                let (name, text) = (self.current.clone(), self.editor_text.clone());
                self.load(&name, &text, None);
            }
            Msg::RevertEditor => {
                let name = self.current.clone();
                self.pick(&name, Some(self.seed));
            }
            Msg::TogglePlay => match self.view {
                View::Lab => {
                    if let Some(l) = &mut self.lab {
                        l.playing = !l.playing;
                    }
                }
                View::Compare => {
                    if let Some(c) = &mut self.compare {
                        c.playing = !c.playing;
                    }
                }
                View::WhatIf => {}
            },
            Msg::Step => match self.view {
                View::Lab => {
                    if let Some(l) = &mut self.lab {
                        l.step_hop();
                    }
                }
                View::Compare => link.send_message(Msg::CmpStep),
                View::WhatIf => {}
            },
            Msg::Speed(s) => {
                if let Some(l) = &mut self.lab {
                    l.speed = s;
                }
            }
            Msg::SkipIdle(b) => {
                if let Some(l) = &mut self.lab {
                    l.skip_idle = b;
                }
            }
            Msg::RunToEnd => {
                if let Some(l) = &mut self.lab {
                    l.playing = false;
                    l.run_to_end();
                }
            }
            Msg::SendRequest => {
                if let Some(l) = &mut self.lab {
                    if let Err(e) = l.send_request() {
                        self.error = Some(e);
                    }
                }
            }
            // Back to the start; the changes made stay in the log and happen again at
            // their moments (time travel), unless they are discarded.
            Msg::Restart => {
                if let Some(l) = &mut self.lab {
                    l.seek_to(0);
                }
            }
            Msg::DiscardChanges => {
                let lesson = self.lesson.as_ref().map(|r| r.lesson.id.clone());
                match lesson {
                    Some(id) => self.start_lesson(&id, None),
                    None => {
                        let (name, text) = (self.current.clone(), self.editor_text.clone());
                        self.load(&name, &text, Some(self.seed));
                    }
                }
            }
            Msg::Inspect(i) => self.selected = Some(i),
            Msg::CloseInspector => self.selected = None,
            Msg::NodeTab(i) => self.node_tab = i,
            Msg::Fault(a, label) => {
                if let Some(l) = &mut self.lab {
                    if let Err(e) = l.apply(&a, &label) {
                        self.error = Some(format!("{label}: {e}"));
                    }
                }
            }
            Msg::Ipvsadm(host, line) => {
                if let Some(l) = &mut self.lab {
                    if l.ipvsadm(host, &line) != 0 {
                        let err = l
                            .console
                            .entries
                            .last()
                            .map(|e| e.output.stderr.trim().to_string())
                            .unwrap_or_default();
                        self.error = Some(format!("{line}: {err}"));
                    }
                }
            }
            Msg::ConsoleInput(s) => self.console_input = s,
            Msg::ConsoleSubmit => {
                let line = std::mem::take(&mut self.console_input);
                let host = self.console_host;
                if let Some(l) = &mut self.lab {
                    l.console.submit(&mut l.sim, host, &line);
                }
            }
            Msg::ConsoleOlder => {
                if let Some(s) = self.lab.as_mut().and_then(|l| l.console.older()) {
                    self.console_input = s;
                }
            }
            Msg::ConsoleNewer => {
                if let Some(s) = self.lab.as_mut().and_then(|l| l.console.newer()) {
                    self.console_input = s;
                }
            }
            Msg::ConsoleHost(h) => self.console_host = h,
            Msg::Export(k) => {
                if let Err(e) = self.export(k) {
                    self.error = Some(e);
                }
            }
            Msg::DismissError => self.error = None,
            Msg::ToggleBig => self.big = !self.big,
            Msg::SetView(v) => {
                self.view = v;
                self.charts_drawn_at = None;
                if v == View::Compare && self.compare.is_none() {
                    match self.build_compare() {
                        Ok(c) => self.compare = Some(c),
                        Err(e) => self.error = Some(e),
                    }
                }
                if v == View::WhatIf {
                    self.open_whatif();
                }
            }
            Msg::CmpTogglePlay => {
                if let Some(c) = &mut self.compare {
                    c.playing = !c.playing;
                }
            }
            Msg::CmpStep => {
                let next = self.compare.as_mut().and_then(|c| {
                    c.playing = false;
                    c.panes
                        .iter()
                        .filter_map(|p| {
                            p.driver
                                .flights
                                .next_hop_midpoint(p.driver.view_t)
                                .map(|m| m - p.start)
                        })
                        .min()
                });
                if let Some(rel) = next {
                    self.cmp_set_rel(rel);
                }
            }
            Msg::CmpRestart => {
                if let Some(c) = &mut self.compare {
                    c.playing = false;
                }
                self.cmp_set_rel(0);
            }
            Msg::CmpSpeed(s) => {
                if let Some(c) = &mut self.compare {
                    c.speed = s;
                }
            }
            Msg::Wi(m) => self.update_whatif(link, m),
            Msg::Redraw => {}
        }
        if user {
            // The address bar always holds a link back to what is on screen.
            self.update_hash();
        }
        true
    }

    /// The page: header, error banner and the current tab.
    pub fn view_root(&self, link: &Link) -> Html {
        let tab = |v: View, label: &str| {
            let active = self.view == v;
            html! {
                <button class={classes!("tab", active.then_some("active"))} aria-pressed={active.to_string()}
                    id={format!("tab-{}", match v { View::Lab => "lab", View::Compare => "compare", View::WhatIf => "whatif" })}
                    onclick={link.callback(move |_| Msg::SetView(v))}>{ label }</button>
            }
        };
        let body = match self.view {
            View::Lab => self.view_lab(link),
            View::Compare => self.view_compare(link),
            View::WhatIf => self.view_whatif(link),
        };
        html! {
            <div class={classes!("app", self.big.then_some("big"))}>
                <a class="skip-link" href="#lab-main">{ self.t("skip-to-lab") }</a>
                <header>
                    <h1>{ self.t("app-title") }</h1>
                    if !self.embed {
                    <nav>
                        { tab(View::Lab, &self.t("tab-lab")) }
                        { tab(View::Compare, &self.t("tab-compare")) }
                        { tab(View::WhatIf, &self.t("tab-whatif")) }
                    </nav>
                    }
                    <span class="spacer"></span>
                    <span class="fps" id="fps">{ format!("{:.0} fps", self.fps) }</span>
                    <div class="lang-switch" role="group" aria-label={self.t("language")}>
                        { for Lang::ALL.iter().map(|&l| {
                            let on = self.lang == l;
                            html! {
                                <button id={format!("lang-{}", l.code())} lang={l.code()} aria-pressed={on.to_string()}
                                    class={classes!(on.then_some("active"))}
                                    onclick={link.callback(move |_| Msg::SetLang(l))}>{ self.t(&format!("lang-{}", l.code())) }</button>
                            }
                        }) }
                    </div>
                    <button id="projector" onclick={link.callback(|_| Msg::ToggleBig)} aria-pressed={self.big.to_string()}>
                        { self.t(if self.big { "projector-off" } else { "projector-on" }) }
                    </button>
                </header>
                if let Some(e) = &self.error {
                    <div class="error-banner" role="alert" id="error-banner">
                        <span>{ e }</span>
                        <button onclick={link.callback(|_| Msg::DismissError)}>{ self.t("dismiss") }</button>
                    </div>
                }
                if self.view == View::Lab { { body } } else { <main id="lab-main" tabindex="-1">{ body }</main> }
            </div>
        }
    }

    /// After the page is drawn: the charts (canvases) are painted.
    pub fn after_render(&mut self, link: &Link) {
        if self.draw_charts() {
            // Show the error banner.
            link.send_message(Msg::Redraw);
        }
    }
}
