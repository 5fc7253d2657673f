//! ipvsadm's command line, with ipvsadm 1.31's semantics and messages: the first option
//! must be the command, options are validated against the command (its
//! `commands_v_options` table), and every add **and** edit carries ipvsadm's defaults
//! (weight 1, direct routing, thresholds 0, scheduler wlc, netmask /32 or /128, no
//! persistence), so `-e` without `-m` turns a NAT server into DR and `-E` without `-p`
//! removes persistence.
//!
//! One deliberate difference from the 1.31 source: `-w` accepts 0..2147483647, as the
//! observed ipvsadm 1.31 build does (it listed `-w 70000` as 70000).

use super::inet::{atoi, inet_aton, inet_pton4, inet_pton6, service_to_port, string_to_number};
use super::popt::{Opt, Popt, Tag};
use crate::admin::{
    svc_flags, DestConfig, Family, FwdMethod, IpvsOp, Protocol, ServiceConfig, ServiceKey,
    SyncDaemonConfig, SyncState, Timeouts, TunCsum, TunType, DEFAULT_PERSISTENCE_TIMEOUT,
};
use std::net::IpAddr;

/// Longest persistence / protocol timeout ipvsadm accepts: 31 days.
pub const MAX_TIMEOUT: i64 = 86400 * 31;
/// ipvsadm's default scheduler.
pub const DEFAULT_SCHEDULER: &str = "wlc";
/// ipvsadm's default sync-daemon interface.
pub const DEFAULT_MCAST_IFN: &str = "eth0";
/// Longest scheduler name the kernel API carries (IP_VS_SCHEDNAME_MAXLEN - 1).
const SCHEDNAME_MAX: usize = 15;
/// IP_VS_PENAME_MAXLEN.
const PENAME_MAX: usize = 16;
/// IP_VS_IFNAME_MAXLEN - 1.
const IFNAME_MAX: usize = 15;

/// How a listing is formatted (ipvsadm's FMT_* flags).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ListFormat {
    /// `-n`: no name resolution.
    pub numeric: bool,
    pub stats: bool,
    pub rate: bool,
    pub thresholds: bool,
    pub persistent_conn: bool,
    pub nosort: bool,
    /// `--exact` / `-X`: full numbers instead of K/M/G.
    pub exact: bool,
    pub tun_info: bool,
}

/// What `-L` shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListWhat {
    /// Every service (with the version line).
    All,
    /// One service (`-L -t …`): no version line.
    Service(ServiceKey),
    /// `-c`: the connection table.
    Connections,
    /// `--timeout`
    Timeout,
    /// `--daemon`
    Daemon,
}

/// One parsed ipvsadm invocation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// A change to the table (-A -E -D -C -a -e -d -Z --set --start-daemon --stop-daemon).
    Apply(IpvsOp),
    List {
        what: ListWhat,
        format: ListFormat,
    },
    /// `-S`: the table as ipvsadm arguments.
    Save {
        numeric: bool,
    },
    /// `-R`: read commands from standard input.
    Restore,
    /// `-h`: usage on stdout, exit 0.
    Help,
    /// `-v`: version on stdout, exit 0.
    Version,
}

/// A command-line error: ipvsadm's message for stderr and its exit status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandLineError {
    /// The text printed on stderr, without the final newline.
    pub message: String,
    pub exit_code: i32,
    /// ipvsadm reports this error and returns -1 to its caller instead of exiting (an
    /// option-scanning error after the command). Inside `-R` the next line then runs.
    pub returns: bool,
}

impl CommandLineError {
    fn fail(message: impl Into<String>) -> Self {
        CommandLineError {
            message: message.into(),
            exit_code: 2,
            returns: false,
        }
    }
    /// `tryhelp_exit(argv[0], -1)`.
    pub(crate) fn try_help() -> Self {
        CommandLineError {
            message: "Try `ipvsadm -h' or 'ipvsadm --help' for more information.".into(),
            exit_code: 255,
            returns: false,
        }
    }
}

impl std::fmt::Display for CommandLineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (exit {})", self.message, self.exit_code)
    }
}

type Fail<T> = Result<T, CommandLineError>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cmd {
    Add = 1,
    Edit,
    Del,
    Flush,
    List,
    AddDest,
    DelDest,
    EditDest,
    Timeout,
    StartDaemon,
    StopDaemon,
    Restore,
    Save,
    Zero,
}

const CMD_NAMES: [&str; 14] = [
    "add-service",
    "edit-service",
    "delete-service",
    "flush",
    "list",
    "add-server",
    "delete-server",
    "edit-server",
    "set",
    "start-daemon",
    "stop-daemon",
    "restore",
    "save",
    "zero",
];

