//! The neighbour (ARP) cache of one host, with Linux's update rules: entries are per
//! interface, a request aimed at us creates or overrides the sender's entry, other ARP
//! traffic only refreshes entries that already exist and only after `locktime` (gratuitous
//! ARPs always override), and unresolved packets wait in a short queue while requests are
//! retried.

use crate::time::{SimDuration, SimTime};
use crate::wire::{Ipv4Packet, MacAddr};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum NeighState {
    Incomplete,
    Reachable,
    Stale,
    Failed,
}

impl NeighState {
    pub fn name(self) -> &'static str {
        match self {
            NeighState::Incomplete => "INCOMPLETE",
            NeighState::Reachable => "REACHABLE",
            NeighState::Stale => "STALE",
            NeighState::Failed => "FAILED",
        }
    }
}

/// Neighbour timing parameters (Linux defaults).
#[derive(Clone, Debug)]
pub struct ArpParams {
    pub reachable_time: SimDuration,
    pub retrans_time: SimDuration,
    pub mcast_probes: u8,
    pub locktime: SimDuration,
    /// Packets kept while a neighbour is being resolved.
    pub queue_len: usize,
}

impl Default for ArpParams {
    fn default() -> Self {
        ArpParams {
            reachable_time: SimDuration::from_secs(30),
            retrans_time: SimDuration::from_secs(1),
            mcast_probes: 3,
            locktime: SimDuration::from_secs(1),
            queue_len: 101,
        }
    }
}

#[derive(Clone, Debug)]
pub struct ArpEntry {
    pub mac: Option<MacAddr>,
    pub state: NeighState,
    /// Last time the link-layer address was written (locktime is measured from here).
    pub updated: SimTime,
    /// Last time reachability was confirmed.
    pub confirmed: SimTime,
    pub probes: u8,
    /// Packets waiting for resolution, with the source address to use in requests.
    pub pending: Vec<(Ipv4Packet, Option<u64>)>,
}

/// What to do with a packet for a neighbour.
#[derive(Debug, PartialEq)]
pub enum Resolve {
    /// Send now to this MAC (the packet comes back).
    Send(MacAddr, Ipv4Packet),
    /// Send now, and also send a unicast probe to refresh the stale entry.
    SendAndProbe(MacAddr, Ipv4Packet),
    /// The packet was queued; send a broadcast request now (first attempt).
    Request,
    /// The packet was queued behind a request already in flight.
    Queued,
    /// Queue full: the packet is dropped.
    Overflow,
}

/// How an ARP-learned mapping is applied (Linux `neigh_update` flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Learn {
    /// Make an entry if none exists (a request aimed at us).
    pub create: bool,
    /// Ignore locktime (gratuitous ARP, requests aimed at us).
    pub force: bool,
    /// The mapping is confirmed reachable (a reply addressed to us).
    pub confirm: bool,
}

/// Outcome of a resolution timeout.
#[derive(Debug, PartialEq)]
pub enum Retry {
    /// Resolved meanwhile (or forgotten): nothing to do.
    Done,
    /// Send another request (with the source address of the first waiting packet).
    Again(Option<Ipv4Addr>),
    /// Out of probes: these waiting packets are dropped.
    Failed(Vec<(Ipv4Packet, Option<u64>)>),
}

/// One row for displays (`ip neigh`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ArpRow {
    pub iface: usize,
    pub ip: Ipv4Addr,
    pub mac: Option<MacAddr>,
    pub state: &'static str,
}

#[derive(Clone, Debug, Default)]
pub struct ArpCache {
    pub params: ArpParams,
    entries: BTreeMap<(usize, Ipv4Addr), ArpEntry>,
}

impl ArpCache {
    pub fn new(params: ArpParams) -> Self {
        ArpCache {
            params,
            entries: BTreeMap::new(),
        }
    }

    pub fn get(&self, iface: usize, ip: Ipv4Addr) -> Option<&ArpEntry> {
        self.entries.get(&(iface, ip))
    }

