//! The packet log: every hop of the run up to the clock, with filters (ARP, VRRP and
//! gratuitous ARP, health checks and sync traffic, one node, one connection) and pages, so
//! the first SYN is still there after "Run to end".

use crate::flights::conn_key;
use lvslab_sim::trace::TraceRecord;
use lvslab_sim::Simulation;
use std::collections::BTreeSet;
use std::net::Ipv4Addr;

/// Rows per page.
pub const PAGE: usize = 40;

/// The IPVS sync daemon's UDP port.
const SYNC_PORT: u16 = 8848;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LogFilter {
    pub hide_arp: bool,
    pub hide_vrrp: bool,
    pub hide_checks: bool,
    pub node: Option<String>,
    /// A connection by its client end (address, port).
    pub conn: Option<(String, u16)>,
}

/// What the filters need to know about the hosts: the addresses of directors that run
/// keepalived (health checks come from them) and of everything else.
#[derive(Clone, Debug, Default)]
pub struct Roles {
    checkers: BTreeSet<String>,
}

impl Roles {
    pub fn of(sim: &Simulation) -> Roles {
        let mut checkers = BTreeSet::new();
        for k in &sim.keepalived {
            for i in &sim.hosts[k.host].ifaces {
                for a in &i.addrs {
                    checkers.insert(a.addr.to_string());
                }
            }
        }
        Roles { checkers }
    }
}

/// A gratuitous ARP announces the sender's own address (sender IP = target IP).
pub fn is_garp(r: &TraceRecord) -> bool {
    r.arp.as_ref().is_some_and(|a| a.sender_ip == a.target_ip)
}

pub fn is_vrrp(r: &TraceRecord) -> bool {
    r.ip.as_ref().is_some_and(|i| i.vrrp.is_some())
}

/// Health-check connections (a keepalived director's own address to a real server's,
/// outside any client connection) and the sync daemon's datagrams.
pub fn is_check_or_sync(r: &TraceRecord, roles: &Roles) -> bool {
    let Some(ip) = &r.ip else { return false };
    if ip
        .udp
        .as_ref()
        .is_some_and(|u| u.dport == SYNC_PORT || u.sport == SYNC_PORT)
    {
        return true;
    }
    if ip.inner.is_some() || ip.tcp.is_none() {
        return false;
    }
    // VIPs are also the director's addresses, but client traffic to or from a VIP has a
    // client on the other side; a checker talks from the director's own (non-VIP) address
    // to a real server. A VIP moves between directors, so test both ends.
    let from = roles.checkers.contains(&ip.src);
    let to = roles.checkers.contains(&ip.dst);
    let tcp = ip
        .tcp
        .as_ref()
        .map(|t| (t.sport, t.dport))
        .unwrap_or((0, 0));
    // The checker's end uses an ephemeral port, the real server's the service port.
    (from && tcp.0 > tcp.1) || (to && tcp.1 > tcp.0)
}

impl LogFilter {
    pub fn keeps(&self, r: &TraceRecord, roles: &Roles) -> bool {
        if self.hide_arp && r.arp.is_some() && !is_garp(r) {
            return false;
        }
        if self.hide_vrrp && (is_vrrp(r) || is_garp(r)) {
            return false;
        }
        if self.hide_checks && is_check_or_sync(r, roles) {
            return false;
        }
        if self.node.as_ref().is_some_and(|n| *n != r.node) {
            return false;
        }
        if let Some(c) = &self.conn {
            if r.ip.as_ref().and_then(conn_key).as_ref() != Some(c) {
                return false;
            }
        }
        true
    }
}

/// The records shown: those up to `upto` (the clock's visible records) that pass the
/// filter, oldest first, as indices into the trace.
pub fn rows(records: &[TraceRecord], upto: usize, f: &LogFilter, roles: &Roles) -> Vec<usize> {
    records[..upto.min(records.len())]
        .iter()
        .enumerate()
        .filter(|(_, r)| f.keeps(r, roles))
        .map(|(i, _)| i)
        .collect()
}

/// The page `p` of the log (clamped): (pages, page, the record indices on it, rows in all).
/// Without a filter nothing is scanned: the rows are the records themselves, so a long run
/// costs nothing per frame.
pub fn page_of(
    records: &[TraceRecord],
    upto: usize,
    f: &LogFilter,
    roles: &Roles,
    p: usize,
) -> (usize, usize, Vec<usize>, usize) {
    if *f == LogFilter::default() {
        let n = upto.min(records.len());
        let pages = n.div_ceil(PAGE).max(1);
        let p = p.min(pages - 1);
        let lo = p * PAGE;
        return (pages, p, (lo..(lo + PAGE).min(n)).collect(), n);
    }
    let all = rows(records, upto, f, roles);
    let (pages, p, shown) = page(&all, p);
    (pages, p, shown.to_vec(), all.len())
}

