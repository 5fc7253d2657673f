//! ipvsadm 1.31's listings, byte for byte: `-L` in all its formats, `-S`, `-L -c`,
//! `--timeout` and `--daemon`.
//!
//! Without `-n` ipvsadm resolves names. The simulator has no resolver, so addresses are
//! always printed numerically; ports are named through the fixed table in
//! [`super::inet::SERVICES`] (e.g. `:http`, `:domain`), as `getservbyport` would.

use super::inet::port_to_service;
use super::parse::ListFormat;
use super::sort::{dests_in_order, services_in_order};
use crate::admin::{
    svc_flags, Family, FwdMethod, Protocol, ServiceConfig, ServiceKey, SyncState, TunType,
};
use crate::ipvs::snapshot::{ConnSnapshot, DestSnapshot, IpvsSnapshot, ServiceSnapshot};
use std::fmt::Write;
use std::net::{IpAddr, Ipv4Addr};

/// IPVS version the kernel reports (1.2.1).
pub const IPVS_VERSION: &str = "1.2.1";

#[derive(Clone, Copy)]
struct Style {
    fmt: ListFormat,
    /// FMT_RULE: save format.
    rule: bool,
}

/// `addrport_to_anyname`: `a.b.c.d:port` or `[v6]:port`; without `numeric` the port is
/// named when the services table knows it for `proto`.
pub fn addr_port_name(addr: &IpAddr, port: u16, proto: Option<Protocol>, numeric: bool) -> String {
    let port = if numeric {
        port.to_string()
    } else {
        port_to_service(port, proto)
            .map(str::to_string)
            .unwrap_or_else(|| port.to_string())
    };
    match addr {
        IpAddr::V4(a) => format!("{a}:{port}"),
        IpAddr::V6(a) => format!("[{a}]:{port}"),
    }
}

/// Truncates to at most `n` bytes (ipvsadm writes a NUL at that offset).
fn cut(mut s: String, n: usize) -> String {
    if s.len() > n {
        let mut i = n;
        while !s.is_char_boundary(i) {
            i -= 1;
        }
        s.truncate(i);
    }
    s
}

/// ipvsadm's `print_largenum`: 9 columns, K/M/G/T above 10^8 unless `exact`.
pub fn largenum(i: u64, exact: bool) -> String {
    if exact {
        let len = i.to_string().len();
        let w = if len <= 8 { 9 } else { len + 1 };
        return format!("{i:>w$}");
    }
    if i < 100_000_000 {
        format!("{i:>9}")
    } else if i < 1_000_000_000 {
        format!("{:>8}K", i / 1000)
    } else if i < 100_000_000_000 {
        format!("{:>8}M", i / 1_000_000)
    } else if i < 100_000_000_000_000 {
        format!("{:>8}G", i / 1_000_000_000)
    } else {
        format!("{:>8}T", i / 1_000_000_000_000)
    }
}

/// The protocol ipvsadm has for a service entry from a dump (none for fwmark services),
/// which decides how dest ports are named.
fn entry_protocol(key: &ServiceKey) -> Option<Protocol> {
    match key {
        ServiceKey::Addr { proto, .. } => Some(*proto),
        ServiceKey::Fwmark { .. } => None,
    }
}

fn svc_name(cfg: &ServiceConfig, style: Style) -> String {
    match cfg.key {
        ServiceKey::Fwmark { mark, family } => match (style.rule, family) {
            (true, Family::Inet6) => format!("-f {mark} -6"),
            (true, Family::Inet) => format!("-f {mark}"),
            (false, Family::Inet6) => format!("FWM  {mark} IPv6"),
            (false, Family::Inet) => format!("FWM  {mark}"),
        },
        ServiceKey::Addr { proto, addr, port } => {
            let vname = addr_port_name(&addr, port, Some(proto), style.fmt.numeric);
            if style.rule {
                let sw = match proto {
                    Protocol::Tcp => "-t",
                    Protocol::Udp => "-u",
                    Protocol::Sctp => "--sctp-service",
                };
                format!("{sw} {vname}")
            } else {
                let s = format!("{:<4} {vname}", proto.name());
                if addr.is_ipv6() {
                    s
                } else {
                    cut(s, 33)
                }
            }
        }
    }
}

