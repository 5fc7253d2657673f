//! The chart canvases and their drawing (plotters on a canvas), apart from the panels so
//! the state can paint them after a render without depending on the panels.

use crate::sampling::ChartData;
use lvslab_i18n::Catalog;
use lvslab_sim::lesson::Lang;
use plotters::prelude::IntoDrawingArea;
use plotters_canvas::CanvasBackend;
use yew::prelude::*;

/// Draws the three charts into canvases `{prefix}-conns`, `{prefix}-rps`, `{prefix}-latency`,
/// their titles, axes and legends in `lang`.
pub fn draw_chart_set(
    cat: &Catalog,
    lang: Lang,
    prefix: &str,
    d: &ChartData,
) -> Result<(), String> {
    let t = |id: &str| cat.tr(lang, id, &[]);
    let sets = [
        ("conns", t("chart-conns"), t("chart-conns-y"), &d.conns),
        ("rps", t("chart-rps"), t("chart-rps-y"), &d.rps),
        ("latency", t("chart-latency"), "ms".to_string(), &d.latency),
    ];
    let x = t("chart-x");
    // The sampler labels a server's lines "rs1 active" and "rs1 inactive".
    let legend = |label: &str| -> String {
        if let Some(s) = label.strip_suffix(" inactive") {
            cat.tr(lang, "chart-inactive", &[("server", s)])
        } else if let Some(s) = label.strip_suffix(" active") {
            cat.tr(lang, "chart-active", &[("server", s)])
        } else {
            label.to_string()
        }
    };
    for (id, title, y, series) in sets {
        let Some(b) = CanvasBackend::new(&format!("{prefix}-{id}")) else {
            web_sys::console::warn_1(&format!("no canvas {prefix}-{id}").into());
            continue;
        };
        let root = b.into_drawing_area();
        if let Err(e) = crate::charts::draw(&root, &title, &x, &y, series, &legend) {
            web_sys::console::error_1(&e.clone().into());
            return Err(e);
        }
    }
    Ok(())
}

pub fn chart_canvases(prefix: &str) -> Html {
    html! {
        <div class="charts">
            { for ["conns", "rps", "latency"].iter().map(|id| html! {
                <canvas id={format!("{prefix}-{id}")} width="520" height="280"></canvas>
            }) }
        </div>
    }
}
