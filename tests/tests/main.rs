//! Integration and fidelity tests: one test binary for the whole workspace.

mod support;

mod determinism;
mod labs;
mod malformed;
mod pcap_tshark;
mod web_lab;
mod web_serve;
