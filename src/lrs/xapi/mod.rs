//! xAPI (Experience API) statement model checks for Caravan's Learning
//! Record Store, covering xAPI 1.0.3 and 2.0.0 (IEEE 9274.1.1).
//!
//! The validator works on `serde_json::Value` so that it can see exactly
//! what the client sent: unknown or mis-cased keys, `null`s and wrong JSON
//! types are all grounds for `400 Bad Request` (Data 2.2), and a typed
//! deserialisation would hide them.
//!
//! Layout:
//! * [`validate`]: Statement / SubStatement / object / verb / attachments;
//! * `agent`, `activity`, `context`: the sub-objects;
//! * `formats`, [`langtag`], [`timestamp`], [`duration`]: value formats.

mod activity;
mod agent;
mod context;
pub mod duration;
mod error;
mod formats;
pub mod langtag;
pub mod timestamp;
pub mod validate;

#[cfg(test)]
mod tests;

pub use agent::{normalise_agent_ifi, validate_agent_param};
pub use duration::parse_duration;
pub use error::StatementError;
pub use formats::{is_absolute_iri, is_valid_uuid};
pub use langtag::is_well_formed_language_tag;
pub use timestamp::is_valid_timestamp;
pub use validate::validate_statement;

/// The xAPI version a request was made under (`X-Experience-API-Version`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum XapiVersion {
    /// 1.0.0 through 1.0.3, which share one data model.
    V1_0_3,
    V2_0_0,
}

impl XapiVersion {
    /// Parses the `X-Experience-API-Version` header. Communication 3.3: the
    /// 1.0.x patch versions are one family; anything else (including "1.0",
    /// "0.95" or "2.0.1") is refused so the LRS can answer 400.
    pub fn parse_header(value: &str) -> Option<XapiVersion> {
        // Communication 3.3: "1.0" and every 1.0.x patch are the 1.0.0 data model; likewise
        // 2.0.x for 2.0.0.
        let value = value.trim();
        let family = |prefix: &str| {
            value == prefix
                || value
                    .strip_prefix(prefix)
                    .and_then(|rest| rest.strip_prefix('.'))
                    .is_some_and(|patch| {
                        !patch.is_empty() && patch.bytes().all(|b| b.is_ascii_digit())
                    })
        };
        if family("1.0") {
            Some(XapiVersion::V1_0_3)
        } else if family("2.0") {
            Some(XapiVersion::V2_0_0)
        } else {
            None
        }
    }

    /// The version string an LRS reports for this family.
    pub fn as_str(self) -> &'static str {
        match self {
            XapiVersion::V1_0_3 => "1.0.3",
            XapiVersion::V2_0_0 => "2.0.0",
        }
    }
}
