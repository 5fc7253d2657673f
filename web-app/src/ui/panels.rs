//! The lab view: scenario picker and editor, transport controls, topology, inspector,
//! packet log, node tables and toggles, console, charts and exports.

use super::state::{has_errors, ExportKind, LabState, Link, Msg};
use super::topo_svg;
use crate::catalog;
use crate::controls;
use crate::driver::Driver;
use crate::inspector;
use crate::tables;
use lvslab_sim::lesson::Message;
use lvslab_sim::scenario::diag::Severity;
use lvslab_sim::trace::Direction;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

/// Speeds offered: simulated nanoseconds per wall-clock millisecond.
const SPEEDS: &[(f64, &str)] = &[
    (25.0, "0.1\u{d7}"),
    (100.0, "0.4\u{d7}"),
    (250.0, "1\u{d7}"),
    (1_000.0, "4\u{d7}"),
    (10_000.0, "40\u{d7}"),
    (100_000.0, "400\u{d7}"),
    (1_000_000.0, "real time"),
];

fn ms(t: u64) -> String {
    format!("{:.3}", t as f64 / 1e6)
}

impl LabState {
    /// The speed choice, each option saying how much simulated time passes per second.
    pub fn speed_select(&self, cur: f64, cb: Callback<f64>, id: &str) -> Html {
        let onchange = Callback::from(move |e: Event| {
            if let Some(s) = e.target_dyn_into::<HtmlSelectElement>() {
                if let Ok(v) = s.value().parse::<f64>() {
                    cb.emit(v);
                }
            }
        });
        let label = |v: f64, mult: &str| {
            if v >= 1_000_000.0 {
                return self.t("speed-real-time");
            }
            // v simulated ns per wall ms = v µs of simulated time per wall second.
            let sim =
                lvslab_sim::time::format_duration(lvslab_sim::SimDuration((v * 1000.0) as u64));
            self.cat
                .tr(self.lang, "speed-option", &[("mult", mult), ("sim", &sim)])
        };
        html! {
            <label class="inline">{ self.t("speed") }{ " " }
                <select id={id.to_string()} {onchange}>
                    { for SPEEDS.iter().map(|(v, l)| html! {
                        <option value={v.to_string()} selected={(*v - cur).abs() < 1e-9}>{ label(*v, l) }</option>
                    }) }
                </select>
            </label>
        }
    }

    /// A bundled scenario's title or watch text in the reader's language (the file's own
    /// text for anything the catalogue does not know, such as an edited scenario).
    pub fn scenario_text(&self, name: &str, what: &str, own: &str) -> String {
        let id = format!("scenario-{name}-{what}");
        if self.cat.has(self.lang, &id) {
            self.cat.tr(self.lang, &id, &[])
        } else {
            own.to_string()
        }
    }

    /// A message of the lab's plain modules in the reader's language: a drop reason
    /// (`reason`) is rendered as a reason, a header layer (`layer`) by its name.
    pub fn text_of(&self, m: &Message) -> String {
        let args: Vec<(&str, String)> = m
            .args
            .iter()
            .map(|(k, v)| {
                let v = match *k {
                    "reason" => self.cat.reason(self.lang, v),
                    "layer" => self.layer_name(v),
                    _ => v.clone(),
                };
                (*k, v)
            })
            .collect();
        let args: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.cat.tr(self.lang, m.id, &args)
    }

    /// A header layer as the inspector names it: protocol names stay, "inner IPv4" is
    /// translated.
    pub fn layer_name(&self, layer: &str) -> String {
        match layer {
            "inner IPv4" => self.t("inspector-inner-ipv4"),
            l => l.to_string(),
        }
    }

