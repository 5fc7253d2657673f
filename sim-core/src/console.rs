//! The console: a script of ipvsadm command lines and `@` directives, run against a
//! scenario's director inside the packet simulator, printing what a shell session on that
//! director would show. The CLI (`lvslab console`) and the browser share it.
//!
//! Script language, one command per line:
//! * `ipvsadm ARGS`, or just `ARGS` (`-Ln`): ipvsadm on the director, applied at the
//!   simulation's current time; prints ipvsadm's stdout and stderr and, when it is not 0,
//!   `[exit N]` (the layout of the kernel observations).
//! * `ipvsadm -R` (`--restore`): the following lines, up to a line `@end` (or the end of the
//!   script), are its standard input. Blank lines in the block are passed on (ipvsadm skips
//!   them).
//! * `cat /proc/net/ip_vs_conn`, `cat /proc/net/ip_vs_stats`: the kernel's files.
//! * `@t=SECONDS` runs the simulation to that time; `@t=+SECONDS` runs it that much longer.
//! * `@connect CIP[:PORT] VIP:PORT [hold | close-after SECONDS] [repeat N]`: one TCP client
//!   connection from CIP (from PORT if given, else an ephemeral port). Without a mode it is
//!   a GET as `echo GET / | nc VIP PORT` does it: connect, send the request, half-close,
//!   read the answer until the server closes. `hold` keeps the connection open until
//!   `@close-all`; `close-after` closes it that many seconds after it opened. Prints the
//!   real server the director's IPVS chose for it (its decision), or `none` and why.
//!   `repeat N` opens N connections one after the other and prints the sequence of servers
//!   and the counts instead. The client is the host that owns CIP; if no host does, CIP is
//!   added as a secondary address to the scenario's client, on the interface that leads to
//!   the VIP, and a `#` line says so. ipvsadm accepts any address, and so does `@connect`: a
//!   VIP the client has no route to is routed through the director, which holds it on `lo`;
//!   a real server at an address no host owns is given to a real-server host beside the
//!   director (with an application on its port); DR and TUN real servers get the VIP; each
//!   change is a `#` line.
//! * `@close-all`: every client connection still open is closed.
//! * `@sysctl [HOST] NAME=VALUE`: a sysctl on HOST (default: the director).
//! * `@arp-flush [HOST]`: `ip neigh flush all` on HOST (default: the director).
//! * `# ...` comments and blank lines are copied to the output as they are.
//!
//! Output: each command line is echoed first as `$ ` + the line (an ipvsadm line without
//! the program name gets `ipvsadm ` put in front), `-R` input lines as `> ` + the line, then
//! the command's output. A script made of the commands of the kernel observations therefore
//! prints text comparable with them line for line.
//!
//! Time: a GET returns when the client has seen the server close; a `hold` connection when
//! it is established. Then [`SETTLE`] of simulated time passes so that packets still in
//! flight (the client's last ACK) land, as they would between two commands typed in a shell.
//! Without a scenario, the console runs the bundled `testbed-nat` topology (the kernel
//! observations' NAT testbed) with an empty IPVS table.

use crate::admin::ipvsadm::{
    execute_with_stdin, parse_line, render_proc_ip_vs_conn, render_proc_ip_vs_stats, Command,
    IpvsadmTarget,
};
use crate::admin::{format_addr_port, IpvsError, IpvsOp};
use crate::engine::{FaultAction, Simulation};
use crate::ipvs::snapshot::IpvsSnapshot;
use crate::net::host::Role;
use crate::net::{Cidr, IfaceKind};
use crate::time::{SimDuration, SimTime};
use crate::transport::app::{Arrival, ClientMode, WorkloadSpec, L4};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr};

/// Simulated time let pass after a connection returns (packets in flight land).
pub const SETTLE: SimDuration = SimDuration(10_000_000);
/// How long a `hold` connection may take to open before the console gives up on it.
pub const CONNECT_WAIT: SimDuration = SimDuration(10_000_000_000);
/// Request size of a console GET ("GET / HTTP/1.0" and its headers, as measured).
pub const GET_BYTES: u32 = 34;
/// A GET not answered within this time fails (and its connection is aborted).
pub const GET_TIMEOUT: SimDuration = SimDuration(10_000_000_000);

