//! `MemoryIpvs`: an in-memory kernel table with the kernel's validation and errors (through
//! `LvsConfig::apply`), for tests and dry runs. Faults can be injected: "fail the Nth
//! operation with errno E", or accept it without doing it (a kernel that loses a change),
//! or fail reads.

use crate::live::{error_from_errno, BackendError, IpvsBackend};
use lvslab_sim::admin::{IpvsOp, LvsConfig};

/// What happens to the operation a fault targets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// The operation is refused with this errno and the table is unchanged.
    Errno(i32),
    /// The operation reports success but changes nothing.
    Lost,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Fault {
    /// 1-based number of the operation (counted over the backend's life).
    nth: usize,
    kind: FaultKind,
}

/// An in-memory IPVS table.
#[derive(Clone, Debug, Default)]
pub struct MemoryIpvs {
    table: LvsConfig,
    faults: Vec<Fault>,
    ops_seen: usize,
    fail_reads_from: Option<usize>,
    reads_seen: usize,
    log: Vec<IpvsOp>,
}

impl MemoryIpvs {
    pub fn new(table: LvsConfig) -> Self {
        MemoryIpvs {
            table,
            ..Default::default()
        }
    }

    /// Makes the `nth` operation (1-based, counting every `apply_op` call from now on and
    /// before) fail with `errno`.
    pub fn fail_op(&mut self, nth: usize, errno: i32) -> &mut Self {
        self.faults.push(Fault {
            nth,
            kind: FaultKind::Errno(errno),
        });
        self
    }

    /// Makes the `nth` operation report success without changing the table.
    pub fn lose_op(&mut self, nth: usize) -> &mut Self {
        self.faults.push(Fault {
            nth,
            kind: FaultKind::Lost,
        });
        self
    }

    /// Makes the `nth` read and every later one fail (1-based).
    pub fn fail_reads_from(&mut self, nth: usize) -> &mut Self {
        self.fail_reads_from = Some(nth);
        self
    }

    /// The current table.
    pub fn table(&self) -> &LvsConfig {
        &self.table
    }

    /// Operations that changed the table, in order.
    pub fn log(&self) -> &[IpvsOp] {
        &self.log
    }

    /// Number of `apply_op` calls so far.
    pub fn ops_seen(&self) -> usize {
        self.ops_seen
    }
}

impl IpvsBackend for MemoryIpvs {
    fn read(&mut self) -> Result<LvsConfig, BackendError> {
        self.reads_seen += 1;
        if self.fail_reads_from.is_some_and(|n| self.reads_seen >= n) {
            return Err(BackendError::Io("injected read failure".into()));
        }
        Ok(self.table.clone())
    }

    fn apply_op(&mut self, op: &IpvsOp) -> Result<(), BackendError> {
        self.ops_seen += 1;
        if let Some(f) = self.faults.iter().find(|f| f.nth == self.ops_seen) {
            return match f.kind {
                FaultKind::Errno(errno) => Err(error_from_errno(op, errno)),
                FaultKind::Lost => Ok(()),
            };
        }
        self.table.apply(op).map_err(BackendError::Refused)?;
        self.log.push(op.clone());
        Ok(())
    }

    fn describe(&self) -> String {
        "in-memory IPVS table".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lvslab_sim::admin::{IpvsError, Protocol, ServiceConfig, ServiceKey};

    #[test]
    fn faults_hit_the_numbered_operation_only() {
        let key = ServiceKey::Addr {
            proto: Protocol::Tcp,
            addr: "10.0.0.1".parse().unwrap(),
            port: 80,
        };
        let mut m = MemoryIpvs::default();
        m.fail_op(2, 12);
        let add = IpvsOp::AddService(ServiceConfig::new(key));
        m.apply_op(&add).unwrap();
        assert!(matches!(
            m.apply_op(&IpvsOp::DelService(key)),
            Err(BackendError::Errno { errno: 12, .. })
        ));
        assert_eq!(
            m.table().services.len(),
            1,
            "a failed operation changes nothing"
        );
        assert_eq!(
            m.apply_op(&add),
            Err(BackendError::Refused(IpvsError::ServiceExists))
        );
        m.apply_op(&IpvsOp::DelService(key)).unwrap();
        assert!(m.table().services.is_empty());
        m.lose_op(5);
        m.apply_op(&add).unwrap();
        assert!(
            m.table().services.is_empty(),
            "a lost operation reports success"
        );
        m.fail_reads_from(1);
        assert!(m.read().is_err());
    }
}
