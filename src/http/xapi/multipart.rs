//! `multipart/mixed` bodies of statements with attachments (Communication 1.5.2): the first
//! part is the JSON, each further part one attachment's raw bytes named by its SHA-2 hash.

use bytes::Bytes;

use crate::error::{Error, Result};

pub struct Part {
    pub content_type: String,
    pub hash: String,
    pub transfer_encoding: Option<String>,
    pub body: Bytes,
}

fn bad(detail: impl Into<String>) -> Error {
    Error::bad_request("xapi-bad-multipart", detail)
}

/// The boundary of a `multipart/mixed` content type, or `None` for another type.
pub fn boundary(content_type: &str) -> Option<Result<String>> {
    let mut params = content_type.split(';');
    let mime = params.next()?.trim();
    if !mime.eq_ignore_ascii_case("multipart/mixed") {
        return None;
    }
    let boundary = params.find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("boundary")
            .then(|| v.trim().trim_matches('"').to_owned())
    });
    Some(
        boundary
            .filter(|b| !b.is_empty())
            .ok_or_else(|| bad("The multipart body names no boundary.")),
    )
}

/// Splits a body into its JSON part and attachment parts.
pub fn parse(boundary: &str, body: &Bytes) -> Result<(Bytes, Vec<Part>)> {
    let delimiter = format!("--{boundary}");
    let d = delimiter.as_bytes();
    let mut pos = find(body, d, 0).ok_or_else(|| bad("The multipart body has no parts."))?;
    let mut parts = Vec::new();
    loop {
        pos += d.len();
        if body[pos..].starts_with(b"--") {
            break;
        }
        let start = skip_crlf(body, pos);
        let next =
            find(body, d, start).ok_or_else(|| bad("A multipart part is not terminated."))?;
        // The CRLF before the delimiter belongs to the delimiter.
        let mut end = next;
        if end >= start + 2 && &body[end - 2..end] == b"\r\n" {
            end -= 2;
        }
        parts.push(parse_part(body.slice(start..end))?);
        pos = next;
    }
    let mut parts = parts.into_iter();
    let first = parts
        .next()
        .ok_or_else(|| bad("The multipart body has no parts."))?;
    if !first
        .content_type
        .to_ascii_lowercase()
        .starts_with("application/json")
    {
        return Err(bad(
            "The first part must be the statements as application/json.",
        ));
    }
    Ok((first.body, parts.collect()))
}

fn parse_part(raw: Bytes) -> Result<Part> {
    let split = find(&raw, b"\r\n\r\n", 0);
    let (head, body) = match split {
        Some(i) => (&raw[..i], raw.slice(i + 4..)),
        None if raw.starts_with(b"\r\n") => (&raw[..0], raw.slice(2..)),
        None => return Err(bad("A multipart part has no header/body separator.")),
    };
    let head = std::str::from_utf8(head).map_err(|_| bad("A part's headers are not text."))?;
    let mut part = Part {
        content_type: String::new(),
        hash: String::new(),
        transfer_encoding: None,
        body,
    };
    for line in head.split("\r\n").filter(|l| !l.is_empty()) {
        let (name, value) = line
            .split_once(':')
            .ok_or_else(|| bad("A part has a malformed header."))?;
        let value = value.trim().to_owned();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-type" => part.content_type = value,
            "x-experience-api-hash" => part.hash = value.to_ascii_lowercase(),
            "content-transfer-encoding" => part.transfer_encoding = Some(value),
            _ => {}
        }
    }
    Ok(part)
}

fn skip_crlf(body: &[u8], pos: usize) -> usize {
    if body[pos..].starts_with(b"\r\n") {
        pos + 2
    } else {
        pos
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if from > hay.len() {
        return None;
    }
    memchr::memmem::find(&hay[from..], needle).map(|i| i + from)
}

/// A `multipart/mixed` response: the JSON, then each attachment once.
pub fn build(json: &[u8], attachments: &[(String, String, Vec<u8>)]) -> (String, Vec<u8>) {
    let boundary = format!("caravan-{}", uuid::Uuid::new_v4().simple());
    let mut out = Vec::with_capacity(json.len() + 256);
    out.extend_from_slice(
        format!("--{boundary}\r\nContent-Type: application/json\r\n\r\n").as_bytes(),
    );
    out.extend_from_slice(json);
    for (hash, content_type, bytes) in attachments {
        out.extend_from_slice(
            format!(
                "\r\n--{boundary}\r\nContent-Type: {content_type}\r\n\
                 Content-Transfer-Encoding: binary\r\nX-Experience-API-Hash: {hash}\r\n\r\n"
            )
            .as_bytes(),
        );
        out.extend_from_slice(bytes);
    }
    out.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/mixed; boundary={boundary}"), out)
}
