//! Charts of a parameter sweep: latency percentiles, throughput, failures, per-server share
//! and peak InActConn against the sweep's x parameter, one line per configuration, shaded
//! with the 95 % confidence band of the mean over the repetitions. Each chart is written as
//! `NAME.svg` and `NAME.png`.
//!
//! Fonts: SVG text is `<text>` for the viewer to render, so SVG needs no font file here.
//! PNG text is rasterised by this module (`PngBackend`) with `ab_glyph` from a TrueType file
//! found at run time. plotters' own font features (`ab_glyph`, `ttf`) are left off on
//! purpose: with them on, plotters measures every text through its font table, SVG too, so
//! any chart with a caption or a legend fails with `FontUnavailable` in a process that
//! registered no font — and through Cargo's feature unification that would include the
//! browser lab's SVG charts in `cargo test --workspace`.

use ab_glyph::{Font as _, FontVec, PxScale, ScaleFont as _};
use anyhow::{anyhow, Context, Result};
use lvslab_sim::sweep::result::{fmt_num, Figures, Row, SweepResult};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters_backend::text_anchor::{HPos, Pos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};
use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Reads one figure of a run.
type FigureOf = fn(&Figures) -> f64;

/// What `write_charts` wrote, and why the PNGs are missing when they are.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartFiles {
    pub written: Vec<PathBuf>,
    pub png_skipped: Option<String>,
}

const SIZE: (u32, u32) = (1200, 700);
const FONT: &str = "sans-serif";
/// More (configuration, server) lines than this make the share chart unreadable.
const MAX_SHARE_LINES: usize = 24;
const FONT_PATHS: [&str; 4] = [
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
];
const NO_FONT: &str =
    "PNG charts skipped: no TrueType font found; install fonts-dejavu-core or set LVSLAB_FONT";
/// Distinct colours, readable on white (the browser lab's, plus two).
const COLOURS: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x17, 0xbe, 0xcf),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
];
const GREY: RGBColor = RGBColor(0x55, 0x55, 0x55);

fn colour(i: usize) -> RGBColor {
    match COLOURS.get(i) {
        Some(c) => *c,
        None => {
            // Past the table, hues a golden angle apart stay distinct for a while longer.
            let (r, g, b) = HSLColor((i as f64 * 0.618_034).fract(), 0.6, 0.42)
                .to_backend_color()
                .rgb;
            RGBColor(r, g, b)
        }
    }
}

/// Writes the five charts into `dir` (created if missing). The PNGs are skipped, and
/// `png_skipped` says why, when no TrueType font can be found.
pub fn write_charts(result: &SweepResult, dir: &Path) -> Result<ChartFiles> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let axis = XAxis::new(&x_values(result));
    let x_title = axis.title(if result.x.is_empty() { "x" } else { &result.x });
    let font = png_font();
    let mut files = ChartFiles {
        written: Vec::new(),
        png_skipped: font.is_none().then(|| NO_FONT.to_string()),
    };
    for spec in chart_specs(result, &axis) {
        let caption = format!("{}: {}", result.name, spec.title);
        let svg = dir.join(format!("{}.svg", spec.name));
        draw_chart(
            SVGBackend::new(&svg, SIZE).into_drawing_area(),
            &caption,
            &x_title,
            &axis,
            &spec,
        )
        .map_err(|e| anyhow!("drawing {}: {e:?}", svg.display()))?;
        files.written.push(svg);
        if let Some(font) = font {
            let png = dir.join(format!("{}.png", spec.name));
            let backend = PngBackend {
                inner: BitMapBackend::new(&png, SIZE),
                font,
            };
            draw_chart(
                backend.into_drawing_area(),
                &caption,
                &x_title,
                &axis,
                &spec,
            )
            .map_err(|e| anyhow!("drawing {}: {e:?}", png.display()))?;
            files.written.push(png);
        }
    }
    Ok(files)
}

// ---- the x axis -------------------------------------------------------------------------

/// What a value's unit measures. One axis has one dimension; plain numbers join any (they
/// are read in the base unit, as the scenario format reads a bare duration in seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Dim {
    Plain,
    Time,
    Bits,
    Bytes,
    Percent,
}

