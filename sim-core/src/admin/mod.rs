//! Administration: the shared `LvsConfig`, the ipvsadm language and text formats,
//! keepalived.conf and real-server scripts.

pub mod config;
pub mod export;
pub mod ipvsadm;
pub mod keepalived;

pub use config::*;

use crate::ipvs::snapshot::IpvsSnapshot;

/// `ipvsadm -Ln` text of a snapshot.
pub fn render_list(snap: &IpvsSnapshot) -> String {
    ipvsadm::render::render_list(
        snap,
        &ipvsadm::parse::ListFormat {
            numeric: true,
            ..Default::default()
        },
    )
}
