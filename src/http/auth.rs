//! Login, logout, the caller's own profile, and self-registration with a join code.

use axum::{extract::State, http::StatusCode, response::IntoResponse};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::extract::{presented_token, Caller, ClientAddr, Json, Path, SESSION_COOKIE};
use crate::{
    accounts::{self, password, throttle, Membership, User},
    db::time::to_rfc3339,
    error::{Error, FieldError, Result},
    http::AppState,
    orgs::{
        join_codes,
        members::{self, Invitation},
    },
    values::Email,
};

pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(accept_invitation))
        .routes(routes!(decline_invitation))
        .routes(routes!(join))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    email: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub is_superadmin: bool,
    pub created_at: String,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            email: u.email,
            display_name: u.display_name,
            is_superadmin: u.is_superadmin,
            created_at: to_rfc3339(u.created_at),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LoginResponse {
    /// Opaque bearer token; also set as the HttpOnly session cookie.
    token: String,
    user: UserView,
}

/// Exchange e-mail and password for a bearer token and a session cookie.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = crate::http::problem::Problem),
              (status = 429, body = crate::http::problem::Problem)))]
async fn login(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    jar: CookieJar,
    Json(req): Json<LoginRequest>,
) -> Result<impl IntoResponse> {
    let (user, token, jar) = sign_in(&state, addr, jar, &req.email, req.password).await?;
    Ok((
        jar,
        Json(LoginResponse {
            token,
            user: user.into(),
        }),
    ))
}

/// Remembers that a device signed in to an account, so that its attempts are throttled apart
/// from everyone else's (see `accounts::throttle`).
pub const DEVICE_COOKIE: &str = "caravan_device";
const DEVICE_TTL_SECS: i64 = 365 * 24 * 3600;

/// The account a device cookie names and the device's id, when the cookie is genuine.
fn known_device(state: &AppState, value: &str) -> Option<(String, String)> {
    let mut parts = value.splitn(4, '~');
    let (user_id, exp, kid, sig) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let path = format!("device:{user_id}");
    state.delivery.signer.verify(&path, exp, kid, sig).ok()?;
    Some((user_id.to_owned(), sig.chars().take(22).collect()))
}

fn device_cookie(state: &AppState, user_id: &str) -> Cookie<'static> {
    let exp = crate::db::time::now_ms() / 1000 + DEVICE_TTL_SECS;
    let signed = state
        .delivery
        .signer
        .sign(&format!("device:{user_id}"), exp);
    let field = |name: &str| {
        form_urlencoded::parse(signed.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    let value = format!("{user_id}~{exp}~{}~{}", field("kid"), field("sig"));
    Cookie::build((DEVICE_COOKIE, value))
        .http_only(true)
        .secure(secure_cookies(state))
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(time::Duration::seconds(DEVICE_TTL_SECS))
        .build()
}

/// Checks e-mail and password (throttled, see `accounts::throttle`) and opens a session: the
/// one way in, for the API and the login page alike. The jar comes back with the session and
/// device cookies set.
pub async fn sign_in(
    state: &AppState,
    addr: std::net::IpAddr,
    jar: CookieJar,
    email: &str,
    password: String,
) -> Result<(accounts::User, String, CookieJar)> {
    let email = Email::parse(email).map_err(|m| Error::field("email", m))?;
    let user = accounts::find_by_email(&state.db, &email).await?;
    let device = jar
        .get(DEVICE_COOKIE)
        .and_then(|c| known_device(state, c.value()));
    let keys = match (&user, device) {
        (Some(u), Some((owner, device))) if owner == u.id => {
            vec![throttle::Key::device(email.as_str(), &device)]
        }
        _ => {
            let addr = addr.to_string();
            vec![
                throttle::Key::account_from(email.as_str(), &addr),
                throttle::Key::account(email.as_str()),
                throttle::Key::address(&addr),
            ]
        }
    };
    throttle::reserve(&state.db, &keys).await?;
    let stored = match &user {
        Some(u) => accounts::password_hash_of(&state.db, &u.id).await?,
        None => None,
    };
    let ok = password::verify(stored, password).await?;
    let Some(user) = user.filter(|_| ok) else {
        return Err(Error::Unauthenticated);
    };
    throttle::release(&state.db, &keys).await?;
    let (token, jar) = new_session(state, jar, &user).await?;
    let jar = jar.add(device_cookie(state, &user.id));
    Ok((user, token, jar))
}

/// A new session for the account (signed in, or just created by a confirmed registration): its
/// token and the cookies a browser keeps (the session, the chosen language).
pub async fn new_session(
    state: &AppState,
    jar: CookieJar,
    user: &accounts::User,
) -> Result<(String, CookieJar)> {
    let token = accounts::create_session(&state.db, &user.id, state.settings.session_ttl).await?;
    let jar = jar.add(session_cookie(&token, state));
    let jar = match accounts::preferences::language(&state.db, &user.id).await? {
        Some(language) => jar.add(language_cookie(&language, state)),
        None => jar,
    };
    Ok((token, jar))
}

/// The account's chosen language for its pages (`templates::chinese` reads it).
pub fn language_cookie(language: &str, state: &AppState) -> Cookie<'static> {
    Cookie::build((
        crate::http::pages::templates::LANGUAGE_COOKIE,
        language.to_owned(),
    ))
    .secure(secure_cookies(state))
    .same_site(SameSite::Lax)
    .path("/")
    .max_age(time::Duration::days(365))
    .build()
}