/// Option bits, in the order of ipvsadm's OPTC_* numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum O {
    Numeric = 0,
    Connection,
    Service,
    Scheduler,
    Persistent,
    Netmask,
    Server,
    Forward,
    Weight,
    UThreshold,
    LThreshold,
    Mcast,
    Timeout,
    Daemon,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    NoSort,
    SyncId,
    Exact,
    OnePacket,
    PersistenceEngine,
    SchedFlags,
    McastGroup,
    McastPort,
    McastTtl,
    SyncMaxlen,
    TunInfo,
    TunType,
    TunPort,
    TunNocsum,
    TunCsum,
    TunRemcsum,
}

const OPT_NAMES: [&str; 34] = [
    "numeric",
    "connection",
    "service-address",
    "scheduler",
    "persistent",
    "netmask",
    "real-server",
    "forwarding-method",
    "weight",
    "u-threshold",
    "l-threshold",
    "mcast-interface",
    "timeout",
    "daemon",
    "stats",
    "rate",
    "thresholds",
    "persistent-conn",
    "nosort",
    "syncid",
    "exact",
    "ops",
    "pe",
    "sched-flags",
    "mcast-group",
    "mcast-port",
    "mcast-ttl",
    "sync-maxlen",
    "tun-info",
    "tun-type",
    "tun-port",
    "tun-nocsum",
    "tun-csum",
    "tun-remcsum",
];

/// Legal combinations of commands (rows) and options (columns, in OPT_NAMES order):
/// `+` compulsory, `x` illegal, `1` at most one of them, ` ` optional.
const COMMANDS_V_OPTIONS: [&[u8; 34]; 14] = [
    b"xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx", // add-service
    b"xx+   xxxxxxxxxxxxxxx   xxxxxxxxxx", // edit-service
    b"xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", // delete-service
    b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", // flush
    b" 11xxxxxxxxx11       xxxxxxx xxxxx", // list
    b"xx+xxx+    xxxxxxxxxxxxxxxxxx     ", // add-server
    b"xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx", // delete-server
    b"xx+xxx+    xxxxxxxxxxxxxxxxxx     ", // edit-server
    b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", // set
    b"xxxxxxxxxxx xxxxxxx xxxx    xxxxxx", // start-daemon
    b"xxxxxxxxxxxxxxxxxxx xxxxxxxxxxxxxx", // stop-daemon
    b"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", // restore
    b" xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", // save
    b"xx xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", // zero
];

/// Tunnel options checked per tunnel type: tun-port, tun-nocsum, tun-csum, tun-remcsum.
const TUN_OPTS: [O; 4] = [O::TunPort, O::TunNocsum, O::TunCsum, O::TunRemcsum];
const TUNNEL_TYPES_V_OPTIONS: [&[u8; 4]; 3] = [b"xxxx", b"+111", b"x11x"];

/// The virtual service being described (ipvsadm's `ipvs_service_t`).
#[derive(Clone, Debug, Default)]
struct Svc {
    /// 0 (unset), 2 (AF_INET) or 10 (AF_INET6).
    af: u16,
    protocol: Option<Protocol>,
    addr: Option<IpAddr>,
    port: u16,
    fwmark: u32,
    sched_name: String,
    flags: u32,
    timeout: u32,
    /// IPv4 mask in host byte order, or IPv6 prefix length.
    netmask: u32,
    pe_name: String,
}

#[derive(Clone, Debug)]
struct Dest {
    af: u16,
    addr: Option<IpAddr>,
    port: u16,
    fwd: FwdMethod,
    weight: i32,
    u_threshold: u32,
    l_threshold: u32,
    tun_type: TunType,
    tun_port: u16,
    tun_flags: u16,
}

#[derive(Clone, Debug)]
struct Daemon {
    state: Option<SyncState>,
    mcast_ifn: String,
    syncid: u8,
    maxlen: Option<u16>,
    group: Option<IpAddr>,
    port: Option<u16>,
    ttl: Option<u8>,
}

const AF_INET: u16 = 2;
const AF_INET6: u16 = 10;

/// SERVICE_ADDR / SERVICE_PORT bits returned by `parse_service`.
const SERVICE_ADDR: u8 = 1;
const SERVICE_PORT: u8 = 2;

