//! Transport and applications: TCP endpoints and the request/response applications.

pub mod app;
pub mod tcp;
