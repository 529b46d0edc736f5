//! Serving stored bytes over HTTP: byte ranges and validators.

pub mod range;