/// The director of a running simulation as ipvsadm's target: changes go through
/// `Ipvs::apply` at the simulation's current time, then the host re-arms its IPVS timer.
pub struct DirectorTarget<'a> {
    pub sim: &'a mut Simulation,
    pub host: usize,
}

impl IpvsadmTarget for DirectorTarget<'_> {
    fn apply(&mut self, op: &IpvsOp) -> Result<(), IpvsError> {
        let now = self.sim.now();
        let h = &mut self.sim.hosts[self.host];
        let ipvs = h
            .ipvs
            .as_mut()
            .ok_or_else(|| IpvsError::Invalid(format!("{} runs no IPVS", h.name)))?;
        ipvs.apply(now, op)?;
        h.ipvs_changed(&mut self.sim.world);
        Ok(())
    }

    fn snapshot(&self) -> IpvsSnapshot {
        let now = self.sim.now();
        match &self.sim.hosts[self.host].ipvs {
            Some(ipvs) => ipvs.snapshot(now),
            None => IpvsSnapshot::default(),
        }
    }
}

/// What a console connection does.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConnectMode {
    /// One request, half-close, read to the end (nc).
    Get,
    /// Stay connected until `@close-all`.
    Hold,
    /// Stay connected, close after this long.
    CloseAfter(SimDuration),
}

/// The result of one `@connect`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectOutcome {
    /// The client's address and port (None: it could not even start).
    pub client: Option<(Ipv4Addr, u16)>,
    /// The real server IPVS chose, and the host that owns it (if a host does).
    pub dest: Option<(IpAddr, u16)>,
    pub server: Option<String>,
    /// IPVS's reason ("scheduled by rr", "persistence template", "no destination
    /// available", ...), or why IPVS made no decision.
    pub reason: String,
    /// The client's failure, if it did not get through.
    pub failure: Option<String>,
}

impl ConnectOutcome {
    /// The real server's host name (or address), or "none".
    pub fn label(&self) -> String {
        match (&self.server, self.dest) {
            (Some(s), _) => s.clone(),
            (None, Some((a, p))) => format_addr_port(&a, p),
            (None, None) => "none".into(),
        }
    }

    /// One line: `CIP:CPORT -> rs1 (192.168.10.11:80, scheduled by rr)` or
    /// `CIP:CPORT -> none (why)`.
    pub fn line(&self) -> String {
        let from = match self.client {
            Some((a, p)) => format!("{a}:{p}"),
            None => "(not started)".into(),
        };
        match self.dest {
            Some((a, p)) => {
                let mut s = format!(
                    "{from} -> {} ({}, {})",
                    self.label(),
                    format_addr_port(&a, p),
                    self.reason
                );
                if let Some(f) = &self.failure {
                    let _ = write!(s, "; the client failed: {f}");
                }
                s
            }
            None => {
                let mut s = format!("{from} -> none ({}", self.reason);
                if let Some(f) = &self.failure {
                    let _ = write!(s, "; client: {f}");
                }
                s.push(')');
                s
            }
        }
    }
}

/// A parsed `@connect`.
#[derive(Clone, Debug, PartialEq)]
pub struct ConnectArgs {
    pub cip: Ipv4Addr,
    pub cport: Option<u16>,
    pub target: (Ipv4Addr, u16),
    pub mode: ConnectMode,
    pub repeat: u32,
}

/// Parses the words after `@connect`.
pub fn parse_connect(words: &[&str]) -> Result<ConnectArgs, String> {
    const USAGE: &str =
        "usage: @connect CIP[:PORT] VIP:PORT [hold | close-after SECONDS] [repeat N]";
    let (Some(c), Some(v)) = (words.first(), words.get(1)) else {
        return Err(USAGE.into());
    };
    let (cip, cport) = match c.split_once(':') {
        Some((a, p)) => (
            a.parse::<Ipv4Addr>()
                .map_err(|_| format!("`{a}` is not an IPv4 address"))?,
            Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or_else(|| format!("`{p}` is not a client port (1..65535)"))?,
            ),
        ),
        None => (
            c.parse::<Ipv4Addr>()
                .map_err(|_| format!("`{c}` is not an IPv4 address"))?,
            None,
        ),
    };
    let target = crate::scenario::parse_sockaddr(v)?;
    let mut mode = ConnectMode::Get;
    let mut repeat = 1;
    let mut i = 2;
    while i < words.len() {
        match words[i] {
            "hold" => mode = ConnectMode::Hold,
            "close-after" => {
                let s = words.get(i + 1).ok_or("close-after needs SECONDS")?;
                mode = ConnectMode::CloseAfter(parse_seconds(s)?);
                i += 1;
            }
            "repeat" => {
                let n = words.get(i + 1).ok_or("repeat needs N")?;
                repeat = n
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=100_000).contains(n))
                    .ok_or_else(|| format!("`{n}` is not a repeat count (1..100000)"))?;
                i += 1;
            }
            w => return Err(format!("unexpected `{w}`; {USAGE}")),
        }
        i += 1;
    }
    if repeat > 1 && cport.is_some() {
        return Err("repeat cannot reuse one fixed client port; leave the port out".into());
    }
    Ok(ConnectArgs {
        cip,
        cport,
        target,
        mode,
        repeat,
    })
}