    /// The newest hop at the clock, for screen readers (a polite live region).
    /// Only while paused (stepping, seeking): during play a screen reader would be
    /// flooded with dozens of hops a second.
    pub fn hop_announcement(&self, l: &Driver) -> String {
        if l.playing {
            return String::new();
        }
        let n = l.visible_records();
        match n.checked_sub(1).map(|i| &l.records()[i]) {
            Some(r) => self.cat.tr(
                self.lang,
                "hop-announce",
                &[
                    ("node", &r.node),
                    (
                        "dir",
                        match r.dir {
                            Direction::Rx => "rx",
                            Direction::Tx => "tx",
                        },
                    ),
                    ("summary", &r.summary),
                ],
            ),
            None => String::new(),
        }
    }

    pub fn view_lab(&self, link: &Link) -> Html {
        html! {
            <div class={classes!("lab", self.lesson.is_some().then_some("in-lesson"), self.embed.then_some("embed"))}>
                if !self.embed {
                <aside class="sidebar">
                    <super::components::LessonList link={link.clone()} stamp={self.panel_stamp} />
                    if self.lesson.is_some() {
                        <details class="panel more"><summary>{ self.t("picker-show-all") }</summary>
                            <super::components::Picker link={link.clone()} stamp={self.panel_stamp} />
                            <super::components::Editor link={link.clone()} stamp={self.panel_stamp} />
                        </details>
                    } else {
                        <super::components::Picker link={link.clone()} stamp={self.panel_stamp} />
                        <super::components::Editor link={link.clone()} stamp={self.panel_stamp} />
                    }
                </aside>
                }
                <main id="lab-main" tabindex="-1">
                    if self.lesson.is_some() { <super::components::LessonPanel link={link.clone()} stamp={self.version} /> }
                    {
                        match &self.lab {
                            Some(l) => self.view_running(link, l),
                            None => html! {
                                <section class="panel" id="build-errors" role="alert"><h2>{ self.t("build-failed-title") }</h2>
                                <p>{ self.t("build-failed-help") }</p>
                                <ul class="diagnostics">
                                    { for self.diagnostics.iter().filter(|d| d.severity == Severity::Error).map(|d| html! { <li class="error">{ d.to_string() }</li> }) }
                                </ul></section>
                            },
                        }
                    }
                </main>
            </div>
        }
    }

    pub fn view_picker(&self, link: &Link) -> Html {
        let mut last_kind = None;
        let mut items = Vec::new();
        for e in &self.catalog {
            if last_kind != Some(e.kind) {
                last_kind = Some(e.kind);
                items.push(
                    html! { <li class="kind">{ self.t(catalog::kind_message_id(e.kind)) }</li> },
                );
            }
            let name = e.name.to_string();
            let active = self.current == e.name && !self.edited;
            items.push(html! {
                <li>
                    <button class={classes!("scenario", active.then_some("active"))} id={format!("pick-{}", e.name)}
                        aria-pressed={active.to_string()}
                        onclick={link.callback(move |_| Msg::Pick(name.clone()))}>
                        <span class="title">{ self.scenario_text(e.name, "title", &e.title) }</span>
                        <span class="watch">{ self.scenario_text(e.name, "watch", &e.watch) }</span>
                    </button>
                </li>
            });
        }
        let seed_in = link.callback(|e: InputEvent| {
            Msg::SeedInput(
                e.target_dyn_into::<HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default(),
            )
        });
        let seed_key =
            link.batch_callback(|e: KeyboardEvent| (e.key() == "Enter").then_some(Msg::ApplySeed));
        html! {
            <section class="panel picker">
                <h2>{ self.t("picker-scenarios") }</h2>
                <ul>{ for items }</ul>
                <div class="row">
                    <label class="inline">{ self.t("picker-seed") }{ " " }
                        <input id="seed" type="number" min="0" value={self.seed_input.clone()} oninput={seed_in} onkeydown={seed_key} />
                    </label>
                    <button onclick={link.callback(|_| Msg::ApplySeed)}>{ self.t("picker-rerun-seed") }</button>
                </div>
                <label class="block">{ self.t("picker-share-link") }
                    <input id="share" readonly=true value={self.share_link()} onfocus={Callback::from(|e: FocusEvent| {
                        if let Some(i) = e.target_dyn_into::<HtmlInputElement>() { i.select(); }
                    })} />
                </label>
            </section>
        }
    }

