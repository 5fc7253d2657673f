//! Connection synchronisation (K:ip_vs_sync.c, protocol version 1): which entries the
//! master daemon sends after a packet (`ip_vs_sync_conn`, `ip_vs_sync_conn_needed`) and
//! how a backup creates or updates entries from a message (`ip_vs_proc_conn`).

use super::conn::{flags, ConnId, InKey};
use super::core::{jiffies, NewConn};
use super::proto::tcp_state;
use super::sched::DestId;
use super::Ipvs;
use crate::admin::{FwdMethod, ServiceKey, SyncState};
use crate::time::{SimDuration, SimTime};
use crate::wire::{proto as ipproto, SyncConnEntry};
use std::net::IpAddr;

const HZ: u64 = 1000;

impl Ipvs {
    pub(super) fn sync_master(&self) -> bool {
        self.config
            .daemons
            .iter()
            .any(|d| d.state == SyncState::Master)
    }

    /// `ip_vs_sync_conn`: the entry, then its controlling template, each if needed.
    pub(super) fn sync_conn(&mut self, now: SimTime, id: ConnId, pkts: u32) {
        let mut cur = Some(id);
        let mut pkts = pkts;
        let mut first = true;
        while let Some(cid) = cur {
            let Some(c) = self.conns.get(cid) else { return };
            let skip = first && c.flags & flags::ONE_PACKET != 0;
            first = false;
            if !skip && self.sync_needed(now, cid, pkts) {
                let c = self.conns.get(cid).expect("live");
                if let (IpAddr::V4(caddr), IpAddr::V4(vaddr), IpAddr::V4(daddr)) =
                    (c.caddr, c.vaddr, c.daddr)
                {
                    if self.sysctls.sync_version >= 1 {
                        self.sync_out.push(SyncConnEntry {
                            protocol: c.proto,
                            flags: c.flags & !flags::HASHED,
                            state: c.state as u16,
                            cport: c.cport,
                            vport: c.vport,
                            dport: c.dport,
                            fwmark: c.fwmark,
                            timeout: (c.timeout.0 / crate::time::NANOS_PER_SEC) as u32,
                            caddr,
                            vaddr,
                            daddr,
                        });
                    }
                }
            }
            let c = self.conns.get(cid).expect("live");
            cur = c.control;
            if let Some(ct) = cur {
                let th = self.sysctls.sync_threshold.0;
                let Some(t) = self.conns.get_mut(ct) else {
                    return;
                };
                pkts = if t.flags & flags::TEMPLATE != 0 {
                    t.in_pkts = t.in_pkts.wrapping_add(1);
                    t.in_pkts
                } else {
                    th
                };
            }
        }
    }

    /// `ip_vs_sync_conn_needed`.
    fn sync_needed(&mut self, now: SimTime, id: ConnId, pkts: u32) -> bool {
        let (threshold, period) = self.sysctls.sync_threshold;
        let refresh = self.sysctls.sync_refresh_period as u64 * HZ;
        let retries_max = self.sysctls.sync_retries as u64;
        let persist_mode = self.sysctls.sync_persist_mode != 0;
        let in_persistence = {
            let mut p = self.conns.get(id).and_then(|c| c.control);
            let mut found = false;
            while let Some(x) = p {
                let Some(t) = self.conns.get(x) else { break };
                if t.is_template() {
                    found = true;
                    break;
                }
                p = t.control;
            }
            found
        };
        let Some(c) = self.conns.get_mut(id) else {
            return false;
        };
        let nowj = jiffies(now);
        let timeout_j = c.timeout.0 / 1_000_000;
        let orig = c.sync_endtime;
        let mut n = (nowj + timeout_j) & !3;
        let force;
        if c.is_template() {
            force = false;
        } else if persist_mode && in_persistence {
            return false;
        } else if c.proto == ipproto::TCP {
            let syncable = [
                tcp_state::ESTABLISHED,
                tcp_state::FIN_WAIT,
                tcp_state::CLOSE,
                tcp_state::CLOSE_WAIT,
                tcp_state::TIME_WAIT,
            ];
            if !syncable.contains(&c.state) {
                return false;
            }
            force = c.state != c.old_state;
            if force && c.state != tcp_state::ESTABLISHED {
                c.old_state = c.state;
                c.sync_endtime = n;
                return true;
            }
        } else {
            force = false;
        }
        if refresh > 0 {
            let diff = n as i64 - orig as i64;
            let min_diff = ((timeout_j >> 1).max(10 * HZ)) as i64;
            if diff.abs() < (refresh as i64).min(min_diff) {
                let retries = orig & 3;
                if retries >= retries_max {
                    return false;
                }
                if (nowj as i64) < orig as i64 - timeout_j as i64 + (refresh >> 3) as i64 {
                    return false;
                }
                n |= retries + 1;
            }
        }
        if period > 0 {
            if !c.is_template() && pkts % period != threshold {
                return false;
            }
        } else if refresh == 0 && pkts != threshold {
            return false;
        }
        c.old_state = c.state;
        c.sync_endtime = n;
        let _ = force;
        true
    }

