//! Resolving the IPVS family id through the generic-netlink controller (CTRL_CMD_GETFAMILY).
//!
//! The request is built with netlink-packet-generic's controller message. The reply is read
//! leniently: only the fields needed here are taken and any other attribute (operations,
//! multicast groups, policies a newer kernel may add) is skipped, so that family resolution
//! does not break when the controller grows.

use super::value::{nested, string_of, u16_of, u32_of};
use netlink_packet_core::{DecodeError, ParseableParametrized};
use netlink_packet_generic::constants::{
    CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME, CTRL_ATTR_HDRSIZE, CTRL_ATTR_MAXATTR,
    CTRL_ATTR_VERSION, CTRL_CMD_NEWFAMILY,
};
use netlink_packet_generic::ctrl::nlas::GenlCtrlAttrs;
use netlink_packet_generic::ctrl::{GenlCtrl, GenlCtrlCmd};
use netlink_packet_generic::GenlHeader;

/// The GETFAMILY request payload for a family name.
pub fn family_request(name: &str) -> GenlCtrl {
    GenlCtrl {
        cmd: GenlCtrlCmd::GetFamily,
        nlas: vec![GenlCtrlAttrs::FamilyName(name.into())],
    }
}

/// What the controller says about a family.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FamilyInfo {
    pub id: u16,
    pub name: String,
    pub version: u32,
    pub hdr_size: u32,
    pub max_attr: u32,
}

impl ParseableParametrized<[u8], GenlHeader> for FamilyInfo {
    fn parse_with_param(buf: &[u8], header: GenlHeader) -> Result<Self, DecodeError> {
        if header.cmd != CTRL_CMD_NEWFAMILY {
            return Err(DecodeError::from(format!(
                "controller reply has command {} (expected CTRL_CMD_NEWFAMILY)",
                header.cmd
            )));
        }
        let mut info = FamilyInfo::default();
        let mut have_id = false;
        for nla in nested("controller reply", buf)? {
            let v = nla.value();
            match nla.kind() {
                CTRL_ATTR_FAMILY_ID => {
                    info.id = u16_of("CTRL_ATTR_FAMILY_ID", v)?;
                    have_id = true;
                }
                CTRL_ATTR_FAMILY_NAME => info.name = string_of("CTRL_ATTR_FAMILY_NAME", v)?,
                CTRL_ATTR_VERSION => info.version = u32_of("CTRL_ATTR_VERSION", v)?,
                CTRL_ATTR_HDRSIZE => info.hdr_size = u32_of("CTRL_ATTR_HDRSIZE", v)?,
                CTRL_ATTR_MAXATTR => info.max_attr = u32_of("CTRL_ATTR_MAXATTR", v)?,
                _ => {}
            }
        }
        if !have_id {
            return Err(DecodeError::from(
                "controller reply has no CTRL_ATTR_FAMILY_ID",
            ));
        }
        Ok(info)
    }
}
