//! The option scanner ipvsadm is built with (popt), reduced to what ipvsadm's option
//! table uses: clustered short options (`-Lnc`), a short option's argument glued to it
//! (`-t10.0.0.1:80`, `-p=300`) or in the next word (taken even when it starts with `-`,
//! so `-w -1` gives weight "-1"), `--long=value` or `--long value`, the optional argument
//! of `-p` (taken from the next word only when that word does not start with `-`), `--`
//! ending the options, and non-option words collected as leftover arguments in order.
//! Long options must be spelled in full, as popt requires.

/// Which option was seen (one tag per entry of ipvsadm's option table).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Tag {
    AddService,
    EditService,
    DelService,
    Clear,
    List,
    Zero,
    AddServer,
    EditServer,
    DelServer,
    Set,
    Help,
    Version,
    Restore,
    Save,
    StartDaemon,
    StopDaemon,
    Tcp,
    Udp,
    Sctp,
    Fwmark,
    Scheduler,
    Persistent,
    Netmask,
    RealServer,
    Masq,
    Ipip,
    Gatewaying,
    Weight,
    UThreshold,
    LThreshold,
    Numeric,
    Connection,
    McastInterface,
    SyncId,
    Timeout,
    Daemon,
    Stats,
    Rate,
    Thresholds,
    PersistentConn,
    NoSort,
    Sort,
    Exact,
    Ipv6,
    Ops,
    Pe,
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

#[derive(Clone, Copy, PartialEq, Eq)]
enum Arg {
    None,
    Required,
    Optional,
}

struct Spec {
    long: &'static str,
    short: Option<char>,
    arg: Arg,
    tag: Tag,
}

const fn spec(long: &'static str, short: Option<char>, arg: Arg, tag: Tag) -> Spec {
    Spec {
        long,
        short,
        arg,
        tag,
    }
}

/// ipvsadm 1.31's option table, in its order (the order matters only for `--list`,
/// which appears twice; the first entry wins).
const TABLE: &[Spec] = &[
    spec("add-service", Some('A'), Arg::None, Tag::AddService),
    spec("edit-service", Some('E'), Arg::None, Tag::EditService),
    spec("delete-service", Some('D'), Arg::None, Tag::DelService),
    spec("clear", Some('C'), Arg::None, Tag::Clear),
    spec("list", Some('L'), Arg::None, Tag::List),
    spec("list", Some('l'), Arg::None, Tag::List),
    spec("zero", Some('Z'), Arg::None, Tag::Zero),
    spec("add-server", Some('a'), Arg::None, Tag::AddServer),
    spec("edit-server", Some('e'), Arg::None, Tag::EditServer),
    spec("delete-server", Some('d'), Arg::None, Tag::DelServer),
    spec("set", None, Arg::None, Tag::Set),
    spec("help", Some('h'), Arg::None, Tag::Help),
    spec("version", Some('v'), Arg::None, Tag::Version),
    spec("restore", Some('R'), Arg::None, Tag::Restore),
    spec("save", Some('S'), Arg::None, Tag::Save),
    spec("start-daemon", None, Arg::Required, Tag::StartDaemon),
    spec("stop-daemon", None, Arg::Required, Tag::StopDaemon),
    spec("tcp-service", Some('t'), Arg::Required, Tag::Tcp),
    spec("udp-service", Some('u'), Arg::Required, Tag::Udp),
    spec("sctp-service", None, Arg::Required, Tag::Sctp),
    spec("fwmark-service", Some('f'), Arg::Required, Tag::Fwmark),
    spec("scheduler", Some('s'), Arg::Required, Tag::Scheduler),
    spec("persistent", Some('p'), Arg::Optional, Tag::Persistent),
    spec("netmask", Some('M'), Arg::Required, Tag::Netmask),
    spec("real-server", Some('r'), Arg::Required, Tag::RealServer),
    spec("masquerading", Some('m'), Arg::None, Tag::Masq),
    spec("ipip", Some('i'), Arg::None, Tag::Ipip),
    spec("gatewaying", Some('g'), Arg::None, Tag::Gatewaying),
    spec("weight", Some('w'), Arg::Required, Tag::Weight),
    spec("u-threshold", Some('x'), Arg::Required, Tag::UThreshold),
    spec("l-threshold", Some('y'), Arg::Required, Tag::LThreshold),
    spec("numeric", Some('n'), Arg::None, Tag::Numeric),
    spec("connection", Some('c'), Arg::None, Tag::Connection),
    spec("mcast-interface", None, Arg::Required, Tag::McastInterface),
    spec("syncid", None, Arg::Required, Tag::SyncId),
    spec("timeout", None, Arg::None, Tag::Timeout),
    spec("daemon", None, Arg::None, Tag::Daemon),
    spec("stats", None, Arg::None, Tag::Stats),
    spec("rate", None, Arg::None, Tag::Rate),
    spec("thresholds", None, Arg::None, Tag::Thresholds),
    spec("persistent-conn", None, Arg::None, Tag::PersistentConn),
    spec("nosort", None, Arg::None, Tag::NoSort),
    spec("sort", None, Arg::None, Tag::Sort),
    spec("exact", Some('X'), Arg::None, Tag::Exact),
    spec("ipv6", Some('6'), Arg::None, Tag::Ipv6),
    spec("ops", Some('o'), Arg::None, Tag::Ops),
    spec("pe", None, Arg::Required, Tag::Pe),
    spec("sched-flags", Some('b'), Arg::Required, Tag::SchedFlags),
    spec("mcast-group", None, Arg::Required, Tag::McastGroup),
    spec("mcast-port", None, Arg::Required, Tag::McastPort),
    spec("mcast-ttl", None, Arg::Required, Tag::McastTtl),
    spec("sync-maxlen", None, Arg::Required, Tag::SyncMaxlen),
    spec("tun-info", None, Arg::None, Tag::TunInfo),
    spec("tun-type", None, Arg::Required, Tag::TunType),
    spec("tun-port", None, Arg::Required, Tag::TunPort),
    spec("tun-nocsum", None, Arg::None, Tag::TunNocsum),
    spec("tun-csum", None, Arg::None, Tag::TunCsum),
    spec("tun-remcsum", None, Arg::None, Tag::TunRemcsum),
];

