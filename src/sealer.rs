//! Seals and opens 32-byte secrets (the organisations' credential signing keys) with the server
//! secret, bound to the row they belong to so a sealed value copied to another row does not open.

use base64::{engine::general_purpose::STANDARD, Engine};
use chacha20poly1305::{aead::Aead, aead::Payload, ChaCha20Poly1305, KeyInit, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// A sealed value did not open: another server secret, another row, or damaged text.
#[derive(Debug, thiserror::Error)]
#[error("the sealed value does not open with this server secret")]
pub struct DoesNotOpen;

pub struct Sealer {
    cipher: ChaCha20Poly1305,
}

impl Sealer {
    pub fn new(server_secret: &[u8]) -> Self {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(server_secret)
            .expect("HMAC takes keys of any length");
        mac.update(b"caravan/issuer-keys/v1");
        let key = mac.finalize().into_bytes();
        Self {
            cipher: ChaCha20Poly1305::new(&key),
        }
    }

    /// `secret` sealed for the row named by `binding`, as base64 (nonce then ciphertext).
    pub fn seal(&self, binding: &str, secret: &[u8; 32]) -> String {
        let nonce_bytes: [u8; 12] = rand::random();
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce_bytes),
                Payload {
                    msg: secret,
                    aad: binding.as_bytes(),
                },
            )
            .expect("sealing 32 bytes cannot fail");
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        STANDARD.encode(out)
    }

    pub fn open(&self, binding: &str, sealed: &str) -> Result<[u8; 32], DoesNotOpen> {
        let bytes = STANDARD.decode(sealed).map_err(|_| DoesNotOpen)?;
        if bytes.len() < 12 {
            return Err(DoesNotOpen);
        }
        let plain = self
            .cipher
            .decrypt(
                Nonce::from_slice(&bytes[..12]),
                Payload {
                    msg: &bytes[12..],
                    aad: binding.as_bytes(),
                },
            )
            .map_err(|_| DoesNotOpen)?;
        plain.try_into().map_err(|_| DoesNotOpen)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_the_same_secret_and_binding() {
        let sealer = Sealer::new(b"0123456789abcdef0123456789abcdef");
        let secret = [7u8; 32];
        let sealed = sealer.seal("k1\norg1", &secret);
        assert!(!sealed.contains(&STANDARD.encode(secret)));
        assert_eq!(sealer.open("k1\norg1", &sealed).unwrap(), secret);
        assert!(sealer.open("k1\norg2", &sealed).is_err());
        assert!(sealer.open("k2\norg1", &sealed).is_err());
        let other = Sealer::new(b"another secret of at least 32 bytes!");
        assert!(other.open("k1\norg1", &sealed).is_err());
        assert!(sealer.open("k1\norg1", "not base64!").is_err());
    }
}
