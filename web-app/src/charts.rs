//! Charts drawn with plotters on any backend: an HTML canvas in the browser, SVG natively
//! (tests, and anything that wants a file).

use crate::sampling::Series;
use plotters::coord::Shift;
use plotters::prelude::*;

/// Distinct colours, readable on white and on a projector.
const COLOURS: [RGBColor; 8] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// Font sizes (px) of the tick labels and of the axis titles.
const LABEL_PX: i32 = 13;
const DESC_PX: i32 = 14;
/// How many y tick labels plotters is asked for (at most).
const Y_LABELS: usize = 8;
/// Plotters keeps tick labels this far from the axis (twice its 5 px tick marks) plus room.
const TICK_GAP: u32 = 12;
/// Between a rotated axis title and the widest tick label.
const TITLE_GAP: u32 = 6;
/// Height of the x axis area: tick labels, a gap and the x title under them.
const X_LABEL_AREA: u32 = 50;

/// The axes a data set needs: x from 0 to the last second, y from 0 to 110 % of the peak.
pub fn ranges(series: &[Series]) -> ((f64, f64), (f64, f64)) {
    ranges_of(&[series], false)
}

/// The axes for several sets of lines (a run and the previous one). With `x_from_min` the
/// x axis spans the data (a sweep's parameter values) instead of starting at 0 (time).
pub fn ranges_of(sets: &[&[Series]], x_from_min: bool) -> ((f64, f64), (f64, f64)) {
    let (mut lo, mut hi, mut ymax) = (f64::INFINITY, f64::NEG_INFINITY, 1.0f64);
    for s in sets.iter().flat_map(|set| set.iter()) {
        for &(x, y) in &s.points {
            if x.is_finite() {
                lo = lo.min(x);
                hi = hi.max(x);
            }
            if y.is_finite() {
                ymax = ymax.max(y);
            }
        }
    }
    let x = if x_from_min && lo.is_finite() {
        if hi > lo {
            (lo, hi)
        } else {
            (lo - 0.5, lo + 0.5)
        }
    } else {
        (0.0, hi.max(1.0))
    };
    (x, (0.0, ymax * 1.1))
}

/// Decimals for the y tick labels: enough to tell apart ticks a `Y_LABELS`th of the axis
/// apart (plotters never puts them closer).
pub fn y_decimals(y_max: f64) -> usize {
    let step = y_max / Y_LABELS as f64;
    if !(step.is_finite() && step > 0.0) {
        return 0;
    }
    (-step.log10()).ceil().clamp(0.0, 6.0) as usize
}

/// A y tick label.
pub fn y_tick(v: f64, decimals: usize) -> String {
    format!("{v:.decimals$}")
}

/// A generous width (px) of a tick label in the 13 px sans-serif font: digits are about
/// 0.55 em wide in common fonts, counted as 0.62 em.
pub fn tick_label_width(text: &str) -> u32 {
    (text.chars().count() as f64 * LABEL_PX as f64 * 0.62).ceil() as u32
}

/// Where the parts of the y axis area go, from its left edge (px): the rotated title
/// takes [0, title_width), the tick labels [labels_from, area - TICK_GAP).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct YAxisLayout {
    pub area: u32,
    pub title_width: u32,
    pub labels_from: u32,
}

/// The y axis area for tick labels up to `widest` px wide: the title left of them, apart.
pub fn y_axis_layout(widest: u32) -> YAxisLayout {
    let title_width = (DESC_PX as f64 * 1.25).ceil() as u32;
    let area = 2 + title_width + TITLE_GAP + widest + TICK_GAP;
    YAxisLayout {
        area,
        title_width: 2 + title_width,
        labels_from: area - TICK_GAP - widest,
    }
}

/// The widest y tick label of an axis from 0 to `y_max`.
fn widest_y_label(y_max: f64, decimals: usize) -> u32 {
    [0.0, y_max, y_max / 2.0]
        .iter()
        .map(|v| tick_label_width(&y_tick(*v, decimals)))
        .max()
        .unwrap_or(0)
}