/// Parses "60s", "500ms", "1Gbps", "100KB", "0.5%" or "250" into its value in the base unit
/// (s, bit/s, byte, %) and its dimension; None when it is not a number.
fn parse_quantity(raw: &str) -> Option<(f64, Dim)> {
    let s = raw.trim();
    if let Ok(v) = s.parse::<f64>() {
        return v.is_finite().then_some((v, Dim::Plain));
    }
    let split = s.find(|c: char| c.is_alphabetic() || c == '%')?;
    let (num, unit) = s.split_at(split);
    let v: f64 = num.trim().parse().ok()?;
    let (factor, dim) = match unit.trim().to_lowercase().as_str() {
        "ns" => (1e-9, Dim::Time),
        "us" | "µs" => (1e-6, Dim::Time),
        "ms" => (1e-3, Dim::Time),
        "s" => (1.0, Dim::Time),
        "m" | "min" => (60.0, Dim::Time),
        "h" => (3600.0, Dim::Time),
        "bps" => (1.0, Dim::Bits),
        "kbps" => (1e3, Dim::Bits),
        "mbps" => (1e6, Dim::Bits),
        "gbps" => (1e9, Dim::Bits),
        "b" => (1.0, Dim::Bytes),
        "kb" => (1e3, Dim::Bytes),
        "mb" => (1e6, Dim::Bytes),
        "gb" => (1e9, Dim::Bytes),
        "kib" => (1024.0, Dim::Bytes),
        "mib" => (1024.0 * 1024.0, Dim::Bytes),
        "gib" => (1024.0 * 1024.0 * 1024.0, Dim::Bytes),
        "%" => (1.0, Dim::Percent),
        _ => return None,
    };
    let v = v * factor;
    v.is_finite().then_some((v, dim))
}

/// The unit an axis is labelled in: the largest of its dimension's units that keeps the
/// biggest value at 1 or more, so ticks read "1, 2.5" Gbps rather than "1000000000".
fn display_unit(dim: Dim, max: f64) -> (Option<&'static str>, f64) {
    let ladder: &[(&'static str, f64)] = match dim {
        Dim::Plain => return (None, 1.0),
        Dim::Percent => return (Some("%"), 1.0),
        Dim::Time => &[("ns", 1e-9), ("us", 1e-6), ("ms", 1e-3), ("s", 1.0)],
        Dim::Bits => &[("bps", 1.0), ("kbps", 1e3), ("Mbps", 1e6), ("Gbps", 1e9)],
        Dim::Bytes => &[("B", 1.0), ("KB", 1e3), ("MB", 1e6), ("GB", 1e9)],
    };
    let base = ladder
        .iter()
        .find(|(_, f)| *f == 1.0)
        .copied()
        .unwrap_or(ladder[0]);
    let pick = if max > 0.0 {
        ladder
            .iter()
            .rev()
            .find(|(_, f)| max >= *f)
            .copied()
            .unwrap_or(ladder[0])
    } else {
        base
    };
    (Some(pick.0), pick.1)
}

/// The x parameter's values as written, in the order the rows first show them.
fn x_values(result: &SweepResult) -> Vec<String> {
    let mut seen = Vec::<String>::new();
    for v in result.rows.iter().filter_map(|r| r.value(&result.x)) {
        if !seen.iter().any(|s| s == v) {
            seen.push(v.to_string());
        }
    }
    seen
}

/// Where each x value sits: numbers in one unit, or, when the values are not all numbers of
/// one dimension, evenly spaced categories labelled with the strings.
#[derive(Clone, Debug, PartialEq)]
struct XAxis {
    /// The values as written, in axis order (ascending numbers, or first seen).
    labels: Vec<String>,
    /// The position of each label (in `unit` for numbers; 0, 1, 2... for categories).
    positions: Vec<f64>,
    unit: Option<&'static str>,
    categorical: bool,
}

impl XAxis {
    fn new(raw: &[String]) -> XAxis {
        let parsed: Option<Vec<(f64, Dim)>> = raw.iter().map(|s| parse_quantity(s)).collect();
        if let Some(parsed) = parsed {
            let mut dims = parsed.iter().map(|p| p.1).filter(|d| *d != Dim::Plain);
            let dim = dims.next().unwrap_or(Dim::Plain);
            if dims.all(|d| d == dim) {
                let max = parsed.iter().map(|p| p.0.abs()).fold(0.0, f64::max);
                let (unit, factor) = display_unit(dim, max);
                let mut points: Vec<(f64, String)> = parsed
                    .iter()
                    .zip(raw)
                    .map(|(p, s)| (p.0 / factor, s.clone()))
                    .collect();
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                let (positions, labels) = points.into_iter().unzip();
                return XAxis {
                    labels,
                    positions,
                    unit,
                    categorical: false,
                };
            }
        }
        XAxis {
            labels: raw.to_vec(),
            positions: (0..raw.len()).map(|i| i as f64).collect(),
            unit: None,
            categorical: true,
        }
    }

    fn index(&self, raw: &str) -> Option<usize> {
        self.labels.iter().position(|l| l == raw)
    }

    fn range(&self) -> Range<f64> {
        if self.categorical {
            return -0.5..(self.labels.len().max(1) as f64 - 0.5);
        }
        let lo = self.positions.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = self
            .positions
            .iter()
            .copied()
            .fold(f64::NEG_INFINITY, f64::max);
        if !lo.is_finite() {
            return 0.0..1.0;
        }
        let pad = if hi > lo {
            (hi - lo) * 0.04
        } else {
            (lo.abs() * 0.5).max(1.0)
        };
        (lo - pad)..(hi + pad)
    }

    fn tick_count(&self) -> usize {
        if self.categorical {
            self.labels.len().clamp(1, 12)
        } else {
            10
        }
    }

    fn tick_label(&self, v: f64) -> String {
        if !self.categorical {
            return tick_text(v);
        }
        let i = v.round();
        match self.labels.get(i as usize) {
            Some(l) if (v - i).abs() < 1e-6 && i >= 0.0 => l.clone(),
            _ => String::new(),
        }
    }

    fn title(&self, param: &str) -> String {
        match self.unit {
            Some(u) => format!("{param} ({u})"),
            None => param.to_string(),
        }
    }
}

/// A tick number, short: 3 decimals at most, k/M/G past ten thousand.
fn tick_text(v: f64) -> String {
    let a = v.abs();
    let (scaled, suffix) = if a >= 1e9 {
        (v / 1e9, "G")
    } else if a >= 1e6 {
        (v / 1e6, "M")
    } else if a >= 1e4 {
        (v / 1e3, "k")
    } else {
        (v, "")
    };
    format!("{}{suffix}", fmt_num((scaled * 1000.0).round() / 1000.0))
}

// ---- rows into lines --------------------------------------------------------------------

/// A figure at one x: the mean over the repetitions and its 95 % band (lo == hi == mean
/// with a single run; lo is clipped at 0 since every charted figure is non-negative).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Stat {
    x: f64,
    mean: f64,
    lo: f64,
    hi: f64,
    n: usize,
}

