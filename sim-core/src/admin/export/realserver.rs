//! Real-server setup and teardown scripts (POSIX sh), per server and forwarding method:
//! * NAT: the default route goes via the director's address on the server's subnet (DIP),
//!   so replies pass the director and get their source rewritten back to the VIP;
//! * DR: the VIP as a /32 on `lo` (accept packets for it) with arp_ignore=1 and
//!   arp_announce=2 on `all` and on the interface (never answer or announce it on the LAN);
//! * TUN: the ipip module, tunl0 up with the VIP, rp_filter=0 on `all` and tunl0 (the
//!   decapsulated client address arrives on tunl0 but is routed back via eth0), plus the
//!   ARP settings of DR for servers that share a LAN with the director or the clients.
//!
//! Setup saves every value it replaces in a state file; teardown puts them back.

use super::ExportError;
use crate::admin::{FwdMethod, ServiceKey};
use crate::engine::Simulation;
use crate::net::host::Host;
use crate::net::IfaceKind;
use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr};

/// What one real server needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct RsPlan {
    pub host: String,
    pub scenario: String,
    /// "TCP 10.0.0.1:80 -> 10.0.0.11:80, DR, from director `director`".
    pub uses: Vec<String>,
    /// NAT: default route via (DIP, interface).
    pub gateway: Option<(Ipv4Addr, String)>,
    /// DR: VIPs on lo.
    pub lo_vips: Vec<Ipv4Addr>,
    /// TUN: VIPs on tunl0.
    pub tunl_vips: Vec<Ipv4Addr>,
    /// Interfaces that hold the real-server addresses of DR/TUN services (ARP settings).
    pub arp_ifaces: Vec<String>,
}

impl RsPlan {
    fn modes(&self) -> String {
        let mut m = Vec::new();
        if self.gateway.is_some() {
            m.push("LVS-NAT");
        }
        if !self.lo_vips.is_empty() {
            m.push("LVS-DR");
        }
        if !self.tunl_vips.is_empty() {
            m.push("LVS-TUN");
        }
        m.join(" + ")
    }
}

fn push_unique<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// The director's address on the subnet of `rip` (the DIP a NAT real server routes via);
/// the real server's own default gateway wins when it is one of them.
fn dip_for(director: &Host, rs: &Host, rip: Ipv4Addr) -> Option<Ipv4Addr> {
    let candidates: Vec<Ipv4Addr> = director
        .ifaces
        .iter()
        .filter(|i| i.kind == IfaceKind::Ethernet)
        .flat_map(|i| i.addrs.iter())
        .filter(|c| c.prefix < 32 && c.contains(rip))
        .map(|c| c.addr)
        .collect();
    let current = rs
        .routes
        .iter()
        .find(|r| r.dst.prefix == 0)
        .and_then(|r| r.via);
    match current {
        Some(g) if candidates.contains(&g) => Some(g),
        _ => candidates.first().copied(),
    }
}

