//! The ipvsadm console: command lines run by the shared ipvsadm executor against a running
//! director, with a history the arrow keys walk through.

use lvslab_sim::admin::ipvsadm::{execute, IpvsadmOutput};
use lvslab_sim::console::DirectorTarget;
use lvslab_sim::Simulation;

/// Runs one ipvsadm command line on a director.
pub fn run_ipvsadm(sim: &mut Simulation, host: usize, line: &str) -> IpvsadmOutput {
    if sim.hosts.get(host).and_then(|h| h.ipvs.as_ref()).is_none() {
        return IpvsadmOutput {
            stdout: String::new(),
            stderr: "ipvsadm: this host runs no IPVS\n".into(),
            exit_code: 1,
        };
    }
    execute(line, &mut DirectorTarget { sim, host })
}

/// One command and what it printed.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub host: String,
    pub input: String,
    pub output: IpvsadmOutput,
    /// Simulated time (seconds) when it ran.
    pub t: f64,
}

#[derive(Default)]
pub struct Console {
    pub entries: Vec<Entry>,
    /// Position while walking the history with the arrow keys (None: at the prompt).
    recall: Option<usize>,
    /// The shared console's state for `@` directives and `cat` (made on first use).
    session: Option<lvslab_sim::console::Session>,
}

/// Runs an `@` directive or `cat /proc/net/ip_vs*` through the shared console, as the
/// command line's `lvslab console` does.
fn run_shared(
    session: &mut Option<lvslab_sim::console::Session>,
    sim: &mut Simulation,
    host: usize,
    line: &str,
) -> IpvsadmOutput {
    if session.is_none() {
        match lvslab_sim::console::Session::new(sim) {
            Ok(s) => *session = Some(s),
            Err(e) => {
                return IpvsadmOutput {
                    stdout: String::new(),
                    stderr: format!("console: {e}\n"),
                    exit_code: 1,
                }
            }
        }
    }
    let Some(sess) = session.as_mut() else {
        return IpvsadmOutput::default();
    };
    if sim.hosts.get(host).is_some_and(|h| h.ipvs.is_some()) {
        sess.set_director(host);
    }
    let tr = sess.run_line(sim, line);
    // Drop the echo of the command: the screen shows the prompt line already.
    let text: String = tr.text.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let (stdout, stderr): (String, String) = if tr.errors.is_empty() {
        (text, String::new())
    } else {
        (
            text.lines()
                .filter(|l| !l.starts_with("console: "))
                .map(|l| format!("{l}\n"))
                .collect(),
            text.lines()
                .filter(|l| l.starts_with("console: "))
                .map(|l| format!("{l}\n"))
                .collect(),
        )
    };
    IpvsadmOutput {
        stdout,
        stderr,
        exit_code: if tr.errors.is_empty() { 0 } else { 1 },
    }
}

impl Console {
    /// Runs `line` on `host` and records it. `clear` empties the screen; `help` lists the
    /// common commands.
    pub fn submit(&mut self, sim: &mut Simulation, host: usize, line: &str) {
        self.recall = None;
        let line = line.trim();
        if line.is_empty() {
            return;
        }
        if line == "clear" {
            self.entries.clear();
            return;
        }
        let output = if line == "help" {
            IpvsadmOutput {
                stdout: HELP.into(),
                ..Default::default()
            }
        } else if line.starts_with('@') || line.starts_with("cat ") {
            run_shared(&mut self.session, sim, host, line)
        } else {
            run_ipvsadm(sim, host, line)
        };
        let mut output = output;
        if let Some(h) = order_hint(line, &output) {
            output.stderr.push_str(&h);
        }
        self.entries.push(Entry {
            host: sim
                .hosts
                .get(host)
                .map(|h| h.name.clone())
                .unwrap_or_default(),
            input: line.to_string(),
            output,
            t: sim.now().as_secs_f64(),
        });
    }

