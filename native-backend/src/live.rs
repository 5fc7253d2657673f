//! A director's IPVS table as something to read and change: the `IpvsBackend` trait, its
//! errors, and reading the whole live table as an `LvsConfig`.
//!
//! Two backends exist: the kernel over generic netlink (`genl::NetlinkIpvs`) and an
//! in-memory kernel (`memory::MemoryIpvs`) for tests and dry runs.

use lvslab_sim::admin::{IpvsError, IpvsOp, LvsConfig};

/// Why reading or changing an IPVS table failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// The kernel refused the operation (its errno, read with IPVS semantics).
    #[error("{0}")]
    Refused(IpvsError),
    /// EPERM / EACCES.
    #[error("needs root or CAP_NET_ADMIN (run as root)")]
    Permission,
    /// The generic-netlink controller does not know the family "IPVS".
    #[error("the kernel has no IPVS (load it with `modprobe ip_vs`)")]
    NoIpvs,
    /// Any other errno.
    #[error("{what} failed: {message} (errno {errno})")]
    Errno {
        errno: i32,
        what: String,
        message: String,
    },
    /// The socket itself failed.
    #[error("netlink socket: {0}")]
    Io(String),
    /// A reply that does not follow the kernel's format.
    #[error("malformed netlink reply: {0}")]
    Malformed(String),
}

impl BackendError {
    /// The errno behind this error, when there is one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            BackendError::Refused(e) => Some(e.errno()),
            BackendError::Permission => Some(EPERM),
            BackendError::NoIpvs => Some(ENOENT),
            BackendError::Errno { errno, .. } => Some(*errno),
            BackendError::Io(_) | BackendError::Malformed(_) => None,
        }
    }
}

pub const EPERM: i32 = 1;
pub const ENOENT: i32 = 2;
pub const ESRCH: i32 = 3;
pub const EACCES: i32 = 13;
pub const EEXIST: i32 = 17;
pub const EINVAL: i32 = 22;
pub const ERANGE: i32 = 34;
pub const EAFNOSUPPORT: i32 = 97;