/// `print_sched_flags`: names depend on the scheduler.
fn sched_flags(cfg: &ServiceConfig) -> String {
    let f = cfg.flags;
    let mut names: Vec<&str> = Vec::new();
    match cfg.scheduler.as_str() {
        "sh" | "mh" => {
            let sh = cfg.scheduler == "sh";
            if f & svc_flags::SCHED1 != 0 {
                names.push(if sh { "sh-fallback" } else { "mh-fallback" });
            }
            if f & svc_flags::SCHED2 != 0 {
                names.push(if sh { "sh-port" } else { "mh-port" });
            }
        }
        _ => {
            if f & svc_flags::SCHED1 != 0 {
                names.push("flag-1");
            }
            if f & svc_flags::SCHED2 != 0 {
                names.push("flag-2");
            }
            if f & svc_flags::SCHED3 != 0 {
                names.push("flag-3");
            }
        }
    }
    names.join(",")
}

const ANY_SCHED_FLAG: u32 = svc_flags::SCHED1 | svc_flags::SCHED2 | svc_flags::SCHED3;

fn mask_text(cfg: &ServiceConfig) -> Option<String> {
    match cfg.key.family() {
        Family::Inet if cfg.netmask != 0xffff_ffff => Some(Ipv4Addr::from(cfg.netmask).to_string()),
        Family::Inet6 if cfg.netmask != 128 => Some(cfg.netmask.to_string()),
        _ => None,
    }
}

fn title(style: Style) -> &'static str {
    let f = style.fmt;
    if f.stats {
        "Prot LocalAddress:Port               Conns   InPkts  OutPkts  InBytes OutBytes\n  -> RemoteAddress:Port\n"
    } else if f.rate {
        "Prot LocalAddress:Port                 CPS    InPPS   OutPPS    InBPS   OutBPS\n  -> RemoteAddress:Port\n"
    } else if f.thresholds {
        "Prot LocalAddress:Port            Uthreshold Lthreshold ActiveConn InActConn \n  -> RemoteAddress:Port\n"
    } else if f.persistent_conn {
        "Prot LocalAddress:Port            Weight    PersistConn ActiveConn InActConn \n  -> RemoteAddress:Port\n"
    } else if f.tun_info {
        "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n"
    } else if !style.rule {
        "Prot LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n"
    } else {
        ""
    }
}

fn fwd_switch(fwd: FwdMethod) -> &'static str {
    match fwd {
        FwdMethod::Masq => "-m",
        FwdMethod::Tunnel => "-i",
        FwdMethod::Local | FwdMethod::Route => "-g",
    }
}

fn tun_flag_short(flags: u16) -> &'static str {
    match flags {
        0 => "-c",
        1 => "+c",
        _ => "r+c",
    }
}

fn tun_flag_opt(flags: u16) -> &'static str {
    match flags {
        0 => "--tun-nocsum",
        1 => "--tun-csum",
        _ => "--tun-remcsum",
    }
}

fn tun_info(d: &DestSnapshot) -> String {
    let c = &d.config;
    if c.fwd != FwdMethod::Tunnel {
        return "n/a".into();
    }
    match c.tun_type {
        TunType::Ipip => "ipip".into(),
        TunType::Gue => format!("gue:{}:{}", c.tun_port, tun_flag_short(c.tun_csum.flags())),
        TunType::Gre => format!("gre:{}", tun_flag_short(c.tun_csum.flags())),
    }
}

