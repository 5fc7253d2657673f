//! Administration: the shared `LvsConfig`, the ipvsadm language and text formats,
//! keepalived.conf and real-server scripts.

pub mod config;
pub mod ipvsadm;

pub use config::*;