    pub fn view_editor(&self, link: &Link) -> Html {
        let oninput = link.callback(|e: InputEvent| {
            Msg::EditorInput(
                e.target_dyn_into::<HtmlTextAreaElement>()
                    .map(|t| t.value())
                    .unwrap_or_default(),
            )
        });
        let errors = has_errors(&self.diagnostics);
        html! {
            <section class="panel editor">
                <h2>{ self.t(if self.edited { "editor-title-edited" } else { "editor-title" }) }</h2>
                <textarea id="editor" spellcheck="false" value={self.editor_text.clone()} {oninput} aria-label={self.t("editor-title")} />
                if let Some(n) = self.lab.as_ref().map(|l| l.inputs.len()).filter(|n| *n > 0 && !self.diagnostics.is_empty()) {
                    <p class="note" id="diagnostics-stale">{ self.cat.tr(self.lang, "diagnostics-stale", &[("n", &n.to_string())]) }</p>
                }
                <ul class="diagnostics" id="diagnostics" aria-live="polite">
                    if self.diagnostics.is_empty() {
                        <li class="ok">{ self.t("editor-no-problems") }</li>
                    }
                    { for self.diagnostics.iter().map(|d| {
                        let (sev, id) = match d.severity { Severity::Error => ("error", "editor-error"), Severity::Warning => ("warning", "editor-warning") };
                        let head = if d.line > 0 {
                            self.cat.tr(self.lang, &format!("{id}-at"), &[("line", &d.line.to_string()), ("col", &d.col.to_string())])
                        } else {
                            self.t(id)
                        };
                        html! {
                            <li class={sev}>
                                <b>{ head }{ " " }</b>
                                if !d.path.is_empty() { <code>{ &d.path }</code>{ " " } }
                                { &d.message }
                                if let Some(h) = &d.hint { <div class="hint">{ h }</div> }
                            </li>
                        }
                    }) }
                </ul>
                <div class="row">
                    <button id="run-edited" disabled={errors} onclick={link.callback(|_| Msg::RunEdited)}>{ self.t("editor-run") }</button>
                    <button onclick={link.callback(|_| Msg::RevertEditor)} disabled={!self.edited}>{ self.t("editor-revert") }</button>
                </div>
            </section>
        }
    }

