//! `NetlinkIpvs`: talks to the kernel's IPVS family over a NETLINK_GENERIC socket.
//!
//! Requests are single netlink messages; "do" commands ask for an ACK and end at the
//! NLMSG_ERROR that carries it (code 0) or the errno; dumps end at NLMSG_DONE. Replies whose
//! sequence number is not the request's are skipped. The byte transport is a trait so the
//! whole exchange can be tested without a kernel.

use super::attrs::IpvsAttr;
use super::convert::{
    daemon_from_attrs, daemon_spec, dest_from_attrs, dest_id, dest_spec, info_from_attrs,
    service_from_attrs, service_id, service_spec, timeouts_attrs, timeouts_from_attrs, IpvsInfo,
};
use super::ctrl::{family_request, FamilyInfo};
use super::message::{IpvsCmd, IpvsMessage, FAMILY_NAME};
use crate::live::{error_from_errno, strerror, BackendError, IpvsBackend, EACCES, ENOENT, EPERM};
use lvslab_sim::admin::{
    IpvsOp, LvsConfig, ServiceConfig, ServiceKey, SyncDaemonConfig, Timeouts, VirtualService,
};
use lvslab_sim::ipvs::snapshot::{DestSnapshot, IpvsSnapshot, ServiceSnapshot, StatsSnapshot};
use netlink_packet_core::{
    DecodeError, Emitable, NetlinkBuffer, NetlinkHeader, NetlinkMessage, NetlinkPayload,
    ParseableParametrized, NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_REQUEST,
};
use netlink_packet_generic::{GenlFamily, GenlHeader, GenlMessage};
use std::fmt::Debug;
use std::io;

/// Moves whole datagrams to and from the kernel.
pub trait Transport {
    fn send(&mut self, datagram: &[u8]) -> io::Result<()>;
    /// One received datagram (it may hold several netlink messages).
    fn recv(&mut self) -> io::Result<Vec<u8>>;
}

/// A NETLINK_GENERIC socket connected to the kernel.
pub struct SocketTransport {
    socket: netlink_sys::Socket,
}

impl SocketTransport {
    pub fn open() -> io::Result<Self> {
        let mut socket = netlink_sys::Socket::new(netlink_sys::protocols::NETLINK_GENERIC)?;
        socket.bind_auto()?;
        socket.connect(&netlink_sys::SocketAddr::new(0, 0))?;
        Ok(SocketTransport { socket })
    }
}

impl Transport for SocketTransport {
    fn send(&mut self, datagram: &[u8]) -> io::Result<()> {
        let n = self.socket.send(datagram, 0)?;
        if n != datagram.len() {
            return Err(io::Error::other(format!(
                "short send: {n} of {} bytes",
                datagram.len()
            )));
        }
        Ok(())
    }
    fn recv(&mut self) -> io::Result<Vec<u8>> {
        let (buf, _) = self.socket.recv_from_full()?;
        if buf.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "empty netlink datagram",
            ));
        }
        Ok(buf)
    }
}

/// One message of a reply, as far as the request/response logic cares.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply<I> {
    Message(I),
    /// NLMSG_ERROR with code 0.
    Ack,
    /// NLMSG_ERROR (or a negative NLMSG_DONE) with this positive errno.
    Error(i32),
    /// NLMSG_DONE: the end of a dump.
    Done,
}

