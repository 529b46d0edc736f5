//! LRS clients: credentials an organisation's admins issue to other systems (an LMS, a mobile
//! app). The secret is 256 random bits shown once; only its SHA-256 is stored (a slow password
//! hash buys nothing for a secret with that much entropy and would cost every statement POST).

use std::{sync::Arc, time::Duration};

use moka::sync::Cache;
use serde::Serialize;
use utoipa::ToSchema;

use super::store::{self, clients::NewClient};
use crate::{
    accounts::tokens,
    db::{time::now_ms, Db},
    error::{Error, Result},
};

/// xAPI authorization scopes (Communication 4.2), as a small bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Scopes(u16);

impl Scopes {
    pub const STATEMENTS_WRITE: Scopes = Scopes(1);
    pub const STATEMENTS_READ_MINE: Scopes = Scopes(2);
    pub const STATEMENTS_READ: Scopes = Scopes(4);
    pub const STATE: Scopes = Scopes(8);
    pub const DEFINE: Scopes = Scopes(16);
    pub const PROFILE: Scopes = Scopes(32);
    pub const ALL_READ: Scopes = Scopes(64);

    const NAMES: [(&'static str, u16); 8] = [
        ("statements/write", 1),
        ("statements/read/mine", 2),
        ("statements/read", 4 | 2),
        ("state", 8),
        ("define", 16),
        ("profile", 32),
        ("all/read", 64 | 4 | 2),
        ("all", 127),
    ];

    pub fn contains(self, other: Scopes) -> bool {
        self.0 & other.0 == other.0
    }

    /// Parses scope names; `None` names the first unknown one.
    pub fn parse<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Scopes, String> {
        let mut bits = 0;
        for name in names {
            let name = name.trim();
            match Self::NAMES.iter().find(|(n, _)| *n == name) {
                Some((_, b)) => bits |= b,
                None => return Err(name.to_owned()),
            }
        }
        Ok(Scopes(bits))
    }

    /// The scope names that make up this set, broadest first.
    pub fn names(self) -> Vec<&'static str> {
        let mut left = self.0;
        let mut out = Vec::new();
        for (name, bits) in Self::NAMES.iter().rev() {
            if left & bits == *bits && self.0 & bits == *bits && left & bits != 0 {
                out.push(*name);
                left &= !bits;
            }
        }
        out
    }

    /// The xAPI default when a client asks for nothing in particular.
    pub fn default_for_client() -> Scopes {
        Scopes(1 | 2)
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ClientRow {
    id: String,
    org_id: String,
    name: String,
    key: String,
    secret_digest: String,
    scopes: String,
    created_at: i64,
}

/// An active LRS client.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub key: String,
    pub scopes: Scopes,
    pub created_at: i64,
}

impl ClientRow {
    fn into_client(self) -> Client {
        let scopes = Scopes::parse(self.scopes.split(' ')).unwrap_or_default();
        Client {
            id: self.id,
            org_id: self.org_id,
            name: self.name,
            key: self.key,
            scopes,
            created_at: self.created_at,
        }
    }
}

/// A client as listed to its organisation's admins (never with its secret).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientView {
    pub id: String,
    pub org_id: String,
    pub name: String,
    /// The HTTP Basic user name.
    pub key: String,
    pub scopes: Vec<&'static str>,
    #[serde(serialize_with = "crate::db::time::serialize_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
}

impl From<&Client> for ClientView {
    fn from(c: &Client) -> Self {
        Self {
            id: c.id.clone(),
            org_id: c.org_id.clone(),
            name: c.name.clone(),
            key: c.key.clone(),
            scopes: c.scopes.names(),
            created_at: c.created_at,
        }
    }
}

/// Creates a client and returns it with its secret, which is never shown again.
pub async fn create(
    db: &Db,
    org_id: &str,
    name: &str,
    scopes: Scopes,
    created_by: &str,
) -> Result<(Client, String)> {
    let id = uuid::Uuid::now_v7().to_string();
    let key = format!("lrs_{}", &tokens::generate()[..20]);
    let secret = tokens::generate();
    let row = store::clients::insert(
        db,
        NewClient {
            id: &id,
            org_id,
            name,
            key: &key,
            secret_digest: tokens::digest(&secret),
            scopes: scopes.names().join(" "),
            created_by,
            created_at: now_ms(),
        },
    )
    .await?;
    Ok((row.into_client(), secret))
}

pub async fn list(db: &Db, org_id: &str) -> Result<Vec<Client>> {
    Ok(store::clients::active(db, org_id)
        .await?
        .into_iter()
        .map(ClientRow::into_client)
        .collect())
}

/// Revokes a client at once on this node (and within the cache lifetime on others).
pub async fn revoke(db: &Db, cache: &ClientCache, org_id: &str, id: &str) -> Result<()> {
    let key = store::clients::revoke(db, org_id, id, now_ms()).await?;
    let key = key.ok_or(Error::NotFound)?;
    cache.0.invalidate(&key);
    Ok(())
}

/// Recently authenticated clients by key, so a statement POST costs no credential query.
#[derive(Clone)]
pub struct ClientCache(Cache<String, Arc<(String, Client)>>);

impl Default for ClientCache {
    fn default() -> Self {
        Self(
            Cache::builder()
                .max_capacity(10_000)
                .time_to_live(Duration::from_secs(10))
                .build(),
        )
    }
}

/// The active client with this key and secret; the secret's digest is compared in constant time.
pub async fn authenticate(
    db: &Db,
    cache: &ClientCache,
    key: &str,
    secret: &str,
) -> Result<Option<Client>> {
    let entry = match cache.0.get(key) {
        Some(entry) => entry,
        None => {
            let row = store::clients::by_key(db, key).await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let entry = Arc::new((row.secret_digest.clone(), row.into_client()));
            cache.0.insert(key.to_owned(), entry.clone());
            entry
        }
    };
    Ok(tokens::matches(secret, &entry.0).then(|| entry.1.clone()))
}

#[cfg(test)]
mod tests {
    use super::Scopes;

    #[test]
    fn scopes_parse_and_imply_narrower_ones() {
        let all = Scopes::parse(["all"]).unwrap();
        assert!(all.contains(Scopes::STATEMENTS_WRITE) && all.contains(Scopes::STATE));
        assert_eq!(all.names(), vec!["all"]);
        let read = Scopes::parse(["statements/read"]).unwrap();
        assert!(read.contains(Scopes::STATEMENTS_READ_MINE));
        assert!(!read.contains(Scopes::STATEMENTS_WRITE));
        let mixed = Scopes::parse(["statements/write", "state"]).unwrap();
        assert_eq!(mixed.names(), vec!["state", "statements/write"]);
        assert_eq!(Scopes::parse(["everything"]), Err("everything".to_owned()));
    }
}
