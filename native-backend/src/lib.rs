//! lvslab library: CLI commands, netlink, apply, serve.

pub mod apply;
pub mod genl;
pub mod live;
pub mod memory;
pub mod plan;