fn print_service_entry(out: &mut String, s: &ServiceSnapshot, style: Style) {
    let cfg = &s.config;
    let name = svc_name(cfg, style);
    let f = style.fmt;
    let ex = f.exact;
    if style.rule {
        let _ = write!(out, "-A {name} -s {}", cfg.scheduler);
        if cfg.persistent() {
            let _ = write!(out, " -p {}", cfg.timeout);
            if let Some(m) = mask_text(cfg) {
                let _ = write!(out, " -M {m}");
            }
        }
        if let Some(pe) = &cfg.pe_name {
            let _ = write!(out, " --pe {pe}");
        }
        if cfg.one_packet() {
            out.push_str(" -o");
        }
        if cfg.flags & ANY_SCHED_FLAG != 0 {
            let _ = write!(out, " -b {}", sched_flags(cfg));
        }
    } else if f.stats {
        let st = &s.stats;
        let _ = write!(out, "{name:<33}");
        for v in [st.conns, st.inpkts, st.outpkts, st.inbytes, st.outbytes] {
            out.push_str(&largenum(v, ex));
        }
    } else if f.rate {
        let st = &s.stats;
        let _ = write!(out, "{name:<33}");
        for v in [st.cps, st.inpps, st.outpps, st.inbps, st.outbps] {
            out.push_str(&largenum(v, ex));
        }
    } else {
        let _ = write!(out, "{name} {}", cfg.scheduler);
        if cfg.flags & ANY_SCHED_FLAG != 0 {
            let _ = write!(out, " ({})", sched_flags(cfg));
        }
        if cfg.persistent() {
            let _ = write!(out, " persistent {}", cfg.timeout);
            if let Some(m) = mask_text(cfg) {
                let _ = write!(out, " mask {m}");
            }
            if let Some(pe) = &cfg.pe_name {
                let _ = write!(out, " pe {pe}");
            }
        }
        if cfg.one_packet() {
            out.push_str(" ops");
        }
    }
    out.push('\n');

    let proto = entry_protocol(&cfg.key);
    for d in dests_in_order(&s.dests, f.nosort) {
        let c = &d.config;
        let mut dname = addr_port_name(&c.addr, c.port, proto, f.numeric);
        if !style.rule && !c.addr.is_ipv6() {
            dname = cut(dname, 28);
        }
        if style.rule {
            let sw = fwd_switch(c.fwd);
            let _ = write!(out, "-a {name} -r {dname} {sw} -w {}", c.weight);
            if c.fwd == FwdMethod::Tunnel {
                match c.tun_type {
                    TunType::Gre => {
                        let _ = write!(out, " --tun-type gre {}", tun_flag_opt(c.tun_csum.flags()));
                    }
                    TunType::Gue => {
                        let _ = write!(
                            out,
                            " --tun-type gue --tun-port {} {}",
                            c.tun_port,
                            tun_flag_opt(c.tun_csum.flags())
                        );
                    }
                    TunType::Ipip => out.push_str(" --tun-type ipip"),
                }
            }
            out.push('\n');
        } else if f.stats {
            let st = &d.stats;
            let _ = write!(out, "  -> {dname:<28}");
            for v in [st.conns, st.inpkts, st.outpkts, st.inbytes, st.outbytes] {
                out.push_str(&largenum(v, ex));
            }
            out.push('\n');
        } else if f.rate {
            let st = &d.stats;
            let _ = write!(
                out,
                "  -> {dname:<28} {:>8} {:>8} {:>8}",
                st.cps, st.inpps, st.outpps
            );
            out.push_str(&largenum(st.inbps, ex));
            out.push_str(&largenum(st.outbps, ex));
            out.push('\n');
        } else if f.thresholds {
            let _ = writeln!(
                out,
                "  -> {dname:<28} {:<10} {:<10} {:<10} {:<10}",
                c.u_threshold, c.l_threshold, d.active, d.inactive
            );
        } else if f.persistent_conn {
            let _ = writeln!(
                out,
                "  -> {dname:<28} {:<9} {:<11} {:<10} {:<10}",
                c.weight as u32, d.persistent, d.active, d.inactive
            );
        } else if f.tun_info {
            let _ = writeln!(
                out,
                "  -> {dname:<28} {:<7} {:<13} {:<6} {:<10} {:<10}",
                c.fwd.name(),
                tun_info(d),
                c.weight,
                d.active,
                d.inactive
            );
        } else {
            let _ = writeln!(
                out,
                "  -> {dname:<28} {:<7} {:<6} {:<10} {:<10}",
                c.fwd.name(),
                c.weight,
                d.active,
                d.inactive
            );
        }
    }
}

/// `ipvsadm -L [options]`: the version line, the title and every service.
pub fn render_list(snap: &IpvsSnapshot, fmt: &ListFormat) -> String {
    let style = Style {
        fmt: *fmt,
        rule: false,
    };
    let mut out = format!(
        "IP Virtual Server version {IPVS_VERSION} (size={})\n",
        snap.conn_tab_size
    );
    out.push_str(title(style));
    for s in services_in_order(&snap.services, fmt.nosort) {
        print_service_entry(&mut out, s, style);
    }
    out
}

/// `ipvsadm -L -t|-u|-f … [options]`: title and that service only (no version line);
/// `None` if the service does not exist.
pub fn render_service(snap: &IpvsSnapshot, key: &ServiceKey, fmt: &ListFormat) -> Option<String> {
    let s = snap.services.iter().find(|s| s.config.key == *key)?;
    let style = Style {
        fmt: *fmt,
        rule: false,
    };
    let mut out = title(style).to_string();
    print_service_entry(&mut out, s, style);
    Some(out)
}