    fn view_running(&self, link: &Link, l: &Driver) -> Html {
        let m = &l.sim.world.metrics;
        let title = self
            .catalog
            .iter()
            .find(|e| e.name == l.name)
            .filter(|_| !self.edited);
        let dots = l.dots();
        let skip = link.callback(|e: Event| {
            Msg::SkipIdle(
                e.target_dyn_into::<HtmlInputElement>()
                    .map(|i| i.checked())
                    .unwrap_or(true),
            )
        });
        html! {
            <>
            <section class="panel stage">
                <div class="scenario-head">
                    <h2>{ title.map(|e| self.scenario_text(e.name, "title", &e.title))
                        .or_else(|| self.edited_meta.as_ref().map(|m| m.0.clone()))
                        .unwrap_or_else(|| l.sim.name.clone()) }</h2>
                    if let (Some(e), None) = (title, &self.lesson) { <p class="watch-text"><b>{ self.t("watch") }{ " " }</b>{ self.scenario_text(e.name, "watch", &e.watch) }</p> }
                    else if let (Some((_, w)), true, None) = (&self.edited_meta, self.edited, &self.lesson) {
                        <p class="watch-text"><b>{ self.t("watch") }{ " " }</b>{ w }</p>
                    }
                </div>
                <div class="controls" role="toolbar" aria-label={self.t("controls-label")}>
                    <button id="play" class="primary" onclick={link.callback(|_| Msg::TogglePlay)}
                        title={self.t("key-space")}>{ self.t(if l.playing { "pause" } else { "play" }) }</button>
                    <button id="step" onclick={link.callback(|_| Msg::Step)} title="s">{ self.t("step-hop") }</button>
                    { self.speed_select(l.speed, link.callback(Msg::Speed), "speed") }
                    <label class="inline"><input type="checkbox" checked={l.skip_idle} onchange={skip} />{ " " }{ self.t("skip-idle") }</label>
                    <button id="run-to-end" disabled={l.view_t >= l.sim.end.0} title={if l.view_t >= l.sim.end.0 { self.t("run-over") } else { String::new() }}
                        onclick={link.callback(|_| Msg::RunToEnd)}>{ self.t("run-to-end") }</button>
                    <button id="send-request" onclick={link.callback(|_| Msg::SendRequest)}>{ self.t("send-request") }</button>
                    <button id="restart" onclick={link.callback(|_| Msg::Restart)}
                        title={if l.inputs.is_empty() { String::new() } else { self.cat.tr(self.lang, "restart-keeps", &[("n", &l.inputs.len().to_string())]) }}>{ self.t("restart") }</button>
                    if !l.inputs.is_empty() {
                        <button id="discard-changes" onclick={link.callback(|_| Msg::DiscardChanges)}>{ self.cat.tr(self.lang, "discard-changes", &[("n", &l.inputs.len().to_string())]) }</button>
                    }
                </div>
                <div class="counters" aria-live="off">
                    <span>{ self.t("counter-clock") }{ " " }<b id="clock">{ format!("{} ms", ms(l.view_t)) }</b></span>
                    <span>{ self.t("counter-sent") }{ " " }<b id="counter-sent">{ m.requests_sent }</b></span>
                    <span>{ self.t("counter-completed") }{ " " }<b id="counter-completed">{ m.requests_completed }</b></span>
                    <span>{ self.t("counter-failed") }{ " " }<b id="counter-failed">{ m.requests_failed }</b></span>
                    <span>{ self.t("counter-frames") }{ " " }<b id="counter-frames">{ m.frames }</b></span>
                    <span>{ self.t("counter-on-wire") }{ " " }<b id="in-flight">{ dots.len() }</b></span>
                </div>
                if l.trace_stopped {
                    <p class="note">{ self.t("trace-stopped") }</p>
                }
                { topo_svg::topology(&l.topo, &dots, &topo_svg::Live::of(&l.sim), &self.highlighted(), link.callback(Msg::Inspect), link.callback(Msg::InspectNode), self.palette_safe, "topology", &|id: &str| self.t(id)) }
                { self.view_timeline(link, l) }
                <div class="sr-only" id="hop-announcer" aria-live="polite">{ self.hop_announcement(l) }</div>
                <p class="legend">{ self.t("legend-frames") }
                    <label class="inline"><input type="checkbox" id="palette-safe" checked={self.palette_safe}
                        onchange={link.callback(|e: Event| Msg::Palette(e.target_dyn_into::<HtmlInputElement>().map(|i| i.checked()).unwrap_or(false)))} />
                    { " " }{ self.t("palette-safe-label") }</label></p>
            </section>
            { self.view_inspector(link, l) }
            <div class="two-col">
                <super::components::PacketLog link={link.clone()} stamp={self.panel_stamp} />
                <super::components::Nodes link={link.clone()} stamp={self.panel_stamp} />
            </div>
            <super::components::HaPanel link={link.clone()} stamp={self.panel_stamp} />
            <super::components::ConsolePanel link={link.clone()} stamp={self.panel_stamp} />
            <section class="panel">
                <h2>{ self.t("charts-title") }</h2>
                { super::chart_canvas::chart_canvases("lab") }
            </section>
            <super::components::Exports link={link.clone()} stamp={self.panel_stamp} />
            </>
        }
    }

