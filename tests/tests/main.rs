//! Integration and fidelity tests: one test binary for the whole workspace.

mod support;

mod determinism;
mod ha_checker;
mod ha_sync;
mod ha_vrrp;
mod keepalived_conf;
mod labs;
mod malformed;
mod pcap_tshark;
