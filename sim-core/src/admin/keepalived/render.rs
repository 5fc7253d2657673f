//! `KeepalivedConfig` -> keepalived.conf text. Every value is written out, defaults
//! included, because keepalived's defaults are not ipvsadm's (NAT, UDP, wlc, warmup =
//! delay_loop): the file says exactly what the director will do.

use super::*;
use crate::admin::FwdMethod;
use std::fmt::Write;

/// Seconds as keepalived reads them: "5", "0.5", "1.25".
pub fn secs(d: SimDuration) -> String {
    let us = d.0 / 1_000;
    if us % 1_000_000 == 0 {
        return (us / 1_000_000).to_string();
    }
    let s = format!("{}.{:06}", us / 1_000_000, us % 1_000_000);
    s.trim_end_matches('0').to_string()
}

/// The whole file.
pub fn render(c: &KeepalivedConfig) -> String {
    let mut s = String::new();
    global(&mut s, &c.global, c.scripts.is_empty());
    for sc in &c.scripts {
        script(&mut s, sc);
    }
    for g in &c.sync_groups {
        let _ = writeln!(s, "\nvrrp_sync_group {} {{\n    group {{", g.name);
        for m in &g.members {
            let _ = writeln!(s, "        {m}");
        }
        s.push_str("    }\n}\n");
    }
    for i in &c.instances {
        instance(&mut s, i);
    }
    for v in &c.virtual_servers {
        virtual_server(&mut s, v);
    }
    s
}

fn global(s: &mut String, g: &GlobalDefs, scripts_empty: bool) {
    s.push_str("global_defs {\n");
    if let Some(r) = &g.router_id {
        let _ = writeln!(s, "    router_id {r}");
    }
    let _ = writeln!(s, "    vrrp_version {}", g.vrrp_version);
    let _ = writeln!(s, "    vrrp_garp_master_delay {}", g.garp_master_delay);
    let _ = writeln!(s, "    vrrp_garp_master_repeat {}", g.garp_master_repeat);
    let _ = writeln!(s, "    vrrp_garp_master_refresh {}", g.garp_master_refresh);
    let _ = writeln!(
        s,
        "    vrrp_garp_master_refresh_repeat {}",
        g.garp_master_refresh_repeat
    );
    let _ = writeln!(
        s,
        "    vrrp_garp_lower_prio_delay {}",
        g.garp_lower_prio_delay.unwrap_or(g.garp_master_delay)
    );
    let _ = writeln!(
        s,
        "    vrrp_garp_lower_prio_repeat {}",
        g.garp_lower_prio_repeat.unwrap_or(g.garp_master_repeat)
    );
    // keepalived accepts only positive values here; no spacing (0) is its default.
    if g.garp_interval.0 > 0 {
        let _ = writeln!(s, "    vrrp_garp_interval {}", secs(g.garp_interval));
    }
    let _ = writeln!(
        s,
        "    vrrp_lower_prio_no_advert {}",
        if g.lower_prio_no_advert {
            "true"
        } else {
            "false"
        }
    );
    if !scripts_empty {
        // keepalived refuses to run scripts as root without it.
        s.push_str("    script_user root\n    enable_script_security\n");
    }
    if g.vrrp_strict {
        s.push_str("    vrrp_strict\n");
    }
    if g.skip_check_adv_addr {
        s.push_str("    vrrp_skip_check_adv_addr\n");
    }
    if let Some(d) = &g.lvs_sync_daemon {
        let _ = writeln!(
            s,
            "    lvs_sync_daemon {} {} id {}",
            d.interface, d.instance, d.syncid
        );
    }
    s.push_str("}\n");
}

fn quote(w: &str) -> String {
    if w.is_empty() || w.contains(char::is_whitespace) || w.contains(['#', '!', '{', '}']) {
        format!("\"{w}\"")
    } else {
        w.to_string()
    }
}

fn script(s: &mut String, sc: &VrrpScript) {
    let _ = writeln!(s, "\nvrrp_script {} {{", sc.name);
    let _ = writeln!(s, "    script \"{}\"", sc.script.replace('"', "'"));
    let _ = writeln!(s, "    interval {}", secs(sc.interval));
    let _ = writeln!(s, "    timeout {}", secs(sc.timeout.unwrap_or(sc.interval)));
    let _ = writeln!(s, "    weight {}", sc.weight);
    let _ = writeln!(s, "    rise {}", sc.rise);
    let _ = writeln!(s, "    fall {}", sc.fall);
    if sc.init_fail {
        s.push_str("    init_fail\n");
    }
    s.push_str("}\n");
}

