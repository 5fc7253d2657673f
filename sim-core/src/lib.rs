//! LVS Lab simulator core: a deterministic, packet-level model of Linux Virtual Server
//! clusters (clients, routers, directors running IPVS, real servers).
//!
//! No I/O, no clock, no OS randomness, no threads: the same scenario and seed always
//! produce the same trace. Builds for wasm32 and native.

pub mod admin;
pub mod ipvs;
pub mod rng;
pub mod time;
pub mod wire;

pub use time::{SimDuration, SimTime};