/// One chart: titles, lines, and the previous run's lines drawn lighter and dashed
/// underneath with one legend entry.
pub struct Chart<'a> {
    pub title: &'a str,
    pub x_desc: &'a str,
    pub y_desc: &'a str,
    pub series: &'a [Series],
    pub previous: &'a [Series],
    /// The x axis spans the data (sweeps) rather than starting at 0 (time).
    pub x_from_min: bool,
    /// The text shown for a series label (the browser translates "rs1 active"; the colours
    /// and dashes follow the label itself).
    pub legend: &'a dyn Fn(&str) -> String,
    /// The legend entry of the previous run's lines.
    pub previous_legend: &'a str,
}

/// The colour slot of a line: one per server, "rs1 active" and "rs1 inactive" share it.
fn series_key(label: &str) -> &str {
    label
        .strip_suffix(" inactive")
        .or_else(|| label.strip_suffix(" active"))
        .unwrap_or(label)
}

fn colour(keys: &[&str], label: &str) -> RGBColor {
    let key = series_key(label);
    let i = keys.iter().position(|k| *k == key).unwrap_or(0);
    COLOURS[i % COLOURS.len()]
}

fn finite(points: &[(f64, f64)]) -> impl Iterator<Item = (f64, f64)> + Clone + '_ {
    points
        .iter()
        .copied()
        .filter(|p| p.0.is_finite() && p.1.is_finite())
}

/// Draws one line chart filling `area`.
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
    legend: &dyn Fn(&str) -> String,
) -> Result<(), String> {
    draw_chart(
        area,
        &Chart {
            title,
            x_desc,
            y_desc,
            series,
            previous: &[],
            x_from_min: false,
            legend,
            previous_legend: "",
        },
    )
}

/// Draws a chart (and the previous run under it) filling `area`.
pub fn draw_chart<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    c: &Chart,
) -> Result<(), String> {
    let title = c.title;
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| format!("chart `{title}`: {x:?}");
    area.fill(&WHITE).map_err(e)?;
    let ((x0, x1), (y0, y1)) = ranges_of(&[c.series, c.previous], c.x_from_min);
    let decimals = y_decimals(y1);
    let layout = y_axis_layout(widest_y_label(y1, decimals));
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(8)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(layout.area)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(e)?;
    let y_fmt = move |v: &f64| y_tick(*v, decimals);
    chart
        .configure_mesh()
        .x_desc(c.x_desc)
        .y_desc(c.y_desc)
        .label_style(("sans-serif", LABEL_PX))
        .axis_desc_style(("sans-serif", DESC_PX))
        .y_labels(Y_LABELS)
        .y_label_formatter(&y_fmt)
        .light_line_style(RGBColor(0xee, 0xee, 0xee))
        .draw()
        .map_err(e)?;
    // Colours by server, the current run's order first, so a rerun keeps its colours.
    let mut keys: Vec<&str> = Vec::new();
    for s in c.series.iter().chain(c.previous.iter()) {
        let k = series_key(&s.label);
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    let mut previous_labelled = false;
    for s in c.previous {
        let style = ShapeStyle::from(colour(&keys, &s.label).mix(0.4)).stroke_width(2);
        let drawn = chart
            .draw_series(DashedLineSeries::new(finite(&s.points), 3, 5, style))
            .map_err(e)?;
        if !previous_labelled {
            previous_labelled = true;
            let grey = ShapeStyle::from(RGBColor(0x99, 0x99, 0x99)).stroke_width(2);
            drawn
                .label(c.previous_legend)
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], grey));
        }
    }
    // "rs1 active" solid, "rs1 inactive" dashed in the same colour; p99 dashed.
    for s in c.series {
        let dashed = s.label.ends_with(" inactive") || s.label == "p99";
        let style =
            ShapeStyle::from(colour(&keys, &s.label)).stroke_width(if dashed { 2 } else { 3 });
        let drawn = if dashed {
            chart.draw_series(DashedLineSeries::new(finite(&s.points), 6, 4, style))
        } else {
            chart.draw_series(LineSeries::new(finite(&s.points), style))
        };
        drawn
            .map_err(e)?
            .label((c.legend)(&s.label))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
    }
    if !c.series.is_empty() || !c.previous.is_empty() {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", LABEL_PX))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(e)?;
    }
    area.present().map_err(e)?;
    Ok(())
}

