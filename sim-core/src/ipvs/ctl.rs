//! Administrative operations (K:ip_vs_ctl.c): services, dests and their list order, the
//! dest trash (deleted dests keep their counters and are revived by a re-add), `--set`,
//! `-Z`, sync daemons.

use super::sched::{self, DestChange, DestId, DestView};
use super::{Dest, Ipvs, Service, TRASH_CHECK, TRASH_PERIOD};
use crate::admin::{IpvsError, IpvsOp, ServiceConfig, ServiceKey};
use crate::time::SimTime;

impl Ipvs {
    pub(super) fn apply_op(&mut self, now: SimTime, op: &IpvsOp) -> Result<(), IpvsError> {
        // Validate with the shared configuration first (kernel errors), then mirror.
        if let IpvsOp::AddService(cfg) | IpvsOp::EditService(cfg) = op {
            if sched::new_scheduler(&cfg.scheduler, now).is_none() {
                return Err(IpvsError::NoScheduler);
            }
        }
        self.config.apply(op)?;
        if self.est_next.is_none() {
            self.est_next = Some(now + super::stats::ESTIMATOR_PERIOD);
        }
        match op {
            IpvsOp::AddService(cfg) => self.add_service(now, cfg),
            IpvsOp::EditService(cfg) => self.edit_service(now, cfg),
            IpvsOp::DelService(key) => self.del_service(now, key),
            IpvsOp::Flush => {
                let mut keys: Vec<ServiceKey> = self.services.keys().copied().collect();
                keys.sort();
                for k in keys {
                    self.del_service(now, &k);
                }
            }
            IpvsOp::AddDest(key, d) => self.add_dest(now, key, d),
            IpvsOp::EditDest(key, d) => self.edit_dest(key, d),
            IpvsOp::DelDest {
                service,
                addr,
                port,
            } => {
                if let Some(id) = self.find_dest(service, *addr, *port) {
                    self.del_dest(now, service, id);
                }
            }
            IpvsOp::SetTimeouts(t) => self.timeouts.set(t),
            IpvsOp::Zero(key) => self.zero(key.as_ref()),
            IpvsOp::StartDaemon(_) | IpvsOp::StopDaemon(_) => {}
        }
        Ok(())
    }

    /// The scheduler sysctls (lblc/lblcr expirations) as the schedulers take them.
    pub(crate) fn sched_params(&self) -> sched::SchedParams {
        sched::SchedParams {
            lblc_expiration: self.sysctls.lblc_expiration as u64,
            lblcr_expiration: self.sysctls.lblcr_expiration as u64,
        }
    }

    fn add_service(&mut self, now: SimTime, cfg: &ServiceConfig) {
        let params = self.sched_params();
        let mut sched =
            sched::new_scheduler_with_params(&cfg.scheduler, now, &params).expect("checked above");
        sched.set_flags(cfg.flags);
        let cfg = self
            .config
            .service(&cfg.key)
            .map(|s| s.config.clone())
            .unwrap_or_else(|| cfg.clone());
        self.services.insert(
            cfg.key,
            Service {
                cfg,
                sched,
                dests: Vec::new(),
                stats: Default::default(),
            },
        );
    }

    fn edit_service(&mut self, now: SimTime, cfg: &ServiceConfig) {
        let Some(new_cfg) = self.config.service(&cfg.key).map(|s| s.config.clone()) else {
            return;
        };
        let views = self.views(&cfg.key);
        let params = self.sched_params();
        let Some(svc) = self.services.get_mut(&cfg.key) else {
            return;
        };
        if svc.sched.name() != new_cfg.scheduler {
            // A new scheduler is initialised with the current dest list.
            let mut s = sched::new_scheduler_with_params(&new_cfg.scheduler, now, &params)
                .expect("checked above");
            s.set_flags(new_cfg.flags);
            s.init_service(&views);
            svc.sched = s;
        } else if svc.cfg.flags != new_cfg.flags {
            svc.sched.set_flags(new_cfg.flags);
        }
        svc.cfg = new_cfg;
    }

    fn del_service(&mut self, now: SimTime, key: &ServiceKey) {
        let Some(svc) = self.services.get(key) else {
            return;
        };
        let ids = svc.dests.clone();
        for id in ids {
            self.unlink_dest(key, id, false);
            self.trash_dest(now, id);
        }
        self.services.remove(key);
        self.expire_nodest_flush(now);
    }

    pub(super) fn find_dest(
        &self,
        key: &ServiceKey,
        addr: std::net::IpAddr,
        port: u16,
    ) -> Option<DestId> {
        let svc = self.services.get(key)?;
        svc.dests.iter().copied().find(|id| {
            self.dests
                .get(id)
                .is_some_and(|d| d.cfg.addr == addr && d.cfg.port == port)
        })
    }

    /// Scheduler views of a service's dests, in list order.
    pub(super) fn views(&self, key: &ServiceKey) -> Vec<DestView> {
        let Some(svc) = self.services.get(key) else {
            return Vec::new();
        };
        svc.dests
            .iter()
            .filter_map(|id| {
                let d = self.dests.get(id)?;
                Some(DestView {
                    id: *id,
                    addr: d.cfg.addr,
                    port: d.cfg.port,
                    weight: d.cfg.weight,
                    last_weight: d.last_weight,
                    active: d.active,
                    inactive: d.inactive,
                    overloaded: d.overloaded,
                    available: d.available,
                })
            })
            .collect()
    }

