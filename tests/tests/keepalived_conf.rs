//! Every keepalived.conf the project renders must pass the real `keepalived -t` (config
//! test). keepalived refuses interfaces that do not exist, so each file is checked inside a
//! fresh network namespace holding veth interfaces with the names the file uses.

use crate::support::tmp;
use lvslab_sim::admin::keepalived::{self, KeepalivedConfig};
use std::collections::BTreeSet;
use std::process::Command;

fn have(cmd: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {cmd} >/dev/null 2>&1")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Makes sure keepalived is installed (with apt when missing); Err = why the test is skipped.
fn keepalived_available() -> Result<(), String> {
    if have("keepalived") {
        return Ok(());
    }
    if !have("apt-get") {
        return Err("keepalived is not installed and apt-get is not available".into());
    }
    let st = Command::new("sh")
        .args([
            "-c",
            "DEBIAN_FRONTEND=noninteractive apt-get install -y keepalived >/dev/null 2>&1 || \
             (apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y keepalived >/dev/null 2>&1)",
        ])
        .status();
    match st {
        Ok(s) if s.success() && have("keepalived") => Ok(()),
        _ => Err("keepalived is not installed and `apt-get install keepalived` failed".into()),
    }
}

fn namespaces_available() -> Result<(), String> {
    let ok = Command::new("unshare")
        .args([
            "-n", "ip", "link", "add", "probe0", "type", "veth", "peer", "name", "probe1",
        ])
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false);
    if ok {
        Ok(())
    } else {
        Err(
            "cannot create a network namespace with veth interfaces (needs root and `unshare`)"
                .into(),
        )
    }
}

/// Interface names a configuration refers to.
fn interfaces(c: &KeepalivedConfig) -> BTreeSet<String> {
    let mut s = BTreeSet::new();
    for i in &c.instances {
        s.insert(i.interface.clone());
        for v in &i.virtual_ipaddress {
            if let Some(d) = &v.dev {
                s.insert(d.clone());
            }
        }
        for t in &i.track_interface {
            s.insert(t.name.clone());
        }
        if let Some(d) = &i.lvs_sync_daemon_interface {
            s.insert(d.clone());
        }
    }
    if let Some(d) = &c.global.lvs_sync_daemon {
        s.insert(d.interface.clone());
    }
    s
}

/// Runs `keepalived -t` on the rendered text; Err = its complaint.
fn config_test(name: &str, c: &KeepalivedConfig) -> Result<(), String> {
    let text = keepalived::render(c);
    let path = tmp(&format!("keepalived-{name}.conf"));
    std::fs::write(&path, &text).unwrap();
    let mut script = String::from("set -e\n");
    for (n, ifname) in interfaces(c).iter().enumerate() {
        script.push_str(&format!(
            "ip link add {ifname} type veth peer name kt{n}\nip link set {ifname} up\n"
        ));
    }
    script.push_str(&format!("exec keepalived -t -f {}\n", path.display()));
    let out = Command::new("unshare")
        .args(["-n", "sh", "-c", &script])
        .output()
        .expect("run unshare");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    if out.status.success() && stderr.trim().is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{name}: keepalived -t exited with {:?}\n{stdout}{stderr}\n--- {} ---\n{text}",
            out.status.code(),
            path.display()
        ))
    }
}

/// Every configuration to check: the keepalived configs of the bundled scenarios and the
/// seed documents' examples.
fn configs() -> Vec<(String, KeepalivedConfig)> {
    let mut v = Vec::new();
    for b in lvslab_sim::bundled::ALL {
        let sc = lvslab_sim::scenario::Scenario::parse(b.name, b.text).unwrap();
        for (host, c) in sc.keepalived_configs().unwrap() {
            v.push((format!("{}-{host}", b.name), c));
        }
    }
    // What `lvslab export --to keepalived` writes for every shipped scenario that builds.
    for b in lvslab_sim::bundled::ALL {
        let sc = lvslab_sim::scenario::Scenario::parse(b.name, b.text).unwrap();
        let Ok(ex) = lvslab_sim::admin::export::export(
            &sc,
            lvslab_sim::admin::export::Target::Keepalived,
            None,
        ) else {
            continue;
        };
        for f in ex.files {
            let c = keepalived::parse(&f.content).unwrap_or_else(|e| {
                panic!("{}: exported {} does not parse: {e:?}", b.name, f.name)
            });
            v.push((format!("export-{}-{}", b.name, f.node), c));
        }
    }
    for (name, text) in [
        ("seed-nat-ld1", SEED_NAT_LD1),
        ("seed-dr-master", SEED_MASTER),
        ("every-feature", EVERY_FEATURE),
    ] {
        v.push((name.to_string(), keepalived::parse(text).unwrap()));
    }
    v
}

#[test]
fn rendered_configs_pass_keepalived_config_test() {
    if let Err(why) = keepalived_available().and_then(|_| namespaces_available()) {
        eprintln!("skipped: {why}");
        return;
    }
    let all = configs();
    let failures: Vec<String> = all
        .iter()
        .filter_map(|(n, c)| config_test(n, c).err())
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(all.len() >= 20, "only {} configurations checked", all.len());
}

