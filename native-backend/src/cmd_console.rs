//! `lvslab console`: run a console script (ipvsadm lines and `@` directives) against a
//! scenario's director in the simulator and print the transcript.

use crate::scenario_io::{load, ScenarioError};
use anyhow::{Context, Result};
use lvslab_sim::console::Console;
use std::io::Read;
use std::path::Path;

/// The language and output, for `--help`.
pub const HELP: &str = "\
Script lines:
  ipvsadm ARGS | ARGS         ipvsadm on the director, at the current simulated time
  ipvsadm -R                  the following lines up to `@end` are its standard input
  cat /proc/net/ip_vs_conn    (also /proc/net/ip_vs_stats)
  @t=SECONDS | @t=+SECONDS    run the simulation to that time / that much longer
  @connect CIP[:PORT] VIP:PORT [hold | close-after SECONDS] [repeat N]
                              one client connection: a GET like `echo GET / | nc` (default),
                              held open until @close-all, or closed after SECONDS; prints the
                              real server IPVS chose, or `none` and why. repeat N prints the
                              sequence and the counts. A CIP no host owns is added to the
                              scenario's client as a secondary address (a `#` line says so);
                              a VIP or real-server address no host has is set up on the
                              testbed (routed via the director, given to a real server).
  @close-all                  close every open client connection
  @sysctl [HOST] NAME=VALUE   e.g. @sysctl net.ipv4.vs.expire_quiescent_template=1
  @arp-flush [HOST]           ip neigh flush all on HOST (default: the director)
  # comment, blank line       copied to the output

Output: each command is echoed as `$ COMMAND` (`ipvsadm ` is put in front of a bare
ipvsadm argument list, -R input lines are echoed as `> LINE`), followed by what it printed;
a failed ipvsadm adds `[exit N]`, the layout of the kernel observations, so transcripts
compare line by line with ipvsadm sessions on a real director. After a connection returns,
10 ms of simulated time pass so that packets in flight land.

Without SCENARIO the console runs the bundled `testbed-nat` (client 10.0.0.100..112,
director 10.0.0.1 / 192.168.10.1, real servers rs1..rs3 192.168.10.11..13 listening on
80, 81, 8030..8033) with an empty IPVS table. With one argument, a bundled scenario
name or an existing .toml file is the scenario (the script is read from standard input);
anything else is the script file. Exit status 1 when a console directive was wrong.";

pub struct ConsoleArgs {
    pub first: Option<String>,
    pub second: Option<String>,
    pub seed: Option<u64>,
}

fn is_scenario(s: &str) -> bool {
    (s.ends_with(".toml") && Path::new(s).exists()) || lvslab_sim::bundled::find(s).is_some()
}

pub fn run(a: ConsoleArgs) -> Result<i32> {
    let (scenario, script) = match (a.first, a.second) {
        (Some(s), Some(f)) => (Some(s), Some(f)),
        (Some(x), None) if x != "-" && is_scenario(&x) => (Some(x), None),
        (Some(x), None) => (None, Some(x)),
        (None, _) => (None, None),
    };
    let mut console = match scenario {
        Some(s) => {
            let sc = match load(&s) {
                Ok(sc) => sc,
                Err(e) => {
                    eprintln!("{e}");
                    return Ok(1);
                }
            };
            let (sim, _warnings) = match sc.build(a.seed) {
                Ok(x) => x,
                Err(d) => {
                    eprintln!("{}", ScenarioError::Invalid(d));
                    return Ok(1);
                }
            };
            match Console::new(sim) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("lvslab console: {e}");
                    return Ok(1);
                }
            }
        }
        None => Console::bare(),
    };
    let text = match script.as_deref() {
        None | Some("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .context("cannot read the script from standard input")?;
            s
        }
        Some(f) => std::fs::read_to_string(f).with_context(|| format!("cannot read {f}"))?,
    };
    let tr = console.run_script(&text);
    print!("{}", tr.text);
    Ok(if tr.errors.is_empty() { 0 } else { 1 })
}
