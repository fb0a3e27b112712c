//! Helpers shared by the probe tests.

pub mod http_server;