    /// Decides how to send `pkt` to neighbour `ip` on `iface`.
    pub fn resolve(
        &mut self,
        now: SimTime,
        iface: usize,
        ip: Ipv4Addr,
        pkt: Ipv4Packet,
        parent: Option<u64>,
    ) -> Resolve {
        let qlen = self.params.queue_len;
        let reachable = self.params.reachable_time;
        match self.entries.get_mut(&(iface, ip)) {
            Some(e)
                if e.mac.is_some()
                    && e.state != NeighState::Failed
                    && e.state != NeighState::Incomplete =>
            {
                let mac = e.mac.unwrap();
                if e.state == NeighState::Reachable && now < e.confirmed + reachable {
                    Resolve::Send(mac, pkt)
                } else if e.probes == 0 {
                    e.state = NeighState::Stale;
                    e.probes = 1;
                    Resolve::SendAndProbe(mac, pkt)
                } else {
                    Resolve::Send(mac, pkt)
                }
            }
            Some(e) if e.state == NeighState::Incomplete => {
                if e.pending.len() >= qlen {
                    Resolve::Overflow
                } else {
                    e.pending.push((pkt, parent));
                    Resolve::Queued
                }
            }
            _ => {
                self.entries.insert(
                    (iface, ip),
                    ArpEntry {
                        mac: None,
                        state: NeighState::Incomplete,
                        updated: now,
                        confirmed: now,
                        probes: 1,
                        pending: vec![(pkt, parent)],
                    },
                );
                Resolve::Request
            }
        }
    }

