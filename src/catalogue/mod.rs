//! The course catalogue: graded training packages made of ordered units.

pub mod courses;
pub mod input;
pub(crate) mod store;
pub mod units;
pub mod vocab;

pub use store::visibility;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Who may see a course. `draft` is unpublished: only its organisation's authors see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    Draft,
    Org,
    Consortium,
    Public,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Org => "org",
            Self::Consortium => "consortium",
            Self::Public => "public",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    Video,
    Audio,
    Document,
    Vr,
    Quiz,
    Package,
}

impl UnitKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Video => "video",
            Self::Audio => "audio",
            Self::Document => "document",
            Self::Vr => "vr",
            Self::Quiz => "quiz",
            Self::Package => "package",
        }
    }
}
