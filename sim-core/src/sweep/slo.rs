//! Service-level objectives: `p99 < 50ms`, `failed < 0.1%`, `throughput >= 900`.

use super::result::Figures;
use crate::time::parse_duration;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    P50,
    P90,
    P99,
    Max,
    Mean,
    /// Failed / sent.
    Failed,
    /// Completed per second.
    Throughput,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cmp {
    Lt,
    Le,
    Gt,
    Ge,
}

/// One condition; latencies in milliseconds, `failed` as a fraction.
#[derive(Clone, Debug, PartialEq)]
pub struct SloTerm {
    pub metric: Metric,
    pub cmp: Cmp,
    pub bound: f64,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("SLO `{text}`: {why}")]
pub struct SloError {
    pub text: String,
    pub why: String,
}

impl SloTerm {
    pub fn parse(text: &str) -> Result<SloTerm, SloError> {
        let err = |why: &str| SloError {
            text: text.into(),
            why: why.into(),
        };
        let t = text.trim();
        let (pos, op, cmp) = ["<=", ">=", "<", ">"]
            .iter()
            .find_map(|op| {
                t.find(op).map(|p| {
                    let c = match *op {
                        "<=" => Cmp::Le,
                        ">=" => Cmp::Ge,
                        "<" => Cmp::Lt,
                        _ => Cmp::Gt,
                    };
                    (p, *op, c)
                })
            })
            .ok_or_else(|| err("write METRIC < VALUE (or <=, >, >=), e.g. \"p99 < 50ms\""))?;
        let name = t[..pos].trim();
        let value = t[pos + op.len()..].trim();
        let metric = match name {
            "p50" => Metric::P50,
            "p90" => Metric::P90,
            "p99" => Metric::P99,
            "max" => Metric::Max,
            "mean" => Metric::Mean,
            "failed" => Metric::Failed,
            "throughput" => Metric::Throughput,
            _ => {
                return Err(err(
                    "the metric is one of p50, p90, p99, max, mean, failed, throughput",
                ))
            }
        };
        let bound = match metric {
            Metric::P50 | Metric::P90 | Metric::P99 | Metric::Max | Metric::Mean => {
                parse_duration(value)
                    .map_err(|e| err(&format!("a latency bound such as 50ms ({e})")))?
                    .as_secs_f64()
                    * 1e3
            }
            Metric::Failed => {
                let (num, scale) = match value.strip_suffix('%') {
                    Some(n) => (n.trim(), 0.01),
                    None => (value, 1.0),
                };
                let v: f64 = num
                    .parse()
                    .map_err(|_| err("a failure bound such as 0.1% or 0.001"))?;
                v * scale
            }
            Metric::Throughput => value
                .trim_end_matches("/s")
                .trim()
                .parse()
                .map_err(|_| err("a throughput bound in requests per second, such as 900"))?,
        };
        if !bound.is_finite() || bound < 0.0 {
            return Err(err("the bound must be a non-negative number"));
        }
        Ok(SloTerm {
            metric,
            cmp,
            bound,
            text: t.into(),
        })
    }

    pub fn value(&self, f: &Figures) -> f64 {
        match self.metric {
            Metric::P50 => f.p50_ms,
            Metric::P90 => f.p90_ms,
            Metric::P99 => f.p99_ms,
            Metric::Max => f.max_ms,
            Metric::Mean => f.mean_ms,
            Metric::Failed => f.failed_ratio(),
            Metric::Throughput => f.throughput_rps,
        }
    }

    pub fn met(&self, f: &Figures) -> bool {
        // A run that completed nothing meets no latency objective.
        if f.completed == 0 && self.metric != Metric::Failed {
            return false;
        }
        let v = self.value(f);
        match self.cmp {
            Cmp::Lt => v < self.bound,
            Cmp::Le => v <= self.bound,
            Cmp::Gt => v > self.bound,
            Cmp::Ge => v >= self.bound,
        }
    }
}

impl fmt::Display for SloTerm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_parse_and_judge() {
        let p99 = SloTerm::parse("p99 < 50ms").unwrap();
        assert_eq!(p99.bound, 50.0);
        let failed = SloTerm::parse("failed <= 0.1%").unwrap();
        assert!((failed.bound - 0.001).abs() < 1e-12);
        let mut f = Figures {
            sent: 1000,
            completed: 999,
            failed: 1,
            p99_ms: 49.0,
            ..Default::default()
        };
        assert!(p99.met(&f) && failed.met(&f));
        f.p99_ms = 50.0;
        f.failed = 2;
        assert!(!p99.met(&f) && !failed.met(&f));
        assert!(SloTerm::parse("p98 < 1ms").is_err());
        assert!(SloTerm::parse("p99 50ms").is_err());
        assert!(SloTerm::parse("p99 < fast").is_err());
        assert!(SloTerm::parse("throughput >= 900/s").unwrap().bound == 900.0);
    }
}