/// Splits one datagram into the replies to request `seq`. Messages of other sequence
/// numbers are skipped; a message of another family (`family` is the expected message
/// type) is an error.
pub fn parse_datagram<I>(buf: &[u8], seq: u32, family: u16) -> Result<Vec<Reply<I>>, DecodeError>
where
    I: ParseableParametrized<[u8], GenlHeader> + Debug,
{
    let mut out = Vec::new();
    let mut off = 0usize;
    while off < buf.len() {
        let rest = &buf[off..];
        let nb = NetlinkBuffer::new_checked(rest)
            .map_err(|e| DecodeError::from(format!("at byte {off}: {e}")))?;
        let len = nb.length() as usize;
        let bytes = &rest[..len];
        off += (len + 3) & !3;
        if nb.sequence_number() != seq {
            continue;
        }
        let ty = nb.message_type();
        if ty >= 16 && ty != family {
            return Err(DecodeError::from(format!(
                "at byte {}: message type {ty}, expected {family}",
                off - ((len + 3) & !3)
            )));
        }
        if nb.flags() & NLM_F_DUMP_INTR != 0 {
            return Err(DecodeError::from(
                "the table changed during the dump (retry)",
            ));
        }
        let msg = NetlinkMessage::<GenlMessage<I>>::deserialize(bytes)?;
        match msg.payload {
            NetlinkPayload::InnerMessage(m) => out.push(Reply::Message(m.payload)),
            NetlinkPayload::Error(e) => match e.code {
                None => out.push(Reply::Ack),
                Some(c) => out.push(Reply::Error(c.get().checked_neg().unwrap_or(i32::MAX))),
            },
            NetlinkPayload::Done(d) if d.code < 0 => {
                out.push(Reply::Error(d.code.checked_neg().unwrap_or(i32::MAX)))
            }
            NetlinkPayload::Done(_) => out.push(Reply::Done),
            NetlinkPayload::Noop => {}
            NetlinkPayload::Overrun(_) => {
                return Err(DecodeError::from("NLMSG_OVERRUN: the kernel dropped data"))
            }
            _ => return Err(DecodeError::from("unknown netlink payload")),
        }
    }
    Ok(out)
}

/// Serialises one request.
pub fn encode_request<F>(payload: GenlMessage<F>, flags: u16, seq: u32) -> Vec<u8>
where
    F: GenlFamily + Emitable + Debug,
{
    let mut header = NetlinkHeader::default();
    header.flags = NLM_F_REQUEST | flags;
    header.sequence_number = seq;
    let mut msg = NetlinkMessage::new(header, NetlinkPayload::from(payload));
    msg.finalize();
    let mut buf = vec![0u8; msg.buffer_len()];
    msg.serialize(&mut buf);
    buf
}

/// The IPVS request that performs `op` (what ipvsadm's libipvs sends for it).
pub fn request_for(op: &IpvsOp) -> IpvsMessage {
    use IpvsAttr as A;
    let (cmd, attrs) = match op {
        IpvsOp::AddService(c) => (IpvsCmd::NewService, vec![A::Service(service_spec(c))]),
        IpvsOp::EditService(c) => (IpvsCmd::SetService, vec![A::Service(service_spec(c))]),
        IpvsOp::DelService(k) => (IpvsCmd::DelService, vec![A::Service(service_id(k))]),
        IpvsOp::Flush => (IpvsCmd::Flush, vec![]),
        IpvsOp::AddDest(k, d) => (
            IpvsCmd::NewDest,
            vec![A::Service(service_id(k)), A::Dest(dest_spec(d))],
        ),
        IpvsOp::EditDest(k, d) => (
            IpvsCmd::SetDest,
            vec![A::Service(service_id(k)), A::Dest(dest_spec(d))],
        ),
        IpvsOp::DelDest {
            service,
            addr,
            port,
        } => (
            IpvsCmd::DelDest,
            vec![
                A::Service(service_id(service)),
                A::Dest(dest_id(addr, *port)),
            ],
        ),
        IpvsOp::SetTimeouts(t) => (IpvsCmd::SetConfig, timeouts_attrs(t)),
        IpvsOp::Zero(None) => (IpvsCmd::Zero, vec![]),
        IpvsOp::Zero(Some(k)) => (IpvsCmd::Zero, vec![A::Service(service_id(k))]),
        IpvsOp::StartDaemon(d) => (IpvsCmd::NewDaemon, vec![A::Daemon(daemon_spec(d))]),
        IpvsOp::StopDaemon(s) => (
            IpvsCmd::DelDaemon,
            vec![A::Daemon(vec![super::attrs::DaemonAttr::State(s.code())])],
        ),
    };
    IpvsMessage::new(cmd, attrs)
}

