//! The scenarios shipped in scenarios/, compiled in so the browser and the CLI can offer
//! them without files.

/// A bundled scenario file.
#[derive(Clone, Copy, Debug)]
pub struct Bundled {
    /// File stem, e.g. "nat-lab".
    pub name: &'static str,
    pub text: &'static str,
}

macro_rules! bundle {
    ($($name:literal),* $(,)?) => {
        &[$(Bundled { name: $name, text: include_str!(concat!("../../scenarios/", $name, ".toml")) }),*]
    };
}

/// Every bundled scenario.
pub const ALL: &[Bundled] = bundle![
    "nat-lab",
    "dr-lab",
    "tun-lab",
    "nat-wrong-gateway",
    "dr-arp-flux",
    "tun-rp-filter",
    "dr-port-mapping",
    "dr-gateway-dip",
    "schedulers-compare",
    "testbed-nat",
    "testbed-dr",
    "testbed-tun",
    "lc-time-wait",
    "persistence-pinning",
    "capacity-dr-10rs",
    "ha-nat-keepalived",
    "ha-failover-nosync",
    "ha-failover-sync",
    "ha-dr-keepalived",
    "ha-nopreempt",
    "ha-split-brain",
    "ha-checker-dead-rs",
    "ha-checker-inhibit",
    "vm-nat",
    "vm-dr",
    "vm-tun",
];

pub fn find(name: &str) -> Option<&'static Bundled> {
    let stem = name.trim_end_matches(".toml");
    let stem = stem.rsplit('/').next().unwrap_or(stem);
    ALL.iter().find(|b| b.name == stem)
}

macro_rules! bundle_lessons {
    ($($name:literal),* $(,)?) => {
        &[$(Bundled { name: $name, text: include_str!(concat!("../../lessons/", $name, ".toml")) }),*]
    };
}

/// Every bundled lesson (lessons/*.toml), by id.
pub const LESSONS: &[Bundled] = bundle_lessons![
    "nat",
    "dr",
    "tun",
    "arp-flux",
    "nat-gateway",
    "tun-rp-filter",
    "dr-gateway-dip",
    "schedulers",
    "lc-time-wait",
    "health-check",
    "persistence",
    "failover",
];

/// A bundled lesson by id (or by a path ending in its file name).
pub fn find_lesson(name: &str) -> Option<&'static Bundled> {
    let stem = name.trim_end_matches(".toml");
    let stem = stem.rsplit('/').next().unwrap_or(stem);
    LESSONS.iter().find(|b| b.name == stem)
}
