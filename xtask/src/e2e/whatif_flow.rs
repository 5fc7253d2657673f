//! Flow 8 of `cargo xtask e2e`: capacity planning in the what-if panel. A calm run, then
//! one worker per real server: p99 rises and the calm run stays on the charts as "previous";
//! the latency chart's CSV and PNG downloads; a four-point sweep of the service time whose
//! latency rises point by point.

use super::{charts_drawn, check, open, wait_until, Browser};
use anyhow::{anyhow, bail, Result};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

/// Sets a slider, number field or select by id and fires `input` and `change`, as a person
/// moving it would.
fn set_value(b: &Browser, id: &str, v: &str) -> Result<()> {
    let ok = b.js_args(
        "const e = document.getElementById(arguments[0]); if (!e) return false;\
         e.value = arguments[1];\
         e.dispatchEvent(new Event('input', {bubbles: true}));\
         e.dispatchEvent(new Event('change', {bubbles: true}));\
         return true;",
        json!([id, v]),
    )?;
    if ok.as_bool() != Some(true) {
        bail!("no #{id} to set to {v}");
    }
    std::thread::sleep(Duration::from_millis(150));
    Ok(())
}

/// The `data-*` of `#wi-result` (run, p50, p99, completed, failed), or an empty object.
fn result(b: &Browser) -> Result<Value> {
    b.js("const r = document.getElementById('wi-result'); return r ? Object.assign({}, r.dataset) : {};")
}

fn num(v: &Value, key: &str) -> f64 {
    v[key]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(f64::NAN)
}

/// Clicks `#wi-run` and waits for the run after `runs` to be shown; its `data-*`.
fn run_once(b: &Browser, runs: f64) -> Result<Value> {
    b.click("#wi-run")?;
    let done = wait_until(120, || Ok(num(&result(b)?, "run") > runs))?;
    check(done, &format!("what-if run {} finishes", runs + 1.0))?;
    result(b)
}

/// Clicks a download button and returns what it offered: (file name, href).
fn download(b: &Browser, button: &str) -> Result<(String, String)> {
    b.js("window.lvslabLastDownload = null;")?;
    b.click(button)?;
    let got = wait_until(10, || {
        Ok(!b.js("return window.lvslabLastDownload || null;")?.is_null())
    })?;
    check(got, &format!("{button} offers a download"))?;
    let d = b.js("return window.lvslabLastDownload;")?;
    Ok((
        d["name"].as_str().unwrap_or("").to_string(),
        d["href"].as_str().unwrap_or("").to_string(),
    ))
}

/// The text of a percent-encoded `data:` URL.
fn data_text(b: &Browser, href: &str) -> Result<String> {
    let v = b.js_args(
        "const h = arguments[0]; return decodeURIComponent(h.slice(h.indexOf(',') + 1));",
        json!([href]),
    )?;
    v.as_str().map(str::to_string).ok_or_else(|| {
        anyhow!(
            "cannot decode the data URL `{}`",
            &href[..href.len().min(80)]
        )
    })
}

/// Rows of a CSV text as numbers (empty cells NaN), after its header.
fn csv_rows(text: &str) -> Vec<Vec<f64>> {
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            l.split(',')
                .map(|c| c.parse().unwrap_or(f64::NAN))
                .collect()
        })
        .collect()
}

/// The largest number of a CSV column.
fn column_max(rows: &[Vec<f64>], i: usize) -> f64 {
    rows.iter()
        .filter_map(|r| r.get(i).copied())
        .filter(|x| x.is_finite())
        .fold(f64::NAN, f64::max)
}

/// Canvases with no ink on them.
fn blank_canvases(b: &Browser, ids: &[&str]) -> Result<Value> {
    b.js_args(
        "return arguments[0].filter(id => {\
           const c = document.getElementById(id); if (!c || !c.getContext) return true;\
           const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;\
           let ink = 0; for (let i = 0; i < d.length; i += 4) { if (d[i] < 200 || d[i+1] < 200 || d[i+2] < 200) ink++; }\
           return ink < 500; });",
        json!([ids]),
    )
}

