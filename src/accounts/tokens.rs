//! Opaque bearer/session tokens: 256 random bits shown once, stored only as their SHA-256.
//!
//! Lookup is by hash, so the secret itself is never compared; the final check of the stored
//! hash is constant-time all the same, so no code path compares secrets byte by byte.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn matches(token: &str, stored_digest: &str) -> bool {
    digest(token)
        .as_bytes()
        .ct_eq(stored_digest.as_bytes())
        .into()
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_are_unique_and_verify_against_their_digest() {
        let (a, b) = (super::generate(), super::generate());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(super::matches(&a, &super::digest(&a)));
        assert!(!super::matches(&b, &super::digest(&a)));
    }
}
