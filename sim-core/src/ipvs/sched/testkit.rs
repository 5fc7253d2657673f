//! A bench that drives a scheduler the way the IPVS runtime does: a dest list in kernel
//! order (newest first), add / edit / delete hooks, and connection counters that grow
//! after each pick ("seq": finished connections count as inactive; "hold": kept-open
//! connections count as active).

use super::{new_scheduler, DestChange, DestId, DestView, NoDest, SchedInput, Scheduler};
use crate::rng::SimRng;
use crate::time::SimTime;
use std::net::IpAddr;

pub(crate) fn ip(s: &str) -> IpAddr {
    s.parse().unwrap_or_else(|_| panic!("bad address {s}"))
}

/// Lets a boxed scheduler sit in a `Bench` like a concrete one.
impl<T: Scheduler + ?Sized> Scheduler for Box<T> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn init_service(&mut self, dests: &[DestView]) {
        (**self).init_service(dests)
    }
    fn set_params(&mut self, params: &super::SchedParams) {
        (**self).set_params(params)
    }
    fn set_flags(&mut self, flags: u32) {
        (**self).set_flags(flags)
    }
    fn dests_changed(&mut self, dests: &[DestView], change: DestChange) {
        (**self).dests_changed(dests, change)
    }
    fn schedule(
        &mut self,
        now: SimTime,
        dests: &[DestView],
        pkt: &SchedInput,
        rng: &mut SimRng,
    ) -> Result<DestId, NoDest> {
        (**self).schedule(now, dests, pkt, rng)
    }
    fn poll_at(&self) -> Option<SimTime> {
        (**self).poll_at()
    }
    fn on_timer(&mut self, now: SimTime) {
        (**self).on_timer(now)
    }
}

pub(crate) struct Bench<S: Scheduler> {
    pub sched: S,
    /// The service's dest list in kernel order.
    pub dests: Vec<DestView>,
    /// Deleted dests, revived with their counters by `readd`.
    trash: Vec<DestView>,
    rng: SimRng,
    now: SimTime,
    pub client: IpAddr,
    pub vip: IpAddr,
    pub vport: u16,
    /// Real-server address prefix: dest id n gets `<prefix><10 + n>`.
    pub rs_prefix: &'static str,
    next_sport: u16,
}

impl Bench<Box<dyn Scheduler>> {
    pub fn new(name: &str) -> Self {
        Bench::of(
            new_scheduler(name, SimTime::ZERO).unwrap_or_else(|| panic!("no scheduler {name}")),
        )
    }

    /// The ground-truth lab: rs1 (w4), rs2 (w3), rs3 (w2) added in `order`, VIP 10.0.0.1,
    /// client 10.0.0.100, NAT real servers 192.168.10.11..13 listening on the VIP port.
    pub fn ground_truth(name: &str, order: &[u32]) -> Self {
        Self::lab(name, "nat", 80, order)
    }

    /// As `ground_truth`, for a forwarding mode ("nat", "dr", "tun") and a service port.
    pub fn lab(name: &str, mode: &str, port: u16, order: &[u32]) -> Self {
        let mut b = Bench::new(name);
        b.vport = port;
        b.rs_prefix = if mode == "nat" {
            "192.168.10."
        } else {
            "10.0.0."
        };
        for id in order {
            let w = match id {
                1 => 4,
                2 => 3,
                3 => 2,
                _ => 1,
            };
            b.add(*id, w);
        }
        b
    }
}

impl<S: Scheduler> Bench<S> {
    pub fn of(sched: S) -> Self {
        Bench {
            sched,
            dests: Vec::new(),
            trash: Vec::new(),
            rng: SimRng::from_seed(1),
            now: SimTime::ZERO,
            client: ip("10.0.0.100"),
            vip: ip("10.0.0.1"),
            vport: 80,
            rs_prefix: "192.168.10.",
            next_sport: 40000,
        }
    }

    fn view(&self, id: u32, addr: IpAddr, port: u16, weight: i32) -> DestView {
        DestView {
            id: DestId(id),
            addr,
            port,
            weight,
            last_weight: weight,
            active: 0,
            inactive: 0,
            overloaded: false,
            available: true,
        }
    }

    fn pos(&self, id: u32) -> usize {
        self.dests
            .iter()
            .position(|d| d.id == DestId(id))
            .unwrap_or_else(|| panic!("no dest {id}"))
    }

    fn dest_mut(&mut self, id: u32) -> &mut DestView {
        let p = self.pos(id);
        &mut self.dests[p]
    }

    /// `ipvsadm -a` with the lab's address for `id` and the service port.
    pub fn add(&mut self, id: u32, weight: i32) {
        let addr = ip(&format!("{}{}", self.rs_prefix, 10 + id));
        let port = self.vport;
        self.add_at(id, &addr.to_string(), port, weight);
    }

    pub fn add_at(&mut self, id: u32, addr: &str, port: u16, weight: i32) {
        let v = self.view(id, ip(addr), port, weight);
        self.dests.insert(0, v);
        self.sched
            .dests_changed(&self.dests, DestChange::Added(DestId(id)));
    }

    /// Puts a dest in the list without telling the scheduler (then call `init_service`).
    pub fn add_silently(&mut self, id: u32, weight: i32) {
        let addr = ip(&format!("{}{}", self.rs_prefix, 10 + id));
        let v = self.view(id, addr, self.vport, weight);
        self.dests.insert(0, v);
    }

