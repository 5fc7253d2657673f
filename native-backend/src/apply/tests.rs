use super::*;
use crate::live::{EINVAL, ENOENT};
use crate::memory::MemoryIpvs;
use crate::plan::plan;
use lvslab_sim::admin::{
    DestConfig, FwdMethod, Protocol, ServiceConfig, ServiceKey, Timeouts, VirtualService,
};
use proptest::prelude::*;

fn key(vip: &str, port: u16) -> ServiceKey {
    ServiceKey::Addr {
        proto: Protocol::Tcp,
        addr: vip.parse().unwrap(),
        port,
    }
}

fn dest(ip: &str, w: i32) -> DestConfig {
    DestConfig::new(ip.parse().unwrap(), 80)
        .with_fwd(FwdMethod::Masq)
        .with_weight(w)
}

fn svc(k: ServiceKey, sched: &str, dests: Vec<DestConfig>) -> VirtualService {
    let mut c = ServiceConfig::new(k);
    c.scheduler = sched.into();
    VirtualService { config: c, dests }
}

fn live_table() -> LvsConfig {
    LvsConfig {
        services: vec![
            svc(
                key("10.0.0.1", 80),
                "wrr",
                vec![
                    dest("192.168.10.13", 2),
                    dest("192.168.10.12", 3),
                    dest("192.168.10.11", 4),
                ],
            ),
            svc(key("10.0.0.9", 25), "rr", vec![dest("192.168.10.21", 1)]),
        ],
        timeouts: Timeouts {
            tcp: 900,
            tcp_fin: 120,
            udp: 300,
        },
        daemons: vec![],
    }
}

fn wanted() -> LvsConfig {
    LvsConfig {
        services: vec![
            svc(
                key("10.0.0.1", 80),
                "wlc",
                vec![
                    dest("192.168.10.14", 1),
                    dest("192.168.10.12", 5),
                    dest("192.168.10.11", 4),
                ],
            ),
            svc(
                key("10.0.0.2", 443),
                "rr",
                vec![dest("192.168.10.31", 1), dest("192.168.10.32", 1)],
            ),
        ],
        timeouts: Timeouts {
            tcp: 600,
            tcp_fin: 120,
            udp: 300,
        },
        daemons: vec![],
    }
}

#[test]
fn apply_succeeds_verifies_and_is_idempotent() {
    let mut m = MemoryIpvs::new(live_table());
    let report = apply(&mut m, &wanted(), false).expect("applies");
    assert!(!report.dry_run);
    assert_eq!(report.before, live_table());
    assert_eq!(report.after, *m.table());
    assert_eq!(m.ops_seen(), report.plan.len());
    // Unnamed service 10.0.0.9:25 stays without prune.
    assert!(m.table().service(&key("10.0.0.9", 25)).is_some());
    assert_eq!(
        m.table().service(&key("10.0.0.1", 80)).unwrap().dests,
        wanted().services[0].dests
    );
    assert!(
        plan(m.table(), &wanted(), false).is_empty(),
        "a second plan is empty"
    );
    let again = apply(&mut m, &wanted(), false).unwrap();
    assert!(again.plan.is_empty());
    assert!(again.to_string().contains("nothing to do"));

    let report = apply(&mut m, &wanted(), true).unwrap();
    assert_eq!(
        report.plan.ops,
        vec![IpvsOp::DelService(key("10.0.0.9", 25))]
    );
    assert!(differences(m.table(), &wanted(), true, true).is_empty());
}

#[test]
fn dry_run_changes_nothing_and_predicts_the_result() {
    let mut m = MemoryIpvs::new(live_table());
    let report = dry_run(&mut m, &wanted(), true).unwrap();
    assert!(report.dry_run);
    assert_eq!(m.ops_seen(), 0);
    assert_eq!(*m.table(), live_table());
    assert!(differences(&report.after, &wanted(), true, true).is_empty());
    assert!(report
        .to_string()
        .starts_with("~ --set 600 120 300\n- -D -t 10.0.0.9:25\n"));
}

#[test]
fn a_failure_mid_apply_rolls_back_to_the_exact_starting_state() {
    let n = plan(&live_table(), &wanted(), true).len();
    assert!(n >= 6);
    for nth in 1..=n {
        let mut m = MemoryIpvs::new(live_table());
        m.fail_op(nth, EINVAL);
        let err = apply(&mut m, &wanted(), true).unwrap_err();
        let ApplyError::Aborted {
            failure,
            applied,
            rollback,
            ..
        } = &err
        else {
            panic!("{err}")
        };
        assert_eq!(*applied, nth - 1);
        assert!(matches!(failure, ApplyFailure::Step { index, .. } if *index == nth - 1));
        assert!(
            matches!(rollback, RollbackOutcome::Restored { .. }),
            "{err}"
        );
        assert_eq!(
            *m.table(),
            live_table(),
            "exact state, list order included (step {nth})"
        );
        let text = err.to_string();
        assert!(text.contains(&format!("step {nth} (")), "{text}");
        assert!(text.contains("rolled back"), "{text}");
    }
}