fn parse_seconds(s: &str) -> Result<SimDuration, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !v.is_finite() || !(0.0..=1e7).contains(&v) {
        return Err(format!("`{s}` is not a number of seconds (0..10000000)"));
    }
    Ok(SimDuration::from_secs_f64(v))
}

/// What running a script produced.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Transcript {
    /// Everything printed, echo included.
    pub text: String,
    /// Console errors (bad directives), "line N: message"; ipvsadm's own errors are part
    /// of the text, as in a shell.
    pub errors: Vec<String>,
}

/// The console's own state, apart from the simulation it drives: which director it types
/// on, the client host for `@connect`, and notes to print. The browser keeps one beside
/// its running simulation; `Console` bundles one with a simulation of its own.
pub struct Session {
    director: usize,
    client: Option<usize>,
    /// `#` lines to print before the next result (addresses added to clients).
    notes: String,
    /// Real-server addresses the console gave to hosts (`provision_dests`), by host: they
    /// are shown as addresses, not as the host that carries them.
    provisioned: std::collections::BTreeMap<Ipv4Addr, usize>,
}

/// A console bound to one simulation and its director.
pub struct Console {
    pub sim: Simulation,
    pub session: Session,
}

impl Console {
    /// A console on `sim`'s first host running IPVS; the client is its first host with the
    /// client role.
    pub fn new(mut sim: Simulation) -> Result<Console, String> {
        let session = Session::new(&mut sim)?;
        Ok(Console { sim, session })
    }

    /// A console on a bundled scenario.
    pub fn bundled(name: &str) -> Result<Console, String> {
        let b = crate::bundled::find(name).ok_or_else(|| format!("no bundled scenario {name}"))?;
        let sc = crate::scenario::Scenario::parse(b.name, b.text)
            .map_err(|d| format!("{name}: {}", first_diag(&d)))?;
        let (sim, _) = sc
            .build(None)
            .map_err(|d| format!("{name}: {}", first_diag(&d)))?;
        Console::new(sim)
    }

    /// The console without a scenario: the kernel observations' NAT testbed, empty table.
    pub fn bare() -> Console {
        Console::bundled("testbed-nat").expect("the bundled testbed builds")
    }

    pub fn director(&self) -> usize {
        self.session.director()
    }

    /// ipvsadm's view of the director now.
    pub fn snapshot(&self) -> IpvsSnapshot {
        self.session.snapshot(&self.sim)
    }

    /// Runs one ipvsadm command line (with its standard input) on the director; returns
    /// the text a shell would show (stdout, stderr, `[exit N]`).
    pub fn ipvsadm(&mut self, line: &str, stdin: &str) -> String {
        self.session.ipvsadm(&mut self.sim, line, stdin)
    }

    /// Runs a whole script; see the module documentation for the language.
    pub fn run_script(&mut self, script: &str) -> Transcript {
        self.session.run_script(&mut self.sim, script)
    }

    /// Opens one connection and waits for it (see the module documentation).
    pub fn connect(&mut self, a: &ConnectArgs) -> Result<ConnectOutcome, String> {
        self.session.connect(&mut self.sim, a)
    }

    /// Closes every open client connection, then lets the closes land.
    pub fn close_all(&mut self) {
        self.session.close_all(&mut self.sim)
    }
}

