//! The C library conversions ipvsadm relies on, reimplemented without I/O: `strtol`-style
//! number parsing, `inet_aton` (which accepts `10.1`, `0x0a000001`, octal parts...),
//! `inet_pton` for IPv6, and a fixed services table standing in for `/etc/services`
//! (`getservbyname` / `getservbyport`).
//!
//! The simulator has no resolver: host names are never resolved (ipvsadm would try DNS
//! and then report the address as illegal), and listings without `-n` print addresses
//! numerically while ports go through [`SERVICES`], as `getservbyport` would with a
//! Debian `/etc/services`.

use crate::admin::Protocol;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `strtol(s, &end, 10)` that must consume the whole (non-empty) string, as ipvsadm's
/// `string_to_number` requires; `None` on junk or on overflow of a 64-bit long.
pub(crate) fn strtol_full(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut v: i128 = 0;
    for b in digits.bytes() {
        v = v * 10 + i128::from(b - b'0');
        if v > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    let v = if neg { -v } else { v };
    i64::try_from(v).ok()
}

/// ipvsadm's `string_to_number(s, min, max)`.
pub(crate) fn string_to_number(s: &str, min: i64, max: i64) -> Option<i64> {
    strtol_full(s).filter(|n| (min..=max).contains(n))
}

/// C `atoi`: leading blanks, optional sign, digits up to the first non-digit; 0 if none.
/// Truncated to a C int.
pub(crate) fn atoi(s: &str) -> i32 {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, rest) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let mut v: i64 = 0;
    for b in rest.bytes().take_while(u8::is_ascii_digit) {
        v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    let v = if neg { -v } else { v };
    v as i32
}

/// `strtoul(s, &end, 0)` on a string that starts with a digit: returns the value and the
/// number of bytes consumed, or `None` on overflow.
fn strtoul_base0(s: &str) -> Option<(u64, usize)> {
    let b = s.as_bytes();
    let (radix, start) = if b.len() >= 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') {
        if b.get(2).is_some_and(u8::is_ascii_hexdigit) {
            (16, 2)
        } else {
            // "0x" without hex digits: only the "0" is a number.
            return Some((0, 1));
        }
    } else if b.first() == Some(&b'0') {
        (8, 0)
    } else {
        (10, 0)
    };
    let mut v: u64 = 0;
    let mut i = start;
    while i < b.len() {
        let d = match (b[i] as char).to_digit(radix) {
            Some(d) => d,
            None => break,
        };
        v = v.checked_mul(u64::from(radix))?.checked_add(u64::from(d))?;
        i += 1;
    }
    Some((v, i))
}

/// glibc `inet_aton`: `a`, `a.b`, `a.b.c` or `a.b.c.d`, each part decimal, octal (`0…`)
/// or hex (`0x…`); the last part fills the remaining bytes. Anything after a blank is
/// ignored, as in glibc.
pub(crate) fn inet_aton(s: &str) -> Option<Ipv4Addr> {
    let mut parts: Vec<u64> = Vec::new();
    let mut rest = s;
    let last;
    loop {
        if !rest.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            return None;
        }
        let (v, used) = strtoul_base0(rest)?;
        if v > 0xffff_ffff {
            return None;
        }
        rest = &rest[used..];
        if let Some(r) = rest.strip_prefix('.') {
            if parts.len() > 2 || v > 0xff {
                return None;
            }
            parts.push(v);
            rest = r;
        } else {
            last = v;
            break;
        }
    }
    if let Some(c) = rest.chars().next() {
        if !c.is_ascii_whitespace() && c != '\x0b' {
            return None;
        }
    }
    let max: [u64; 4] = [0xffff_ffff, 0xff_ffff, 0xffff, 0xff];
    if last > max[parts.len()] {
        return None;
    }
    let mut value = last as u32;
    for (i, p) in parts.iter().enumerate() {
        value |= (*p as u32) << (24 - 8 * i);
    }
    Some(Ipv4Addr::from(value))
}

/// `inet_pton(AF_INET6, …)`.
pub(crate) fn inet_pton6(s: &str) -> Option<Ipv6Addr> {
    s.parse().ok()
}

/// `inet_pton(AF_INET, …)`: strict dotted quad.
pub(crate) fn inet_pton4(s: &str) -> Option<Ipv4Addr> {
    s.parse().ok()
}

/// Which protocols a services-table entry is listed for.
#[derive(Clone, Copy)]
pub(crate) enum Protos {
    Tcp,
    Udp,
    Both,
}

impl Protos {
    fn has(self, p: Protocol) -> bool {
        matches!(
            (self, p),
            (Protos::Tcp, Protocol::Tcp)
                | (Protos::Udp, Protocol::Udp)
                | (Protos::Both, Protocol::Tcp | Protocol::Udp)
        )
    }
}