    pub fn init_service(&mut self) {
        self.sched.init_service(&self.dests);
    }

    /// `ipvsadm -e -w`: last_weight follows every non-zero weight.
    pub fn edit_weight(&mut self, id: u32, weight: i32) {
        let d = self.dest_mut(id);
        d.weight = weight;
        if weight != 0 {
            d.last_weight = weight;
        }
        self.sched
            .dests_changed(&self.dests, DestChange::Edited(DestId(id)));
    }

    /// `ipvsadm -d`: unlink (the dest goes to the trash with its counters).
    pub fn delete(&mut self, id: u32) {
        let p = self.pos(id);
        let mut d = self.dests.remove(p);
        d.available = false;
        self.trash.push(d);
        let prev = if p == 0 {
            None
        } else {
            Some(self.dests[p - 1].id)
        };
        self.sched.dests_changed(
            &self.dests,
            DestChange::Deleted {
                id: DestId(id),
                prev,
            },
        );
    }

    /// `ipvsadm -a` of a dest still in the trash: the same object returns to the list front.
    pub fn readd(&mut self, id: u32) {
        let t = self
            .trash
            .iter()
            .position(|d| d.id == DestId(id))
            .expect("in trash");
        let mut d = self.trash.remove(t);
        d.available = true;
        d.last_weight = d.weight;
        self.dests.insert(0, d);
        self.sched
            .dests_changed(&self.dests, DestChange::Added(DestId(id)));
    }

    pub fn set_counts(&mut self, id: u32, active: u32, inactive: u32) {
        let d = self.dest_mut(id);
        d.active = active;
        d.inactive = inactive;
    }

    pub fn counts(&self, id: u32) -> (u32, u32) {
        let d = self
            .dests
            .iter()
            .chain(self.trash.iter())
            .find(|d| d.id == DestId(id))
            .unwrap_or_else(|| panic!("no dest {id}"));
        (d.active, d.inactive)
    }

    pub fn set_overloaded(&mut self, id: u32, on: bool) {
        self.dest_mut(id).overloaded = on;
    }

    pub fn set_flags(&mut self, flags: u32) {
        self.sched.set_flags(flags);
    }

    pub fn reseed(&mut self, seed: u64) {
        self.rng = SimRng::from_seed(seed);
    }

    pub fn views(&self) -> Vec<DestView> {
        self.dests.clone()
    }

    pub fn at(&mut self, now: SimTime) {
        self.now = now;
    }

    /// Fires every due timer up to `t` in order, leaving the clock at `t`.
    pub fn run_timers_until(&mut self, t: SimTime) {
        while let Some(due) = self.sched.poll_at() {
            if due > t {
                break;
            }
            self.now = due;
            self.sched.on_timer(due);
        }
        self.now = t;
    }

    pub fn pick_proto(&mut self, saddr: &str, sport: u16, protocol: u8) -> Result<DestId, NoDest> {
        let pkt = SchedInput {
            saddr: ip(saddr),
            sport,
            daddr: self.vip,
            dport: self.vport,
            protocol,
        };
        self.sched
            .schedule(self.now, &self.dests, &pkt, &mut self.rng)
    }

    pub fn pick_to(&mut self, saddr: &str, sport: u16, daddr: &str) -> Result<DestId, NoDest> {
        let pkt = SchedInput {
            saddr: ip(saddr),
            sport,
            daddr: ip(daddr),
            dport: self.vport,
            protocol: 6,
        };
        self.sched
            .schedule(self.now, &self.dests, &pkt, &mut self.rng)
    }

    pub fn pick_from(&mut self, saddr: &str, sport: u16) -> Result<DestId, NoDest> {
        self.pick_proto(saddr, sport, 6)
    }

    /// One new TCP connection from the bench's client (a fresh ephemeral port each time).
    pub fn pick(&mut self) -> Result<DestId, NoDest> {
        self.next_sport = self.next_sport.wrapping_add(7);
        let (c, p) = (self.client.to_string(), self.next_sport);
        self.pick_from(&c, p)
    }

    pub fn pick_id(&mut self) -> u32 {
        self.pick().expect("a dest").0
    }

    fn run(&mut self, n: usize, held: bool) -> String {
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            match self.pick() {
                Ok(id) => {
                    let d = self.dest_mut(id.0);
                    if held {
                        d.active += 1;
                    } else {
                        d.inactive += 1;
                    }
                    out.push(format!("rs{}", id.0));
                }
                Err(_) => out.push("none".into()),
            }
        }
        out.join(" ")
    }

    /// `n` sequential connections, each finished (counted inactive) before the next.
    pub fn seq(&mut self, n: usize) -> String {
        self.run(n, false)
    }

    /// `n` connections opened one after another and kept open (counted active).
    pub fn hold(&mut self, n: usize) -> String {
        self.run(n, true)
    }

    /// One connection from each source address, finished before the next.
    pub fn one_from_each(&mut self, sources: &[String]) -> String {
        let mut out = Vec::new();
        for s in sources {
            match self.pick_from(s, 40000) {
                Ok(id) => {
                    self.dest_mut(id.0).inactive += 1;
                    out.push(format!("rs{}", id.0));
                }
                Err(_) => out.push("none".into()),
            }
        }
        out.join(" ")
    }
}
