//! keepalived.conf text -> `KeepalivedConfig`.
//!
//! Two passes: the text becomes a tree of statements (words, optional `{ ... }` block, line
//! number), as keepalived's own reader splits it (`#` and `!` start comments, braces are
//! tokens, double quotes group words); then each known block is read into the model. An
//! unknown keyword is an error (keepalived -t rejects it too); keywords that only concern
//! notifications or process tuning are accepted and reported as warnings.

use super::*;
use crate::admin::SCHEDULERS;
use std::fmt;

/// An error or warning with the line it concerns (1-based).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeepalivedError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for KeepalivedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for KeepalivedError {}

type Res<T> = Result<T, KeepalivedError>;

fn err<T>(line: usize, message: impl Into<String>) -> Res<T> {
    Err(KeepalivedError {
        line,
        message: message.into(),
    })
}

/// Parses keepalived.conf text.
pub fn parse(text: &str) -> Res<KeepalivedConfig> {
    parse_with_warnings(text).map(|(c, _)| c)
}

/// Parses keepalived.conf text, also returning what keepalived would warn about.
pub fn parse_with_warnings(text: &str) -> Res<(KeepalivedConfig, Vec<KeepalivedError>)> {
    let stmts = tree(text)?;
    let mut r = Reader {
        warnings: Vec::new(),
        cfg: KeepalivedConfig::default(),
    };
    r.top(&stmts)?;
    r.check_references()?;
    r.sync_group_weights();
    let g = &mut r.cfg.global;
    g.garp_lower_prio_delay.get_or_insert(g.garp_master_delay);
    g.garp_lower_prio_repeat.get_or_insert(g.garp_master_repeat);
    Ok((r.cfg, r.warnings))
}

// ---------------------------------------------------------------- statement tree

/// One statement: its words, the line of its first word, and its block if it has one.
#[derive(Clone, Debug)]
pub(crate) struct Stmt {
    pub line: usize,
    pub words: Vec<String>,
    pub block: Option<Vec<Stmt>>,
    /// Line of the opening brace (for "missing }" errors).
    pub open_line: usize,
}

impl Stmt {
    fn key(&self) -> &str {
        &self.words[0]
    }
    fn arg(&self, i: usize) -> Res<&str> {
        match self.words.get(i) {
            Some(w) => Ok(w.as_str()),
            None => err(
                self.line,
                format!("`{}` needs a value", self.words[..i].join(" ")),
            ),
        }
    }
    fn block(&self) -> Res<&[Stmt]> {
        match &self.block {
            Some(b) => Ok(b),
            None => err(
                self.line,
                format!("`{}` needs a block: {} {{ ... }}", self.key(), self.key()),
            ),
        }
    }
    fn max_args(&self, n: usize) -> Res<()> {
        if self.words.len() > n + 1 {
            return err(
                self.line,
                format!(
                    "`{}` takes {} value{}, found extra `{}`",
                    self.key(),
                    n,
                    if n == 1 { "" } else { "s" },
                    self.words[n + 1]
                ),
            );
        }
        Ok(())
    }
}

enum Tok {
    Word(String),
    Open,
    Close,
    End,
}

fn tokens(text: &str) -> Res<Vec<(usize, Tok)>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let ln = n + 1;
        let mut chars = line.char_indices().peekable();
        while let Some(&(_, c)) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
            } else if c == '#' || c == '!' {
                break;
            } else if c == '{' {
                chars.next();
                out.push((ln, Tok::Open));
            } else if c == '}' {
                chars.next();
                out.push((ln, Tok::Close));
            } else if c == '"' {
                chars.next();
                let mut w = String::new();
                let mut closed = false;
                for (_, c) in chars.by_ref() {
                    if c == '"' {
                        closed = true;
                        break;
                    }
                    w.push(c);
                }
                if !closed {
                    return err(ln, "unterminated quoted string (missing `\"`)");
                }
                out.push((ln, Tok::Word(w)));
            } else {
                let mut w = String::new();
                while let Some(&(_, c)) = chars.peek() {
                    if c.is_whitespace() || c == '{' || c == '}' || c == '"' {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                out.push((ln, Tok::Word(w)));
            }
        }
        out.push((ln, Tok::End));
    }
    Ok(out)
}

/// Splits the text into a statement tree.
pub(crate) fn tree(text: &str) -> Res<Vec<Stmt>> {
    let toks = tokens(text)?;
    let mut i = 0;
    let stmts = block(&toks, &mut i, None)?;
    Ok(stmts)
}