    /// Backup side of one received entry (`ip_vs_proc_conn`).
    pub(super) fn sync_receive(&mut self, now: SimTime, e: &SyncConnEntry) {
        let mut fl = (e.flags & flags::BACKUP_MASK) | flags::SYNC;
        let template = fl & flags::TEMPLATE != 0;
        let state = e.state as u8;
        if !template {
            let max = match e.protocol {
                ipproto::TCP => tcp_state::COUNT as u8,
                ipproto::UDP => 1,
                _ => return,
            };
            if state >= max {
                return;
            }
        }
        let key = InKey {
            proto: e.protocol,
            caddr: IpAddr::V4(e.caddr),
            cport: e.cport,
            vaddr: IpAddr::V4(e.vaddr),
            vport: e.vport,
        };
        let daddr = IpAddr::V4(e.daddr);
        let mut cid = if template {
            self.conns.template_get(&key)
        } else {
            self.conns.in_get(&key)
        };
        if let (false, Some(id)) = (template, cid) {
            let c = self.conns.get(id).expect("indexed");
            if c.dport != e.dport || c.daddr != daddr {
                if fl & flags::INACTIVE == 0 {
                    self.conns.arm(id, now);
                    cid = None;
                } else {
                    return; // expiry news about an entry already replaced
                }
            }
        }
        let id = match cid {
            Some(id) => {
                let c = self.conns.get_mut(id).expect("live");
                let changed = (c.flags ^ fl) & flags::INACTIVE != 0;
                if changed && !template {
                    if let Some(d) = c.dest.and_then(|d| self.dests.get_mut(&d)) {
                        if fl & flags::INACTIVE != 0 {
                            d.active = d.active.saturating_sub(1);
                            d.inactive += 1;
                        } else {
                            d.active += 1;
                            d.inactive = d.inactive.saturating_sub(1);
                        }
                    }
                }
                fl &= flags::BACKUP_UPD_MASK;
                fl |= c.flags & !flags::BACKUP_UPD_MASK;
                c.flags = fl;
                if c.dest.is_none() {
                    let dest = self.sync_find_dest(e, fl);
                    if let Some(did) = dest {
                        let mut bound = self.conns.get(id).expect("live").clone();
                        self.bind_dest(&mut bound, did);
                        self.conns.rekey(id, |c| *c = bound);
                    }
                }
                id
            }
            None => {
                let dest = self.sync_find_dest(e, fl);
                self.new_conn(
                    now,
                    NewConn {
                        proto: e.protocol,
                        caddr: key.caddr,
                        cport: e.cport,
                        vaddr: key.vaddr,
                        vport: e.vport,
                        daddr,
                        dport: e.dport,
                        flags: fl,
                        dest,
                        fwmark: e.fwmark,
                    },
                )
            }
        };
        let threshold = self.sysctls.sync_threshold.0;
        let timeout = if e.timeout > 0 {
            SimDuration::from_secs(e.timeout as u64)
        } else if !template && e.protocol == ipproto::TCP {
            self.timeouts.tcp_timeout(state)
        } else if !template && e.protocol == ipproto::UDP {
            self.timeouts.udp_timeout()
        } else {
            SimDuration::from_secs(180)
        };
        if let Some(c) = self.conns.get_mut(id) {
            c.in_pkts = threshold;
            c.state = state;
            c.old_state = state;
            c.timeout = timeout;
        }
        self.conns.arm(id, now + timeout);
    }

    /// `ip_vs_find_dest`: the service of the entry, then the dest by address and port.
    fn sync_find_dest(&self, e: &SyncConnEntry, fl: u32) -> Option<DestId> {
        let vaddr = IpAddr::V4(e.vaddr);
        let skey = if e.fwmark != 0 {
            let k = ServiceKey::Fwmark {
                mark: e.fwmark,
                family: crate::admin::Family::Inet,
            };
            self.services.contains_key(&k).then_some(k)
        } else {
            None
        }
        .or_else(|| {
            let p = crate::admin::Protocol::from_number(e.protocol as u16)?;
            [e.vport, 0]
                .into_iter()
                .map(|port| ServiceKey::Addr {
                    proto: p,
                    addr: vaddr,
                    port,
                })
                .find(|k| self.services.contains_key(k))
        })?;
        let mut port = e.dport;
        if e.fwmark != 0 && fl & flags::FWD_MASK != FwdMethod::Masq.code() {
            port = 0;
        }
        let daddr = IpAddr::V4(e.daddr);
        self.find_dest(&skey, daddr, port)
            .or_else(|| self.find_dest(&skey, daddr, port ^ e.dport))
    }
}
