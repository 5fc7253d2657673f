//! The lab's faults and toggles as model changes: host failures, sysctls and the ipvsadm
//! command lines behind the weight and scheduler controls.

use lvslab_sim::admin::{FwdMethod, Protocol, ServiceKey};
use lvslab_sim::engine::FaultAction;
use lvslab_sim::net::host::Role;
use lvslab_sim::Simulation;

/// Schedulers the scheduler control offers (those the kernel ships).
pub const SCHEDULERS: &[&str] = &[
    "rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos",
];

/// The ipvsadm service argument, e.g. `-t 10.0.0.10:80`.
pub fn service_arg(key: &ServiceKey) -> String {
    match key {
        ServiceKey::Addr { proto, addr, port } => {
            let flag = match proto {
                Protocol::Tcp => "-t",
                Protocol::Udp => "-u",
                Protocol::Sctp => "--sctp-service",
            };
            format!("{flag} {addr}:{port}")
        }
        ServiceKey::Fwmark { mark, .. } => format!("-f {mark}"),
    }
}

pub fn method_flag(f: FwdMethod) -> &'static str {
    match f {
        FwdMethod::Masq => "-m",
        FwdMethod::Tunnel => "-i",
        FwdMethod::Route | FwdMethod::Local => "-g",
    }
}

/// A real server of a director's service, with what the controls need.
#[derive(Clone, Debug, PartialEq)]
pub struct DestControl {
    pub director: usize,
    pub service: String,
    pub dest: String,
    pub weight: i32,
    /// `ipvsadm -e` line setting a new weight is `weight_command(w)`.
    edit_prefix: String,
}

impl DestControl {
    pub fn weight_command(&self, w: i32) -> String {
        format!("{} -w {w}", self.edit_prefix)
    }
}

/// A director's service and its scheduler.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceControl {
    pub director: usize,
    pub service: String,
    pub scheduler: String,
}

impl ServiceControl {
    pub fn scheduler_command(&self, s: &str) -> String {
        format!("ipvsadm -E {} -s {s}", self.service)
    }
}

pub fn services(sim: &Simulation) -> (Vec<ServiceControl>, Vec<DestControl>) {
    let mut svcs = Vec::new();
    let mut dests = Vec::new();
    for (i, h) in sim.hosts.iter().enumerate() {
        let Some(ipvs) = &h.ipvs else { continue };
        for s in &ipvs.config().services {
            let service = service_arg(&s.config.key);
            svcs.push(ServiceControl {
                director: i,
                service: service.clone(),
                scheduler: s.config.scheduler.clone(),
            });
            for d in &s.dests {
                let dest = format!("{}:{}", d.addr, d.port);
                dests.push(DestControl {
                    director: i,
                    service: service.clone(),
                    dest: dest.clone(),
                    weight: d.weight,
                    edit_prefix: format!("ipvsadm -e {service} -r {dest} {}", method_flag(d.fwd)),
                });
            }
        }
    }
    (svcs, dests)
}

/// A switch a host offers, with its current state.
#[derive(Clone, Debug, PartialEq)]
pub struct Toggle {
    /// The switch's stable name (element ids, tests): "fail host", "kill director", or the
    /// sysctl setting it makes, e.g. "arp_ignore=1".
    pub label: String,
    /// The catalogue message that names it on screen; None for a sysctl setting, which is
    /// shown as it is written.
    pub message: Option<&'static str>,
    pub on: bool,
    /// The change that flips it.
    pub action: FaultAction,
}

/// Fail/recover, and for real servers the ARP and reverse-path sysctls (on `all`, which the
/// kernel combines with the interface's value by max).
pub fn toggles(sim: &Simulation, host: usize) -> Vec<Toggle> {
    let Some(h) = sim.hosts.get(host) else {
        return Vec::new();
    };
    let (label, message) = if h.role == Role::Director {
        ("kill director", "toggle-kill-director")
    } else {
        ("fail host", "toggle-fail-host")
    };
    let mut v = vec![Toggle {
        label: label.into(),
        message: Some(message),
        on: !h.up,
        action: if h.up {
            FaultAction::HostDown { host }
        } else {
            FaultAction::HostUp { host }
        },
    }];
    if h.role == Role::RealServer {
        let c = &h.conf_all;
        let sysctl = |label: &str, name: &str, cur: u8, on_value: i64| Toggle {
            label: format!("{label}={on_value}"),
            message: None,
            on: cur as i64 == on_value,
            action: FaultAction::Sysctl {
                host,
                name: name.into(),
                value: if cur as i64 == on_value { 0 } else { on_value },
            },
        };
        v.push(sysctl(
            "arp_ignore",
            "net.ipv4.conf.all.arp_ignore",
            c.arp_ignore,
            1,
        ));
        v.push(sysctl(
            "arp_announce",
            "net.ipv4.conf.all.arp_announce",
            c.arp_announce,
            2,
        ));
        v.push(sysctl(
            "rp_filter",
            "net.ipv4.conf.all.rp_filter",
            c.rp_filter,
            1,
        ));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use lvslab_sim::bundled;
    use lvslab_sim::scenario::Scenario;

    fn sim(name: &str) -> Simulation {
        let b = bundled::find(name).unwrap();
        Scenario::parse(b.name, b.text)
            .unwrap()
            .build(None)
            .unwrap()
            .0
    }

    #[test]
    fn commands_keep_the_forwarding_method() {
        let s = sim("nat-lab");
        let (svcs, dests) = services(&s);
        assert_eq!(svcs.len(), 1);
        assert!(svcs[0].service.starts_with("-t "));
        assert!(
            dests[0].weight_command(3).contains(" -m -w 3"),
            "{:?}",
            dests[0]
        );
        let s = sim("tun-lab");
        let (_, dests) = services(&s);
        assert!(dests[0].weight_command(3).contains(" -i -w 3"));
    }

    #[test]
    fn toggles_flip() {
        let mut s = sim("dr-lab");
        let rs = s.host_index("rs1").unwrap();
        let t = toggles(&s, rs);
        let ign = t.iter().find(|x| x.label == "arp_ignore=1").unwrap();
        assert!(ign.on);
        s.apply_action(&ign.action.clone()).unwrap();
        assert_eq!(s.hosts[rs].conf_all.arp_ignore, 0);
        let t2 = toggles(&s, rs);
        assert!(!t2.iter().find(|x| x.label == "arp_ignore=1").unwrap().on);
        assert_eq!(t2[0].message, Some("toggle-fail-host"));
        let fail = t2[0].action.clone();
        s.apply_action(&fail).unwrap();
        assert!(!s.hosts[rs].up);
        assert!(toggles(&s, rs)[0].on);
    }

    #[test]
    fn toggle_messages_are_in_the_catalogue() {
        let cat = lvslab_i18n::Catalog::new();
        let s = sim("dr-lab");
        for h in 0..s.hosts.len() {
            for t in toggles(&s, h) {
                if let Some(id) = t.message {
                    for lang in lvslab_i18n::Lang::ALL {
                        assert!(cat.has(lang, id), "{}: no {id}", lang.code());
                    }
                }
            }
        }
        let d = s.host_index("director").unwrap();
        assert_eq!(toggles(&s, d)[0].message, Some("toggle-kill-director"));
    }
}