pub(super) fn whatif_capacity(b: &Browser, base: &str, art: &Path) -> Result<()> {
    open(b, base, "#s=dr-lab&view=whatif", "#wi-run")?;
    // A calm run: 3,000 connections at 2,000/s on 16 workers of 5 ms per server.
    set_value(b, "wi-connections", "3000")?;
    let calm = run_once(b, 0.0)?;
    let p99_calm = num(&calm, "p99");
    check(
        num(&calm, "completed") == 3000.0 && num(&calm, "failed") == 0.0,
        &format!("the calm run completes all 3000 requests ({calm})"),
    )?;
    // One worker per real server: the servers queue.
    set_value(b, "wi-workers", "1")?;
    let busy = run_once(b, num(&calm, "run"))?;
    let p99_busy = num(&busy, "p99");
    check(
        p99_busy > 3.0 * p99_calm,
        &format!("with 1 worker p99 rises above the calm run's ({p99_busy} ms vs {p99_calm} ms)"),
    )?;
    let prev = b.js(
        "const p = document.getElementById('wi-previous'); const c = document.getElementById('wi-latency');\
         return {p99: p ? p.dataset.p99 : null, canvas: c ? c.dataset.previous : null};",
    )?;
    check(
        prev["p99"].as_str().and_then(|s| s.parse::<f64>().ok()) == Some(p99_calm)
            && prev["canvas"] == "true",
        &format!("the calm run is kept as the previous run on the charts ({prev})"),
    )?;
    charts_drawn(b, "wi")?;
    b.screenshot(art, "whatif-capacity")?;

    // The latency chart as CSV: this run's p50/p99 and the previous run's.
    let (name, href) = download(b, "#whatif-csv-latency")?;
    let text = data_text(b, &href)?;
    let header = text.lines().next().unwrap_or("");
    check(
        name == "whatif-latency.csv"
            && href.starts_with("data:text/csv")
            && header == "seconds,p50,p99,previous p50,previous p99",
        &format!("the latency CSV `{name}` has both runs' columns (`{header}`)"),
    )?;
    let rows = csv_rows(&text);
    let (now_max, before_max) = (column_max(&rows, 2), column_max(&rows, 4));
    check(
        rows.len() >= 2 && rows.iter().all(|r| r.len() == 5 && r[0].is_finite()) && now_max > before_max,
        &format!(
            "the CSV has a row per second and this run's p99 peaks higher ({} rows, {now_max} vs {before_max} ms)",
            rows.len()
        ),
    )?;
    // ... and as a PNG.
    let (name, href) = download(b, "#whatif-png-latency")?;
    check(
        name == "whatif-latency.png" && href.starts_with("data:image/png"),
        &format!(
            "the latency PNG `{name}` is a PNG data URL (`{}`)",
            &href[..href.len().min(30)]
        ),
    )?;

    // A sweep of the service time, 5 to 35 ms in four points, 2,000 connections each.
    set_value(b, "wi-workers", "16")?;
    set_value(b, "wi-connections", "2000")?;
    set_value(b, "wi-sweep-param", "service_ms")?;
    set_value(b, "wi-sweep-from", "5")?;
    set_value(b, "wi-sweep-to", "35")?;
    set_value(b, "wi-sweep-points", "4")?;
    b.click("#wi-sweep-run")?;
    let done = wait_until(180, || {
        Ok(b.js("const t = document.getElementById('wi-sweep-table'); return !!t && t.dataset.done === 'true';")?
            .as_bool()
            == Some(true))
    })?;
    let errs = b.text_now("#wi-sweep-error")?.unwrap_or_default();
    check(done, &format!("the sweep finishes its four points {errs}"))?;
    let pts = b.js(
        "return Array.from(document.querySelectorAll('#wi-sweep-table tr.sweep-row'))\
           .map(r => [Number(r.dataset.x), Number(r.dataset.p99)]);",
    )?;
    let pts: Vec<(f64, f64)> = serde_json::from_value(pts).unwrap_or_default();
    eprintln!("  sweep (service ms, p99 ms): {pts:?}");
    let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
    check(
        xs == [5.0, 15.0, 25.0, 35.0],
        &format!("the sweep ran 5, 15, 25, 35 ms ({xs:?})"),
    )?;
    check(
        pts.windows(2).all(|w| w[1].1 >= 0.9 * w[0].1) && pts[3].1 > 3.0 * pts[0].1,
        &format!("latency rises along the sweep ({pts:?})"),
    )?;
    let blank = blank_canvases(
        b,
        &[
            "wi-sweep-latency",
            "wi-sweep-throughput",
            "wi-sweep-failures",
        ],
    )?;
    check(
        blank.as_array().is_some_and(|a| a.is_empty()),
        &format!("every sweep chart is drawn (blank: {blank})"),
    )?;
    let (name, href) = download(b, "#whatif-csv-sweep-latency")?;
    let text = data_text(b, &href)?;
    let rows = csv_rows(&text);
    check(
        name == "whatif-sweep-latency.csv"
            && text.starts_with("service_ms,p50,p99\n")
            && rows.len() == 4
            && rows.iter().zip(&pts).all(|(r, p)| r[0] == p.0),
        &format!(
            "the sweep's latency CSV has its four points (`{}`)",
            text.replace('\n', " | ")
        ),
    )?;
    b.js("document.getElementById('wi-sweep').scrollIntoView();")?;
    std::thread::sleep(Duration::from_millis(300));
    b.screenshot(art, "whatif-sweep")?;
    Ok(())
}