enum Failure {
    Errno(i32),
    Other(BackendError),
}

fn malformed(e: DecodeError) -> Failure {
    Failure::Other(BackendError::Malformed(e.to_string()))
}

fn read_failure(what: &str, f: Failure) -> BackendError {
    match f {
        Failure::Errno(EPERM | EACCES) => BackendError::Permission,
        Failure::Errno(errno) => BackendError::Errno {
            errno,
            what: what.to_string(),
            message: strerror(errno),
        },
        Failure::Other(e) => e,
    }
}

/// The kernel's IPVS table over generic netlink.
pub struct NetlinkIpvs {
    transport: Box<dyn Transport>,
    family: FamilyInfo,
    seq: u32,
}

impl NetlinkIpvs {
    /// Opens a NETLINK_GENERIC socket and resolves the "IPVS" family.
    pub fn connect() -> Result<Self, BackendError> {
        let t = SocketTransport::open().map_err(|e| match e.raw_os_error() {
            Some(EPERM | EACCES) => BackendError::Permission,
            _ => BackendError::Io(e.to_string()),
        })?;
        NetlinkIpvs::with_transport(Box::new(t))
    }

    /// Uses the given transport and resolves the "IPVS" family through it.
    pub fn with_transport(transport: Box<dyn Transport>) -> Result<Self, BackendError> {
        let mut me = NetlinkIpvs {
            transport,
            family: FamilyInfo::default(),
            seq: 0,
        };
        let seq = me.next_seq();
        let mut req = GenlMessage::from_payload(family_request(FAMILY_NAME));
        req.finalize();
        let bytes = encode_request(req, NLM_F_ACK, seq);
        let ctrl = netlink_packet_generic::constants::GENL_ID_CTRL;
        let replies: Vec<FamilyInfo> =
            me.exchange(&bytes, seq, ctrl, false).map_err(|f| match f {
                Failure::Errno(ENOENT) => BackendError::NoIpvs,
                other => read_failure("resolving the IPVS family", other),
            })?;
        me.family = replies
            .into_iter()
            .find(|f| f.name.is_empty() || f.name == FAMILY_NAME)
            .ok_or_else(|| BackendError::Malformed("no family in the controller reply".into()))?;
        Ok(me)
    }

    /// The resolved family (id, version, max attribute).
    pub fn family(&self) -> &FamilyInfo {
        &self.family
    }

    fn next_seq(&mut self) -> u32 {
        self.seq = self.seq.wrapping_add(1).max(1);
        self.seq
    }

    /// Sends one request and collects the replies up to its end (ACK, error or DONE).
    fn exchange<I>(
        &mut self,
        bytes: &[u8],
        seq: u32,
        family: u16,
        dump: bool,
    ) -> Result<Vec<I>, Failure>
    where
        I: ParseableParametrized<[u8], GenlHeader> + Debug,
    {
        self.transport
            .send(bytes)
            .map_err(|e| Failure::Other(io_error(e)))?;
        let mut out = Vec::new();
        loop {
            let datagram = self
                .transport
                .recv()
                .map_err(|e| Failure::Other(io_error(e)))?;
            for reply in parse_datagram::<I>(&datagram, seq, family).map_err(malformed)? {
                match reply {
                    Reply::Message(m) => out.push(m),
                    Reply::Error(errno) => return Err(Failure::Errno(errno)),
                    Reply::Ack if !dump => return Ok(out),
                    Reply::Done if dump => return Ok(out),
                    Reply::Ack | Reply::Done => {}
                }
            }
        }
    }

