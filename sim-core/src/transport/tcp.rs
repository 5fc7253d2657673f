//! A TCP endpoint as a state machine: `now` plus an input (a segment, an application call,
//! a timer) in, segments to send and application events out.
//!
//! What is modelled: the three-way handshake with SYN / SYN-ACK retransmission, sequence
//! and acknowledgement numbers, retransmission of unacknowledged data with exponential
//! back-off, delayed ACKs on the passive side, FIN/ACK close from either side, RST, and
//! TIME_WAIT (2MSL, configurable) on the side that closes first. Not modelled: congestion
//! control and flow-control windows (segments are sent as soon as the application writes).

use crate::time::{SimDuration, SimTime};
use crate::wire::{AppData, Payload, TcpFlags, TcpOptions, TcpSegment};
use serde::Serialize;
use std::collections::VecDeque;
use std::net::Ipv4Addr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum TcpState {
    SynSent,
    SynRcvd,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
    Closed,
}

impl TcpState {
    pub fn name(self) -> &'static str {
        match self {
            TcpState::SynSent => "SYN-SENT",
            TcpState::SynRcvd => "SYN-RECV",
            TcpState::Established => "ESTAB",
            TcpState::FinWait1 => "FIN-WAIT-1",
            TcpState::FinWait2 => "FIN-WAIT-2",
            TcpState::CloseWait => "CLOSE-WAIT",
            TcpState::Closing => "CLOSING",
            TcpState::LastAck => "LAST-ACK",
            TcpState::TimeWait => "TIME-WAIT",
            TcpState::Closed => "CLOSED",
        }
    }
}

/// Per-host TCP parameters (Linux defaults).
#[derive(Clone, Debug)]
pub struct TcpParams {
    pub mss: u16,
    /// SYN retransmissions before connect() fails (net.ipv4.tcp_syn_retries).
    pub syn_retries: u8,
    /// SYN-ACK retransmissions (net.ipv4.tcp_synack_retries).
    pub synack_retries: u8,
    /// Retransmissions of data before the connection is aborted.
    pub data_retries: u8,
    pub initial_rto: SimDuration,
    /// TIME_WAIT length (Linux: 60 s, fixed in the kernel; configurable here).
    pub time_wait: SimDuration,
    /// Delayed-ACK timeout on the passive side.
    pub delayed_ack: SimDuration,
}

impl Default for TcpParams {
    fn default() -> Self {
        TcpParams {
            mss: 1460,
            syn_retries: 6,
            synack_retries: 5,
            data_retries: 8,
            initial_rto: SimDuration::from_secs(1),
            time_wait: SimDuration::from_secs(60),
            delayed_ack: SimDuration::from_millis(40),
        }
    }
}

/// What the endpoint tells its application.
#[derive(Clone, Debug, PartialEq)]
pub enum TcpEvent {
    /// Active open completed.
    Connected,
    /// Passive open completed (the connection is ready to accept).
    Accepted,
    /// In-order data arrived.
    Data(Payload),
    /// The peer sent FIN (end of its data).
    PeerClosed,
    /// The connection is gone (after TIME_WAIT or the last ACK).
    Closed,
    /// The connection failed: reset by the peer, timed out, refused.
    Failed(String),
}

/// Output of one step.
#[derive(Debug, Default)]
pub struct TcpOutput {
    pub segments: Vec<TcpSegment>,
    pub events: Vec<TcpEvent>,
}

fn seq_lt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) < 0
}
fn seq_le(a: u32, b: u32) -> bool {
    a == b || seq_lt(a, b)
}

/// One TCP connection endpoint.
#[derive(Clone, Debug)]
pub struct TcpConn {
    pub local: (Ipv4Addr, u16),
    pub remote: (Ipv4Addr, u16),
    pub state: TcpState,
    /// True for the side that sent the first SYN.
    pub active: bool,
    #[allow(dead_code)]
    iss: u32,
    snd_una: u32,
    snd_nxt: u32,
    rcv_nxt: u32,
    ts_offset: u32,
    ts_recent: u32,
    rtx: VecDeque<TcpSegment>,
    rtx_at: Option<SimTime>,
    rto: SimDuration,
    retries: u8,
    delack_at: Option<SimTime>,
    timewait_at: Option<SimTime>,
    fin_sent: bool,
    fin_acked: bool,
    /// Immediate ACKs for every data segment (active side) vs delayed ACKs (passive side).
    quickack: bool,
    params_time_wait: SimDuration,
    params_delack: SimDuration,
    max_retries: u8,
    mss: u16,
}

