//! Running ipvsadm command lines against an IPVS table, with ipvsadm's output, messages
//! and exit statuses. Shared by the console and the browser.

use super::parse::{parse_args, strip_program, Command, CommandLineError, ListWhat};
use super::render;
use super::words::split_words;
use crate::admin::{IpvsError, IpvsOp, LvsConfig};
use crate::ipvs::snapshot::IpvsSnapshot;

/// What ipvsadm would print and return.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpvsadmOutput {
    pub stdout: String,
    pub stderr: String,
    /// Process exit status (0..=255).
    pub exit_code: i32,
}

/// An IPVS table ipvsadm can drive: the simulated director, or a bare configuration.
pub trait IpvsadmTarget {
    /// Performs one change with the kernel's validation.
    fn apply(&mut self, op: &IpvsOp) -> Result<(), IpvsError>;
    /// The current state, for listings.
    fn snapshot(&self) -> IpvsSnapshot;
}

/// A configuration without traffic: every counter is zero and there are no connections.
impl IpvsadmTarget for LvsConfig {
    fn apply(&mut self, op: &IpvsOp) -> Result<(), IpvsError> {
        LvsConfig::apply(self, op)
    }
    fn snapshot(&self) -> IpvsSnapshot {
        IpvsSnapshot::from_config(self)
    }
}

/// Runs `input`: its first line is the ipvsadm command (a leading `ipvsadm` word is
/// optional), the following lines are its standard input (read by `-R`).
pub fn execute(input: &str, target: &mut dyn IpvsadmTarget) -> IpvsadmOutput {
    let (line, stdin) = match input.split_once('\n') {
        Some((l, rest)) => (l, rest),
        None => (input, ""),
    };
    execute_with_stdin(line, stdin, target)
}

/// Runs one command line with the given standard input.
pub fn execute_with_stdin(
    line: &str,
    stdin: &str,
    target: &mut dyn IpvsadmTarget,
) -> IpvsadmOutput {
    let mut out = IpvsadmOutput::default();
    let words = match split_words(line) {
        Ok(w) => w,
        Err(e) => {
            out.stderr = format!("ipvsadm: syntax error: {e}\n");
            out.exit_code = 2;
            return out;
        }
    };
    execute_args(strip_program(&words), stdin, target)
}

/// Runs ipvsadm with these arguments (without the program name).
pub fn execute_args(args: &[String], stdin: &str, target: &mut dyn IpvsadmTarget) -> IpvsadmOutput {
    let mut out = IpvsadmOutput::default();
    let code = match process(args, false, stdin, target, &mut out) {
        Flow::Return(r) | Flow::Exit(r) => r,
    };
    out.exit_code = code & 0xff;
    out
}

/// How `process_options` ended: returned a result to its caller, or called `exit()`.
enum Flow {
    Return(i32),
    Exit(i32),
}

fn process(
    args: &[String],
    reading_stdin: bool,
    stdin: &str,
    target: &mut dyn IpvsadmTarget,
    out: &mut IpvsadmOutput,
) -> Flow {
    let cmd = match parse_args(args) {
        Ok(c) => c,
        Err(e) => {
            out.stderr.push_str(&e.message);
            out.stderr.push('\n');
            return if e.returns {
                Flow::Return(-1)
            } else {
                Flow::Exit(e.exit_code)
            };
        }
    };
    match cmd {
        Command::Help => {
            out.stdout.push_str(&render::usage_text());
            Flow::Exit(0)
        }
        Command::Version => {
            out.stdout.push_str(&render::version_text());
            Flow::Exit(0)
        }
        Command::List { what, format } => {
            let snap = target.snapshot();
            match what {
                ListWhat::All => out.stdout.push_str(&render::render_list(&snap, &format)),
                ListWhat::Service(key) => match render::render_service(&snap, &key, &format) {
                    Some(s) => out.stdout.push_str(&s),
                    None => {
                        out.stderr.push_str("No such service\n");
                        return Flow::Exit(1);
                    }
                },
                ListWhat::Connections => out
                    .stdout
                    .push_str(&render::render_connections(&snap, &format)),
                ListWhat::Timeout => out.stdout.push_str(&render::render_timeout(&snap)),
                ListWhat::Daemon => out.stdout.push_str(&render::render_daemon(&snap)),
            }
            Flow::Return(0)
        }
        Command::Save { numeric } => {
            out.stdout
                .push_str(&render::render_save(&target.snapshot(), numeric));
            Flow::Return(0)
        }
        Command::Restore => {
            if reading_stdin {
                out.stderr.push_str(&CommandLineError::try_help().message);
                out.stderr.push('\n');
                return Flow::Exit(255);
            }
            restore(stdin, target, out)
        }
        Command::Apply(op) => match target.apply(&op) {
            Ok(()) => Flow::Return(0),
            Err(e) => {
                out.stderr.push_str(kernel_error_message(&op, &e));
                out.stderr.push('\n');
                Flow::Return(-1)
            }
        },
    }
}

