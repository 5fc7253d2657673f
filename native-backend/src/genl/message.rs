//! One IPVS generic-netlink message: a command (IPVS_CMD_*) and its top-level attributes.

use super::attrs::IpvsAttr;
use super::value::nested;
use netlink_packet_core::{DecodeError, Emitable, ParseableParametrized};
use netlink_packet_generic::{GenlFamily, GenlHeader};

/// Generic-netlink family name of IPVS.
pub const FAMILY_NAME: &str = "IPVS";
/// IPVS_GENL_VERSION.
pub const FAMILY_VERSION: u8 = 1;

/// IPVS_CMD_*. Unknown command numbers are kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IpvsCmd {
    NewService,
    SetService,
    DelService,
    GetService,
    NewDest,
    SetDest,
    DelDest,
    GetDest,
    NewDaemon,
    DelDaemon,
    GetDaemon,
    SetConfig,
    GetConfig,
    SetInfo,
    GetInfo,
    Zero,
    Flush,
    Other(u8),
}

const KNOWN: [IpvsCmd; 17] = [
    IpvsCmd::NewService,
    IpvsCmd::SetService,
    IpvsCmd::DelService,
    IpvsCmd::GetService,
    IpvsCmd::NewDest,
    IpvsCmd::SetDest,
    IpvsCmd::DelDest,
    IpvsCmd::GetDest,
    IpvsCmd::NewDaemon,
    IpvsCmd::DelDaemon,
    IpvsCmd::GetDaemon,
    IpvsCmd::SetConfig,
    IpvsCmd::GetConfig,
    IpvsCmd::SetInfo,
    IpvsCmd::GetInfo,
    IpvsCmd::Zero,
    IpvsCmd::Flush,
];

impl From<IpvsCmd> for u8 {
    fn from(c: IpvsCmd) -> u8 {
        match c {
            IpvsCmd::Other(n) => n,
            known => KNOWN
                .iter()
                .position(|k| *k == known)
                .map(|i| i as u8 + 1)
                .unwrap_or(0),
        }
    }
}

impl From<u8> for IpvsCmd {
    fn from(n: u8) -> IpvsCmd {
        usize::from(n)
            .checked_sub(1)
            .and_then(|i| KNOWN.get(i).copied())
            .unwrap_or(IpvsCmd::Other(n))
    }
}

impl IpvsCmd {
    /// Commands whose top-level attributes are IPVS_INFO_ATTR_*.
    pub fn carries_info(self) -> bool {
        matches!(self, IpvsCmd::GetInfo | IpvsCmd::SetInfo)
    }
}

/// The payload after the generic-netlink header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IpvsMessage {
    pub cmd: IpvsCmd,
    pub attrs: Vec<IpvsAttr>,
}

impl IpvsMessage {
    pub fn new(cmd: IpvsCmd, attrs: Vec<IpvsAttr>) -> Self {
        IpvsMessage { cmd, attrs }
    }

    /// Parses the attributes following a generic-netlink header.
    pub fn parse_attrs(cmd: IpvsCmd, buf: &[u8]) -> Result<Vec<IpvsAttr>, DecodeError> {
        nested("IPVS message", buf)?
            .iter()
            .map(|b| IpvsAttr::parse_top(b, cmd.carries_info()))
            .collect()
    }
}

impl GenlFamily for IpvsMessage {
    fn family_name() -> &'static str {
        FAMILY_NAME
    }
    fn command(&self) -> u8 {
        self.cmd.into()
    }
    fn version(&self) -> u8 {
        FAMILY_VERSION
    }
}

impl Emitable for IpvsMessage {
    fn buffer_len(&self) -> usize {
        self.attrs.as_slice().buffer_len()
    }
    fn emit(&self, buffer: &mut [u8]) {
        self.attrs.as_slice().emit(buffer)
    }
}

impl ParseableParametrized<[u8], GenlHeader> for IpvsMessage {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        let cmd = IpvsCmd::from(header.cmd);
        Ok(IpvsMessage {
            cmd,
            attrs: IpvsMessage::parse_attrs(cmd, buf)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_numbers_follow_the_kernel() {
        assert_eq!(u8::from(IpvsCmd::NewService), 1);
        assert_eq!(u8::from(IpvsCmd::GetDest), 8);
        assert_eq!(u8::from(IpvsCmd::SetConfig), 12);
        assert_eq!(u8::from(IpvsCmd::GetInfo), 15);
        assert_eq!(u8::from(IpvsCmd::Flush), 17);
        for n in 0..=255u8 {
            assert_eq!(u8::from(IpvsCmd::from(n)), n);
        }
        assert_eq!(IpvsCmd::from(0), IpvsCmd::Other(0));
        assert_eq!(IpvsCmd::from(18), IpvsCmd::Other(18));
    }
}