/// ipvsadm's `parse_service`: `host[:port]`, `[v6]:port` or a bare IPv6 address.
/// Writes af/addr/port (and the /128 netmask for IPv6) into `svc` and returns which
/// parts were found; 0 means "illegal".
fn parse_service(buf: &str, svc: &mut Svc) -> u8 {
    if buf.bytes().all(|b| b.is_ascii_digit()) {
        return 0;
    }
    let mut host: &str = buf;
    let mut port_str: Option<&str> = None;
    let bracketed = buf.starts_with('[');
    if bracketed {
        let inner = &buf[1..];
        let Some(close) = inner.find(']') else {
            return 0;
        };
        let after = &inner[close + 1..];
        let Some(p) = after.strip_prefix(':') else {
            return 0;
        };
        host = &inner[..close];
        port_str = Some(p);
    }
    if let Some(a6) = inet_pton6(host) {
        svc.addr = Some(IpAddr::V6(a6));
        svc.af = AF_INET6;
        svc.netmask = 128;
    } else {
        // ipvsadm looks for the port again in what is left (for a bracketed IPv4 address
        // that is nothing, so its port is silently dropped).
        port_str = None;
        if let Some(i) = host.rfind(':') {
            port_str = Some(&host[i + 1..]);
            host = &host[..i];
        }
        match inet_aton(host) {
            Some(a4) => {
                svc.addr = Some(IpAddr::V4(a4));
                svc.af = AF_INET;
            }
            None => return 0,
        }
    }
    let mut result = SERVICE_ADDR;
    if let Some(p) = port_str {
        result |= SERVICE_PORT;
        if let Some(n) = string_to_number(p, 0, 65535) {
            svc.port = n as u16;
        } else if let Some(n) = service_to_port(p, svc.protocol) {
            svc.port = n;
        } else {
            return 0;
        }
    }
    result
}

fn parse_timeout(buf: Option<&str>, min: i64, max: i64) -> Fail<u32> {
    match buf {
        None => Ok(DEFAULT_PERSISTENCE_TIMEOUT),
        Some(b) => string_to_number(b, min, max)
            .map(|n| n as u32)
            .ok_or_else(|| {
                CommandLineError::fail(format!("invalid timeout value `{b}' specified"))
            }),
    }
}

fn parse_fwmark(buf: &str) -> Fail<u32> {
    match super::inet::strtol_full(buf) {
        Some(l) if l > 0 && l <= i64::from(u32::MAX) => Ok(l as u32),
        _ => Err(CommandLineError::fail(format!(
            "invalid fwmark value `{buf}' specified"
        ))),
    }
}

fn parse_sched_flags(sched: &str, arg: &str) -> Fail<u32> {
    let sched = if sched.is_empty() {
        DEFAULT_SCHEDULER
    } else {
        sched
    };
    let mut flags = 0;
    let mut any = false;
    for flag in arg.split(',').filter(|f| !f.is_empty()) {
        any = true;
        let (bit, needs) = match flag {
            "flag-1" => (svc_flags::SCHED1, None),
            "flag-2" => (svc_flags::SCHED2, None),
            "flag-3" => (svc_flags::SCHED3, None),
            "sh-fallback" => (svc_flags::SCHED1, Some("sh")),
            "sh-port" => (svc_flags::SCHED2, Some("sh")),
            "mh-fallback" => (svc_flags::SCHED1, Some("mh")),
            "mh-port" => (svc_flags::SCHED2, Some("mh")),
            _ => {
                return Err(CommandLineError::fail(format!(
                    "invalid scheduler flag `{flag}'"
                )))
            }
        };
        flags |= bit;
        if let Some(s) = needs {
            if s != sched {
                return Err(CommandLineError::fail(format!(
                    "incompatible scheduler flag `{flag}'"
                )));
            }
        }
    }
    if !any {
        // ipvsadm 1.31 dereferences a null token here and crashes; report it instead.
        return Err(CommandLineError::fail(format!(
            "invalid scheduler flag `{arg}'"
        )));
    }
    Ok(flags)
}

fn truncate(s: &str, max: usize) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if out.len() + c.len_utf8() > max {
            break;
        }
        out.push(c);
    }
    out
}

struct State {
    cmd: Option<Cmd>,
    options: u64,
    format: ListFormat,
    svc: Svc,
    dest: Dest,
    daemon: Daemon,
    timeouts: Timeouts,
}

impl State {
    fn set_option(&mut self, o: O) -> Fail<()> {
        let bit = 1u64 << (o as u32);
        if self.options & bit != 0 {
            return Err(CommandLineError::fail(format!(
                "multiple '{}' options specified",
                OPT_NAMES[o as usize]
            )));
        }
        self.options |= bit;
        Ok(())
    }
    fn has(&self, o: O) -> bool {
        self.options & (1u64 << (o as u32)) != 0
    }
}