impl TcpConn {
    fn new(
        local: (Ipv4Addr, u16),
        remote: (Ipv4Addr, u16),
        #[allow(dead_code)] iss: u32,
        ts_offset: u32,
        p: &TcpParams,
        active: bool,
    ) -> Self {
        TcpConn {
            local,
            remote,
            state: if active {
                TcpState::SynSent
            } else {
                TcpState::SynRcvd
            },
            active,
            iss,
            snd_una: iss,
            snd_nxt: iss,
            rcv_nxt: 0,
            ts_offset,
            ts_recent: 0,
            rtx: VecDeque::new(),
            rtx_at: None,
            rto: p.initial_rto,
            retries: 0,
            delack_at: None,
            timewait_at: None,
            fin_sent: false,
            fin_acked: false,
            quickack: active,
            params_time_wait: p.time_wait,
            params_delack: p.delayed_ack,
            max_retries: if active {
                p.syn_retries
            } else {
                p.synack_retries
            },
            mss: p.mss,
        }
    }

    /// Active open: returns the connection and its SYN.
    pub fn connect(
        now: SimTime,
        local: (Ipv4Addr, u16),
        remote: (Ipv4Addr, u16),
        #[allow(dead_code)] iss: u32,
        ts_offset: u32,
        p: &TcpParams,
    ) -> (TcpConn, TcpOutput) {
        let mut c = TcpConn::new(local, remote, iss, ts_offset, p, true);
        let mut out = TcpOutput::default();
        let syn = c.make(now, TcpFlags::SYN, Payload::empty(), true);
        c.snd_nxt = c.snd_nxt.wrapping_add(1);
        c.queue_rtx(now, syn.clone());
        out.segments.push(syn);
        (c, out)
    }

    /// Passive open on a received SYN: returns the connection and its SYN-ACK.
    pub fn accept(
        now: SimTime,
        local: (Ipv4Addr, u16),
        syn: &TcpSegment,
        remote: (Ipv4Addr, u16),
        #[allow(dead_code)] iss: u32,
        ts_offset: u32,
        p: &TcpParams,
    ) -> (TcpConn, TcpOutput) {
        let mut c = TcpConn::new(local, remote, iss, ts_offset, p, false);
        c.rcv_nxt = syn.seq.wrapping_add(1);
        if let Some((tsval, _)) = syn.options.timestamps {
            c.ts_recent = tsval;
        }
        if let Some(m) = syn.options.mss {
            c.mss = c.mss.min(m);
        }
        let mut out = TcpOutput::default();
        let sa = c.make(now, TcpFlags::SYN | TcpFlags::ACK, Payload::empty(), true);
        c.snd_nxt = c.snd_nxt.wrapping_add(1);
        c.queue_rtx(now, sa.clone());
        out.segments.push(sa);
        (c, out)
    }

    fn tsval(&self, now: SimTime) -> u32 {
        ((now.0 / 1_000_000) as u32).wrapping_add(self.ts_offset)
    }

    fn make(&self, now: SimTime, flags: u8, payload: Payload, syn_opts: bool) -> TcpSegment {
        let ts = Some((self.tsval(now), self.ts_recent));
        let options = if syn_opts {
            TcpOptions {
                mss: Some(self.mss),
                sack_permitted: true,
                timestamps: ts,
                window_scale: Some(7),
            }
        } else {
            TcpOptions {
                timestamps: ts,
                ..Default::default()
            }
        };
        TcpSegment {
            sport: self.local.1,
            dport: self.remote.1,
            seq: self.snd_nxt,
            ack: if flags & TcpFlags::ACK != 0 {
                self.rcv_nxt
            } else {
                0
            },
            flags: TcpFlags(flags),
            window: if syn_opts { 64240 } else { 502 },
            options,
            payload,
        }
    }

    fn queue_rtx(&mut self, now: SimTime, seg: TcpSegment) {
        if self.rtx.is_empty() {
            self.rtx_at = Some(now + self.rto);
        }
        self.rtx.push_back(seg);
    }

