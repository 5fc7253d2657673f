//! An IPVS table as a scenario file: the table becomes the director's `rules`, and a
//! placeholder topology around it makes the file valid and runnable:
//! * a client network (the first of 203.0.113.0/24, 198.51.100.0/24, 192.0.2.0/24 that holds
//!   no VIP or real server) with the client at .100 and the director at .1 as its gateway;
//! * one /24 segment per real-server network, the director at .254 (or the highest free
//!   address) on each, and every real server as its own host with that address;
//! * each real server set up for its forwarding method (NAT: default route via the
//!   director; DR: VIP on lo and ARP sysctls; TUN: ipip, VIP on tunl0, rp_filter 0), and a
//!   server on each port it is used with;
//! * every VIP as a /32 on the director, on the real-server network that contains it or on
//!   the client side; the director forwards (it is the real servers' gateway too);
//! * a short sequential workload to the first TCP service that has a usable real server.

use crate::admin::{FwdMethod, LvsConfig, Protocol, ServiceKey, Timeouts};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr};

/// A table to turn into a scenario.
#[derive(Clone, Copy, Debug)]
pub struct ImportedTable<'a> {
    /// Scenario name (`[scenario] name`).
    pub name: &'a str,
    /// Where the table came from, for the header ("the live IPVS table of host x").
    pub origin: &'a str,
    pub table: &'a LvsConfig,
    /// ipvsadm lines that build `table` (the director's `rules`).
    pub rules: &'a str,
}

const CLIENT_NETS: [[u8; 3]; 4] = [[203, 0, 113], [198, 51, 100], [192, 0, 2], [172, 31, 255]];

fn net24(a: Ipv4Addr) -> [u8; 3] {
    let o = a.octets();
    [o[0], o[1], o[2]]
}

fn addr(net: [u8; 3], host: u8) -> Ipv4Addr {
    Ipv4Addr::new(net[0], net[1], net[2], host)
}

fn seg_name(net: [u8; 3]) -> String {
    format!("net-{}-{}-{}", net[0], net[1], net[2])
}