fn arg_of(o: &Opt) -> &str {
    o.arg.as_deref().unwrap_or("")
}

/// The command and its options, from ipvsadm's arguments (without the program name).
///
/// An empty argument list is ipvsadm's "list everything with names resolved".
pub fn parse_args(args: &[String]) -> Result<Command, CommandLineError> {
    if args.is_empty() {
        return Ok(Command::List {
            what: ListWhat::All,
            format: ListFormat::default(),
        });
    }
    let mut st = State {
        cmd: None,
        options: 0,
        format: ListFormat::default(),
        svc: Svc {
            netmask: 0xffff_ffff,
            ..Svc::default()
        },
        dest: Dest {
            af: 0,
            addr: None,
            port: 0,
            fwd: FwdMethod::Route,
            weight: 1,
            u_threshold: 0,
            l_threshold: 0,
            tun_type: TunType::Ipip,
            tun_port: 0,
            tun_flags: 0,
        },
        daemon: Daemon {
            state: None,
            mcast_ifn: String::new(),
            syncid: 0,
            maxlen: None,
            group: None,
            port: None,
            ttl: None,
        },
        timeouts: Timeouts {
            tcp: 0,
            tcp_fin: 0,
            udp: 0,
        },
    };
    let mut popt = Popt::new(args);

    // The first option must be the command.
    let first = match popt.next_opt() {
        Ok(Some(o)) => o,
        _ => return Err(CommandLineError::try_help()),
    };
    let cmd = match first.tag {
        Tag::AddService => Cmd::Add,
        Tag::EditService => Cmd::Edit,
        Tag::DelService => Cmd::Del,
        Tag::AddServer => Cmd::AddDest,
        Tag::EditServer => Cmd::EditDest,
        Tag::DelServer => Cmd::DelDest,
        Tag::Clear => Cmd::Flush,
        Tag::List => Cmd::List,
        Tag::Zero => Cmd::Zero,
        Tag::Set => Cmd::Timeout,
        Tag::Restore => Cmd::Restore,
        Tag::Save => Cmd::Save,
        Tag::StartDaemon | Tag::StopDaemon => {
            let state = match arg_of(&first) {
                "master" => SyncState::Master,
                "backup" => SyncState::Backup,
                _ if first.tag == Tag::StartDaemon => {
                    return Err(CommandLineError::fail(
                        "illegal start-daemon parameter specified",
                    ))
                }
                _ => return Err(CommandLineError::fail("illegal start_daemon specified")),
            };
            st.daemon.state = Some(state);
            if first.tag == Tag::StartDaemon {
                Cmd::StartDaemon
            } else {
                Cmd::StopDaemon
            }
        }
        Tag::Help => return Ok(Command::Help),
        Tag::Version => return Ok(Command::Version),
        _ => return Err(CommandLineError::try_help()),
    };
    st.cmd = Some(cmd);

    let mut sched_flags_arg = String::new();
    loop {
        let o = match popt.next_opt() {
            Ok(Some(o)) => o,
            Ok(None) => break,
            Err(e) => {
                return Err(CommandLineError {
                    message: format!("{}: {}", popt.bad_option(), e.message()),
                    exit_code: 255,
                    returns: true,
                })
            }
        };
        apply_option(&mut st, &o, &popt, &mut sched_flags_arg)?;
    }

    if cmd == Cmd::Timeout {
        let (a, b, c) = (popt.next_arg(), popt.next_arg(), popt.next_arg());
        match (a, b, c) {
            (Some(a), Some(b), Some(c)) => {
                st.timeouts.tcp = parse_timeout(Some(&a), 0, MAX_TIMEOUT)?;
                st.timeouts.tcp_fin = parse_timeout(Some(&b), 0, MAX_TIMEOUT)?;
                st.timeouts.udp = parse_timeout(Some(&c), 0, MAX_TIMEOUT)?;
            }
            _ => {
                return Err(CommandLineError::fail(
                    "--set option requires 3 timeout values",
                ))
            }
        }
    }
    if let Some(a) = popt.next_arg() {
        return Err(CommandLineError::fail(format!("unexpected argument {a}")));
    }
    if !sched_flags_arg.is_empty() {
        st.svc.flags &= !(svc_flags::SCHED1 | svc_flags::SCHED2 | svc_flags::SCHED3);
        st.svc.flags |= parse_sched_flags(&st.svc.sched_name, &sched_flags_arg)?;
    }

    generic_opt_check(cmd, st.options)?;
    finish(st, cmd)
}