/// Cookies carry `Secure` when the server is reached over HTTPS.
pub fn secure_cookies(state: &AppState) -> bool {
    state.settings.public_url.starts_with("https://")
}

pub fn session_cookie(token: &str, state: &AppState) -> Cookie<'static> {
    Cookie::build((SESSION_COOKIE, token.to_owned()))
        .http_only(true)
        .secure(secure_cookies(state))
        .same_site(SameSite::Lax)
        .path("/")
        .max_age(time::Duration::seconds(
            state.settings.session_ttl.as_secs() as i64,
        ))
        .build()
}

/// Revoke the presented token or session cookie.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 401, body = crate::http::problem::Problem)))]
async fn logout(
    State(state): State<AppState>,
    caller: Caller,
    headers: axum::http::HeaderMap,
    jar: CookieJar,
) -> Result<impl IntoResponse> {
    caller.user()?;
    if let Some(token) = presented_token(&headers) {
        state.sessions.revoke(&state.db, &token).await?;
    }
    let jar = jar.remove(Cookie::build(SESSION_COOKIE).path("/"));
    Ok((StatusCode::NO_CONTENT, jar))
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    user: UserView,
    memberships: Vec<Membership>,
    /// Organisations that invited this account; it joins one by accepting.
    invitations: Vec<Invitation>,
    /// The xAPI Agent that stands for this account in statements (an `account` on this
    /// server's public URL): the actor of the statements a learner's player sends.
    #[schema(value_type = Object)]
    actor: serde_json::Value,
    /// The language the account chose for pages and mail (`en`, `zh`), if it chose one.
    language: Option<String>,
    /// The target groups the learner said they belong to, kept with their consent.
    target_groups: Vec<String>,
}

/// The caller and the organisations they belong to.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = []), ("session" = [])),
    responses((status = 200, body = Me), (status = 401, body = crate::http::problem::Problem)))]
async fn me(State(state): State<AppState>, caller: Caller) -> Result<Json<Me>> {
    let user = caller.user()?.clone();
    let memberships = accounts::memberships(&state.db, &user.id).await?;
    let invitations = members::invitations(&state.db, &user.id).await?;
    let actor = crate::progress::statements::learner_actor(&state.settings.public_url, &user.id);
    let language = accounts::preferences::language(&state.db, &user.id).await?;
    let target_groups = accounts::preferences::target_groups(&state.db, &user.id).await?;
    Ok(Json(Me {
        user: user.into(),
        memberships,
        invitations,
        actor,
        language,
        target_groups,
    }))
}