    fn view_inspector(&self, link: &Link, l: &Driver) -> Html {
        let Some(idx) = self.selected else {
            return html! {};
        };
        let recs = l.records();
        let Some(ins) = inspector::inspect(recs, &l.flights, idx) else {
            return html! {};
        };
        let (lit_fields, _) = self.highlighted_rows();
        let rows = ins.rows.iter().map(|r| {
            let lit = lit_fields
                .iter()
                .any(|f| inspector::field_matches(f, &r.layer, r.name));
            html! {
                <tr class={classes!(r.changed.then_some("changed"), lit.then_some("highlight"))}>
                    <td>{ self.layer_name(&r.layer) }</td><td>{ r.name }</td>
                    <td class="mono">{ r.before.clone().unwrap_or_default() }</td>
                    <td class="mono">{ r.after.clone().unwrap_or_default() }</td>
                </tr>
            }
        });
        let summary = recs.get(idx).map(|r| r.summary.clone()).unwrap_or_default();
        html! {
            <section class="panel inspector" id="inspector" aria-live="polite">
                <div class="row">
                    <h2>{ self.cat.tr(self.lang, "inspector-title", &[("node", &ins.node), ("t", &ms(ins.t))]) }</h2>
                    <span class="spacer"></span>
                    <button onclick={link.callback(|_| Msg::CloseInspector)}>{ self.t("inspector-close") }</button>
                </div>
                <p class="mono">{ summary }</p>
                <p>{ match &ins.outcome {
                    Some(o) => self.cat.tr(self.lang, "inspector-outcome", &[("outcome", &self.text_of(o))]),
                    None => self.t("inspector-highlight"),
                } }</p>
                <table>
                    <thead><tr><th>{ self.t("inspector-layer") }</th><th>{ self.t("inspector-field") }</th>
                        <th>{ self.cat.tr(self.lang, "inspector-arriving", &[("node", &ins.node)]) }</th>
                        <th>{ self.cat.tr(self.lang, "inspector-leaving", &[("node", &ins.node)]) }</th></tr></thead>
                    <tbody>{ for rows }</tbody>
                </table>
            </section>
        }
    }

