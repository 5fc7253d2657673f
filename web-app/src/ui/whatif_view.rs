//! The what-if panel: sliders, a bulk rerun, its timing and its charts.

use super::app::{App, Msg, WiMsg};
use super::panels::chart_canvases;
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

impl App {
    pub fn view_whatif(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
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
                        format!("weight of {dest}: {wt}"),
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
                        <label class="slider"><span>{ "scheduler" }</span>
                            <select id="wi-scheduler" onchange={sched}>
                                { for SCHEDULERS.iter().map(|s| html! { <option value={*s} selected={*s == p.scheduler}>{ *s }</option> }) }
                            </select>
                        </label>
                        { slider("wi-fin", format!("IPVS FIN timeout (ipvsadm --set): {} s", p.tcp_fin_s), 1.0, 240.0, 1.0,
                            p.tcp_fin_s as f64, link.callback(|v: f64| Msg::Wi(WiMsg::TcpFin(v as u32)))) }
                        { slider("wi-tw", format!("hosts' TCP TIME_WAIT: {:.1} s", p.time_wait_ms as f64 / 1000.0), 1.0, 120.0, 1.0,
                            p.time_wait_ms as f64 / 1000.0, link.callback(|v: f64| Msg::Wi(WiMsg::TimeWait((v * 1000.0) as u64)))) }
                        { slider("wi-rate", format!("arrival rate: {:.0} connections/s", p.rate), 10.0, 5000.0, 10.0,
                            p.rate, link.callback(|v: f64| Msg::Wi(WiMsg::Rate(v)))) }
                        { slider("wi-connections", format!("connections: {}", p.connections), 100.0, 60000.0, 100.0,
                            p.connections as f64, link.callback(|v: f64| Msg::Wi(WiMsg::Connections(v as u64)))) }
                    </div>
                }
            }
        };
        let result = match &w.outcome {
            None => html! {},
            Some(o) => html! {
                <div class="whatif-result" id="wi-result">
                    <p>
                        <b>{ format!("{} sent, {} completed, {} failed", o.sent, o.completed, o.failed) }</b>
                        { format!(" — latency p50 {:.2} ms, p99 {:.2} ms; {:.0} simulated seconds", o.p50_ms, o.p99_ms, o.simulated_s) }
                    </p>
                    <p>{ "served by: " }{ o.per_server.iter().map(|(s, n)| format!("{s} {n}")).collect::<Vec<_>>().join(", ") }</p>
                    if !o.failures.is_empty() {
                        <p class="warn">{ "failures: " }{ o.failures.iter().map(|(s, n)| format!("{n} {s}")).collect::<Vec<_>>().join(", ") }</p>
                    }
                    if let Some(ms) = w.elapsed_ms {
                        <p id="wi-timing">{ format!("computed in {:.0} ms ({} events, {:.2} M events/s, {})", ms, o.events,
                            o.events as f64 / (ms.max(0.001) / 1000.0) / 1e6,
                            if o.bulk { "connection-level bulk run" } else { "packet-level run" }) }</p>
                    }
                </div>
            },
        };
        html! {
            <section class="panel whatif">
                <h2>{ "What if…" }</h2>
                <p>{ "Each run simulates every packet of every connection (no animation, no trace), then charts the result." }</p>
                <label class="inline">{ "Scenario " }
                    <select onchange={source}>
                        <option value="base" selected={!w.use_current}>{ "DR cluster of three (one LAN)" }</option>
                        <option value="current" selected={w.use_current}>{ "the lab's current scenario" }</option>
                    </select>
                </label>
                { controls }
                <button id="wi-run" class="primary" disabled={w.running} onclick={link.callback(|_| Msg::Wi(WiMsg::Run))}>
                    { if w.running { "Running\u{2026}" } else { "Run" } }</button>
                if let Some(e) = &w.error { <p class="error" role="alert">{ e }</p> }
                { result }
                { chart_canvases("wi") }
            </section>
        }
    }
}
