//! Who is asking: session cookies and API tokens, roles and CSRF tokens.
//! (The sign-in rate limit is kept by the registry, in its database; the
//! checks made before a body is read are in `guard.rs`.)

use axum::http::{header, HeaderMap, StatusCode};
use telltale_registry::accounts::csrf_token;
use telltale_registry::{Role, User};

use crate::{App, Failure};

pub const SESSION_COOKIE: &str = "telltale_session";
/// Double-submit cookie that protects the sign-in form itself.
pub const LOGIN_COOKIE: &str = "telltale_login";

/// The signed-in user behind a request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: User,
    /// The session's secret, when signed in by cookie (not by API token).
    session: Option<String>,
}

impl Caller {
    /// The CSRF token forms must carry (empty for API-token callers, who
    /// need none).
    pub fn csrf(&self) -> String {
        self.session.as_deref().map(csrf_token).unwrap_or_default()
    }

    /// Whether a Bearer API token authenticated the request (rather than a
    /// session cookie).
    pub fn by_token(&self) -> bool {
        self.session.is_none()
    }

    /// The name the audit log records.
    pub fn actor(&self) -> String {
        match self.session {
            Some(_) => format!("web:{}", self.user.name),
            None => format!("api:{}", self.user.name),
        }
    }
}

pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

/// The caller, if the request carries a live session or API token.
pub async fn caller(app: &App, headers: &HeaderMap) -> Result<Option<Caller>, Failure> {
    if let Some(token) = bearer(headers) {
        let token = token.to_string();
        let user = app.run("api".into(), move |r| r.token_user(&token)).await?;
        return match user {
            Some(user) => Ok(Some(Caller {
                user,
                session: None,
            })),
            None => Err(Failure::new(
                StatusCode::UNAUTHORIZED,
                "the API token is unknown or revoked",
            )),
        };
    }
    if let Some(token) = cookie(headers, SESSION_COOKIE) {
        let token = token.to_string();
        let t2 = token.clone();
        let user = app.run("web".into(), move |r| r.session_user(&t2)).await?;
        return Ok(user.map(|user| Caller {
            user,
            session: Some(token),
        }));
    }
    Ok(None)
}

/// The caller, who must hold one of `roles`. Browsers that are not signed
/// in are sent to the sign-in page.
pub async fn require(
    app: &App,
    headers: &HeaderMap,
    roles: &[Role],
    html: bool,
) -> Result<Caller, Failure> {
    let Some(c) = caller(app, headers).await.map_err(|f| f.with_html(html))? else {
        if html {
            let mut f = Failure::new(StatusCode::SEE_OTHER, "sign in first");
            f.location = Some("/login".into());
            return Err(f);
        }
        return Err(Failure::new(
            StatusCode::UNAUTHORIZED,
            "sign in, or send an API token as 'Authorization: Bearer tt_…'",
        ));
    };
    if !roles.contains(&c.user.role) {
        let names: Vec<&str> = roles.iter().map(|r| r.name()).collect();
        return Err(Failure::forbidden(format!(
            "this needs the {} role; {} is {}",
            names.join(" or "),
            c.user.name,
            c.user.role.name()
        ))
        .with_html(html));
    }
    Ok(c)
}

impl Failure {
    pub fn with_html(mut self, html: bool) -> Failure {
        self.html = html;
        self
    }
}

/// A `Set-Cookie` value.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}
