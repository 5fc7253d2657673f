//! The timeline under the diagram: markers for what happened (connections, drops, faults
//! and the user's changes, VRRP transitions, checker verdicts) and the VRRP strip of an HA
//! pair (adverts, the master-down wait, the takeover, gratuitous ARPs).

use crate::driver::{Driver, LabInput};
use lvslab_sim::ha::vrrp::VrrpState;
use lvslab_sim::ha::HaWhat;
use lvslab_sim::net::host::Role;
use lvslab_sim::trace::{Direction, Verdict};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarkerKind {
    Connection,
    Drop,
    Fault,
    Vrrp,
    Checker,
}

impl MarkerKind {
    pub fn name(self) -> &'static str {
        match self {
            MarkerKind::Connection => "conn",
            MarkerKind::Drop => "drop",
            MarkerKind::Fault => "fault",
            MarkerKind::Vrrp => "vrrp",
            MarkerKind::Checker => "checker",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Marker {
    /// Simulated nanoseconds.
    pub t: u64,
    pub kind: MarkerKind,
    pub label: String,
}

/// At most this many connection and drop markers each (the first ones): beyond that a
/// timeline is a solid bar and tells nothing.
pub const MAX_PER_KIND: usize = 200;

/// The markers found in the trace so far, kept between frames: the trace only grows, and a
/// replay after stepping back rebuilds the same records, so what was scanned stays valid
/// for the records that exist.
#[derive(Clone, Debug, Default)]
pub struct TraceMarkers {
    scanned: usize,
    /// (record index, marker)
    found: Vec<(usize, Marker)>,
}

impl TraceMarkers {
    fn sync(&mut self, d: &Driver) {
        let recs = d.records();
        if recs.len() < self.scanned {
            self.found.retain(|(i, _)| *i < recs.len());
            self.scanned = recs.len();
        }
        let clients: Vec<&str> = d
            .sim
            .hosts
            .iter()
            .filter(|h| h.role == Role::Client)
            .map(|h| h.name.as_str())
            .collect();
        let count =
            |k: MarkerKind, f: &[(usize, Marker)]| f.iter().filter(|(_, m)| m.kind == k).count();
        let (mut conns, mut drops) = (
            count(MarkerKind::Connection, &self.found),
            count(MarkerKind::Drop, &self.found),
        );
        for (i, r) in recs.iter().enumerate().skip(self.scanned) {
            if let Verdict::Dropped(why) = &r.verdict {
                if drops < MAX_PER_KIND {
                    drops += 1;
                    self.found.push((
                        i,
                        Marker {
                            t: r.t,
                            kind: MarkerKind::Drop,
                            label: format!("{}: {why}", r.node),
                        },
                    ));
                }
                continue;
            }
            let syn = r.dir == Direction::Tx
                && clients.contains(&r.node.as_str())
                && r.ip
                    .as_ref()
                    .and_then(|i| i.tcp.as_ref())
                    .is_some_and(|t| t.flags == "S");
            if syn && conns < MAX_PER_KIND {
                if let Some((ip, t)) = r.ip.as_ref().and_then(|i| i.tcp.as_ref().map(|t| (i, t))) {
                    conns += 1;
                    self.found.push((
                        i,
                        Marker {
                            t: r.t,
                            kind: MarkerKind::Connection,
                            label: format!("SYN {}:{} → {}", ip.src, t.sport, ip.dst),
                        },
                    ));
                }
            }
        }
        self.scanned = recs.len();
    }
}

/// Every marker known so far, in time order (`cache` keeps the trace's part between calls).
pub fn markers_cached(d: &Driver, cache: &mut TraceMarkers) -> Vec<Marker> {
    cache.sync(d);
    let mut v: Vec<Marker> = cache.found.iter().map(|(_, m)| m.clone()).collect();
    for f in &d.sim.faults {
        v.push(Marker {
            t: f.at.0,
            kind: MarkerKind::Fault,
            label: f.label.clone(),
        });
    }
    for l in &d.inputs {
        let label = match &l.input {
            LabInput::Action { label, .. } => label.clone(),
            LabInput::Console { line, .. } => line.clone(),
            LabInput::Request => "request".into(),
        };
        v.push(Marker {
            t: l.t,
            kind: MarkerKind::Fault,
            label,
        });
    }
    for k in &d.sim.keepalived {
        let host = &d.sim.hosts[k.host].name;
        for h in &k.history {
            let (kind, label) = match &h.what {
                HaWhat::State(s) => (
                    MarkerKind::Vrrp,
                    format!("{host} {} → {}", h.instance, s.name()),
                ),
                HaWhat::RealServer { rs, up } => (
                    MarkerKind::Checker,
                    format!(
                        "{host}: {rs} {} ({})",
                        if *up { "up" } else { "down" },
                        h.instance
                    ),
                ),
                HaWhat::Quorum { up } => (
                    MarkerKind::Checker,
                    format!(
                        "{host}: quorum {} ({})",
                        if *up { "up" } else { "lost" },
                        h.instance
                    ),
                ),
                _ => continue,
            };
            v.push(Marker {
                t: h.t.0,
                kind,
                label,
            });
        }
    }
    v.sort_by_key(|a| (a.t, a.kind));
    v
}

/// Every marker known so far, in time order.
pub fn markers(d: &Driver) -> Vec<Marker> {
    markers_cached(d, &mut TraceMarkers::default())
}

/// The first marker strictly after `t`, and the last strictly before it.
pub fn next_after(m: &[Marker], t: u64) -> Option<u64> {
    m.iter().map(|x| x.t).find(|&x| x > t)
}
pub fn prev_before(m: &[Marker], t: u64) -> Option<u64> {
    m.iter().rev().map(|x| x.t).find(|&x| x < t)
}

/// One mark on a director's row of the VRRP strip.
#[derive(Clone, Debug, PartialEq)]
pub enum StripMark {
    Advert {
        t: u64,
        priority: u8,
    },
    State {
        t: u64,
        state: &'static str,
    },
    Garp {
        t: u64,
        ip: String,
    },
    /// A backup waiting for adverts that no longer come: from the last advert it heard to
    /// its takeover (the Master_Down_Interval, plus the time to notice).
    Wait {
        from: u64,
        to: u64,
    },
}

#[derive(Clone, Debug, PartialEq)]
pub struct StripRow {
    pub host: String,
    pub instance: String,
    pub marks: Vec<StripMark>,
}

/// Rows per (director, instance), for the scenarios that run keepalived.
pub fn vrrp_strip(d: &Driver) -> Vec<StripRow> {
    let mut rows: Vec<StripRow> = Vec::new();
    // Adverts of every instance by everyone, to find what a backup heard last.
    let mut adverts: Vec<(u64, usize, String)> = Vec::new();
    for k in &d.sim.keepalived {
        for h in &k.history {
            if let HaWhat::Advert { .. } = h.what {
                adverts.push((h.t.0, k.host, h.instance.clone()));
            }
        }
    }
    for k in &d.sim.keepalived {
        let host = d.sim.hosts[k.host].name.clone();
        for inst in &k.instances {
            let name = inst.vrrp.p.name.clone();
            let mut marks = Vec::new();
            for h in k.history.iter().filter(|h| h.instance == name) {
                let t = h.t.0;
                match &h.what {
                    HaWhat::Advert { priority } => marks.push(StripMark::Advert {
                        t,
                        priority: *priority,
                    }),
                    HaWhat::Garp(ip) => marks.push(StripMark::Garp { t, ip: ip.clone() }),
                    HaWhat::State(s) => {
                        if *s == VrrpState::Master {
                            let last = adverts
                                .iter()
                                .filter(|(at, who, i)| *at < t && *who != k.host && *i == name)
                                .map(|(at, _, _)| *at)
                                .max();
                            if let Some(from) = last {
                                marks.push(StripMark::Wait { from, to: t });
                            }
                        }
                        marks.push(StripMark::State { t, state: s.name() });
                    }
                    _ => {}
                }
            }
            rows.push(StripRow {
                host: host.clone(),
                instance: name,
                marks,
            });
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::driver::test_driver as driver;

    #[test]
    fn markers_cover_connections_faults_and_takeovers() {
        let mut d = driver("ha-failover-nosync");
        d.seek_to(30_000_000_000);
        let m = markers(&d);
        assert!(m.iter().any(|x| x.kind == MarkerKind::Connection));
        assert!(m.iter().any(|x| x.kind == MarkerKind::Fault));
        let takeover = m
            .iter()
            .find(|x| {
                x.kind == MarkerKind::Vrrp
                    && x.label.starts_with("ld2")
                    && x.label.ends_with("MASTER")
            })
            .expect("ld2 takes over");
        assert!(
            takeover.t > 20_000_000_000 && takeover.t < 25_000_000_000,
            "{takeover:?}"
        );
        assert!(m.windows(2).all(|w| w[0].t <= w[1].t));
        let strip = vrrp_strip(&d);
        let ld2 = strip
            .iter()
            .find(|r| r.host == "ld2" && r.instance == "VI_1")
            .unwrap();
        let wait = ld2.marks.iter().find_map(|k| match k {
            StripMark::Wait { from, to } if *to > 20_000_000_000 => Some(to - from),
            _ => None,
        });
        // LD1's last advert to LD2's takeover: the Master_Down_Interval (3 x 1 s + skew).
        let w = wait.expect("a wait before the takeover");
        assert!((3_500_000_000..4_700_000_000).contains(&w), "{w}");
        assert!(ld2
            .marks
            .iter()
            .any(|k| matches!(k, StripMark::Garp { .. })));
    }

    #[test]
    fn the_cache_gives_the_same_markers_forward_and_after_stepping_back() {
        let mut d = driver("ha-failover-nosync");
        let mut cache = TraceMarkers::default();
        d.seek_to(10_000_000_000);
        let _ = markers_cached(&d, &mut cache);
        d.seek_to(25_000_000_000);
        assert_eq!(markers_cached(&d, &mut cache), markers(&d));
        d.seek_to(12_000_000_000);
        assert_eq!(markers_cached(&d, &mut cache), markers(&d));
    }

    #[test]
    fn next_and_previous_markers() {
        let m = vec![
            Marker {
                t: 10,
                kind: MarkerKind::Drop,
                label: String::new(),
            },
            Marker {
                t: 20,
                kind: MarkerKind::Fault,
                label: String::new(),
            },
        ];
        assert_eq!(next_after(&m, 10), Some(20));
        assert_eq!(prev_before(&m, 20), Some(10));
        assert_eq!(next_after(&m, 20), None);
    }
}
