//! Sign-in and accounts: the sign-in form and its rate-limited check,
//! signing out, the admins' user management and everyone's API tokens.
//! Kept apart from the document and trace pages because these handle
//! credentials, not documents.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form as UrlForm;
use maud::html;
use telltale_registry::accounts::{SignIn, SignInLimit, SESSION_SECONDS};
use telltale_registry::Role;

use super::{ok, Page};
use crate::auth::{self, require, Caller};
use crate::view::{csrf, page};
use crate::{logs, App, Failure};

fn start_for(role: Role) -> &'static str {
    match role {
        Role::Author => "/documents",
        Role::Investigator => "/trace",
        Role::Admin => "/admin/users",
    }
}

pub(super) async fn home(State(app): State<App>, headers: HeaderMap) -> Page {
    match auth::caller(&app, &headers).await {
        Ok(Some(c)) => Ok(Redirect::to(start_for(c.user.role)).into_response()),
        _ => Ok(Redirect::to("/login").into_response()),
    }
}

fn random_hex() -> Result<String, Failure> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| Failure::internal(&format!("no randomness: {e}")))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

fn login_page(app: &App, status: StatusCode, error: Option<&str>) -> Response {
    let token = match random_hex() {
        Ok(t) => t,
        Err(f) => return f.page().into_response(),
    };
    let body = html! {
        h1 { "Sign in" }
        @if let Some(e) = error { p.error id="error" { (e) } }
        form.card method="post" action="/login" id="login-form" {
            input type="hidden" name="login_csrf" value=(token);
            label { "User name" input type="text" name="user" id="user" autocomplete="username" required; }
            label { "Password" input type="password" name="password" id="password" autocomplete="current-password" required; }
            button type="submit" id="sign-in" { "Sign in" }
        }
    };
    (
        status,
        [(
            header::SET_COOKIE,
            auth::set_cookie(
                auth::LOGIN_COOKIE,
                &token,
                3600,
                app.config().secure_cookies,
            ),
        )],
        Html(page("Sign in", None, body)),
    )
        .into_response()
}

pub(super) async fn login_form(State(app): State<App>) -> Response {
    login_page(&app, StatusCode::OK, None)
}

#[derive(serde::Deserialize)]
pub(super) struct Login {
    user: String,
    password: String,
    login_csrf: String,
}

pub(super) async fn login(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    UrlForm(f): UrlForm<Login>,
) -> Page {
    if auth::cookie(&headers, auth::LOGIN_COOKIE) != Some(f.login_csrf.as_str())
        || f.login_csrf.is_empty()
    {
        return Ok(login_page(
            &app,
            StatusCode::FORBIDDEN,
            Some("The sign-in form expired; please try again."),
        ));
    }
    let cfg = app.config().clone();
    let limit = SignInLimit {
        max: cfg.login_failures,
        window_seconds: i64::try_from(cfg.login_window.as_secs()).unwrap_or(i64::MAX / 2),
    };
    let (name, pw, client) = (f.user.clone(), f.password, peer.ip().to_string());
    // The attempt is reserved in the database before the password is
    // hashed (see `Registry::sign_in`).
    let outcome = app
        .run(format!("web:{}", f.user), move |r| {
            r.sign_in(&name, &pw, &client, limit)
        })
        .await?;
    match outcome {
        SignIn::Limited { retry_after } => {
            tracing::warn!(user = %logs::escaped(&f.user), ip = %peer.ip(), "sign-in refused: too many attempts");
            Ok(login_page(
                &app,
                StatusCode::TOO_MANY_REQUESTS,
                Some(&format!(
                    "Too many failed sign-ins; try again in {} minutes.",
                    ((retry_after + 59) / 60).max(1)
                )),
            ))
        }
        SignIn::Rejected => {
            tracing::warn!(user = %logs::escaped(&f.user), ip = %peer.ip(), "failed sign-in");
            Ok(login_page(
                &app,
                StatusCode::UNAUTHORIZED,
                Some("Wrong user name or password."),
            ))
        }
        SignIn::Accepted { session, user } => Ok((
            [(
                header::SET_COOKIE,
                auth::set_cookie(
                    auth::SESSION_COOKIE,
                    &session,
                    SESSION_SECONDS,
                    cfg.secure_cookies,
                ),
            )],
            Redirect::to(start_for(user.role)),
        )
            .into_response()),
    }
}

pub(super) async fn logout(State(app): State<App>, headers: HeaderMap) -> Page {
    if let Some(token) = auth::cookie(&headers, auth::SESSION_COOKIE) {
        let t = token.to_string();
        app.run("web".into(), move |r| r.end_session(&t)).await?;
    }
    Ok((
        [(
            header::SET_COOKIE,
            auth::set_cookie(auth::SESSION_COOKIE, "", 0, app.config().secure_cookies),
        )],
        Redirect::to("/login"),
    )
        .into_response())
}

// ---- admins ----