/// A scanning error, with popt's wording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PoptError {
    /// POPT_ERROR_BADOPT
    UnknownOption,
    /// POPT_ERROR_NOARG
    MissingArgument,
    /// POPT_ERROR_UNWANTEDARG
    UnwantedArgument,
}

impl PoptError {
    pub(crate) fn message(&self) -> &'static str {
        match self {
            PoptError::UnknownOption => "unknown option",
            PoptError::MissingArgument => "missing argument",
            PoptError::UnwantedArgument => "option does not take an argument",
        }
    }
}

/// One option occurrence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Opt {
    pub tag: Tag,
    pub arg: Option<String>,
}

pub(crate) struct Popt<'a> {
    argv: &'a [String],
    next: usize,
    /// Remaining characters of a short-option cluster.
    cluster: Option<String>,
    options_done: bool,
    leftovers: Vec<String>,
    leftover_pos: usize,
}

impl<'a> Popt<'a> {
    /// `argv` excludes the program name.
    pub(crate) fn new(argv: &'a [String]) -> Self {
        Popt {
            argv,
            next: 0,
            cluster: None,
            options_done: false,
            leftovers: Vec::new(),
            leftover_pos: 0,
        }
    }

    /// The word popt blames in error messages (`poptBadOption`): the last word consumed.
    pub(crate) fn bad_option(&self) -> String {
        if self.next == 0 {
            String::new()
        } else {
            self.argv[self.next - 1].clone()
        }
    }