#[test]
fn a_lost_operation_fails_verification_and_is_rolled_back() {
    let mut m = MemoryIpvs::new(live_table());
    m.lose_op(3);
    let err = apply(&mut m, &wanted(), false).unwrap_err();
    let ApplyError::Aborted {
        failure: ApplyFailure::Verify(diffs),
        rollback,
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert!(!diffs.is_empty());
    assert!(matches!(rollback, RollbackOutcome::Restored { .. }));
    assert_eq!(*m.table(), live_table());
}

#[test]
fn a_failing_rollback_is_reported() {
    let mut m = MemoryIpvs::new(live_table());
    m.fail_op(4, EINVAL).fail_op(5, ENOENT);
    let err = apply(&mut m, &wanted(), false).unwrap_err();
    let ApplyError::Aborted {
        rollback: RollbackOutcome::Failed {
            steps_done, reason, ..
        },
        ..
    } = &err
    else {
        panic!("{err}")
    };
    assert_eq!(*steps_done, 0);
    assert!(reason.contains("rollback step 1"), "{reason}");
    assert!(err.to_string().contains("ROLLBACK FAILED"));
}

#[test]
fn the_kernel_rules_refuse_a_bad_plan_before_anything_changes() {
    let mut want = wanted();
    want.services[1].config.scheduler = "nosuch".into();
    let mut m = MemoryIpvs::new(live_table());
    let err = apply(&mut m, &want, false).unwrap_err();
    assert!(matches!(
        err,
        ApplyError::Aborted {
            failure: ApplyFailure::Refused { .. },
            applied: 0,
            rollback: RollbackOutcome::NothingChanged,
            ..
        }
    ));
    assert_eq!(m.ops_seen(), 0);
}

#[test]
fn an_unreadable_table_changes_nothing() {
    let mut m = MemoryIpvs::new(live_table());
    m.fail_reads_from(1);
    assert!(matches!(
        apply(&mut m, &wanted(), false),
        Err(ApplyError::Read(_))
    ));
    assert_eq!(m.ops_seen(), 0);
}

// ---------------------------------------------------------------------------------------------
// Random tables: planning converges, exact order is exact, rollback restores.

fn arb_dests() -> impl Strategy<Value = Vec<DestConfig>> {
    proptest::sample::subsequence((11u8..19).collect::<Vec<_>>(), 0..6)
        .prop_flat_map(|hosts| {
            let n = hosts.len();
            (Just(hosts), proptest::collection::vec(0i32..4, n))
        })
        .prop_map(|(hosts, weights)| {
            hosts
                .into_iter()
                .zip(weights)
                .map(|(h, w)| dest(&format!("192.168.10.{h}"), w))
                .collect::<Vec<_>>()
        })
        .prop_shuffle()
}

fn arb_table() -> impl Strategy<Value = LvsConfig> {
    proptest::collection::vec(
        (
            1u16..4,
            prop::sample::select(vec!["rr", "wrr", "wlc"]),
            arb_dests(),
        ),
        0..4,
    )
    .prop_map(|svcs| {
        let mut services: Vec<VirtualService> = Vec::new();
        for (port, sched, dests) in svcs {
            if services
                .iter()
                .any(|s| s.config.key == key("10.0.0.1", port))
            {
                continue;
            }
            services.push(svc(key("10.0.0.1", port), sched, dests));
        }
        LvsConfig {
            services,
            ..LvsConfig::default()
        }
    })
}

fn by_key(t: &LvsConfig) -> LvsConfig {
    let mut t = t.clone();
    t.services.sort_by_key(|s| s.config.key);
    t
}

proptest! {
    #[test]
    fn planning_converges(live in arb_table(), want in arb_table(), prune: bool, exact: bool) {
        let opts = crate::plan::PlanOptions { prune, exact_order: exact };
        let p = crate::plan::plan_with(&live, &want, opts);
        let got = crate::plan::simulate(&live, &p).expect("plans only use valid operations");
        prop_assert!(differences(&got, &want, prune, exact).is_empty());
        prop_assert!(crate::plan::plan_with(&got, &want, opts).is_empty());
        if p.order_differs.is_empty() {
            prop_assert!(differences(&got, &want, prune, true).is_empty());
        }
    }

    #[test]
    fn any_failing_step_is_rolled_back(live in arb_table(), want in arb_table(), nth in 1usize..12) {
        let mut m = MemoryIpvs::new(live.clone());
        m.fail_op(nth, EINVAL);
        match apply(&mut m, &want, true) {
            Ok(_) => prop_assert!(nth > m.ops_seen()),
            Err(ApplyError::Aborted { rollback, .. }) => {
                let restored = matches!(rollback, RollbackOutcome::Restored { .. });
                prop_assert!(restored);
                // Service order is creation order in the model but not something the kernel
                // exposes (dumps follow its hash table), so compare services by key.
                prop_assert_eq!(by_key(m.table()), by_key(&live));
            }
            Err(e) => prop_assert!(false, "{e}"),
        }
    }
}