    pub fn view_nodes(&self, link: &Link, l: &Driver) -> Html {
        let host = self.node_tab.min(l.sim.hosts.len().saturating_sub(1));
        let tabs = l.sim.hosts.iter().enumerate().map(|(i, h)| {
            let active = i == host;
            html! {
                <button class={classes!("tab", active.then_some("active"), (!h.up).then_some("down"))} id={format!("node-{}", h.name)}
                    aria-pressed={active.to_string()} onclick={link.callback(move |_| Msg::NodeTab(i))}>{ &h.name }</button>
            }
        });
        let Some(h) = l.sim.hosts.get(host) else {
            return html! {};
        };
        let toggles = controls::toggles(&l.sim, host).into_iter().map(|t| {
            // A host switch is named by its message; a sysctl switch by the setting itself.
            let name = t.message.map(|m| self.t(m)).unwrap_or_else(|| t.label.clone());
            let label = format!("{}: {}", h.name, name);
            let action = t.action.clone();
            let id = format!("toggle-{}-{}", h.name, t.label.split('=').next().unwrap_or("").replace(' ', "-"));
            let text = match (t.message, t.on) {
                (None, on) => self.cat.tr(self.lang, if on { "toggle-set" } else { "toggle-unset" }, &[("setting", &t.label)]),
                (Some(_), true) => self.cat.tr(self.lang, "toggle-recover", &[("host", &h.name)]),
                (Some(_), false) => name,
            };
            html! {
                <button class={classes!("toggle", t.on.then_some("on"))} aria-pressed={t.on.to_string()} {id}
                    onclick={link.callback(move |_| Msg::Fault(action.clone(), label.clone()))}>
                    { text }
                </button>
            }
        });
        let (svcs, dests) = controls::services(&l.sim);
        let svc_controls = svcs.into_iter().filter(|s| s.director == host).map(|s| {
            let s2 = s.clone();
            let onchange = link.batch_callback(move |e: Event| {
                e.target_dyn_into::<HtmlSelectElement>()
                    .map(|x| Msg::Ipvsadm(s2.director, s2.scheduler_command(&x.value())))
            });
            html! {
                <label class="inline">{ self.cat.tr(self.lang, "nodes-scheduler", &[("service", &s.service)]) }{ " " }
                    <select {onchange} id="scheduler">
                        { for controls::SCHEDULERS.iter().map(|x| html! { <option value={*x} selected={*x == s.scheduler}>{ *x }</option> }) }
                    </select>
                </label>
            }
        });
        let dest_controls = dests.into_iter().filter(|d| d.director == host).map(|d| {
            let d2 = d.clone();
            let onchange = link.batch_callback(move |e: Event| {
                e.target_dyn_into::<HtmlInputElement>()
                    .and_then(|x| x.value().parse::<i32>().ok())
                    .map(|w| Msg::Ipvsadm(d2.director, d2.weight_command(w)))
            });
            html! {
                <label class="inline">{ self.cat.tr(self.lang, "nodes-weight", &[("dest", &d.dest)]) }{ " " }
                    <input type="number" min="0" max="65535" value={d.weight.to_string()} {onchange} class="weight" />
                </label>
            }
        });
        let arp = tables::arp_rows(&l.sim, host);
        let (_, lit_arp) = self.highlighted_rows();
        html! {
            <section class="panel nodes">
                <h2>{ self.t("nodes-title") }</h2>
                <div class="tabs" role="group" aria-label={self.t("nodes-title")}>{ for tabs }</div>
                <div class="row wrap">{ for toggles }</div>
                if h.ipvs.is_some() {
                    <div class="row wrap">{ for svc_controls }{ for dest_controls }</div>
                }
                <h3>{ self.cat.tr(self.lang, "arp-title", &[("host", &h.name)]) }</h3>
                <table class="arp" id="arp-table">
                    <thead><tr><th>{ self.t("arp-col-iface") }</th><th>{ "IP" }</th><th>{ "MAC" }</th><th>{ self.t("arp-col-state") }</th><th>{ self.t("arp-col-owner") }</th></tr></thead>
                    <tbody>
                        if arp.is_empty() { <tr><td colspan="5">{ self.t("arp-empty") }</td></tr> }
                        { for arp.iter().map(|r| html! {
                            <tr class={classes!(lit_arp.iter().any(|(hn, ip)| *hn == h.name && *ip == r.ip).then_some("highlight"))}><td>{ &r.iface }</td><td class="mono">{ &r.ip }</td>
                                <td class="mono">{ r.mac.clone().unwrap_or_else(|| self.t("arp-incomplete")) }</td>
                                <td>{ &r.state }</td><td>{ &r.owner }</td></tr>
                        }) }
                    </tbody>
                </table>
                if let Some(ln) = tables::ipvsadm_ln(&l.sim, host) {
                    <h3>{ "ipvsadm -Ln" }</h3>
                    <pre id="ipvsadm-ln">{ ln }</pre>
                    <h3>{ "ipvsadm -Lnc" }</h3>
                    <pre id="ipvsadm-lnc" class="scroll" tabindex="0">{ tables::ipvsadm_lnc(&l.sim, host).unwrap_or_default() }</pre>
                }
                if !l.changes.is_empty() {
                    <h3>{ self.t("nodes-changes") }</h3>
                    <ul>{ for l.changes.iter().map(|(t, s)| html! { <li>{ format!("{t:.3} s: {s}") }</li> }) }</ul>
                }
            </section>
        }
    }

