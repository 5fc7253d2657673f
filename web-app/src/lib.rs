//! The browser lab: a Yew app over the simulator. Built for wasm32 by `cargo xtask dist`.
//!
//! Everything but `ui` is plain Rust, testable natively: the driver that owns the running
//! simulation, and the view models (topology, frames in flight, inspector, comparisons,
//! tables, console, charts and their CSV, what-if and its sweeps, exports).

pub mod catalog;
pub mod chart_export;
pub mod charts;
pub mod compare;
pub mod console;
pub mod controls;
pub mod driver;
pub mod exports;
pub mod flights;
pub mod inspector;
pub mod lesson_run;
pub mod packet_log;
pub mod sampling;
pub mod share;
pub mod tables;
pub mod timeline;
pub mod topology;
pub mod whatif;
pub mod whatif_sweep;

#[cfg(target_arch = "wasm32")]
mod ui;
