//! The hash functions IPVS schedulers use (K:include/linux/hash.h, K:lib/siphash.c).
//!
//! Written here rather than pulled from a crate so that sim-core stays dependency-free
//! and the exact kernel variants (generic `hash_32`, 64-bit `hsiphash`) are pinned.

use std::net::IpAddr;

/// The multiplier of the kernel's generic `hash_32` (GOLDEN_RATIO_32).
const GOLDEN_RATIO_32: u32 = 0x61C8_8647;

/// Generic `hash_32(val, bits)`: the top `bits` bits of `val * GOLDEN_RATIO_32 mod 2^32`.
pub fn hash_32(val: u32, bits: u32) -> u32 {
    debug_assert!((1..=32).contains(&bits));
    val.wrapping_mul(GOLDEN_RATIO_32) >> (32 - bits)
}

/// An address reduced to 32 bits in host order, as the schedulers hash it:
/// IPv4 as is, IPv6 as the XOR of its four 32-bit words (then `ntohl`).
pub fn fold_addr(addr: IpAddr) -> u32 {
    match addr {
        IpAddr::V4(a) => u32::from(a),
        IpAddr::V6(a) => {
            let o = a.octets();
            (0..4).fold(0u32, |acc, i| {
                acc ^ u32::from_be_bytes([o[4 * i], o[4 * i + 1], o[4 * i + 2], o[4 * i + 3]])
            })
        }
    }
}

/// A 128-bit SipHash key as two 64-bit words (k0 = first 8 key bytes, little-endian).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SipKey(pub u64, pub u64);

#[inline]
fn sip_round(v: &mut [u64; 4]) {
    v[0] = v[0].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(13);
    v[1] ^= v[0];
    v[0] = v[0].rotate_left(32);
    v[2] = v[2].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(16);
    v[3] ^= v[2];
    v[0] = v[0].wrapping_add(v[3]);
    v[3] = v[3].rotate_left(21);
    v[3] ^= v[0];
    v[2] = v[2].wrapping_add(v[1]);
    v[1] = v[1].rotate_left(17);
    v[1] ^= v[2];
    v[2] = v[2].rotate_left(32);
}

/// SipHash-c-d with a 64-bit result (the reference algorithm, any message length).
pub fn siphash(c_rounds: usize, d_rounds: usize, key: SipKey, msg: &[u8]) -> u64 {
    let mut v = [
        0x736f_6d65_7073_6575 ^ key.0,
        0x646f_7261_6e64_6f6d ^ key.1,
        0x6c79_6765_6e65_7261 ^ key.0,
        0x7465_6462_7974_6573 ^ key.1,
    ];
    let mut chunks = msg.chunks_exact(8);
    for chunk in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let m = u64::from_le_bytes(w);
        v[3] ^= m;
        for _ in 0..c_rounds {
            sip_round(&mut v);
        }
        v[0] ^= m;
    }
    let mut b = (msg.len() as u64) << 56;
    for (i, byte) in chunks.remainder().iter().enumerate() {
        b |= (*byte as u64) << (8 * i);
    }
    v[3] ^= b;
    for _ in 0..c_rounds {
        sip_round(&mut v);
    }
    v[0] ^= b;
    v[2] ^= 0xff;
    for _ in 0..d_rounds {
        sip_round(&mut v);
    }
    v[0] ^ v[1] ^ v[2] ^ v[3]
}

/// The kernel's `hsiphash(&v, 4, key)` on a 64-bit kernel: SipHash-1-3 over the 4-byte
/// little-endian value, result truncated to its low 32 bits.
pub fn hsiphash_u32(v: u32, key: SipKey) -> u32 {
    siphash(1, 3, key, &v.to_le_bytes()) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn v4(s: &str) -> IpAddr {
        IpAddr::V4(s.parse::<Ipv4Addr>().unwrap())
    }

    #[test]
    fn siphash_2_4_matches_the_official_vector() {
        // Key 00..0f, message 00..0e (15 bytes): the SipHash paper's test vector.
        let key_bytes: Vec<u8> = (0u8..16).collect();
        let k0 = u64::from_le_bytes(key_bytes[0..8].try_into().unwrap());
        let k1 = u64::from_le_bytes(key_bytes[8..16].try_into().unwrap());
        let msg: Vec<u8> = (0u8..15).collect();
        assert_eq!(siphash(2, 4, SipKey(k0, k1), &msg), 0xa129_ca61_49be_45e5);
    }

    #[test]
    fn siphash_2_4_empty_message_vector() {
        // First entry of the reference vectors table (64-bit output, empty input).
        let key_bytes: Vec<u8> = (0u8..16).collect();
        let k0 = u64::from_le_bytes(key_bytes[0..8].try_into().unwrap());
        let k1 = u64::from_le_bytes(key_bytes[8..16].try_into().unwrap());
        assert_eq!(siphash(2, 4, SipKey(k0, k1), &[]), 0x726f_db47_dd0e_0e31);
    }

    #[test]
    fn hash_32_vectors_for_dh_sh_and_lblc() {
        let cases = [
            ("10.0.0.1", 39, 159),
            ("10.0.0.2", 137, 550),
            ("192.168.1.100", 89, 357),
            ("172.16.5.9", 115, 460),
        ];
        for (a, b8, b10) in cases {
            let x = fold_addr(v4(a));
            assert_eq!(hash_32(x, 8), b8, "{a} 8 bits");
            assert_eq!(hash_32(x, 10), b10, "{a} 10 bits");
        }
        // sh with sh-port: 10.0.0.1 source port 12345.
        assert_eq!(
            hash_32(12345u32.wrapping_add(fold_addr(v4("10.0.0.1"))), 8),
            134
        );
    }

    #[test]
    fn hash_32_is_the_top_bits_of_the_product() {
        assert_eq!(hash_32(1, 32), 0x61C8_8647);
        assert_eq!(hash_32(1, 8), 0x61);
        assert_eq!(hash_32(0, 10), 0);
    }

    #[test]
    fn ipv6_fold_xors_the_four_words() {
        let a: Ipv6Addr = "2001:db8::1".parse().unwrap();
        assert_eq!(fold_addr(IpAddr::V6(a)), 0x2001_0db8 ^ 0x0000_0001);
        let b: Ipv6Addr = "::ffff:0:0".parse().unwrap();
        assert_eq!(fold_addr(IpAddr::V6(b)), 0x0000_ffff);
    }
}
