//! Why a frame was dropped (trace verdict `Dropped(reason)`, `metrics.drop(node, reason)`) and
//! why a request failed (`metrics.fail(workload, reason)`). The simulator writes these reasons
//! as English text with addresses and numbers formatted in; this module recognises each one by
//! its fixed parts and turns it into a catalogue message (`reason-*` in `reasons.ftl`) with the
//! variable parts as arguments, so the packet log and the reports can show it in any language.

use lvslab_sim::lesson::Message;
use std::net::Ipv4Addr;

/// Every reason the simulator gives: (message id, the reason's text with `{name}` where a
/// variable part goes). The English catalogue text of each id is the same text, so rendering
/// a recognised reason in English gives back the original.
///
/// An argument's name says what it may be: `ip`, `src`, `dst`, `rip` an IPv4 address; `port`,
/// `bytes`, `mtu`, `level`, `mode` a number; `iface`, `via` an interface name; `reason`
/// another reason (rendered in turn).
pub const PATTERNS: &[(&str, &str)] = &[
    // Receiving a frame (net/host.rs).
    ("reason-host-down", "host is down"),
    ("reason-iface-down", "interface is down"),
    (
        "reason-arp-ignore",
        "arp_ignore={level}: not answering for {ip} on {iface}",
    ),
    (
        "reason-rp-filter-wrong-iface",
        "rp_filter=1: the route back to {src} leaves via {via}, not {iface}",
    ),
    (
        "reason-rp-filter-no-route",
        "rp_filter={mode}: no route back to {src}",
    ),
    ("reason-multicast-not-joined", "multicast group not joined"),
    (
        "reason-not-forwarding",
        "not addressed to this host and ip_forward=0 (dst {dst})",
    ),
    ("reason-ttl-exceeded", "TTL exceeded"),
    (
        "reason-ipip-no-tunl0",
        "IPIP packet but no tunl0 (ipip module not loaded)",
    ),
    ("reason-ipip-tunl0-down", "IPIP packet but tunl0 is down"),
    ("reason-after-decap", "after decapsulation on tunl0: {reason}"),
    ("reason-inner-packet", "inner packet: {reason}"),
    (
        "reason-decap-not-local",
        "decapsulated packet for {dst} is not local",
    ),
    ("reason-no-vrrp", "no VRRP instance"),
    (
        "reason-backlog-full",
        "listen backlog of port {port} full: SYN dropped",
    ),
    ("reason-tcp-rst-no-conn", "TCP RST for no connection"),
    ("reason-tcp-port-closed", "TCP port {port} closed: RST sent"),
    (
        "reason-tcp-no-conn",
        "TCP segment from {ip}:{port} matches no connection: RST sent",
    ),
    (
        "reason-udp-port-closed",
        "UDP port {port} closed: ICMP port unreachable sent",
    ),
    (
        "reason-sync-no-backup",
        "IPVS sync message but no backup sync daemon",
    ),
    // Sending a packet (net/host.rs, engine/world.rs).
    ("reason-no-multicast-iface", "no interface for multicast source"),
    ("reason-no-route", "no route to {dst}"),
    (
        "reason-mtu-exceeded",
        "packet of {bytes} bytes exceeds MTU {mtu} with DF set",
    ),
    ("reason-tunl0-send", "sending through tunl0 is not modelled"),
    ("reason-arp-queue-full", "ARP queue for {ip} is full"),
    ("reason-arp-no-reply", "ARP: no reply for {ip}"),
    ("reason-link-loss", "lost on the link"),
    // IPVS on the director (ipvs/core.rs, the schedulers, net/host.rs `ipvs_xmit`).
    (
        "reason-ipvs-old-conntrack",
        "ipvs: old connection still has a conntrack entry",
    ),
    (
        "reason-ipvs-dest-deleted",
        "ipvs: real server of this connection was deleted",
    ),
    (
        "reason-ipvs-template-no-dest",
        "ipvs: template without a real server",
    ),
    (
        "reason-ipvs-ipv6-dest",
        "ipvs: IPv6 real server for an IPv4 packet",
    ),
    ("reason-ipvs-no-dest", "ipvs: no destination available"),
    (
        "reason-ipvs-overloaded",
        "ipvs: no destination available: all destinations are overloaded",
    ),
    (
        "reason-ipvs-port-zero",
        "ipvs: port zero only supported in persistent services",
    ),
    (
        "reason-ipvs-dr-not-connected",
        "ipvs DR: real server {rip} is not on a directly connected network",
    ),
    (
        "reason-ipvs-dr-no-route",
        "ipvs DR: no route to real server {rip}",
    ),
    (
        "reason-ipvs-tun-mtu",
        "ipvs TUN: {bytes} bytes + 20 outer exceed MTU {mtu} (DF set): ICMP fragmentation needed sent",
    ),
    (
        "reason-ipvs-tun-no-route",
        "ipvs TUN: no route to real server {rip}",
    ),
    // Why a request failed (net/host.rs, transport/tcp.rs, engine/flow.rs).
    ("reason-request-timeout", "request timed out"),
    (
        "reason-refused-icmp",
        "connection refused (ICMP port unreachable)",
    ),
    ("reason-refused-rst", "connection refused (RST)"),
    ("reason-reset", "connection reset by peer"),
    ("reason-connect-timeout", "connect timeout (no SYN-ACK)"),
    (
        "reason-handshake-timeout",
        "handshake timeout (no ACK for SYN-ACK)",
    ),
    ("reason-rtx-timeout", "retransmission timeout"),
    (
        "reason-host-unreachable",
        "no route to host (ICMP host unreachable)",
    ),
    ("reason-dest-unreachable", "destination unreachable (ICMP)"),
    (
        "reason-closed-no-response",
        "connection closed without a response",
    ),
    ("reason-no-route-target", "no route to the target"),
    ("reason-port-in-use", "source port already in use"),
    ("reason-no-ephemeral-port", "no free ephemeral port"),
    ("reason-udp-port-unreachable", "ICMP port unreachable"),
];