fn instance(s: &mut String, i: &VrrpInstance) {
    let _ = writeln!(s, "\nvrrp_instance {} {{", i.name);
    let _ = writeln!(
        s,
        "    state {}",
        match i.state {
            InitialState::Master => "MASTER",
            InitialState::Backup => "BACKUP",
        }
    );
    let _ = writeln!(s, "    interface {}", i.interface);
    let _ = writeln!(s, "    virtual_router_id {}", i.virtual_router_id);
    let _ = writeln!(s, "    priority {}", i.priority);
    let _ = writeln!(s, "    advert_int {}", secs(i.advert_int));
    if let Some(v) = i.version {
        let _ = writeln!(s, "    version {v}");
    }
    if i.nopreempt {
        s.push_str("    nopreempt\n");
    }
    if i.preempt_delay.0 > 0 {
        let _ = writeln!(s, "    preempt_delay {}", secs(i.preempt_delay));
    }
    if let Some(p) = &i.auth_pass {
        let _ = writeln!(
            s,
            "    authentication {{\n        auth_type PASS\n        auth_pass {}\n    }}",
            quote(p)
        );
    }
    s.push_str("    virtual_ipaddress {\n");
    for v in &i.virtual_ipaddress {
        let dev = v.dev.as_deref().unwrap_or(&i.interface);
        let _ = writeln!(s, "        {}/{} dev {dev}", v.addr, v.prefix);
    }
    s.push_str("    }\n");
    for (kw, list) in [
        ("track_interface", &i.track_interface),
        ("track_script", &i.track_script),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(s, "    {kw} {{");
        for t in list {
            let _ = writeln!(s, "        {} weight {}", t.name, t.weight);
        }
        s.push_str("    }\n");
    }
    if let Some(a) = i.mcast_src_ip {
        let _ = writeln!(s, "    mcast_src_ip {a}");
    }
    if let Some(d) = &i.lvs_sync_daemon_interface {
        let _ = writeln!(s, "    lvs_sync_daemon_interface {d}");
    }
    s.push_str("}\n");
}

fn kind_name(m: FwdMethod) -> &'static str {
    match m {
        FwdMethod::Route => "DR",
        FwdMethod::Tunnel => "TUN",
        _ => "NAT",
    }
}

fn virtual_server(s: &mut String, v: &VirtualServer) {
    match v.key {
        VsKey::Addr { addr, port } => {
            let _ = writeln!(s, "\nvirtual_server {addr} {port} {{");
        }
        VsKey::Fwmark(m) => {
            let _ = writeln!(s, "\nvirtual_server fwmark {m} {{");
        }
    }
    let _ = writeln!(s, "    delay_loop {}", secs(v.delay_loop));
    let _ = writeln!(s, "    lb_algo {}", v.lb_algo);
    let _ = writeln!(s, "    lb_kind {}", kind_name(v.lb_kind));
    if let VsKey::Addr { .. } = v.key {
        let _ = writeln!(s, "    protocol {}", v.protocol.name());
    }
    if let Some(t) = v.persistence_timeout {
        let _ = writeln!(s, "    persistence_timeout {t}");
        let _ = writeln!(
            s,
            "    persistence_granularity {}",
            Ipv4Addr::from(v.persistence_granularity)
        );
    }
    let _ = writeln!(s, "    quorum {}", v.quorum);
    let _ = writeln!(s, "    hysteresis {}", v.hysteresis);
    for (flag, on) in [
        ("alpha", v.alpha),
        ("omega", v.omega),
        ("ha_suspend", v.ha_suspend),
    ] {
        if on {
            let _ = writeln!(s, "    {flag}");
        }
    }
    if let Some((a, p)) = v.sorry_server {
        let _ = writeln!(s, "    sorry_server {a} {p}");
        if v.sorry_server_inhibit {
            s.push_str("    sorry_server_inhibit\n");
        }
    }
    for r in &v.real_servers {
        let _ = writeln!(s, "    real_server {} {} {{", r.addr, r.port);
        let _ = writeln!(s, "        weight {}", r.weight);
        if r.inhibit_on_failure {
            s.push_str("        inhibit_on_failure\n");
        }
        if r.uthreshold > 0 {
            let _ = writeln!(s, "        uthreshold {}", r.uthreshold);
        }
        if r.lthreshold > 0 {
            let _ = writeln!(s, "        lthreshold {}", r.lthreshold);
        }
        for c in &r.checkers {
            checker(s, c);
        }
        s.push_str("    }\n");
    }
    s.push_str("}\n");
}

fn checker(s: &mut String, c: &Checker) {
    let _ = writeln!(s, "        {} {{", c.kind.keyword());
    if let CheckKind::Http { urls } = &c.kind {
        for u in urls {
            s.push_str("            url {\n");
            let _ = writeln!(s, "                path {}", quote(&u.path));
            if let Some(d) = &u.digest {
                let _ = writeln!(s, "                digest {d}");
            }
            let codes: Vec<String> = if u.status_codes.is_empty() {
                vec!["200-299".into()]
            } else {
                u.status_codes
                    .iter()
                    .map(|(a, b)| {
                        if a == b {
                            a.to_string()
                        } else {
                            format!("{a}-{b}")
                        }
                    })
                    .collect()
            };
            let _ = writeln!(s, "                status_code {}", codes.join(" "));
            s.push_str("            }\n");
        }
    }
    if let Some(a) = c.connect_ip {
        let _ = writeln!(s, "            connect_ip {a}");
    }
    if let Some(p) = c.connect_port {
        let _ = writeln!(s, "            connect_port {p}");
    }
    if let Some(b) = c.bindto {
        let _ = writeln!(s, "            bindto {b}");
    }
    let _ = writeln!(s, "            connect_timeout {}", secs(c.connect_timeout));
    let _ = writeln!(s, "            retry {}", c.retry);
    let _ = writeln!(
        s,
        "            delay_before_retry {}",
        secs(c.delay_before_retry)
    );
    let _ = writeln!(s, "            warmup {}", secs(c.warmup));
    let _ = writeln!(s, "            delay_loop {}", secs(c.delay_loop));
    s.push_str("        }\n");
}