pub(super) async fn users(State(app): State<App>, headers: HeaderMap) -> Page {
    let c = require(&app, &headers, &[Role::Admin], true).await?;
    let list = app
        .run(c.actor(), |r| r.users())
        .await
        .map_err(Failure::page)?;
    ok(
        "Users",
        &c,
        html! {
            h1 { "Users" }
            table id="users" {
                thead { tr { th { "Name" } th { "Role" } th { "State" } th {} } }
                tbody { @for u in &list { tr {
                    td { (u.name) } td { (u.role.name()) } td { @if u.disabled { "disabled" } @else { "active" } }
                    td {
                        form.inline method="post" action={ "/admin/users/" (u.name) } {
                            (csrf(&c))
                            select name="role" { @for r in Role::ALL { option value=(r.name()) selected[r == u.role] { (r.name()) } } }
                            select name="state" { option value="active" selected[!u.disabled] { "active" } option value="disabled" selected[u.disabled] { "disabled" } }
                            input type="password" name="password" placeholder="new password (optional)" autocomplete="new-password";
                            button type="submit" { "Save" }
                        }
                    }
                } } }
            }
            h2 { "Add a user" }
            form.card method="post" action="/admin/users" id="add-user" {
                (csrf(&c))
                label { "Name" input type="text" name="name" required; }
                label { "Role" select name="role" { @for r in Role::ALL { option value=(r.name()) { (r.name()) } } } }
                label { "Password (at least 10 characters)" input type="password" name="password" required autocomplete="new-password"; }
                button type="submit" { "Add" }
            }
        },
    )
}

#[derive(serde::Deserialize)]
pub(super) struct UserForm {
    name: String,
    role: String,
    password: String,
}

pub(super) async fn add_user(
    State(app): State<App>,
    headers: HeaderMap,
    UrlForm(f): UrlForm<UserForm>,
) -> Page {
    let c = require(&app, &headers, &[Role::Admin], true).await?;
    let role = Role::from_name(&f.role)
        .ok_or_else(|| Failure::bad(format!("unknown role {}", f.role)).page())?;
    app.run(c.actor(), move |r| {
        r.add_user(f.name.trim(), role, &f.password)
    })
    .await
    .map_err(Failure::page)?;
    Ok(Redirect::to("/admin/users").into_response())
}

#[derive(serde::Deserialize)]
pub(super) struct UserUpdate {
    role: String,
    state: String,
    #[serde(default)]
    password: String,
}

pub(super) async fn update_user(
    State(app): State<App>,
    headers: HeaderMap,
    Path(name): Path<String>,
    UrlForm(f): UrlForm<UserUpdate>,
) -> Page {
    let c = require(&app, &headers, &[Role::Admin], true).await?;
    let role = Role::from_name(&f.role)
        .ok_or_else(|| Failure::bad(format!("unknown role {}", f.role)).page())?;
    let pw = (!f.password.is_empty()).then_some(f.password);
    let me = c.user.clone();
    app.run(c.actor(), move |r| {
        r.update_user_for(
            &me,
            &name,
            Some(role),
            pw.as_deref(),
            Some(f.state == "disabled"),
        )
    })
    .await
    .map_err(Failure::page)?;
    Ok(Redirect::to("/admin/users").into_response())
}

// ---- everyone signed in: API tokens ----

pub(super) async fn tokens(State(app): State<App>, headers: HeaderMap) -> Page {
    let c = require(&app, &headers, &Role::ALL, true).await?;
    tokens_page(&app, &c, None).await
}

async fn tokens_page(app: &App, c: &Caller, new: Option<String>) -> Page {
    let me = c.user.clone();
    let list = app
        .run(c.actor(), move |r| r.api_tokens_for(&me))
        .await
        .map_err(Failure::page)?;
    ok(
        "API tokens",
        c,
        html! {
            h1 { "API tokens" }
            @if let Some(t) = &new {
                section.card id="new-token" {
                    p { "Your new token, shown only now. Send it as " code { "Authorization: Bearer TOKEN" } ":" }
                    pre id="token" { (t) }
                }
            }
            table id="tokens" {
                thead { tr { th { "Id" } th { "User" } th { "Label" } th { "State" } th {} } }
                tbody { @for t in &list { tr {
                    td.id { (t.id) } td { (t.user) } td { (t.label) } td { @if t.revoked { "revoked" } @else { "live" } }
                    td { @if !t.revoked { form method="post" action={ "/tokens/" (t.id) "/revoke" } { (csrf(c)) button type="submit" { "Revoke" } } } }
                } } }
            }
            form.card method="post" action="/tokens" id="token-form" {
                (csrf(c))
                label { "Label (what the token is for)" input type="text" name="label" required; }
                button type="submit" { "Make a token" }
            }
        },
    )
}

#[derive(serde::Deserialize)]
pub(super) struct TokenForm {
    label: String,
}

pub(super) async fn create_token(
    State(app): State<App>,
    headers: HeaderMap,
    UrlForm(f): UrlForm<TokenForm>,
) -> Page {
    let c = require(&app, &headers, &Role::ALL, true).await?;
    let name = c.user.name.clone();
    let (secret, _) = app
        .run(c.actor(), move |r| r.create_api_token(&name, &f.label))
        .await
        .map_err(Failure::page)?;
    tokens_page(&app, &c, Some(secret)).await
}

pub(super) async fn revoke_token(
    State(app): State<App>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Page {
    let c = require(&app, &headers, &Role::ALL, true).await?;
    let me = c.user.clone();
    app.run(c.actor(), move |r| r.revoke_api_token_for(&me, &id))
        .await
        .map_err(Failure::page)?;
    Ok(Redirect::to("/tokens").into_response())
}
