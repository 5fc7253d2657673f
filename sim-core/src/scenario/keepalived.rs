//! keepalived on directors in scenario files.
//!
//! A director carries its configuration as keepalived.conf text:
//!
//! ```toml
//! [[host]]
//! name = "ld1"
//! role = "director"
//! keepalived = """
//! vrrp_instance VI_1 { ... }
//! virtual_server 10.0.0.100 80 { ... }
//! """
//! ```
//!
//! The text form was chosen over structured TOML so that the seed documents' and real
//! deployments' files can be pasted as they are; errors point at the line inside the text.
//! When the text has `virtual_server` sections, keepalived programs the director's IPVS
//! table from them (as the real checker process does at start-up); a director that also
//! has `ipvs.rules` or `ipvs.service` is an error, because two owners of one table would
//! fight (`ipvs.timeouts` may stay). VRRP instances need the interfaces they name.

use super::diag::{locate, Diagnostic, Seg, Severity};
use super::format::{FaultFile, FaultKind, HostSpec};
use super::{k, Builder, Scenario};
use crate::admin::keepalived::{self, lvs, KeepalivedConfig, KeepalivedError};
use crate::engine::FaultAction;
use crate::net::host::{Host, Role};
use crate::net::IfaceKind;
use crate::time::SimTime;

impl Scenario {
    /// The keepalived configuration of every director that has one, parsed.
    pub fn keepalived_configs(&self) -> Result<Vec<(String, KeepalivedConfig)>, Vec<Diagnostic>> {
        let mut out = Vec::new();
        let mut errors = Vec::new();
        for h in &self.spec.hosts {
            let Some(text) = &h.keepalived else { continue };
            match keepalived::parse(text) {
                Ok(c) => out.push((h.name.clone(), c)),
                Err(e) => errors.push(Diagnostic {
                    severity: Severity::Error,
                    file: self.file_name.clone(),
                    line: 0,
                    col: 0,
                    path: format!("host {} keepalived (line {} of the text)", h.name, e.line),
                    message: e.message,
                    hint: None,
                }),
            }
        }
        if errors.is_empty() {
            Ok(out)
        } else {
            Err(errors)
        }
    }
}