/// One plan per real server that is a host of the scenario, in host order, plus notes
/// about dests that get no script.
pub(super) fn plans(
    sim: &Simulation,
    scenario: &str,
) -> Result<(Vec<RsPlan>, Vec<String>), ExportError> {
    let mut plans: Vec<RsPlan> = Vec::new();
    let mut notes = Vec::new();
    for d in &sim.hosts {
        let Some(ipvs) = &d.ipvs else { continue };
        for svc in &ipvs.config().services {
            let key = svc.config.key;
            let vip = match key {
                ServiceKey::Addr {
                    addr: IpAddr::V4(a),
                    ..
                } => Some(a),
                _ => None,
            };
            for dest in &svc.dests {
                let IpAddr::V4(rip) = dest.addr else {
                    push_unique(
                        &mut notes,
                        format!(
                            "{}: real server {} is IPv6: no script (the model's hosts are IPv4)",
                            d.name, dest.addr
                        ),
                    );
                    continue;
                };
                let found = sim.hosts.iter().find_map(|h| {
                    h.ifaces
                        .iter()
                        .find(|i| i.kind == IfaceKind::Ethernet && i.has_addr(rip))
                        .map(|i| (h, i.name.clone()))
                });
                let Some((rs, iface)) = found else {
                    push_unique(
                        &mut notes,
                        format!(
                            "{}: real server {rip} is not a host of the scenario: no script for it",
                            d.name
                        ),
                    );
                    continue;
                };
                if dest.fwd == FwdMethod::Local || rs.name == d.name {
                    continue;
                }
                let idx = match plans.iter().position(|p| p.host == rs.name) {
                    Some(i) => i,
                    None => {
                        plans.push(RsPlan {
                            host: rs.name.clone(),
                            scenario: scenario.into(),
                            ..Default::default()
                        });
                        plans.len() - 1
                    }
                };
                let p = &mut plans[idx];
                let svc_name = match key {
                    ServiceKey::Addr { proto, addr, port } => format!(
                        "{} {}",
                        proto.name().to_uppercase(),
                        crate::admin::format_addr_port(&addr, port)
                    ),
                    ServiceKey::Fwmark { mark, .. } => format!("FWM {mark}"),
                };
                push_unique(
                    &mut p.uses,
                    format!(
                        "{svc_name} -> {}, {}, from director `{}`",
                        crate::admin::format_addr_port(&dest.addr, dest.port),
                        dest.fwd.mode_name(),
                        d.name
                    ),
                );
                match dest.fwd {
                    FwdMethod::Masq => {
                        let Some(dip) = dip_for(d, rs, rip) else {
                            return Err(ExportError::CannotDerive {
                                node: rs.name.clone(),
                                message: format!(
                                    "NAT real server {rip} is not on a subnet of director `{}`, so there is no DIP to route its replies through",
                                    d.name
                                ),
                            });
                        };
                        match &p.gateway {
                            Some((g, _)) if *g != dip => push_unique(
                                &mut notes,
                                format!(
                                    "{}: NAT from two directors wants two default gateways ({g} and {dip}); the script uses {g}",
                                    rs.name
                                ),
                            ),
                            Some(_) => {}
                            None => p.gateway = Some((dip, iface.clone())),
                        }
                    }
                    FwdMethod::Route | FwdMethod::Tunnel => {
                        push_unique(&mut p.arp_ifaces, iface.clone());
                        let Some(vip) = vip else {
                            push_unique(
                                &mut notes,
                                format!(
                                    "{}: {svc_name} is a firewall-mark service: configure the addresses it marks on {} yourself",
                                    rs.name,
                                    if dest.fwd == FwdMethod::Route { "lo" } else { "tunl0" }
                                ),
                            );
                            continue;
                        };
                        if dest.fwd == FwdMethod::Route {
                            push_unique(&mut p.lo_vips, vip);
                        } else {
                            push_unique(&mut p.tunl_vips, vip);
                        }
                    }
                    FwdMethod::Local => {}
                }
            }
        }
    }
    // Host order of the scenario, so that output is stable and reads like the file.
    plans.sort_by_key(|p| sim.hosts.iter().position(|h| h.name == p.host));
    Ok((plans, notes))
}

fn proc_conf(iface: &str, key: &str) -> String {
    format!("/proc/sys/net/ipv4/conf/{iface}/{key}")
}

const SETUP_HELPERS: &str = r#"# Writes a /proc/sys value, saving the value it replaces the first time.
set_proc() {
    grep -q "^proc $1 " "$STATE" || echo "proc $1 $(cat "$1")" >> "$STATE"
    echo "$2" > "$1"
}
# Adds an address unless it is there; remembers that this script added it.
add_addr() {
    ip -o -4 addr show dev "$2" | grep -qF " inet $1 " && return 0
    ip addr add "$1" dev "$2"
    echo "addr $1 $2" >> "$STATE"
}
"#;

