//! Self-registration: anyone may ask for an account where the platform (`open_registration`)
//! or an organisation lets them, and the account exists once the address confirms the link
//! mailed to it.
//!
//! Nothing tells an asker whether an address already has an account: every well-formed request
//! is answered the same way, after the same work (a password hash and one message). A new
//! address gets a confirmation link; an address that has an account gets a note saying so,
//! which only its owner reads. Requests are counted per client address and per e-mail address
//! (`accounts::throttle`), so neither a script nor a mail bomb gets far.

mod store;

use std::net::IpAddr;

use crate::{
    accounts::{self, password, preferences, throttle, tokens, OrgRole, User},
    catalogue::vocab::{self, Vocabulary},
    context::Context,
    db::time::now_ms,
    error::{Error, FieldError, Result},
    mail::{self, Mail},
    orgs::{self, members},
    values::{Email, Text},
};
use store::Pending;

/// How long a confirmation link works.
pub const LINK_TTL_MS: i64 = 24 * 3600 * 1000;

/// The languages pages and mail come in.
pub const LANGUAGES: [&str; 2] = ["en", "zh"];

/// A registration as asked (the fields of the form, or the API request's body).
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = RegistrationRequest)]
pub struct Request {
    pub email: String,
    pub password: String,
    pub display_name: String,
    /// `en` (the default) or `zh`: the language of the mail and, later, of the pages.
    #[serde(default)]
    pub language: Option<String>,
    /// Target groups the person belongs to (slugs of `/api/v1/vocab/target-groups`: veterans,
    /// migrant workers, …), kept only with `consent` and used only in aggregate reports.
    #[serde(default)]
    pub target_groups: Vec<String>,
    #[serde(default)]
    pub consent: bool,
    /// Register into this organisation as a learner (it must have opened registration);
    /// without it, on the platform (its `open_registration` setting).
    #[serde(default)]
    pub org_id: Option<String>,
}

/// Whether registration is open: into `org_id` when given, else on the platform.
pub async fn is_open(ctx: &Context, org_id: Option<&str>) -> Result<bool> {
    match org_id {
        Some(id) => orgs::open_registration(&ctx.db, id).await,
        None => Ok(ctx.settings.open_registration),
    }
}

struct Valid {
    email: Email,
    display_name: Text,
    password: password::Password,
    language: &'static str,
    target_groups: Vec<String>,
}

async fn validate(ctx: &Context, r: &Request) -> Result<Valid> {
    let mut errors = Vec::new();
    let email = Email::parse(&r.email)
        .map_err(|m| errors.push(FieldError::new("email", m)))
        .ok();
    let display_name = password::display_name(&r.display_name)
        .map_err(|m| errors.push(FieldError::new("display_name", m)))
        .ok();
    let pw = password::Password::parse(&r.password)
        .map_err(|m| errors.push(FieldError::new("password", m)))
        .ok();
    let language = match r.language.as_deref().map(str::trim) {
        None | Some("") => Some(LANGUAGES[0]),
        Some(l) => {
            let found = LANGUAGES.into_iter().find(|known| *known == l);
            if found.is_none() {
                errors.push(FieldError::new("language", "must be en or zh"));
            }
            found
        }
    };
    let target_groups = consented_groups(ctx, &r.target_groups, r.consent, &mut errors).await?;
    match (email, display_name, pw, language) {
        (Some(email), Some(display_name), Some(password), Some(language)) if errors.is_empty() => {
            Ok(Valid {
                email,
                display_name,
                password,
                language,
                target_groups,
            })
        }
        _ => Err(Error::Validation(errors)),
    }
}

/// The distinct known target groups of `groups`, listing unknown ones and a missing consent
/// in `errors`.
async fn consented_groups(
    ctx: &Context,
    groups: &[String],
    consent: bool,
    errors: &mut Vec<FieldError>,
) -> Result<Vec<String>> {
    let known: Vec<String> = vocab::list(&ctx.db, Vocabulary::TargetGroups)
        .await?
        .into_iter()
        .map(|t| t.slug)
        .collect();
    let mut kept = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        if !known.contains(g) {
            errors.push(FieldError::new(
                format!("target_groups[{i}]"),
                "is not a known target group",
            ));
        } else if !kept.contains(g) {
            kept.push(g.clone());
        }
    }
    if !kept.is_empty() && !consent {
        errors.push(FieldError::new(
            "consent",
            "target groups are kept only with your consent",
        ));
    }
    Ok(kept)
}

/// Replaces the target groups a learner says they belong to; an empty list withdraws the
/// consent and forgets them (reports stop counting them at once).
pub async fn set_target_groups(
    ctx: &Context,
    user: &User,
    groups: &[String],
    consent: bool,
) -> Result<Vec<String>> {
    let mut errors = Vec::new();
    let kept = consented_groups(ctx, groups, consent, &mut errors).await?;
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    preferences::set_target_groups(&ctx.db, &user.id, &kept).await?;
    Ok(kept)
}

