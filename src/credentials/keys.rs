//! Each organisation's Ed25519 issuing keys. A key is made on first use; its secret half is
//! sealed with ChaCha20-Poly1305 under a key derived from the server secret, bound to the key's
//! id and organisation so a sealed value moved to another row does not open. Rotation retires
//! the active key (it stays listed, so credentials it signed still verify) and makes a new one.

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::Serialize;
use utoipa::ToSchema;

use super::did;
pub use crate::sealer::Sealer;
use crate::{
    db::{is_unique_violation, time::now_ms, Db, Flag},
    error::{AppError, AppResult},
};

/// An organisation's key able to sign.
pub struct IssuerKey {
    pub id: String,
    pub signing: SigningKey,
}

impl IssuerKey {
    /// The issuer id of what this key signs: its did:key.
    pub fn did(&self) -> String {
        did::did_key(&self.signing.verifying_key())
    }

    pub fn verification_method(&self) -> String {
        did::verification_method(&self.signing.verifying_key())
    }
}

/// A published key: what anyone needs to check a credential.
#[derive(Debug, Clone, Serialize, ToSchema, sqlx::FromRow)]
pub struct PublicKey {
    pub id: String,
    /// The Ed25519 public key, multibase (`z6Mk…`).
    #[sqlx(rename = "public_key")]
    pub public_key_multibase: String,
    /// The issuer id of the credentials this key signs.
    #[sqlx(skip)]
    pub did: String,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
    #[serde(serialize_with = "crate::db::time::serialize_ms")]
    #[schema(value_type = String, format = DateTime)]
    pub created_at: i64,
    #[serde(serialize_with = "crate::db::time::serialize_opt_ms")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub retired_at: Option<i64>,
}

/// Seals `secret` for the key row `key_id` of `org_id`.
fn seal(sealer: &Sealer, key_id: &str, org_id: &str, secret: &[u8; 32]) -> String {
    sealer.seal(&format!("{key_id}\n{org_id}"), secret)
}

fn open(sealer: &Sealer, key_id: &str, org_id: &str, sealed: &str) -> AppResult<SigningKey> {
    let secret = sealer
        .open(&format!("{key_id}\n{org_id}"), sealed)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("issuer key {key_id}: {e}")))?;
    Ok(SigningKey::from_bytes(&secret))
}

/// The name of the organisation that holds the key (retired keys too).
pub async fn org_name_of(db: &Db, key_id: &str) -> AppResult<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT o.name FROM issuer_keys k JOIN orgs o ON o.id = k.org_id WHERE k.id = $1",
    )
    .bind(key_id)
    .fetch_optional(&db.pool)
    .await?)
}

/// The organisation's active key, made now if it has none.
pub async fn active(db: &Db, sealer: &Sealer, org_id: &str) -> AppResult<IssuerKey> {
    for _ in 0..3 {
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT id, sealed_secret FROM issuer_keys WHERE org_id = $1 AND active = TRUE",
        )
        .bind(org_id)
        .fetch_optional(&db.pool)
        .await?;
        if let Some((id, sealed)) = row {
            let signing = open(sealer, &id, org_id, &sealed)?;
            return Ok(IssuerKey { id, signing });
        }
        match insert(db, sealer, org_id).await {
            Ok(key) => return Ok(key),
            // Another node made it first: use theirs.
            Err(AppError::Conflict { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(AppError::Internal(anyhow::anyhow!(
        "no active issuer key for {org_id}"
    )))
}

/// Any key of the organisation, active or retired, by id.
pub async fn by_id(db: &Db, sealer: &Sealer, key_id: &str) -> AppResult<IssuerKey> {
    let (org_id, sealed): (String, String) =
        sqlx::query_as("SELECT org_id, sealed_secret FROM issuer_keys WHERE id = $1")
            .bind(key_id)
            .fetch_one(&db.pool)
            .await?;
    Ok(IssuerKey {
        id: key_id.to_owned(),
        signing: open(sealer, key_id, &org_id, &sealed)?,
    })
}

async fn insert(db: &Db, sealer: &Sealer, org_id: &str) -> AppResult<IssuerKey> {
    let signing = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    let id = uuid::Uuid::now_v7().to_string();
    let result = sqlx::query(
        "INSERT INTO issuer_keys (id, org_id, public_key, sealed_secret, active, created_at) \
         VALUES ($1, $2, $3, $4, TRUE, $5)",
    )
    .bind(&id)
    .bind(org_id)
    .bind(did::public_key_multibase(&signing.verifying_key()))
    .bind(seal(sealer, &id, org_id, signing.as_bytes()))
    .bind(now_ms())
    .execute(&db.pool)
    .await;
    match result {
        Ok(_) => Ok(IssuerKey { id, signing }),
        Err(e) if is_unique_violation(&e) => Err(AppError::conflict("key", "made concurrently")),
        Err(e) => Err(e.into()),
    }
}

/// Retires the active key and makes a new one; credentials signed before stay verifiable.
pub async fn rotate(db: &Db, sealer: &Sealer, org_id: &str) -> AppResult<IssuerKey> {
    sqlx::query(
        "UPDATE issuer_keys SET active = FALSE, retired_at = $1 WHERE org_id = $2 AND active = TRUE",
    )
    .bind(now_ms())
    .bind(org_id)
    .execute(&db.pool)
    .await?;
    active(db, sealer, org_id).await
}

/// Every key the organisation has signed with, newest first.
pub async fn published(db: &Db, org_id: &str) -> AppResult<Vec<PublicKey>> {
    let mut keys = sqlx::query_as::<_, PublicKey>(
        "SELECT id, public_key, active, created_at, retired_at FROM issuer_keys \
         WHERE org_id = $1 ORDER BY created_at DESC, id DESC",
    )
    .bind(org_id)
    .fetch_all(&db.pool)
    .await?;
    for key in &mut keys {
        key.did = format!("did:key:{}", key.public_key_multibase);
    }
    Ok(keys)
}

/// The organisation owning a did:key, and whether that key is still active.
pub async fn owner_of(db: &Db, public: &VerifyingKey) -> AppResult<Option<(String, bool)>> {
    let row: Option<(String, Flag)> =
        sqlx::query_as("SELECT org_id, active FROM issuer_keys WHERE public_key = $1")
            .bind(did::public_key_multibase(public))
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.map(|(org, active)| (org, active.into())))
}