/// The mean and the half width of its 95 % confidence interval, 1.96·s/√n with the sample
/// standard deviation (0 below two values).
fn mean_band(values: &[f64]) -> Option<(f64, f64)> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Some((mean, 0.0));
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    Some((mean, 1.96 * var.sqrt() / (n as f64).sqrt()))
}

/// `metric` per configuration: one Stat per x value in axis order, over the repetitions.
fn group_series(
    result: &SweepResult,
    axis: &XAxis,
    metric: &dyn Fn(&Figures) -> f64,
) -> BTreeMap<usize, Vec<Stat>> {
    let mut cells: BTreeMap<usize, BTreeMap<usize, Vec<f64>>> = BTreeMap::new();
    for row in &result.rows {
        let Some(i) = row.value(&result.x).and_then(|v| axis.index(v)) else {
            continue;
        };
        let v = metric(&row.figures);
        if v.is_finite() {
            cells
                .entry(row.config)
                .or_default()
                .entry(i)
                .or_default()
                .push(v);
        }
    }
    let mut out = BTreeMap::new();
    for (config, by_x) in cells {
        let mut stats: Vec<Stat> = by_x
            .into_iter()
            .filter_map(|(i, vs)| {
                let (mean, half) = mean_band(&vs)?;
                let (lo, hi) = ((mean - half).max(0.0), mean + half);
                Some(Stat {
                    x: axis.positions[i],
                    mean,
                    lo,
                    hi,
                    n: vs.len(),
                })
            })
            .collect();
        stats.sort_by(|a, b| a.x.total_cmp(&b.x));
        out.insert(config, stats);
    }
    out
}

/// Each configuration's legend name, "name=value, name=value" over every parameter but x
/// ("all" when the sweep has a single configuration).
fn config_labels(result: &SweepResult) -> BTreeMap<usize, String> {
    let mut first: BTreeMap<usize, &Row> = BTreeMap::new();
    for r in &result.rows {
        first.entry(r.config).or_insert(r);
    }
    let single = first.len() == 1;
    first
        .into_iter()
        .map(|(config, row)| {
            let parts: Vec<String> = row
                .values
                .iter()
                .filter(|(k, _)| *k != result.x)
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            let label = if single || parts.is_empty() {
                "all".into()
            } else {
                parts.join(", ")
            };
            (config, label)
        })
        .collect()
}