/// Takes a registration: refuses it when registration is closed (403 `registration-closed`),
/// the fields are wrong (422) or the asker has asked too often (429); otherwise mails the
/// address and returns, the same way whether or not it has an account.
pub async fn ask(ctx: &Context, r: &Request, from: IpAddr) -> Result<()> {
    if !is_open(ctx, r.org_id.as_deref()).await? {
        return Err(Error::Denied {
            code: "registration-closed",
            detail: "Registration is not open here; ask your training centre for a join code."
                .into(),
        });
    }
    let v = validate(ctx, r).await?;
    throttle::reserve(
        &ctx.db,
        &[
            throttle::Key::registrations_from(&from.to_string()),
            throttle::Key::registrations_for(v.email.as_str()),
        ],
    )
    .await?;
    // Hashed either way, so a known address answers no sooner than a new one.
    let password_hash = password::hash(v.password).await?;
    let zh = v.language == "zh";
    let public_url = &ctx.settings.public_url;
    let message = if accounts::find_by_email(&ctx.db, &v.email).await?.is_some() {
        already_registered(zh, public_url)
    } else {
        let token = tokens::generate();
        let now = now_ms();
        let pending = Pending {
            email: v.email.as_str().to_owned(),
            display_name: v.display_name.as_str().to_owned(),
            password_hash,
            language: v.language.to_owned(),
            target_groups: serde_json::to_string(&v.target_groups).unwrap_or_default(),
            consented_at: (!v.target_groups.is_empty()).then_some(now),
            org_id: r.org_id.clone(),
        };
        store::prune(&ctx.db, now).await?;
        store::insert(
            &ctx.db,
            &tokens::digest(&token),
            &pending,
            now,
            now + LINK_TTL_MS,
        )
        .await?;
        confirm_link(zh, public_url, v.display_name.as_str(), &token)
    };
    mail::send(
        &ctx.settings,
        Mail {
            to: v.email.as_str(),
            subject: message.0,
            body: message.1,
        },
    )
    .await
}

/// Creates the account of a confirmed registration (with its language, its target groups and
/// consent, and its organisation's learner membership) and returns it. A link that is unknown,
/// used or expired is 400 `registration-link-invalid`; an address that got an account
/// meanwhile is 409.
pub async fn confirm(ctx: &Context, token: &str) -> Result<User> {
    let Some(p) = store::take(&ctx.db, &tokens::digest(token), now_ms()).await? else {
        return Err(Error::bad_request(
            "registration-link-invalid",
            "This link is not valid any more: it was used, or it is more than a day old. \
             Register again to get a new one.",
        ));
    };
    let email = Email::parse(&p.email)
        .map_err(|e| Error::Internal(anyhow::anyhow!("a stored address is invalid: {e}")))?;
    let name = password::display_name(&p.display_name)
        .map_err(|e| Error::Internal(anyhow::anyhow!("a stored name is invalid: {e}")))?;
    let user = accounts::create_user(&ctx.db, &email, &name, &p.password_hash, false).await?;
    preferences::set_language(&ctx.db, &user.id, &p.language).await?;
    let groups: Vec<String> = serde_json::from_str(&p.target_groups).unwrap_or_default();
    if p.consented_at.is_some() && !groups.is_empty() {
        preferences::set_target_groups(&ctx.db, &user.id, &groups).await?;
    }
    if let Some(org_id) = &p.org_id {
        members::insert_membership(&ctx.db, org_id, &user.id, OrgRole::Learner).await?;
    }
    Ok(user)
}

fn confirm_link(zh: bool, public_url: &str, name: &str, token: &str) -> (String, String) {
    let link = format!("{public_url}/register/confirm?token={token}");
    if zh {
        (
            "请确认您的 Caravan 账号".to_owned(),
            format!(
                "{name}，您好：\n\n请在 24 小时内打开下面的链接，完成账号注册：\n{link}\n\n\
                 如果您没有申请账号，请忽略本邮件。\n"
            ),
        )
    } else {
        (
            "Confirm your Caravan account".to_owned(),
            format!(
                "Hello {name},\n\nTo finish creating your account, open this link within 24 \
                 hours:\n{link}\n\nIf you did not ask for an account, ignore this message.\n"
            ),
        )
    }
}

fn already_registered(zh: bool, public_url: &str) -> (String, String) {
    let login = format!("{public_url}/login");
    if zh {
        (
            "您的 Caravan 账号".to_owned(),
            format!(
                "有人（也许是您）用这个邮箱申请注册新账号，但该邮箱已有账号。\n\
                 请在这里登录：{login}\n如果忘记了密码，请联系您所在机构的管理员。\n"
            ),
        )
    } else {
        (
            "Your Caravan account".to_owned(),
            format!(
                "Someone, perhaps you, asked to register a new account with this address, which \
                 already has one.\nSign in here: {login}\nIf you forgot your password, ask your \
                 organisation's administrator.\n"
            ),
        )
    }
}
