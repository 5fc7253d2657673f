//! The what-if panel: sliders, a bulk rerun, its timing and its charts.

use super::chart_canvas::chart_canvases;
use super::state::{LabState, Link, Msg, WiMsg};
use crate::controls::SCHEDULERS;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

fn slider(
    id: &str,
    label: String,
    min: f64,
    max: f64,
    step: f64,
    value: f64,
    cb: Callback<f64>,
) -> Html {
    let oninput = Callback::from(move |e: InputEvent| {
        if let Some(v) = e
            .target_dyn_into::<HtmlInputElement>()
            .and_then(|i| i.value().parse::<f64>().ok())
        {
            cb.emit(v);
        }
    });
    html! {
        <label class="slider">
            <span>{ label }</span>
            <input id={id.to_string()} type="range" min={min.to_string()} max={max.to_string()} step={step.to_string()}
                value={value.to_string()} {oninput} />
        </label>
    }
}

impl LabState {
    pub fn view_whatif(&self, link: &Link) -> Html {
        let w = &self.whatif;
        let source = link.callback(|e: Event| {
            Msg::Wi(WiMsg::UseCurrent(
                e.target_dyn_into::<HtmlSelectElement>()
                    .map(|s| s.value() == "current")
                    .unwrap_or(false),
            ))
        });
        let controls = match &w.params {
            None => html! {},
            Some(p) => {
                let weights = p.weights.iter().enumerate().map(|(i, (dest, wt))| {
                    slider(
                        &format!("wi-weight-{i}"),
                        self.cat.tr(
                            self.lang,
                            "whatif-weight",
                            &[("dest", dest), ("weight", &wt.to_string())],
                        ),
                        0.0,
                        10.0,
                        1.0,
                        *wt as f64,
                        link.callback(move |v: f64| Msg::Wi(WiMsg::Weight(i, v as i32))),
                    )
                });
                let sched = link.batch_callback(|e: Event| {
                    e.target_dyn_into::<HtmlSelectElement>()
                        .map(|s| Msg::Wi(WiMsg::Scheduler(s.value())))
                });
                html! {
                    <div class="sliders">
                        { for weights }
                        <label class="slider"><span>{ self.t("whatif-scheduler") }</span>
                            <select id="wi-scheduler" onchange={sched}>
                                { for SCHEDULERS.iter().map(|s| html! { <option value={*s} selected={*s == p.scheduler}>{ *s }</option> }) }
                            </select>
                        </label>
                        { slider("wi-fin", self.cat.tr(self.lang, "whatif-fin", &[("s", &p.tcp_fin_s.to_string())]), 1.0, 240.0, 1.0,
                            p.tcp_fin_s as f64, link.callback(|v: f64| Msg::Wi(WiMsg::TcpFin(v as u32)))) }
                        { slider("wi-tw", self.cat.tr(self.lang, "whatif-time-wait", &[("s", &format!("{:.1}", p.time_wait_ms as f64 / 1000.0))]), 1.0, 120.0, 1.0,
                            p.time_wait_ms as f64 / 1000.0, link.callback(|v: f64| Msg::Wi(WiMsg::TimeWait((v * 1000.0) as u64)))) }
                        { slider("wi-rate", self.cat.tr(self.lang, "whatif-rate", &[("rate", &format!("{:.0}", p.rate))]), 10.0, 5000.0, 10.0,
                            p.rate, link.callback(|v: f64| Msg::Wi(WiMsg::Rate(v)))) }
                        { slider("wi-connections", self.cat.tr(self.lang, "whatif-connections", &[("n", &p.connections.to_string())]), 100.0, 60000.0, 100.0,
                            p.connections as f64, link.callback(|v: f64| Msg::Wi(WiMsg::Connections(v as u64)))) }
                    </div>
                }
            }
        };
        let tr = |id: &str, args: &[(&str, &str)]| self.cat.tr(self.lang, id, args);
        let sep = self.t("list-sep");
        let result = match &w.outcome {
            None => html! {},
            Some(o) => html! {
                <div class="whatif-result" id="wi-result">
                    <p>
                        <b>{ tr("whatif-totals", &[("sent", &o.sent.to_string()), ("completed", &o.completed.to_string()), ("failed", &o.failed.to_string())]) }</b>
                        { tr("whatif-latency", &[("p50", &format!("{:.2}", o.p50_ms)), ("p99", &format!("{:.2}", o.p99_ms)), ("secs", &format!("{:.0}", o.simulated_s))]) }
                    </p>
                    <p>{ tr("whatif-served-by", &[("list", &o.per_server.iter().map(|(s, n)| format!("{s} {n}")).collect::<Vec<_>>().join(&sep))]) }</p>
                    if !o.failures.is_empty() {
                        <p class="warn">{ tr("whatif-failures", &[("list", &o.failures.iter()
                            .map(|(s, n)| tr("whatif-failure-item", &[("n", &n.to_string()), ("reason", &self.cat.reason(self.lang, s))]))
                            .collect::<Vec<_>>().join(&sep))]) }</p>
                    }
                    if let Some(ms) = w.elapsed_ms {
                        <p id="wi-timing">{ tr("whatif-timing", &[
                            ("ms", &format!("{ms:.0}")),
                            ("events", &o.events.to_string()),
                            ("rate", &format!("{:.2}", o.events as f64 / (ms.max(0.001) / 1000.0) / 1e6)),
                            ("mode", &self.t(if o.bulk { "whatif-mode-bulk" } else { "whatif-mode-packets" })),
                        ]) }</p>
                    }
                </div>
            },
        };
        html! {
            <section class="panel whatif">
                <h2>{ self.t("whatif-title") }</h2>
                <p>{ self.t("whatif-intro") }</p>
                <label class="inline">{ self.t("whatif-scenario") }{ " " }
                    <select onchange={source}>
                        <option value="base" selected={!w.use_current}>{ self.t("whatif-base") }</option>
                        <option value="current" selected={w.use_current}>{ self.t("whatif-current") }</option>
                    </select>
                </label>
                { controls }
                <button id="wi-run" class="primary" disabled={w.running} onclick={link.callback(|_| Msg::Wi(WiMsg::Run))}>
                    { self.t(if w.running { "whatif-running" } else { "whatif-run" }) }</button>
                if let Some(e) = &w.error { <p class="error" role="alert">{ e }</p> }
                { result }
                { chart_canvases("wi") }
            </section>
        }
    }
}
