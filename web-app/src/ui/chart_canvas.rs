//! The chart canvases and their drawing (plotters on a canvas), apart from the panels so
//! the state can paint them after a render without depending on the panels.

use crate::charts::{draw_chart, Chart};
use crate::sampling::{ChartData, Series};
use crate::whatif_sweep::SweepResult;
use lvslab_i18n::Catalog;
use lvslab_sim::lesson::Lang;
use plotters::prelude::IntoDrawingArea;
use plotters_canvas::CanvasBackend;
use yew::prelude::*;

/// Draws one chart into the canvas `id`; a missing canvas is only a warning.
fn paint(id: &str, c: &Chart) -> Result<(), String> {
    let Some(b) = CanvasBackend::new(id) else {
        web_sys::console::warn_1(&format!("no canvas {id}").into());
        return Ok(());
    };
    let root = b.into_drawing_area();
    draw_chart(&root, c).inspect_err(|e| web_sys::console::error_1(&e.clone().into()))
}

/// Draws the three charts into canvases `{prefix}-conns`, `{prefix}-rps`, `{prefix}-latency`,
/// their titles, axes and legends in `lang`.
pub fn draw_chart_set(
    cat: &Catalog,
    lang: Lang,
    prefix: &str,
    d: &ChartData,
) -> Result<(), String> {
    draw_chart_set_with(cat, lang, prefix, d, None)
}

/// `draw_chart_set` with a previous run drawn lighter and dashed under the lines.
pub fn draw_chart_set_with(
    cat: &Catalog,
    lang: Lang,
    prefix: &str,
    d: &ChartData,
    previous: Option<&ChartData>,
) -> Result<(), String> {
    let t = |id: &str| cat.tr(lang, id, &[]);
    let none: &[Series] = &[];
    let sets = [
        (
            "conns",
            t("chart-conns"),
            t("chart-conns-y"),
            &d.conns,
            previous.map(|p| p.conns.as_slice()),
        ),
        (
            "rps",
            t("chart-rps"),
            t("chart-rps-y"),
            &d.rps,
            previous.map(|p| p.rps.as_slice()),
        ),
        (
            "latency",
            t("chart-latency"),
            "ms".to_string(),
            &d.latency,
            previous.map(|p| p.latency.as_slice()),
        ),
    ];
    let x = t("chart-x");
    let previous_legend = t("chart-previous");
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
    for (id, title, y, series, before) in sets {
        paint(
            &format!("{prefix}-{id}"),
            &Chart {
                title: &title,
                x_desc: &x,
                y_desc: &y,
                series,
                previous: before.unwrap_or(none),
                x_from_min: false,
                legend: &legend,
                previous_legend: &previous_legend,
            },
        )?;
    }
    Ok(())
}

/// Draws a sweep's three charts (latency, throughput, failures against the parameter
/// `x_desc`) into `wi-sweep-latency`, `wi-sweep-throughput`, `wi-sweep-failures`, with a
/// previous sweep of the same parameter under them.
pub fn draw_sweep_set(
    cat: &Catalog,
    lang: Lang,
    x_desc: &str,
    sweep: &SweepResult,
    previous: Option<&SweepResult>,
) -> Result<(), String> {
    let t = |id: &str| cat.tr(lang, id, &[]);
    let now = sweep.charts();
    let before = previous.map(|p| p.charts()).unwrap_or_default();
    let sets = [
        (
            "sweep-latency",
            t("whatif-sweep-chart-latency"),
            "ms".to_string(),
            &now.latency,
            &before.latency,
        ),
        (
            "sweep-throughput",
            t("whatif-sweep-chart-throughput"),
            t("whatif-sweep-throughput-y"),
            &now.throughput,
            &before.throughput,
        ),
        (
            "sweep-failures",
            t("whatif-sweep-chart-failures"),
            t("whatif-sweep-failures-y"),
            &now.failures,
            &before.failures,
        ),
    ];
    let previous_legend = t("chart-previous");
    let legend = |label: &str| -> String {
        match label {
            "throughput" => t("whatif-sweep-legend-throughput"),
            "failed" => t("whatif-sweep-legend-failed"),
            other => other.to_string(),
        }
    };
    for (id, title, y, series, old) in sets {
        paint(
            &format!("wi-{id}"),
            &Chart {
                title: &title,
                x_desc,
                y_desc: &y,
                series,
                previous: old,
                x_from_min: true,
                legend: &legend,
                previous_legend: &previous_legend,
            },
        )?;
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