    fn ack_now(&mut self, now: SimTime, out: &mut TcpOutput) {
        self.delack_at = None;
        out.segments
            .push(self.make(now, TcpFlags::ACK, Payload::empty(), false));
    }

    /// Application write: queues `len` bytes (cut into MSS-sized segments) and sends them.
    /// `app` describes the data; it rides on the last segment.
    pub fn send(&mut self, now: SimTime, len: u32, app: Option<AppData>) -> TcpOutput {
        let mut out = TcpOutput::default();
        if !matches!(self.state, TcpState::Established | TcpState::CloseWait) || len == 0 {
            return out;
        }
        let mut left = len;
        while left > 0 {
            let n = left.min(self.mss as u32);
            left -= n;
            let last = left == 0;
            let payload = Payload {
                len: n,
                app: if last { app.clone() } else { None },
            };
            let flags = TcpFlags::ACK | if last { TcpFlags::PSH } else { 0 };
            let seg = self.make(now, flags, payload, false);
            self.snd_nxt = self.snd_nxt.wrapping_add(n);
            self.queue_rtx(now, seg.clone());
            out.segments.push(seg);
        }
        self.delack_at = None; // the data carries the ACK
        out
    }

    /// Application close: sends FIN (half-close of our direction).
    pub fn close(&mut self, now: SimTime) -> TcpOutput {
        let mut out = TcpOutput::default();
        let next = match self.state {
            TcpState::Established => TcpState::FinWait1,
            TcpState::CloseWait => TcpState::LastAck,
            _ => return out,
        };
        let fin = self.make(now, TcpFlags::FIN | TcpFlags::ACK, Payload::empty(), false);
        self.snd_nxt = self.snd_nxt.wrapping_add(1);
        self.fin_sent = true;
        self.queue_rtx(now, fin.clone());
        self.delack_at = None;
        self.state = next;
        out.segments.push(fin);
        out
    }

    /// Abort: sends RST and closes at once.
    pub fn abort(&mut self, now: SimTime) -> TcpOutput {
        let mut out = TcpOutput::default();
        if self.state != TcpState::Closed && self.state != TcpState::TimeWait {
            out.segments.push(self.make(
                now,
                TcpFlags::RST | TcpFlags::ACK,
                Payload::empty(),
                false,
            ));
        }
        self.enter_closed();
        out
    }

    fn enter_closed(&mut self) {
        self.state = TcpState::Closed;
        self.rtx.clear();
        self.rtx_at = None;
        self.delack_at = None;
        self.timewait_at = None;
    }

    fn enter_time_wait(&mut self, now: SimTime) {
        self.state = TcpState::TimeWait;
        self.rtx.clear();
        self.rtx_at = None;
        self.timewait_at = Some(now + self.params_time_wait);
    }