fn block(toks: &[(usize, Tok)], i: &mut usize, opened_at: Option<usize>) -> Res<Vec<Stmt>> {
    let mut stmts: Vec<Stmt> = Vec::new();
    let mut cur: Option<Stmt> = None;
    while *i < toks.len() {
        let (ln, t) = &toks[*i];
        *i += 1;
        match t {
            Tok::Word(w) => match &mut cur {
                Some(s) => s.words.push(w.clone()),
                None => {
                    cur = Some(Stmt {
                        line: *ln,
                        words: vec![w.clone()],
                        block: None,
                        open_line: 0,
                    })
                }
            },
            Tok::End => {
                if let Some(s) = cur.take() {
                    stmts.push(s);
                }
            }
            Tok::Open => {
                let mut owner = match cur.take() {
                    Some(s) => s,
                    None => match stmts.pop() {
                        Some(s) if s.block.is_none() => s,
                        _ => return err(*ln, "`{` without a keyword before it"),
                    },
                };
                owner.open_line = *ln;
                owner.block = Some(block(toks, i, Some(*ln))?);
                stmts.push(owner);
            }
            Tok::Close => {
                if let Some(s) = cur.take() {
                    stmts.push(s);
                }
                if opened_at.is_none() {
                    return err(*ln, "`}` without a matching `{`");
                }
                return Ok(stmts);
            }
        }
    }
    if let Some(s) = cur.take() {
        stmts.push(s);
    }
    if let Some(l) = opened_at {
        return err(
            l,
            "this `{` is never closed (missing `}` before the end of the file)",
        );
    }
    Ok(stmts)
}

// ---------------------------------------------------------------- value readers

fn uint(s: &Stmt, i: usize, lo: u64, hi: u64) -> Res<u64> {
    let w = s.arg(i)?;
    match w.parse::<u64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => err(
            s.line,
            format!("`{}`: `{w}` is not a whole number in {lo}..{hi}", s.key()),
        ),
    }
}

fn int(s: &Stmt, i: usize, lo: i64, hi: i64) -> Res<i64> {
    let w = s.arg(i)?;
    match w.parse::<i64>() {
        Ok(v) if (lo..=hi).contains(&v) => Ok(v),
        _ => err(
            s.line,
            format!("`{}`: `{w}` is not a number in {lo}..{hi}", s.key()),
        ),
    }
}

/// Seconds with an optional fraction (keepalived keeps microseconds).
fn secs(s: &Stmt, i: usize, max: f64) -> Res<SimDuration> {
    let w = s.arg(i)?;
    let ok = !w.is_empty()
        && w.chars().all(|c| c.is_ascii_digit() || c == '.')
        && w.matches('.').count() <= 1;
    match w.parse::<f64>() {
        Ok(v) if ok && v.is_finite() && (0.0..=max).contains(&v) => {
            let us = (v * 1e6).round() as u64;
            Ok(SimDuration::from_micros(us))
        }
        _ => err(
            s.line,
            format!(
                "`{}`: `{w}` is not a number of seconds in 0..{max}",
                s.key()
            ),
        ),
    }
}

fn ipv4(s: &Stmt, i: usize) -> Res<Ipv4Addr> {
    let w = s.arg(i)?;
    w.parse()
        .or_else(|_| err(s.line, format!("`{w}` is not an IPv4 address")))
}

fn ip(s: &Stmt, i: usize) -> Res<IpAddr> {
    let w = s.arg(i)?;
    w.parse()
        .or_else(|_| err(s.line, format!("`{w}` is not an IP address")))
}

fn port(s: &Stmt, i: usize) -> Res<u16> {
    uint(s, i, 0, 65535).map(|v| v as u16)
}

fn bool_opt(s: &Stmt) -> Res<bool> {
    match s.words.get(1).map(|w| w.to_ascii_lowercase()) {
        None => Ok(true),
        Some(w) if w == "true" || w == "on" || w == "yes" => Ok(true),
        Some(w) if w == "false" || w == "off" || w == "no" => Ok(false),
        Some(w) => err(s.line, format!("`{}`: `{w}` is not true or false", s.key())),
    }
}

// ---------------------------------------------------------------- semantic reader

struct Reader {
    warnings: Vec<KeepalivedError>,
    cfg: KeepalivedConfig,
}

/// Keywords accepted anywhere they make sense but without effect in the simulator.
const NOTIFY_KEYWORDS: &[&str] = &[
    "notify",
    "notify_master",
    "notify_backup",
    "notify_fault",
    "notify_stop",
    "notify_up",
    "notify_down",
    "quorum_up",
    "quorum_down",
    "smtp_alert",
    "global_tracking",
    "virtualhost",
    "user",
];

/// Checker timings as written at one level (virtual server, real server, checker).
#[derive(Clone, Copy, Default)]
struct Timings {
    connect_timeout: Option<SimDuration>,
    retry: Option<u32>,
    delay_before_retry: Option<SimDuration>,
    warmup: Option<SimDuration>,
    delay_loop: Option<SimDuration>,
}

impl Timings {
    fn or(self, o: Timings) -> Timings {
        Timings {
            connect_timeout: self.connect_timeout.or(o.connect_timeout),
            retry: self.retry.or(o.retry),
            delay_before_retry: self.delay_before_retry.or(o.delay_before_retry),
            warmup: self.warmup.or(o.warmup),
            delay_loop: self.delay_loop.or(o.delay_loop),
        }
    }
}

const MAX_SECS: f64 = 4_294.0 * 1e3;

impl Reader {
    fn warn(&mut self, line: usize, m: impl Into<String>) {
        self.warnings.push(KeepalivedError {
            line,
            message: m.into(),
        });
    }

