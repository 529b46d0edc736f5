//! Public share links of a learner's credential, and their QR codes. A link's token is an HMAC of
//! the credential id and a counter under the server secret: unguessable, shown again whenever
//! its owner asks, and only its digest is stored. Stopping sharing bumps the counter, so a new
//! link never revives an old one.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, Mac};
use qrcode::{render::svg, EcLevel, QrCode};
use sha2::{Digest, Sha256};

use super::{
    records::{self, Record},
    store,
};
use crate::{
    context::Context,
    db::Db,
    error::{Error, Result},
};

fn token(secret: &[u8], credential_id: &str, version: i64) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(format!("caravan/share/v1\n{credential_id}\n{version}").as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

pub fn url(state: &Context, record: &Record) -> String {
    let t = token(
        state.settings.secret_key.expose(),
        &record.id,
        record.share_version,
    );
    format!("{}/share/{t}", state.settings.public_url)
}

/// Starts sharing (or keeps the live link) and returns the link.
pub async fn start(state: &Context, record: &Record) -> Result<String> {
    if record.share_hash.is_none() {
        let t = token(
            state.settings.secret_key.expose(),
            &record.id,
            record.share_version,
        );
        store::credentials::set_share_hash(&state.db, &record.id, &digest(&t)).await?;
    }
    Ok(url(state, record))
}

/// Stops sharing: the link answers 404 from now on.
pub async fn stop(db: &Db, record: &Record) -> Result<()> {
    store::credentials::clear_share(db, &record.id).await?;
    Ok(())
}

/// The shared credential behind a token.
pub async fn open(db: &Db, token: &str) -> Result<Record> {
    if token.len() != 43 {
        return Err(Error::NotFound);
    }
    records::by_share_hash(db, &digest(token)).await
}

pub fn qr_svg(text: &str) -> Result<String> {
    let code = QrCode::with_error_correction_level(text, EcLevel::M)
        .map_err(|e| Error::Internal(anyhow::anyhow!("QR code: {e}")))?;
    Ok(code
        .render::<svg::Color>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build())
}

/// A black-and-white PNG, `scale` pixels per module, with the standard 4-module quiet zone.
pub fn qr_png(text: &str, scale: u32) -> Result<Vec<u8>> {
    let code = QrCode::with_error_correction_level(text, EcLevel::M)
        .map_err(|e| Error::Internal(anyhow::anyhow!("QR code: {e}")))?;
    let modules = code.width() as u32;
    let side = (modules + 8) * scale;
    let colors = code.to_colors();
    let mut pixels = vec![255u8; (side * side) as usize];
    for (i, color) in colors.iter().enumerate() {
        if *color != qrcode::Color::Dark {
            continue;
        }
        let (mx, my) = (i as u32 % modules + 4, i as u32 / modules + 4);
        for y in my * scale..(my + 1) * scale {
            let row = (y * side) as usize;
            pixels[row + (mx * scale) as usize..row + ((mx + 1) * scale) as usize].fill(0);
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder
        .write_header()
        .map_err(|e| Error::Internal(e.into()))?;
    writer
        .write_image_data(&pixels)
        .map_err(|e| Error::Internal(e.into()))?;
    writer.finish().map_err(|e| Error::Internal(e.into()))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_depend_on_secret_id_and_version() {
        let a = token(b"secret-one", "c1", 0);
        assert_eq!(a.len(), 43);
        assert_eq!(a, token(b"secret-one", "c1", 0));
        assert_ne!(a, token(b"secret-two", "c1", 0));
        assert_ne!(a, token(b"secret-one", "c2", 0));
        assert_ne!(a, token(b"secret-one", "c1", 1));
    }

    #[test]
    fn qr_codes_render_as_svg_and_png() {
        let svg = qr_svg("https://learn.example/share/abc").unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("<svg"), "{svg}");
        let png = qr_png("https://learn.example/share/abc", 4).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
}