    /// A segment for this connection arrived.
    pub fn on_segment(&mut self, now: SimTime, seg: &TcpSegment) -> TcpOutput {
        let mut out = TcpOutput::default();
        if let Some((tsval, _)) = seg.options.timestamps {
            self.ts_recent = tsval;
        }
        if seg.flags.rst() {
            let acceptable = match self.state {
                TcpState::SynSent => seg.flags.ack() && seg.ack == self.snd_nxt,
                _ => seg.seq == self.rcv_nxt || self.state == TcpState::SynRcvd,
            };
            if acceptable && self.state != TcpState::Closed && self.state != TcpState::TimeWait {
                let why = if self.state == TcpState::SynSent {
                    "connection refused (RST)"
                } else {
                    "connection reset by peer"
                };
                self.enter_closed();
                out.events.push(TcpEvent::Failed(why.into()));
            }
            return out;
        }
        match self.state {
            TcpState::SynSent => {
                if seg.flags.syn() && seg.flags.ack() && seg.ack == self.snd_nxt {
                    self.rcv_nxt = seg.seq.wrapping_add(1);
                    self.snd_una = seg.ack;
                    self.rtx.clear();
                    self.rtx_at = None;
                    self.retries = 0;
                    self.max_retries = 8;
                    self.state = TcpState::Established;
                    if let Some(m) = seg.options.mss {
                        self.mss = self.mss.min(m);
                    }
                    self.ack_now(now, &mut out);
                    out.events.push(TcpEvent::Connected);
                } else if seg.flags.ack() {
                    // Not our handshake: answer with RST as Linux does.
                    out.segments.push(TcpSegment {
                        sport: self.local.1,
                        dport: self.remote.1,
                        seq: seg.ack,
                        ack: 0,
                        flags: TcpFlags(TcpFlags::RST),
                        window: 0,
                        options: TcpOptions::default(),
                        payload: Payload::empty(),
                    });
                }
                return out;
            }
            TcpState::Closed => return out,
            TcpState::TimeWait => {
                if seg.flags.fin() {
                    self.ack_now(now, &mut out);
                }
                return out;
            }
            _ => {}
        }
        if seg.flags.syn() {
            // Retransmitted SYN (our SYN-ACK was lost): resend it.
            if self.state == TcpState::SynRcvd {
                if let Some(sa) = self.rtx.front().cloned() {
                    out.segments.push(sa);
                }
            }
            return out;
        }
        // ACK processing
        if seg.flags.ack() && seq_lt(self.snd_una, seg.ack) && seq_le(seg.ack, self.snd_nxt) {
            self.snd_una = seg.ack;
            while let Some(front) = self.rtx.front() {
                let end = front.seq.wrapping_add(front.seq_len());
                if seq_le(end, self.snd_una) {
                    self.rtx.pop_front();
                } else {
                    break;
                }
            }
            self.retries = 0;
            self.rto =
                SimDuration::from_millis(200).max(SimDuration(self.rto.0.min(1_000_000_000)));
            self.rtx_at = if self.rtx.is_empty() {
                None
            } else {
                Some(now + self.rto)
            };
            if self.fin_sent && self.snd_una == self.snd_nxt {
                self.fin_acked = true;
            }
            match self.state {
                TcpState::SynRcvd => {
                    self.state = TcpState::Established;
                    self.max_retries = 8;
                    out.events.push(TcpEvent::Accepted);
                }
                TcpState::FinWait1 if self.fin_acked => self.state = TcpState::FinWait2,
                TcpState::Closing if self.fin_acked => self.enter_time_wait(now),
                TcpState::LastAck if self.fin_acked => {
                    self.enter_closed();
                    out.events.push(TcpEvent::Closed);
                    return out;
                }
                _ => {}
            }
        } else if self.state == TcpState::SynRcvd {
            return out;
        }
        // Data
        let plen = seg.payload.len;
        if plen > 0 {
            if seg.seq == self.rcv_nxt {
                self.rcv_nxt = self.rcv_nxt.wrapping_add(plen);
                out.events.push(TcpEvent::Data(seg.payload.clone()));
                if self.quickack {
                    self.ack_now(now, &mut out);
                } else if self.delack_at.is_none() {
                    self.delack_at = Some(now + self.params_delack);
                }
            } else {
                // Duplicate or out of order: acknowledge what we have.
                self.ack_now(now, &mut out);
                return out;
            }
        }
        if seg.flags.fin() && seg.seq.wrapping_add(plen) == self.rcv_nxt {
            self.rcv_nxt = self.rcv_nxt.wrapping_add(1);
            match self.state {
                TcpState::Established | TcpState::SynRcvd => self.state = TcpState::CloseWait,
                TcpState::FinWait1 => {
                    if self.fin_acked {
                        self.enter_time_wait(now);
                    } else {
                        self.state = TcpState::Closing;
                    }
                }
                TcpState::FinWait2 => self.enter_time_wait(now),
                _ => {}
            }
            self.ack_now(now, &mut out);
            out.events.push(TcpEvent::PeerClosed);
        }
        out
    }

    /// The earliest time this endpoint needs `on_timer`.
    pub fn next_deadline(&self) -> Option<SimTime> {
        [self.rtx_at, self.delack_at, self.timewait_at]
            .into_iter()
            .flatten()
            .min()
    }

