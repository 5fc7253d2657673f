//! The scenario file format (TOML). Every table rejects unknown fields so that a typo is an
//! error with a location, not a silently ignored setting.

use crate::time::{parse_duration, SimDuration};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A duration written as "1.5s", "200ms", "50us" or a number of seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Dur(pub SimDuration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Dur;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"1.5s\", \"200ms\" or \"50us\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Dur, E> {
                parse_duration(s).map(Dur).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dur, E> {
                if v < 0 {
                    return Err(E::custom("a duration cannot be negative"));
                }
                Ok(Dur(SimDuration::from_secs(v as u64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dur, E> {
                if !v.is_finite() || v < 0.0 {
                    return Err(E::custom(
                        "a duration must be a non-negative number of seconds",
                    ));
                }
                Ok(Dur(SimDuration::from_secs_f64(v)))
            }
        }
        d.deserialize_any(V)
    }
}

/// A bandwidth written as "1Gbps", "100Mbps", "10kbps" or a number of bits per second.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Bandwidth(pub u64);

impl<'de> Deserialize<'de> for Bandwidth {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Bandwidth;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a bandwidth such as \"1Gbps\" or \"100Mbps\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Bandwidth, E> {
                let t = s.trim();
                let lower = t.to_ascii_lowercase();
                let (num, mult) = if let Some(v) = lower.strip_suffix("gbps") {
                    (v.to_string(), 1e9)
                } else if let Some(v) = lower.strip_suffix("mbps") {
                    (v.to_string(), 1e6)
                } else if let Some(v) = lower.strip_suffix("kbps") {
                    (v.to_string(), 1e3)
                } else if let Some(v) = lower.strip_suffix("bps") {
                    (v.to_string(), 1.0)
                } else {
                    return Err(E::custom(format!(
                        "`{s}` is not a bandwidth (write e.g. \"1Gbps\", \"100Mbps\")"
                    )));
                };
                let v: f64 = num
                    .trim()
                    .parse()
                    .map_err(|_| E::custom(format!("`{s}` is not a bandwidth")))?;
                if !v.is_finite() || v < 0.0 {
                    return Err(E::custom(format!("`{s}` is not a bandwidth")));
                }
                Ok(Bandwidth((v * mult) as u64))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Bandwidth, E> {
                u64::try_from(v)
                    .map(Bandwidth)
                    .map_err(|_| E::custom("bandwidth cannot be negative"))
            }
        }
        d.deserialize_any(V)
    }
}

/// A service-time distribution: "2ms" (constant) or a table such as
/// `{ dist = "exponential", mean = "5ms" }`, `{ dist = "uniform", min = "1ms", max = "3ms" }`,
/// `{ dist = "lognormal", median = "5ms", sigma = 0.5 }`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DistSpec(pub crate::transport::app::Distribution);

impl<'de> Deserialize<'de> for DistSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use crate::transport::app::Distribution;
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DistSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration (\"2ms\") or a table like { dist = \"exponential\", mean = \"5ms\" }")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<DistSpec, E> {
                parse_duration(s)
                    .map(|d| DistSpec(Distribution::Constant(d)))
                    .map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<DistSpec, A::Error> {
                let mut dist: Option<String> = None;
                let mut f: BTreeMap<String, Dur> = BTreeMap::new();
                let mut sigma: Option<f64> = None;
                while let Some(k) = m.next_key::<String>()? {
                    match k.as_str() {
                        "dist" => dist = Some(m.next_value()?),
                        "sigma" => sigma = Some(m.next_value()?),
                        "mean" | "min" | "max" | "median" | "value" => {
                            let v: Dur = m.next_value()?;
                            f.insert(k, v);
                        }
                        other => {
                            return Err(de::Error::unknown_field(
                                other,
                                &["dist", "mean", "min", "max", "median", "sigma", "value"],
                            ))
                        }
                    }
                }
                let get = |k: &str| {
                    f.get(k)
                        .map(|d| d.0)
                        .ok_or_else(|| de::Error::missing_field(leak(k)))
                };
                let d = match dist.as_deref() {
                    Some("constant") => Distribution::Constant(get("value")?),
                    Some("exponential") | Some("exp") => {
                        Distribution::Exponential { mean: get("mean")? }
                    }
                    Some("uniform") => {
                        let (a, b) = (get("min")?, get("max")?);
                        if b < a {
                            return Err(de::Error::custom("uniform: max is below min"));
                        }
                        Distribution::Uniform { min: a, max: b }
                    }
                    Some("lognormal") => Distribution::LogNormal {
                        median: get("median")?,
                        sigma: sigma.unwrap_or(0.5),
                    },
                    Some(o) => {
                        return Err(de::Error::unknown_variant(
                            o,
                            &["constant", "exponential", "uniform", "lognormal"],
                        ))
                    }
                    None => return Err(de::Error::missing_field("dist")),
                };
                Ok(DistSpec(d))
            }
        }
        d.deserialize_any(V)
    }
}

