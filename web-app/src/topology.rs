//! The topology drawing's view model: hosts in columns by role (clients, routers, directors,
//! real servers), segments as vertical buses between columns, and the polyline a frame
//! follows from one host's interface to another's.

use lvslab_sim::admin::ServiceKey;
use lvslab_sim::net::host::Role;
use lvslab_sim::net::IfaceKind;
use lvslab_sim::Simulation;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

pub const COL_W: f64 = 275.0;
pub const ROW_H: f64 = 118.0;
pub const NODE_W: f64 = 208.0;
pub const MARGIN: f64 = 24.0;

/// An address with the role it plays in LVS terms.
#[derive(Clone, Debug, PartialEq)]
pub struct AddrLabel {
    /// "CIP", "VIP", "DIP", "RIP" or "" for plain router addresses.
    pub tag: &'static str,
    pub addr: String,
    /// The interface, e.g. "lo" for a DR real server's VIP.
    pub iface: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeView {
    pub idx: usize,
    pub name: String,
    pub role: Role,
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub labels: Vec<AddrLabel>,
}

impl NodeView {
    pub fn cx(&self) -> f64 {
        self.x + self.w / 2.0
    }
    pub fn cy(&self) -> f64 {
        self.y + self.h / 2.0
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct BusView {
    pub seg: usize,
    pub name: String,
    pub x: f64,
    pub y0: f64,
    pub y1: f64,
}

/// A host interface plugged into a segment.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkView {
    pub node: usize,
    pub iface: String,
    pub seg: usize,
    /// Where the link leaves the host box.
    pub x_host: f64,
    pub y: f64,
    pub x_bus: f64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Topology {
    pub nodes: Vec<NodeView>,
    pub buses: Vec<BusView>,
    pub links: Vec<LinkView>,
    pub width: f64,
    pub height: f64,
    by_name: BTreeMap<String, usize>,
}

fn column(role: Role) -> usize {
    match role {
        Role::Client => 0,
        Role::Router | Role::Host => 1,
        Role::Director => 2,
        Role::RealServer => 3,
    }
}

/// Every virtual service address of every director.
pub fn virtual_addrs(sim: &Simulation) -> BTreeSet<Ipv4Addr> {
    let mut v = BTreeSet::new();
    // keepalived's VIPs (and floating DIPs) move between directors.
    for k in &sim.keepalived {
        for i in &k.instances {
            for (c, _) in &i.vips {
                v.insert(c.addr);
            }
        }
    }
    for h in &sim.hosts {
        if let Some(ipvs) = &h.ipvs {
            for s in &ipvs.config().services {
                if let ServiceKey::Addr {
                    addr: IpAddr::V4(a),
                    ..
                } = s.config.key
                {
                    v.insert(a);
                }
            }
        }
    }
    v
}

fn labels(sim: &Simulation, host: usize, vips: &BTreeSet<Ipv4Addr>) -> Vec<AddrLabel> {
    let h = &sim.hosts[host];
    let mut out = Vec::new();
    for i in &h.ifaces {
        for c in &i.addrs {
            if c.addr.is_loopback() {
                continue;
            }
            let tag = if vips.contains(&c.addr) {
                "VIP"
            } else if i.kind != IfaceKind::Ethernet {
                ""
            } else {
                match h.role {
                    Role::Client => "CIP",
                    Role::Director => "DIP",
                    Role::RealServer => "RIP",
                    Role::Router | Role::Host => "",
                }
            };
            out.push(AddrLabel {
                tag,
                addr: c.addr.to_string(),
                iface: i.name.clone(),
            });
        }
    }
    out
}

/// A host's addresses now (keepalived moves VIPs), labelled with their LVS roles.
pub fn live_labels(sim: &Simulation, host: usize, vips: &BTreeSet<Ipv4Addr>) -> Vec<AddrLabel> {
    let mut v = labels(sim, host, vips);
    // A crashed director still has keepalived's addresses configured, but holds nothing:
    // only the host that answers for a moving address is drawn with it.
    if !sim.hosts[host].up {
        let moving: BTreeSet<String> = sim
            .keepalived
            .iter()
            .flat_map(|k| k.instances.iter().flat_map(|i| i.vips.iter()))
            .map(|(c, _)| c.addr.to_string())
            .collect();
        v.retain(|l| !moving.contains(&l.addr));
    }
    v
}

/// Each VRRP instance on a host and its state now: (instance, state).
pub fn vrrp_badges(sim: &Simulation, host: usize) -> Vec<(String, &'static str)> {
    sim.keepalived
        .iter()
        .filter(|k| k.host == host)
        .flat_map(|k| {
            k.instances.iter().map(move |i| {
                let st = if k.running && sim.hosts[host].up {
                    i.vrrp.state.name()
                } else {
                    "STOPPED"
                };
                (i.vrrp.p.name.clone(), st)
            })
        })
        .collect()
}

impl Topology {
    pub fn from_sim(sim: &Simulation) -> Topology {
        let vips = virtual_addrs(sim);
        // Rows: directors above real servers so buses to real servers pass beside the
        // directors' boxes; clients and routers centred.
        let mut per_col: [Vec<usize>; 4] = Default::default();
        for (i, h) in sim.hosts.iter().enumerate() {
            per_col[column(h.role)].push(i);
        }
        let right_rows = per_col[2].len() + per_col[3].len();
        let rows_total = right_rows
            .max(per_col[0].len())
            .max(per_col[1].len())
            .max(1);
        let mut nodes = Vec::new();
        for (col, members) in per_col.iter().enumerate() {
            let first_row = match col {
                2 => 0.0,
                3 => per_col[2].len() as f64,
                _ => (rows_total as f64 - members.len() as f64) / 2.0,
            };
            for (k, &i) in members.iter().enumerate() {
                let labels = labels(sim, i, &vips);
                // Room for keepalived's addresses (not there at start on a backup) and one
                // VRRP state line per instance.
                let extra = sim
                    .keepalived
                    .iter()
                    .filter(|k| k.host == i)
                    .map(|k| {
                        let moving = k
                            .instances
                            .iter()
                            .flat_map(|x| x.vips.iter())
                            .filter(|(c, _)| !labels.iter().any(|l| l.addr == c.addr.to_string()))
                            .count();
                        moving + k.instances.len()
                    })
                    .sum::<usize>();
                let h = 34.0 + 17.0 * (labels.len() + extra).max(1) as f64;
                let row = first_row + k as f64;
                nodes.push(NodeView {
                    idx: i,
                    name: sim.hosts[i].name.clone(),
                    role: sim.hosts[i].role,
                    x: MARGIN + col as f64 * COL_W,
                    y: MARGIN + 20.0 + row * ROW_H + (ROW_H - 20.0 - h).max(0.0) / 2.0,
                    w: NODE_W,
                    h,
                    labels,
                });
            }
        }
        nodes.sort_by_key(|n| n.idx);
        let by_name = nodes
            .iter()
            .map(|n| (n.name.clone(), n.idx))
            .collect::<BTreeMap<_, _>>();

        // Bus x: between the leftmost column of its hosts and the next column that has one.
        let mut seg_cols: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
        let mut seg_ys: BTreeMap<usize, Vec<f64>> = BTreeMap::new();
        for (i, h) in sim.hosts.iter().enumerate() {
            for ifc in &h.ifaces {
                if let Some((seg, _)) = ifc.attachment {
                    seg_cols.entry(seg).or_default().insert(column(h.role));
                    seg_ys.entry(seg).or_default().push(nodes[i].cy());
                }
            }
        }
        let mut buses = Vec::new();
        let mut taken: BTreeMap<i64, usize> = BTreeMap::new();
        for (seg, cols) in &seg_cols {
            let mut it = cols.iter();
            let a = *it.next().unwrap_or(&0) as f64;
            let b = it.next().map(|c| *c as f64).unwrap_or(a + 1.0);
            let mut x = MARGIN + NODE_W + a * COL_W + ((b - a) * COL_W - NODE_W) / 2.0;
            // Two buses in the same gap are pulled apart.
            let key = x.round() as i64;
            let n = taken.entry(key).or_insert(0);
            x += match *n {
                0 => 0.0,
                k => {
                    let off = 22.0 * k.div_ceil(2) as f64;
                    if k % 2 == 1 {
                        off
                    } else {
                        -off
                    }
                }
            };
            *n += 1;
            let ys = &seg_ys[seg];
            let y0 = ys.iter().cloned().fold(f64::INFINITY, f64::min) - 16.0;
            let y1 = ys.iter().cloned().fold(f64::NEG_INFINITY, f64::max) + 16.0;
            buses.push(BusView {
                seg: *seg,
                name: sim.world.segments[*seg].name.clone(),
                x,
                y0,
                y1,
            });
        }
        let mut links = Vec::new();
        for (i, h) in sim.hosts.iter().enumerate() {
            let attached: Vec<_> = h.ifaces.iter().filter(|f| f.attachment.is_some()).collect();
            let n = attached.len();
            for (k, ifc) in attached.iter().enumerate() {
                let (seg, _) = ifc.attachment.unwrap_or((0, 0));
                let Some(bus) = buses.iter().find(|b| b.seg == seg) else {
                    continue;
                };
                let node = &nodes[i];
                let x_host = if bus.x < node.cx() {
                    node.x
                } else {
                    node.x + node.w
                };
                let y = node.y + node.h * (k as f64 + 1.0) / (n as f64 + 1.0);
                links.push(LinkView {
                    node: i,
                    iface: ifc.name.clone(),
                    seg,
                    x_host,
                    y,
                    x_bus: bus.x,
                });
            }
        }
        // Buses reach every link.
        for b in &mut buses {
            for l in links.iter().filter(|l| l.seg == b.seg) {
                b.y0 = b.y0.min(l.y - 12.0);
                b.y1 = b.y1.max(l.y + 12.0);
            }
        }
        let width = nodes
            .iter()
            .map(|n| n.x + n.w)
            .fold(0.0, f64::max)
            .max(buses.iter().map(|b| b.x).fold(0.0, f64::max))
            + MARGIN;
        let height = nodes
            .iter()
            .map(|n| n.y + n.h)
            .fold(0.0, f64::max)
            .max(buses.iter().map(|b| b.y1).fold(0.0, f64::max))
            + MARGIN;
        Topology {
            nodes,
            buses,
            links,
            width,
            height,
            by_name,
        }
    }

    pub fn node_index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    pub fn link(&self, node: usize, iface: &str) -> Option<&LinkView> {
        self.links
            .iter()
            .find(|l| l.node == node && l.iface == iface)
    }

    /// The path of a frame sent by `from` on `from_iface` and received by `to` on `to_iface`.
    pub fn path(
        &self,
        from: usize,
        from_iface: &str,
        to: Option<(usize, &str)>,
    ) -> Option<Vec<(f64, f64)>> {
        let a = self.link(from, from_iface)?;
        let mut p = vec![(a.x_host, a.y), (a.x_bus, a.y)];
        match to.and_then(|(n, i)| self.link(n, i)) {
            Some(b) => {
                p.push((b.x_bus, b.y));
                p.push((b.x_host, b.y));
            }
            None => {
                // Nobody received it: it dies on the bus.
                p.push((a.x_bus, a.y + 14.0));
            }
        }
        Some(p)
    }
}

/// The point a fraction `f` (0..=1) of the way along a polyline.
pub fn point_along(path: &[(f64, f64)], f: f64) -> (f64, f64) {
    if path.is_empty() {
        return (0.0, 0.0);
    }
    let seg_len = |a: (f64, f64), b: (f64, f64)| ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
    let total: f64 = path.windows(2).map(|w| seg_len(w[0], w[1])).sum();
    if total <= 0.0 {
        return path[0];
    }
    let mut left = f.clamp(0.0, 1.0) * total;
    for w in path.windows(2) {
        let l = seg_len(w[0], w[1]);
        if left <= l && l > 0.0 {
            let k = left / l;
            return (
                w[0].0 + (w[1].0 - w[0].0) * k,
                w[0].1 + (w[1].1 - w[0].1) * k,
            );
        }
        left -= l;
    }
    *path.last().unwrap_or(&(0.0, 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lvslab_sim::bundled;
    use lvslab_sim::scenario::Scenario;

    fn topo(name: &str) -> Topology {
        let b = bundled::find(name).unwrap();
        let (sim, _) = Scenario::parse(b.name, b.text)
            .unwrap()
            .build(None)
            .unwrap();
        Topology::from_sim(&sim)
    }

    #[test]
    fn dr_lab_labels_and_links() {
        let t = topo("dr-lab");
        let rs1 = &t.nodes[t.node_index("rs1").unwrap()];
        assert!(rs1
            .labels
            .iter()
            .any(|l| l.tag == "RIP" && l.addr == "10.0.0.11"));
        assert!(rs1
            .labels
            .iter()
            .any(|l| l.tag == "VIP" && l.iface == "lo" && l.addr == "10.0.0.10"));
        let d = &t.nodes[t.node_index("director").unwrap()];
        assert!(d.labels.iter().any(|l| l.tag == "DIP"));
        assert!(d.labels.iter().any(|l| l.tag == "VIP"));
        let c = &t.nodes[t.node_index("client").unwrap()];
        assert_eq!(c.labels[0].tag, "CIP");
        assert_eq!(t.buses.len(), 2);
        assert_eq!(t.links.len(), 6);
        // The director sits left of the real servers.
        assert!(d.x < rs1.x);
    }

    #[test]
    fn tun_buses_do_not_overlap() {
        let t = topo("tun-lab");
        let xs: BTreeSet<i64> = t.buses.iter().map(|b| b.x.round() as i64).collect();
        assert_eq!(xs.len(), t.buses.len());
    }

    #[test]
    fn path_goes_host_bus_host() {
        let t = topo("nat-lab");
        let c = t.node_index("client").unwrap();
        let d = t.node_index("director").unwrap();
        let p = t.path(c, "eth0", Some((d, "eth0"))).unwrap();
        assert_eq!(p.len(), 4);
        assert_eq!(p[1].0, p[2].0);
        let mid = point_along(&p, 0.5);
        assert!(mid.0 >= p[0].0 && mid.0 <= p[3].0);
        assert_eq!(point_along(&p, 0.0), p[0]);
        assert_eq!(point_along(&p, 1.0), p[3]);
    }
}