// ---- what each chart shows --------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq)]
enum Marker {
    None,
    Circle,
    Triangle,
    Cross,
}

struct ChartLine {
    colour: RGBColor,
    marker: Marker,
    points: Vec<Stat>,
}

/// A legend row: a line sample (with its marker), or the shaded band's explanation.
struct LegendEntry {
    label: String,
    colour: RGBColor,
    marker: Marker,
    band: bool,
}

fn entry(label: impl Into<String>, colour: RGBColor, marker: Marker) -> LegendEntry {
    LegendEntry {
        label: label.into(),
        colour,
        marker,
        band: false,
    }
}

struct ChartSpec {
    name: &'static str,
    title: String,
    y_title: &'static str,
    lines: Vec<ChartLine>,
    legend: Vec<LegendEntry>,
}

fn chart_specs(result: &SweepResult, axis: &XAxis) -> Vec<ChartSpec> {
    let labels = config_labels(result);
    let configs: Vec<usize> = labels.keys().copied().collect();
    let colour_of = |c: usize| colour(configs.iter().position(|&k| k == c).unwrap_or(0));
    let per_config = |metric: &dyn Fn(&Figures) -> f64, marker: Marker| -> Vec<ChartLine> {
        group_series(result, axis, metric)
            .into_iter()
            .map(|(c, points)| ChartLine {
                colour: colour_of(c),
                marker,
                points,
            })
            .collect()
    };
    let config_legend = |marker: Marker| -> Vec<LegendEntry> {
        labels
            .iter()
            .map(|(&c, l)| entry(l.clone(), colour_of(c), marker))
            .collect()
    };
    let simple = |name, title: &str, y_title, metric: &dyn Fn(&Figures) -> f64| ChartSpec {
        name,
        title: title.to_string(),
        y_title,
        lines: per_config(metric, Marker::Circle),
        legend: config_legend(Marker::Circle),
    };

    // Latency: colour per configuration, marker per percentile.
    let percentiles: [(&str, Marker, FigureOf); 3] = [
        ("p50", Marker::Circle, |f: &Figures| f.p50_ms),
        ("p90", Marker::Triangle, |f: &Figures| f.p90_ms),
        ("p99", Marker::Cross, |f: &Figures| f.p99_ms),
    ];
    let mut latency = ChartSpec {
        name: "latency",
        title: "latency p50 / p90 / p99".into(),
        y_title: "latency (ms)",
        lines: Vec::new(),
        legend: if configs.len() > 1 {
            config_legend(Marker::None)
        } else {
            Vec::new()
        },
    };
    let key_colour = if configs.len() > 1 { GREY } else { colour(0) };
    for (name, marker, metric) in percentiles {
        latency.lines.extend(per_config(&metric, marker));
        latency.legend.push(entry(name, key_colour, marker));
    }

    // Share: one line per (configuration, server), the first configuration alone if that
    // would be too many lines.
    let servers: BTreeSet<&String> = result
        .rows
        .iter()
        .flat_map(|r| r.figures.share.keys())
        .collect();
    let mut shown = configs.clone();
    let mut share_title = String::from("share of completed requests per real server");
    if configs.len() * servers.len() > MAX_SHARE_LINES {
        shown.truncate(1);
        if let Some(l) = shown.first().and_then(|c| labels.get(c)) {
            share_title.push_str(&format!(" (first configuration only: {l})"));
        }
    }
    let mut share = ChartSpec {
        name: "share",
        title: share_title,
        y_title: "share of completed (%)",
        lines: Vec::new(),
        legend: Vec::new(),
    };
    for &c in &shown {
        for server in &servers {
            let metric = |f: &Figures| f.share.get(*server).copied().unwrap_or(0.0) * 100.0;
            if let Some(points) = group_series(result, axis, &metric).remove(&c) {
                let line_colour = colour(share.lines.len());
                let label = if shown.len() == 1 {
                    server.to_string()
                } else {
                    format!("{}: {server}", labels[&c])
                };
                share.legend.push(entry(label, line_colour, Marker::Circle));
                share.lines.push(ChartLine {
                    colour: line_colour,
                    marker: Marker::Circle,
                    points,
                });
            }
        }
    }

    let mut specs = vec![
        latency,
        simple(
            "throughput",
            "throughput",
            "completed requests per second",
            &|f: &Figures| f.throughput_rps,
        ),
        simple(
            "failures",
            "failed requests",
            "failed (% of sent)",
            &|f: &Figures| f.failed_ratio() * 100.0,
        ),
        share,
        simple(
            "inactconn",
            "peak InActConn",
            "peak InActConn (connections)",
            &|f: &Figures| f.peak_inactive as f64,
        ),
    ];
    for spec in &mut specs {
        if spec.lines.iter().any(|l| l.points.iter().any(|p| p.n >= 2)) {
            let mut band = entry("band: 95% CI of the mean", GREY, Marker::None);
            band.band = true;
            spec.legend.push(band);
        }
    }
    specs
}

