//! Integration and fidelity tests: one test binary for the whole workspace.

mod support;

mod determinism;
mod keepalived_conf;
mod labs;
mod malformed;
mod pcap_tshark;