/// The catalogue message of a drop or failure reason, with its variable parts as arguments;
/// None for a text that is no known reason. An argument named `reason` holds a nested reason
/// in the simulator's text (`Catalog::reason` renders it in turn).
pub fn reason_message(reason: &str) -> Option<Message> {
    PATTERNS.iter().find_map(|&(id, template)| {
        let args = match_template(template, reason)?;
        Some(
            args.into_iter()
                .fold(Message::new(id), |m, (k, v)| m.arg(k, v)),
        )
    })
}

/// Matches `s` against a template with `{name}` placeholders; the arguments on a match.
fn match_template(template: &'static str, s: &str) -> Option<Vec<(&'static str, String)>> {
    let mut args = Vec::new();
    let mut t = template;
    let mut rest = s;
    loop {
        let Some(open) = t.find('{') else {
            return (rest == t).then_some(args);
        };
        rest = rest.strip_prefix(&t[..open])?;
        let close = open + t[open..].find('}')?;
        let name = &t[open + 1..close];
        t = &t[close + 1..];
        let next = t.find('{');
        let lit = &t[..next.unwrap_or(t.len())];
        let value = match next {
            // The last placeholder: the text up to the template's fixed ending.
            None => rest.strip_suffix(lit)?,
            // Two placeholders side by side cannot be told apart.
            Some(_) if lit.is_empty() => return None,
            Some(_) => &rest[..rest.find(lit)?],
        };
        if !valid_arg(name, value) {
            return None;
        }
        args.push((name, value.to_string()));
        rest = &rest[value.len()..];
    }
}

