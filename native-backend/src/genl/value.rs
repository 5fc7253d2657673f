//! Checked readers and writers for attribute payloads.
//!
//! Every reader insists on the exact size the kernel writes, so a reply with a wrong type or a
//! truncated payload is an error that names the attribute, never a panic or a silent guess.

use netlink_packet_core::{DecodeError, NlaBuffer, NlasIterator};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn exact<const N: usize>(what: &str, v: &[u8]) -> Result<[u8; N], DecodeError> {
    v.try_into().map_err(|_| {
        DecodeError::from(format!(
            "{what}: expected {N} bytes of payload, got {}",
            v.len()
        ))
    })
}

pub(crate) fn u8_of(what: &str, v: &[u8]) -> Result<u8, DecodeError> {
    Ok(exact::<1>(what, v)?[0])
}

pub(crate) fn u16_of(what: &str, v: &[u8]) -> Result<u16, DecodeError> {
    Ok(u16::from_ne_bytes(exact(what, v)?))
}

/// A 16-bit value the kernel keeps in network byte order (ports).
pub(crate) fn be16_of(what: &str, v: &[u8]) -> Result<u16, DecodeError> {
    Ok(u16::from_be_bytes(exact(what, v)?))
}

pub(crate) fn u32_of(what: &str, v: &[u8]) -> Result<u32, DecodeError> {
    Ok(u32::from_ne_bytes(exact(what, v)?))
}

pub(crate) fn u64_of(what: &str, v: &[u8]) -> Result<u64, DecodeError> {
    Ok(u64::from_ne_bytes(exact(what, v)?))
}

pub(crate) fn bytes4_of(what: &str, v: &[u8]) -> Result<[u8; 4], DecodeError> {
    exact(what, v)
}

pub(crate) fn ipv6_of(what: &str, v: &[u8]) -> Result<Ipv6Addr, DecodeError> {
    Ok(Ipv6Addr::from(exact::<16>(what, v)?))
}

pub(crate) fn ipv4_of(what: &str, v: &[u8]) -> Result<Ipv4Addr, DecodeError> {
    Ok(Ipv4Addr::from(exact::<4>(what, v)?))
}

/// A NUL-terminated string as the kernel sends it (`nla_put_string`); the NUL is optional
/// on input, the text must be UTF-8.
pub(crate) fn string_of(what: &str, v: &[u8]) -> Result<String, DecodeError> {
    let text = match v.iter().position(|&b| b == 0) {
        Some(nul) if v[nul..].iter().all(|&b| b == 0) => &v[..nul],
        Some(_) => return Err(DecodeError::from(format!("{what}: NUL inside the string"))),
        None => v,
    };
    String::from_utf8(text.to_vec())
        .map_err(|_| DecodeError::from(format!("{what}: string is not UTF-8")))
}

/// Writes a string with its terminating NUL (the emitted length is `s.len() + 1`).
pub(crate) fn put_string(buf: &mut [u8], s: &str) {
    buf[..s.len()].copy_from_slice(s.as_bytes());
    buf[s.len()] = 0;
}

/// The attributes inside a nested attribute's payload, each checked for a sane length.
pub(crate) fn nested<'a>(
    what: &str,
    payload: &'a [u8],
) -> Result<Vec<NlaBuffer<&'a [u8]>>, DecodeError> {
    NlasIterator::new(payload)
        .map(|r| r.map_err(|e| DecodeError::from(format!("{what}: {e}"))))
        .collect()
}

/// `union nf_inet_addr`: 16 bytes, an IPv4 address in the first four (network order).
///
/// The raw bytes are kept so that a reply is re-emitted exactly as it arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InetAddr {
    bytes: [u8; 16],
    len: u8,
}

impl InetAddr {
    /// The kernel's layout for an address: always the full 16-byte union.
    pub fn from_ip(ip: &IpAddr) -> Self {
        let mut bytes = [0u8; 16];
        match ip {
            IpAddr::V4(a) => bytes[..4].copy_from_slice(&a.octets()),
            IpAddr::V6(a) => bytes.copy_from_slice(&a.octets()),
        }
        InetAddr { bytes, len: 16 }
    }

    pub(crate) fn parse(what: &str, v: &[u8]) -> Result<Self, DecodeError> {
        if v.is_empty() || v.len() > 16 {
            return Err(DecodeError::from(format!(
                "{what}: an address is 1..16 bytes, got {}",
                v.len()
            )));
        }
        let mut bytes = [0u8; 16];
        bytes[..v.len()].copy_from_slice(v);
        Ok(InetAddr {
            bytes,
            len: v.len() as u8,
        })
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// The address read as the given family (AF_INET: first 4 bytes; AF_INET6: all 16).
    pub fn to_ip(&self, family: lvslab_sim::admin::Family) -> Result<IpAddr, DecodeError> {
        use lvslab_sim::admin::Family;
        match family {
            Family::Inet if self.len >= 4 => {
                let mut o = [0u8; 4];
                o.copy_from_slice(&self.bytes[..4]);
                Ok(IpAddr::V4(Ipv4Addr::from(o)))
            }
            Family::Inet6 if self.len == 16 => Ok(IpAddr::V6(Ipv6Addr::from(self.bytes))),
            _ => Err(DecodeError::from(format!(
                "address of {} bytes is too short for {family:?}",
                self.len
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_sizes_are_enforced() {
        assert!(u16_of("x", &[1]).is_err());
        assert!(u32_of("x", &[1, 2, 3, 4, 5]).is_err());
        assert_eq!(be16_of("x", &[0, 80]).unwrap(), 80);
        assert_eq!(string_of("x", b"wlc\0").unwrap(), "wlc");
        assert_eq!(string_of("x", b"wlc").unwrap(), "wlc");
        assert!(string_of("x", b"w\0c\0").is_err());
        assert!(string_of("x", &[0xff, 0]).is_err());
        assert!(InetAddr::parse("a", &[]).is_err());
        assert!(InetAddr::parse("a", &[0; 17]).is_err());
    }
}
