//! Credentials: Open Badges 3.0 verifiable credentials for completed courses and recognised
//! learning, signed by each organisation's key, revocable through status lists, and recorded in
//! the learner's learning account.

pub mod account;
pub mod contexts;
pub mod did;
pub mod document;
pub mod issue;
pub mod jsonld;
pub mod jwt;
pub mod keys;
pub mod proof;
pub mod records;
pub mod rules;
pub mod share;
pub mod status;
pub(crate) mod store;
pub mod verify;