    fn ipvs_request(&mut self, msg: IpvsMessage, dump: bool) -> Result<Vec<IpvsMessage>, Failure> {
        let seq = self.next_seq();
        let mut g = GenlMessage::from_payload(msg);
        g.set_resolved_family_id(self.family.id);
        let flags = if dump { NLM_F_DUMP } else { NLM_F_ACK };
        let bytes = encode_request(g, flags, seq);
        self.exchange(&bytes, seq, self.family.id, dump)
    }

    fn one_reply(&mut self, what: &str, cmd: IpvsCmd) -> Result<IpvsMessage, BackendError> {
        let replies = self
            .ipvs_request(IpvsMessage::new(cmd, vec![]), false)
            .map_err(|f| read_failure(what, f))?;
        replies
            .into_iter()
            .next()
            .ok_or_else(|| BackendError::Malformed(format!("{what}: no reply")))
    }

    /// IPVS version and connection-table size (GET_INFO).
    pub fn get_info(&mut self) -> Result<IpvsInfo, BackendError> {
        let m = self.one_reply("get info", IpvsCmd::GetInfo)?;
        info_from_attrs(&m.attrs).map_err(|e| BackendError::Malformed(e.to_string()))
    }

    /// The tcp / tcpfin / udp timeouts (GET_CONFIG).
    pub fn get_config(&mut self) -> Result<Timeouts, BackendError> {
        let m = self.one_reply("get timeouts", IpvsCmd::GetConfig)?;
        Ok(timeouts_from_attrs(&m.attrs))
    }

    /// Every service with its counters (GET_SERVICE dump, in the kernel's hash-table order).
    pub fn get_services(&mut self) -> Result<Vec<(ServiceConfig, StatsSnapshot)>, BackendError> {
        let msgs = self
            .ipvs_request(IpvsMessage::new(IpvsCmd::GetService, vec![]), true)
            .map_err(|f| read_failure("list services", f))?;
        let mut out = Vec::new();
        for m in msgs {
            for a in &m.attrs {
                if let IpvsAttr::Service(s) = a {
                    out.push(
                        service_from_attrs(s)
                            .map_err(|e| BackendError::Malformed(e.to_string()))?,
                    );
                }
            }
        }
        Ok(out)
    }

    /// The dests of one service in kernel list order (GET_DEST dump). The kernel answers an
    /// empty dump for a service that does not exist.
    pub fn get_dests(&mut self, key: &ServiceKey) -> Result<Vec<DestSnapshot>, BackendError> {
        let req = IpvsMessage::new(IpvsCmd::GetDest, vec![IpvsAttr::Service(service_id(key))]);
        let msgs = self
            .ipvs_request(req, true)
            .map_err(|f| read_failure("list destinations", f))?;
        let mut out = Vec::new();
        for m in msgs {
            for a in &m.attrs {
                if let IpvsAttr::Dest(d) = a {
                    out.push(
                        dest_from_attrs(d, key.family())
                            .map_err(|e| BackendError::Malformed(e.to_string()))?,
                    );
                }
            }
        }
        Ok(out)
    }

    /// Running sync daemons (GET_DAEMON dump: master first, then backup).
    pub fn get_daemons(&mut self) -> Result<Vec<SyncDaemonConfig>, BackendError> {
        let msgs = self
            .ipvs_request(IpvsMessage::new(IpvsCmd::GetDaemon, vec![]), true)
            .map_err(|f| read_failure("list sync daemons", f))?;
        let mut out = Vec::new();
        for m in msgs {
            for a in &m.attrs {
                if let IpvsAttr::Daemon(d) = a {
                    out.push(
                        daemon_from_attrs(d).map_err(|e| BackendError::Malformed(e.to_string()))?,
                    );
                }
            }
        }
        Ok(out)
    }

    /// Performs one operation and waits for the kernel's ACK.
    pub fn execute(&mut self, op: &IpvsOp) -> Result<(), BackendError> {
        match self.ipvs_request(request_for(op), false) {
            Ok(_) => Ok(()),
            Err(Failure::Errno(errno)) => Err(error_from_errno(op, errno)),
            Err(Failure::Other(e)) => Err(e),
        }
    }

