//! Per-node state tables: the ARP cache, and for directors the IPVS table as
//! `ipvsadm -Ln` and `-Lnc` print it.

use lvslab_sim::admin::ipvsadm::{render_connections, render_list, ListFormat};
use lvslab_sim::Simulation;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArpRowView {
    pub iface: String,
    pub ip: String,
    /// None while the entry is unresolved (the UI shows "(incomplete)").
    pub mac: Option<String>,
    pub state: String,
    /// The host owning that MAC, if it is in the scenario.
    pub owner: String,
}

pub fn arp_rows(sim: &Simulation, host: usize) -> Vec<ArpRowView> {
    let Some(h) = sim.hosts.get(host) else {
        return Vec::new();
    };
    h.arp
        .rows()
        .into_iter()
        .map(|r| {
            let owner = r
                .mac
                .and_then(|m| {
                    sim.hosts
                        .iter()
                        .find(|o| o.ifaces.iter().any(|i| i.mac == m))
                        .map(|o| o.name.clone())
                })
                .unwrap_or_default();
            ArpRowView {
                iface: h
                    .ifaces
                    .get(r.iface)
                    .map(|i| i.name.clone())
                    .unwrap_or_default(),
                ip: r.ip.to_string(),
                mac: r.mac.map(|m| m.to_string()),
                state: r.state.to_string(),
                owner,
            }
        })
        .collect()
}

fn numeric() -> ListFormat {
    ListFormat {
        numeric: true,
        ..Default::default()
    }
}

/// `ipvsadm -Ln` on a director; None for hosts without IPVS.
pub fn ipvsadm_ln(sim: &Simulation, host: usize) -> Option<String> {
    let ipvs = sim.hosts.get(host)?.ipvs.as_ref()?;
    Some(render_list(&ipvs.snapshot_services(sim.now()), &numeric()))
}

/// `ipvsadm -Lnc` on a director.
pub fn ipvsadm_lnc(sim: &Simulation, host: usize) -> Option<String> {
    let ipvs = sim.hosts.get(host)?.ipvs.as_ref()?;
    Some(render_connections(&ipvs.snapshot(sim.now()), &numeric()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lvslab_sim::bundled;
    use lvslab_sim::scenario::Scenario;

    #[test]
    fn dr_flux_router_learns_vip_at_a_real_server() {
        let b = bundled::find("dr-arp-flux").unwrap();
        let (mut sim, _) = Scenario::parse(b.name, b.text)
            .unwrap()
            .build(None)
            .unwrap();
        sim.run_until(lvslab_sim::SimTime(1_000_000_000));
        let r = sim.host_index("router").unwrap();
        let rows = arp_rows(&sim, r);
        let vip = rows.iter().find(|x| x.ip == "10.0.0.10").unwrap();
        assert!(vip.owner.starts_with("rs"), "{vip:?}");
        assert!(ipvsadm_ln(&sim, r).is_none());
        let d = sim.host_index("director").unwrap();
        assert!(ipvsadm_ln(&sim, d)
            .unwrap()
            .starts_with("IP Virtual Server version"));
        assert!(ipvsadm_lnc(&sim, d)
            .unwrap()
            .starts_with("IPVS connection entries"));
    }
}