/// Pages of `PAGE` rows: how many, and the slice of page `p` (clamped).
pub fn page(rows: &[usize], p: usize) -> (usize, usize, &[usize]) {
    let pages = rows.len().div_ceil(PAGE).max(1);
    let p = p.min(pages - 1);
    let lo = p * PAGE;
    (pages, p, &rows[lo..(lo + PAGE).min(rows.len())])
}

/// The connections in the trace by their client end, in order of appearance (for the
/// connection filter), at most `max`.
pub fn connections(records: &[TraceRecord], upto: usize, max: usize) -> Vec<(String, u16)> {
    ConnIndex::default().get(records, upto, max)
}

/// The connection filter's choices, kept between frames (the trace only grows).
#[derive(Clone, Debug, Default)]
pub struct ConnIndex {
    scanned: usize,
    seen: BTreeSet<(String, u16)>,
    list: Vec<(usize, (String, u16))>,
}

impl ConnIndex {
    /// The connections among the first `upto` records, at most `max`, in order of appearance.
    pub fn get(&mut self, records: &[TraceRecord], upto: usize, max: usize) -> Vec<(String, u16)> {
        let upto = upto.min(records.len());
        if records.len() < self.scanned {
            *self = ConnIndex::default();
        }
        if self.list.len() < max {
            for (i, r) in records.iter().enumerate().skip(self.scanned) {
                let Some(k) = r.ip.as_ref().and_then(conn_key) else {
                    continue;
                };
                if k.0.parse::<Ipv4Addr>().is_ok() && self.seen.insert(k.clone()) {
                    self.list.push((i, k));
                    if self.list.len() >= max {
                        break;
                    }
                }
            }
            self.scanned = records.len();
        }
        self.list
            .iter()
            .filter(|(i, _)| *i < upto)
            .map(|(_, k)| k.clone())
            .take(max)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::driver::test_driver as driver;

    #[test]
    fn the_first_syn_stays_after_run_to_end() {
        let mut d = driver("nat-lab");
        d.run_to_end();
        let roles = Roles::of(&d.sim);
        let all = rows(
            d.records(),
            d.visible_records(),
            &LogFilter::default(),
            &roles,
        );
        assert!(all.len() > 1000, "{}", all.len());
        let first_syn = all.iter().map(|&i| &d.records()[i]).find(|r| {
            r.ip.as_ref()
                .and_then(|i| i.tcp.as_ref())
                .is_some_and(|t| t.flags == "S")
        });
        let r = first_syn.expect("a SYN in the log");
        assert_eq!(r.node, "client");
        let (pages, p, first) = page(&all, 0);
        assert!(pages > 10 && p == 0 && first.len() == PAGE);
        // The unfiltered fast path gives the same pages.
        for k in [0, 3, usize::MAX] {
            let (pg, pp, shown, total) = page_of(
                d.records(),
                d.visible_records(),
                &LogFilter::default(),
                &roles,
                k,
            );
            let (pg2, pp2, shown2) = page(&all, k);
            assert_eq!(
                (pg, pp, shown.as_slice(), total),
                (pg2, pp2, shown2, all.len())
            );
        }
        let no_arp = LogFilter {
            hide_arp: true,
            ..Default::default()
        };
        let shown = rows(d.records(), d.visible_records(), &no_arp, &roles);
        assert!(shown.iter().all(|&i| d.records()[i].arp.is_none()));
        assert!(shown.len() < all.len());
        let conns = connections(d.records(), d.visible_records(), 1000);
        assert_eq!(
            ConnIndex::default().get(d.records(), d.visible_records(), 1000),
            conns
        );
        assert!(conns.len() >= 10);
        let one = LogFilter {
            conn: Some(conns[0].clone()),
            ..Default::default()
        };
        let c = rows(d.records(), d.visible_records(), &one, &roles);
        assert!(c.len() >= 10 && c.len() < 60, "{}", c.len());
    }

    #[test]
    fn vrrp_and_checks_can_be_hidden() {
        let mut d = driver("ha-checker-dead-rs");
        d.seek_to(12_000_000_000);
        let roles = Roles::of(&d.sim);
        let all = rows(
            d.records(),
            d.visible_records(),
            &LogFilter::default(),
            &roles,
        );
        let checks = all
            .iter()
            .filter(|&&i| is_check_or_sync(&d.records()[i], &roles))
            .count();
        let vrrp = all.iter().filter(|&&i| is_vrrp(&d.records()[i])).count();
        assert!(checks > 0 && vrrp > 0, "checks {checks}, vrrp {vrrp}");
        let f = LogFilter {
            hide_vrrp: true,
            hide_checks: true,
            ..Default::default()
        };
        let rest = rows(d.records(), d.visible_records(), &f, &roles);
        assert_eq!(
            rest.len(),
            all.len() - checks - vrrp - all.iter().filter(|&&i| is_garp(&d.records()[i])).count()
        );
    }
}
