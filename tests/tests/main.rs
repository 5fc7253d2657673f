//! Integration and fidelity tests.

mod pcap_tshark;