impl Session {
    /// A session on `sim`'s first host running IPVS; the client is its first host with
    /// the client role. Turns on the recording of IPVS decisions (`@connect` prints them).
    pub fn new(sim: &mut Simulation) -> Result<Session, String> {
        let director = sim
            .hosts
            .iter()
            .position(|h| h.ipvs.is_some())
            .ok_or_else(|| format!("scenario {} has no director (no host runs IPVS)", sim.name))?;
        let client = sim.hosts.iter().position(|h| h.role == Role::Client);
        sim.world.record_decisions = true;
        Ok(Session {
            director,
            client,
            notes: String::new(),
            provisioned: BTreeMap::new(),
        })
    }

    /// The same session on another director of the simulation.
    pub fn set_director(&mut self, host: usize) {
        self.director = host;
    }

    /// Runs one console line (an ipvsadm command, `cat /proc/net/ip_vs*`, or an `@`
    /// directive) and returns what it printed, echo included.
    pub fn run_line(&mut self, sim: &mut Simulation, line: &str) -> Transcript {
        self.run_script(sim, line.lines().next().unwrap_or(""))
    }

    pub fn director(&self) -> usize {
        self.director
    }

    /// ipvsadm's view of the director now.
    pub fn snapshot(&self, sim: &Simulation) -> IpvsSnapshot {
        match &sim.hosts[self.director].ipvs {
            Some(i) => i.snapshot(sim.now()),
            None => IpvsSnapshot::default(),
        }
    }

    /// Runs one ipvsadm command line (with its standard input) on the director; returns
    /// the text a shell would show (stdout, stderr, `[exit N]`).
    pub fn ipvsadm(&mut self, sim: &mut Simulation, line: &str, stdin: &str) -> String {
        let mut t = DirectorTarget {
            sim: &mut *sim,
            host: self.director,
        };
        let out = execute_with_stdin(line, stdin, &mut t);
        let mut s = out.stdout;
        s.push_str(&out.stderr);
        if out.exit_code != 0 {
            let _ = writeln!(s, "[exit {}]", out.exit_code);
        }
        s
    }

