//! The kernel's per-protocol connection state machines (K:ip_vs_proto_tcp.c,
//! K:ip_vs_proto_udp.c): TCP state tables (normal and secure_tcp), the event-from-flags rule,
//! the per-state timeout table and the `--set tcp tcpfin udp` fields.

use crate::admin::Timeouts;
use crate::time::SimDuration;
use crate::wire::TcpFlags;

/// TCP state numbers as the kernel numbers them (IP_VS_TCP_S_*).
pub mod tcp_state {
    pub const NONE: u8 = 0;
    pub const ESTABLISHED: u8 = 1;
    pub const SYN_SENT: u8 = 2;
    pub const SYN_RECV: u8 = 3;
    pub const FIN_WAIT: u8 = 4;
    pub const TIME_WAIT: u8 = 5;
    pub const CLOSE: u8 = 6;
    pub const CLOSE_WAIT: u8 = 7;
    pub const LAST_ACK: u8 = 8;
    pub const LISTEN: u8 = 9;
    pub const SYNACK: u8 = 10;
    pub const COUNT: usize = 11;
}
use tcp_state::*;

/// Template states (IP_VS_CTPL_S_*).
pub const CTPL_ASSURED: u8 = 1;

/// Display names, indexed by state number (`/proc/net/ip_vs_conn`).
pub const TCP_STATE_NAMES: [&str; tcp_state::COUNT] = [
    "NONE",
    "ESTABLISHED",
    "SYN_SENT",
    "SYN_RECV",
    "FIN_WAIT",
    "TIME_WAIT",
    "CLOSE",
    "CLOSE_WAIT",
    "LAST_ACK",
    "LISTEN",
    "SYNACK",
];

/// Which way a packet travels relative to the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Client to real server (seen by the director's LOCAL_IN hook).
    Input,
    /// Real server to client (seen by the director's FORWARD hook).
    Output,
}

const ES: u8 = ESTABLISHED;
const SS: u8 = SYN_SENT;
const SR: u8 = SYN_RECV;
const FW: u8 = FIN_WAIT;
const TW: u8 = TIME_WAIT;
const CL: u8 = CLOSE;
const CW: u8 = CLOSE_WAIT;
const LA: u8 = LAST_ACK;
const LI: u8 = LISTEN;
const SA: u8 = SYNACK;

type Table = [[u8; tcp_state::COUNT]; 12];

/// Rows: INPUT syn/fin/ack/rst, OUTPUT syn/fin/ack/rst, INPUT-ONLY syn/fin/ack/rst.
/// Columns: current state NO ES SS SR FW TW CL CW LA LI SA.
const NORMAL: Table = [
    [SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR],
    [CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, TW],
    [ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES],
    [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, SR],
    [SS, ES, SS, SR, SS, SS, SS, SS, SS, LI, SR],
    [TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW],
    [ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES],
    [CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL],
    [SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SR],
    [CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW],
    [ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES],
    [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL],
];

/// The secure_tcp ("defense") table.
const DEFENSE: Table = [
    [SR, ES, ES, SR, SR, SR, SR, SR, SR, SR, SA],
    [CL, CW, SS, TW, TW, TW, CL, CW, LA, LI, SA],
    [ES, ES, SS, SR, FW, TW, CL, CW, CL, LI, SA],
    [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL],
    [SS, ES, SS, SA, SS, SS, SS, SS, SS, LI, SA],
    [TW, FW, SS, TW, FW, TW, CL, TW, LA, LI, TW],
    [ES, ES, SS, ES, FW, TW, CL, CW, LA, ES, ES],
    [CL, CL, SS, CL, CL, TW, CL, CL, CL, CL, CL],
    [SA, ES, ES, SR, SA, SA, SA, SA, SA, SA, SA],
    [CL, FW, SS, TW, FW, TW, CL, CW, LA, LI, TW],
    [ES, ES, SS, ES, FW, TW, CL, CW, CL, LI, ES],
    [CL, CL, CL, SR, CL, CL, CL, CL, LA, LI, CL],
];

/// Event index from the TCP flags: RST, then SYN, then FIN, then ACK; None = no flag
/// (the kernel then moves the entry to CLOSE).
pub fn tcp_event(flags: TcpFlags) -> Option<usize> {
    if flags.rst() {
        Some(3)
    } else if flags.syn() {
        Some(0)
    } else if flags.fin() {
        Some(1)
    } else if flags.ack() {
        Some(2)
    } else {
        None
    }
}

/// The next TCP state. `input_only` selects the INPUT-ONLY rows (entry still has NOOUTPUT).
pub fn tcp_next_state(
    secure: bool,
    dir: Direction,
    input_only: bool,
    flags: TcpFlags,
    cur: u8,
) -> u8 {
    let Some(ev) = tcp_event(flags) else {
        return CLOSE;
    };
    let off = match (dir, input_only) {
        (Direction::Output, _) => 4,
        (Direction::Input, true) => 8,
        (Direction::Input, false) => 0,
    };
    let table = if secure { &DEFENSE } else { &NORMAL };
    table[off + ev][(cur as usize).min(tcp_state::COUNT - 1)]
}

