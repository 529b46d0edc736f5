//! The catalogue's SQL: courses and their lists, units, the vocabularies, and the visibility
//! predicate every course read embeds.

pub(crate) mod course_lists;
pub(crate) mod courses;
pub(crate) mod units;
pub mod visibility;
pub(crate) mod vocab;
