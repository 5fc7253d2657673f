//! Administration: the shared `LvsConfig`, the ipvsadm language and text formats,
//! keepalived.conf and real-server scripts.

pub mod config;
pub mod ipvsadm;

pub use config::*;

use crate::ipvs::snapshot::IpvsSnapshot;

/// `ipvsadm -Ln` text of a snapshot.
pub fn render_list(snap: &IpvsSnapshot) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(s, "IP Virtual Server version 1.2.1 (size={})", snap.conn_tab_size);
    let _ = writeln!(s, "Prot LocalAddress:Port Scheduler Flags");
    let _ = writeln!(s, "  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn");
    for svc in &snap.services {
        let name = match svc.config.key {
            ServiceKey::Addr { proto, addr, port } => format!("{:<4} {}", proto.name(), format_addr_port(&addr, port)),
            ServiceKey::Fwmark { mark, .. } => format!("FWM  {mark}"),
        };
        let _ = writeln!(s, "{} {}", name, svc.config.scheduler);
        for d in &svc.dests {
            let _ = writeln!(
                s,
                "  -> {:<28} {:<7} {:<6} {:<10} {:<10}",
                format_addr_port(&d.config.addr, d.config.port),
                d.config.fwd.name(),
                d.config.weight,
                d.active,
                d.inactive
            );
        }
    }
    s
}
