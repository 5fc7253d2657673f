use super::*;
use lvslab_sim::admin::{Protocol, Timeouts, TunCsum};

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

fn service(k: ServiceKey, sched: &str, dests: Vec<DestConfig>) -> VirtualService {
    let mut c = ServiceConfig::new(k);
    c.scheduler = sched.into();
    VirtualService { config: c, dests }
}

fn table(services: Vec<VirtualService>) -> LvsConfig {
    LvsConfig {
        services,
        ..LvsConfig::default()
    }
}

/// The NAT demo of the ground truth: rs1 w4, rs2 w3, rs3 w2 added in that order, so the
/// kernel lists rs3, rs2, rs1.
fn nat_demo() -> LvsConfig {
    table(vec![service(
        key("10.0.0.1", 80),
        "wrr",
        vec![
            dest("192.168.10.13", 2),
            dest("192.168.10.12", 3),
            dest("192.168.10.11", 4),
        ],
    )])
}

fn run(live: &LvsConfig, p: &Plan) -> LvsConfig {
    simulate(live, p).expect("plan applies")
}

use lvslab_sim::admin::VirtualService;

#[test]
fn identical_tables_give_an_empty_plan() {
    let t = nat_demo();
    assert!(plan(&t, &t, false).is_empty());
    assert!(plan(&t, &t, true).is_empty());
    assert!(plan_with(
        &t,
        &t,
        PlanOptions {
            prune: true,
            exact_order: true
        }
    )
    .is_empty());
}

#[test]
fn building_from_empty_adds_dests_in_reverse_so_the_kernel_order_is_the_wanted_one() {
    let want = nat_demo();
    let p = plan(&LvsConfig::default(), &want, false);
    let text = p.to_string();
    assert_eq!(
        text,
        "+ -A -t 10.0.0.1:80 -s wrr\n\
         + -a -t 10.0.0.1:80 -r 192.168.10.11:80 -m -w 4\n\
         + -a -t 10.0.0.1:80 -r 192.168.10.12:80 -m -w 3\n\
         + -a -t 10.0.0.1:80 -r 192.168.10.13:80 -m -w 2\n"
    );
    assert_eq!(run(&LvsConfig::default(), &p), want);
    assert!(p.order_differs.is_empty());
}

#[test]
fn only_what_differs_is_edited() {
    let live = nat_demo();
    let mut want = nat_demo();
    want.services[0].dests[1].weight = 5;
    let p = plan(&live, &want, false);
    assert_eq!(
        p.ops,
        vec![IpvsOp::EditDest(
            key("10.0.0.1", 80),
            dest("192.168.10.12", 5)
        )]
    );
    assert_eq!(
        p.to_string(),
        "~ -e -t 10.0.0.1:80 -r 192.168.10.12:80 -m -w 5\n"
    );

    let mut want = nat_demo();
    want.services[0].config.scheduler = "wlc".into();
    let p = plan(&live, &want, false);
    assert_eq!(p.ops.len(), 1);
    assert_eq!(p.to_string(), "~ -E -t 10.0.0.1:80 -s wlc\n");
}

#[test]
fn a_removed_dest_is_deleted_and_a_new_one_goes_to_the_front() {
    let live = nat_demo();
    let mut want = nat_demo();
    want.services[0].dests.remove(1);
    want.services[0].dests.insert(0, dest("192.168.10.14", 1));
    let p = plan(&live, &want, false);
    assert_eq!(
        p.to_string(),
        "- -d -t 10.0.0.1:80 -r 192.168.10.12:80\n+ -a -t 10.0.0.1:80 -r 192.168.10.14:80 -m -w 1\n"
    );
    assert_eq!(run(&live, &p), want, "the new dest is first, as wanted");
    assert!(p.order_differs.is_empty());
}

#[test]
fn order_that_needs_reinsertion_is_reported_or_fixed_with_exact_order() {
    let live = nat_demo();
    let mut want = nat_demo();
    want.services[0].dests.reverse(); // rs1, rs2, rs3
    let p = plan(&live, &want, false);
    assert!(
        p.is_empty(),
        "same dests, only order differs: nothing is deleted"
    );
    assert_eq!(p.order_differs, vec![key("10.0.0.1", 80)]);

    let p = plan_with(
        &live,
        &want,
        PlanOptions {
            prune: false,
            exact_order: true,
        },
    );
    let got = run(&live, &p);
    assert_eq!(got, want);
    // The live list is rs3, rs2, rs1; the wanted tail "rs3" already stands last in the right
    // place, so only rs1 and rs2 are moved.
    assert_eq!(
        p.ops
            .iter()
            .filter(|o| matches!(o, IpvsOp::DelDest { .. }))
            .count(),
        2
    );
    assert!(p.order_differs.is_empty());
    assert!(plan_with(
        &got,
        &want,
        PlanOptions {
            prune: false,
            exact_order: true
        }
    )
    .is_empty());
}

