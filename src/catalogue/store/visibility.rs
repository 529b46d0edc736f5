//! Who sees which course, as one SQL predicate over `courses c` used by every read.
//!
//! - anyone: published `public` courses;
//! - members of the owning organisation: its `org`, `consortium` and `public` courses, and its
//!   drafts when they are teachers or admins there;
//! - members of an organisation that shares an *active* consortium with the owner: its
//!   `consortium` courses;
//! - superadmins: everything.

use crate::{
    accounts::User,
    db::Placeholders,
    orgs::store::{membership, STAFF_ROLES},
};

/// Returns the predicate; pushes the values it binds onto `binds`.
pub fn predicate(viewer: Option<&User>, ph: &mut Placeholders, binds: &mut Vec<String>) -> String {
    predicate_on("c", viewer, ph, binds)
}

/// The same predicate over the courses row aliased `c` in the query (a NULL row — no such
/// course — satisfies it for nobody but superadmins).
pub fn predicate_on(
    c: &str,
    viewer: Option<&User>,
    ph: &mut Placeholders,
    binds: &mut Vec<String>,
) -> String {
    let Some(user) = viewer else {
        return format!("{c}.visibility = 'public'");
    };
    if user.is_superadmin {
        return format!("{c}.id IS NOT NULL");
    }
    let u = ph.take();
    binds.push(user.id.clone());
    let owner = membership("vm", &u, &format!("{c}.org_id"));
    let partner = membership("vm2", &u, "vb.org_id");
    format!(
        "({c}.visibility = 'public' \
          OR EXISTS ({owner} AND ({c}.visibility <> 'draft' OR vm.role IN {STAFF_ROLES})) \
          OR ({c}.visibility = 'consortium' AND EXISTS ( \
                SELECT 1 FROM consortium_members va \
                JOIN consortium_members vb ON vb.consortium_id = va.consortium_id \
                WHERE va.org_id = {c}.org_id AND va.status = 'active' AND vb.status = 'active' \
                AND EXISTS ({partner}))))"
    )
}