/// A TOML string literal.
fn lit(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// Multi-line rules as a TOML literal block when possible (it reads like the ipvsadm file).
fn rules_block(rules: &str) -> String {
    if rules.contains("'''") {
        lit(rules)
    } else {
        let body = if rules.ends_with('\n') || rules.is_empty() {
            rules.to_string()
        } else {
            format!("{rules}\n")
        };
        format!("'''\n{body}'''")
    }
}

#[derive(Default)]
struct Rs {
    modes: Vec<FwdMethod>,
    lo: Vec<Ipv4Addr>,
    tunl: Vec<Ipv4Addr>,
    ports: Vec<u16>,
    udp_ports: Vec<u16>,
}

fn push<T: PartialEq>(v: &mut Vec<T>, x: T) {
    if !v.contains(&x) {
        v.push(x);
    }
}

/// The scenario file (TOML text) for an imported table.
pub fn scenario_from_table(t: &ImportedTable) -> String {
    let table = t.table;
    let mut vips: Vec<Ipv4Addr> = Vec::new();
    let mut rss: BTreeMap<Ipv4Addr, Rs> = BTreeMap::new();
    let mut skipped: Vec<String> = Vec::new();
    for s in &table.services {
        let vip = match s.config.key {
            ServiceKey::Addr {
                addr: IpAddr::V4(a),
                ..
            } => Some(a),
            _ => None,
        };
        if let Some(v) = vip {
            push(&mut vips, v);
        }
        let udp = matches!(
            s.config.key,
            ServiceKey::Addr {
                proto: Protocol::Udp,
                ..
            }
        );
        for d in &s.dests {
            let IpAddr::V4(rip) = d.addr else {
                push(
                    &mut skipped,
                    format!("real server {} (IPv6) has no host", d.addr),
                );
                continue;
            };
            if d.fwd == FwdMethod::Local {
                continue;
            }
            let r = rss.entry(rip).or_default();
            push(&mut r.modes, d.fwd);
            match (d.fwd, vip) {
                (FwdMethod::Route, Some(v)) => push(&mut r.lo, v),
                (FwdMethod::Tunnel, Some(v)) => push(&mut r.tunl, v),
                _ => {}
            }
            let port = if d.port != 0 {
                d.port
            } else {
                s.config.key.port()
            };
            if port != 0 {
                if udp {
                    push(&mut r.udp_ports, port);
                } else {
                    push(&mut r.ports, port);
                }
            }
        }
    }
    // Real-server networks, the director's address on each, the client network.
    let mut nets: Vec<[u8; 3]> = Vec::new();
    for rip in rss.keys() {
        push(&mut nets, net24(*rip));
    }
    let taken = |a: Ipv4Addr| vips.contains(&a) || rss.contains_key(&a);
    let dips: Vec<([u8; 3], Ipv4Addr)> = nets
        .iter()
        .map(|n| {
            let h = (1..=254u8)
                .rev()
                .find(|h| !taken(addr(*n, *h)))
                .unwrap_or(254);
            (*n, addr(*n, h))
        })
        .collect();
    let client_net = CLIENT_NETS
        .iter()
        .copied()
        .find(|n| !nets.contains(n) && !vips.iter().any(|v| net24(*v) == *n))
        .unwrap_or(CLIENT_NETS[0]);
    let client_ip = addr(client_net, 100);
    let director_front = addr(client_net, 1);

    let mut o = String::new();
    let _ = writeln!(o, "# Imported by lvslab from {}.", t.origin);
    let _ = writeln!(
        o,
        "#\n# The director's [host.ipvs] rules are the imported table. Everything else is a PLACEHOLDER\n# made up so that the scenario validates and runs; replace it with the real topology:"
    );
    let _ = writeln!(
        o,
        "#   - client {client_ip} on segment \"clients\" ({}.0/24), its gateway the director at {director_front};",
        client_net.map(|x| x.to_string()).join(".")
    );
    for (n, dip) in &dips {
        let _ = writeln!(
            o,
            "#   - segment \"{}\" ({}.0/24, prefix assumed) with the director at {dip};",
            seg_name(*n),
            n.map(|x| x.to_string()).join(".")
        );
    }
    let _ = writeln!(
        o,
        "#   - host names rs1..rsN, interface names, the VIPs as /32 on the director, ip_forward = 1;\n#   - the real servers' setup (routes, VIPs, sysctls) derived from their forwarding methods;\n#   - the servers (their ports only) and the workload."
    );
    for s in &skipped {
        let _ = writeln!(o, "#   Not modelled: {s}.");
    }
    let _ = writeln!(o);
    let _ = writeln!(o, "[scenario]");
    let _ = writeln!(o, "name = {}", lit(t.name));
    let _ = writeln!(o, "title = {}", lit(&format!("Imported from {}", t.origin)));
    let _ = writeln!(o, "kind = \"what-if\"");
    let _ = writeln!(
        o,
        "watch = \"The rules are the imported table; the topology around it is a placeholder.\""
    );
    let _ = writeln!(o, "seed = 1");
    let _ = writeln!(o, "duration = \"5s\"\n");

    let _ = writeln!(o, "[[segment]]\nname = \"clients\"\n");
    for n in &nets {
        let _ = writeln!(o, "[[segment]]\nname = {}\n", lit(&seg_name(*n)));
    }

    let _ = writeln!(o, "[[host]]\nname = \"client\"\nrole = \"client\"");
    let _ = writeln!(
        o,
        "iface = [{{ name = \"eth0\", segment = \"clients\", addrs = [\"{client_ip}/24\"] }}]"
    );
    let _ = writeln!(
        o,
        "route = [{{ to = \"default\", via = \"{director_front}\" }}]\n"
    );

    // Director: eth0 towards the clients, eth1.. towards each real-server network.
    let mut front: Vec<String> = vec![format!("{director_front}/24")];
    let mut backs: Vec<Vec<String>> = dips.iter().map(|(_, d)| vec![format!("{d}/24")]).collect();
    for v in &vips {
        match dips.iter().position(|(n, _)| *n == net24(*v)) {
            Some(i) => backs[i].push(format!("{v}/32")),
            None => front.push(format!("{v}/32")),
        }
    }
    let quoted = |v: &[String]| v.iter().map(|a| lit(a)).collect::<Vec<_>>().join(", ");
    let _ = writeln!(
        o,
        "[[host]]\nname = \"director\"\nrole = \"director\"\niface = ["
    );
    let _ = writeln!(
        o,
        "  {{ name = \"eth0\", segment = \"clients\", addrs = [{}] }},",
        quoted(&front)
    );
    for (i, ((n, _), addrs)) in dips.iter().zip(&backs).enumerate() {
        let _ = writeln!(
            o,
            "  {{ name = \"eth{}\", segment = {}, addrs = [{}] }},",
            i + 1,
            lit(&seg_name(*n)),
            quoted(addrs)
        );
    }
    let _ = writeln!(o, "]");
    let _ = writeln!(o, "sysctl = {{ \"net.ipv4.ip_forward\" = 1 }}");
    let _ = writeln!(o, "[host.ipvs]");
    let _ = writeln!(o, "rules = {}", rules_block(t.rules));
    if table.timeouts != Timeouts::default() {
        let tt = table.timeouts;
        let _ = writeln!(o, "timeouts = [{}, {}, {}]", tt.tcp, tt.tcp_fin, tt.udp);
    }
    let _ = writeln!(o);

    for (i, (rip, r)) in rss.iter().enumerate() {
        let n = net24(*rip);
        let dip = dips
            .iter()
            .find(|(x, _)| *x == n)
            .map(|(_, d)| *d)
            .unwrap_or(director_front);
        let _ = writeln!(
            o,
            "[[host]]\nname = \"rs{}\"\nrole = \"real-server\"",
            i + 1
        );
        if !r.tunl.is_empty() {
            let _ = writeln!(o, "modules = [\"ipip\"]");
        }
        let _ = writeln!(o, "iface = [");
        let _ = writeln!(
            o,
            "  {{ name = \"eth0\", segment = {}, addrs = [\"{rip}/24\"] }},",
            lit(&seg_name(n))
        );
        if !r.lo.is_empty() {
            let a: Vec<String> = r.lo.iter().map(|v| format!("{v}/32")).collect();
            let _ = writeln!(o, "  {{ name = \"lo\", addrs = [{}] }},", quoted(&a));
        }
        if !r.tunl.is_empty() {
            let a: Vec<String> = r.tunl.iter().map(|v| format!("{v}/32")).collect();
            let _ = writeln!(o, "  {{ name = \"tunl0\", addrs = [{}] }},", quoted(&a));
        }
        let _ = writeln!(o, "]");
        let _ = writeln!(o, "route = [{{ to = \"default\", via = \"{dip}\" }}]");
        let mut sys: Vec<(String, i64)> = Vec::new();
        if r.modes.contains(&FwdMethod::Tunnel) {
            sys.push(("net.ipv4.conf.all.rp_filter".into(), 0));
            sys.push(("net.ipv4.conf.tunl0.rp_filter".into(), 0));
        }
        if !r.lo.is_empty() || !r.tunl.is_empty() {
            for i in ["all", "eth0"] {
                sys.push((format!("net.ipv4.conf.{i}.arp_ignore"), 1));
                sys.push((format!("net.ipv4.conf.{i}.arp_announce"), 2));
            }
        }
        if !sys.is_empty() {
            let kv: Vec<String> = sys
                .iter()
                .map(|(k, v)| format!("{} = {v}", lit(k)))
                .collect();
            let _ = writeln!(o, "sysctl = {{ {} }}", kv.join(", "));
        }
        let mut servers: Vec<String> = r
            .ports
            .iter()
            .map(|p| format!("{{ port = {p} }}"))
            .collect();
        servers.extend(
            r.udp_ports
                .iter()
                .map(|p| format!("{{ port = {p}, proto = \"udp\" }}")),
        );
        if !servers.is_empty() {
            let _ = writeln!(o, "server = [{}]", servers.join(", "));
        }
        let _ = writeln!(o);
    }

    // A workload to the first TCP service with a usable real server that is a host here.
    let target = table.services.iter().find_map(|s| match s.config.key {
        ServiceKey::Addr {
            proto: Protocol::Tcp,
            addr: IpAddr::V4(a),
            port,
        } if port != 0
            && s.dests.iter().any(|d| {
                d.weight > 0
                    && d.fwd != FwdMethod::Local
                    && matches!(d.addr, IpAddr::V4(r) if rss.contains_key(&r))
            }) =>
        {
            Some(format!("{a}:{port}"))
        }
        _ => None,
    });
    if let Some(target) = target {
        let _ = writeln!(
            o,
            "[[workload]]\nname = \"sequential\"\nclient = \"client\""
        );
        let _ = writeln!(o, "target = \"{target}\"");
        let _ = writeln!(
            o,
            "arrival = \"sequential\"\nthink = \"50ms\"\nconnections = 6"
        );
    }
    o
}
