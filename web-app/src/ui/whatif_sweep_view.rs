//! The what-if panel's sweep: one parameter from a value to another in a few points, run
//! one point per timer tick, as a table and three charts against the parameter.

use super::state::{LabState, Link, Msg, WiMsg};
use super::whatif_state::WiChart;
use crate::chart_export::number;
use crate::whatif::{weight_label, Params};
use crate::whatif_sweep::{SweepParam, MAX_POINTS, MIN_POINTS, WORK_BUDGET};
use lvslab_i18n::Catalog;
use lvslab_sim::lesson::Lang;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The parameters a sweep can vary with these settings (each weight slider is one).
fn choices(p: &Params) -> Vec<SweepParam> {
    let mut v = vec![
        SweepParam::Rate,
        SweepParam::Workers,
        SweepParam::ServiceMean,
        SweepParam::TimeWait,
    ];
    v.extend((0..p.weights.len()).map(SweepParam::Weight));
    v
}

/// What a sweep parameter is called (also the sweep charts' x axis title).
pub(super) fn param_label(
    cat: &Catalog,
    lang: Lang,
    param: SweepParam,
    p: Option<&Params>,
) -> String {
    match param {
        SweepParam::Rate => cat.tr(lang, "whatif-sweep-param-rate", &[]),
        SweepParam::Workers => cat.tr(lang, "whatif-sweep-param-workers", &[]),
        SweepParam::ServiceMean => cat.tr(lang, "whatif-sweep-param-service", &[]),
        SweepParam::TimeWait => cat.tr(lang, "whatif-sweep-param-time-wait", &[]),
        SweepParam::Weight(i) => {
            let dest = p
                .and_then(|p| p.weights.get(i))
                .map(|w| weight_label(&w.0))
                .unwrap_or_else(|| format!("#{i}"));
            cat.tr(lang, "whatif-sweep-param-weight", &[("dest", &dest)])
        }
    }
}

/// A number field that reports what it holds whenever it parses.
fn number_field(id: &str, label: String, value: String, step: &str, cb: Callback<f64>) -> Html {
    let oninput = Callback::from(move |e: InputEvent| {
        if let Some(v) = e
            .target_dyn_into::<HtmlInputElement>()
            .and_then(|i| i.value().trim().parse::<f64>().ok())
        {
            cb.emit(v);
        }
    });
    html! {
        <label class="field">
            <span>{ label }</span>
            <input id={id.to_string()} type="number" step={step.to_string()} {value} {oninput} />
        </label>
    }
}