    fn ignored(&mut self, s: &Stmt) {
        self.warn(
            s.line,
            format!("`{}` has no effect in the simulator (accepted)", s.key()),
        );
    }

    fn top(&mut self, stmts: &[Stmt]) -> Res<()> {
        for s in stmts {
            match s.key() {
                "global_defs" => self.global(s.block()?)?,
                "vrrp_script" => {
                    let sc = self.script(s)?;
                    self.cfg.scripts.push(sc);
                }
                "vrrp_sync_group" => {
                    let g = self.sync_group(s)?;
                    self.cfg.sync_groups.push(g);
                }
                "vrrp_instance" => {
                    let i = self.instance(s)?;
                    if self.cfg.instance(&i.name).is_some() {
                        return err(s.line, format!("vrrp_instance {} is defined twice", i.name));
                    }
                    self.cfg.instances.push(i);
                }
                "virtual_server" => {
                    let v = self.virtual_server(s)?;
                    if self.cfg.virtual_servers.iter().any(|x| x.key == v.key) {
                        return err(s.line, "this virtual_server is defined twice");
                    }
                    self.cfg.virtual_servers.push(v);
                }
                "include" => {
                    return err(
                        s.line,
                        "`include` is not supported: paste the included file's text here",
                    )
                }
                "virtual_server_group" | "static_ipaddress" | "static_routes" | "static_rules"
                | "vrrp_track_process" | "track_file" | "linkbeat_use_polling" => {
                    return err(
                        s.line,
                        format!("`{}` is not modelled by the simulator", s.key()),
                    )
                }
                k => {
                    return err(
                        s.line,
                        format!("unknown keyword `{k}` (expected global_defs, vrrp_script, vrrp_sync_group, vrrp_instance or virtual_server)"),
                    )
                }
            }
        }
        Ok(())
    }

    fn global(&mut self, stmts: &[Stmt]) -> Res<()> {
        for s in stmts {
            let g = &mut self.cfg.global;
            match s.key() {
                "router_id" => {
                    s.max_args(1)?;
                    g.router_id = Some(s.arg(1)?.to_string())
                }
                "vrrp_version" => g.vrrp_version = uint(s, 1, 2, 3)? as u8,
                "vrrp_garp_master_delay" => g.garp_master_delay = uint(s, 1, 0, 255)? as u32,
                "vrrp_garp_master_repeat" => g.garp_master_repeat = uint(s, 1, 0, 255)? as u32,
                "vrrp_garp_master_refresh" => g.garp_master_refresh = uint(s, 1, 0, 86400)? as u32,
                "vrrp_garp_master_refresh_repeat" => {
                    g.garp_master_refresh_repeat = uint(s, 1, 1, 255)? as u32
                }
                "vrrp_garp_lower_prio_delay" => {
                    g.garp_lower_prio_delay = Some(uint(s, 1, 0, 255)? as u32)
                }
                "vrrp_garp_lower_prio_repeat" => {
                    g.garp_lower_prio_repeat = Some(uint(s, 1, 0, 255)? as u32)
                }
                "vrrp_garp_interval" => {
                    g.garp_interval = secs(s, 1, 1.0)?;
                    if g.garp_interval.0 == 0 {
                        self.warn(s.line, "vrrp_garp_interval '0' is invalid for keepalived 2.2.7 (range 0.000001..); 0 (no spacing) is its default anyway");
                    }
                }
                "vrrp_lower_prio_no_advert" => g.lower_prio_no_advert = bool_opt(s)?,
                "vrrp_strict" => g.vrrp_strict = true,
                "vrrp_skip_check_adv_addr" => g.skip_check_adv_addr = true,
                "lvs_sync_daemon" => {
                    let interface = s.arg(1)?.to_string();
                    let instance = s.arg(2)?.to_string();
                    let mut syncid = 0u8;
                    let mut k = 3;
                    while k < s.words.len() {
                        match s.words[k].as_str() {
                            "id" => syncid = uint(s, k + 1, 0, 255)? as u8,
                            "maxlen" | "port" | "ttl" | "group" => {
                                s.arg(k + 1)?;
                                self.warn(s.line, format!("lvs_sync_daemon `{}` is not modelled (the kernel default is used)", s.words[k]));
                            }
                            w => return err(s.line, format!("lvs_sync_daemon: unknown option `{w}` (expected id, maxlen, port, ttl or group)")),
                        }
                        k += 2;
                    }
                    self.cfg.global.lvs_sync_daemon = Some(LvsSyncDaemon {
                        interface,
                        instance,
                        syncid,
                    });
                }
                "vrrp_mcast_group4" => {
                    if s.arg(1)? != "224.0.0.18" {
                        return err(
                            s.line,
                            "only the standard VRRP group 224.0.0.18 is modelled",
                        );
                    }
                }
                "notification_email"
                | "notification_email_from"
                | "smtp_server"
                | "smtp_connect_timeout"
                | "smtp_helo_name"
                | "enable_script_security"
                | "script_user"
                | "vrrp_gna_interval"
                | "vrrp_iptables"
                | "vrrp_priority"
                | "checker_priority"
                | "vrrp_no_swap"
                | "checker_no_swap"
                | "lvs_flush"
                | "default_interface"
                | "max_auto_priority"
                | "lvs_timeouts"
                | "dynamic_interfaces" => self.ignored(s),
                k => return err(s.line, format!("unknown keyword `{k}` in global_defs")),
            }
        }
        Ok(())
    }

