//! Signed URLs: `?exp=UNIX&kid=KEY&sig=HMAC`, where the HMAC-SHA256 covers the path and the
//! expiry. A CDN or school proxy can cache and serve protected media without cookies; keys are
//! shared by every node through the database and rotate without breaking URLs still in use.

use std::sync::RwLock;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

use super::store;
use crate::db::{time::now_ms, Db};

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, PartialEq, Eq)]
pub enum SignatureError {
    /// Missing parameters, an unknown key, or a signature that does not match.
    Invalid,
    Expired,
}

struct Key {
    kid: String,
    /// The HMAC already keyed: cloning it skips the key schedule on every request.
    mac: HmacSha256,
    active: bool,
}

impl Key {
    fn new(kid: String, secret: &[u8], active: bool) -> Self {
        let mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
        Self { kid, mac, active }
    }
}

pub struct Signer {
    keys: RwLock<Vec<Key>>,
}

impl Signer {
    /// Loads the keys, creating the first one on a new database.
    pub async fn load(db: &Db) -> anyhow::Result<Self> {
        let signer = Self {
            keys: RwLock::new(Vec::new()),
        };
        if signer.reload(db).await? == 0 {
            rotate(db).await?;
            signer.reload(db).await?;
        }
        Ok(signer)
    }

    pub async fn reload(&self, db: &Db) -> anyhow::Result<usize> {
        let rows = store::signing_keys(db).await?;
        let keys: Vec<Key> = rows
            .into_iter()
            .filter_map(|r| Some(Key::new(r.kid, &hex::decode(&r.secret).ok()?, r.active)))
            .collect();
        let n = keys.len();
        *self.keys.write().expect("signing keys lock") = keys;
        Ok(n)
    }

    fn mac(key: &Key, path: &str, exp: i64) -> HmacSha256 {
        let mut mac = key.mac.clone();
        mac.update(path.as_bytes());
        mac.update(b"\n");
        mac.update(exp.to_string().as_bytes());
        mac
    }

    /// The query string that makes `path` readable until `exp` (Unix seconds).
    pub fn sign(&self, path: &str, exp: i64) -> String {
        let keys = self.keys.read().expect("signing keys lock");
        let key = keys
            .iter()
            .find(|k| k.active)
            .or(keys.first())
            .expect("at least one signing key");
        let sig = Self::mac(key, path, exp).finalize().into_bytes();
        format!(
            "exp={exp}&kid={}&sig={}",
            key.kid,
            URL_SAFE_NO_PAD.encode(sig)
        )
    }

    /// `path?{sign(path)}` valid for `ttl_secs` from now, rounded up to the hour so the same
    /// URL is handed out for a while and caches can share it.
    pub fn signed_url(&self, path: &str, ttl_secs: i64) -> String {
        format!("{path}?{}", self.signed_query(path, ttl_secs))
    }

    /// The query of [`Self::signed_url`] alone, for a URL whose path is a name of `path`.
    pub fn signed_query(&self, path: &str, ttl_secs: i64) -> String {
        let now = now_ms() / 1000;
        let exp = (now + ttl_secs + 3599) / 3600 * 3600;
        self.sign(path, exp)
    }

    /// A signature of `path` as one path segment, `{exp}.{kid}.{sig}`, valid as long as
    /// [`Self::signed_query`]'s: a page served under `path` keeps it in its relative links.
    pub fn grant(&self, path: &str, ttl_secs: i64) -> String {
        let now = now_ms() / 1000;
        let exp = (now + ttl_secs + 3599) / 3600 * 3600;
        let keys = self.keys.read().expect("signing keys lock");
        let key = keys
            .iter()
            .find(|k| k.active)
            .or(keys.first())
            .expect("at least one signing key");
        let sig = Self::mac(key, path, exp).finalize().into_bytes();
        format!("{exp}.{}.{}", key.kid, URL_SAFE_NO_PAD.encode(sig))
    }

    /// Checks a [`Self::grant`] for `path`.
    pub fn verify_grant(&self, path: &str, grant: &str) -> Result<i64, SignatureError> {
        let mut parts = grant.splitn(3, '.');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(exp), Some(kid), Some(sig)) => self.verify(path, exp, kid, sig),
            _ => Err(SignatureError::Invalid),
        }
    }

    /// Checks the signature in constant time, then the expiry.
    pub fn verify(
        &self,
        path: &str,
        exp: &str,
        kid: &str,
        sig: &str,
    ) -> Result<i64, SignatureError> {
        let exp: i64 = exp.parse().map_err(|_| SignatureError::Invalid)?;
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| SignatureError::Invalid)?;
        let keys = self.keys.read().expect("signing keys lock");
        let key = keys
            .iter()
            .find(|k| k.kid == kid)
            .ok_or(SignatureError::Invalid)?;
        Self::mac(key, path, exp)
            .verify_slice(&sig)
            .map_err(|_| SignatureError::Invalid)?;
        if exp * 1000 < now_ms() {
            return Err(SignatureError::Expired);
        }
        Ok(exp)
    }

    pub fn knows(&self, kid: &str) -> bool {
        self.keys
            .read()
            .expect("signing keys lock")
            .iter()
            .any(|k| k.kid == kid)
    }
}

/// Adds a new active key; older keys keep verifying the URLs already handed out.
pub async fn rotate(db: &Db) -> anyhow::Result<String> {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let kid = format!("k{}", uuid::Uuid::now_v7().simple());
    store::add_active_signing_key(db, &kid, &hex::encode(secret), now_ms()).await?;
    Ok(kid)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> Signer {
        Signer {
            keys: RwLock::new(vec![
                Key::new("new".into(), b"new secret", true),
                Key::new("old".into(), b"old secret", false),
            ]),
        }
    }

    fn parts(q: &str) -> (String, String, String) {
        let get = |k: &str| {
            q.split('&')
                .find_map(|p| p.strip_prefix(&format!("{k}=")))
                .unwrap()
                .to_owned()
        };
        (get("exp"), get("kid"), get("sig"))
    }

    #[test]
    fn signatures_verify_and_resist_tampering() {
        let s = signer();
        let exp = now_ms() / 1000 + 60;
        let (e, k, sig) = parts(&s.sign("/media/abc", exp));
        assert_eq!(k, "new");
        assert_eq!(s.verify("/media/abc", &e, &k, &sig), Ok(exp));
        assert_eq!(
            s.verify("/media/abd", &e, &k, &sig),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            s.verify("/media/abc", &(exp + 1).to_string(), &k, &sig),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            s.verify("/media/abc", &e, "old", &sig),
            Err(SignatureError::Invalid)
        );
        assert_eq!(
            s.verify("/media/abc", &e, "nope", &sig),
            Err(SignatureError::Invalid)
        );
    }

    #[test]
    fn expired_signatures_are_told_apart() {
        let s = signer();
        let exp = now_ms() / 1000 - 1;
        let (e, k, sig) = parts(&s.sign("/media/abc", exp));
        assert_eq!(
            s.verify("/media/abc", &e, &k, &sig),
            Err(SignatureError::Expired)
        );
    }
}
