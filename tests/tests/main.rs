//! Integration and fidelity tests: one test binary for the whole workspace.

mod support;

mod bulk;
mod capture_replay;
mod console_decisions;
mod console_engine;
mod console_ground_truth;
mod console_sequences;
mod deploy_apply;
mod deploy_export;
mod deploy_vm;
mod determinism;
mod ha_checker;
mod ha_sync;
mod ha_vrrp;
mod icmp;
mod ipvs_memory;
mod ipvs_scenarios;
mod keepalived_conf;
mod labs;
mod lessons;
mod malformed;
mod pcap_tshark;
mod queueing_theory;
mod sweep;
mod web_lab;
mod web_serve;