fn leak(k: &str) -> &'static str {
    match k {
        "mean" => "mean",
        "min" => "min",
        "max" => "max",
        "median" => "median",
        _ => "value",
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    pub scenario: Meta,
    #[serde(default, rename = "segment")]
    pub segments: Vec<SegmentSpec>,
    #[serde(default, rename = "host")]
    pub hosts: Vec<HostSpec>,
    #[serde(default, rename = "workload")]
    pub workloads: Vec<WorkloadFile>,
    #[serde(default, rename = "fault")]
    pub faults: Vec<FaultFile>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Lesson,
    Failure,
    WhatIf,
    Ha,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub name: String,
    pub title: String,
    pub kind: Kind,
    /// What to watch for, shown next to the scenario in the browser and `lvslab list`.
    #[serde(default)]
    pub watch: String,
    #[serde(default = "default_seed")]
    pub seed: u64,
    pub duration: Dur,
    /// Order among scenarios of the same kind (lessons are listed first).
    #[serde(default)]
    pub order: u32,
}

fn default_seed() -> u64 {
    1
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SegmentSpec {
    pub name: String,
    #[serde(default = "default_latency")]
    pub latency: Dur,
    #[serde(default = "default_bw")]
    pub bandwidth: Bandwidth,
    #[serde(default)]
    pub jitter: Option<Dur>,
    #[serde(default)]
    pub loss: f64,
}

fn default_latency() -> Dur {
    Dur(SimDuration::from_micros(100))
}
fn default_bw() -> Bandwidth {
    Bandwidth(1_000_000_000)
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum RoleSpec {
    Client,
    Router,
    Director,
    RealServer,
    Host,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HostSpec {
    pub name: String,
    pub role: RoleSpec,
    #[serde(default, rename = "iface")]
    pub ifaces: Vec<IfaceSpec>,
    #[serde(default, rename = "route")]
    pub routes: Vec<RouteSpec>,
    /// `net.ipv4.*` sysctls, e.g. "net.ipv4.conf.all.arp_ignore" = 1.
    #[serde(default)]
    pub sysctl: BTreeMap<String, i64>,
    /// Kernel modules: "ipip" creates tunl0.
    #[serde(default)]
    pub modules: Vec<String>,
    #[serde(default)]
    pub ipvs: Option<IpvsSpec>,
    #[serde(default, rename = "server")]
    pub servers: Vec<ServerFile>,
    /// TIME_WAIT length of this host's TCP (Linux: 60 s).
    #[serde(default)]
    pub time_wait: Option<Dur>,
    /// keepalived.conf text run by this director (VRRP, health checkers; its
    /// virtual_server sections program the IPVS table). See scenario/keepalived.rs.
    #[serde(default)]
    pub keepalived: Option<String>,
    /// keepalived starts this long after the scenario does (a director booted later);
    /// at once by default.
    #[serde(default)]
    pub keepalived_start: Option<Dur>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IfaceSpec {
    pub name: String,
    /// Segment for Ethernet interfaces; absent for `lo` and `tunl0`.
    #[serde(default)]
    pub segment: Option<String>,
    #[serde(default)]
    pub addrs: Vec<String>,
    #[serde(default)]
    pub mac: Option<String>,
    #[serde(default)]
    pub mtu: Option<u16>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    /// "default" or a CIDR.
    pub to: String,
    #[serde(default)]
    pub via: Option<String>,
    #[serde(default)]
    pub dev: Option<String>,
    #[serde(default)]
    pub src: Option<String>,
}

/// The director's IPVS table: ipvsadm lines and/or structured services.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Default)]
#[serde(deny_unknown_fields)]
pub struct IpvsSpec {
    /// ipvsadm command lines (with or without the leading `ipvsadm`), one per line.
    #[serde(default)]
    pub rules: Option<String>,
    #[serde(default, rename = "service")]
    pub services: Vec<ServiceFile>,
    /// `ipvsadm --set tcp tcpfin udp`
    #[serde(default)]
    pub timeouts: Option<[u32; 3]>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceFile {
    /// "tcp", "udp" (with address) or "fwmark".
    #[serde(default)]
    pub tcp: Option<String>,
    #[serde(default)]
    pub udp: Option<String>,
    #[serde(default)]
    pub fwmark: Option<u32>,
    #[serde(default = "default_sched")]
    pub scheduler: String,
    /// Persistence timeout in seconds.
    #[serde(default)]
    pub persistent: Option<u32>,
    #[serde(default)]
    pub netmask: Option<String>,
    /// Scheduler flags: "sh-fallback", "sh-port", "mh-fallback", "mh-port".
    #[serde(default)]
    pub flags: Vec<String>,
    #[serde(default)]
    pub ops: bool,
    #[serde(default, rename = "real_server")]
    pub real_servers: Vec<RealServerFile>,
}

fn default_sched() -> String {
    "wlc".into()
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum MethodFile {
    Nat,
    Dr,
    Tun,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RealServerFile {
    /// "addr:port" (port defaults to the service's).
    pub address: String,
    pub method: MethodFile,
    #[serde(default = "one")]
    pub weight: i32,
    #[serde(default)]
    pub u_threshold: u32,
    #[serde(default)]
    pub l_threshold: u32,
}

fn one() -> i32 {
    1
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ProtoFile {
    #[default]
    Tcp,
    Udp,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServerFile {
    pub port: u16,
    #[serde(default)]
    pub proto: ProtoFile,
    #[serde(default = "default_workers")]
    pub workers: u32,
    #[serde(default = "default_backlog")]
    pub backlog: u32,
    #[serde(default = "default_service_time")]
    pub service_time: DistSpec,
    /// Response header bytes (first segment), like a small HTTP/1.0 response.
    #[serde(default = "default_hdr")]
    pub header_bytes: u32,
    /// Response body bytes.
    #[serde(default = "default_body")]
    pub body_bytes: u32,
    #[serde(default = "default_status")]
    pub status: u16,
}

fn default_workers() -> u32 {
    64
}
fn default_backlog() -> u32 {
    511
}
fn default_service_time() -> DistSpec {
    DistSpec(crate::transport::app::Distribution::Constant(
        SimDuration::from_micros(200),
    ))
}
fn default_hdr() -> u32 {
    207
}
fn default_body() -> u32 {
    4
}
fn default_status() -> u16 {
    200
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ArrivalFile {
    #[default]
    Poisson,
    Uniform,
    Sequential,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum ModeFile {
    #[default]
    Request,
    Hold,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WorkloadFile {
    #[serde(default)]
    pub name: Option<String>,
    pub client: String,
    /// "VIP:port"
    pub target: String,
    #[serde(default)]
    pub proto: ProtoFile,
    #[serde(default)]
    pub arrival: ArrivalFile,
    /// Connections per second (poisson, uniform).
    #[serde(default)]
    pub rate: Option<f64>,
    /// Pause between sequential connections.
    #[serde(default)]
    pub think: Option<Dur>,
    #[serde(default)]
    pub connections: Option<u64>,
    #[serde(default)]
    pub start: Option<Dur>,
    #[serde(default)]
    pub stop: Option<Dur>,
    /// Source addresses ("10.0.0.101" or a range "10.0.0.101-10.0.0.112"); they must be
    /// configured on the client.
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default = "default_req")]
    pub request_bytes: u32,
    #[serde(default = "default_path")]
    pub path: String,
    #[serde(default = "default_timeout")]
    pub timeout: Dur,
    /// Close the client's side right after the request (as `nc` does).
    #[serde(default = "yes")]
    pub half_close: bool,
    #[serde(default)]
    pub mode: ModeFile,
    /// With mode = "hold": close after this long (absent: hold to the end).
    #[serde(default)]
    pub hold: Option<Dur>,
    /// A pcap or pcapng capture (relative to the scenario file) whose connections to the
    /// target's port are replayed: their start times, client addresses and ports, request
    /// and response sizes. The command line reads it into `replay`.
    #[serde(default)]
    pub capture: Option<String>,
    /// The server port whose connections are taken from the capture (default: the
    /// target's port).
    #[serde(default)]
    pub capture_port: Option<u16>,
    /// Connections to open exactly as listed (arrival, rate and connections are ignored).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replay: Vec<ReplayConnFile>,
}

/// One replayed connection: start time after the workload's start, "addr:port" of the
/// client, and the bytes each way.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReplayConnFile {
    pub at: Dur,
    pub source: String,
    pub request_bytes: u32,
    pub response_bytes: u32,
}

fn default_req() -> u32 {
    34
}
fn default_path() -> String {
    "/".into()
}
fn default_timeout() -> Dur {
    Dur(SimDuration::from_secs(10))
}
fn yes() -> bool {
    true
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FaultKind {
    HostDown,
    HostUp,
    LinkDown,
    LinkUp,
    Sysctl,
    Ipvsadm,
    Slow,
    /// keepalived gets SIGTERM (priority-0 adverts, VIPs and services removed).
    KeepalivedStop,
    /// keepalived starts again.
    KeepalivedStart,
    /// keepalived's VRRP process is killed: no more adverts, VIPs stay.
    KeepalivedKill,
    /// `name` = VRRP instance, `value` = its new priority.
    VrrpPriority,
    /// `name` = vrrp_script, `value` = 1 (succeeds) or 0 (fails).
    VrrpScript,
    /// The server application on `port` stops listening.
    ServerStop,
    /// The stopped server application on `port` listens again.
    ServerStart,
    /// Frames between `host` and the host named in `name` are lost on the segments they
    /// share (only the segment of `iface` when given); interfaces stay up (a split).
    Cut,
    /// Undoes `cut`.
    Restore,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FaultFile {
    pub at: Dur,
    pub action: FaultKind,
    pub host: String,
    #[serde(default)]
    pub iface: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub value: Option<i64>,
    /// ipvsadm command line for action = "ipvsadm".
    #[serde(default)]
    pub command: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub factor: Option<f64>,
}
