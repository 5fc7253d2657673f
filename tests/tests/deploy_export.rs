//! `lvslab export`: golden files for the shipped labs, the command line, and refusing
//! designs that do not work. `LVSLAB_BLESS=1` rewrites the golden files.

use crate::support::{lvslab_run, root, scenario, tmp};
use lvslab_sim::admin::export::{export, Target};

const LABS: &[&str] = &["nat-lab", "dr-lab", "tun-lab", "vm-nat", "vm-dr", "vm-tun"];

#[test]
fn exports_of_the_shipped_labs_match_the_golden_files() {
    let bless = std::env::var("LVSLAB_BLESS").is_ok_and(|v| v == "1");
    for lab in LABS {
        let ex = export(&scenario(lab), Target::All, None).unwrap_or_else(|e| panic!("{lab}: {e}"));
        let dir = root().join("tests/golden/export").join(lab);
        if bless {
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir).unwrap();
        }
        let mut names: Vec<String> = ex.files.iter().map(|f| f.name.clone()).collect();
        for f in &ex.files {
            let path = dir.join(&f.name);
            if bless {
                std::fs::write(&path, &f.content).unwrap();
                continue;
            }
            let want = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e} (LVSLAB_BLESS=1 writes it)", path.display()));
            assert_eq!(
                f.content, want,
                "{lab}/{} differs from its golden file",
                f.name
            );
        }
        let mut golden: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        golden.sort();
        names.sort();
        assert_eq!(names, golden, "{lab}: the set of exported files changed");
    }
}

#[test]
fn export_prints_one_file_as_is_for_ipvsadm_r() {
    let (code, out, err) = lvslab_run(&["export", "nat-lab", "--to", "ipvsadm"]);
    assert_eq!(code, 0, "{err}");
    let golden =
        std::fs::read_to_string(root().join("tests/golden/export/nat-lab/director.ipvsadm"))
            .unwrap();
    assert_eq!(out, golden);
    assert!(err.contains("design check of scenarios/nat-lab.toml: 0 error(s), 0 warning(s); 60 of 60 simulated request(s) completed, 0 failed"), "{err}");
}

#[test]
fn export_writes_a_directory() {
    let dir = tmp("export-vm-tun");
    let _ = std::fs::remove_dir_all(&dir);
    let d = dir.to_str().unwrap();
    let (code, out, err) = lvslab_run(&["export", "vm-tun", "--to", "all", "-o", d]);
    assert_eq!(code, 0, "{err}");
    let mut listed: Vec<&str> = out.lines().collect();
    listed.sort();
    assert_eq!(listed.len(), 9, "{out}");
    for name in [
        "director.ipvsadm",
        "director.keepalived.conf",
        "director.sysctl.conf",
        "rs1.setup.sh",
        "rs3.teardown.sh",
    ] {
        assert!(dir.join(name).is_file(), "{name}");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |n: &str| std::fs::metadata(dir.join(n)).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode("rs2.setup.sh"), 0o755);
        assert_eq!(mode("director.ipvsadm"), 0o644);
    }
}

#[test]
fn export_refuses_a_design_whose_requests_fail_unless_forced() {
    let (code, out, err) = lvslab_run(&["export", "nat-wrong-gateway", "--to", "ipvsadm"]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.contains("refusing to export scenarios/nat-wrong-gateway.toml: in simulation 10 of 20 request(s) failed"), "{err}");
    assert!(err.contains("use --force"), "{err}");
    assert!(
        err.contains("routes its replies via 192.168.10.254"),
        "the warning is shown: {err}"
    );
    let (code, out, err) =
        lvslab_run(&["export", "nat-wrong-gateway", "--to", "ipvsadm", "--force"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("export anyway (--force)"), "{err}");
    assert!(out.starts_with("-A -t 172.16.16.172:80 -s rr\n"), "{out}");
}

#[test]
fn export_refuses_a_design_with_errors_even_forced() {
    let path = tmp("export-broken.toml");
    let text = scenario("vm-nat")
        .text
        .replace("192.168.10.13/24", "192.168.10.313/24");
    std::fs::write(&path, text).unwrap();
    let (code, out, err) = lvslab_run(&[
        "export",
        path.to_str().unwrap(),
        "--to",
        "ipvsadm",
        "--force",
    ]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.contains("192.168.10.313/24"),
        "the error is located: {err}"
    );
    assert!(
        err.contains("refusing to export") && err.contains("the design has errors"),
        "{err}"
    );
}

#[test]
fn export_keepalived_writes_the_directors_table_as_virtual_servers() {
    let (code, out, err) = lvslab_run(&["export", "vm-dr", "--to", "keepalived"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("virtual_server 10.0.0.1 80 {"), "{out}");
    assert!(out.contains("lb_kind DR"), "every value written out: {out}");
    // import --from keepalived of that file gives back the same ipvsadm rules
    let ka = tmp("vm-dr.keepalived.conf");
    std::fs::write(&ka, &out).unwrap();
    let scen = tmp("vm-dr-from-keepalived.toml");
    let (code, _, err) = lvslab_run(&[
        "import",
        "--from",
        "keepalived",
        ka.to_str().unwrap(),
        "-o",
        scen.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, rules_back, _) = lvslab_run(&[
        "export",
        scen.to_str().unwrap(),
        "--to",
        "ipvsadm",
        "--force",
    ]);
    let (_, rules, _) = lvslab_run(&["export", "vm-dr", "--to", "ipvsadm"]);
    assert_eq!(rules_back, rules);
    let (code, _, err) = lvslab_run(&["export", "vm-dr", "--to", "haproxy"]);
    assert_eq!(code, 2, "clap rejects the target: {err}");
    assert!(err.contains("unknown export target `haproxy`"), "{err}");
}
