//! What a student does in the lab, as the lesson's walkthrough writes it: model changes
//! (the same `FaultAction`s the lab's buttons make), ipvsadm lines on a director, and time.

use super::format::ActionFile;
use super::predicate::Names;
use crate::admin::ipvsadm::execute_with_stdin;
use crate::console::DirectorTarget;
use crate::engine::{FaultAction, Simulation};
use crate::net::Cidr;
use crate::time::{parse_duration, SimDuration, SimTime};
use std::net::Ipv4Addr;

/// One student action.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Play for a while (`for`) or up to a moment (`until`).
    RunFor(SimDuration),
    RunUntil(SimTime),
    /// A change to the model, as the lab's controls make it.
    Model(FaultAction),
    /// An ipvsadm command line in the console of a director.
    Ipvsadm {
        host: usize,
        line: String,
    },
}

impl Action {
    /// Whether this is only the passage of time (kept when a lesson's test replays a step
    /// without the student's changes).
    pub fn is_time(&self) -> bool {
        matches!(self, Action::RunFor(_) | Action::RunUntil(_))
    }

    /// Performs the action. Errors are what the lab would show (ipvsadm's message, a
    /// refused change).
    pub fn perform(&self, sim: &mut Simulation) -> Result<(), String> {
        match self {
            Action::RunFor(d) => {
                let t = sim.now() + *d;
                sim.run_until(t);
                Ok(())
            }
            Action::RunUntil(t) => {
                if *t > sim.now() {
                    sim.run_until(*t);
                }
                Ok(())
            }
            Action::Model(a) => sim.apply_action(a),
            Action::Ipvsadm { host, line } => {
                let mut t = DirectorTarget { sim, host: *host };
                let out = execute_with_stdin(line, "", &mut t);
                if out.exit_code == 0 {
                    Ok(())
                } else {
                    Err(format!(
                        "`{line}` exited {}: {}",
                        out.exit_code,
                        out.stderr.trim()
                    ))
                }
            }
        }
    }
}

type Bad = (&'static str, String);

fn dur(key: &'static str, v: &str) -> Result<SimDuration, Bad> {
    parse_duration(v).map_err(|e| (key, e))
}

/// The actions a walkthrough may use, by `do`.
pub const KINDS: &[&str] = &[
    "run",
    "sysctl",
    "ipvsadm",
    "host-down",
    "host-up",
    "link-down",
    "link-up",
    "server-stop",
    "server-start",
    "keepalived-stop",
    "keepalived-start",
    "keepalived-kill",
    "arp-flush",
    "route",
];

/// Resolves an action as written against the scenario.
pub fn resolve(a: &ActionFile, n: &Names<'_>) -> Result<Action, Bad> {
    let host = || n.host("host", &a.host);
    let iface = |h: usize| -> Result<usize, Bad> {
        let name = a
            .iface
            .as_deref()
            .ok_or(("iface", "`iface` is missing".to_string()))?;
        n.iface(h, "iface", name)?;
        Ok(n.sim.hosts[h].iface_index(name).unwrap_or(0))
    };
    let port = || a.port.ok_or(("port", "`port` is missing".to_string()));
    let m = |f: FaultAction| Ok(Action::Model(f));
    match a.action.as_str() {
        "run" => match (&a.for_, &a.until) {
            (Some(f), None) => Ok(Action::RunFor(dur("for", f)?)),
            (None, Some(u)) => Ok(Action::RunUntil(SimTime::ZERO + dur("until", u)?)),
            _ => Err(("do", "`run` takes exactly one of `for` and `until`".into())),
        },
        "sysctl" => {
            let host = host()?;
            let name = a
                .name
                .clone()
                .ok_or(("name", "`name` is missing".to_string()))?;
            let value = a.value.ok_or(("value", "`value` is missing".to_string()))?;
            if super::predicate::sysctl_value(n.sim, host, &name).is_none() {
                return Err(("name", format!("`{name}` is not a sysctl this host has")));
            }
            m(FaultAction::Sysctl { host, name, value })
        }
        "ipvsadm" => {
            let host = n.director(&a.host.clone())?;
            let line = a
                .line
                .clone()
                .ok_or(("line", "`line` is missing".to_string()))?;
            crate::admin::ipvsadm::parse_line(&line).map_err(|e| {
                (
                    "line",
                    format!("ipvsadm would refuse `{line}`: {}", e.message),
                )
            })?;
            Ok(Action::Ipvsadm { host, line })
        }
        "host-down" => m(FaultAction::HostDown { host: host()? }),
        "host-up" => m(FaultAction::HostUp { host: host()? }),
        "link-down" => {
            let h = host()?;
            m(FaultAction::LinkDown {
                host: h,
                iface: iface(h)?,
            })
        }
        "link-up" => {
            let h = host()?;
            m(FaultAction::LinkUp {
                host: h,
                iface: iface(h)?,
            })
        }
        "server-stop" => {
            let h = host()?;
            m(FaultAction::ServerStop {
                host: h,
                port: port()?,
            })
        }
        "server-start" => {
            let h = host()?;
            m(FaultAction::ServerStart {
                host: h,
                port: port()?,
            })
        }
        "keepalived-stop" | "keepalived-start" | "keepalived-kill" => {
            let h = host()?;
            if !n.sim.keepalived.iter().any(|k| k.host == h) {
                return Err((
                    "host",
                    format!("{} runs no keepalived", n.sim.hosts[h].name),
                ));
            }
            m(match a.action.as_str() {
                "keepalived-stop" => FaultAction::KeepalivedStop { host: h },
                "keepalived-start" => FaultAction::KeepalivedStart { host: h },
                _ => FaultAction::KeepalivedKill { host: h },
            })
        }
        "arp-flush" => m(FaultAction::ArpFlush { host: host()? }),
        "route" => {
            let h = host()?;
            let to = match a.to.as_deref() {
                None => return Err(("to", "`to` is missing (\"default\" or a CIDR)".into())),
                Some("default") => Cidr::new(Ipv4Addr::UNSPECIFIED, 0),
                Some(c) => c.parse::<Cidr>().map_err(|e| ("to", e.to_string()))?,
            };
            let via: Ipv4Addr = a
                .via
                .as_deref()
                .ok_or(("via", "`via` is missing".to_string()))?
                .parse()
                .map_err(|_| ("via", "`via` is not an IPv4 address".to_string()))?;
            m(FaultAction::Route { host: h, to, via })
        }
        other => Err((
            "do",
            format!("unknown action `{other}` (known: {})", KINDS.join(", ")),
        )),
    }
}