    fn script(&mut self, s: &Stmt) -> Res<VrrpScript> {
        let name = s.arg(1)?.to_string();
        let mut sc = VrrpScript {
            name,
            script: String::new(),
            interval: SimDuration::from_secs(1),
            timeout: None,
            weight: 0,
            rise: 1,
            fall: 1,
            init_fail: false,
        };
        for x in s.block()? {
            match x.key() {
                "script" => sc.script = x.words[1..].join(" "),
                "interval" => sc.interval = secs(x, 1, MAX_SECS)?,
                "timeout" => sc.timeout = Some(secs(x, 1, MAX_SECS)?),
                "weight" => {
                    sc.weight = int(x, 1, -253, 253)? as i32;
                    if let Some(w) = x.words.get(2) {
                        if w != "reverse" {
                            return err(x.line, format!("weight: unexpected `{w}`"));
                        }
                    }
                }
                "rise" => sc.rise = uint(x, 1, 1, 1_000_000)? as u32,
                "fall" => sc.fall = uint(x, 1, 1, 1_000_000)? as u32,
                "init_fail" => sc.init_fail = true,
                "user" => self.ignored(x),
                k => return err(x.line, format!("unknown keyword `{k}` in vrrp_script")),
            }
        }
        if sc.script.is_empty() {
            return err(s.line, format!("vrrp_script {} has no `script`", sc.name));
        }
        Ok(sc)
    }

    fn sync_group(&mut self, s: &Stmt) -> Res<SyncGroup> {
        let mut g = SyncGroup {
            name: s.arg(1)?.to_string(),
            members: Vec::new(),
        };
        for x in s.block()? {
            match x.key() {
                "group" => {
                    for m in x.block()? {
                        g.members.extend(m.words.iter().cloned());
                    }
                }
                k if NOTIFY_KEYWORDS.contains(&k) => self.ignored(x),
                k => return err(x.line, format!("unknown keyword `{k}` in vrrp_sync_group")),
            }
        }
        if g.members.len() < 2 {
            self.warn(
                s.line,
                format!(
                    "sync group {} has {} member(s): this probably is not what you want",
                    g.name,
                    g.members.len()
                ),
            );
        }
        Ok(g)
    }

