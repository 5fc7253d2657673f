//! Simulated time: integer nanoseconds since the start of a run.
//!
//! Integers (not floats) so that event ordering is exact and reproducible.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// A point in simulated time, in nanoseconds since the start of the run.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SimTime(pub u64);

/// A span of simulated time, in nanoseconds.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct SimDuration(pub u64);

pub const NANOS_PER_SEC: u64 = 1_000_000_000;

impl SimTime {
    pub const ZERO: SimTime = SimTime(0);
    pub const MAX: SimTime = SimTime(u64::MAX);
    pub fn from_secs(s: u64) -> Self {
        SimTime(s * NANOS_PER_SEC)
    }
    pub fn from_millis(ms: u64) -> Self {
        SimTime(ms * 1_000_000)
    }
    pub fn as_nanos(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
    /// Whole seconds (rounded down).
    pub fn whole_secs(self) -> u64 {
        self.0 / NANOS_PER_SEC
    }
    pub fn saturating_sub(self, other: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(other.0))
    }
}

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    pub fn from_secs(s: u64) -> Self {
        SimDuration(s * NANOS_PER_SEC)
    }
    pub fn from_millis(ms: u64) -> Self {
        SimDuration(ms * 1_000_000)
    }
    pub fn from_micros(us: u64) -> Self {
        SimDuration(us * 1_000)
    }
    pub fn from_nanos(ns: u64) -> Self {
        SimDuration(ns)
    }
    /// Converts seconds given as a float, rounding to the nearest nanosecond.
    pub fn from_secs_f64(s: f64) -> Self {
        SimDuration((s * NANOS_PER_SEC as f64).round().max(0.0) as u64)
    }
    pub fn as_nanos(self) -> u64 {
        self.0
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1_000_000.0
    }
    pub fn mul(self, k: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(k))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}
impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        self.0 = self.0.saturating_add(d.0);
    }
}
impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    fn sub(self, o: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(o.0))
    }
}
impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, o: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(o.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:09}s",
            self.0 / NANOS_PER_SEC,
            self.0 % NANOS_PER_SEC
        )
    }
}
impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", format_duration(*self))
    }
}

/// Formats a duration the way scenario files write them ("1.5s", "200ms", "50us", "0s").
pub fn format_duration(d: SimDuration) -> String {
    let n = d.0;
    if n == 0 {
        "0s".into()
    } else if n % NANOS_PER_SEC == 0 {
        format!("{}s", n / NANOS_PER_SEC)
    } else if n % 1_000_000 == 0 {
        format!("{}ms", n / 1_000_000)
    } else if n % 1_000 == 0 {
        format!("{}us", n / 1_000)
    } else {
        format!("{n}ns")
    }
}

/// Parses "1.5s", "200ms", "50us", "10ns", "2m", "1h" or a bare number of seconds.
pub fn parse_duration(s: &str) -> Result<SimDuration, String> {
    let t = s.trim();
    let (num, mult): (&str, f64) = if let Some(v) = t.strip_suffix("ns") {
        (v, 1.0)
    } else if let Some(v) = t.strip_suffix("us").or_else(|| t.strip_suffix("µs")) {
        (v, 1e3)
    } else if let Some(v) = t.strip_suffix("ms") {
        (v, 1e6)
    } else if let Some(v) = t.strip_suffix('s') {
        (v, 1e9)
    } else if let Some(v) = t.strip_suffix('m') {
        (v, 60e9)
    } else if let Some(v) = t.strip_suffix('h') {
        (v, 3600e9)
    } else {
        (t, 1e9)
    };
    let v: f64 = num.trim().parse().map_err(|_| {
        format!("`{s}` is not a duration (write e.g. \"1.5s\", \"200ms\", \"50us\")")
    })?;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("`{s}` is not a non-negative duration"));
    }
    Ok(SimDuration((v * mult).round() as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn parses_and_formats() {
        assert_eq!(parse_duration("1.5s").unwrap(), SimDuration(1_500_000_000));
        assert_eq!(
            parse_duration("200ms").unwrap(),
            SimDuration::from_millis(200)
        );
        assert_eq!(
            parse_duration("50us").unwrap(),
            SimDuration::from_micros(50)
        );
        assert_eq!(parse_duration("2m").unwrap(), SimDuration::from_secs(120));
        assert_eq!(parse_duration("3").unwrap(), SimDuration::from_secs(3));
        assert!(parse_duration("abc").is_err());
        assert!(parse_duration("-1s").is_err());
        assert_eq!(format_duration(SimDuration::from_millis(200)), "200ms");
        assert_eq!(format_duration(SimDuration::from_secs(3)), "3s");
    }
}
