//! The what-if panel: sliders (weights per director and service, the scheduler, timeouts,
//! load and the real servers' capacity), a bulk rerun, its timing, its charts with the
//! previous run under them and their downloads; the sweep below (whatif_sweep_view).

use super::state::{LabState, Link, Msg, WiMsg};
use super::whatif_state::WiChart;
use crate::controls::SCHEDULERS;
use crate::whatif::{weight_label, ServiceDist};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

pub(super) fn slider(
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

/// "5", "0.2", "12.5": a number as a slider label shows it.
fn short(v: f64) -> String {
    crate::chart_export::number((v * 100.0).round() / 100.0)
}

impl LabState {
    /// A chart's canvas with its CSV and PNG buttons (`whatif-csv-latency`,
    /// `whatif-png-latency`). `previous` marks a canvas that shows the previous run too.
    pub(super) fn whatif_chart(
        &self,
        link: &Link,
        c: WiChart,
        ready: bool,
        previous: bool,
    ) -> Html {
        let title = self.t(c.title_id());
        let csv_label = self
            .cat
            .tr(self.lang, "whatif-download-csv-label", &[("chart", &title)]);
        let png_label = self
            .cat
            .tr(self.lang, "whatif-download-png-label", &[("chart", &title)]);
        html! {
            <figure class="chart">
                <canvas id={c.canvas_id()} width="520" height="280" role="img" aria-label={title.clone()}
                    data-previous={previous.to_string()}></canvas>
                <figcaption class="chart-actions">
                    <button id={format!("whatif-csv-{}", c.slug())} disabled={!ready} aria-label={csv_label}
                        onclick={link.callback(move |_| Msg::Wi(WiMsg::Csv(c)))}>{ self.t("whatif-download-csv") }</button>
                    <button id={format!("whatif-png-{}", c.slug())} disabled={!ready} aria-label={png_label}
                        onclick={link.callback(move |_| Msg::Wi(WiMsg::Png(c)))}>{ self.t("whatif-download-png") }</button>
                </figcaption>
            </figure>
        }
    }

    fn whatif_sliders(&self, link: &Link) -> Html {
        let w = &self.whatif;
        let Some(p) = &w.params else {
            return html! {};
        };
        let tr = |id: &str, args: &[(&str, &str)]| self.cat.tr(self.lang, id, args);
        let cap = w.capacity_or_default();
        let weights = p.weights.iter().enumerate().map(|(i, (key, wt))| {
            slider(
                &format!("wi-weight-{i}"),
                tr(
                    "whatif-weight",
                    &[("dest", &weight_label(key)), ("weight", &wt.to_string())],
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
        let workers = p.workers_or(&cap);
        let service = p.service_or(&cap);
        let dist = link.batch_callback(|e: Event| {
            e.target_dyn_into::<HtmlSelectElement>()
                .and_then(|s| ServiceDist::parse(&s.value()))
                .map(|d| Msg::Wi(WiMsg::Distribution(d)))
        });
        html! {
            <>
            <div class="sliders">
                { for weights }
                <label class="slider"><span>{ self.t("whatif-scheduler") }</span>
                    <select id="wi-scheduler" onchange={sched}>
                        { for SCHEDULERS.iter().map(|s| html! { <option value={*s} selected={*s == p.scheduler}>{ *s }</option> }) }
                    </select>
                </label>
                { slider("wi-fin", tr("whatif-fin", &[("s", &p.tcp_fin_s.to_string())]), 1.0, 240.0, 1.0,
                    p.tcp_fin_s as f64, link.callback(|v: f64| Msg::Wi(WiMsg::TcpFin(v as u32)))) }
                { slider("wi-tw", tr("whatif-time-wait", &[("s", &format!("{:.1}", p.time_wait_ms as f64 / 1000.0))]), 1.0, 120.0, 1.0,
                    p.time_wait_ms as f64 / 1000.0, link.callback(|v: f64| Msg::Wi(WiMsg::TimeWait((v * 1000.0) as u64)))) }
                { slider("wi-rate", tr("whatif-rate", &[("rate", &format!("{:.0}", p.rate))]), 10.0, 10000.0, 10.0,
                    p.rate, link.callback(|v: f64| Msg::Wi(WiMsg::Rate(v)))) }
                { slider("wi-connections", tr("whatif-connections", &[("n", &p.connections.to_string())]), 100.0, 60000.0, 100.0,
                    p.connections as f64, link.callback(|v: f64| Msg::Wi(WiMsg::Connections(v as u64)))) }
            </div>
            <fieldset class="capacity">
                <legend>{ self.t("whatif-capacity") }</legend>
                <p class="hint">{ self.t("whatif-capacity-note") }</p>
                <div class="sliders">
                    { slider("wi-workers", tr("whatif-workers", &[("n", &workers.to_string())]), 1.0, 64.0, 1.0,
                        workers as f64, link.callback(|v: f64| Msg::Wi(WiMsg::Workers(v as u32)))) }
                    { slider("wi-service", tr("whatif-service-mean", &[("ms", &short(service.mean_ms))]), 0.5, 200.0, 0.5,
                        service.mean_ms, link.callback(|v: f64| Msg::Wi(WiMsg::ServiceMean(v)))) }
                    <label class="slider"><span>{ self.t("whatif-service-dist") }</span>
                        <select id="wi-service-dist" onchange={dist}>
                            { for ServiceDist::ALL.iter().map(|d| html! {
                                <option value={d.slug()} selected={*d == service.dist}>{ self.t(&format!("whatif-dist-{}", d.slug())) }</option>
                            }) }
                        </select>
                    </label>
                </div>
            </fieldset>
            </>
        }
    }

    fn whatif_result(&self) -> Html {
        let w = &self.whatif;
        let Some(o) = &w.outcome else {
            return html! {};
        };
        let tr = |id: &str, args: &[(&str, &str)]| self.cat.tr(self.lang, id, args);
        let sep = self.t("list-sep");
        html! {
            <div class="whatif-result" id="wi-result" data-run={w.runs.to_string()}
                data-p50={format!("{:.3}", o.p50_ms)} data-p99={format!("{:.3}", o.p99_ms)}
                data-completed={o.completed.to_string()} data-failed={o.failed.to_string()}>
                <p>
                    <b>{ tr("whatif-totals", &[("sent", &o.sent.to_string()), ("completed", &o.completed.to_string()), ("failed", &o.failed.to_string())]) }</b>
                    { tr("whatif-latency", &[("p50", &format!("{:.2}", o.p50_ms)), ("p99", &format!("{:.2}", o.p99_ms)), ("secs", &format!("{:.0}", o.simulated_s))]) }
                </p>
                <p>{ tr("whatif-throughput", &[("rate", &format!("{:.0}", o.throughput))]) }</p>
                <p>{ tr("whatif-served-by", &[("list", &o.per_server.iter().map(|(s, n)| format!("{s} {n}")).collect::<Vec<_>>().join(&sep))]) }</p>
                if !o.failures.is_empty() {
                    <p class="warn">{ tr("whatif-failures", &[("list", &o.failures.iter()
                        .map(|(s, n)| tr("whatif-failure-item", &[("n", &n.to_string()), ("reason", &self.cat.reason(self.lang, s))]))
                        .collect::<Vec<_>>().join(&sep))]) }</p>
                }
                if let Some(prev) = &w.previous {
                    <p id="wi-previous" class="previous-run"
                        data-p50={format!("{:.3}", prev.p50_ms)} data-p99={format!("{:.3}", prev.p99_ms)}>
                        { tr("whatif-previous", &[("p50", &format!("{:.2}", prev.p50_ms)), ("p99", &format!("{:.2}", prev.p99_ms)),
                            ("failed", &prev.failed.to_string())]) }</p>
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
        }
    }

    pub fn view_whatif(&self, link: &Link) -> Html {
        let w = &self.whatif;
        let source = link.callback(|e: Event| {
            Msg::Wi(WiMsg::UseCurrent(
                e.target_dyn_into::<HtmlSelectElement>()
                    .map(|s| s.value() == "current")
                    .unwrap_or(false),
            ))
        });
        let ready = w.outcome.is_some();
        let previous = ready && w.previous.is_some();
        let busy = w.running || w.sweep_running;
        html! {
            <section class="panel whatif">
                <h2>{ self.t("whatif-title") }</h2>
                <p>{ self.t("whatif-intro") }</p>
                <label class="inline">{ self.t("whatif-scenario") }{ " " }
                    <select id="wi-source" onchange={source}>
                        <option value="base" selected={!w.use_current}>{ self.t("whatif-base") }</option>
                        <option value="current" selected={w.use_current}>{ self.t("whatif-current") }</option>
                    </select>
                </label>
                { self.whatif_sliders(link) }
                <button id="wi-run" class="primary" disabled={busy} onclick={link.callback(|_| Msg::Wi(WiMsg::Run))}>
                    { self.t(if w.running { "whatif-running" } else { "whatif-run" }) }</button>
                if let Some(e) = &w.error { <p class="error" role="alert">{ e }</p> }
                { self.whatif_result() }
                <div class="charts">
                    { for WiChart::RUN.iter().map(|c| self.whatif_chart(link, *c, ready, previous)) }
                </div>
                { self.view_whatif_sweep(link) }
            </section>
        }
    }
}
