//! LVS Lab simulator core: a deterministic, packet-level model of Linux Virtual Server
//! clusters (clients, routers, directors running IPVS, real servers).
//!
//! No I/O, no clock, no OS randomness, no threads: the same scenario and seed always
//! produce the same trace. Builds for wasm32 and native.

pub mod admin;
pub mod bundled;
pub mod console;
pub mod engine;
pub mod ha;
pub mod ipvs;
pub mod lesson;
pub mod metrics;
pub mod net;
pub mod rng;
pub mod scenario;
pub mod sweep;
pub mod time;
pub mod trace;
pub mod transport;
pub mod wire;

pub use engine::Simulation;
pub use time::{SimDuration, SimTime};