/// Whether `value` can be the argument `name` (see `PATTERNS`).
fn valid_arg(name: &str, value: &str) -> bool {
    match name {
        "ip" | "src" | "dst" | "rip" => value.parse::<Ipv4Addr>().is_ok(),
        "port" | "bytes" | "mtu" | "level" | "mode" => {
            !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit())
        }
        "iface" | "via" => !value.is_empty() && !value.contains(char::is_whitespace),
        _ => !value.is_empty(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{all_ids, Catalog, Lang};
    use std::collections::BTreeSet;

    /// (reason text, message id, the arguments it must yield).
    type Example = (
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    );

    /// A realistic example of every pattern, as the simulator writes it, with the arguments
    /// it must yield.
    const EXAMPLES: &[Example] = &[
        ("host is down", "reason-host-down", &[]),
        ("interface is down", "reason-iface-down", &[]),
        (
            "arp_ignore=1: not answering for 10.0.0.10 on eth0",
            "reason-arp-ignore",
            &[("level", "1"), ("ip", "10.0.0.10"), ("iface", "eth0")],
        ),
        (
            "rp_filter=1: the route back to 10.1.0.100 leaves via eth0, not tunl0",
            "reason-rp-filter-wrong-iface",
            &[("src", "10.1.0.100"), ("via", "eth0"), ("iface", "tunl0")],
        ),
        (
            "rp_filter=2: no route back to 203.0.113.7",
            "reason-rp-filter-no-route",
            &[("mode", "2"), ("src", "203.0.113.7")],
        ),
        ("multicast group not joined", "reason-multicast-not-joined", &[]),
        (
            "not addressed to this host and ip_forward=0 (dst 10.1.0.100)",
            "reason-not-forwarding",
            &[("dst", "10.1.0.100")],
        ),
        ("TTL exceeded", "reason-ttl-exceeded", &[]),
        (
            "IPIP packet but no tunl0 (ipip module not loaded)",
            "reason-ipip-no-tunl0",
            &[],
        ),
        ("IPIP packet but tunl0 is down", "reason-ipip-tunl0-down", &[]),
        (
            "after decapsulation on tunl0: rp_filter=1: the route back to 10.1.0.100 leaves via eth0, not tunl0",
            "reason-after-decap",
            &[(
                "reason",
                "rp_filter=1: the route back to 10.1.0.100 leaves via eth0, not tunl0",
            )],
        ),
        (
            "inner packet: TCP port 80 closed: RST sent",
            "reason-inner-packet",
            &[("reason", "TCP port 80 closed: RST sent")],
        ),
        (
            "decapsulated packet for 10.0.0.20 is not local",
            "reason-decap-not-local",
            &[("dst", "10.0.0.20")],
        ),
        ("no VRRP instance", "reason-no-vrrp", &[]),
        (
            "listen backlog of port 80 full: SYN dropped",
            "reason-backlog-full",
            &[("port", "80")],
        ),
        ("TCP RST for no connection", "reason-tcp-rst-no-conn", &[]),
        (
            "TCP port 8080 closed: RST sent",
            "reason-tcp-port-closed",
            &[("port", "8080")],
        ),
        (
            "TCP segment from 192.168.10.102:80 matches no connection: RST sent",
            "reason-tcp-no-conn",
            &[("ip", "192.168.10.102"), ("port", "80")],
        ),
        (
            "UDP port 53 closed: ICMP port unreachable sent",
            "reason-udp-port-closed",
            &[("port", "53")],
        ),
        (
            "IPVS sync message but no backup sync daemon",
            "reason-sync-no-backup",
            &[],
        ),
        (
            "no interface for multicast source",
            "reason-no-multicast-iface",
            &[],
        ),
        (
            "no route to 172.16.16.172",
            "reason-no-route",
            &[("dst", "172.16.16.172")],
        ),
        (
            "packet of 1520 bytes exceeds MTU 1500 with DF set",
            "reason-mtu-exceeded",
            &[("bytes", "1520"), ("mtu", "1500")],
        ),
        (
            "sending through tunl0 is not modelled",
            "reason-tunl0-send",
            &[],
        ),
        (
            "ARP queue for 192.168.10.1 is full",
            "reason-arp-queue-full",
            &[("ip", "192.168.10.1")],
        ),
        (
            "ARP: no reply for 192.168.10.103",
            "reason-arp-no-reply",
            &[("ip", "192.168.10.103")],
        ),
        ("lost on the link", "reason-link-loss", &[]),
        (
            "ipvs: old connection still has a conntrack entry",
            "reason-ipvs-old-conntrack",
            &[],
        ),
        (
            "ipvs: real server of this connection was deleted",
            "reason-ipvs-dest-deleted",
            &[],
        ),
        (
            "ipvs: template without a real server",
            "reason-ipvs-template-no-dest",
            &[],
        ),
        (
            "ipvs: IPv6 real server for an IPv4 packet",
            "reason-ipvs-ipv6-dest",
            &[],
        ),
        (
            "ipvs: no destination available",
            "reason-ipvs-no-dest",
            &[],
        ),
        (
            "ipvs: no destination available: all destinations are overloaded",
            "reason-ipvs-overloaded",
            &[],
        ),
        (
            "ipvs: port zero only supported in persistent services",
            "reason-ipvs-port-zero",
            &[],
        ),
        (
            "ipvs DR: real server 10.2.0.11 is not on a directly connected network",
            "reason-ipvs-dr-not-connected",
            &[("rip", "10.2.0.11")],
        ),
        (
            "ipvs DR: no route to real server 10.0.0.11",
            "reason-ipvs-dr-no-route",
            &[("rip", "10.0.0.11")],
        ),
        (
            "ipvs TUN: 1500 bytes + 20 outer exceed MTU 1500 (DF set): ICMP fragmentation needed sent",
            "reason-ipvs-tun-mtu",
            &[("bytes", "1500"), ("mtu", "1500")],
        ),
        (
            "ipvs TUN: no route to real server 10.2.0.12",
            "reason-ipvs-tun-no-route",
            &[("rip", "10.2.0.12")],
        ),
        ("request timed out", "reason-request-timeout", &[]),
        (
            "connection refused (ICMP port unreachable)",
            "reason-refused-icmp",
            &[],
        ),
        ("connection refused (RST)", "reason-refused-rst", &[]),
        ("connection reset by peer", "reason-reset", &[]),
        ("connect timeout (no SYN-ACK)", "reason-connect-timeout", &[]),
        (
            "handshake timeout (no ACK for SYN-ACK)",
            "reason-handshake-timeout",
            &[],
        ),
        ("retransmission timeout", "reason-rtx-timeout", &[]),
        (
            "no route to host (ICMP host unreachable)",
            "reason-host-unreachable",
            &[],
        ),
        (
            "destination unreachable (ICMP)",
            "reason-dest-unreachable",
            &[],
        ),
        (
            "connection closed without a response",
            "reason-closed-no-response",
            &[],
        ),
        ("no route to the target", "reason-no-route-target", &[]),
        ("source port already in use", "reason-port-in-use", &[]),
        ("no free ephemeral port", "reason-no-ephemeral-port", &[]),
        ("ICMP port unreachable", "reason-udp-port-unreachable", &[]),
    ];

    #[test]
    fn every_example_is_recognised_with_its_arguments() {
        for (text, id, args) in EXAMPLES {
            let m = reason_message(text).unwrap_or_else(|| panic!("not recognised: {text}"));
            assert_eq!(m.id, *id, "{text}");
            let got: Vec<(&str, &str)> = m.args.iter().map(|(k, v)| (*k, v.as_str())).collect();
            assert_eq!(got, *args, "{text}");
        }
    }

    #[test]
    fn every_pattern_has_an_example() {
        let ids: BTreeSet<&str> = PATTERNS.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids.len(), PATTERNS.len(), "a message id is used twice");
        let covered: BTreeSet<&str> = EXAMPLES.iter().map(|(_, id, _)| *id).collect();
        let missing: Vec<_> = ids.difference(&covered).collect();
        assert!(
            missing.is_empty(),
            "patterns without an example: {missing:?}"
        );
    }

    #[test]
    fn every_pattern_has_a_message_in_both_languages() {
        for lang in Lang::ALL {
            let ids = all_ids(lang);
            for (id, _) in PATTERNS {
                assert!(ids.contains(*id), "{} has no {id}", lang.code());
            }
        }
    }

    #[test]
    fn every_reason_renders_in_both_languages_with_its_arguments() {
        let c = Catalog::new();
        for (text, _, args) in EXAMPLES {
            // English gives back the simulator's own text.
            assert_eq!(c.reason(Lang::En, text), *text);
            let zh = c.reason(Lang::ZhCn, text);
            assert_ne!(zh, *text, "not translated: {text}");
            assert!(!zh.contains('{') && !zh.contains('\u{2068}'), "{zh}");
            for (name, value) in *args {
                if *name == "reason" {
                    // The nested reason appears translated.
                    let inner = c.reason(Lang::ZhCn, value);
                    assert!(zh.contains(&inner), "{zh} lacks {inner}");
                    assert!(!zh.contains(value), "{zh} keeps the English {value}");
                } else {
                    assert!(zh.contains(value), "{zh} lacks {name} = {value}");
                }
            }
        }
    }

    #[test]
    fn nested_reasons_render_in_chinese() {
        let c = Catalog::new();
        let s = c.reason(
            Lang::ZhCn,
            "after decapsulation on tunl0: rp_filter=1: the route back to 10.1.0.100 leaves via eth0, not tunl0",
        );
        assert_eq!(
            s,
            "在 tunl0 上解封装之后：rp_filter=1：回到 10.1.0.100 的路由走 eth0，而不是收包的 tunl0"
        );
    }

    #[test]
    fn unknown_reasons_fall_back_to_themselves() {
        let c = Catalog::new();
        for text in [
            "the cable was unplugged",
            "",
            "no route to somewhere",                         // not an address
            "TCP port eighty closed: RST sent",              // not a number
            "host is down!",                                 // more than the fixed text
            "arp_ignore=1: not answering for 10.0.0.10 on ", // no interface
            "ipvs: something new",
        ] {
            assert!(reason_message(text).is_none(), "{text}");
            for lang in Lang::ALL {
                assert_eq!(c.reason(lang, text), text);
            }
        }
    }

    /// Each pattern's fixed parts are still in the simulator's source, so a reworded reason
    /// there shows up here (the other direction, a new reason, needs a new pattern).
    #[test]
    fn every_pattern_is_still_in_the_simulator() {
        const SOURCES: &[&str] = &[
            include_str!("../../sim-core/src/net/host.rs"),
            include_str!("../../sim-core/src/transport/tcp.rs"),
            include_str!("../../sim-core/src/engine/world.rs"),
            include_str!("../../sim-core/src/engine/flow.rs"),
            include_str!("../../sim-core/src/ipvs/core.rs"),
            include_str!("../../sim-core/src/ipvs/sched/mod.rs"),
            include_str!("../../sim-core/src/ipvs/sched/wrr.rs"),
        ];
        let found = |s: &str| SOURCES.iter().any(|src| src.contains(s));
        for (id, template) in PATTERNS {
            let mut parts = Vec::new();
            let mut t = *template;
            while let Some(open) = t.find('{') {
                parts.push(&t[..open]);
                t = &t[open + t[open..].find('}').unwrap() + 1..];
            }
            parts.push(t);
            for part in parts.into_iter().filter(|p| p.len() > 3) {
                // IPVS's "no destination" reasons get their "ipvs: " in `ip_vs_leave`.
                let ok = found(part)
                    || part
                        .strip_prefix("ipvs: ")
                        .is_some_and(|p| found(p) && found("format!(\"ipvs: {reason}\")"));
                assert!(ok, "{id}: “{part}” is no longer in sim-core");
            }
        }
    }
}