    pub fn view_console(&self, link: &Link, l: &Driver) -> Html {
        let directors: Vec<(usize, String)> = l
            .sim
            .hosts
            .iter()
            .enumerate()
            .filter(|(_, h)| h.ipvs.is_some())
            .map(|(i, h)| (i, h.name.clone()))
            .collect();
        let prompt = l
            .sim
            .hosts
            .get(self.console_host)
            .map(|h| h.name.clone())
            .unwrap_or_default();
        let oninput = link.callback(|e: InputEvent| {
            Msg::ConsoleInput(
                e.target_dyn_into::<HtmlInputElement>()
                    .map(|i| i.value())
                    .unwrap_or_default(),
            )
        });
        let onkeydown = link.batch_callback(|e: KeyboardEvent| match e.key().as_str() {
            "Enter" => Some(Msg::ConsoleSubmit),
            "ArrowUp" => {
                e.prevent_default();
                Some(Msg::ConsoleOlder)
            }
            "ArrowDown" => {
                e.prevent_default();
                Some(Msg::ConsoleNewer)
            }
            _ => None,
        });
        let host_change = link.batch_callback(|e: Event| {
            e.target_dyn_into::<HtmlSelectElement>()
                .and_then(|s| s.value().parse().ok())
                .map(Msg::ConsoleHost)
        });
        html! {
            <section class="panel console">
                <div class="row">
                    <h2>{ self.t("console-title") }</h2>
                    <span class="spacer"></span>
                    if directors.len() > 1 {
                        <select onchange={host_change}>
                            { for directors.iter().map(|(i, n)| html! { <option value={i.to_string()} selected={*i == self.console_host}>{ n }</option> }) }
                        </select>
                    }
                </div>
                // Newest first in a column-reverse box: the screen stays scrolled to the bottom.
                <div class="screen" id="console-output">
                    { for l.console.entries.iter().rev().map(|e| html! {
                        <div class="entry">
                            <div class="cmd">{ format!("[{} {:.3}s]# {}", e.host, e.t, e.input) }</div>
                            if !e.output.stdout.is_empty() { <pre class="out">{ &e.output.stdout }</pre> }
                            if !e.output.stderr.is_empty() { <pre class="err">{ &e.output.stderr }</pre> }
                        </div>
                    }) }
                </div>
                <div class="prompt">
                    <span class="mono">{ format!("[{prompt}]# ") }</span>
                    <input id="console-input" type="text" autocomplete="off" spellcheck="false" aria-label={self.t("console-input-label")}
                        placeholder={self.t("console-placeholder")}
                        value={self.console_input.clone()} {oninput} {onkeydown} />
                </div>
            </section>
        }
    }

    pub fn view_exports(&self, link: &Link, l: &Driver) -> Html {
        let keep = crate::exports::keepalived_conf(&l.sim).is_some();
        let scripts = crate::exports::real_server_scripts(&l.sim).is_some();
        html! {
            <section class="panel exports">
                <h2>{ self.t("export-title") }</h2>
                <div class="row wrap">
                    <button id="dl-rules" onclick={link.callback(|_| Msg::Export(ExportKind::Rules))}>{ self.t("export-rules") }</button>
                    <button id="dl-pcap" onclick={link.callback(|_| Msg::Export(ExportKind::Pcap))}>{ self.t("export-pcap") }</button>
                    <button id="dl-toml" onclick={link.callback(|_| Msg::Export(ExportKind::Toml))}>{ self.t("export-toml") }</button>
                    <button disabled={!keep} title={if keep { String::new() } else { self.t("export-not-yet") }}
                        onclick={link.callback(|_| Msg::Export(ExportKind::Keepalived))}>
                        { if keep { "keepalived.conf".to_string() } else { self.t("export-keepalived-not-yet") } }</button>
                    <button disabled={!scripts} title={if scripts { String::new() } else { self.t("export-not-yet") }}
                        onclick={link.callback(|_| Msg::Export(ExportKind::Scripts))}>
                        { if scripts { self.t("export-scripts") } else { self.t("export-scripts-not-yet") } }</button>
                </div>
            </section>
        }
    }
}
