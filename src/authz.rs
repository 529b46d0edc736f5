//! Least privilege per role and organisation. Every handler asks here before acting.

use crate::{
    accounts::{self, OrgRole, User},
    db::Db,
    error::{Error, Result},
    orgs,
};

pub fn require_superadmin(user: &User) -> Result<()> {
    if user.is_superadmin {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

pub async fn org_exists(db: &Db, org_id: &str) -> Result<bool> {
    Ok(orgs::store::orgs::count_by_id(db, org_id).await? > 0)
}

/// Passes for a superadmin or a member whose role satisfies `allowed`; an unknown organisation
/// is 404 and a member without the role (or a non-member) is 403.
pub async fn require_org_role(
    db: &Db,
    user: &User,
    org_id: &str,
    allowed: fn(OrgRole) -> bool,
) -> Result<()> {
    if !org_exists(db, org_id).await? {
        return Err(Error::NotFound);
    }
    if user.is_superadmin {
        return Ok(());
    }
    match accounts::role_in(db, &user.id, org_id).await? {
        Some(role) if allowed(role) => Ok(()),
        _ => Err(Error::Forbidden),
    }
}

pub fn admin(role: OrgRole) -> bool {
    role == OrgRole::Admin
}

pub fn author(role: OrgRole) -> bool {
    role.can_author()
}

pub fn member(_: OrgRole) -> bool {
    true
}