    fn instance(&mut self, s: &Stmt) -> Res<VrrpInstance> {
        let name = s.arg(1)?.to_string();
        s.max_args(1)?;
        let mut state = None;
        let mut priority = None;
        let mut inst = VrrpInstance {
            name: name.clone(),
            state: InitialState::Backup,
            interface: String::new(),
            virtual_router_id: 0,
            priority: 0,
            advert_int: defaults::ADVERT_INT,
            version: None,
            nopreempt: false,
            preempt_delay: SimDuration::ZERO,
            auth_pass: None,
            virtual_ipaddress: Vec::new(),
            track_interface: Vec::new(),
            track_script: Vec::new(),
            mcast_src_ip: None,
            lvs_sync_daemon_interface: None,
        };
        let mut auth_line = 0;
        for x in s.block()? {
            match x.key() {
                "state" => {
                    state = Some(match x.arg(1)? {
                        "MASTER" => InitialState::Master,
                        "BACKUP" => InitialState::Backup,
                        w => return err(x.line, format!("state: `{w}` is not MASTER or BACKUP")),
                    })
                }
                "interface" => {
                    x.max_args(1)?;
                    inst.interface = x.arg(1)?.to_string()
                }
                "virtual_router_id" => inst.virtual_router_id = uint(x, 1, 1, 255)? as u8,
                "priority" => priority = Some(uint(x, 1, 1, 255)? as u8),
                "advert_int" => {
                    let d = secs(x, 1, 255.0)?;
                    if d.0 == 0 {
                        return err(x.line, "advert_int must be above 0");
                    }
                    inst.advert_int = d
                }
                "version" => inst.version = Some(uint(x, 1, 2, 3)? as u8),
                "nopreempt" => inst.nopreempt = true,
                "preempt" => inst.nopreempt = false,
                "preempt_delay" => inst.preempt_delay = secs(x, 1, 1000.0)?,
                "authentication" => {
                    auth_line = x.line;
                    let mut kind = None;
                    let mut pass = None;
                    for a in x.block()? {
                        match a.key() {
                            "auth_type" => kind = Some(a.arg(1)?.to_string()),
                            "auth_pass" => pass = Some(a.arg(1)?.to_string()),
                            k => {
                                return err(
                                    a.line,
                                    format!("unknown keyword `{k}` in authentication"),
                                )
                            }
                        }
                    }
                    match kind.as_deref() {
                        Some("PASS") => {
                            let p = pass.unwrap_or_default();
                            if p.len() > 8 {
                                self.warn(x.line, "auth_pass is longer than 8 characters: only the first 8 are used");
                            }
                            inst.auth_pass = Some(p);
                        }
                        Some("AH") => {
                            return err(x.line, "auth_type AH (IPsec) is not modelled; use PASS")
                        }
                        Some(k) => {
                            return err(x.line, format!("auth_type `{k}` is not PASS or AH"))
                        }
                        None => return err(x.line, "authentication needs auth_type"),
                    }
                }
                "virtual_ipaddress" => {
                    for v in x.block()? {
                        inst.virtual_ipaddress.push(vip(v)?);
                    }
                }
                "track_interface" | "track_script" => {
                    let mut list = Vec::new();
                    for t in x.block()? {
                        let mut tr = Tracked {
                            name: t.key().to_string(),
                            weight: 0,
                        };
                        if t.words.len() > 1 {
                            if t.words[1] != "weight" {
                                return err(t.line, format!("`{}`: expected `weight N`", t.key()));
                            }
                            tr.weight = int(t, 2, -254, 254)? as i32;
                        }
                        list.push(tr);
                    }
                    if x.key() == "track_interface" {
                        inst.track_interface = list;
                    } else {
                        inst.track_script = list;
                    }
                }
                "mcast_src_ip" => inst.mcast_src_ip = Some(ipv4(x, 1)?),
                "lvs_sync_daemon_interface" => {
                    inst.lvs_sync_daemon_interface = Some(x.arg(1)?.to_string())
                }
                "unicast_peer" | "unicast_src_ip" | "use_vmac" | "virtual_routes"
                | "virtual_rules" => {
                    return err(
                        x.line,
                        format!("`{}` is not modelled by the simulator", x.key()),
                    )
                }
                "dont_track_primary"
                | "garp_master_delay"
                | "garp_master_repeat"
                | "garp_master_refresh"
                | "garp_master_refresh_repeat"
                | "debug" => self.ignored(x),
                k if NOTIFY_KEYWORDS.contains(&k) => self.ignored(x),
                k => {
                    return err(
                        x.line,
                        format!("unknown keyword `{k}` in vrrp_instance {name}"),
                    )
                }
            }
        }
        if inst.interface.is_empty() {
            return err(s.line, format!("vrrp_instance {name} has no `interface`"));
        }
        for v in &mut inst.virtual_ipaddress {
            v.dev.get_or_insert_with(|| inst.interface.clone());
        }
        if inst.virtual_router_id == 0 {
            return err(
                s.line,
                format!("vrrp_instance {name} has no `virtual_router_id`"),
            );
        }
        // keepalived: priority omitted + state MASTER means address owner (255); state
        // omitted means MASTER only for the owner.
        inst.priority = priority.unwrap_or(match state {
            Some(InitialState::Master) => defaults::OWNER_PRIORITY,
            _ => defaults::PRIORITY,
        });
        inst.state = state.unwrap_or(if inst.priority == defaults::OWNER_PRIORITY {
            InitialState::Master
        } else {
            InitialState::Backup
        });
        if inst.state == InitialState::Master && inst.nopreempt {
            self.warn(s.line, format!("({name}) warning - nopreempt will not work with initial state MASTER - clearing"));
            inst.nopreempt = false;
        }
        if inst.priority == defaults::OWNER_PRIORITY && inst.nopreempt {
            self.warn(
                s.line,
                format!("({name}) nopreempt is incompatible with priority 255 - clearing"),
            );
            inst.nopreempt = false;
        }
        if inst.state == InitialState::Master && inst.preempt_delay.0 > 0 {
            self.warn(s.line, format!("({name}) warning - preempt_delay will not work with initial state MASTER - clearing"));
            inst.preempt_delay = SimDuration::ZERO;
        }
        let version = inst.effective_version(&self.cfg.global);
        if version == 3 && inst.auth_pass.is_some() {
            self.warn(
                auth_line,
                format!("({name}) VRRP version 3 does not support authentication. Ignoring."),
            );
            inst.auth_pass = None;
        }
        Ok(inst)
    }

