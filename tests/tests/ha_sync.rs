//! The IPVS connection sync daemon under keepalived: with it, connections established
//! through the old master survive a failover; without it they are lost. The report counts
//! both.

use crate::support::run;

#[test]
fn with_the_sync_daemon_established_connections_survive_the_failover() {
    let (sim, r) = run("ha-failover-sync", None, true);
    assert_eq!(r.failovers.len(), 1, "{:?}", r.failovers);
    let f = &r.failovers[0];
    assert_eq!((f.from.as_str(), f.to.as_str()), ("ld1", "ld2"));
    assert!(f.established >= 10, "{f:?}");
    // Only connections opened in the last ~2-3 s before the crash were not synced yet.
    assert!(f.survived * 10 >= f.established * 8, "{f:?}");
    // The master multicast sync messages to 224.0.0.81:8848 from its inside address.
    let syncs = sim
        .world
        .trace
        .records
        .iter()
        .filter(|t| t.node == "ld1" && t.summary.contains("172.18.1.1:8848 > 224.0.0.81:8848"))
        .count();
    assert!(syncs > 0);
    assert!(sim.sync_senders[&sim.host_index("ld1").unwrap()].entries_sent >= f.survived);
}

#[test]
fn without_the_sync_daemon_established_connections_are_lost() {
    let (_, r) = run("ha-failover-nosync", None, false);
    assert_eq!(r.failovers.len(), 1);
    let f = &r.failovers[0];
    assert!(f.established >= 10, "{f:?}");
    assert_eq!(f.survived, 0, "{f:?}");
    assert_eq!(f.lost, f.established);
    // New connections after the takeover work.
    assert!(r.requests.completed > r.requests.failed);
}

#[test]
fn same_traffic_same_takeover_with_and_without_sync() {
    let (_, a) = run("ha-failover-sync", None, false);
    let (_, b) = run("ha-failover-nosync", None, false);
    assert_eq!(a.failovers[0].t, b.failovers[0].t);
    assert_eq!(a.failovers[0].established, b.failovers[0].established);
}
