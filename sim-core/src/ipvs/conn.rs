//! The connection table (K:ip_vs_conn.c): entries, the kernel's three lookups (in, out,
//! template) as ordered indexes, and a lazy expiry heap (one live heap entry per entry,
//! re-pushed when popped before the entry's current expiry).

use super::sched::DestId;
use crate::admin::FwdMethod;
use crate::net::fasthash::FastMap;
use crate::time::{SimDuration, SimTime};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::IpAddr;

/// Connection flag bits (IP_VS_CONN_F_*).
pub mod flags {
    pub const FWD_MASK: u32 = 0x0007;
    pub const SYNC: u32 = 0x0020;
    pub const HASHED: u32 = 0x0040;
    pub const NOOUTPUT: u32 = 0x0080;
    pub const INACTIVE: u32 = 0x0100;
    pub const NO_CPORT: u32 = 0x0800;
    pub const TEMPLATE: u32 = 0x1000;
    pub const ONE_PACKET: u32 = 0x2000;
    pub const NFCT: u32 = 1 << 16;
    /// Bits a sync message may carry (IP_VS_CONN_F_BACKUP_MASK, without the SEQ bits).
    pub const BACKUP_MASK: u32 = FWD_MASK | NOOUTPUT | INACTIVE | NO_CPORT | TEMPLATE;
    /// Bits a sync message may change on an existing entry (IP_VS_CONN_F_BACKUP_UPD_MASK).
    pub const BACKUP_UPD_MASK: u32 = INACTIVE;
}

/// Identity of an entry: allocation order, also the table order in snapshots.
pub type ConnId = u64;

/// One `struct ip_vs_conn` (a connection or a persistence template).
#[derive(Clone, Debug)]
pub struct Conn {
    pub id: ConnId,
    /// IP protocol (0 = IPPROTO_IP for fwmark templates).
    pub proto: u8,
    pub caddr: IpAddr,
    pub cport: u16,
    pub vaddr: IpAddr,
    pub vport: u16,
    pub daddr: IpAddr,
    pub dport: u16,
    pub fwmark: u32,
    pub flags: u32,
    pub state: u8,
    pub old_state: u8,
    /// Applied when the timer is re-armed.
    pub timeout: SimDuration,
    pub expires: SimTime,
    pub control: Option<ConnId>,
    pub n_control: u32,
    pub dest: Option<DestId>,
    pub in_pkts: u32,
    /// Sync bookkeeping: `sync_endtime` in milliseconds ("jiffies" at HZ=1000), with the
    /// retry count in its two low bits as the kernel keeps it.
    pub sync_endtime: u64,
    /// Time of this entry's live heap entry.
    pub heap_at: SimTime,
}

impl Conn {
    pub fn is_template(&self) -> bool {
        self.flags & flags::TEMPLATE != 0
    }
    pub fn fwd(&self) -> FwdMethod {
        FwdMethod::from_code(self.flags & flags::FWD_MASK).unwrap_or(FwdMethod::Masq)
    }
    pub fn in_key(&self) -> InKey {
        InKey {
            proto: self.proto,
            caddr: self.caddr,
            cport: self.cport,
            vaddr: self.vaddr,
            vport: self.vport,
        }
    }
    /// The reply direction: the packet's destination is the client, its source is the real
    /// server (NAT) or the virtual address (every other method).
    pub fn out_key(&self) -> OutKey {
        let (saddr, sport) = if self.flags & flags::FWD_MASK == FwdMethod::Masq.code() {
            (self.daddr, self.dport)
        } else {
            (self.vaddr, self.vport)
        };
        OutKey {
            proto: self.proto,
            caddr: self.caddr,
            cport: self.cport,
            saddr,
            sport,
        }
    }
}

/// In-lookup key: (protocol, client address:port, virtual address:port).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InKey {
    pub proto: u8,
    pub caddr: IpAddr,
    pub cport: u16,
    pub vaddr: IpAddr,
    pub vport: u16,
}

/// Out-lookup key: (protocol, client address:port, reply source address:port).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OutKey {
    pub proto: u8,
    pub caddr: IpAddr,
    pub cport: u16,
    pub saddr: IpAddr,
    pub sport: u16,
}

/// The table. Entries are owned by `conns`; the indexes hold ids. Several entries may share a
/// key (e.g. invalidated templates); lookups return the most recently hashed one, as the
/// kernel's hash chains (insertion at the head) do.
#[derive(Default)]
pub struct ConnTable {
    /// Entries by id (lookups only; iteration goes through `iter`, which sorts by id).
    conns: FastMap<ConnId, Conn>,
    /// Lookup-only indexes (never iterated): key -> ids sharing it.
    by_in: FastMap<InKey, Vec<ConnId>>,
    by_out: FastMap<OutKey, Vec<ConnId>>,
    templates: FastMap<InKey, Vec<ConnId>>,
    heap: BinaryHeap<Reverse<(SimTime, ConnId)>>,
    next_id: ConnId,
}

impl ConnTable {
    pub fn len(&self) -> usize {
        self.conns.len()
    }
    pub fn next_id(&mut self) -> ConnId {
        self.next_id += 1;
        self.next_id
    }
    pub fn get(&self, id: ConnId) -> Option<&Conn> {
        self.conns.get(&id)
    }
    pub fn get_mut(&mut self, id: ConnId) -> Option<&mut Conn> {
        self.conns.get_mut(&id)
    }
    pub fn iter(&self) -> impl Iterator<Item = &Conn> {
        let mut v: Vec<&Conn> = self.conns.values().collect();
        v.sort_unstable_by_key(|c| c.id);
        v.into_iter()
    }
    pub fn ids(&self) -> Vec<ConnId> {
        let mut v: Vec<ConnId> = self.conns.keys().copied().collect();
        v.sort_unstable();
        v
    }

