//! `lvslab apply` and `lvslab import` through the command's own code path, against an
//! in-memory IPVS table with injected faults, and `--dry-run` on this machine.

use crate::support::{lvslab_run, root, scenario, tmp};
use lvslab::cmd_deploy::{self, ApplyArgs, ImportArgs, ImportSource, Io};
use lvslab::live::IpvsBackend;
use lvslab::memory::MemoryIpvs;
use lvslab_sim::admin::ipvsadm::execute_with_stdin;
use lvslab_sim::admin::LvsConfig;

struct Run {
    code: i32,
    out: String,
    err: String,
}

fn apply(args: ApplyArgs, mem: &mut MemoryIpvs) -> Run {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cmd_deploy::apply(
        &args,
        Some(mem as &mut dyn IpvsBackend),
        &mut Io {
            out: &mut out,
            err: &mut err,
        },
    )
    .unwrap();
    Run {
        code,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
    }
}

fn args(sc: &str) -> ApplyArgs {
    ApplyArgs {
        scenario: sc.into(),
        ..ApplyArgs::default()
    }
}

fn table(lines: &str) -> LvsConfig {
    let mut t = LvsConfig::default();
    for l in lines.lines() {
        assert_eq!(execute_with_stdin(l, "", &mut t).exit_code, 0, "{l}");
    }
    t
}

fn design(sc: &str) -> LvsConfig {
    scenario(sc).director_tables().unwrap()[0].config.clone()
}

#[test]
fn apply_prints_the_plan_applies_and_a_second_apply_plans_nothing() {
    let mut mem = MemoryIpvs::default();
    let r = apply(args("vm-nat"), &mut mem);
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(
        r.out,
        "director `director` of scenarios/vm-nat.toml -> in-memory IPVS table\n\
         plan: 4 operation(s)\n\
         + -A -t 10.0.0.1:80 -s wrr\n\
         + -a -t 10.0.0.1:80 -r 192.168.10.11:80 -m -w 4\n\
         + -a -t 10.0.0.1:80 -r 192.168.10.12:80 -m -w 3\n\
         + -a -t 10.0.0.1:80 -r 192.168.10.13:80 -m -w 2\n\
         applied 4 operation(s); read back 1 service(s) with 3 real server(s): the table matches the design\n"
    );
    assert_eq!(mem.table(), &design("vm-nat"), "kernel list order too");
    let ops = mem.ops_seen();
    let r = apply(args("vm-nat"), &mut mem);
    assert_eq!(r.code, 0);
    assert!(
        r.out.contains(
            "plan: no changes\nthe live table already matches the design: nothing to do\n"
        ),
        "{}",
        r.out
    );
    assert_eq!(mem.ops_seen(), ops, "an idempotent apply sends nothing");
}

