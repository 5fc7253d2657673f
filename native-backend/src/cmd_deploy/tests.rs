use super::*;
use crate::live::IpvsBackend;
use crate::memory::MemoryIpvs;
use lvslab_sim::admin::ipvsadm::execute_with_stdin;
use lvslab_sim::admin::{IpvsOp, LvsConfig, ServiceConfig, ServiceKey};

fn table(lines: &[&str]) -> LvsConfig {
    let mut t = LvsConfig::default();
    for l in lines {
        assert_eq!(execute_with_stdin(l, "", &mut t).exit_code, 0, "{l}");
    }
    t
}

#[test]
fn fail_at_step_fails_only_that_operation() {
    let mut m = MemoryIpvs::default();
    let key = ServiceKey::Addr {
        proto: lvslab_sim::admin::Protocol::Tcp,
        addr: "10.0.0.1".parse().unwrap(),
        port: 80,
    };
    let mut f = FailAtStep::new(&mut m, 2);
    f.apply_op(&IpvsOp::AddService(ServiceConfig::new(key)))
        .unwrap();
    let e = f.apply_op(&IpvsOp::DelService(key)).unwrap_err();
    assert!(e.to_string().contains("LVSLAB_FAIL_AT_STEP=2"), "{e}");
    f.apply_op(&IpvsOp::DelService(key)).unwrap();
    assert!(m.table().services.is_empty());
}

#[test]
fn save_file_errors_name_the_line() {
    let e = table_from_save(
        "-A -t 10.0.0.1:80 -s rr\n\n-a -t 10.0.0.1:80 -r 1.2.3.4:80 -w 1 -x\n",
        "f.save",
    )
    .unwrap_err();
    assert!(e.starts_with("f.save:3: `-a -t 10.0.0.1:80"), "{e}");
    let e = table_from_save("-a -t 10.0.0.9:80 -r 1.2.3.4:80\n", "f.save").unwrap_err();
    assert!(
        e.starts_with("f.save:1:") && e.contains("Service not defined"),
        "{e}"
    );
}

#[test]
fn live_rules_rebuild_list_order_and_thresholds() {
    // Added rs2, rs3, rs1: the kernel lists rs1 rs3 rs2 (newest first); -S would sort them.
    let t = table(&[
        "-A -t 10.0.0.1:80 -s rr -p 60",
        "-a -t 10.0.0.1:80 -r 192.168.10.12:80 -m -w 3",
        "-a -t 10.0.0.1:80 -r 192.168.10.13:80 -m -w 2 -x 100 -y 10",
        "-a -t 10.0.0.1:80 -r 192.168.10.11:80 -m -w 4",
        "-A -f 7 -s sh -b sh-port",
        "-a -f 7 -r 10.0.0.11:0 -i --tun-type gue --tun-port 6080 --tun-remcsum",
    ]);
    let rules = rules_for_table(&t);
    assert!(rules.contains("-x 100 -y 10"), "{rules}");
    let mut rebuilt = LvsConfig::default();
    for l in rules.lines() {
        let out = execute_with_stdin(l, "", &mut rebuilt);
        assert_eq!(out.exit_code, 0, "{l}: {}", out.stderr);
    }
    assert_eq!(rebuilt, t, "{rules}");
}