    fn virtual_server(&mut self, s: &Stmt) -> Res<VirtualServer> {
        let key = match s.arg(1)? {
            "fwmark" => VsKey::Fwmark(uint(s, 2, 1, u32::MAX as u64)? as u32),
            "group" => return err(s.line, "virtual_server group is not modelled"),
            _ => {
                let addr = ip(s, 1)?;
                let p = port(s, 2)?;
                VsKey::Addr { addr, port: p }
            }
        };
        s.max_args(2)?;
        let mut vs = VirtualServer {
            key,
            protocol: Protocol::Udp,
            delay_loop: defaults::DELAY_LOOP,
            lb_algo: "wlc".into(),
            lb_kind: FwdMethod::Masq,
            persistence_timeout: None,
            persistence_granularity: 0xffff_ffff,
            sorry_server: None,
            sorry_server_inhibit: false,
            quorum: 1,
            hysteresis: 0,
            alpha: false,
            omega: false,
            ha_suspend: false,
            real_servers: Vec::new(),
        };
        let (mut proto_set, mut algo_set, mut kind_set) = (false, false, false);
        let mut vs_t = Timings::default();
        let mut vs_inhibit = false;
        // (real server, its own timings, per checker timings)
        let mut rss: Vec<(RealServer, Timings, Vec<Timings>, bool)> = Vec::new();
        for x in s.block()? {
            match x.key() {
                "delay_loop" => {
                    let d = secs(x, 1, MAX_SECS)?;
                    vs.delay_loop = d;
                    vs_t.delay_loop = Some(d);
                }
                "lb_algo" | "lvs_sched" => {
                    let a = x.arg(1)?;
                    if !SCHEDULERS.contains(&a) {
                        return err(
                            x.line,
                            format!(
                                "{}: unknown scheduler `{a}` (known: {})",
                                x.key(),
                                SCHEDULERS.join(" ")
                            ),
                        );
                    }
                    vs.lb_algo = a.to_string();
                    algo_set = true;
                }
                "lb_kind" | "lvs_method" => {
                    vs.lb_kind = match x.arg(1)? {
                        "NAT" => FwdMethod::Masq,
                        "DR" => FwdMethod::Route,
                        "TUN" => FwdMethod::Tunnel,
                        w => {
                            return err(x.line, format!("{}: `{w}` is not NAT, DR or TUN", x.key()))
                        }
                    };
                    kind_set = true;
                }
                "persistence_timeout" => {
                    vs.persistence_timeout = Some(if x.words.len() > 1 {
                        uint(x, 1, 1, u32::MAX as u64)? as u32
                    } else {
                        defaults::PERSISTENCE_TIMEOUT
                    })
                }
                "persistence_granularity" => {
                    vs.persistence_granularity = u32::from(ipv4(x, 1)?);
                }
                "protocol" if matches!(vs.key, VsKey::Fwmark(_)) => {
                    self.warn(
                        x.line,
                        "protocol specified for fwmark - protocol will be ignored",
                    );
                    proto_set = true;
                }
                "protocol" => {
                    vs.protocol = match x.arg(1)? {
                        "TCP" => Protocol::Tcp,
                        "UDP" => Protocol::Udp,
                        "SCTP" => Protocol::Sctp,
                        w => {
                            return err(x.line, format!("protocol: `{w}` is not TCP, UDP or SCTP"))
                        }
                    };
                    proto_set = true;
                }
                "sorry_server" => vs.sorry_server = Some((ip(x, 1)?, port(x, 2)?)),
                "sorry_server_inhibit" => vs.sorry_server_inhibit = true,
                "quorum" => vs.quorum = uint(x, 1, 1, u32::MAX as u64)? as u32,
                "hysteresis" => vs.hysteresis = uint(x, 1, 0, u32::MAX as u64)? as u32,
                "alpha" => vs.alpha = true,
                "omega" => vs.omega = true,
                "ha_suspend" => vs.ha_suspend = true,
                "inhibit_on_failure" => vs_inhibit = bool_opt(x)?,
                "connect_timeout" | "retry" | "delay_before_retry" | "warmup" | "nb_get_retry" => {
                    self.timing(x, &mut vs_t)?
                }
                "real_server" => rss.push(self.real_server(x)?),
                k if NOTIFY_KEYWORDS.contains(&k) => self.ignored(x),
                k => return err(x.line, format!("unknown keyword `{k}` in virtual_server")),
            }
        }
        if let VsKey::Fwmark(_) = vs.key {
            vs.protocol = Protocol::Tcp;
        } else if !proto_set {
            self.warn(
                s.line,
                "virtual server: no protocol set - defaulting to UDP",
            );
        }
        if !algo_set {
            self.warn(
                s.line,
                "virtual server: no scheduler set, setting default 'wlc'",
            );
        }
        if !kind_set {
            self.warn(
                s.line,
                "virtual server: no forwarding method set, setting default NAT",
            );
        }
        for (mut rs, rs_t, checks, rs_inhibit) in rss {
            rs.inhibit_on_failure = rs_inhibit || vs_inhibit;
            for (c, ct) in rs.checkers.iter_mut().zip(checks) {
                let t = ct.or(rs_t).or(vs_t);
                c.delay_loop = t.delay_loop.unwrap_or(vs.delay_loop);
                c.connect_timeout = t.connect_timeout.unwrap_or(defaults::CONNECT_TIMEOUT);
                c.retry = t.retry.unwrap_or(defaults::RETRY);
                c.delay_before_retry = t.delay_before_retry.unwrap_or(match c.kind {
                    CheckKind::Tcp => defaults::TCP_DELAY_BEFORE_RETRY,
                    CheckKind::Http { .. } => defaults::HTTP_DELAY_BEFORE_RETRY,
                });
                c.warmup = t.warmup.unwrap_or(c.delay_loop);
            }
            if vs.lb_kind != FwdMethod::Masq {
                if let VsKey::Addr { port, .. } = vs.key {
                    rs.port = port;
                }
            }
            vs.real_servers.push(rs);
        }
        let total: u64 = vs.real_servers.iter().map(|r| r.weight.max(0) as u64).sum();
        if vs.quorum as u64 > total && !vs.real_servers.is_empty() {
            self.warn(
                s.line,
                format!(
                    "quorum {} is above the total weight {total}: reduced to it",
                    vs.quorum
                ),
            );
            vs.quorum = total.max(1) as u32;
        }
        if vs.hysteresis >= vs.quorum {
            self.warn(
                s.line,
                format!(
                    "hysteresis {} is not below quorum {}: reduced to {}",
                    vs.hysteresis,
                    vs.quorum,
                    vs.quorum - 1
                ),
            );
            vs.hysteresis = vs.quorum - 1;
        }
        Ok(vs)
    }