/// The services table: (name, aliases, port, protocols). A subset of Debian's
/// `/etc/services` (netbase); SCTP entries are not included, so SCTP ports always print
/// as numbers.
pub const SERVICES: &[(&str, &[&str], u16, &str)] = &[
    ("ftp-data", &[], 20, "tcp"),
    ("ftp", &[], 21, "tcp"),
    ("ssh", &[], 22, "tcp"),
    ("telnet", &[], 23, "tcp"),
    ("smtp", &["mail"], 25, "tcp"),
    ("domain", &[], 53, "tcp/udp"),
    ("bootps", &[], 67, "udp"),
    ("bootpc", &[], 68, "udp"),
    ("tftp", &[], 69, "udp"),
    ("http", &["www"], 80, "tcp"),
    (
        "kerberos",
        &["kerberos5", "krb5", "kerberos-sec"],
        88,
        "tcp/udp",
    ),
    ("pop3", &["pop-3"], 110, "tcp"),
    ("sunrpc", &["portmapper"], 111, "tcp/udp"),
    ("ntp", &[], 123, "udp"),
    ("imap2", &["imap"], 143, "tcp"),
    ("snmp", &[], 161, "tcp/udp"),
    ("ldap", &[], 389, "tcp/udp"),
    ("https", &[], 443, "tcp/udp"),
    ("syslog", &[], 514, "udp"),
    ("submission", &[], 587, "tcp"),
    ("ldaps", &[], 636, "tcp/udp"),
    ("imaps", &[], 993, "tcp"),
    ("pop3s", &[], 995, "tcp"),
    ("openvpn", &[], 1194, "tcp/udp"),
    ("mysql", &[], 3306, "tcp"),
    ("sip", &[], 5060, "tcp/udp"),
    ("postgresql", &["postgres"], 5432, "tcp"),
    ("http-alt", &["webcache"], 8080, "tcp"),
];

fn protos_of(s: &str) -> Protos {
    match s {
        "tcp" => Protos::Tcp,
        "udp" => Protos::Udp,
        _ => Protos::Both,
    }
}

/// `getservbyport(port, proto)`: the service's name, if the table lists it.
pub(crate) fn port_to_service(port: u16, proto: Option<Protocol>) -> Option<&'static str> {
    let proto = proto?;
    SERVICES
        .iter()
        .find(|(_, _, p, ps)| *p == port && protos_of(ps).has(proto))
        .map(|(n, ..)| *n)
}

/// `getservbyname(name, proto)`, aliases included.
pub(crate) fn service_to_port(name: &str, proto: Option<Protocol>) -> Option<u16> {
    let proto = proto?;
    SERVICES
        .iter()
        .find(|(n, aliases, _, ps)| {
            (*n == name || aliases.contains(&name)) && protos_of(ps).has(proto)
        })
        .map(|(_, _, p, _)| *p)
}

/// An address as a 4-word array in host order (IPv4 in the first word, as in the C
/// `union nf_inet_addr` read through `s6_addr32`).
pub(crate) fn addr_words(a: &IpAddr) -> [u32; 4] {
    match a {
        IpAddr::V4(v4) => [u32::from(*v4), 0, 0, 0],
        IpAddr::V6(v6) => {
            let o = v6.octets();
            let w = |i: usize| u32::from_be_bytes([o[i], o[i + 1], o[i + 2], o[i + 3]]);
            [w(0), w(4), w(8), w(12)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inet_aton_forms() {
        assert_eq!(inet_aton("10.0.0.1"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(inet_aton("10.1"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(inet_aton("10.1.258"), Some(Ipv4Addr::new(10, 1, 1, 2)));
        assert_eq!(inet_aton("0x0a000001"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(inet_aton("012.0.0.1"), Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(
            inet_aton("255.255.255.0"),
            Some(Ipv4Addr::new(255, 255, 255, 0))
        );
        assert_eq!(
            inet_aton("4294967295"),
            Some(Ipv4Addr::new(255, 255, 255, 255))
        );
        assert_eq!(inet_aton("4294967296"), None);
        assert_eq!(inet_aton("256.0.0.1"), None);
        assert_eq!(inet_aton("1.2.3.256"), None);
        assert_eq!(inet_aton("1.2.3.4.5"), None);
        assert_eq!(inet_aton("08"), None);
        assert_eq!(inet_aton("0x"), None);
        assert_eq!(inet_aton("host"), None);
        assert_eq!(inet_aton(""), None);
        assert_eq!(inet_aton("1."), None);
    }

    #[test]
    fn numbers() {
        assert_eq!(
            string_to_number("70000", 0, i64::from(i32::MAX)),
            Some(70000)
        );
        assert_eq!(string_to_number("-1", 0, 65535), None);
        assert_eq!(string_to_number(" +5", 0, 9), Some(5));
        assert_eq!(string_to_number("5x", 0, 9), None);
        assert_eq!(string_to_number("", 0, 9), None);
        assert_eq!(string_to_number("99999999999999999999", 0, 9), None);
        assert_eq!(atoi("64abc"), 64);
        assert_eq!(atoi("x"), 0);
        assert_eq!(atoi("-3"), -3);
    }

    #[test]
    fn services() {
        assert_eq!(port_to_service(80, Some(Protocol::Tcp)), Some("http"));
        assert_eq!(port_to_service(80, Some(Protocol::Udp)), None);
        assert_eq!(port_to_service(53, Some(Protocol::Udp)), Some("domain"));
        assert_eq!(port_to_service(80, None), None);
        assert_eq!(service_to_port("www", Some(Protocol::Tcp)), Some(80));
        assert_eq!(service_to_port("https", Some(Protocol::Sctp)), None);
    }
}
