//! The `lvslab` command line: run, check, export, apply, import and serve. Everything that
//! touches the OS lives here; the model itself is in `lvslab-sim`.

pub mod apply;
pub mod capture;
pub mod cmd_bench;
pub mod cmd_console;
pub mod cmd_deploy;
pub mod cmd_lesson;
pub mod cmd_run;
pub mod cmd_sweep;
pub mod genl;
pub mod live;
pub mod memory;
pub mod pcap_out;
pub mod plan;
pub mod scenario_io;
pub mod serve;
pub mod sweep_plot;