fn apply_option(
    st: &mut State,
    o: &Opt,
    popt: &Popt<'_>,
    sched_flags_arg: &mut String,
) -> Fail<()> {
    let arg = arg_of(o);
    match o.tag {
        Tag::Tcp | Tag::Udp | Tag::Sctp => {
            st.set_option(O::Service)?;
            st.svc.protocol = Some(match o.tag {
                Tag::Tcp => Protocol::Tcp,
                Tag::Udp => Protocol::Udp,
                _ => Protocol::Sctp,
            });
            if parse_service(arg, &mut st.svc) & SERVICE_ADDR == 0 {
                return Err(CommandLineError::fail(
                    "illegal virtual server address[:port] specified",
                ));
            }
        }
        Tag::Fwmark => {
            st.set_option(O::Service)?;
            st.svc.af = AF_INET;
            st.svc.protocol = Some(Protocol::Tcp);
            st.svc.fwmark = parse_fwmark(arg)?;
        }
        Tag::Scheduler => {
            st.set_option(O::Scheduler)?;
            st.svc.sched_name = truncate(arg, SCHEDNAME_MAX);
        }
        Tag::Persistent => {
            st.set_option(O::Persistent)?;
            st.svc.flags |= svc_flags::PERSISTENT;
            st.svc.timeout = parse_timeout(o.arg.as_deref(), 1, MAX_TIMEOUT)?;
        }
        Tag::Netmask => {
            st.set_option(O::Netmask)?;
            if st.svc.af != AF_INET6 {
                match inet_aton(arg) {
                    Some(m) => st.svc.netmask = u32::from(m),
                    None => {
                        return Err(CommandLineError::fail(
                            "illegal virtual server persistent mask specified",
                        ))
                    }
                }
            } else {
                let n = atoi(arg) as u32;
                st.svc.netmask = n;
                if !(1..=128).contains(&n) {
                    return Err(CommandLineError::fail("illegal ipv6 netmask specified"));
                }
            }
        }
        Tag::RealServer => {
            st.set_option(O::Server)?;
            let mut t = st.svc.clone();
            let parse = parse_service(arg, &mut t);
            st.dest.af = t.af;
            st.dest.addr = t.addr;
            st.dest.port = t.port;
            if parse & SERVICE_ADDR == 0 {
                return Err(CommandLineError::fail(
                    "illegal real server address[:port] specified",
                ));
            }
            if parse == SERVICE_ADDR {
                st.dest.port = st.svc.port;
            }
        }
        Tag::Ipip | Tag::Gatewaying | Tag::Masq => {
            st.set_option(O::Forward)?;
            st.dest.fwd = match o.tag {
                Tag::Ipip => FwdMethod::Tunnel,
                Tag::Gatewaying => FwdMethod::Route,
                _ => FwdMethod::Masq,
            };
        }
        Tag::Weight => {
            st.set_option(O::Weight)?;
            st.dest.weight = string_to_number(arg, 0, i64::from(i32::MAX))
                .ok_or_else(|| CommandLineError::fail("illegal weight specified"))?
                as i32;
        }
        Tag::UThreshold => {
            st.set_option(O::UThreshold)?;
            st.dest.u_threshold = string_to_number(arg, 0, i64::from(i32::MAX))
                .ok_or_else(|| CommandLineError::fail("illegal u_threshold specified"))?
                as u32;
        }
        Tag::LThreshold => {
            st.set_option(O::LThreshold)?;
            st.dest.l_threshold = string_to_number(arg, 0, i64::from(i32::MAX))
                .ok_or_else(|| CommandLineError::fail("illegal l_threshold specified"))?
                as u32;
        }
        Tag::Connection => st.set_option(O::Connection)?,
        Tag::Numeric => {
            st.set_option(O::Numeric)?;
            st.format.numeric = true;
        }
        Tag::McastInterface => {
            st.set_option(O::Mcast)?;
            st.daemon.mcast_ifn = truncate(arg, IFNAME_MAX);
        }
        Tag::SyncId => {
            st.set_option(O::SyncId)?;
            st.daemon.syncid = string_to_number(arg, 0, 255)
                .ok_or_else(|| CommandLineError::fail("illegal syncid specified"))?
                as u8;
        }
        Tag::Timeout => st.set_option(O::Timeout)?,
        Tag::Daemon => st.set_option(O::Daemon)?,
        Tag::Stats => {
            st.set_option(O::Stats)?;
            st.format.stats = true;
        }
        Tag::Rate => {
            st.set_option(O::Rate)?;
            st.format.rate = true;
        }
        Tag::Thresholds => {
            st.set_option(O::Thresholds)?;
            st.format.thresholds = true;
        }
        Tag::PersistentConn => {
            st.set_option(O::PersistentConn)?;
            st.format.persistent_conn = true;
        }
        Tag::NoSort => {
            st.set_option(O::NoSort)?;
            st.format.nosort = true;
        }
        Tag::Sort => {}
        Tag::Exact => {
            st.set_option(O::Exact)?;
            st.format.exact = true;
        }
        Tag::Ipv6 => {
            if st.svc.fwmark != 0 {
                st.svc.af = AF_INET6;
                st.svc.netmask = 128;
            } else {
                return Err(CommandLineError::fail("-6 used before -f\n"));
            }
        }
        Tag::Ops => {
            st.set_option(O::OnePacket)?;
            st.svc.flags |= svc_flags::ONEPACKET;
        }
        Tag::Pe => {
            st.set_option(O::PersistenceEngine)?;
            st.svc.pe_name = truncate(arg, PENAME_MAX);
        }
        Tag::SchedFlags => {
            st.set_option(O::SchedFlags)?;
            *sched_flags_arg = truncate(arg, 127);
        }
        Tag::McastGroup => {
            st.set_option(O::McastGroup)?;
            if arg.contains(':') {
                match inet_pton6(arg) {
                    Some(a) if a.is_multicast() => st.daemon.group = Some(IpAddr::V6(a)),
                    _ => {
                        return Err(CommandLineError::fail(format!(
                            "invalid IPv6 mcast-group `{arg}'"
                        )))
                    }
                }
            } else {
                match inet_pton4(arg) {
                    Some(a) if a.is_multicast() => st.daemon.group = Some(IpAddr::V4(a)),
                    _ => {
                        return Err(CommandLineError::fail(format!(
                            "invalid IPv4 mcast-group `{arg}'"
                        )))
                    }
                }
            }
        }
        Tag::McastPort => {
            st.set_option(O::McastPort)?;
            st.daemon.port = Some(
                string_to_number(arg, 1, 65535)
                    .ok_or_else(|| CommandLineError::fail("illegal mcast-port specified"))?
                    as u16,
            );
        }
        Tag::McastTtl => {
            st.set_option(O::McastTtl)?;
            st.daemon.ttl = Some(
                string_to_number(arg, 1, 255)
                    .ok_or_else(|| CommandLineError::fail("illegal mcast-ttl specified"))?
                    as u8,
            );
        }
        Tag::SyncMaxlen => {
            st.set_option(O::SyncMaxlen)?;
            st.daemon.maxlen = Some(
                string_to_number(arg, 1, 65535 - 20 - 8)
                    .ok_or_else(|| CommandLineError::fail("illegal sync-maxlen specified"))?
                    as u16,
            );
        }
        Tag::TunInfo => {
            st.set_option(O::TunInfo)?;
            st.format.tun_info = true;
        }
        Tag::TunType => {
            st.set_option(O::TunType)?;
            st.dest.tun_type = match arg {
                "ipip" => TunType::Ipip,
                "gue" => TunType::Gue,
                "gre" => TunType::Gre,
                _ => return Err(CommandLineError::fail("illegal tunnel type specified")),
            };
        }
        Tag::TunPort => {
            st.set_option(O::TunPort)?;
            st.dest.tun_port = string_to_number(arg, 1, 65535)
                .ok_or_else(|| CommandLineError::fail("illegal tunnel port specified"))?
                as u16;
        }
        Tag::TunNocsum => st.set_option(O::TunNocsum)?,
        Tag::TunCsum => {
            st.set_option(O::TunCsum)?;
            st.dest.tun_flags |= 1;
        }
        Tag::TunRemcsum => {
            st.set_option(O::TunRemcsum)?;
            st.dest.tun_flags |= 2;
        }
        // A second command, -h or -v after the command: ipvsadm rejects it by the word
        // popt last consumed.
        _ => {
            return Err(CommandLineError::fail(format!(
                "invalid option `{}'",
                popt.bad_option()
            )))
        }
    }
    Ok(())
}

