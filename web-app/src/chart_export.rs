//! Chart downloads: a chart's lines as CSV (one row per x value, one column per line, the
//! previous run's lines after a `previous ` prefix), and the `data:` URL a link downloads.

use crate::sampling::Series;

/// A number as CSV text: whole numbers without a fraction, others with up to 6 decimals.
pub fn number(v: f64) -> String {
    if !v.is_finite() {
        return String::new();
    }
    if v.fract() == 0.0 && v.abs() < 1e15 {
        return format!("{v:.0}");
    }
    let s = format!("{v:.6}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A CSV field, quoted when it must be.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// The lines of a chart as CSV: the x column `x_name`, then a column per line of `series`
/// and one per line of `previous` (named `previous LABEL`). A line without a point at some
/// x leaves its cell empty.
pub fn csv(x_name: &str, series: &[Series], previous: &[Series]) -> String {
    let cols: Vec<(String, &Series)> = series
        .iter()
        .map(|s| (s.label.clone(), s))
        .chain(
            previous
                .iter()
                .map(|s| (format!("previous {}", s.label), s)),
        )
        .collect();
    let mut xs: Vec<f64> = cols
        .iter()
        .flat_map(|(_, s)| s.points.iter().map(|p| p.0))
        .filter(|x| x.is_finite())
        .collect();
    xs.sort_by(|a, b| a.total_cmp(b));
    xs.dedup();
    let mut out = field(x_name);
    for (name, _) in &cols {
        out.push(',');
        out.push_str(&field(name));
    }
    out.push('\n');
    for x in xs {
        out.push_str(&number(x));
        for (_, s) in &cols {
            out.push(',');
            if let Some(p) = s.points.iter().find(|p| p.0 == x) {
                out.push_str(&number(p.1));
            }
        }
        out.push('\n');
    }
    out
}

/// A `data:` URL holding `text` (percent-encoded), for a download link.
pub fn data_url(mime: &str, text: &str) -> String {
    format!("data:{mime};charset=utf-8,{}", crate::share::encode(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(label: &str, pts: &[(f64, f64)]) -> Series {
        Series {
            label: label.into(),
            points: pts.to_vec(),
        }
    }

    #[test]
    fn csv_has_a_column_per_line_and_a_row_per_x() {
        let now = [
            line("p50", &[(1.0, 4.25), (2.0, 5.0)]),
            line("p99", &[(1.0, 20.0), (2.0, 31.5), (3.0, 40.0)]),
        ];
        let before = [line("p99", &[(1.0, 10.0)])];
        let t = csv("seconds", &now, &before);
        assert_eq!(
            t,
            "seconds,p50,p99,previous p99\n1,4.25,20,10\n2,5,31.5,\n3,,40,\n"
        );
        assert_eq!(csv("x", &[], &[]), "x\n");
    }

    #[test]
    fn fields_and_numbers() {
        assert_eq!(field("rs1 active"), "rs1 active");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(number(0.1 + 0.2), "0.3");
        assert_eq!(number(1e6), "1000000");
        assert_eq!(number(f64::NAN), "");
        assert_eq!(number(-2.5), "-2.5");
    }

    #[test]
    fn data_urls_are_percent_encoded() {
        let u = data_url("text/csv", "a,b\n1,2\n");
        assert_eq!(u, "data:text/csv;charset=utf-8,a%2Cb%0A1%2C2%0A");
    }
}