    pub fn new_service(&mut self, c: &ServiceConfig) -> Result<(), BackendError> {
        self.execute(&IpvsOp::AddService(c.clone()))
    }
    pub fn set_service(&mut self, c: &ServiceConfig) -> Result<(), BackendError> {
        self.execute(&IpvsOp::EditService(c.clone()))
    }
    pub fn del_service(&mut self, k: &ServiceKey) -> Result<(), BackendError> {
        self.execute(&IpvsOp::DelService(*k))
    }
    pub fn new_dest(
        &mut self,
        k: &ServiceKey,
        d: &lvslab_sim::admin::DestConfig,
    ) -> Result<(), BackendError> {
        self.execute(&IpvsOp::AddDest(*k, d.clone()))
    }
    pub fn set_dest(
        &mut self,
        k: &ServiceKey,
        d: &lvslab_sim::admin::DestConfig,
    ) -> Result<(), BackendError> {
        self.execute(&IpvsOp::EditDest(*k, d.clone()))
    }
    pub fn del_dest(
        &mut self,
        k: &ServiceKey,
        addr: std::net::IpAddr,
        port: u16,
    ) -> Result<(), BackendError> {
        self.execute(&IpvsOp::DelDest {
            service: *k,
            addr,
            port,
        })
    }
    pub fn flush(&mut self) -> Result<(), BackendError> {
        self.execute(&IpvsOp::Flush)
    }
    pub fn set_config(&mut self, t: &Timeouts) -> Result<(), BackendError> {
        self.execute(&IpvsOp::SetTimeouts(*t))
    }
    pub fn zero(&mut self, k: Option<&ServiceKey>) -> Result<(), BackendError> {
        self.execute(&IpvsOp::Zero(k.copied()))
    }
    pub fn new_daemon(&mut self, d: &SyncDaemonConfig) -> Result<(), BackendError> {
        self.execute(&IpvsOp::StartDaemon(d.clone()))
    }
    pub fn del_daemon(&mut self, s: lvslab_sim::admin::SyncState) -> Result<(), BackendError> {
        self.execute(&IpvsOp::StopDaemon(s))
    }

    /// Everything `ipvsadm -L` style listings need, with counters (no connection entries:
    /// those are in /proc/net/ip_vs_conn, not in netlink).
    pub fn snapshot(&mut self) -> Result<IpvsSnapshot, BackendError> {
        let info = self.get_info()?;
        let mut services = Vec::new();
        for (config, stats) in self.get_services()? {
            let dests = self.get_dests(&config.key)?;
            services.push(ServiceSnapshot {
                config,
                stats,
                dests,
            });
        }
        Ok(IpvsSnapshot {
            conn_tab_size: info.conn_tab_size,
            services,
            conns: Vec::new(),
            timeouts: self.get_config()?,
            daemons: self.get_daemons()?,
            total: StatsSnapshot::default(),
        })
    }
}

fn io_error(e: io::Error) -> BackendError {
    match e.raw_os_error() {
        Some(EPERM | EACCES) => BackendError::Permission,
        _ => BackendError::Io(e.to_string()),
    }
}

impl IpvsBackend for NetlinkIpvs {
    fn read(&mut self) -> Result<LvsConfig, BackendError> {
        let mut services = Vec::new();
        for (config, _) in self.get_services()? {
            let dests = self
                .get_dests(&config.key)?
                .into_iter()
                .map(|d| d.config)
                .collect();
            services.push(VirtualService { config, dests });
        }
        Ok(LvsConfig {
            services,
            timeouts: self.get_config()?,
            daemons: self.get_daemons()?,
        })
    }
    fn apply_op(&mut self, op: &IpvsOp) -> Result<(), BackendError> {
        self.execute(op)
    }
    fn describe(&self) -> String {
        format!(
            "kernel IPVS over generic netlink (family id {})",
            self.family.id
        )
    }
}