    fn hash(&mut self, c: &Conn) {
        if c.is_template() {
            self.templates.entry(c.in_key()).or_default().push(c.id);
        } else {
            self.by_in.entry(c.in_key()).or_default().push(c.id);
            self.by_out.entry(c.out_key()).or_default().push(c.id);
        }
    }
    fn unhash(&mut self, c: &Conn) {
        if c.is_template() {
            unindex(&mut self.templates, &c.in_key(), c.id);
        } else {
            unindex(&mut self.by_in, &c.in_key(), c.id);
            unindex(&mut self.by_out, &c.out_key(), c.id);
        }
    }

    /// Adds an entry (hashed unless ONE_PACKET) and arms its timer.
    pub fn insert(&mut self, mut c: Conn) {
        if c.flags & flags::ONE_PACKET == 0 {
            c.flags |= flags::HASHED;
            self.hash(&c);
        }
        let (id, at) = (c.id, c.expires);
        c.heap_at = at;
        self.conns.insert(id, c);
        self.heap.push(Reverse((at, id)));
    }

    /// Removes an entry from the table and the indexes.
    pub fn remove(&mut self, id: ConnId) -> Option<Conn> {
        let c = self.conns.remove(&id)?;
        if c.flags & flags::HASHED != 0 {
            self.unhash(&c);
        }
        Some(c)
    }

    /// Changes the lookup fields of an entry (template invalidation re-keys it).
    pub fn rekey(&mut self, id: ConnId, f: impl FnOnce(&mut Conn)) {
        let Some(c) = self.conns.get(&id).cloned() else {
            return;
        };
        if c.flags & flags::HASHED != 0 {
            self.unhash(&c);
        }
        let c = self.conns.get_mut(&id).expect("present");
        f(c);
        let c = c.clone();
        if c.flags & flags::HASHED != 0 {
            self.hash(&c);
        }
    }

    pub fn in_get(&self, key: &InKey) -> Option<ConnId> {
        first(&self.by_in, key)
    }
    pub fn out_get(&self, key: &OutKey) -> Option<ConnId> {
        first(&self.by_out, key)
    }
    pub fn template_get(&self, key: &InKey) -> Option<ConnId> {
        first(&self.templates, key)
    }

    /// Re-arms an entry's timer to `at` (mod_timer).
    pub fn arm(&mut self, id: ConnId, at: SimTime) {
        let Some(c) = self.conns.get_mut(&id) else {
            return;
        };
        c.expires = at;
        if c.heap_at > at {
            c.heap_at = at;
            self.heap.push(Reverse((at, id)));
        }
        // Otherwise the live heap entry fires first and is re-pushed then.
    }

    /// Earliest heap entry (may be earlier than any real expiry; then it is re-pushed).
    pub fn next_timer(&self) -> Option<SimTime> {
        self.heap.peek().map(|Reverse((t, _))| *t)
    }

    /// Pops entries whose timers have fired by `now`, oldest first.
    pub fn pop_expired(&mut self, now: SimTime) -> Option<ConnId> {
        while let Some(&Reverse((t, id))) = self.heap.peek() {
            if t > now {
                return None;
            }
            self.heap.pop();
            // Stale entries: the conn is gone or its live heap entry is another one.
            let Some(c) = self.conns.get_mut(&id) else {
                continue;
            };
            if c.heap_at != t {
                continue;
            }
            if c.expires > now {
                c.heap_at = c.expires;
                self.heap.push(Reverse((c.expires, id)));
                continue;
            }
            c.heap_at = SimTime::MAX;
            return Some(id);
        }
        None
    }
}

impl ConnTable {
    /// Approximate heap bytes held by the table: the entries, the three lookup indexes and
    /// the expiry heap (with its stale entries).
    pub fn memory_estimate(&self) -> usize {
        use std::mem::size_of;
        self.conns.capacity() * (size_of::<(ConnId, Conn)>() + 1)
            + hash_index_bytes::<InKey>(self.by_in.len(), self.by_in.capacity())
            + hash_index_bytes::<OutKey>(self.by_out.len(), self.by_out.capacity())
            + hash_index_bytes::<InKey>(self.templates.len(), self.templates.capacity())
            + self.heap.capacity() * size_of::<Reverse<(SimTime, ConnId)>>()
    }
}

/// The most recently created entry under a key (the head of the kernel's hash chain).
fn first<K: std::hash::Hash + Eq>(index: &FastMap<K, Vec<ConnId>>, key: &K) -> Option<ConnId> {
    index.get(key).and_then(|v| v.iter().max().copied())
}

fn unindex<K: std::hash::Hash + Eq>(index: &mut FastMap<K, Vec<ConnId>>, key: &K, id: ConnId) {
    if let Some(v) = index.get_mut(key) {
        v.retain(|x| *x != id);
        if v.is_empty() {
            index.remove(key);
        }
    }
}

/// Approximate heap bytes of a hash index (buckets plus one small vector per key).
fn hash_index_bytes<K>(len: usize, cap: usize) -> usize {
    use std::mem::size_of;
    cap * (size_of::<K>() + size_of::<Vec<ConnId>>() + 1) + len * size_of::<ConnId>()
}
