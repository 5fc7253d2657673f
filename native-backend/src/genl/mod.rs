//! The kernel's IPVS generic-netlink family (include/uapi/linux/ip_vs.h, ip_vs_ctl.c):
//! message and attribute types, conversions to the shared model, and the `NetlinkIpvs`
//! client. Built on netlink-packet-core / netlink-packet-generic, sent over netlink-sys.

pub mod attrs;
pub mod client;
pub mod convert;
pub mod ctrl;
pub mod message;
pub mod value;

pub use attrs::{
    Counter, CounterValue, DaemonAttr, DestAttr, IpvsAttr, StatsAttr, SvcAttr, SvcFlags,
};
pub use client::{NetlinkIpvs, SocketTransport, Transport};
pub use convert::IpvsInfo;
pub use message::{IpvsCmd, IpvsMessage, FAMILY_NAME, FAMILY_VERSION};
pub use value::InetAddr;

#[cfg(test)]
mod fake_kernel;
#[cfg(test)]
mod tests;