    /// Runs a whole script; see the module documentation for the language.
    pub fn run_script(&mut self, sim: &mut Simulation, script: &str) -> Transcript {
        let mut tr = Transcript::default();
        let lines: Vec<&str> = script.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let raw = lines[i].trim_end_matches('\r');
            let line = raw.trim();
            i += 1;
            if line.is_empty() || line.starts_with('#') {
                tr.text.push_str(raw);
                tr.text.push('\n');
                continue;
            }
            if let Some(rest) = line.strip_prefix('@') {
                let _ = writeln!(tr.text, "$ {line}");
                if let Err(e) = self.directive(sim, rest, &mut tr.text) {
                    let msg = format!("line {i}: {e}");
                    let _ = writeln!(tr.text, "console: {msg}");
                    tr.errors.push(msg);
                }
                continue;
            }
            if let Some(file) = line.strip_prefix("cat ") {
                let _ = writeln!(tr.text, "$ {line}");
                let snap = self.snapshot(sim);
                match file.trim() {
                    "/proc/net/ip_vs_conn" => tr.text.push_str(&render_proc_ip_vs_conn(&snap)),
                    "/proc/net/ip_vs_stats" => tr.text.push_str(&render_proc_ip_vs_stats(&snap)),
                    f => {
                        let msg = format!("line {i}: the console can show /proc/net/ip_vs_conn and /proc/net/ip_vs_stats, not {f}");
                        let _ = writeln!(tr.text, "console: {msg}");
                        tr.errors.push(msg);
                    }
                }
                continue;
            }
            let first = line.split_whitespace().next().unwrap_or("");
            let shown = if first == "ipvsadm" || first.ends_with("/ipvsadm") {
                line.to_string()
            } else {
                format!("ipvsadm {line}")
            };
            let _ = writeln!(tr.text, "$ {shown}");
            let mut stdin = String::new();
            if matches!(parse_line(line), Ok(Command::Restore)) {
                while i < lines.len() {
                    let l = lines[i].trim_end_matches('\r');
                    i += 1;
                    if l.trim() == "@end" {
                        break;
                    }
                    let _ = writeln!(tr.text, "> {l}");
                    stdin.push_str(l);
                    stdin.push('\n');
                }
            }
            let out = self.ipvsadm(sim, line, &stdin);
            tr.text.push_str(&out);
        }
        tr
    }

    fn directive(
        &mut self,
        sim: &mut Simulation,
        rest: &str,
        out: &mut String,
    ) -> Result<(), String> {
        let words: Vec<&str> = rest.split_whitespace().collect();
        let head = words.first().copied().unwrap_or("");
        if let Some(t) = head.strip_prefix("t=") {
            if words.len() > 1 {
                return Err("usage: @t=SECONDS or @t=+SECONDS".into());
            }
            let target = match t.strip_prefix('+') {
                Some(d) => sim.now() + parse_seconds(d)?,
                None => SimTime(parse_seconds(t)?.0),
            };
            if target < sim.now() {
                return Err(format!(
                    "time {} is in the past (now {})",
                    target,
                    sim.now()
                ));
            }
            sim.run_until(target);
            return Ok(());
        }
        match head {
            "connect" => {
                let args = parse_connect(&words[1..])?;
                self.connect_lines(sim, &args, out)
            }
            "close-all" => {
                if words.len() > 1 {
                    return Err("usage: @close-all".into());
                }
                self.close_all(sim);
                Ok(())
            }
            "sysctl" => {
                let (host, setting) = match words.len() {
                    2 => (self.director, words[1]),
                    3 => (
                        sim
                            .host_index(words[1])
                            .ok_or_else(|| format!("no host named `{}`", words[1]))?,
                        words[2],
                    ),
                    _ => return Err("usage: @sysctl [HOST] NAME=VALUE".into()),
                };
                let (name, value) = setting
                    .split_once('=')
                    .ok_or("usage: @sysctl [HOST] NAME=VALUE")?;
                let value: i64 = value
                    .parse()
                    .map_err(|_| format!("`{value}` is not an integer"))?;
                sim.apply_action(&FaultAction::Sysctl {
                    host,
                    name: name.to_string(),
                    value,
                })
            }
            "arp-flush" => {
                let host = match words.len() {
                    1 => self.director,
                    2 => sim
                        .host_index(words[1])
                        .ok_or_else(|| format!("no host named `{}`", words[1]))?,
                    _ => return Err("usage: @arp-flush [HOST]".into()),
                };
                sim.apply_action(&FaultAction::ArpFlush { host })
            }
            "end" => Err("@end without ipvsadm -R".into()),
            _ => Err(format!(
                "unknown directive `@{head}` (known: @t=, @connect, @close-all, @sysctl, @arp-flush)"
            )),
        }
    }

    fn connect_lines(
        &mut self,
        sim: &mut Simulation,
        a: &ConnectArgs,
        out: &mut String,
    ) -> Result<(), String> {
        if a.repeat == 1 {
            let o = self.connect(sim, a)?;
            out.push_str(&self.take_notes());
            let _ = writeln!(out, "{}", o.line());
            return Ok(());
        }
        let mut seq = Vec::new();
        let mut fails = Vec::new();
        let mut counts: BTreeMap<String, u32> = BTreeMap::new();
        for n in 1..=a.repeat {
            let o = self.connect(sim, a)?;
            let label = o.label();
            *counts.entry(label.clone()).or_default() += 1;
            if o.dest.is_none() || o.failure.is_some() {
                fails.push(format!("  #{n}: {}", o.line()));
            }
            seq.push(label);
        }
        out.push_str(&self.take_notes());
        let _ = writeln!(out, "sequence: {}", seq.join(" "));
        let mut c = String::from("counts:   ");
        for (k, v) in &counts {
            let _ = write!(c, "{k}={v} ");
        }
        let _ = writeln!(out, "{c}");
        for f in fails {
            let _ = writeln!(out, "{f}");
        }
        Ok(())
    }

    fn take_notes(&mut self) -> String {
        std::mem::take(&mut self.notes)
    }

    /// ipvsadm accepts any VIP; a testbed's client may have no route to it. Then the VIP is
    /// routed from the client (and any host on its segment without a route) to the
    /// director, which holds it on `lo` so IPVS sees the packets; a `#` line says so.
    fn reach_vip(&mut self, sim: &mut Simulation, vip: Ipv4Addr) -> Result<(), String> {
        let Some(c) = self.client else { return Ok(()) };
        if sim.hosts[c].route(vip).is_some() || sim.hosts[c].is_local(vip) {
            return Ok(());
        }
        let d = self.director;
        // The director's address on a subnet the client is on.
        let eth = |h: &crate::net::host::Host| -> Vec<Cidr> {
            h.ifaces
                .iter()
                .filter(|i| i.kind == IfaceKind::Ethernet)
                .flat_map(|i| i.addrs.iter().copied())
                .filter(|x| x.prefix < 32)
                .collect()
        };
        let mine = eth(&sim.hosts[c]);
        let via = eth(&sim.hosts[d])
            .into_iter()
            .find(|x| mine.iter().any(|y| y.contains(x.addr)));
        let Some(via) = via.map(|x| x.addr) else {
            return Err(format!(
                "{} has no route to {vip}, and no subnet in common with the director",
                sim.hosts[c].name
            ));
        };
        sim.hosts[c].replace_route(Cidr::new(vip, 32), via)?;
        if !sim.hosts[d].is_local(vip) {
            sim.hosts[d].add_addr(0, Cidr::new(vip, 32));
        }
        let _ = writeln!(
            self.notes,
            "# console: {vip} is outside the testbed's subnets: {} routes it via {via} to {}, which holds it on lo",
            sim.hosts[c].name, sim.hosts[d].name
        );
        Ok(())
    }

    /// ipvsadm accepts any real-server address; a testbed may have no host at it. Each
    /// real server of the target's service that no host owns is added as an address of a
    /// real-server host on the director's inside segment (with an application on its port
    /// when needed), so `@connect` answers with the kernel's choice; a `#` line says so.
    fn provision_dests(
        &mut self,
        sim: &mut Simulation,
        target: (Ipv4Addr, u16),
    ) -> Result<(), String> {
        let d = self.director;
        let Some(ipvs) = sim.hosts[d].ipvs.as_ref() else {
            return Ok(());
        };
        let dests: Vec<(Ipv4Addr, u16, crate::admin::FwdMethod)> = ipvs
            .config()
            .services
            .iter()
            .filter(|s| match s.config.key {
                crate::admin::ServiceKey::Addr { addr, port, .. } => {
                    addr == IpAddr::V4(target.0) && (port == target.1 || port == 0)
                }
                _ => false,
            })
            .flat_map(|s| s.dests.iter())
            .filter_map(|x| match x.addr {
                IpAddr::V4(a) => Some((a, if x.port == 0 { target.1 } else { x.port }, x.fwd)),
                _ => None,
            })
            .collect();
        for (rip, port, fwd) in dests {
            let owner = sim.hosts.iter().position(|h| {
                h.ifaces
                    .iter()
                    .any(|i| i.kind == IfaceKind::Ethernet && i.has_addr(rip))
            });
            if let Some(o) = owner {
                self.vip_on_real_server(sim, o, target.0, fwd);
                continue;
            }
            // A real server that shares a segment with the director; the one whose subnet
            // holds the address first.
            let shares = |h: &crate::net::host::Host| {
                h.ifaces.iter().any(|i| {
                    i.attachment.is_some_and(|(seg, _)| {
                        sim.hosts[d]
                            .ifaces
                            .iter()
                            .any(|j| j.attachment.is_some_and(|(s2, _)| s2 == seg))
                    })
                })
            };
            let candidates: Vec<usize> = (0..sim.hosts.len())
                .filter(|&i| sim.hosts[i].role == Role::RealServer && shares(&sim.hosts[i]))
                .collect();
            // Those whose subnet holds the address, else all; the one given fewest so far.
            let in_subnet: Vec<usize> = candidates
                .iter()
                .copied()
                .filter(|&i| {
                    sim.hosts[i]
                        .ifaces
                        .iter()
                        .any(|f| f.addr_in_subnet_of(rip).is_some())
                })
                .collect();
            let pool = if in_subnet.is_empty() {
                &candidates
            } else {
                &in_subnet
            };
            let given = |i: usize| self.provisioned.values().filter(|&&h| h == i).count();
            let Some(rs) = pool.iter().copied().min_by_key(|&i| (given(i), i)) else {
                return Err(format!(
                    "no host has {rip} and the scenario has no real server to give it to"
                ));
            };
            let h = &mut sim.hosts[rs];
            let (iface, prefix) = h
                .ifaces
                .iter()
                .enumerate()
                .find_map(|(k, f)| {
                    f.addrs
                        .iter()
                        .find(|c| c.prefix < 32 && c.contains(rip))
                        .map(|c| (k, c.prefix))
                })
                .or_else(|| {
                    h.ifaces
                        .iter()
                        .position(|f| f.kind == IfaceKind::Ethernet)
                        .map(|k| (k, 32))
                })
                .ok_or("the real server has no Ethernet interface")?;
            h.add_addr(iface, Cidr::new(rip, prefix));
            if !h.servers.keys().any(|(_, p)| *p == port) {
                if let Some(spec) = h.servers.values().next().map(|s| s.spec.clone()) {
                    h.add_server(crate::transport::app::ServerSpec { port, ..spec });
                }
            }
            let (rs_name, if_name) = (h.name.clone(), h.ifaces[iface].name.clone());
            self.provisioned.insert(rip, rs);
            // Outside every subnet the director has: a host route to it on the inside.
            if prefix == 32 && sim.hosts[d].route(rip).is_none_or(|r| r.next_hop != rip) {
                let dev = sim.hosts[d]
                    .ifaces
                    .iter()
                    .position(|j| {
                        j.attachment.is_some_and(|(seg, _)| {
                            sim.hosts[rs]
                                .ifaces
                                .iter()
                                .any(|f| f.attachment.is_some_and(|(s2, _)| s2 == seg))
                        })
                    })
                    .unwrap_or(0);
                sim.hosts[d].routes.push(crate::net::route::Route {
                    dst: Cidr::new(rip, 32),
                    via: None,
                    dev,
                    src: None,
                });
            }
            let _ = writeln!(
                self.notes,
                "# console: no host had {rip}: added {rip}/{prefix} to {rs_name} {if_name} (a real server listening on {port})"
            );
            self.vip_on_real_server(sim, rs, target.0, fwd);
        }
        Ok(())
    }

    /// A DR or TUN real server answers from the VIP, so it must hold it (on `tunl0` for
    /// TUN when it has one, else on `lo`), as the real-server scripts set it up.
    fn vip_on_real_server(
        &mut self,
        sim: &mut Simulation,
        rs: usize,
        vip: Ipv4Addr,
        fwd: crate::admin::FwdMethod,
    ) {
        if fwd == crate::admin::FwdMethod::Masq || sim.hosts[rs].is_local(vip) {
            return;
        }
        let h = &mut sim.hosts[rs];
        let iface = match fwd {
            crate::admin::FwdMethod::Tunnel => {
                h.ifaces.iter().position(|i| i.kind == IfaceKind::Tunnel)
            }
            _ => None,
        }
        .unwrap_or(0);
        h.add_addr(iface, Cidr::new(vip, 32));
        let _ = writeln!(
            self.notes,
            "# console: added {vip}/32 to {} {} (a {} real server answers from the VIP)",
            h.name,
            h.ifaces[iface].name,
            fwd.mode_name()
        );
    }

    /// The host that sends from `cip`: the one that owns it (clients first), else the
    /// scenario's client with `cip` added as a secondary address on its interface toward
    /// the VIP (with that interface's prefix when `cip` is inside its subnet, else /32).
    fn client_for(
        &mut self,
        sim: &mut Simulation,
        cip: Ipv4Addr,
        vip: Ipv4Addr,
    ) -> Result<usize, String> {
        let owns = |h: &crate::net::host::Host| {
            h.ifaces
                .iter()
                .any(|i| i.kind != IfaceKind::Loopback && i.has_addr(cip))
        };
        if let Some(i) = sim
            .hosts
            .iter()
            .position(|h| h.role == Role::Client && owns(h))
            .or_else(|| sim.hosts.iter().position(owns))
        {
            return Ok(i);
        }
        let c = self
            .client
            .ok_or("no host owns this address and the scenario has no client host")?;
        let h = &mut sim.hosts[c];
        let hit = h
            .route(vip)
            .ok_or_else(|| format!("{} has no route to {vip}", h.name))?;
        let prefix = h.ifaces[hit.iface]
            .addrs
            .iter()
            .find(|a| a.prefix < 32 && a.contains(cip))
            .map(|a| a.prefix)
            .unwrap_or(32);
        h.add_addr(hit.iface, Cidr::new(cip, prefix));
        let _ = writeln!(
            self.notes,
            "# console: added {cip}/{prefix} to {} {} (secondary address)",
            h.name, h.ifaces[hit.iface].name
        );
        Ok(c)
    }

    /// Opens one connection and waits for it (see the module documentation).
    pub fn connect(
        &mut self,
        sim: &mut Simulation,
        a: &ConnectArgs,
    ) -> Result<ConnectOutcome, String> {
        self.reach_vip(sim, a.target.0)?;
        self.provision_dests(sim, a.target)?;
        let host = self.client_for(sim, a.cip, a.target.0)?;
        let now = sim.now();
        let spec = WorkloadSpec {
            name: "console".into(),
            client: host,
            proto: L4::Tcp,
            target: a.target,
            sources: Vec::new(),
            arrival: Arrival::Uniform { rate: 1.0 },
            connections: Some(1),
            start: now,
            stop: None,
            request_bytes: GET_BYTES,
            path: "/".into(),
            timeout: GET_TIMEOUT,
            half_close: true,
            mode: match a.mode {
                ConnectMode::Get => ClientMode::Request,
                ConnectMode::Hold => ClientMode::Hold(None),
                ConnectMode::CloseAfter(d) => ClientMode::Hold(Some(d)),
            },
        };
        let seen = sim.world.decisions.len();
        let c = sim.connect(host, spec, Some(a.cip), a.cport);
        let get = a.mode == ConnectMode::Get;
        let deadline = now + if get { GET_TIMEOUT } else { CONNECT_WAIT } + SETTLE;
        let started = c.local.is_some();
        let done = |sim: &Simulation| {
            if !started {
                true
            } else if get {
                sim.workloads[c.workload].finished > 0
            } else {
                sim.console_results.iter().any(|(t, _)| *t == c.tag)
            }
        };
        while !done(sim) {
            match sim.world.queue.peek_time() {
                Some(t) if t <= deadline => {
                    sim.step();
                }
                _ => {
                    sim.run_until(deadline);
                    break;
                }
            }
        }
        let settle = sim.now() + SETTLE;
        sim.run_until(settle);

        let mut failure = sim
            .console_results
            .iter()
            .find(|(t, _)| *t == c.tag)
            .and_then(|(_, r)| r.clone().err());
        if !started {
            failure = Some("could not start: no route to the target, or the port is in use".into());
        } else if failure.is_none() {
            if !done(sim) {
                failure = Some("no answer".into());
            } else if get {
                let (ok, _) = sim
                    .world
                    .metrics
                    .per_workload
                    .get(&format!("w{}", c.workload))
                    .copied()
                    .unwrap_or((0, 0));
                if ok == 0 {
                    failure = Some("no response".into());
                }
            }
        }
        let dname = sim.hosts[self.director].name.clone();
        let decision = c.local.and_then(|(ip, port)| {
            sim.world.decisions[seen..]
                .iter()
                .find(|(d, x)| *d == dname && x.client == IpAddr::V4(ip) && x.cport == port)
                .map(|(_, x)| x.clone())
        });
        let (dest, reason) = match decision {
            Some(d) => {
                let reason = if d.dest.is_none() {
                    format!("{}: the director answered ICMP port unreachable", d.reason)
                } else {
                    d.reason
                };
                (d.dest, reason)
            }
            None if !started => (None, "nothing was sent".to_string()),
            None => (
                None,
                "IPVS made no decision: no virtual service took the SYN".to_string(),
            ),
        };
        let server = dest.and_then(|(addr, _)| self.host_of(sim, addr));
        Ok(ConnectOutcome {
            client: c.local,
            dest,
            server,
            reason,
            failure,
        })
    }

    /// The host (other than the director) whose Ethernet interface has this address.
    fn host_of(&self, sim: &Simulation, addr: IpAddr) -> Option<String> {
        let IpAddr::V4(a) = addr else { return None };
        if self.provisioned.contains_key(&a) {
            return None;
        }
        sim.hosts
            .iter()
            .enumerate()
            .find(|(i, h)| {
                *i != self.director
                    && h.ifaces
                        .iter()
                        .any(|f| f.kind == IfaceKind::Ethernet && f.has_addr(a))
            })
            .map(|(_, h)| h.name.clone())
    }

    /// Closes every open client connection, then lets the closes land.
    pub fn close_all(&mut self, sim: &mut Simulation) {
        for h in sim.hosts.iter_mut() {
            h.close_all_clients(&mut sim.world);
        }
        let settle = sim.now() + SETTLE;
        sim.run_until(settle);
    }
}

fn first_diag(d: &[crate::scenario::diag::Diagnostic]) -> String {
    d.first().map(|x| x.to_string()).unwrap_or_default()
}
