//! Revocation through W3C Bitstring Status Lists. Every credential takes a random free index in a
//! list of its signing key (random, so a list reveals nothing about the order of issue); the
//! list credential is built from the revoked rows when asked for and signed by the same key, so
//! its issuer matches the credentials it speaks for.

use std::io::Write;

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde_json::{json, Value};

use super::store;
use crate::{db::Db, error::Result};

/// Bits per list: the specification's minimum (16 KiB), which hides which entries are in use.
pub const LIST_BITS: u32 = 131_072;
/// A list takes new credentials until it is this full, keeping random picks cheap.
pub const LIST_FILL: i64 = (LIST_BITS / 4) as i64;

/// Where a key's status list is served.
pub fn list_url(public_url: &str, key_id: &str, list: i64) -> String {
    format!("{public_url}/api/v1/credentials/status/{key_id}/{list}")
}

/// The key id and list number of one of this server's status list URLs.
pub fn parse_list_url<'a>(public_url: &str, url: &'a str) -> Option<(&'a str, i64)> {
    let rest = url
        .strip_prefix(public_url)?
        .strip_prefix("/api/v1/credentials/status/")?;
    let (key, list) = rest.split_once('/')?;
    Some((key, list.parse().ok()?))
}

/// The `credentialStatus` of a credential at `index` of the list.
pub fn entry(list_url: &str, index: u32) -> Value {
    json!({
        "id": format!("{list_url}#{index}"),
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": index.to_string(),
        "statusListCredential": list_url,
    })
}

/// The list number new credentials of this key go to.
pub async fn current_list(db: &Db, key_id: &str) -> Result<i64> {
    let issued = store::credentials::count_of_key(db, key_id).await?;
    Ok(issued / LIST_FILL)
}

pub fn random_index() -> u32 {
    rand::random::<u32>() % LIST_BITS
}

/// The revoked indexes of a list.
pub async fn revoked(db: &Db, key_id: &str, list: i64) -> Result<Vec<u32>> {
    let rows = store::credentials::revoked_indexes(db, key_id, list).await?;
    Ok(rows.into_iter().map(|i| i as u32).collect())
}

/// `u` + base64url(gzip(bitstring)), bit 0 being the most significant bit of the first byte.
pub fn encode_list(set: &[u32]) -> String {
    let mut bits = vec![0u8; (LIST_BITS / 8) as usize];
    for &i in set {
        if i < LIST_BITS {
            bits[(i / 8) as usize] |= 0x80 >> (i % 8);
        }
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&bits).expect("writing to memory");
    format!(
        "u{}",
        URL_SAFE_NO_PAD.encode(gz.finish().expect("writing to memory"))
    )
}

/// Whether bit `index` is set in an encoded list; None when the list does not decode.
pub fn is_set(encoded: &str, index: u32) -> Option<bool> {
    let gz = URL_SAFE_NO_PAD.decode(encoded.strip_prefix('u')?).ok()?;
    let mut bits = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(flate2::read::GzDecoder::new(&gz[..]), 1 << 20),
        &mut bits,
    )
    .ok()?;
    let byte = bits.get((index / 8) as usize)?;
    Some(byte & (0x80 >> (index % 8)) != 0)
}

/// The unsigned `BitstringStatusListCredential`. It has only the VC context, so its issuer is
/// the key's did with a name (an Open Badges `Profile` type would be an undefined term here).
pub fn list_credential(url: &str, issuer: Value, valid_from: &str, revoked: &[u32]) -> Value {
    json!({
        "@context": [super::document::VC_V2],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer,
        "validFrom": valid_from,
        "credentialSubject": {
            "id": format!("{url}#list"),
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_list(revoked),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_are_numbered_from_the_most_significant_bit_of_the_first_byte() {
        let encoded = encode_list(&[0, 9, LIST_BITS - 1]);
        let gz = URL_SAFE_NO_PAD.decode(&encoded[1..]).unwrap();
        let mut bits = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut bits).unwrap();
        assert_eq!(bits.len(), 16_384);
        assert_eq!(bits[0], 0b1000_0000);
        assert_eq!(bits[1], 0b0100_0000);
        assert_eq!(bits[16_383], 0b0000_0001);
        assert_eq!(is_set(&encoded, 9), Some(true));
        assert_eq!(is_set(&encoded, 10), Some(false));
        // An empty list compresses to a few dozen bytes, so serving it costs little.
        assert!(encode_list(&[]).len() < 100);
    }

    #[test]
    fn list_credentials_sign_and_verify() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let did = super::super::did::did_key(&key.verifying_key());
        let issuer = serde_json::json!({"id": did, "name": "X"});
        let list = list_credential("https://x.test/l/0", issuer, "2026-01-01T00:00:00Z", &[5]);
        let vm = super::super::did::verification_method(&key.verifying_key());
        let signed = super::super::proof::sign(&list, &key, &vm, "2026-01-01T00:00:00Z").unwrap();
        super::super::proof::verify(&signed).unwrap();
    }

    #[test]
    fn list_urls_round_trip() {
        let url = list_url("https://x.test", "k-1", 3);
        assert_eq!(parse_list_url("https://x.test", &url), Some(("k-1", 3)));
        assert_eq!(parse_list_url("https://y.test", &url), None);
    }
}