    /// The next option, `Ok(None)` at the end of the words.
    pub(crate) fn next_opt(&mut self) -> Result<Option<Opt>, PoptError> {
        loop {
            if let Some(rest) = self.cluster.take() {
                let mut chars = rest.chars();
                let c = chars.next().unwrap_or('\0');
                let tail: String = chars.collect();
                let spec = TABLE
                    .iter()
                    .find(|s| s.short == Some(c))
                    .ok_or(PoptError::UnknownOption)?;
                let glued = if tail.is_empty() {
                    None
                } else {
                    Some(tail.strip_prefix('=').map(str::to_string).unwrap_or(tail))
                };
                if spec.arg == Arg::None {
                    if let Some(g) = glued {
                        self.cluster = Some(g);
                    }
                    return Ok(Some(Opt {
                        tag: spec.tag,
                        arg: None,
                    }));
                }
                let arg = match glued {
                    Some(g) => Some(g),
                    None => self.take_next_word(spec.arg)?,
                };
                return Ok(Some(Opt { tag: spec.tag, arg }));
            }
            let Some(word) = self.argv.get(self.next) else {
                return Ok(None);
            };
            self.next += 1;
            if self.options_done {
                self.leftovers.push(word.clone());
                continue;
            }
            if word == "--" {
                self.options_done = true;
                continue;
            }
            if let Some(long) = word.strip_prefix("--") {
                let (name, value) = match long.find('=') {
                    Some(i) => (&long[..i], Some(long[i + 1..].to_string())),
                    None => (long, None),
                };
                let spec = TABLE
                    .iter()
                    .find(|s| s.long == name)
                    .ok_or(PoptError::UnknownOption)?;
                let arg = match (spec.arg, value) {
                    (Arg::None, Some(_)) => return Err(PoptError::UnwantedArgument),
                    (Arg::None, None) => None,
                    (_, Some(v)) => Some(v),
                    (kind, None) => self.take_next_word(kind)?,
                };
                return Ok(Some(Opt { tag: spec.tag, arg }));
            }
            if word.len() > 1 && word.starts_with('-') {
                self.cluster = Some(word[1..].to_string());
                continue;
            }
            self.leftovers.push(word.clone());
        }
    }

    fn take_next_word(&mut self, kind: Arg) -> Result<Option<String>, PoptError> {
        match self.argv.get(self.next) {
            None if kind == Arg::Optional => Ok(None),
            None => Err(PoptError::MissingArgument),
            Some(w) if kind == Arg::Optional && w.starts_with('-') => Ok(None),
            Some(w) => {
                self.next += 1;
                Ok(Some(w.clone()))
            }
        }
    }

    /// The next leftover (non-option) word, like `poptGetArg`.
    pub(crate) fn next_arg(&mut self) -> Option<String> {
        let a = self.leftovers.get(self.leftover_pos).cloned();
        if a.is_some() {
            self.leftover_pos += 1;
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    fn scan(s: &str) -> (Vec<(Tag, Option<String>)>, Vec<String>) {
        let w = words(s);
        let mut p = Popt::new(&w);
        let mut out = Vec::new();
        while let Some(o) = p.next_opt().unwrap() {
            out.push((o.tag, o.arg));
        }
        let mut left = Vec::new();
        while let Some(a) = p.next_arg() {
            left.push(a);
        }
        (out, left)
    }

    #[test]
    fn clusters_glued_and_optional_arguments() {
        let (o, _) = scan("-Lnc");
        assert_eq!(
            o,
            [
                (Tag::List, None),
                (Tag::Numeric, None),
                (Tag::Connection, None)
            ]
        );
        let (o, _) = scan("-At10.0.0.1:80 -p -s rr");
        assert_eq!(o[1], (Tag::Tcp, Some("10.0.0.1:80".into())));
        assert_eq!(o[2], (Tag::Persistent, None));
        let (o, _) = scan("-A -p 300 -w -1 --weight=7 --persistent");
        assert_eq!(o[1], (Tag::Persistent, Some("300".into())));
        assert_eq!(o[2], (Tag::Weight, Some("-1".into())));
        assert_eq!(o[3], (Tag::Weight, Some("7".into())));
        assert_eq!(o[4], (Tag::Persistent, None));
        let (o, l) = scan("--set 900 -- 60 -n");
        assert_eq!(o, [(Tag::Set, None)]);
        assert_eq!(l, ["900", "60", "-n"]);
    }

    #[test]
    fn errors() {
        let w = words("-A -t");
        let mut p = Popt::new(&w);
        p.next_opt().unwrap();
        assert_eq!(p.next_opt(), Err(PoptError::MissingArgument));
        assert_eq!(p.bad_option(), "-t");
        let w = words("--bogus");
        let mut p = Popt::new(&w);
        assert_eq!(p.next_opt(), Err(PoptError::UnknownOption));
        let w = words("--stats=1");
        let mut p = Popt::new(&w);
        assert_eq!(p.next_opt(), Err(PoptError::UnwantedArgument));
        let w = words("-Lq");
        let mut p = Popt::new(&w);
        p.next_opt().unwrap();
        assert_eq!(p.next_opt(), Err(PoptError::UnknownOption));
        assert_eq!(p.bad_option(), "-Lq");
    }
}
