//! Sweep parameters: what each one changes and how a value is applied.
//!
//! Scenario paths and `real-servers` change the scenario's TOML before it is built; the
//! `ipvs.*` settings change every director's table after the build, as `ipvsadm -E`/`-e`/
//! `--set` would (so they work whether the base writes its table as ipvsadm lines, as
//! structured services or through keepalived).

use super::path::{value_text, PathError, ScenarioPath};
use super::template;
use crate::admin::ipvsadm::IpvsadmTarget;
use crate::admin::{svc_flags, IpvsOp, Timeouts};
use crate::console::DirectorTarget;
use crate::Simulation;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeoutKind {
    Tcp,
    TcpFin,
    Udp,
}

/// Where a parameter's value goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Scenario(ScenarioPath),
    Scheduler,
    SchedFlags,
    Persistent,
    Weight(String),
    Timeout(TimeoutKind),
    RealServers { template: String },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// The CSV column and legend name.
    pub name: String,
    pub target: Target,
    pub values: Vec<toml::Value>,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParamError {
    #[error(transparent)]
    Path(#[from] PathError),
    #[error("`{0}`: {1}")]
    Value(String, String),
    #[error("`{0}` is not an IPVS setting a sweep can vary; use ipvs.scheduler, ipvs.flags, ipvs.persistent, ipvs.weight[ADDR:PORT] or ipvs.timeout.tcp|tcpfin|udp")]
    UnknownIpvs(String),
    #[error("`real-servers` needs `template = \"HOST\"`: the real-server host that is copied")]
    NoTemplate,
    #[error("{0}")]
    Template(String),
    #[error("{what}: ipvsadm refused it: {why}")]
    Refused { what: String, why: String },
}

impl Target {
    pub fn parse(path: &str, template: Option<&str>) -> Result<Target, ParamError> {
        let p = path.trim();
        if p == "real-servers" {
            return Ok(Target::RealServers {
                template: template.ok_or(ParamError::NoTemplate)?.to_string(),
            });
        }
        if let Some(rest) = p.strip_prefix("ipvs.") {
            return Ok(match rest {
                "scheduler" => Target::Scheduler,
                "flags" => Target::SchedFlags,
                "persistent" => Target::Persistent,
                "timeout.tcp" => Target::Timeout(TimeoutKind::Tcp),
                "timeout.tcpfin" => Target::Timeout(TimeoutKind::TcpFin),
                "timeout.udp" => Target::Timeout(TimeoutKind::Udp),
                w if w.starts_with("weight[") && w.ends_with(']') => {
                    Target::Weight(w["weight[".len()..w.len() - 1].trim().to_string())
                }
                _ => return Err(ParamError::UnknownIpvs(p.into())),
            });
        }
        Ok(Target::Scenario(ScenarioPath::parse(p)?))
    }

    /// True when the value changes the scenario text (before the build).
    pub fn is_static(&self) -> bool {
        matches!(self, Target::Scenario(_) | Target::RealServers { .. })
    }
}

impl Param {
    /// Applies a value to the scenario's TOML tree (static targets only).
    pub fn apply_static(&self, root: &mut toml::Table, v: &toml::Value) -> Result<(), ParamError> {
        match &self.target {
            Target::Scenario(p) => {
                p.set(root, v)?;
                Ok(())
            }
            Target::RealServers { template } => {
                let n = v
                    .as_integer()
                    .filter(|n| (1..=250).contains(n))
                    .ok_or_else(|| {
                        ParamError::Value(
                            self.name.clone(),
                            "a count of real servers from 1 to 250".into(),
                        )
                    })?;
                template::replicate(root, template, n as usize).map_err(ParamError::Template)
            }
            _ => Ok(()),
        }
    }

    /// Applies a value to every director of a built simulation (live targets only).
    pub fn apply_live(&self, sim: &mut Simulation, v: &toml::Value) -> Result<(), ParamError> {
        if self.target.is_static() {
            return Ok(());
        }
        let bad = |why: &str| ParamError::Value(self.name.clone(), why.into());
        let directors: Vec<usize> = (0..sim.hosts.len())
            .filter(|i| sim.hosts[*i].ipvs.is_some())
            .collect();
        if directors.is_empty() {
            return Err(bad("the scenario has no IPVS director"));
        }
        let mut changed = 0;
        for d in directors {
            let cfg = sim.hosts[d].ipvs.as_ref().map(|i| i.config().clone());
            let Some(cfg) = cfg else { continue };
            let mut ops = Vec::new();
            match &self.target {
                Target::Scheduler => {
                    let s = v
                        .as_str()
                        .ok_or_else(|| bad("a scheduler name such as \"wlc\""))?;
                    for vs in &cfg.services {
                        let mut c = vs.config.clone();
                        c.scheduler = s.to_string();
                        ops.push(IpvsOp::EditService(c));
                    }
                }
                Target::SchedFlags => {
                    let s = v
                        .as_str()
                        .ok_or_else(|| bad("flags such as \"sh-port,sh-fallback\""))?;
                    let bits = sched_flag_bits(s).map_err(|e| bad(&e))?;
                    for vs in &cfg.services {
                        let mut c = vs.config.clone();
                        c.flags = (c.flags
                            & !(svc_flags::SCHED1 | svc_flags::SCHED2 | svc_flags::SCHED3))
                            | bits;
                        ops.push(IpvsOp::EditService(c));
                    }
                }
                Target::Persistent => {
                    let t = v
                        .as_integer()
                        .filter(|t| (0..=i64::from(u32::MAX)).contains(t))
                        .ok_or_else(|| bad("persistence in seconds (0 = off)"))?;
                    for vs in &cfg.services {
                        let mut c = vs.config.clone();
                        if t == 0 {
                            c.flags &= !svc_flags::PERSISTENT;
                        } else {
                            c.flags |= svc_flags::PERSISTENT;
                            c.timeout = t as u32;
                        }
                        ops.push(IpvsOp::EditService(c));
                    }
                }
                Target::Weight(dest) => {
                    let w = v
                        .as_integer()
                        .filter(|w| (0..=65535).contains(w))
                        .ok_or_else(|| bad("a weight from 0 to 65535"))?;
                    for vs in &cfg.services {
                        for dc in &vs.dests {
                            let here = format!("{}:{}", dc.addr, dc.port);
                            if here == *dest || dc.addr.to_string() == *dest {
                                let mut n = dc.clone();
                                n.weight = w as i32;
                                ops.push(IpvsOp::EditDest(vs.config.key, n));
                            }
                        }
                    }
                }
                Target::Timeout(kind) => {
                    let t = v
                        .as_integer()
                        .filter(|t| (1..=i64::from(u32::MAX)).contains(t))
                        .ok_or_else(|| bad("a timeout in whole seconds (1 or more)"))?
                        as u32;
                    let mut to = Timeouts {
                        tcp: 0,
                        tcp_fin: 0,
                        udp: 0,
                    };
                    match kind {
                        TimeoutKind::Tcp => to.tcp = t,
                        TimeoutKind::TcpFin => to.tcp_fin = t,
                        TimeoutKind::Udp => to.udp = t,
                    }
                    ops.push(IpvsOp::SetTimeouts(to));
                }
                Target::Scenario(_) | Target::RealServers { .. } => {}
            }
            changed += ops.len();
            let mut target = DirectorTarget { sim, host: d };
            for op in &ops {
                target.apply(op).map_err(|e| ParamError::Refused {
                    what: format!("{} = {}", self.name, value_text(v)),
                    why: e.to_string(),
                })?;
            }
        }
        if changed == 0 {
            if let Target::Weight(dest) = &self.target {
                return Err(bad(&format!("no director has the real server {dest}")));
            }
        }
        Ok(())
    }
}

fn sched_flag_bits(s: &str) -> Result<u32, String> {
    let mut bits = 0;
    for f in s.split(',').map(str::trim).filter(|f| !f.is_empty()) {
        bits |= match f {
            "sh-fallback" | "mh-fallback" | "flag-1" => svc_flags::SCHED1,
            "sh-port" | "mh-port" | "flag-2" => svc_flags::SCHED2,
            "flag-3" => svc_flags::SCHED3,
            other => {
                return Err(format!(
                    "unknown scheduler flag `{other}` (sh-fallback, sh-port, mh-fallback, mh-port, flag-1..3)"
                ))
            }
        };
    }
    Ok(bits)
}
