//! Reaching the kernel's IPVS table: privileges, the ip_vs module, the netlink socket.

use crate::genl::NetlinkIpvs;
use crate::live::BackendError;

/// CAP_NET_ADMIN's bit in the capability sets of /proc/self/status.
const CAP_NET_ADMIN: u32 = 12;

/// Whether this process has CAP_NET_ADMIN in its effective set (None: cannot tell).
pub fn has_cap_net_admin() -> Option<bool> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let hex = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))?
        .trim();
    let caps = u64::from_str_radix(hex, 16).ok()?;
    Some(caps & (1 << CAP_NET_ADMIN) != 0)
}

/// How the kernel table could (not) be reached.
pub enum KernelAccess {
    Ready(NetlinkIpvs),
    /// Not possible, with the reason as a sentence.
    Unavailable(String),
}

/// Opens the IPVS netlink family. Like ipvsadm, loads the ip_vs module when the family is
/// missing and this process may do so (`load_module`).
pub fn connect(load_module: bool, notes: &mut Vec<String>) -> KernelAccess {
    if has_cap_net_admin() == Some(false) {
        return KernelAccess::Unavailable(
            "this process lacks CAP_NET_ADMIN, which every IPVS netlink request needs: run it as root".into(),
        );
    }
    match NetlinkIpvs::connect() {
        Ok(n) => KernelAccess::Ready(n),
        Err(BackendError::NoIpvs) if load_module => {
            let ran = std::process::Command::new("modprobe")
                .arg("ip_vs")
                .stderr(std::process::Stdio::null())
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if !ran {
                return KernelAccess::Unavailable(
                    "the kernel has no IPVS: the generic-netlink family \"IPVS\" is missing and `modprobe ip_vs` failed (is CONFIG_IP_VS enabled?)".into(),
                );
            }
            notes.push("the ip_vs module was not loaded: ran `modprobe ip_vs`".into());
            match NetlinkIpvs::connect() {
                Ok(n) => KernelAccess::Ready(n),
                Err(e) => KernelAccess::Unavailable(explain(&e)),
            }
        }
        Err(e) => KernelAccess::Unavailable(explain(&e)),
    }
}

/// A backend error as advice.
pub fn explain(e: &BackendError) -> String {
    match e {
        BackendError::Permission => {
            "the kernel refused access to IPVS: it needs CAP_NET_ADMIN (run as root)".into()
        }
        BackendError::NoIpvs => {
            "the kernel has no IPVS: the generic-netlink family \"IPVS\" is missing (load it with `modprobe ip_vs`; the kernel needs CONFIG_IP_VS)".into()
        }
        other => other.to_string(),
    }
}
