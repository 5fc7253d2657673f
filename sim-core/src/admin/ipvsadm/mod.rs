//! The ipvsadm language, as ipvsadm 1.31 speaks it: command lines become
//! [`IpvsOp`](crate::admin::IpvsOp)s or listing requests ([`parse`]), listings and the
//! kernel's `/proc` files are rendered from an [`IpvsSnapshot`](crate::ipvs::snapshot::IpvsSnapshot)
//! byte for byte ([`render`], [`procfs`]), and [`execute`] runs a command line against
//! anything implementing [`IpvsadmTarget`] with ipvsadm's stdout, stderr and exit status.
//!
//! Known, deliberate differences from a real ipvsadm:
//! * no name resolution: host names are rejected as addresses, listings without `-n`
//!   show numeric addresses and name ports only through a fixed services table;
//! * `/proc/net/ip_vs` needs HZ and the kernel's hash salt ([`procfs::ProcParams`]).

pub mod exec;
pub mod inet;
pub mod parse;
mod popt;
pub mod procfs;
pub mod render;
mod sort;
pub mod words;

#[cfg(test)]
mod tests;

pub use exec::{
    execute, execute_args, execute_with_stdin, kernel_error_message, IpvsadmOutput, IpvsadmTarget,
};
pub use parse::{parse_args, parse_line, Command, CommandLineError, ListFormat, ListWhat};
pub use procfs::{render_proc_ip_vs, render_proc_ip_vs_conn, render_proc_ip_vs_stats, ProcParams};
pub use render::{
    largenum, render_connections, render_daemon, render_list, render_save, render_service,
    render_timeout,
};