// ---- drawing ----------------------------------------------------------------------------

/// Draws one chart on any backend: caption on top, plot on the left, legend on the right
/// (outside the plot, so two dozen lines do not hide the data).
fn draw_chart<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    caption: &str,
    x_title: &str,
    axis: &XAxis,
    spec: &ChartSpec,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let body = root
        .margin(8, 8, 8, 8)
        .titled(caption, (FONT, 30).into_font().color(&BLACK))?;
    let (w, _) = body.dim_in_pixel();
    let legend_w = legend_width(&spec.legend).min(w as i32 / 3);
    let (plot, legend) = body.split_horizontally(w as i32 - legend_w);
    let y_max = spec
        .lines
        .iter()
        .flat_map(|l| &l.points)
        .map(|p| p.hi.max(p.mean))
        .filter(|v| v.is_finite())
        .fold(0.0, f64::max);
    let y_top = if y_max > 0.0 { y_max * 1.08 } else { 1.0 };
    let mut chart = ChartBuilder::on(&plot)
        .margin(12)
        .x_label_area_size(70)
        .y_label_area_size(110)
        .build_cartesian_2d(axis.range(), 0.0..y_top)?;
    let fmt_x = |v: &f64| axis.tick_label(*v);
    let fmt_y = |v: &f64| tick_text(*v);
    chart
        .configure_mesh()
        .x_desc(x_title)
        .y_desc(spec.y_title)
        .x_labels(axis.tick_count())
        .y_labels(8)
        .x_label_formatter(&fmt_x)
        .y_label_formatter(&fmt_y)
        .label_style((FONT, 18))
        .axis_desc_style((FONT, 21))
        .bold_line_style(Color::stroke_width(&RGBColor(0xd8, 0xd8, 0xd8), 1))
        .light_line_style(Color::stroke_width(&RGBColor(0xf0, 0xf0, 0xf0), 1))
        .draw()?;
    // Bands first, so no band covers another configuration's line.
    for line in spec
        .lines
        .iter()
        .filter(|l| l.points.iter().any(|p| p.n >= 2))
    {
        let mut outline: Vec<(f64, f64)> = line.points.iter().map(|p| (p.x, p.hi)).collect();
        outline.extend(line.points.iter().rev().map(|p| (p.x, p.lo)));
        chart.draw_series(std::iter::once(Polygon::new(
            outline,
            line.colour.mix(0.15).filled(),
        )))?;
    }
    for line in &spec.lines {
        let pts: Vec<(f64, f64)> = line.points.iter().map(|p| (p.x, p.mean)).collect();
        let c = line.colour;
        chart.draw_series(LineSeries::new(
            pts.iter().copied(),
            Color::stroke_width(&c, 2),
        ))?;
        let dots = pts.iter().copied();
        match line.marker {
            Marker::Circle => {
                chart.draw_series(dots.map(|p| Circle::new(p, 4, c.filled())))?;
            }
            Marker::Triangle => {
                chart.draw_series(dots.map(|p| TriangleMarker::new(p, 6, c.filled())))?;
            }
            Marker::Cross => {
                chart.draw_series(dots.map(|p| Cross::new(p, 5, Color::stroke_width(&c, 2))))?;
            }
            Marker::None => {}
        }
    }
    draw_legend(&legend, &spec.legend)?;
    root.present()
}

/// The legend column's width, from the longest label (a rough 9 px a character: SVG text
/// cannot be measured here, and both formats should get the same layout).
fn legend_width(entries: &[LegendEntry]) -> i32 {
    let chars = entries
        .iter()
        .map(|e| e.label.chars().count().min(44))
        .max()
        .unwrap_or(0);
    (chars as i32 * 9 + 64).clamp(160, 440)
}

fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    entries: &[LegendEntry],
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    const ROW: i32 = 24;
    const TOP: i32 = 20;
    let style = (FONT, 17)
        .into_font()
        .color(&BLACK)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let (_, h) = area.dim_in_pixel();
    let fits = ((h as i32 - TOP) / ROW).max(1) as usize;
    let shown = if entries.len() > fits {
        fits - 1
    } else {
        entries.len()
    };
    for (i, e) in entries.iter().take(shown).enumerate() {
        let y = TOP + i as i32 * ROW;
        if e.band {
            area.draw(&Rectangle::new(
                [(8, y - 7), (38, y + 7)],
                e.colour.mix(0.2).filled(),
            ))?;
        } else {
            area.draw(&PathElement::new(
                vec![(8, y), (38, y)],
                Color::stroke_width(&e.colour, 2),
            ))?;
        }
        let at = (23, y);
        match e.marker {
            Marker::Circle => area.draw(&Circle::new(at, 4, e.colour.filled()))?,
            Marker::Triangle => area.draw(&TriangleMarker::new(at, 6, e.colour.filled()))?,
            Marker::Cross => area.draw(&Cross::new(at, 5, Color::stroke_width(&e.colour, 2)))?,
            Marker::None => {}
        }
        let label: String = if e.label.chars().count() > 44 {
            e.label.chars().take(41).chain("...".chars()).collect()
        } else {
            e.label.clone()
        };
        area.draw_text(&label, &style, (46, y))?;
    }
    if shown < entries.len() {
        let more = format!("... and {} more", entries.len() - shown);
        area.draw_text(&more, &style, (46, TOP + shown as i32 * ROW))?;
    }
    Ok(())
}

// ---- PNG text ---------------------------------------------------------------------------

static PNG_FONT: OnceLock<Option<FontVec>> = OnceLock::new();

/// The font PNG text is drawn in: $LVSLAB_FONT, else the first usual system font that
/// parses. Looked for once a process.
fn png_font() -> Option<&'static FontVec> {
    PNG_FONT
        .get_or_init(|| {
            let chosen = std::env::var_os("LVSLAB_FONT")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from);
            chosen
                .into_iter()
                .chain(FONT_PATHS.into_iter().map(PathBuf::from))
                .filter_map(|p| std::fs::read(p).ok())
                .find_map(|bytes| FontVec::try_from_vec(bytes).ok())
        })
        .as_ref()
}

/// One line of text laid out from the top left of its box: the glyphs, width and height.
fn lay_out(font: &FontVec, size: f64, text: &str) -> (Vec<ab_glyph::Glyph>, f32, f32) {
    let scaled = font.as_scaled(PxScale::from(size as f32));
    let mut glyphs = Vec::new();
    let mut caret = 0.0f32;
    let mut prev: Option<ab_glyph::GlyphId> = None;
    for ch in text.chars() {
        let mut glyph = scaled.scaled_glyph(ch);
        if let Some(p) = prev {
            caret += scaled.kern(p, glyph.id);
        }
        glyph.position = ab_glyph::point(caret, scaled.ascent());
        caret += scaled.h_advance(glyph.id);
        prev = Some(glyph.id);
        glyphs.push(glyph);
    }
    (glyphs, caret, scaled.height())
}

/// plotters' bitmap backend with text measured and drawn from `font` (everything else is
/// the bitmap backend's own).
struct PngBackend<'a> {
    inner: BitMapBackend<'a>,
    font: &'static FontVec,
}

impl<'a> DrawingBackend for PngBackend<'a> {
    type ErrorType = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

