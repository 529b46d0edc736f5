//! Each organisation's Ed25519 issuing keys. A key is made on first use; its secret half is
//! sealed with ChaCha20-Poly1305 under a key derived from the server secret, bound to the key's
//! id and organisation so a sealed value moved to another row does not open. Rotation retires
//! the active key (it stays listed, so credentials it signed still verify) and makes a new one.

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::Serialize;
use utoipa::ToSchema;

use super::{did, store};
pub use crate::sealer::Sealer;
use crate::{
    db::{is_unique_violation, time::now_ms, Db, Flag},
    error::{Error, Result},
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

fn open(sealer: &Sealer, key_id: &str, org_id: &str, sealed: &str) -> Result<SigningKey> {
    let secret = sealer
        .open(&format!("{key_id}\n{org_id}"), sealed)
        .map_err(|e| Error::Internal(anyhow::anyhow!("issuer key {key_id}: {e}")))?;
    Ok(SigningKey::from_bytes(&secret))
}

/// The name of the organisation that holds the key (retired keys too).
pub async fn org_name_of(db: &Db, key_id: &str) -> Result<Option<String>> {
    Ok(store::keys::org_name_of(db, key_id).await?)
}

/// The organisation's active key, made now if it has none.
pub async fn active(db: &Db, sealer: &Sealer, org_id: &str) -> Result<IssuerKey> {
    for _ in 0..3 {
        if let Some((id, sealed)) = store::keys::active(db, org_id).await? {
            let signing = open(sealer, &id, org_id, &sealed)?;
            return Ok(IssuerKey { id, signing });
        }
        match insert(db, sealer, org_id).await {
            Ok(key) => return Ok(key),
            // Another node made it first: use theirs.
            Err(Error::Conflict { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::Internal(anyhow::anyhow!(
        "no active issuer key for {org_id}"
    )))
}

/// Any key of the organisation, active or retired, by id.
pub async fn by_id(db: &Db, sealer: &Sealer, key_id: &str) -> Result<IssuerKey> {
    let (org_id, sealed) = store::keys::by_id(db, key_id).await?;
    Ok(IssuerKey {
        id: key_id.to_owned(),
        signing: open(sealer, key_id, &org_id, &sealed)?,
    })
}

async fn insert(db: &Db, sealer: &Sealer, org_id: &str) -> Result<IssuerKey> {
    let signing = SigningKey::from_bytes(&rand::random::<[u8; 32]>());
    let id = uuid::Uuid::now_v7().to_string();
    let result = store::keys::insert(
        db,
        &id,
        org_id,
        &did::public_key_multibase(&signing.verifying_key()),
        &seal(sealer, &id, org_id, signing.as_bytes()),
        now_ms(),
    )
    .await;
    match result {
        Ok(_) => Ok(IssuerKey { id, signing }),
        Err(e) if is_unique_violation(&e) => Err(Error::conflict("key", "made concurrently")),
        Err(e) => Err(e.into()),
    }
}

/// Retires the active key and makes a new one; credentials signed before stay verifiable.
pub async fn rotate(db: &Db, sealer: &Sealer, org_id: &str) -> Result<IssuerKey> {
    store::keys::retire_active(db, org_id, now_ms()).await?;
    active(db, sealer, org_id).await
}

/// Every key the organisation has signed with, newest first.
pub async fn published(db: &Db, org_id: &str) -> Result<Vec<PublicKey>> {
    let mut keys = store::keys::published(db, org_id).await?;
    for key in &mut keys {
        key.did = format!("did:key:{}", key.public_key_multibase);
    }
    Ok(keys)
}

/// The organisation owning a did:key, and whether that key is still active.
pub async fn owner_of(db: &Db, public: &VerifyingKey) -> Result<Option<(String, bool)>> {
    Ok(store::keys::owner_of(db, &did::public_key_multibase(public)).await?)
}
