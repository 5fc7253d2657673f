//! Integration and fidelity tests: one test binary for the whole workspace.

mod support;

mod determinism;
mod icmp;
mod labs;
mod malformed;
mod pcap_tshark;