/// What kind of object an operation works on: the same errno means different things for a
/// service, a dest or a daemon (ENOENT is "no such destination" for a dest, "scheduler not
/// found" for a service).
fn subject(op: &IpvsOp) -> Subject {
    match op {
        IpvsOp::AddService(_)
        | IpvsOp::EditService(_)
        | IpvsOp::DelService(_)
        | IpvsOp::Zero(_) => Subject::Service,
        IpvsOp::AddDest(..) | IpvsOp::EditDest(..) | IpvsOp::DelDest { .. } => Subject::Dest,
        IpvsOp::StartDaemon(_) | IpvsOp::StopDaemon(_) => Subject::Daemon,
        IpvsOp::Flush | IpvsOp::SetTimeouts(_) => Subject::Table,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Subject {
    Service,
    Dest,
    Daemon,
    Table,
}

/// Reads a negative-errno reply to `op` the way ipvsadm explains it.
pub fn error_from_errno(op: &IpvsOp, errno: i32) -> BackendError {
    let what = op_name(op).to_string();
    let s = subject(op);
    match errno {
        EPERM | EACCES => BackendError::Permission,
        _ if s == Subject::Daemon => match errno {
            EEXIST => {
                BackendError::Refused(IpvsError::Daemon("sync daemon already running".into()))
            }
            ESRCH => BackendError::Refused(IpvsError::Daemon("no such sync daemon".into())),
            EINVAL => {
                BackendError::Refused(IpvsError::Daemon("invalid sync daemon settings".into()))
            }
            _ => BackendError::Errno {
                errno,
                what,
                message: strerror(errno),
            },
        },
        EEXIST if s == Subject::Dest => BackendError::Refused(IpvsError::DestExists),
        EEXIST if s == Subject::Service => BackendError::Refused(IpvsError::ServiceExists),
        ESRCH if s != Subject::Table => BackendError::Refused(IpvsError::NoService),
        ENOENT if s == Subject::Dest => BackendError::Refused(IpvsError::NoDest),
        ENOENT if s == Subject::Service => BackendError::Refused(IpvsError::NoScheduler),
        EINVAL => {
            BackendError::Refused(IpvsError::Invalid(format!("{what} rejected by the kernel")))
        }
        EAFNOSUPPORT => {
            BackendError::Refused(IpvsError::Invalid("address family not supported".into()))
        }
        ERANGE => BackendError::Refused(IpvsError::Range(format!("{what}: value out of range"))),
        _ => BackendError::Errno {
            errno,
            what,
            message: strerror(errno),
        },
    }
}

/// Short names of operations for messages.
pub fn op_name(op: &IpvsOp) -> &'static str {
    match op {
        IpvsOp::AddService(_) => "add service",
        IpvsOp::EditService(_) => "edit service",
        IpvsOp::DelService(_) => "delete service",
        IpvsOp::Flush => "flush",
        IpvsOp::AddDest(..) => "add destination",
        IpvsOp::EditDest(..) => "edit destination",
        IpvsOp::DelDest { .. } => "delete destination",
        IpvsOp::SetTimeouts(_) => "set timeouts",
        IpvsOp::Zero(_) => "zero counters",
        IpvsOp::StartDaemon(_) => "start sync daemon",
        IpvsOp::StopDaemon(_) => "stop sync daemon",
    }
}

/// Text of an errno, without depending on the C library's wording.
pub fn strerror(errno: i32) -> String {
    std::io::Error::from_raw_os_error(errno).to_string()
}

/// An IPVS table that can be read whole and changed one operation at a time.
pub trait IpvsBackend {
    /// The complete table: services (in the order the backend lists them), each with its
    /// dests in kernel list order, the timeouts and the running sync daemons.
    fn read(&mut self) -> Result<LvsConfig, BackendError>;
    /// Applies one operation.
    fn apply_op(&mut self, op: &IpvsOp) -> Result<(), BackendError>;
    /// A short description for reports ("kernel (netlink)", "in-memory table").
    fn describe(&self) -> String;
}

/// Reads the live table (the import path of `lvslab import --live`).
pub fn read_live(backend: &mut dyn IpvsBackend) -> Result<LvsConfig, BackendError> {
    backend.read()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lvslab_sim::admin::{Protocol, ServiceConfig, ServiceKey};

    #[test]
    fn errno_reads_like_ipvsadm() {
        let key = ServiceKey::Addr {
            proto: Protocol::Tcp,
            addr: "10.0.0.1".parse().unwrap(),
            port: 80,
        };
        let add = IpvsOp::AddService(ServiceConfig::new(key));
        let del = IpvsOp::DelDest {
            service: key,
            addr: "1.2.3.4".parse().unwrap(),
            port: 80,
        };
        assert_eq!(
            error_from_errno(&add, EEXIST),
            BackendError::Refused(IpvsError::ServiceExists)
        );
        assert_eq!(
            error_from_errno(&add, ENOENT),
            BackendError::Refused(IpvsError::NoScheduler)
        );
        assert_eq!(
            error_from_errno(&del, ENOENT),
            BackendError::Refused(IpvsError::NoDest)
        );
        assert_eq!(
            error_from_errno(&del, ESRCH),
            BackendError::Refused(IpvsError::NoService)
        );
        assert_eq!(error_from_errno(&del, EPERM), BackendError::Permission);
        assert_eq!(error_from_errno(&add, EACCES), BackendError::Permission);
        assert_eq!(
            BackendError::Permission.to_string(),
            "needs root or CAP_NET_ADMIN (run as root)"
        );
        assert_eq!(
            BackendError::NoIpvs.to_string(),
            "the kernel has no IPVS (load it with `modprobe ip_vs`)"
        );
        for e in [EEXIST, ENOENT, ESRCH, EINVAL, ERANGE] {
            assert_eq!(
                error_from_errno(&add, e).errno(),
                Some(e),
                "errno {e} survives"
            );
        }
        assert!(matches!(
            error_from_errno(&add, 12),
            BackendError::Errno { errno: 12, .. }
        ));
    }
}