    fn get_size(&self) -> (u32, u32) {
        self.inner.get_size()
    }
    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.ensure_prepared()
    }
    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.present()
    }
    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_pixel(point, color)
    }
    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_line(from, to, style)
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_rect(upper_left, bottom_right, style, fill)
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_path(path, style)
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.draw_circle(center, radius, style, fill)
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.inner.fill_polygon(vert, style)
    }

    fn draw_text<TStyle: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &TStyle,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let colour = style.color();
        if colour.alpha == 0.0 {
            return Ok(());
        }
        let (glyphs, w, h) = lay_out(self.font, style.size(), text);
        let anchor = style.anchor();
        let dx = match anchor.h_pos {
            HPos::Left => 0.0,
            HPos::Center => -w / 2.0,
            HPos::Right => -w,
        };
        let dy = match anchor.v_pos {
            VPos::Top => 0.0,
            VPos::Center => -h / 2.0,
            VPos::Bottom => -h,
        };
        let mut coverage = Vec::new();
        for glyph in glyphs {
            if let Some(outline) = self.font.outline_glyph(glyph) {
                let b = outline.px_bounds();
                outline.draw(|x, y, c| {
                    coverage.push((b.min.x + x as f32 + dx, b.min.y + y as f32 + dy, c))
                });
            }
        }
        // The anchor applies before the rotation, as in plotters' own text drawing.
        let turn = style.transform();
        let (width, height) = self.inner.get_size();
        for (x, y, c) in coverage {
            let (tx, ty) = turn.transform(x.round() as i32, y.round() as i32);
            let (px, py) = (pos.0 + tx, pos.1 + ty);
            if c > 0.02 && px >= 0 && py >= 0 && (px as u32) < width && (py as u32) < height {
                self.inner
                    .draw_pixel((px, py), colour.mix(f64::from(c.min(1.0))))?;
            }
        }
        Ok(())
    }

    fn estimate_text_size<TStyle: BackendTextStyle>(
        &self,
        text: &str,
        style: &TStyle,
    ) -> Result<(u32, u32), DrawingErrorKind<Self::ErrorType>> {
        let (_, w, h) = lay_out(self.font, style.size(), text);
        Ok((w.ceil() as u32, h.ceil() as u32))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lvslab_sim::sweep::result::RunMode;

    /// Two schedulers x two rates x two repetitions, servers rs1 and rs2.
    fn sample() -> SweepResult {
        let mut rows = Vec::new();
        for (config, sched) in ["rr", "wlc"].into_iter().enumerate() {
            for (xi, rate) in ["500", "1000"].into_iter().enumerate() {
                for rep in 0..2u32 {
                    let k = (config * 4 + xi * 2 + rep as usize) as f64;
                    let figures = Figures {
                        sent: 100,
                        completed: 90,
                        failed: 10,
                        p50_ms: 1.0 + k,
                        p90_ms: 2.0 + k,
                        p99_ms: 3.0 + k,
                        throughput_rps: 100.0 * (xi + 1) as f64 + rep as f64,
                        share: [("rs1".to_string(), 0.4), ("rs2".to_string(), 0.6)].into(),
                        peak_inactive: 5 + rep as u64,
                        ..Figures::default()
                    };
                    rows.push(Row {
                        point: rows.len(),
                        config,
                        rep,
                        seed: u64::from(rep),
                        values: vec![
                            ("ipvs.scheduler".into(), sched.into()),
                            ("workload.rate".into(), rate.into()),
                        ],
                        mode: RunMode::Bulk,
                        mode_note: String::new(),
                        figures,
                    });
                }
            }
        }
        SweepResult {
            name: "demo-sweep".into(),
            params: vec!["ipvs.scheduler".into(), "workload.rate".into()],
            x: "workload.rate".into(),
            slo: Vec::new(),
            total_points: rows.len(),
            shard: None,
            rows,
            knees: Vec::new(),
            knee_precision: 0.02,
            interrupted: false,
        }
    }

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn parses_quantities_into_base_units() {
        assert_eq!(parse_quantity("250"), Some((250.0, Dim::Plain)));
        assert_eq!(parse_quantity("60s"), Some((60.0, Dim::Time)));
        assert_eq!(parse_quantity("500ms"), Some((0.5, Dim::Time)));
        assert_eq!(parse_quantity("1Gbps"), Some((1e9, Dim::Bits)));
        assert_eq!(parse_quantity("100KB"), Some((1e5, Dim::Bytes)));
        assert_eq!(parse_quantity("0.5%"), Some((0.5, Dim::Percent)));
        assert_eq!(parse_quantity("wlc"), None);
        assert_eq!(parse_quantity("10 parsecs"), None);
        assert_eq!(parse_quantity("nan"), None);
    }

    #[test]
    fn numeric_axis_sorts_and_picks_a_readable_unit() {
        let a = XAxis::new(&strings(&["1Gbps", "100Mbps", "2.5Gbps"]));
        assert!(!a.categorical);
        assert_eq!(a.unit, Some("Gbps"));
        assert_eq!(a.labels, strings(&["100Mbps", "1Gbps", "2.5Gbps"]));
        assert_eq!(a.positions, vec![0.1, 1.0, 2.5]);
        assert_eq!(a.title("net.bandwidth"), "net.bandwidth (Gbps)");
        let t = XAxis::new(&strings(&["50ms", "200ms"]));
        assert_eq!(
            (t.unit, t.positions.clone()),
            (Some("ms"), vec![50.0, 200.0])
        );
        let plain = XAxis::new(&strings(&["1000", "500"]));
        assert_eq!(
            (plain.unit, plain.positions.clone()),
            (None, vec![500.0, 1000.0])
        );
        assert_eq!(plain.title("workload.rate"), "workload.rate");
        assert!(plain.range().start < 500.0 && plain.range().end > 1000.0);
    }

    #[test]
    fn words_and_mixed_units_are_categories() {
        let a = XAxis::new(&strings(&["wlc", "rr", "lc"]));
        assert!(a.categorical);
        assert_eq!(a.positions, vec![0.0, 1.0, 2.0]);
        assert_eq!(a.tick_label(1.0), "rr");
        assert_eq!(a.tick_label(0.5), "");
        assert_eq!(a.tick_label(7.0), "");
        assert_eq!(a.range(), -0.5..2.5);
        assert!(XAxis::new(&strings(&["1s", "1Gbps"])).categorical);
    }

    #[test]
    fn ticks_are_short() {
        assert_eq!(tick_text(0.1 + 0.2), "0.3");
        assert_eq!(tick_text(2500.0), "2500");
        assert_eq!(tick_text(25000.0), "25k");
        assert_eq!(tick_text(1.5e9), "1.5G");
    }

    #[test]
    fn band_is_the_95_percent_interval_of_the_mean() {
        assert_eq!(mean_band(&[]), None);
        assert_eq!(mean_band(&[4.0]), Some((4.0, 0.0)));
        let (mean, half) = mean_band(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(mean, 2.0);
        assert!((half - 1.96 / 3f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn rows_group_into_one_series_per_configuration() {
        let r = sample();
        let axis = XAxis::new(&x_values(&r));
        let by_config = group_series(&r, &axis, &|f: &Figures| f.p50_ms);
        assert_eq!(by_config.keys().copied().collect::<Vec<_>>(), vec![0, 1]);
        let rr = &by_config[&0];
        assert_eq!(rr.len(), 2);
        assert_eq!((rr[0].x, rr[0].mean, rr[0].n), (500.0, 1.5, 2));
        assert!(rr[0].lo < 1.5 && rr[0].hi > 1.5);
        assert_eq!((rr[1].x, rr[1].mean), (1000.0, 3.5));
        assert_eq!(by_config[&1][0].mean, 5.5);
    }

    #[test]
    fn configurations_are_named_by_their_other_parameters() {
        let mut r = sample();
        let labels = config_labels(&r);
        assert_eq!(labels[&0], "ipvs.scheduler=rr");
        assert_eq!(labels[&1], "ipvs.scheduler=wlc");
        r.rows.retain(|row| row.config == 0);
        assert_eq!(config_labels(&r)[&0], "all");
    }

    #[test]
    fn charts_cover_every_figure_and_limit_share_lines() {
        let r = sample();
        let specs = chart_specs(&r, &XAxis::new(&x_values(&r)));
        let names: Vec<_> = specs.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            ["latency", "throughput", "failures", "share", "inactconn"]
        );
        assert_eq!(specs[0].lines.len(), 6);
        assert_eq!(specs[3].lines.len(), 4);
        assert!(specs.iter().all(|s| s.legend.iter().any(|e| e.band)));
        let mut many = sample();
        for row in &mut many.rows {
            row.figures.share = (0..13).map(|i| (format!("rs{i}"), 1.0 / 13.0)).collect();
        }
        let share = &chart_specs(&many, &XAxis::new(&x_values(&many)))[3];
        assert_eq!(share.lines.len(), 13);
        assert!(share
            .title
            .contains("first configuration only: ipvs.scheduler=rr"));
    }

    #[test]
    fn writes_svg_charts_with_their_captions() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir =
            std::env::temp_dir().join(format!("lvslab-sweep-plot-{}-{nanos}", std::process::id()));
        let files = write_charts(&sample(), &dir).unwrap();
        for (name, title) in [
            ("latency", "latency p50 / p90 / p99"),
            ("throughput", "throughput"),
            ("failures", "failed requests"),
            ("share", "share of completed requests per real server"),
            ("inactconn", "peak InActConn"),
        ] {
            let svg = std::fs::read_to_string(dir.join(format!("{name}.svg"))).unwrap();
            assert!(svg.starts_with("<svg"), "{name}");
            assert!(svg.contains(&format!("demo-sweep: {title}")), "{name}");
            assert!(
                svg.contains("ipvs.scheduler=wlc") || name == "share",
                "{name}"
            );
            if files.png_skipped.is_none() {
                let png = std::fs::read(dir.join(format!("{name}.png"))).unwrap();
                assert!(png.starts_with(b"\x89PNG"), "{name}");
            }
        }
        let expected = if files.png_skipped.is_none() { 10 } else { 5 };
        assert_eq!(files.written.len(), expected);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