    fn timing(&mut self, x: &Stmt, t: &mut Timings) -> Res<()> {
        match x.key() {
            "connect_timeout" => t.connect_timeout = Some(secs(x, 1, MAX_SECS)?),
            "retry" => t.retry = Some(uint(x, 1, 0, u32::MAX as u64)? as u32),
            "nb_get_retry" => {
                self.warn(x.line, "`nb_get_retry` is the old name of `retry` (keepalived 2.2.7 rejects it outside HTTP_GET/SSL_GET); read as `retry`");
                t.retry = Some(uint(x, 1, 0, u32::MAX as u64)? as u32)
            }
            "delay_before_retry" => t.delay_before_retry = Some(secs(x, 1, MAX_SECS)?),
            "warmup" => t.warmup = Some(secs(x, 1, MAX_SECS)?),
            "delay_loop" => t.delay_loop = Some(secs(x, 1, MAX_SECS)?),
            _ => unreachable_keyword(x)?,
        }
        Ok(())
    }

    fn real_server(&mut self, s: &Stmt) -> Res<(RealServer, Timings, Vec<Timings>, bool)> {
        let addr = ip(s, 1)?;
        let p = if s.words.len() > 2 { port(s, 2)? } else { 0 };
        s.max_args(2)?;
        let mut rs = RealServer {
            addr,
            port: p,
            weight: 1,
            inhibit_on_failure: false,
            uthreshold: 0,
            lthreshold: 0,
            checkers: Vec::new(),
        };
        let mut t = Timings::default();
        let mut inhibit = false;
        let mut checks = Vec::new();
        for x in s.block().unwrap_or(&[]) {
            match x.key() {
                "weight" => rs.weight = int(x, 1, 0, i32::MAX as i64)? as i32,
                "inhibit_on_failure" => inhibit = bool_opt(x)?,
                "uthreshold" => rs.uthreshold = uint(x, 1, 0, u32::MAX as u64)? as u32,
                "lthreshold" => rs.lthreshold = uint(x, 1, 0, u32::MAX as u64)? as u32,
                "connect_timeout" | "retry" | "delay_before_retry" | "warmup" | "delay_loop"
                | "nb_get_retry" => self.timing(x, &mut t)?,
                "TCP_CHECK" | "HTTP_GET" => {
                    let (c, ct) = self.checker(x)?;
                    rs.checkers.push(c);
                    checks.push(ct);
                }
                "SSL_GET" | "MISC_CHECK" | "SMTP_CHECK" | "DNS_CHECK" | "UDP_CHECK"
                | "PING_CHECK" | "FILE_CHECK" | "BFD_CHECK" => {
                    return err(
                        x.line,
                        format!("{} is not modelled (TCP_CHECK and HTTP_GET are)", x.key()),
                    )
                }
                k if NOTIFY_KEYWORDS.contains(&k) => self.ignored(x),
                k => return err(x.line, format!("unknown keyword `{k}` in real_server")),
            }
        }
        if rs.lthreshold > rs.uthreshold && rs.uthreshold > 0 {
            return err(s.line, "lthreshold is above uthreshold");
        }
        Ok((rs, t, checks, inhibit))
    }

    fn checker(&mut self, s: &Stmt) -> Res<(Checker, Timings)> {
        let is_http = s.key() == "HTTP_GET";
        let mut c = Checker {
            kind: CheckKind::Tcp,
            connect_ip: None,
            connect_port: None,
            bindto: None,
            connect_timeout: SimDuration::ZERO,
            retry: 0,
            delay_before_retry: SimDuration::ZERO,
            warmup: SimDuration::ZERO,
            delay_loop: SimDuration::ZERO,
        };
        let mut t = Timings::default();
        let mut urls = Vec::new();
        for x in s.block().unwrap_or(&[]) {
            match x.key() {
                "connect_ip" => c.connect_ip = Some(ip(x, 1)?),
                "connect_port" => c.connect_port = Some(port(x, 1)?),
                "bindto" => c.bindto = Some(ip(x, 1)?),
                "bind_port" | "fwmark" | "log_all_failures" => self.ignored(x),
                "connect_timeout" | "retry" | "delay_before_retry" | "warmup" | "delay_loop" => {
                    self.timing(x, &mut t)?
                }
                "nb_get_retry" if is_http => t.retry = Some(uint(x, 1, 0, u32::MAX as u64)? as u32),
                "nb_get_retry" => self.timing(x, &mut t)?,
                "url" if is_http => urls.push(url(x)?),
                k => return err(x.line, format!("unknown keyword `{k}` in {}", s.key())),
            }
        }
        if is_http {
            if urls.is_empty() {
                return err(s.line, "HTTP_GET needs at least one url { path ... }");
            }
            c.kind = CheckKind::Http { urls };
        }
        Ok((c, t))
    }