/// A chart as an SVG document.
pub fn svg(title: &str, y_desc: &str, series: &[Series], w: u32, h: u32) -> Result<String, String> {
    let legend = |l: &str| l.to_string();
    svg_chart(
        &Chart {
            title,
            x_desc: "simulated seconds",
            y_desc,
            series,
            previous: &[],
            x_from_min: false,
            legend: &legend,
            previous_legend: "",
        },
        w,
        h,
    )
}

/// Any chart as an SVG document.
pub fn svg_chart(c: &Chart, w: u32, h: u32) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        draw_chart(&root, c)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_has_every_series() {
        let s = vec![
            Series {
                label: "rs1 active".into(),
                points: vec![(0.0, 0.0), (1.0, 3.0), (2.0, 5.0)],
            },
            Series {
                label: "rs2 active".into(),
                points: vec![(0.0, 0.0), (1.0, 2.0), (2.0, 9.0)],
            },
        ];
        let out = svg("ActiveConn", "connections", &s, 480, 260).unwrap();
        assert!(out.starts_with("<svg"));
        assert!(out.contains("rs1 active") && out.contains("rs2 active"));
        assert!(out.matches("<polyline").count() >= 2);
        assert_eq!(ranges(&s), ((0.0, 2.0), (0.0, 9.0 * 1.1)));
    }

    #[test]
    fn empty_and_odd_data_do_not_fail() {
        assert!(svg("empty", "x", &[], 300, 200).is_ok());
        let s = vec![Series {
            label: "nan".into(),
            points: vec![(f64::NAN, 1.0), (1.0, f64::INFINITY)],
        }];
        assert!(svg("odd", "x", &s, 300, 200).is_ok());
    }

    #[test]
    fn the_previous_run_is_drawn_with_one_legend_entry() {
        let line = |label: &str, k: f64| Series {
            label: label.into(),
            points: vec![(1.0, 1.0 * k), (2.0, 2.0 * k), (3.0, 4.0 * k)],
        };
        let now = vec![line("p50", 1.0), line("p99", 2.0)];
        let before = vec![line("p50", 10.0), line("p99", 20.0)];
        let legend = |l: &str| l.to_string();
        let c = Chart {
            title: "latency",
            x_desc: "s",
            y_desc: "ms",
            series: &now,
            previous: &before,
            x_from_min: false,
            legend: &legend,
            previous_legend: "previous",
        };
        let out = svg_chart(&c, 520, 280).unwrap();
        assert_eq!(out.matches(">\nprevious\n<").count(), 1, "{out}");
        // The axes make room for the previous run's higher values.
        assert_eq!(
            ranges_of(&[now.as_slice(), before.as_slice()], false).1,
            (0.0, 80.0 * 1.1)
        );
        assert_eq!(ranges_of(&[now.as_slice()], true).0, (1.0, 3.0));
    }

    #[test]
    fn y_axis_titles_stay_clear_of_the_tick_labels() {
        for (y_max, widest_text) in [
            (1.1, "1.1"),
            (9.9, "9"),
            (110.0, "110"),
            (66_000.0, "66000"),
        ] {
            let d = y_decimals(y_max);
            let l = y_axis_layout(widest_y_label(y_max, d));
            let w = tick_label_width(widest_text);
            assert!(
                l.labels_from >= l.title_width + TITLE_GAP
                    && l.area >= l.labels_from + w + TICK_GAP,
                "{y_max}: {l:?} for `{widest_text}` ({w} px)"
            );
        }
        assert!(y_axis_layout(80).area > y_axis_layout(20).area);
        // Neighbouring ticks differ in their text.
        assert_eq!(y_decimals(110.0), 0);
        assert_eq!(y_decimals(1.1), 1);
        assert_eq!(y_tick(0.25, y_decimals(0.33)), "0.25");
    }
}
