//! The printable transcript page.

use serde_json::json;

use crate::credentials::account::Account;

pub fn render(
    name: &str,
    generated_at: &str,
    account: &Account,
    zh: bool,
) -> crate::error::Result<String> {
    crate::http::pages::templates::render(
        "transcript.html",
        zh,
        json!({"name": name, "generated_at": &generated_at[..10], "account": account}),
    )
}