    /// Runs the timers that are due.
    pub fn on_timer(&mut self, now: SimTime) -> TcpOutput {
        let mut out = TcpOutput::default();
        if let Some(t) = self.timewait_at {
            if t <= now {
                self.enter_closed();
                out.events.push(TcpEvent::Closed);
                return out;
            }
        }
        if let Some(t) = self.delack_at {
            if t <= now {
                self.ack_now(now, &mut out);
            }
        }
        if let Some(t) = self.rtx_at {
            if t <= now {
                if self.retries >= self.max_retries {
                    let why = match self.state {
                        TcpState::SynSent => "connect timeout (no SYN-ACK)",
                        TcpState::SynRcvd => "handshake timeout (no ACK for SYN-ACK)",
                        _ => "retransmission timeout",
                    };
                    self.enter_closed();
                    out.events.push(TcpEvent::Failed(why.into()));
                    return out;
                }
                self.retries += 1;
                self.rto = self.rto.times(2).min(SimDuration::from_secs(120));
                if let Some(seg) = self.rtx.front().cloned() {
                    let mut seg = seg;
                    seg.ack = if seg.flags.ack() { self.rcv_nxt } else { 0 };
                    if let Some((_, _)) = seg.options.timestamps {
                        seg.options.timestamps = Some((self.tsval(now), self.ts_recent));
                    }
                    out.segments.push(seg);
                }
                self.rtx_at = Some(now + self.rto);
            }
        }
        out
    }

    /// ICMP "fragmentation needed" for our packets: lower the MSS to fit `mtu` and resend
    /// the unacknowledged data in smaller segments at once (Linux's PMTU discovery).
    pub fn path_mtu(&mut self, now: SimTime, mtu: u16) -> TcpOutput {
        let mut out = TcpOutput::default();
        let hdr = 20
            + 20
            + TcpOptions {
                timestamps: Some((0, 0)),
                ..Default::default()
            }
            .len();
        let new_mss = mtu.saturating_sub(hdr).max(88);
        if new_mss >= self.mss {
            return out;
        }
        self.mss = new_mss;
        let old: Vec<TcpSegment> = self.rtx.drain(..).collect();
        for seg in old {
            if seg.payload.len <= new_mss as u32 {
                self.rtx.push_back(seg);
                continue;
            }
            let mut left = seg.payload.len;
            let mut seq = seg.seq;
            while left > 0 {
                let n = left.min(new_mss as u32);
                left -= n;
                let last = left == 0;
                let mut piece = seg.clone();
                piece.seq = seq;
                piece.payload = Payload {
                    len: n,
                    app: if last { seg.payload.app.clone() } else { None },
                };
                if !last {
                    piece.flags = TcpFlags(seg.flags.0 & !(TcpFlags::FIN | TcpFlags::PSH));
                }
                seq = seq.wrapping_add(n);
                self.rtx.push_back(piece);
            }
        }
        for seg in self.rtx.iter() {
            let mut seg = seg.clone();
            seg.ack = self.rcv_nxt;
            seg.options.timestamps = Some((self.tsval(now), self.ts_recent));
            out.segments.push(seg);
        }
        if !self.rtx.is_empty() {
            self.rtx_at = Some(now + self.rto);
        }
        out
    }

    /// Bytes and segments still unacknowledged (for displays).
    pub fn unacked(&self) -> usize {
        self.rtx.len()
    }
}