fn generic_opt_check(cmd: Cmd, options: u64) -> Fail<()> {
    let i = cmd as usize - 1;
    let row = COMMANDS_V_OPTIONS[i];
    let mut first_exclusive: Option<usize> = None;
    for (j, &rule) in row.iter().enumerate() {
        if options & (1u64 << j) == 0 {
            if rule == b'+' {
                return Err(CommandLineError::fail(format!(
                    "You need to supply the '{}' option for the '{}' command",
                    OPT_NAMES[j], CMD_NAMES[i]
                )));
            }
        } else {
            if rule == b'x' {
                return Err(CommandLineError::fail(format!(
                    "Illegal '{}' option with the '{}' command",
                    OPT_NAMES[j], CMD_NAMES[i]
                )));
            }
            if rule == b'1' {
                match first_exclusive {
                    None => first_exclusive = Some(j),
                    Some(last) => {
                        return Err(CommandLineError::fail(format!(
                            "The option '{}' conflicts with the '{}' option in the '{}' command",
                            OPT_NAMES[j], OPT_NAMES[last], CMD_NAMES[i]
                        )))
                    }
                }
            }
        }
    }
    Ok(())
}

fn tunnel_opt_check(tun_type: TunType, options: u64) -> Fail<()> {
    let i = tun_type.code() as usize;
    let mut first_exclusive: Option<O> = None;
    for (j, &o) in TUN_OPTS.iter().enumerate() {
        let rule = TUNNEL_TYPES_V_OPTIONS[i][j];
        if options & (1u64 << (o as u32)) == 0 {
            if rule == b'+' {
                return Err(CommandLineError::fail(format!(
                    "You need to supply the '{}' option for the '{}' tunnel type",
                    OPT_NAMES[o as usize],
                    tun_type.name()
                )));
            }
        } else {
            if rule == b'x' {
                return Err(CommandLineError::fail(format!(
                    "Illegal '{}' option with the '{}' tunnel type",
                    OPT_NAMES[o as usize],
                    tun_type.name()
                )));
            }
            if rule == b'1' {
                match first_exclusive {
                    None => first_exclusive = Some(o),
                    Some(last) => {
                        return Err(CommandLineError::fail(format!(
                        "The option '{}' conflicts with the '{}' option in the '{}' tunnel type",
                        OPT_NAMES[o as usize],
                        OPT_NAMES[last as usize],
                        tun_type.name()
                    )))
                    }
                }
            }
        }
    }
    Ok(())
}