#[test]
fn keepalived_rejects_what_the_parser_warns_about() {
    // The seed's deployment example writes `nb_get_retry` in TCP_CHECK: keepalived 2.2.7
    // rejects it. The parser reads it as `retry` with a warning; the rendered file passes.
    if let Err(why) = keepalived_available().and_then(|_| namespaces_available()) {
        eprintln!("skipped: {why}");
        return;
    }
    let (c, warnings) = keepalived::parse::parse_with_warnings(SEED_MASTER_AS_WRITTEN).unwrap();
    assert!(warnings.iter().any(|w| w.message.contains("nb_get_retry")));
    let path = tmp("keepalived-seed-as-written.conf");
    std::fs::write(&path, SEED_MASTER_AS_WRITTEN).unwrap();
    let out = Command::new("unshare")
        .args([
            "-n",
            "sh",
            "-c",
            &format!(
                "ip link add eth0 type veth peer name kx0; ip link add eth1 type veth peer name kx1; keepalived -t -f {}",
                path.display()
            ),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("nb_get_retry"));
    config_test("seed-as-written-rendered", &c).unwrap();
}

const SEED_NAT_LD1: &str = include_str!("../fixtures/keepalived/seed-nat-ld1.conf");

/// The master of the seed's LVS + keepalived master/backup deployment (with `retry`).
const SEED_MASTER: &str = r#"
global_defs {
    notification_email {
        root@localhost
    }
    notification_email_from keepalived@localhost
    smtp_server 127.0.0.1
    smtp_connect_timeout 30
    router_id LVS_R1
}
vrrp_sync_group VG1 {
    group {
        VI_1
        VI_2
    }
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 1
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        1.1.1.1
    }
}
vrrp_instance VI_2 {
    state MASTER
    interface eth1
    virtual_router_id 1
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        192.168.1.1
    }
}
virtual_server 1.1.1.1 80 {
    delay_loop 15
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 192.168.1.100 80 {
        weight 1
        TCP_CHECK {
            connect_port 80
            connect_timeout 3
            retry 3
            delay_before_retry 4
        }
    }
    real_server 192.168.1.200 80 {
        weight 1
        TCP_CHECK {
            connect_port 80
            connect_timeout 3
            retry 3
            delay_before_retry 4
        }
    }
}
"#;

const SEED_MASTER_AS_WRITTEN: &str = r#"
global_defs {
    router_id LVS_R1
}
vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 1
    priority 100
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass 1111
    }
    virtual_ipaddress {
        1.1.1.1
    }
}
virtual_server 1.1.1.1 80 {
    delay_loop 15
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 192.168.1.100 80 {
        weight 1
        TCP_CHECK {
            connect_port 80
            connect_timeout 3
            nb_get_retry 3
            delay_before_retry 4
        }
    }
}
"#;

/// One of each modelled feature, so that every rendered keyword meets keepalived -t.
const EVERY_FEATURE: &str = r#"
global_defs {
    router_id LD9
    vrrp_version 3
    vrrp_garp_master_delay 10
    vrrp_garp_master_repeat 2
    vrrp_garp_master_refresh 60
    vrrp_garp_master_refresh_repeat 2
    vrrp_garp_interval 0.001
    vrrp_lower_prio_no_advert true
    lvs_sync_daemon eth1 VI_1 id 7
}
vrrp_script chk_nginx {
    script "/usr/bin/pgrep nginx"
    interval 2
    timeout 1
    weight -20
    rise 2
    fall 3
}
vrrp_sync_group VG {
    group {
        VI_1
        VI_2
    }
}
vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 150
    advert_int 0.5
    nopreempt
    virtual_ipaddress {
        10.0.0.100/24 dev eth0
        10.0.0.101
    }
    track_interface {
        eth2
    }
}
vrrp_instance VI_3 {
    interface eth2
    virtual_router_id 53
    priority 100
    virtual_ipaddress {
        10.2.0.100/24
    }
    track_interface {
        eth1 weight -30
    }
    track_script {
        chk_nginx weight 10
    }
}
vrrp_instance VI_2 {
    state BACKUP
    interface eth1
    virtual_router_id 52
    priority 150
    advert_int 1
    version 2
    preempt_delay 30
    authentication {
        auth_type PASS
        auth_pass secret
    }
    virtual_ipaddress {
        10.1.0.100/24
    }
}
virtual_server 10.0.0.100 80 {
    delay_loop 3
    lb_algo wrr
    lb_kind DR
    protocol TCP
    persistence_timeout
    persistence_granularity 255.255.255.0
    quorum 2
    hysteresis 1
    alpha
    omega
    sorry_server 10.0.0.250 80
    sorry_server_inhibit
    real_server 10.0.0.11 80 {
        weight 3
        inhibit_on_failure
        uthreshold 100
        lthreshold 10
        HTTP_GET {
            url {
                path /health
                status_code 200 301-302
            }
            url {
                path /
            }
            connect_timeout 2.5
            retry 2
        }
    }
    real_server 10.0.0.12 80 {
        weight 1
        TCP_CHECK {
            connect_ip 10.0.0.12
            connect_port 8080
            warmup 0
        }
    }
}
virtual_server fwmark 7 {
    lb_algo sh
    lb_kind NAT
    protocol UDP
    real_server 10.1.0.11 53 {
        weight 1
    }
}
"#;