/// The setup and teardown scripts of one real server.
pub(super) fn scripts(p: &RsPlan) -> (String, String) {
    let host = &p.host;
    let mut s = String::new();
    let mut t = String::new();
    let _ = writeln!(s, "#!/bin/sh");
    let _ = writeln!(
        s,
        "# {host}: {} real server of scenario `{}` (generated by lvslab export).",
        p.modes(),
        p.scenario
    );
    for u in &p.uses {
        let _ = writeln!(s, "#   {u}");
    }
    let _ = writeln!(
        s,
        "# Run as root on {host}. {host}.teardown.sh undoes it: every value replaced here is\n# saved in $STATE first (LVSLAB_STATE_DIR, default /run)."
    );
    let _ = writeln!(s, "set -eu");
    let _ = writeln!(
        s,
        "STATE=\"${{LVSLAB_STATE_DIR:-/run}}/lvslab-{host}.state\""
    );
    let _ = writeln!(s, ": >> \"$STATE\"\n");
    s.push_str(SETUP_HELPERS);

    let _ = writeln!(t, "#!/bin/sh");
    let _ = writeln!(
        t,
        "# {host}: undoes {host}.setup.sh (scenario `{}`, generated by lvslab export):",
        p.scenario
    );
    let _ = writeln!(
        t,
        "# puts back the routes, addresses, links and /proc/sys values saved in $STATE."
    );
    let _ = writeln!(t, "set -eu");
    let _ = writeln!(
        t,
        "STATE=\"${{LVSLAB_STATE_DIR:-/run}}/lvslab-{host}.state\""
    );
    let _ = writeln!(
        t,
        "if [ ! -f \"$STATE\" ]; then echo \"{host}: nothing to undo ($STATE not found)\"; exit 0; fi"
    );

    if let Some((dip, iface)) = &p.gateway {
        let _ = writeln!(
            s,
            "\n# NAT: replies must pass the director to get the VIP back as their source, so the\n# default route goes via the director's address on this subnet (DIP)."
        );
        let _ = writeln!(
            s,
            "grep -q '^route ' \"$STATE\" || echo \"route $(ip -4 route show default | head -n 1)\" >> \"$STATE\""
        );
        let _ = writeln!(s, "ip route replace default via {dip} dev {iface}");
    }
    if !p.tunl_vips.is_empty() {
        let _ = writeln!(
            s,
            "\n# TUN: the ipip module creates tunl0, which decapsulates the director's IPIP packets;\n# the VIP on tunl0 makes the inner packet local."
        );
        let _ = writeln!(s, "[ -e /sys/class/net/tunl0 ] || modprobe ipip");
        let _ = writeln!(
            s,
            "if ! ip -o link show dev tunl0 | grep -q '[<,]UP[,>]'; then\n    grep -q '^link tunl0 ' \"$STATE\" || echo \"link tunl0 down\" >> \"$STATE\"\n    ip link set tunl0 up\nfi"
        );
        for v in &p.tunl_vips {
            let _ = writeln!(s, "add_addr {v}/32 tunl0");
        }
        let _ = writeln!(
            s,
            "# The client's address arrives on tunl0 but the route back leaves via another\n# interface: strict reverse-path filtering would drop it (effective value = max(all, iface))."
        );
        for i in ["all", "tunl0"] {
            let _ = writeln!(s, "set_proc {} 0", proc_conf(i, "rp_filter"));
        }
    }
    if !p.lo_vips.is_empty() {
        let _ = writeln!(
            s,
            "\n# DR: the director forwards the unchanged packet (destination VIP) to this server's MAC;\n# the VIP on lo makes it local without answering for it on the LAN."
        );
        for v in &p.lo_vips {
            let _ = writeln!(s, "add_addr {v}/32 lo");
        }
    }
    if !p.arp_ifaces.is_empty() {
        let _ = writeln!(
            s,
            "\n# Never answer ARP for the VIP (arp_ignore=1: only for addresses of the receiving\n# interface) nor use it as the source of ARP requests (arp_announce=2), so that the\n# LAN keeps sending VIP traffic to the director. Effective value = max(all, iface)."
        );
        let mut ifs = vec!["all".to_string()];
        ifs.extend(p.arp_ifaces.iter().cloned());
        for i in &ifs {
            let _ = writeln!(s, "set_proc {} 1", proc_conf(i, "arp_ignore"));
            let _ = writeln!(s, "set_proc {} 2", proc_conf(i, "arp_announce"));
        }
    }
    let _ = writeln!(s, "\necho \"{host}: {} real server set up\"", p.modes());

    // Teardown: replay the state file backwards.
    let del_gw = p
        .gateway
        .as_ref()
        .map(|(dip, iface)| {
            format!("            ip route del default via {dip} dev {iface} 2>/dev/null || true\n")
        })
        .unwrap_or_default();
    let _ = write!(
        t,
        r#"sed -n '1!G;h;$p' "$STATE" | while read -r kind a b; do
    case "$kind" in
        proc)
            echo "$b" > "$a" 2>/dev/null || echo "{host}: could not restore $a" >&2 ;;
        addr)
            ip addr del "$a" dev "$b" 2>/dev/null || true ;;
        link)
            ip link set "$a" "$b" 2>/dev/null || true ;;
        route)
{del_gw}            if [ -n "$a" ]; then ip route replace $a $b; fi ;;
    esac
done
rm -f "$STATE"
echo "{host}: {} real server setup undone"
"#,
        p.modes()
    );
    (s, t)
}