/// `ipvsadm -S [-n]`: the table as commands, sorted like the listing.
pub fn render_save(snap: &IpvsSnapshot, numeric: bool) -> String {
    let style = Style {
        fmt: ListFormat {
            numeric,
            ..ListFormat::default()
        },
        rule: true,
    };
    let mut out = String::new();
    for s in services_in_order(&snap.services, false) {
        print_service_entry(&mut out, s, style);
    }
    out
}

fn conn_proto(name: &str) -> Option<Protocol> {
    match name {
        "TCP" => Some(Protocol::Tcp),
        "UDP" => Some(Protocol::Udp),
        "SCTP" => Some(Protocol::Sctp),
        _ => None,
    }
}

/// One row of `ipvsadm -L -c`.
fn conn_row(out: &mut String, c: &ConnSnapshot, fmt: &ListFormat) {
    let proto = conn_proto(&c.protocol);
    let cname = addr_port_name(&c.caddr, c.cport, proto, fmt.numeric);
    let vname = addr_port_name(&c.vaddr, c.vport, proto, fmt.numeric);
    let dname = addr_port_name(&c.daddr, c.dport, proto, fmt.numeric);
    // The kernel prints the remaining time as an unsigned int of seconds.
    let expires = c.expires_secs.min(u64::from(u32::MAX));
    let expire = format!("{:02}:{:02}", expires / 60, expires % 60);
    match (&c.pe, fmt.persistent_conn) {
        (Some((pe_name, pe_data)), true) => {
            let _ = writeln!(
                out,
                "{:<3} {:<6} {:<11} {:<18} {:<18} {:<16} {:<18} {}",
                c.protocol, expire, c.state, cname, vname, dname, pe_name, pe_data
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "{:<3} {:<6} {:<11} {:<18} {:<18} {}",
                c.protocol, expire, c.state, cname, vname, dname
            );
        }
    }
}

/// `ipvsadm -L -c [-n] [--persistent-conn]`: the connection table.
pub fn render_connections(snap: &IpvsSnapshot, fmt: &ListFormat) -> String {
    let mut out = String::from("IPVS connection entries\n");
    if fmt.persistent_conn {
        out.push_str("pro expire state       source             virtual            destination        pe name          pe_data\n");
    } else {
        out.push_str("pro expire state       source             virtual            destination\n");
    }
    for c in &snap.conns {
        conn_row(&mut out, c, fmt);
    }
    out
}

/// `ipvsadm -L --timeout`.
pub fn render_timeout(snap: &IpvsSnapshot) -> String {
    let t = snap.timeouts;
    format!(
        "Timeout (tcp tcpfin udp): {} {} {}\n",
        t.tcp, t.tcp_fin, t.udp
    )
}

/// Sync-daemon defaults the kernel fills in when a daemon starts without them.
pub const DEFAULT_SYNC_GROUP: Ipv4Addr = Ipv4Addr::new(224, 0, 0, 81);
pub const DEFAULT_SYNC_PORT: u16 = 8848;
pub const DEFAULT_SYNC_TTL: u8 = 1;

/// `ipvsadm -L --daemon`: master first, then backup, with the values the kernel reports
/// (its defaults for what was not given: group 224.0.0.81, port 8848, ttl 1, and a
/// message length of a 1500-byte MTU minus the IP and UDP headers).
pub fn render_daemon(snap: &IpvsSnapshot) -> String {
    let mut out = String::new();
    for state in [SyncState::Master, SyncState::Backup] {
        let Some(d) = snap.daemons.iter().find(|d| d.state == state) else {
            continue;
        };
        let kind = match state {
            SyncState::Master => "master",
            SyncState::Backup => "backup",
        };
        let group = d.mcast_group.unwrap_or(IpAddr::V4(DEFAULT_SYNC_GROUP));
        let headers = if group.is_ipv6() { 40 + 8 } else { 20 + 8 };
        let maxlen = d.maxlen.unwrap_or(1500 - headers);
        let _ = writeln!(
            out,
            "{kind} sync daemon (mcast={}, syncid={}, maxlen={maxlen}, group={group}, port={}, ttl={})",
            d.mcast_ifn,
            d.syncid,
            d.mcast_port.unwrap_or(DEFAULT_SYNC_PORT),
            d.mcast_ttl.unwrap_or(DEFAULT_SYNC_TTL)
        );
    }
    out
}