/// A segment answering one that matched no socket (RFC 793 reset generation).
pub fn reset_for(seg: &TcpSegment) -> Option<TcpSegment> {
    if seg.flags.rst() {
        return None;
    }
    let (seq, ack, flags) = if seg.flags.ack() {
        (seg.ack, 0, TcpFlags::RST)
    } else {
        (
            0,
            seg.seq.wrapping_add(seg.seq_len()),
            TcpFlags::RST | TcpFlags::ACK,
        )
    };
    Some(TcpSegment {
        sport: seg.dport,
        dport: seg.sport,
        seq,
        ack,
        flags: TcpFlags(flags),
        window: 0,
        options: TcpOptions::default(),
        payload: Payload::empty(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (TcpConn, TcpConn, TcpParams) {
        let p = TcpParams::default();
        let c_addr = (Ipv4Addr::new(10, 0, 0, 100), 40000);
        let s_addr = (Ipv4Addr::new(10, 0, 0, 1), 80);
        let (mut c, o) = TcpConn::connect(SimTime::ZERO, c_addr, s_addr, 1000, 7, &p);
        let syn = &o.segments[0];
        assert!(syn.flags.syn() && !syn.flags.ack());
        assert_eq!(syn.header_len(), 40);
        let (mut s, o2) = TcpConn::accept(SimTime::ZERO, s_addr, syn, c_addr, 5000, 9, &p);
        let sa = &o2.segments[0];
        let o3 = c.on_segment(SimTime::ZERO, sa);
        assert_eq!(o3.events, vec![TcpEvent::Connected]);
        let o4 = s.on_segment(SimTime::ZERO, &o3.segments[0]);
        assert_eq!(o4.events, vec![TcpEvent::Accepted]);
        (c, s, p)
    }

    #[test]
    fn client_half_close_small_get_packet_pattern() {
        // The pattern behind the kernel's "7 packets in, 5 out" for one small GET.
        let (mut c, mut s, _) = pair();
        let t = SimTime::from_millis(1);
        let mut c_out = vec![];
        let mut s_out = vec![];
        let get = c.send(t, 34, Some(AppData::Opaque));
        let fin = c.close(t);
        for seg in get.segments.iter().chain(fin.segments.iter()) {
            let o = s.on_segment(t, seg);
            s_out.extend(o.segments);
        }
        c_out.extend(get.segments);
        c_out.extend(fin.segments);
        // The FIN forces one ACK that covers the request too.
        assert_eq!(s_out.len(), 1);
        assert_eq!(s.state, TcpState::CloseWait);
        let mut resp = s.send(t, 207, None).segments;
        resp.extend(s.send(t, 4, None).segments);
        resp.extend(s.close(t).segments);
        s_out.extend(resp.iter().cloned());
        for seg in &resp {
            c_out.extend(c.on_segment(t, seg).segments);
        }
        assert_eq!(c.state, TcpState::TimeWait);
        for seg in &c_out[2..] {
            let _ = s.on_segment(t, seg);
        }
        assert_eq!(s.state, TcpState::Closed);
        // client after the handshake: GET, FIN, 3 ACKs = 5 (+ SYN + ACK = 7); server: 4 + SYN-ACK = 5
        assert_eq!(c_out.len(), 5);
        assert_eq!(s_out.len(), 4);
        let bytes: u32 = c_out
            .iter()
            .map(|s| 20 + s.header_len() as u32 + s.payload.len)
            .sum();
        assert_eq!(bytes + 60 + 52, 406);
        let sbytes: u32 = s_out
            .iter()
            .map(|s| 20 + s.header_len() as u32 + s.payload.len)
            .sum();
        assert_eq!(sbytes + 60, 479);
    }

    #[test]
    fn syn_retransmits_then_fails() {
        let p = TcpParams {
            syn_retries: 2,
            ..Default::default()
        };
        let (mut c, _) = TcpConn::connect(
            SimTime::ZERO,
            (Ipv4Addr::new(1, 1, 1, 1), 1),
            (Ipv4Addr::new(2, 2, 2, 2), 2),
            1,
            0,
            &p,
        );
        let mut t = c.next_deadline().unwrap();
        assert_eq!(t, SimTime::from_secs(1));
        assert_eq!(c.on_timer(t).segments.len(), 1);
        t = c.next_deadline().unwrap();
        assert_eq!(t, SimTime::from_secs(3));
        assert_eq!(c.on_timer(t).segments.len(), 1);
        t = c.next_deadline().unwrap();
        let o = c.on_timer(t);
        assert!(matches!(o.events[0], TcpEvent::Failed(_)));
    }

    #[test]
    fn time_wait_expires() {
        let (mut c, mut s, p) = pair();
        let t = SimTime::from_secs(1);
        let fin = c.close(t).segments;
        let ack = s.on_segment(t, &fin[0]).segments;
        c.on_segment(t, &ack[0]);
        let sfin = s.close(t).segments;
        let last = c.on_segment(t, &sfin[0]);
        assert_eq!(c.state, TcpState::TimeWait);
        s.on_segment(t, &last.segments[0]);
        assert_eq!(s.state, TcpState::Closed);
        assert_eq!(c.next_deadline(), Some(t + p.time_wait));
        let o = c.on_timer(t + p.time_wait);
        assert_eq!(o.events, vec![TcpEvent::Closed]);
    }
}