#[test]
fn unwanted_services_are_deleted_only_with_prune_and_a_changed_key_is_delete_plus_add() {
    let live = nat_demo();
    let mut want = nat_demo();
    want.services[0].config.key = key("10.0.0.1", 8080);
    let p = plan(&live, &want, false);
    assert!(matches!(p.ops[0], IpvsOp::AddService(_)));
    assert!(!p.ops.iter().any(|o| matches!(o, IpvsOp::DelService(_))));
    assert_eq!(run(&live, &p).services.len(), 2);

    let p = plan(&live, &want, true);
    assert_eq!(p.ops[0], IpvsOp::DelService(key("10.0.0.1", 80)));
    assert!(matches!(p.ops[1], IpvsOp::AddService(_)));
    let got = run(&live, &p);
    assert_eq!(got, want);
    assert!(plan(&got, &want, true).is_empty());
}

#[test]
fn timeouts_and_daemons() {
    let live = nat_demo();
    let mut want = nat_demo();
    want.timeouts = Timeouts {
        tcp: 600,
        tcp_fin: 120,
        udp: 300,
    };
    let d = SyncDaemonConfig {
        state: SyncState::Master,
        mcast_ifn: "eth0".into(),
        syncid: 7,
        maxlen: None,
        mcast_group: None,
        mcast_port: None,
        mcast_ttl: None,
    };
    want.daemons.push(d.clone());
    let p = plan(&live, &want, false);
    assert_eq!(
        p.to_string(),
        "~ --set 600 120 300\n+ --start-daemon master --mcast-interface eth0 --syncid 7\n"
    );
    // A running daemon reports the kernel's defaults; unset wanted fields do not count.
    let mut running = want.clone();
    running.daemons[0].mcast_port = Some(8848);
    running.daemons[0].mcast_ttl = Some(1);
    assert!(plan(&running, &want, true).is_empty());
    // A daemon that is not wanted is stopped only with prune.
    assert!(plan(&running, &nat_demo(), false)
        .ops
        .iter()
        .all(|o| !matches!(o, IpvsOp::StopDaemon(_))));
    assert!(plan(&running, &nat_demo(), true)
        .ops
        .contains(&IpvsOp::StopDaemon(SyncState::Master)));
}

#[test]
fn hashed_flag_from_the_kernel_is_not_a_difference() {
    let live = nat_demo();
    let mut want = nat_demo();
    want.services[0].config.flags |= svc_flags::HASHED;
    assert!(plan(&live, &want, false).is_empty());
}

#[test]
fn ipvsadm_syntax_of_every_kind_of_operation() {
    let k = key("10.0.0.2", 443);
    let mut c = ServiceConfig::new(k);
    c.scheduler = "sh".into();
    c.flags = svc_flags::PERSISTENT | svc_flags::SCHED1 | svc_flags::SCHED2;
    c.timeout = 300;
    c.netmask = 0xffff_ff00;
    assert_eq!(
        format_op(&IpvsOp::AddService(c)),
        "-A -t 10.0.0.2:443 -s sh -p 300 -M 255.255.255.0 -b sh-fallback,sh-port"
    );
    let mut gue = DestConfig::new("10.0.0.11".parse().unwrap(), 80).with_fwd(FwdMethod::Tunnel);
    gue.tun_type = TunType::Gue;
    gue.tun_port = 6080;
    gue.tun_csum = TunCsum::Csum;
    gue.u_threshold = 100;
    gue.l_threshold = 50;
    assert_eq!(
        format_op(&IpvsOp::AddDest(key("10.0.0.3", 80), gue)),
        "-a -t 10.0.0.3:80 -r 10.0.0.11:80 -i -w 1 -x 100 -y 50 --tun-type gue --tun-port 6080 --tun-csum"
    );
    let fw = ServiceKey::Fwmark {
        mark: 1,
        family: Family::Inet6,
    };
    assert_eq!(format_op(&IpvsOp::DelService(fw)), "-D -f 1 -6");
    let mut udp = ServiceConfig::new(ServiceKey::Addr {
        proto: Protocol::Udp,
        addr: "10.0.0.5".parse().unwrap(),
        port: 53,
    });
    udp.scheduler = "ovf".into();
    udp.flags = svc_flags::ONEPACKET;
    assert_eq!(
        format_op(&IpvsOp::EditService(udp)),
        "-E -u 10.0.0.5:53 -s ovf -o"
    );
    assert_eq!(format_op(&IpvsOp::Flush), "-C");
    assert_eq!(format_op(&IpvsOp::Zero(Some(k))), "-Z -t 10.0.0.2:443");
    assert_eq!(
        format_op(&IpvsOp::StopDaemon(SyncState::Backup)),
        "--stop-daemon backup"
    );
    assert_eq!(op_sign(&IpvsOp::Flush), '-');
}

#[test]
fn build_plan_reproduces_to_ops() {
    let want = nat_demo();
    assert_eq!(build_plan(&want).ops, want.to_ops());
}