/// `ipvsadm -v`.
pub fn version_text() -> String {
    format!("ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v{IPVS_VERSION})\n")
}

/// `ipvsadm -h`: the version line and ipvsadm 1.31's usage text.
pub fn usage_text() -> String {
    let p = "ipvsadm";
    let mut s = version_text();
    s.push_str("Usage:\n");
    for line in [
        "-A|E virtual-service [-s scheduler] [-p [timeout]] [-M netmask] [--pe persistence_engine] [-b sched-flags]",
        "-D virtual-service",
        "-C",
        "-R",
        "-S [-n]",
        "-a|e virtual-service -r server-address [options]",
        "-d virtual-service -r server-address",
        "-L|l [virtual-service] [options]",
        "-Z [virtual-service]",
        "--set tcp tcpfin udp",
        "--start-daemon {master|backup} [daemon-options]",
        "--stop-daemon {master|backup}",
        "-h",
    ] {
        let _ = writeln!(s, "  {p} {line}");
    }
    s.push('\n');
    s.push_str(USAGE_BODY);
    s
}

const USAGE_BODY: &str = "Commands:
Either long or short options are allowed.
  --add-service     -A        add virtual service with options
  --edit-service    -E        edit virtual service with options
  --delete-service  -D        delete virtual service
  --clear           -C        clear the whole table
  --restore         -R        restore rules from stdin
  --save            -S        save rules to stdout
  --add-server      -a        add real server with options
  --edit-server     -e        edit real server with options
  --delete-server   -d        delete real server
  --list            -L|-l     list the table
  --zero            -Z        zero counters in a service or all services
  --set tcp tcpfin udp        set connection timeout values
  --start-daemon              start connection sync daemon
  --stop-daemon               stop connection sync daemon
  --help            -h        display this help message

virtual-service:
  --tcp-service|-t  service-address   service-address is host[:port]
  --udp-service|-u  service-address   service-address is host[:port]
  --sctp-service    service-address   service-address is host[:port]
  --fwmark-service|-f fwmark          fwmark is an integer greater than zero

Options:
  --ipv6         -6                   fwmark entry uses IPv6
  --scheduler    -s scheduler         one of rr|wrr|lc|wlc|lblc|lblcr|dh|sh|sed|nq|fo|ovf|mh,
                                      the default scheduler is wlc.
  --pe            engine              alternate persistence engine may be sip,
                                      not set by default.
  --persistent   -p [timeout]         persistent service
  --netmask      -M netmask           persistent granularity mask
  --real-server  -r server-address    server-address is host (and port)
  --gatewaying   -g                   gatewaying (direct routing) (default)
  --ipip         -i                   ipip encapsulation (tunneling)
  --masquerading -m                   masquerading (NAT)
  --tun-type      type                one of ipip|gue|gre,
                                      the default tunnel type is ipip.
  --tun-port      port                tunnel destination port
  --tun-nocsum                        tunnel encapsulation without checksum
  --tun-csum                          tunnel encapsulation with checksum
  --tun-remcsum                       tunnel encapsulation with remote checksum
  --weight       -w weight            capacity of real server
  --u-threshold  -x uthreshold        upper threshold of connections
  --l-threshold  -y lthreshold        lower threshold of connections
  --connection   -c                   output of current IPVS connections
  --timeout                           output of timeout (tcp tcpfin udp)
  --daemon                            output of daemon information
  --stats                             output of statistics information
  --rate                              output of rate information
  --exact                             expand numbers (display exact values)
  --thresholds                        output of thresholds information
  --persistent-conn                   output of persistent connection info
  --tun-info                          output of tunnel information
  --nosort                            disable sorting output of service/server entries
  --sort                              does nothing, for backwards compatibility
  --ops          -o                   one-packet scheduling
  --numeric      -n                   numeric output of addresses and ports
  --sched-flags  -b flags             scheduler flags (comma-separated)
Daemon Options:
  --syncid sid                        syncid for connection sync (default=255)
  --sync-maxlen length                Max sync message length (default=1472)
  --mcast-interface interface         multicast interface for connection sync
  --mcast-group address               IPv4/IPv6 group (default=224.0.0.81)
  --mcast-port port                   UDP port (default=8848)
  --mcast-ttl ttl                     Multicast TTL (default=1)
";
