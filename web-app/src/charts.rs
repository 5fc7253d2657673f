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

/// The axes a data set needs: x from 0 to the last second, y from 0 to 110 % of the peak.
pub fn ranges(series: &[Series]) -> ((f64, f64), (f64, f64)) {
    let pts = series.iter().flat_map(|s| s.points.iter());
    let (mut xmax, mut ymax) = (1.0f64, 1.0f64);
    for &(x, y) in pts {
        if x.is_finite() {
            xmax = xmax.max(x);
        }
        if y.is_finite() {
            ymax = ymax.max(y);
        }
    }
    ((0.0, xmax), (0.0, ymax * 1.1))
}

/// Draws one line chart filling `area`. `legend` gives the text shown for a series label
/// (the browser translates "rs1 active"; the colours and dashes follow the label itself).
pub fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    x_desc: &str,
    y_desc: &str,
    series: &[Series],
    legend: &dyn Fn(&str) -> String,
) -> Result<(), String> {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| format!("chart `{title}`: {x:?}");
    area.fill(&WHITE).map_err(e)?;
    let ((x0, x1), (y0, y1)) = ranges(series);
    let mut chart = ChartBuilder::on(area)
        .caption(title, ("sans-serif", 18))
        .margin(8)
        .x_label_area_size(34)
        .y_label_area_size(52)
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .y_desc(y_desc)
        .label_style(("sans-serif", 13))
        .light_line_style(RGBColor(0xee, 0xee, 0xee))
        .draw()
        .map_err(e)?;
    // One colour per server: "rs1 active" solid, "rs1 inactive" dashed in the same colour.
    let mut keys: Vec<&str> = Vec::new();
    for s in series {
        let dashed = s.label.ends_with(" inactive") || s.label == "p99";
        let key = s
            .label
            .strip_suffix(" inactive")
            .or_else(|| s.label.strip_suffix(" active"))
            .unwrap_or(&s.label);
        let idx = match keys.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                keys.push(key);
                keys.len() - 1
            }
        };
        let c = COLOURS[idx % COLOURS.len()];
        let style = ShapeStyle::from(c).stroke_width(if dashed { 2 } else { 3 });
        let pts = s
            .points
            .iter()
            .copied()
            .filter(|p| p.0.is_finite() && p.1.is_finite());
        let drawn = if dashed {
            chart.draw_series(DashedLineSeries::new(pts, 6, 4, style))
        } else {
            chart.draw_series(LineSeries::new(pts, style))
        };
        drawn
            .map_err(e)?
            .label(legend(&s.label))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], style));
    }
    if !series.is_empty() {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 13))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(e)?;
    }
    area.present().map_err(e)?;
    Ok(())
}

/// A chart as an SVG document.
pub fn svg(title: &str, y_desc: &str, series: &[Series], w: u32, h: u32) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (w, h)).into_drawing_area();
        draw(&root, title, "simulated seconds", y_desc, series, &|l| {
            l.to_string()
        })?;
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
}
