//! The kernel's master sync daemon (K:ip_vs_sync.c): IPVS hands it connection entries
//! (`Ipvs::take_sync_entries`, chosen by the kernel's rules); it fills a message buffer and
//! sends it to 224.0.0.81:8848 when the next entry would not fit (`sync_maxlen`, from the
//! interface MTU) or when the master thread, waking every second, finds the buffer older
//! than two seconds (IPVS_SYNC_FLUSH_TIME). Backups apply what they receive (the host does
//! that on receipt).

use crate::admin::ipvsadm::render::{DEFAULT_SYNC_GROUP, DEFAULT_SYNC_PORT, DEFAULT_SYNC_TTL};
use crate::admin::SyncState;
use crate::engine::world::World;
use crate::net::host::Host;
use crate::time::{SimDuration, SimTime};
use crate::wire::{encode, IpPayload, Ipv4Packet, Payload, SyncConnEntry, UdpDatagram};

/// The master thread's wake-up period (`schedule_timeout(HZ)`).
pub const CHECK_PERIOD: SimDuration = SimDuration(1_000_000_000);
/// A buffer this old is sent at the next wake-up.
pub const FLUSH_TIME: SimDuration = SimDuration(2_000_000_000);

/// One director's master sync daemon.
#[derive(Clone, Debug, Default)]
pub struct SyncSender {
    pub host: usize,
    buf: Vec<SyncConnEntry>,
    first_at: Option<SimTime>,
    pub messages_sent: u64,
    pub entries_sent: u64,
    /// The daemon's wake-up timer is running.
    pub ticking: bool,
}

/// The master daemon's multicast interface, if one runs on the host.
pub fn master_ifn(h: &Host) -> Option<String> {
    h.ipvs.as_ref().and_then(|i| {
        i.config()
            .daemons
            .iter()
            .find(|d| d.state == SyncState::Master)
            .map(|d| d.mcast_ifn.clone())
    })
}

/// `sync_maxlen` for an interface MTU: what fits in one UDP datagram.
pub fn maxlen(mtu: u16) -> usize {
    (mtu as usize).saturating_sub(20 + 8)
}

impl SyncSender {
    pub fn new(host: usize) -> Self {
        SyncSender {
            host,
            ..Default::default()
        }
    }

    /// Takes the entries IPVS produced and sends every message that became full.
    pub fn collect(&mut self, h: &mut Host, w: &mut World) {
        let Some(ipvs) = h.ipvs.as_mut() else { return };
        let entries = ipvs.take_sync_entries();
        if entries.is_empty() {
            return;
        }
        let Some(ifn) = master_ifn(h) else {
            self.buf.clear();
            self.first_at = None;
            return;
        };
        let mtu = h.iface_index(&ifn).map(|i| h.ifaces[i].mtu).unwrap_or(1500);
        let max = maxlen(mtu);
        for e in entries {
            if encode::ipvs_sync_len(self.buf.len() + 1) > max {
                self.flush(h, w, &ifn);
            }
            if self.buf.is_empty() {
                self.first_at = Some(w.now);
            }
            self.buf.push(e);
        }
    }

    /// The master thread wakes up: send the buffer if it is old enough. Returns false when
    /// no master daemon runs any more (the timer stops).
    pub fn tick(&mut self, h: &mut Host, w: &mut World) -> bool {
        let Some(ifn) = master_ifn(h) else {
            self.buf.clear();
            self.first_at = None;
            self.ticking = false;
            return false;
        };
        if self.first_at.is_some_and(|t| w.now >= t + FLUSH_TIME) {
            self.flush(h, w, &ifn);
        }
        true
    }

    fn flush(&mut self, h: &mut Host, w: &mut World, ifn: &str) {
        if self.buf.is_empty() {
            return;
        }
        let entries = std::mem::take(&mut self.buf);
        self.first_at = None;
        self.messages_sent += 1;
        self.entries_sent += entries.len() as u64;
        let Some(i) = h.iface_index(ifn) else { return };
        let Some(src) = h.ifaces[i].primary() else {
            return;
        };
        let p = Ipv4Packet {
            src,
            dst: DEFAULT_SYNC_GROUP,
            ttl: DEFAULT_SYNC_TTL,
            tos: 0,
            id: 0,
            df: false,
            payload: IpPayload::Udp(UdpDatagram {
                sport: DEFAULT_SYNC_PORT,
                dport: DEFAULT_SYNC_PORT,
                payload: Payload::ipvs_sync(entries),
            }),
        };
        let _ = h.route_and_send(w, p, None);
    }
}