/// `ipvsadm -R`: every line of standard input is one command (words split on blanks,
/// any word `ipvsadm` dropped, blank lines skipped). A kernel error is reported and the
/// next line runs; the exit status is that of the last line. A command-line error stops
/// the restore, as ipvsadm exits on it.
fn restore(stdin: &str, target: &mut dyn IpvsadmTarget, out: &mut IpvsadmOutput) -> Flow {
    let mut result = 0;
    for line in stdin.split('\n') {
        let words: Vec<String> = line
            .split([' ', '\t', '\r'])
            .filter(|w| !w.is_empty() && *w != "ipvsadm")
            .map(str::to_string)
            .collect();
        if words.is_empty() {
            continue;
        }
        match process(&words, true, "", target, out) {
            Flow::Return(r) => result = r,
            Flow::Exit(code) => return Flow::Exit(code),
        }
    }
    Flow::Return(result)
}

/// libipvs's `ipvs_strerror`: the message depends on the operation and the errno.
pub fn kernel_error_message(op: &IpvsOp, err: &IpvsError) -> &'static str {
    const EPERM: i32 = 1;
    const ENOENT: i32 = 2;
    const ESRCH: i32 = 3;
    const ENOMEM: i32 = 12;
    const EEXIST: i32 = 17;
    const EINVAL: i32 = 22;
    const ERANGE: i32 = 34;
    const ENOPROTOOPT: i32 = 92;
    const EOPNOTSUPP: i32 = 95;
    const EAFNOSUPPORT: i32 = 97;
    const EMSGSIZE: i32 = 90;
    // The sync-daemon failures LvsConfig reports are the kernel's EEXIST (already
    // running) and ESRCH (not running).
    let errno = match (op, err) {
        (IpvsOp::StartDaemon(_), IpvsError::Daemon(_)) => EEXIST,
        (IpvsOp::StopDaemon(_), IpvsError::Daemon(_)) => ESRCH,
        _ => err.errno(),
    };
    let specific = match (op, errno) {
        (IpvsOp::AddService(_), EEXIST) => Some("Service already exists"),
        (IpvsOp::AddService(_), ENOENT) => Some("Scheduler or persistence engine not found"),
        (IpvsOp::EditService(_), ESRCH) => Some("No such service"),
        (IpvsOp::EditService(_), ENOENT) => Some("Scheduler or persistence engine not found"),
        (IpvsOp::DelService(_), ESRCH) => Some("No such service"),
        (IpvsOp::Zero(_), ESRCH) => Some("No such service"),
        (IpvsOp::AddDest(..), ESRCH) => Some("Service not defined"),
        (IpvsOp::AddDest(..), EEXIST) => Some("Destination already exists"),
        (IpvsOp::EditDest(..), ESRCH) => Some("Service not defined"),
        (IpvsOp::EditDest(..), ENOENT) => Some("No such destination"),
        (IpvsOp::DelDest { .. }, ESRCH) => Some("Service not defined"),
        (IpvsOp::DelDest { .. }, ENOENT) => Some("No such destination"),
        (IpvsOp::StartDaemon(_), EEXIST) => Some("Daemon has already run"),
        (IpvsOp::StopDaemon(_), ESRCH) => Some("No daemon is running"),
        _ => None,
    };
    if let Some(m) = specific {
        return m;
    }
    match errno {
        EPERM => "Permission denied (you must be root)",
        EINVAL => "Invalid operation.  Possibly wrong module version, address not unicast, ...",
        ENOPROTOOPT => "Protocol not available",
        ENOMEM => "Memory allocation problem",
        EOPNOTSUPP => "Operation not supported with IPv6",
        EAFNOSUPPORT => "Operation not supported with specified address family",
        EMSGSIZE => "Module is wrong version",
        // strerror()
        ENOENT => "No such file or directory",
        ESRCH => "No such process",
        EEXIST => "File exists",
        ERANGE => "Numerical result out of range",
        _ => "Unknown error",
    }
}
