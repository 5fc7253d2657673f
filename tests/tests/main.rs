//! Integration and fidelity tests: one test binary for the whole workspace.

mod support;

mod console_decisions;
mod console_engine;
mod console_ground_truth;
mod console_sequences;
mod determinism;
mod icmp;
mod ipvs_memory;
mod ipvs_scenarios;
mod labs;
mod malformed;
mod pcap_tshark;