impl Builder<'_> {
    /// A diagnostic on line `line` (1-based; 0 = the string as a whole) of the keepalived
    /// text at `path`.
    fn diag_in_keepalived(&mut self, path: &[Seg], e: &KeepalivedError, sev: Severity) {
        let (mut line, mut col) = self
            .doc
            .and_then(|d| locate(d, path))
            .map(|sp| super::diag::line_col(&self.sc.text, sp.start))
            .unwrap_or((0, 0));
        if line > 0 && e.line > 0 {
            let starts_with_newline = self
                .doc
                .and_then(|d| locate(d, path))
                .map(|sp| {
                    let t = &self.sc.text[sp.start..];
                    t.starts_with("\"\"\"\n") || t.starts_with("'''\n")
                })
                .unwrap_or(false);
            line += e.line - 1 + usize::from(starts_with_newline);
            col = 1;
        }
        self.diags.push(Diagnostic {
            severity: sev,
            file: self.sc.file_name.clone(),
            line,
            col,
            path: format!(
                "{} (line {} of keepalived.conf)",
                super::diag::path_string(path),
                e.line
            ),
            message: format!("keepalived: {}", e.message),
            hint: None,
        });
    }

    /// Reads a director's keepalived text, checks it against the host and programs the
    /// IPVS table from its virtual servers. Returns the configuration to run.
    pub(super) fn build_keepalived(
        &mut self,
        hp: &[Seg],
        hs: &HostSpec,
        h: &mut Host,
        streams: &crate::rng::RngStreams,
    ) -> Option<KeepalivedConfig> {
        let text = hs.keepalived.as_ref()?;
        let path = [hp.to_vec(), vec![k("keepalived")]].concat();
        let (cfg, warnings) = match keepalived::parse::parse_with_warnings(text) {
            Ok(x) => x,
            Err(e) => {
                self.diag_in_keepalived(&path, &e, Severity::Error);
                return None;
            }
        };
        for w in &warnings {
            self.diag_in_keepalived(&path, w, Severity::Warning);
        }
        if h.role != Role::Director {
            self.err(
                &path,
                format!("{} runs keepalived but its role is not `director`", hs.name),
                Some("set role = \"director\""),
            );
            return None;
        }
        let mut ok = true;
        let eth = |h: &Host, n: &str| {
            h.iface_index(n)
                .map(|i| h.ifaces[i].kind == IfaceKind::Ethernet)
                .unwrap_or(false)
        };
        let mut named: Vec<(String, String)> = Vec::new();
        for i in &cfg.instances {
            named.push((
                format!("vrrp_instance {} interface", i.name),
                i.interface.clone(),
            ));
            for v in &i.virtual_ipaddress {
                if let Some(d) = &v.dev {
                    named.push((
                        format!("vrrp_instance {} VIP {}", i.name, v.addr),
                        d.clone(),
                    ));
                }
            }
            for t in &i.track_interface {
                named.push((
                    format!("vrrp_instance {} track_interface", i.name),
                    t.name.clone(),
                ));
            }
        }
        if let Some(d) = cfg.sync_daemon() {
            named.push(("lvs_sync_daemon".into(), d.interface));
        }
        for (what, ifname) in named {
            if !eth(h, &ifname) {
                ok = false;
                self.err(
                    &path,
                    format!("keepalived: {what} names `{ifname}`, which is not an Ethernet interface of {}", hs.name),
                    Some("use one of the host's [[host.iface]] names"),
                );
            }
        }
        if !cfg.virtual_servers.is_empty() {
            if let Some(ip) = &hs.ipvs {
                if ip.rules.is_some() || !ip.services.is_empty() {
                    ok = false;
                    self.err(
                        &[hp.to_vec(), vec![k("ipvs")]].concat(),
                        format!("{} has both ipvs rules and keepalived virtual_server sections: keepalived owns the IPVS table", hs.name),
                        Some("keep the virtual servers in keepalived.conf and remove ipvs.rules / ipvs.service (ipvs.timeouts may stay)"),
                    );
                }
            }
            let ipvs = h.ipvs.get_or_insert_with(|| {
                crate::ipvs::Ipvs::new(
                    crate::ipvs::IpvsSysctls::default(),
                    streams.stream(&format!("ipvs:{}", hs.name)),
                )
            });
            for v in &cfg.virtual_servers {
                for op in lvs::startup_ops(v) {
                    if let Err(e) = ipvs.apply(SimTime::ZERO, &op) {
                        ok = false;
                        self.err(
                            &path,
                            format!("keepalived: the kernel refuses {op:?}: {e}"),
                            None,
                        );
                    }
                }
            }
        }
        ok.then_some(cfg)
    }
}