/// Accept an organisation's invitation: the caller joins it with the invited role.
#[utoipa::path(post, path = "/api/v1/me/invitations/{org_id}/accept", tag = "auth",
    security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 401, body = crate::http::problem::Problem),
              (status = 404, body = crate::http::problem::Problem)))]
async fn accept_invitation(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<StatusCode> {
    members::answer(&state.db, &caller.user()?.id, &org_id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Decline an organisation's invitation.
#[utoipa::path(post, path = "/api/v1/me/invitations/{org_id}/decline", tag = "auth",
    security(("bearer" = []), ("session" = [])),
    responses((status = 204), (status = 401, body = crate::http::problem::Problem),
              (status = 404, body = crate::http::problem::Problem)))]
async fn decline_invitation(
    State(state): State<AppState>,
    caller: Caller,
    Path(org_id): Path<String>,
) -> Result<StatusCode> {
    members::answer(&state.db, &caller.user()?.id, &org_id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct JoinRequest {
    code: String,
    /// Required when not logged in: the new account's details.
    email: Option<String>,
    display_name: Option<String>,
    password: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct JoinResponse {
    org_id: String,
    role: accounts::OrgRole,
    /// Set when a new account was created (the caller is then logged in with it).
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<String>,
    user: UserView,
}

/// Join an organisation as a learner with a join code: a logged-in user joins as themself, an
/// address that has an account signs in with its password, and anyone else registers a new
/// account at the same time.
#[utoipa::path(post, path = "/api/v1/join", tag = "auth", request_body = JoinRequest,
    responses((status = 201, body = JoinResponse), (status = 404, body = crate::http::problem::Problem),
              (status = 409, body = crate::http::problem::Problem), (status = 422, body = crate::http::problem::Problem)))]
async fn join(
    State(state): State<AppState>,
    caller: Caller,
    ClientAddr(addr): ClientAddr,
    jar: CookieJar,
    Json(req): Json<JoinRequest>,
) -> Result<impl IntoResponse> {
    let known = match (
        &caller.0,
        Email::parse(req.email.as_deref().unwrap_or_default()),
    ) {
        (None, Ok(email)) => accounts::find_by_email(&state.db, &email).await?.is_some(),
        _ => false,
    };
    let (user, token, jar) = match caller.0 {
        Some(user) => (user, None, jar),
        // An address with an account signs in with its password (throttled like any sign-in)
        // instead of being told that the account exists.
        None if known => {
            join_codes::peek(&state.db, &req.code).await?;
            let email = req.email.as_deref().unwrap_or_default();
            let password = req.password.clone().unwrap_or_default();
            let (user, token, jar) = sign_in(&state, addr, jar, email, password).await?;
            (user, Some(token), jar)
        }
        None => {
            let mut errors = Vec::new();
            let email = Email::parse(req.email.as_deref().unwrap_or_default())
                .map_err(|m| errors.push(FieldError::new("email", m)))
                .ok();
            let name = password::display_name(req.display_name.as_deref().unwrap_or_default())
                .map_err(|m| errors.push(FieldError::new("display_name", m)))
                .ok();
            let pw = password::Password::parse(req.password.as_deref().unwrap_or_default())
                .map_err(|m| errors.push(FieldError::new("password", m)))
                .ok();
            let (Some(email), Some(name), Some(pw)) = (email, name, pw) else {
                return Err(Error::Validation(errors));
            };
            // Check the code before creating an account that would otherwise be orphaned.
            join_codes::peek(&state.db, &req.code).await?;
            let hash = password::hash(pw).await?;
            let user = accounts::create_user(&state.db, &email, &name, &hash, false).await?;
            let token =
                accounts::create_session(&state.db, &user.id, state.settings.session_ttl).await?;
            let jar = jar.add(session_cookie(&token, &state));
            (user, Some(token), jar)
        }
    };
    let (org_id, role) = join_codes::redeem(&state.db, &req.code, &user.id).await?;
    Ok((
        StatusCode::CREATED,
        jar,
        Json(JoinResponse {
            org_id,
            role,
            token,
            user: user.into(),
        }),
    ))
}