    fn add_dest(&mut self, _now: SimTime, key: &ServiceKey, cfg: &crate::admin::DestConfig) {
        // A dest of this service waiting in the trash is revived with its counters.
        let revived = self.trash.iter().position(|id| {
            self.dests
                .get(id)
                .is_some_and(|d| d.svc == *key && d.cfg.addr == cfg.addr && d.cfg.port == cfg.port)
        });
        let id = match revived {
            Some(pos) => {
                let id = self.trash.remove(pos);
                let d = self.dests.get_mut(&id).expect("trash entry");
                d.idle_start = None;
                id
            }
            None => {
                let id = DestId(self.next_dest);
                self.next_dest += 1;
                self.dests.insert(
                    id,
                    Dest {
                        svc: *key,
                        cfg: cfg.clone(),
                        last_weight: cfg.weight,
                        available: false,
                        overloaded: false,
                        active: 0,
                        inactive: 0,
                        persist: 0,
                        refs: 0,
                        stats: Default::default(),
                        idle_start: None,
                    },
                );
                id
            }
        };
        self.update_dest(id, cfg);
        if let Some(d) = self.dests.get_mut(&id) {
            d.available = true;
        }
        if let Some(svc) = self.services.get_mut(key) {
            svc.dests.insert(0, id);
        }
        let views = self.views(key);
        if let Some(svc) = self.services.get_mut(key) {
            svc.sched.dests_changed(&views, DestChange::Added(id));
        }
    }

    /// `__ip_vs_update_dest`: new settings; OVERLOAD cleared when the upper threshold is
    /// removed or raised.
    fn update_dest(&mut self, id: DestId, cfg: &crate::admin::DestConfig) {
        let Some(d) = self.dests.get_mut(&id) else {
            return;
        };
        if cfg.weight > 0 {
            d.last_weight = cfg.weight;
        }
        if cfg.u_threshold == 0 || cfg.u_threshold > d.cfg.u_threshold {
            d.overloaded = false;
        }
        d.cfg = cfg.clone();
    }

    fn edit_dest(&mut self, key: &ServiceKey, cfg: &crate::admin::DestConfig) {
        let Some(id) = self.find_dest(key, cfg.addr, cfg.port) else {
            return;
        };
        self.update_dest(id, cfg);
        let views = self.views(key);
        if let Some(svc) = self.services.get_mut(key) {
            svc.sched.dests_changed(&views, DestChange::Edited(id));
        }
    }

    fn del_dest(&mut self, now: SimTime, key: &ServiceKey, id: DestId) {
        self.unlink_dest(key, id, true);
        self.trash_dest(now, id);
        self.expire_nodest_flush(now);
    }

    /// Takes a dest off its service's list and clears AVAILABLE.
    fn unlink_dest(&mut self, key: &ServiceKey, id: DestId, tell_sched: bool) {
        let Some(svc) = self.services.get_mut(key) else {
            return;
        };
        let Some(pos) = svc.dests.iter().position(|x| *x == id) else {
            return;
        };
        let prev = if pos == 0 {
            None
        } else {
            Some(svc.dests[pos - 1])
        };
        svc.dests.remove(pos);
        if let Some(d) = self.dests.get_mut(&id) {
            d.available = false;
        }
        if tell_sched {
            let views = self.views(key);
            if let Some(svc) = self.services.get_mut(key) {
                svc.sched
                    .dests_changed(&views, DestChange::Deleted { id, prev });
            }
        }
    }

    fn trash_dest(&mut self, now: SimTime, id: DestId) {
        if self.trash.is_empty() {
            self.trash_next = Some(now + TRASH_CHECK);
        }
        if let Some(d) = self.dests.get_mut(&id) {
            d.idle_start = None;
        }
        self.trash.insert(0, id);
    }

    /// The trash timer: an unreferenced dest is noted, and freed once it has stayed
    /// unreferenced for 120 s.
    pub(super) fn check_trash(&mut self, now: SimTime) {
        let ids = self.trash.clone();
        for id in ids {
            let Some(d) = self.dests.get_mut(&id) else {
                continue;
            };
            if d.refs > 0 {
                continue;
            }
            match d.idle_start {
                Some(t) if now < t + TRASH_PERIOD => continue,
                Some(_) => {
                    self.dests.remove(&id);
                    self.trash.retain(|x| *x != id);
                }
                None => d.idle_start = Some(now),
            }
        }
        self.trash_next = if self.trash.is_empty() {
            None
        } else {
            Some(now + TRASH_CHECK)
        };
    }

    fn zero(&mut self, key: Option<&ServiceKey>) {
        let keys: Vec<ServiceKey> = match key {
            Some(k) => vec![*k],
            None => {
                let mut k: Vec<ServiceKey> = self.services.keys().copied().collect();
                k.sort();
                k
            }
        };
        for k in &keys {
            let Some(svc) = self.services.get_mut(k) else {
                continue;
            };
            svc.stats.zero();
            for id in svc.dests.clone() {
                if let Some(d) = self.dests.get_mut(&id) {
                    d.stats.zero();
                }
            }
        }
        if key.is_none() {
            self.total.zero();
        }
    }
}
