//! Integration and fidelity tests: one test binary for the whole workspace.

mod support;

mod deploy_apply;
mod deploy_export;
mod deploy_vm;
mod determinism;
mod labs;
mod malformed;
mod pcap_tshark;