impl LabState {
    pub(super) fn view_whatif_sweep(&self, link: &Link) -> Html {
        let w = &self.whatif;
        let Some(p) = &w.params else {
            return html! {};
        };
        let tr = |id: &str, args: &[(&str, &str)]| self.cat.tr(self.lang, id, args);
        let spec = &w.sweep_spec;
        let pick = link.batch_callback(|e: Event| {
            e.target_dyn_into::<HtmlSelectElement>()
                .and_then(|s| SweepParam::parse(&s.value()))
                .map(|x| Msg::Wi(WiMsg::SweepOf(x)))
        });
        let options = choices(p).into_iter().map(|c| {
            html! {
                <option value={c.slug()} selected={c == spec.param}>{ param_label(&self.cat, self.lang, c, Some(p)) }</option>
            }
        });
        let progress = w.sweep.as_ref().map(|s| {
            let (done, total) = s.progress();
            let (d, t) = (done.to_string(), total.to_string());
            if w.sweep_running {
                tr(
                    "whatif-sweep-progress",
                    &[("n", &(done + 1).to_string()), ("total", &t)],
                )
            } else if s.done() {
                tr(
                    "whatif-sweep-done",
                    &[("total", &t), ("ms", &format!("{:.0}", s.elapsed_ms))],
                )
            } else {
                tr("whatif-sweep-stopped", &[("done", &d), ("total", &t)])
            }
        });
        let have_points = w
            .sweep
            .as_ref()
            .is_some_and(|s| !s.result.points.is_empty());
        let overlay = w.comparable_previous_sweep().is_some();
        html! {
            <section class="sweep" id="wi-sweep" aria-labelledby="wi-sweep-title">
                <h3 id="wi-sweep-title">{ self.t("whatif-sweep-title") }</h3>
                <p>{ self.t("whatif-sweep-intro") }</p>
                <div class="sweep-controls">
                    <label class="field"><span>{ self.t("whatif-sweep-param") }</span>
                        <select id="wi-sweep-param" onchange={pick}>{ for options }</select>
                    </label>
                    { number_field("wi-sweep-from", self.t("whatif-sweep-from"), number(spec.from), "any",
                        link.callback(|v: f64| Msg::Wi(WiMsg::SweepFrom(v)))) }
                    { number_field("wi-sweep-to", self.t("whatif-sweep-to"), number(spec.to), "any",
                        link.callback(|v: f64| Msg::Wi(WiMsg::SweepTo(v)))) }
                    { number_field("wi-sweep-points", self.t("whatif-sweep-points"), spec.points.to_string(), "1",
                        link.callback(|v: f64| Msg::Wi(WiMsg::SweepPoints(v.max(0.0).round() as usize)))) }
                    <button id="wi-sweep-run" class="primary" disabled={w.sweep_running || w.running}
                        onclick={link.callback(|_| Msg::Wi(WiMsg::SweepStart))}>{ self.t("whatif-sweep-run") }</button>
                    if w.sweep_running {
                        <button id="wi-sweep-cancel" onclick={link.callback(|_| Msg::Wi(WiMsg::SweepCancel))}>
                            { self.t("whatif-sweep-cancel") }</button>
                    }
                </div>
                <p class="hint">{ tr("whatif-sweep-budget", &[("max", &MAX_POINTS.to_string()), ("min", &MIN_POINTS.to_string()),
                    ("budget", &WORK_BUDGET.to_string())]) }</p>
                if let Some(e) = &w.sweep_error { <p class="error" role="alert" id="wi-sweep-error">{ e }</p> }
                if let Some(t) = progress { <p id="wi-sweep-progress" aria-live="polite">{ t }</p> }
                { self.sweep_table(link) }
                <div class="charts" hidden={!have_points}>
                    { for WiChart::SWEEP.iter().map(|c| self.whatif_chart(link, *c, have_points, overlay)) }
                </div>
                if overlay { <p class="hint" id="wi-sweep-previous">{ self.t("whatif-sweep-previous") }</p> }
            </section>
        }
    }

    fn sweep_table(&self, link: &Link) -> Html {
        let w = &self.whatif;
        let Some(s) = &w.sweep else {
            return html! {};
        };
        let r = &s.result;
        let done = s.done() && !w.sweep_running;
        html! {
            <>
            <table class="sweep-table" id="wi-sweep-table" data-done={done.to_string()}
                data-points={r.points.len().to_string()} data-param={r.param.slug()}>
                <thead><tr>
                    <th scope="col">{ param_label(&self.cat, self.lang, r.param, w.params.as_ref()) }</th>
                    <th scope="col">{ self.t("whatif-sweep-col-p50") }</th>
                    <th scope="col">{ self.t("whatif-sweep-col-p99") }</th>
                    <th scope="col">{ self.t("whatif-sweep-col-throughput") }</th>
                    <th scope="col">{ self.t("whatif-sweep-col-failed") }</th>
                </tr></thead>
                <tbody>
                    { for r.points.iter().map(|pt| html! {
                        <tr class="sweep-row" data-x={number(pt.x)} data-p50={format!("{:.3}", pt.p50_ms)}
                            data-p99={format!("{:.3}", pt.p99_ms)} data-failed={pt.failed.to_string()}>
                            <th scope="row">{ number(pt.x) }</th>
                            <td>{ format!("{:.2}", pt.p50_ms) }</td>
                            <td>{ format!("{:.2}", pt.p99_ms) }</td>
                            <td>{ format!("{:.0}", pt.throughput) }</td>
                            <td>{ pt.failed.to_string() }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
            <button id="whatif-csv-sweep-table" disabled={r.points.is_empty()}
                onclick={link.callback(|_| Msg::Wi(WiMsg::SweepTableCsv))}>{ self.t("whatif-sweep-table-csv") }</button>
            </>
        }
    }
}