fn service_key(svc: &Svc) -> Option<ServiceKey> {
    if svc.fwmark != 0 {
        let family = if svc.af == AF_INET6 {
            Family::Inet6
        } else {
            Family::Inet
        };
        return Some(ServiceKey::Fwmark {
            mark: svc.fwmark,
            family,
        });
    }
    Some(ServiceKey::Addr {
        proto: svc.protocol?,
        addr: svc.addr?,
        port: svc.port,
    })
}

fn service_config(svc: &Svc, key: ServiceKey) -> ServiceConfig {
    ServiceConfig {
        key,
        scheduler: svc.sched_name.clone(),
        flags: svc.flags,
        timeout: svc.timeout,
        netmask: svc.netmask,
        pe_name: if svc.pe_name.is_empty() {
            None
        } else {
            Some(svc.pe_name.clone())
        },
    }
}

fn required_key(svc: &Svc) -> Fail<ServiceKey> {
    // generic_opt_check guarantees a service option; this only guards the impossible.
    service_key(svc)
        .ok_or_else(|| CommandLineError::fail("illegal virtual server address[:port] specified"))
}

fn finish(mut st: State, cmd: Cmd) -> Result<Command, CommandLineError> {
    if matches!(cmd, Cmd::Add | Cmd::Edit) {
        if st.svc.fwmark == 0 && st.svc.port == 0 && st.svc.flags & svc_flags::PERSISTENT == 0 {
            return Err(CommandLineError::fail(
                "Zero port specified for non-persistent service",
            ));
        }
        if st.svc.flags & svc_flags::ONEPACKET != 0
            && st.svc.fwmark == 0
            && st.svc.protocol != Some(Protocol::Udp)
        {
            return Err(CommandLineError::fail(
                "One-Packet Scheduling is only for UDP virtual services",
            ));
        }
        if st.svc.sched_name.is_empty() {
            st.svc.sched_name = DEFAULT_SCHEDULER.into();
        }
    }
    if cmd == Cmd::StartDaemon && st.daemon.mcast_ifn.is_empty() {
        st.daemon.mcast_ifn = DEFAULT_MCAST_IFN.into();
    }
    if matches!(cmd, Cmd::AddDest | Cmd::EditDest) {
        let fwd = st.dest.fwd;
        if st.svc.fwmark == 0 && matches!(fwd, FwdMethod::Tunnel | FwdMethod::Route) {
            st.dest.port = st.svc.port;
        }
        if st.dest.af != st.svc.af && fwd != FwdMethod::Tunnel {
            return Err(CommandLineError::fail(
                "Different address family is allowed only for tunneling servers",
            ));
        }
        let tun_opts = [
            O::TunType,
            O::TunPort,
            O::TunNocsum,
            O::TunCsum,
            O::TunRemcsum,
        ];
        if tun_opts.iter().any(|o| st.has(*o)) && fwd != FwdMethod::Tunnel {
            return Err(CommandLineError::fail(
                "Tunnel options conflict with forward method",
            ));
        }
        tunnel_opt_check(st.dest.tun_type, st.options)?;
    }

    let fmt = st.format;
    Ok(match cmd {
        Cmd::List => {
            let o = |x: O| st.has(x);
            if ((o(O::Connection) || o(O::Timeout) || o(O::Daemon))
                && (o(O::Stats) || o(O::Rate) || o(O::Thresholds)))
                || ((o(O::Timeout) || o(O::Daemon)) && o(O::PersistentConn))
            {
                return Err(CommandLineError::fail(
                    "options conflicts in the list command",
                ));
            }
            let what = if o(O::Connection) {
                ListWhat::Connections
            } else if o(O::Service) {
                ListWhat::Service(required_key(&st.svc)?)
            } else if o(O::Timeout) {
                ListWhat::Timeout
            } else if o(O::Daemon) {
                ListWhat::Daemon
            } else {
                ListWhat::All
            };
            Command::List { what, format: fmt }
        }
        Cmd::Restore => Command::Restore,
        Cmd::Save => Command::Save {
            numeric: fmt.numeric,
        },
        Cmd::Flush => Command::Apply(IpvsOp::Flush),
        Cmd::Add => {
            let key = required_key(&st.svc)?;
            Command::Apply(IpvsOp::AddService(service_config(&st.svc, key)))
        }
        Cmd::Edit => {
            let key = required_key(&st.svc)?;
            Command::Apply(IpvsOp::EditService(service_config(&st.svc, key)))
        }
        Cmd::Del => Command::Apply(IpvsOp::DelService(required_key(&st.svc)?)),
        Cmd::Zero => Command::Apply(IpvsOp::Zero(if st.has(O::Service) {
            service_key(&st.svc)
        } else {
            None
        })),
        Cmd::AddDest | Cmd::EditDest | Cmd::DelDest => {
            let key = required_key(&st.svc)?;
            let addr = st.dest.addr.ok_or_else(|| {
                CommandLineError::fail("illegal real server address[:port] specified")
            })?;
            if cmd == Cmd::DelDest {
                Command::Apply(IpvsOp::DelDest {
                    service: key,
                    addr,
                    port: st.dest.port,
                })
            } else {
                let d = DestConfig {
                    addr,
                    port: st.dest.port,
                    fwd: st.dest.fwd,
                    weight: st.dest.weight,
                    u_threshold: st.dest.u_threshold,
                    l_threshold: st.dest.l_threshold,
                    tun_type: st.dest.tun_type,
                    tun_port: st.dest.tun_port,
                    tun_csum: TunCsum::from_flags(st.dest.tun_flags),
                };
                if cmd == Cmd::AddDest {
                    Command::Apply(IpvsOp::AddDest(key, d))
                } else {
                    Command::Apply(IpvsOp::EditDest(key, d))
                }
            }
        }
        Cmd::Timeout => Command::Apply(IpvsOp::SetTimeouts(st.timeouts)),
        Cmd::StartDaemon | Cmd::StopDaemon => {
            let state = st.daemon.state.unwrap_or(SyncState::Master);
            if cmd == Cmd::StopDaemon {
                Command::Apply(IpvsOp::StopDaemon(state))
            } else {
                Command::Apply(IpvsOp::StartDaemon(SyncDaemonConfig {
                    state,
                    mcast_ifn: st.daemon.mcast_ifn,
                    syncid: st.daemon.syncid,
                    maxlen: st.daemon.maxlen,
                    mcast_group: st.daemon.group,
                    mcast_port: st.daemon.port,
                    mcast_ttl: st.daemon.ttl,
                }))
            }
        }
    })
}

/// Parses one command given as a string (shell quoting honoured, a leading `ipvsadm`
/// word skipped).
pub fn parse_line(line: &str) -> Result<Command, CommandLineError> {
    let words = super::words::split_words(line)
        .map_err(|e| CommandLineError::fail(format!("ipvsadm: {e}")))?;
    parse_args(strip_program(&words))
}

/// The arguments after an optional leading `ipvsadm` (or `/path/to/ipvsadm`).
pub fn strip_program(words: &[String]) -> &[String] {
    match words.first() {
        Some(w) if w == "ipvsadm" || w.ends_with("/ipvsadm") => &words[1..],
        _ => words,
    }
}
