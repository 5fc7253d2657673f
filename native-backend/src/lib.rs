//! lvslab library: CLI commands, netlink, apply, serve.