#[test]
fn an_injected_failure_rolls_back_to_the_table_as_it_was() {
    let before = table(
        "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 192.168.10.11:80 -m -w 1\n-A -t 10.0.0.1:8080 -s rr\n",
    );
    let mut mem = MemoryIpvs::new(before.clone());
    let r = apply(
        ApplyArgs {
            prune: true,
            fail_at_step: Some(3),
            ..args("vm-nat")
        },
        &mut mem,
    );
    assert_eq!(r.code, cmd_deploy::EXIT_REFUSED, "{}\n{}", r.out, r.err);
    // prune deletes :8080, switches rr -> wrr, reweights rs1, then adds rs2 and rs3
    assert!(r.out.contains("plan: 5 operation(s) (--prune"), "{}", r.out);
    assert!(
        r.err.contains(
            "apply FAILED: step 3 (~ -e -t 10.0.0.1:80 -r 192.168.10.11:80 -m -w 4) failed"
        ),
        "{}",
        r.err
    );
    assert!(r.err.contains("2 of 5 planned operation(s) had been applied; rolled back with 2 operation(s); the table is as it was before"), "{}", r.err);
    assert_eq!(mem.table(), &before);
    // without the fault the same apply succeeds
    let r = apply(
        ApplyArgs {
            prune: true,
            ..args("vm-nat")
        },
        &mut mem,
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(mem.table(), &design("vm-nat"));
}

#[test]
fn a_failed_rollback_is_reported_with_its_own_exit_status() {
    let mut mem = MemoryIpvs::default();
    // operation 3 fails before reaching the table (injected), then the first rollback
    // operation (the table's 3rd call) fails too
    mem.fail_op(3, 12);
    let r = apply(
        ApplyArgs {
            fail_at_step: Some(3),
            ..args("vm-dr")
        },
        &mut mem,
    );
    assert_eq!(r.code, cmd_deploy::EXIT_ROLLBACK_FAILED, "{}", r.err);
    assert!(r.err.contains("ROLLBACK FAILED"), "{}", r.err);
    assert!(
        !mem.table().services.is_empty(),
        "the table is left half-applied"
    );
}

#[test]
fn a_dry_run_changes_nothing() {
    let mut mem = MemoryIpvs::new(table("-A -t 10.0.0.1:80 -s wlc\n"));
    let r = apply(
        ApplyArgs {
            dry_run: true,
            ..args("vm-dr")
        },
        &mut mem,
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert_eq!(mem.ops_seen(), 0);
    assert!(
        r.out.ends_with("dry run: nothing was changed\n"),
        "{}",
        r.out
    );
    assert_eq!(
        r.out.lines().filter(|l| l.starts_with("+ -a")).count(),
        3,
        "{}",
        r.out
    );
}

#[test]
fn apply_refuses_a_failing_design_and_a_missing_director() {
    let mut mem = MemoryIpvs::default();
    let r = apply(args("nat-wrong-gateway"), &mut mem);
    assert_eq!(r.code, 1);
    assert!(r.err.contains("refusing to apply"), "{}", r.err);
    assert_eq!(mem.ops_seen(), 0);
    let r = apply(
        ApplyArgs {
            force: true,
            ..args("nat-wrong-gateway")
        },
        &mut mem,
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let r = apply(
        ApplyArgs {
            node: Some("rs1".into()),
            ..args("vm-dr")
        },
        &mut mem,
    );
    assert_eq!(r.code, 1);
    assert!(r.err.contains("`rs1` is not a director"), "{}", r.err);
}

#[test]
fn dry_run_works_on_this_machine() {
    // The host may have no IPVS and no privileges: then the plan is made against an
    // empty table and the output says so.
    let (code, out, err) = lvslab_run(&["apply", "--dry-run", "vm-tun"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.ends_with("dry run: nothing was changed\n"), "{out}");
    if err.contains("planning against an EMPTY table") {
        assert!(err.contains("cannot read the live IPVS table"), "{err}");
        assert!(
            out.contains(
                "plan: 4 operation(s)\n\
             + -A -t 10.0.0.1:80 -s rr\n\
             + -a -t 10.0.0.1:80 -r 10.0.0.11:80 -i -w 4 --tun-type ipip\n\
             + -a -t 10.0.0.1:80 -r 10.0.0.12:80 -i -w 3 --tun-type ipip\n\
             + -a -t 10.0.0.1:80 -r 10.0.0.13:80 -i -w 2 --tun-type ipip\n"
            ),
            "{out}"
        );
    } else {
        eprintln!("note: this host has a readable IPVS table; the plan is against it:\n{out}");
    }
}

#[test]
fn apply_without_ipvs_says_why() {
    // Only where ip_vs cannot be loaded: elsewhere a real apply would change the host.
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let module_dir = std::path::Path::new("/lib/modules").join(kernel.trim());
    let has_module = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "find {} -name 'ip_vs.ko*' 2>/dev/null | grep -q .",
            module_dir.display()
        ))
        .status()
        .map(|s| s.success())
        .unwrap_or(true);
    if std::path::Path::new("/proc/net/ip_vs").exists() || has_module {
        eprintln!("skipped: this host has IPVS (or can load it); not applying to it");
        return;
    }
    let (code, out, err) = lvslab_run(&["apply", "vm-nat"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("cannot apply: the kernel has no IPVS") || err.contains("CAP_NET_ADMIN"),
        "{err}"
    );
}

fn import(args: ImportArgs, mem: Option<&mut MemoryIpvs>) -> Run {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = cmd_deploy::import(
        &args,
        mem.map(|m| m as &mut dyn IpvsBackend),
        &mut Io {
            out: &mut out,
            err: &mut err,
        },
    )
    .unwrap();
    Run {
        code,
        out: String::from_utf8(out).unwrap(),
        err: String::from_utf8(err).unwrap(),
    }
}

#[test]
fn import_live_then_export_gives_the_same_rules() {
    // A live table with what -S does not carry: list order, thresholds, timeouts.
    let mut live = table(
        "-A -t 10.0.0.1:80 -s wlc -p 120\n\
         -a -t 10.0.0.1:80 -r 192.168.10.13:80 -m -w 2\n\
         -a -t 10.0.0.1:80 -r 192.168.10.11:80 -m -w 4 -x 50 -y 5\n\
         -A -u 10.0.0.1:53 -s rr\n\
         -a -u 10.0.0.1:53 -r 192.168.10.12:53 -m -w 1\n\
         --set 600 60 120\n",
    );
    live.timeouts.tcp = 600;
    let mut mem = MemoryIpvs::new(live.clone());
    let path = tmp("import-live.toml");
    let r = import(
        ImportArgs {
            from: ImportSource::Live,
            file: None,
            output: Some(path.to_str().unwrap().into()),
            name: Some("from-live".into()),
        },
        Some(&mut mem),
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("PLACEHOLDER"), "the made-up parts are marked");
    assert!(text.contains("timeouts = [600, 60, 120]"), "{text}");
    let sc = lvslab_sim::scenario::Scenario::parse("x", &text).unwrap();
    assert_eq!(
        sc.director_tables().unwrap()[0].config,
        live,
        "order, thresholds, timeouts survive"
    );

    let (code, out, err) = lvslab_run(&["export", path.to_str().unwrap(), "--to", "ipvsadm"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, lvslab_sim::admin::export::ipvsadm_rules(&live));
    assert!(
        err.contains("timeouts are not part of `ipvsadm -S`: run `ipvsadm --set 600 60 120`"),
        "{err}"
    );
}

#[test]
fn import_a_save_file_then_export_gives_it_back() {
    for lab in ["nat-lab", "dr-lab", "tun-lab", "vm-dr"] {
        let save = std::fs::read_to_string(
            root()
                .join("tests/golden/export")
                .join(lab)
                .join("director.ipvsadm"),
        )
        .unwrap();
        let input = tmp(&format!("import-{lab}.save"));
        std::fs::write(&input, &save).unwrap();
        let output = tmp(&format!("import-{lab}.toml"));
        let (code, _, err) = lvslab_run(&[
            "import",
            "--from",
            "ipvsadm-save",
            input.to_str().unwrap(),
            "-o",
            output.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{lab}: {err}");
        let (code, out, err) = lvslab_run(&["export", output.to_str().unwrap(), "--to", "ipvsadm"]);
        assert_eq!(code, 0, "{lab}: {err}");
        assert!(
            err.contains("0 failed"),
            "{lab}: the placeholder topology carries traffic: {err}"
        );
        assert_eq!(out, save, "{lab}");
    }
}

#[test]
fn import_reports_bad_input_with_its_place() {
    let bad = tmp("import-bad.save");
    std::fs::write(
        &bad,
        "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.0.0.300:80 -g\n",
    )
    .unwrap();
    let (code, out, err) = lvslab_run(&["import", "--from", "ipvsadm-save", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("import-bad.save:2:"), "{err}");
    let (code, _, err) = lvslab_run(&["import", "--from", "keepalived", "no-such-keepalived.conf"]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot read no-such-keepalived.conf"), "{err}");
    let badka = tmp("import-bad.keepalived.conf");
    std::fs::write(&badka, "virtual_server 10.0.0.1 80 {\n    lb_kind NAT\n    real_server 10.0.0.11 80 {\n        weight lots\n    }\n}\n").unwrap();
    let (code, _, err) = lvslab_run(&["import", "--from", "keepalived", badka.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("import-bad.keepalived.conf:4:"),
        "the error is located: {err}"
    );
    let (code, _, err) = lvslab_run(&["import", "--from", "ipvsadm-save"]);
    assert_eq!(code, 1);
    assert!(err.contains("needs the file to read"), "{err}");
}

#[test]
fn apply_without_cap_net_admin_says_so() {
    // setpriv drops CAP_NET_ADMIN from the bounding set of the child: safe on any host.
    let probe = std::process::Command::new("setpriv")
        .args(["--bounding-set", "-net_admin", "true"])
        .status();
    if !probe.map(|s| s.success()).unwrap_or(false) {
        eprintln!("skipped: setpriv cannot drop CAP_NET_ADMIN here (not root, or no util-linux)");
        return;
    }
    let run = |args: &[&str]| {
        let out = std::process::Command::new("setpriv")
            .args(["--bounding-set", "-net_admin"])
            .arg(crate::support::lvslab())
            .args(args)
            .current_dir(root())
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, _, err) = run(&["apply", "vm-nat"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("cannot apply: this process lacks CAP_NET_ADMIN"),
        "{err}"
    );
    let (code, out, err) = run(&["apply", "--dry-run", "vm-nat"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("planning against an EMPTY table"), "{err}");
    assert!(out.contains("plan: 4 operation(s)"), "{out}");
    let (code, _, err) = run(&["import", "--from", "live"]);
    assert_eq!(code, 1);
    assert!(err.contains("lacks CAP_NET_ADMIN"), "{err}");
}