    fn inputs(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.input.as_str()).collect()
    }

    /// Arrow up: the previous command.
    pub fn older(&mut self) -> Option<String> {
        let n = self.entries.len();
        if n == 0 {
            return None;
        }
        let i = match self.recall {
            None => n - 1,
            Some(0) => 0,
            Some(i) => i - 1,
        };
        self.recall = Some(i);
        self.inputs().get(i).map(|s| s.to_string())
    }

    /// Arrow down: the next command, or an empty prompt past the newest.
    pub fn newer(&mut self) -> Option<String> {
        let i = self.recall? + 1;
        if i >= self.entries.len() {
            self.recall = None;
            return Some(String::new());
        }
        self.recall = Some(i);
        self.inputs().get(i).map(|s| s.to_string())
    }
}

/// ipvsadm takes its command first (`-Ln --rate`, not `--rate -Ln`) and answers anything
/// else with "Try `ipvsadm -h'": say how to reorder the line.
pub fn order_hint(line: &str, out: &IpvsadmOutput) -> Option<String> {
    if out.exit_code != 255 || !out.stderr.contains("Try `ipvsadm -h'") {
        return None;
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let skip = usize::from(
        words
            .first()
            .is_some_and(|w| *w == "ipvsadm" || w.ends_with("/ipvsadm")),
    );
    let args = &words[skip..];
    let is_cmd = |w: &str| {
        w.starts_with('-')
            && !w.starts_with("--")
            && w[1..]
                .chars()
                .next()
                .is_some_and(|c| "AEDCRSaedlLZhV".contains(c))
            || matches!(
                w,
                "--list"
                    | "--add-service"
                    | "--edit-service"
                    | "--delete-service"
                    | "--clear"
                    | "--restore"
                    | "--save"
                    | "--add-server"
                    | "--edit-server"
                    | "--delete-server"
                    | "--zero"
                    | "--set"
                    | "--start-daemon"
                    | "--stop-daemon"
                    | "--help"
                    | "--version"
            )
    };
    let pos = args.iter().position(|w| is_cmd(w))?;
    if pos == 0 {
        return None;
    }
    let mut fixed = vec![args[pos]];
    fixed.extend(
        args.iter()
            .enumerate()
            .filter(|(i, _)| *i != pos)
            .map(|(_, w)| *w),
    );
    Some(format!(
        "hint: ipvsadm wants its command first: ipvsadm {}\n",
        fixed.join(" ")
    ))
}

const HELP: &str = "ipvsadm commands run on the selected director, e.g.
  ipvsadm -Ln                     list services and real servers
  ipvsadm -Lnc                    list connection entries
  ipvsadm -Ln --stats | --rate    counters and rates
  ipvsadm -e -t VIP:80 -r RIP:80 -g -w 3    change a weight
  ipvsadm -E -t VIP:80 -s wlc     change the scheduler
  ipvsadm -d -t VIP:80 -r RIP:80  remove a real server
  ipvsadm --set 900 120 300       tcp tcpfin udp timeouts
  ipvsadm -S -n                   save the rules
The leading `ipvsadm` is optional. `clear` empties this screen.
Console directives (as in `lvslab console`):
  @connect CIP VIP:PORT [hold | close-after S] [repeat N]   one client connection
  @close-all                      close every held connection
  @sysctl [HOST] NAME=VALUE       e.g. @sysctl rs1 net.ipv4.conf.all.arp_ignore=1
  @arp-flush [HOST]               ip neigh flush all (e.g. on the router)
  @t=+SECONDS                     let simulated time pass
  cat /proc/net/ip_vs_conn        the kernel's connection table file
";

#[cfg(test)]
mod tests {
    use super::*;
    use lvslab_sim::admin::ipvsadm::render_list;
    use lvslab_sim::admin::ipvsadm::ListFormat;
    use lvslab_sim::bundled;
    use lvslab_sim::scenario::Scenario;

    fn dr() -> (Simulation, usize) {
        let b = bundled::find("dr-lab").unwrap();
        let (sim, _) = Scenario::parse(b.name, b.text)
            .unwrap()
            .build(None)
            .unwrap();
        let d = sim.host_index("director").unwrap();
        (sim, d)
    }

    #[test]
    fn list_is_the_shared_renderer_byte_for_byte() {
        let (mut sim, d) = dr();
        sim.run_until(lvslab_sim::SimTime(2_000_000_000));
        let mut c = Console::default();
        c.submit(&mut sim, d, "ipvsadm -Ln");
        let snap = sim.hosts[d].ipvs.as_ref().unwrap().snapshot(sim.now());
        let want = render_list(
            &snap,
            &ListFormat {
                numeric: true,
                ..Default::default()
            },
        );
        assert_eq!(c.entries[0].output.stdout, want);
        assert_eq!(c.entries[0].output.exit_code, 0);
        assert!(want.contains("10.0.0.11:80"));
    }

    #[test]
    fn edits_reach_the_running_director() {
        let (mut sim, d) = dr();
        let mut c = Console::default();
        c.submit(&mut sim, d, "-e -t 10.0.0.10:80 -r 10.0.0.11:80 -g -w 5");
        assert_eq!(
            c.entries[0].output.exit_code, 0,
            "{:?}",
            c.entries[0].output
        );
        let w = sim.hosts[d].ipvs.as_ref().unwrap().config().services[0]
            .dests
            .iter()
            .find(|x| x.addr.to_string() == "10.0.0.11")
            .unwrap()
            .weight;
        assert_eq!(w, 5);
        c.submit(&mut sim, d, "ipvsadm -E -t 10.0.0.10:80 -s bogus");
        assert_ne!(c.entries[1].output.exit_code, 0);
        assert!(!c.entries[1].output.stderr.is_empty());
        c.submit(&mut sim, d, "ipvsadm \"unterminated");
        assert_eq!(c.entries[2].output.exit_code, 2);
        // Not a director.
        let rs = sim.host_index("rs1").unwrap();
        c.submit(&mut sim, rs, "ipvsadm -Ln");
        assert_eq!(c.entries[3].output.exit_code, 1);
    }

    #[test]
    fn a_command_after_its_options_gets_a_hint() {
        let (mut sim, d) = dr();
        let mut c = Console::default();
        c.submit(&mut sim, d, "ipvsadm --rate -Ln");
        let e = &c.entries[0].output;
        assert_eq!(e.exit_code, 255, "ipvsadm itself refuses it");
        assert!(e.stderr.contains("ipvsadm -Ln --rate"), "{}", e.stderr);
        c.submit(&mut sim, d, "@sysctl rs1 net.ipv4.conf.all.arp_ignore=1");
        assert_eq!(
            c.entries[1].output.exit_code, 0,
            "{:?}",
            c.entries[1].output
        );
        c.submit(&mut sim, d, "@arp-flush router");
        assert_eq!(
            c.entries[2].output.exit_code, 0,
            "{:?}",
            c.entries[2].output
        );
        c.submit(&mut sim, d, "@connect 10.1.0.100 10.0.0.10:80");
        let out = &c.entries[3].output;
        assert_eq!(out.exit_code, 0, "{out:?}");
        assert!(out.stdout.contains("-> rs"), "{}", out.stdout);
        c.submit(&mut sim, d, "@nonsense");
        assert_eq!(c.entries[4].output.exit_code, 1);
        assert!(c.entries[4].output.stderr.contains("unknown directive"));
    }

    #[test]
    fn history_walks_both_ways() {
        let (mut sim, d) = dr();
        let mut c = Console::default();
        assert_eq!(c.older(), None);
        c.submit(&mut sim, d, "ipvsadm -Ln");
        c.submit(&mut sim, d, "ipvsadm -Lnc");
        assert_eq!(c.older().as_deref(), Some("ipvsadm -Lnc"));
        assert_eq!(c.older().as_deref(), Some("ipvsadm -Ln"));
        assert_eq!(c.older().as_deref(), Some("ipvsadm -Ln"));
        assert_eq!(c.newer().as_deref(), Some("ipvsadm -Lnc"));
        assert_eq!(c.newer().as_deref(), Some(""));
        assert_eq!(c.newer(), None);
        c.submit(&mut sim, d, "clear");
        assert!(c.entries.is_empty());
    }
}
