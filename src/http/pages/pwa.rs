//! What makes the pages an installable app on a phone: the web app manifest, its icons (drawn
//! here, so no image is committed), the favicon, and the offline start page the service worker
//! shows when there is no network and the page asked for was never kept.

use std::sync::OnceLock;

use axum::{
    http::{header, HeaderMap},
    response::{Html, IntoResponse, Response},
    routing::get,
    Router,
};
use serde_json::json;

use super::{prefers_chinese, templates};
use crate::{
    error::{Error, Result},
    http::{extract::Path, AppState},
};

/// The theme colour of the pages (`<meta name="theme-color">`) and of the icons.
const THEME: [u8; 3] = [0x0b, 0x6e, 0x4f];
/// Icon sizes phones ask for: 192 and 512 (Android), 180 (iOS home screen).
const ICON_SIZES: [u32; 3] = [180, 192, 512];

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/manifest.webmanifest", get(manifest))
        .route("/icons/{file}", get(icon))
        .route("/favicon.ico", get(favicon))
        .route("/offline", get(offline_page))
}

async fn manifest(headers: HeaderMap) -> Response {
    let zh = prefers_chinese(&headers);
    let body = json!({
        "name": if zh { "Caravan 微课" } else { "Caravan micro-courses" },
        "short_name": "Caravan",
        "description": if zh {
            "短小实用的职业培训课程，可离线学习。"
        } else {
            "Short, practical training courses, also offline."
        },
        "lang": if zh { "zh-CN" } else { "en" },
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "background_color": "#ffffff",
        "theme_color": format!("#{:02x}{:02x}{:02x}", THEME[0], THEME[1], THEME[2]),
        "icons": [
            {"src": "/icons/icon-192.png", "sizes": "192x192", "type": "image/png", "purpose": "any"},
            {"src": "/icons/icon-512.png", "sizes": "512x512", "type": "image/png", "purpose": "any"},
            {"src": "/icons/maskable-512.png", "sizes": "512x512", "type": "image/png", "purpose": "maskable"},
        ],
    });
    (
        [
            (header::CONTENT_TYPE, "application/manifest+json"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
            (header::VARY, "Accept-Language"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `icon-{size}.png` (the wheel on a rounded tile) or `maskable-{size}.png` (full bleed, the
/// wheel inside the safe zone a launcher may crop to).
async fn icon(Path(file): Path<String>) -> Result<Response> {
    let (maskable, at) = file
        .strip_suffix(".png")
        .and_then(|stem| {
            stem.strip_prefix("icon-")
                .map(|s| (false, s))
                .or_else(|| stem.strip_prefix("maskable-").map(|s| (true, s)))
        })
        .and_then(|(m, s)| {
            let size = s.parse::<u32>().ok()?;
            Some((m, ICON_SIZES.iter().position(|known| *known == size)?))
        })
        .ok_or(Error::NotFound)?;
    // Each icon is drawn once per process, on first request: a slot per size, plain and maskable.
    static SLOTS: [OnceLock<Vec<u8>>; 2 * ICON_SIZES.len()] =
        [const { OnceLock::new() }; 2 * ICON_SIZES.len()];
    let png = SLOTS[2 * at + usize::from(maskable)].get_or_init(|| draw(ICON_SIZES[at], maskable));
    Ok(image("image/png", png))
}

/// A 32×32 and a 16×16 PNG in an ICO container (PNG entries are read by every browser).
async fn favicon() -> Response {
    static ICO: OnceLock<Vec<u8>> = OnceLock::new();
    let ico = ICO.get_or_init(|| {
        let images: Vec<(u32, Vec<u8>)> = [32, 16].map(|s| (s, draw(s, false))).into();
        let mut out = Vec::new();
        out.extend_from_slice(&[0, 0, 1, 0]);
        out.extend_from_slice(&(images.len() as u16).to_le_bytes());
        let mut offset = 6 + 16 * images.len() as u32;
        for (size, png) in &images {
            out.extend_from_slice(&[*size as u8, *size as u8, 0, 0, 1, 0, 32, 0]);
            out.extend_from_slice(&(png.len() as u32).to_le_bytes());
            out.extend_from_slice(&offset.to_le_bytes());
            offset += png.len() as u32;
        }
        for (_, png) in &images {
            out.extend_from_slice(png);
        }
        out
    });
    image("image/x-icon", ico)
}

fn image(content_type: &'static str, bytes: &'static [u8]) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=604800"),
        ],
        bytes,
    )
        .into_response()
}

/// Caravan's mark, a cart wheel: a white rim, hub and six spokes on the theme colour. 4×4
/// samples per pixel smooth the edges.
fn draw(size: u32, maskable: bool) -> Vec<u8> {
    let n = size as f32;
    // The maskable icon keeps its drawing inside the central 80 % circle.
    let (rim, width) = if maskable {
        (0.27, 0.055)
    } else {
        (0.34, 0.07)
    };
    let corner = if maskable { 0.0 } else { 0.18 };
    let mut rgba = Vec::with_capacity((size * size * 4) as usize);
    for y in 0..size {
        for x in 0..size {
            let (mut tile, mut mark) = (0.0f32, 0.0f32);
            for sy in 0..4 {
                for sx in 0..4 {
                    let u = (x as f32 + (sx as f32 + 0.5) / 4.0) / n - 0.5;
                    let v = (y as f32 + (sy as f32 + 0.5) / 4.0) / n - 0.5;
                    if inside_rounded_square(u, v, corner) {
                        tile += 1.0;
                        if on_wheel(u, v, rim, width) {
                            mark += 1.0;
                        }
                    }
                }
            }
            let (tile, mark) = (tile / 16.0, mark / 16.0);
            let white = if tile > 0.0 { mark / tile } else { 0.0 };
            for c in THEME {
                rgba.push((c as f32 * (1.0 - white) + 255.0 * white).round() as u8);
            }
            rgba.push((tile * 255.0).round() as u8);
        }
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, size, size);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().expect("PNG header into memory");
    writer
        .write_image_data(&rgba)
        .expect("PNG data into memory");
    writer.finish().expect("PNG into memory");
    out
}

fn inside_rounded_square(u: f32, v: f32, corner: f32) -> bool {
    let edge = 0.5 - corner;
    let (du, dv) = ((u.abs() - edge).max(0.0), (v.abs() - edge).max(0.0));
    u.abs() <= 0.5 && v.abs() <= 0.5 && du * du + dv * dv <= corner * corner
}

fn on_wheel(u: f32, v: f32, rim: f32, width: f32) -> bool {
    let r = (u * u + v * v).sqrt();
    let on_rim = (r - rim).abs() <= width / 2.0;
    let hub = r <= width * 1.1;
    // Six spokes: distance from the nearest of three lines through the centre.
    let spoke = r < rim
        && (0..3).any(|i| {
            let a = std::f32::consts::PI * i as f32 / 3.0;
            (u * a.sin() - v * a.cos()).abs() <= width * 0.32
        });
    on_rim || hub || spoke
}

/// The start page when there is no network: the courses saved on this device (listed by
/// `app.js` from what `offline.js` remembered) and a way back.
async fn offline_page(headers: HeaderMap) -> Result<Html<String>> {
    let zh = prefers_chinese(&headers);
    Ok(Html(templates::render("offline.html", zh, json!({}))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(png: &[u8]) -> (u32, u32, Vec<u8>) {
        let decoder = png::Decoder::new(png);
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info.width, info.height, buf)
    }

    #[test]
    fn icons_are_the_size_they_say_with_a_white_mark_on_the_theme() {
        for maskable in [false, true] {
            let (w, h, rgba) = decode(&draw(192, maskable));
            assert_eq!((w, h), (192, 192));
            let px = |x: u32, y: u32| &rgba[((y * w + x) * 4) as usize..][..4];
            // The hub is white, a point between rim and spokes is the theme colour.
            assert_eq!(px(96, 96), &[255, 255, 255, 255]);
            assert_eq!(&px(96 + 30, 96 + 12)[..3], &THEME);
            // Rounded tile: transparent corner; maskable: full bleed.
            assert_eq!(px(0, 0)[3], if maskable { 255 } else { 0 });
        }
    }
}