    /// Applies an ARP-learned mapping. `create`: make an entry if none exists (a request aimed
    /// at us, or the reply we were waiting for). `force`: ignore locktime (gratuitous ARP,
    /// requests aimed at us). Returns packets that were waiting for this neighbour.
    pub fn learn(
        &mut self,
        now: SimTime,
        iface: usize,
        ip: Ipv4Addr,
        mac: MacAddr,
        how: Learn,
    ) -> Vec<(Ipv4Packet, Option<u64>)> {
        let Learn {
            create,
            force,
            confirm,
        } = how;
        let locktime = self.params.locktime;
        match self.entries.get_mut(&(iface, ip)) {
            Some(e) => {
                if e.state == NeighState::Incomplete || e.state == NeighState::Failed {
                    e.mac = Some(mac);
                    e.state = NeighState::Reachable;
                    e.updated = now;
                    e.confirmed = now;
                    e.probes = 0;
                    return std::mem::take(&mut e.pending);
                }
                let changes = e.mac != Some(mac);
                if changes && !force && now < e.updated + locktime {
                    return Vec::new();
                }
                if changes {
                    e.mac = Some(mac);
                    e.updated = now;
                }
                if confirm {
                    e.state = NeighState::Reachable;
                    e.confirmed = now;
                    e.probes = 0;
                } else if changes {
                    e.state = NeighState::Stale;
                }
                Vec::new()
            }
            None if create => {
                self.entries.insert(
                    (iface, ip),
                    ArpEntry {
                        mac: Some(mac),
                        state: if confirm {
                            NeighState::Reachable
                        } else {
                            NeighState::Stale
                        },
                        updated: now,
                        confirmed: now,
                        probes: 0,
                        pending: Vec::new(),
                    },
                );
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    /// A resolution attempt timed out: send another request, give up, or nothing to do.
    pub fn retry(&mut self, iface: usize, ip: Ipv4Addr) -> Retry {
        let max = self.params.mcast_probes;
        let Some(e) = self.entries.get_mut(&(iface, ip)) else {
            return Retry::Done;
        };
        if e.state != NeighState::Incomplete {
            return Retry::Done;
        }
        if e.probes >= max {
            e.state = NeighState::Failed;
            return Retry::Failed(std::mem::take(&mut e.pending));
        }
        e.probes += 1;
        Retry::Again(e.pending.first().map(|p| p.0.src))
    }

    /// Whether an entry is still being resolved (a retry timer is meaningful).
    pub fn is_incomplete(&self, iface: usize, ip: Ipv4Addr) -> bool {
        self.entries
            .get(&(iface, ip))
            .map(|e| e.state == NeighState::Incomplete)
            .unwrap_or(false)
    }

    /// A stale entry's probe went unanswered: forget the address so the next packet
    /// triggers a fresh broadcast request.
    pub fn probe_expired(&mut self, now: SimTime, iface: usize, ip: Ipv4Addr) {
        let reach = self.params.reachable_time;
        if let Some(e) = self.entries.get(&(iface, ip)) {
            if e.state == NeighState::Stale && now >= e.confirmed + reach {
                self.entries.remove(&(iface, ip));
            }
        }
    }

    /// Removes every entry of an interface (link down).
    pub fn flush_iface(&mut self, iface: usize) {
        self.entries.retain(|(i, _), _| *i != iface);
    }

    pub fn rows(&self) -> Vec<ArpRow> {
        self.entries
            .iter()
            .map(|((iface, ip), e)| ArpRow {
                iface: *iface,
                ip: *ip,
                mac: e.mac,
                state: e.state.name(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{IcmpMessage, IpPayload};

    fn pkt() -> Ipv4Packet {
        Ipv4Packet {
            src: Ipv4Addr::new(10, 0, 0, 1),
            dst: Ipv4Addr::new(10, 0, 0, 2),
            ttl: 64,
            tos: 0,
            id: 0,
            df: false,
            payload: IpPayload::Icmp(IcmpMessage::EchoRequest { id: 1, seq: 1 }),
        }
    }
    const IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
    const A: MacAddr = MacAddr([2, 0, 0, 0, 0, 1]);
    const B: MacAddr = MacAddr([2, 0, 0, 0, 0, 2]);

    #[test]
    fn first_reply_wins_within_locktime_and_garp_overrides() {
        let mut c = ArpCache::default();
        let t0 = SimTime::from_secs(1);
        assert_eq!(c.resolve(t0, 0, IP, pkt(), None), Resolve::Request);
        assert_eq!(c.resolve(t0, 0, IP, pkt(), None), Resolve::Queued);
        let waiting = c.learn(
            t0,
            0,
            IP,
            A,
            Learn {
                create: true,
                force: false,
                confirm: true,
            },
        );
        assert_eq!(waiting.len(), 2);
        // a second reply inside locktime is ignored
        c.learn(
            t0 + SimDuration::from_millis(10),
            0,
            IP,
            B,
            Learn {
                create: false,
                force: false,
                confirm: true,
            },
        );
        assert_eq!(c.get(0, IP).unwrap().mac, Some(A));
        // after locktime it overrides
        c.learn(
            t0 + SimDuration::from_secs(2),
            0,
            IP,
            B,
            Learn {
                create: false,
                force: false,
                confirm: false,
            },
        );
        assert_eq!(c.get(0, IP).unwrap().mac, Some(B));
        // gratuitous: immediate
        c.learn(
            t0 + SimDuration::from_millis(2001),
            0,
            IP,
            A,
            Learn {
                create: false,
                force: true,
                confirm: false,
            },
        );
        assert_eq!(c.get(0, IP).unwrap().mac, Some(A));
    }

    #[test]
    fn unanswered_requests_fail_after_probes() {
        let mut c = ArpCache::default();
        assert_eq!(
            c.resolve(SimTime::ZERO, 0, IP, pkt(), None),
            Resolve::Request
        );
        assert!(matches!(c.retry(0, IP), Retry::Again(_)));
        assert!(matches!(c.retry(0, IP), Retry::Again(_)));
        let Retry::Failed(dropped) = c.retry(0, IP) else {
            panic!("expected failure")
        };
        assert_eq!(dropped.len(), 1);
    }

    #[test]
    fn other_traffic_does_not_create_entries() {
        let mut c = ArpCache::default();
        c.learn(
            SimTime::ZERO,
            0,
            IP,
            A,
            Learn {
                create: false,
                force: false,
                confirm: false,
            },
        );
        assert!(c.get(0, IP).is_none());
    }
}
