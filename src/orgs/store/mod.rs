//! The organisations area's SQL: organisations, memberships, join codes and class lists.
//!
//! Membership is asked about in many places (visibility, delivery, the LRS, consortia); the
//! test is written once here, as a fragment other areas' queries embed.

pub(crate) mod join_codes;
pub(crate) mod members;
pub(crate) mod orgs;

/// The roles that may manage an organisation's content: `('teacher', 'admin')`.
pub const STAFF_ROLES: &str = "('teacher', 'admin')";

/// A subquery, for `EXISTS (…)`, that finds the membership row `alias` of the user `user` in
/// the organisation `org` (both SQL expressions: a column or a placeholder). Callers may add
/// `AND {alias}.role …` conditions after it.
pub fn membership(alias: &str, user: &str, org: &str) -> String {
    format!("SELECT 1 FROM memberships {alias} WHERE {alias}.user_id = {user} AND {alias}.org_id = {org}")
}

/// As [`membership`], limited to staff ([`STAFF_ROLES`]).
pub fn staff_membership(alias: &str, user: &str, org: &str) -> String {
    format!(
        "{} AND {alias}.role IN {STAFF_ROLES}",
        membership(alias, user, org)
    )
}