    /// keepalived ignores tracking weights of sync group members (a failure means FAULT for
    /// the whole group).
    fn sync_group_weights(&mut self) {
        let members: Vec<String> = self
            .cfg
            .sync_groups
            .iter()
            .flat_map(|g| g.members.iter().cloned())
            .collect();
        let mut notes = Vec::new();
        for i in self.cfg.instances.iter_mut() {
            if !members.contains(&i.name) {
                continue;
            }
            for (what, list) in [
                ("interface", &mut i.track_interface),
                ("script", &mut i.track_script),
            ] {
                for t in list.iter_mut().filter(|t| t.weight != 0) {
                    notes.push(format!(
                        "({}) ignoring {} tracked {what} weight due to SYNC group",
                        i.name, t.name
                    ));
                    t.weight = 0;
                }
            }
        }
        for n in notes {
            self.warn(0, n);
        }
    }

    /// Sync groups name instances, track_script names scripts, lvs_sync_daemon names an
    /// instance: every reference must exist.
    fn check_references(&mut self) -> Res<()> {
        for g in &self.cfg.sync_groups {
            for m in &g.members {
                if self.cfg.instance(m).is_none() {
                    return err(
                        0,
                        format!(
                            "sync group {} names vrrp_instance {m}, which is not defined",
                            g.name
                        ),
                    );
                }
            }
        }
        for i in &self.cfg.instances {
            for t in &i.track_script {
                if self.cfg.script(&t.name).is_none() {
                    return err(
                        0,
                        format!(
                            "vrrp_instance {} tracks script {}, which is not defined",
                            i.name, t.name
                        ),
                    );
                }
            }
        }
        if let Some(d) = &self.cfg.global.lvs_sync_daemon {
            if self.cfg.instance(&d.instance).is_none() {
                return err(
                    0,
                    format!(
                        "lvs_sync_daemon names vrrp_instance {}, which is not defined",
                        d.instance
                    ),
                );
            }
        }
        Ok(())
    }
}

fn unreachable_keyword(x: &Stmt) -> Res<()> {
    err(x.line, format!("unexpected keyword `{}`", x.key()))
}

fn vip(v: &Stmt) -> Res<VipSpec> {
    let w = v.key();
    let (a, p) = match w.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (w, None),
    };
    let addr: Ipv4Addr = a.parse().or_else(|_| {
        err(
            v.line,
            format!("`{w}` is not an IPv4 address (IPv6 VIPs are not modelled)"),
        )
    })?;
    let prefix = match p {
        Some(p) => match p.parse::<u8>() {
            Ok(n) if n <= 32 => n,
            _ => return err(v.line, format!("`{w}`: prefix length must be 0..32")),
        },
        None => 32,
    };
    let mut dev = None;
    let mut k = 1;
    while k < v.words.len() {
        match v.words[k].as_str() {
            "dev" => dev = Some(v.arg(k + 1)?.to_string()),
            "brd" | "scope" | "label" | "metric" => {
                v.arg(k + 1)?;
            }
            o => {
                return err(
                    v.line,
                    format!(
                    "virtual_ipaddress: unknown option `{o}` (expected dev, brd, scope or label)"
                ),
                )
            }
        }
        k += 2;
    }
    Ok(VipSpec { addr, prefix, dev })
}

fn url(s: &Stmt) -> Res<UrlCheck> {
    let mut u = UrlCheck {
        path: String::new(),
        status_codes: Vec::new(),
        digest: None,
    };
    for x in s.block()? {
        match x.key() {
            "path" => u.path = x.arg(1)?.to_string(),
            "digest" => u.digest = Some(x.arg(1)?.to_string()),
            "status_code" => {
                for w in &x.words[1..] {
                    let range = match w.split_once('-') {
                        Some((a, b)) => (a.parse::<u16>(), b.parse::<u16>()),
                        None => (w.parse::<u16>(), w.parse::<u16>()),
                    };
                    match range {
                        (Ok(a), Ok(b)) if (100..=599).contains(&a) && (a..=599).contains(&b) => {
                            u.status_codes.push((a, b))
                        }
                        _ => {
                            return err(
                                x.line,
                                format!(
                                    "status_code: `{w}` is not a status code or range in 100..599"
                                ),
                            )
                        }
                    }
                }
                if x.words.len() < 2 {
                    return err(x.line, "status_code needs at least one code");
                }
            }
            k => return err(x.line, format!("unknown keyword `{k}` in url")),
        }
    }
    if u.path.is_empty() {
        return err(s.line, "url needs a `path`");
    }
    Ok(u)
}