impl Builder<'_> {
    /// The HA actions of `[[fault]]`: keepalived-stop / -start / -kill on a director with
    /// keepalived; vrrp-priority (`name` = instance, `value` = priority); vrrp-script
    /// (`name` = script, `value` = 1 succeeds, 0 fails); server-stop / server-start
    /// (`port`).
    pub(super) fn ha_fault(
        &mut self,
        fp: &[Seg],
        f: &FaultFile,
        host: usize,
        h: &Host,
    ) -> Option<FaultAction> {
        let cfg = self
            .sc
            .spec
            .hosts
            .iter()
            .find(|x| x.name == f.host)
            .and_then(|x| x.keepalived.as_ref())
            .and_then(|t| keepalived::parse(t).ok());
        let need_ka = |b: &mut Self| {
            if cfg.is_none() {
                b.err(
                    &[fp.to_vec(), vec![k("host")]].concat(),
                    format!("{} runs no keepalived", f.host),
                    Some("give the director a `keepalived` configuration"),
                );
            }
            cfg.is_some()
        };
        match f.action {
            FaultKind::KeepalivedStop => {
                need_ka(self).then_some(FaultAction::KeepalivedStop { host })
            }
            FaultKind::KeepalivedStart => {
                need_ka(self).then_some(FaultAction::KeepalivedStart { host })
            }
            FaultKind::KeepalivedKill => {
                need_ka(self).then_some(FaultAction::KeepalivedKill { host })
            }
            FaultKind::VrrpPriority => {
                if !need_ka(self) {
                    return None;
                }
                let c = cfg.as_ref()?;
                match (&f.name, f.value) {
                    (Some(n), Some(v)) if c.instance(n).is_some() && (1..=255).contains(&v) => {
                        Some(FaultAction::VrrpPriority {
                            host,
                            instance: n.clone(),
                            priority: v as u8,
                        })
                    }
                    _ => {
                        self.err(fp, "action \"vrrp-priority\" needs `name` (a vrrp_instance of the host) and `value` (1..255)", None);
                        None
                    }
                }
            }
            FaultKind::VrrpScript => {
                if !need_ka(self) {
                    return None;
                }
                let c = cfg.as_ref()?;
                match (&f.name, f.value) {
                    (Some(n), Some(v)) if c.script(n).is_some() && (v == 0 || v == 1) => {
                        Some(FaultAction::VrrpScript {
                            host,
                            script: n.clone(),
                            ok: v == 1,
                        })
                    }
                    _ => {
                        self.err(fp, "action \"vrrp-script\" needs `name` (a vrrp_script of the host) and `value` (1 = succeeds, 0 = fails)", None);
                        None
                    }
                }
            }
            FaultKind::ServerStop | FaultKind::ServerStart => {
                let Some(port) = f.port else {
                    self.err(fp, "this action needs `port`", None);
                    return None;
                };
                if !h.servers.keys().any(|(_, p)| *p == port) {
                    self.err(
                        &[fp.to_vec(), vec![k("port")]].concat(),
                        format!("{} has no server on port {port}", f.host),
                        None,
                    );
                    return None;
                }
                Some(if f.action == FaultKind::ServerStop {
                    FaultAction::ServerStop { host, port }
                } else {
                    FaultAction::ServerStart { host, port }
                })
            }
            _ => None,
        }
    }
}

impl Builder<'_> {
    /// `cut` / `restore`: `host` and the host named in `name` (optionally `iface` of `host`).
    pub(super) fn cut_fault(
        &mut self,
        fp: &[Seg],
        f: &FaultFile,
        host: usize,
        hosts: &[Host],
    ) -> Option<FaultAction> {
        let Some(peer) = f
            .name
            .as_ref()
            .and_then(|n| hosts.iter().position(|h| &h.name == n))
        else {
            self.err(
                &[fp.to_vec(), vec![k("name")]].concat(),
                "this action needs `name` = the host on the other side of the cut",
                None,
            );
            return None;
        };
        let iface = match &f.iface {
            Some(n) => match hosts[host].iface_index(n) {
                Some(i) => Some(i),
                None => {
                    self.err(
                        &[fp.to_vec(), vec![k("iface")]].concat(),
                        format!("{} has no interface `{n}`", f.host),
                        None,
                    );
                    return None;
                }
            },
            None => None,
        };
        Some(FaultAction::Cut {
            a: host,
            b: peer,
            iface,
            cut: f.action == FaultKind::Cut,
        })
    }

    /// Addresses keepalived may put on a host (its VIPs), for the topology checks.
    pub(super) fn floating_addrs(&self, host: usize) -> Vec<std::net::Ipv4Addr> {
        self.sc
            .spec
            .hosts
            .get(host)
            .and_then(|h| h.keepalived.as_ref())
            .and_then(|t| keepalived::parse(t).ok())
            .map(|c| {
                c.instances
                    .iter()
                    .flat_map(|i| i.virtual_ipaddress.iter().map(|v| v.addr))
                    .collect()
            })
            .unwrap_or_default()
    }
}