/// States counted as ActiveConn (kernel >= 4.7).
pub fn tcp_state_active(state: u8) -> bool {
    matches!(state, ESTABLISHED | SYN_SENT | SYN_RECV | SYNACK)
}

/// The per-netns timeout tables (seconds), changed by `ipvsadm --set`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimeoutTable {
    pub tcp: [u32; tcp_state::COUNT],
    pub udp: u32,
}

impl Default for TimeoutTable {
    fn default() -> Self {
        TimeoutTable {
            tcp: [2, 900, 120, 60, 120, 120, 10, 60, 30, 120, 120],
            udp: 300,
        }
    }
}

impl TimeoutTable {
    /// `--set tcp tcpfin udp`: ESTABLISHED, FIN_WAIT (only) and UDP; 0 leaves a field alone.
    pub fn set(&mut self, t: &Timeouts) {
        if t.tcp > 0 {
            self.tcp[ESTABLISHED as usize] = t.tcp;
        }
        if t.tcp_fin > 0 {
            self.tcp[FIN_WAIT as usize] = t.tcp_fin;
        }
        if t.udp > 0 {
            self.udp = t.udp;
        }
    }
    pub fn tcp_timeout(&self, state: u8) -> SimDuration {
        SimDuration::from_secs(self.tcp[(state as usize).min(tcp_state::COUNT - 1)] as u64)
    }
    pub fn udp_timeout(&self) -> SimDuration {
        SimDuration::from_secs(self.udp as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(bits: u8) -> TcpFlags {
        TcpFlags(bits)
    }
    const S: u8 = TcpFlags::SYN;
    const A: u8 = TcpFlags::ACK;
    const F: u8 = TcpFlags::FIN;
    const R: u8 = TcpFlags::RST;

    #[test]
    fn event_priority_rst_syn_fin_ack() {
        assert_eq!(tcp_event(f(S | A)), Some(0));
        assert_eq!(tcp_event(f(F | A)), Some(1));
        assert_eq!(tcp_event(f(R | A | S)), Some(3));
        assert_eq!(tcp_event(f(A)), Some(2));
        assert_eq!(tcp_event(f(TcpFlags::PSH)), None);
        assert_eq!(
            tcp_next_state(
                false,
                Direction::Input,
                false,
                f(TcpFlags::PSH),
                ESTABLISHED
            ),
            CLOSE
        );
    }

    #[test]
    fn nat_trace_ends_in_time_wait() {
        let steps: [(Direction, u8, u8); 7] = [
            (Direction::Input, S, SYN_RECV),
            (Direction::Output, S | A, SYN_RECV),
            (Direction::Input, A, ESTABLISHED),
            (Direction::Input, F | A, CLOSE_WAIT),
            (Direction::Output, A, CLOSE_WAIT),
            (Direction::Output, F | A, TIME_WAIT),
            (Direction::Input, A, TIME_WAIT),
        ];
        let mut st = NONE;
        for (dir, fl, want) in steps {
            st = tcp_next_state(false, dir, false, f(fl), st);
            assert_eq!(st, want);
        }
    }

    #[test]
    fn input_only_trace_ends_in_fin_wait() {
        let mut st = NONE;
        for (fl, want) in [
            (S, SYN_RECV),
            (A, ESTABLISHED),
            (A, ESTABLISHED),
            (F | A, FIN_WAIT),
            (A, FIN_WAIT),
        ] {
            st = tcp_next_state(false, Direction::Input, true, f(fl), st);
            assert_eq!(st, want);
        }
    }

    #[test]
    fn defense_table_differences() {
        // ack in SYN_RECV stays SYN_RECV until the server's answer is seen.
        assert_eq!(
            tcp_next_state(true, Direction::Input, false, f(A), SYN_RECV),
            SYN_RECV
        );
        assert_eq!(
            tcp_next_state(false, Direction::Input, false, f(A), SYN_RECV),
            ESTABLISHED
        );
        assert_eq!(
            tcp_next_state(true, Direction::Output, false, f(S | A), SYN_RECV),
            SYNACK
        );
        assert_eq!(
            tcp_next_state(true, Direction::Input, true, f(S), NONE),
            SYNACK
        );
        assert_eq!(
            tcp_next_state(true, Direction::Input, false, f(R), SYNACK),
            CLOSE
        );
        assert_eq!(
            tcp_next_state(false, Direction::Input, false, f(R), SYNACK),
            SYN_RECV
        );
    }

    #[test]
    fn set_changes_only_established_fin_wait_udp() {
        let mut t = TimeoutTable::default();
        t.set(&Timeouts {
            tcp: 100,
            tcp_fin: 50,
            udp: 0,
        });
        assert_eq!(t.tcp[ESTABLISHED as usize], 100);
        assert_eq!(t.tcp[FIN_WAIT as usize], 50);
        assert_eq!(t.tcp[TIME_WAIT as usize], 120);
        assert_eq!(t.tcp[CLOSE_WAIT as usize], 60);
        assert_eq!(t.udp, 300);
    }

    #[test]
    fn active_states_since_4_7() {
        let active: Vec<u8> = (0..11).filter(|s| tcp_state_active(*s)).collect();
        assert_eq!(active, vec![ESTABLISHED, SYN_SENT, SYN_RECV, SYNACK]);
    }
}
