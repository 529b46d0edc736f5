//! The Alternate Request Syntax of xAPI 1.0.3 (Communication 1.3), for browsers that can only
//! POST a form: `POST /xapi/…?method=PUT` whose form fields carry the headers, the parameters
//! and the `content`. It is rewritten into the ordinary request before routing. xAPI 2.0.0
//! removed the syntax, so it is refused under that version.

use axum::{
    body::Body,
    http::{header, HeaderName, HeaderValue, Method, Request, Uri},
    response::{IntoResponse, Response},
};

use super::VERSION_HEADER;
use crate::error::Error;

/// Headers a form may carry (Communication 1.3.s3.b3).
const FORM_HEADERS: [&str; 6] = [
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
];

/// Is this an alternate-syntax request?
pub fn applies(req: &Request<Body>) -> bool {
    req.method() == Method::POST
        && req.uri().path().starts_with("/xapi/")
        && req
            .uri()
            .query()
            .is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "method"))
}

fn refuse(detail: &str) -> Response {
    let mut r = Error::bad_request("xapi-alternate-syntax", detail.to_owned()).into_response();
    r.headers_mut()
        .insert(VERSION_HEADER, HeaderValue::from_static("1.0.3"));
    r
}

pub async fn rewrite(req: Request<Body>, limit: usize) -> Result<Request<Body>, Response> {
    let (parts, body) = req.into_parts();
    let query: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    if query.len() != 1 {
        return Err(refuse(
            "The alternate request syntax allows no parameter but method.",
        ));
    }
    let method = match query[0].1.as_str() {
        "GET" => Method::GET,
        "PUT" => Method::PUT,
        "POST" => Method::POST,
        "DELETE" => Method::DELETE,
        "HEAD" => Method::HEAD,
        _ => return Err(refuse("method must be GET, HEAD, PUT, POST or DELETE.")),
    };
    let is_form = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| {
            m.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(refuse(
            "The alternate request syntax sends a form (application/x-www-form-urlencoded).",
        ));
    }
    let bytes = axum::body::to_bytes(body, limit)
        .await
        .map_err(|_| refuse("The form could not be read or is too large."))?;
    let mut headers = parts.headers.clone();
    headers.remove(header::CONTENT_TYPE);
    headers.remove(header::CONTENT_LENGTH);
    let mut params = form_urlencoded::Serializer::new(String::new());
    let mut content = Vec::new();
    for (name, value) in form_urlencoded::parse(&bytes) {
        let lower = name.to_ascii_lowercase();
        if lower == "content" {
            content = value.into_owned().into_bytes();
        } else if FORM_HEADERS.contains(&lower.as_str()) {
            let (Ok(name), Ok(value)) = (
                HeaderName::try_from(lower.as_str()),
                HeaderValue::try_from(value.as_ref()),
            ) else {
                return Err(refuse("A header in the form is malformed."));
            };
            if name != header::CONTENT_LENGTH {
                headers.insert(name, value);
            }
        } else {
            params.append_pair(&name, &value);
        }
    }
    if headers.get(&VERSION_HEADER).and_then(|v| v.to_str().ok()) == Some("2.0.0") {
        return Err(refuse(
            "xAPI 2.0.0 has no alternate request syntax; send the request itself.",
        ));
    }
    if !content.is_empty() && !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    let query = params.finish();
    let uri = if query.is_empty() {
        parts.uri.path().to_owned()
    } else {
        format!("{}?{query}", parts.uri.path())
    };
    let mut req = Request::new(Body::from(content));
    *req.method_mut() = method;
    *req.uri_mut() = uri
        .parse::<Uri>()
        .map_err(|_| refuse("The form's parameters do not make an address."))?;
    *req.headers_mut() = headers;
    *req.extensions_mut() = parts.extensions;
    Ok(req)
}
