//! The API for admins and every signed-in user: backups, users and API
//! tokens.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::json;
use telltale_registry::Role;
use utoipa::ToSchema;

use super::{created, j, who, ApiResult, Body};
use crate::{App, Failure};

#[derive(Deserialize, ToSchema)]
pub struct NewUser {
    name: String,
    /// admin, author or investigator.
    role: String,
    password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct UserChange {
    role: Option<String>,
    password: Option<String>,
    disabled: Option<bool>,
}

pub(super) fn role(name: &str) -> Result<Role, Failure> {
    Role::from_name(name).ok_or_else(|| {
        Failure::bad(format!(
            "unknown role {name}; choose admin, author or investigator"
        ))
    })
}

/// Back the registry up (admin): a consistent snapshot of the database
/// with the key and the audit head, in a new directory under the server's
/// `--backup-dir`, verified before it is reported.
#[utoipa::path(post, path = "/api/admin/backup", responses((status = 201, description = "written and verified"), (status = 409, description = "the server has no backup directory")))]
pub(super) async fn backup(State(app): State<App>, h: HeaderMap) -> ApiResult {
    let c = who(&app, &h, &[Role::Admin]).await?;
    let Some(root) = app.config().backup_dir.clone() else {
        return Err(Failure::new(
            StatusCode::CONFLICT,
            "this server has no backup directory: start it with serve --backup-dir DIR",
        ));
    };
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let dir = root.join(format!("telltale-backup-{stamp}"));
    let s = app.run(c.actor(), move |r| r.backup(&dir)).await?;
    created(json!({
        "dir": s.dir.to_string_lossy(),
        "files": s.files.iter().map(|(f, n)| json!({"name": f, "bytes": n})).collect::<Vec<_>>(),
        "audit_entries": s.audit_entries,
        "issuances": s.issuances,
    }))
}

/// Users (admin).
#[utoipa::path(get, path = "/api/users", responses((status = 200, description = "users")))]
pub(super) async fn list_users(State(app): State<App>, h: HeaderMap) -> ApiResult {
    let c = who(&app, &h, &[Role::Admin]).await?;
    let users = app.run(c.actor(), |r| r.users()).await?;
    j(json!(users.iter().map(|u| json!({"name": u.name, "role": u.role, "created_at": u.created_at, "disabled": u.disabled})).collect::<Vec<_>>()))
}

/// Add a user (admin).
#[utoipa::path(post, path = "/api/users", request_body = NewUser, responses((status = 201, description = "added"), (status = 409, description = "name taken")))]
pub(super) async fn add_user(
    State(app): State<App>,
    h: HeaderMap,
    Body(b): Body<NewUser>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Admin]).await?;
    let ro = role(&b.role)?;
    let u = app
        .run(c.actor(), move |r| r.add_user(&b.name, ro, &b.password))
        .await?;
    created(json!({"name": u.name, "role": u.role}))
}

/// Change a user's role, password or state (admin). A new password, or disabling the user, ends every session of theirs and revokes every API token of theirs; enabling them again brings none back.
#[utoipa::path(post, path = "/api/users/{name}", params(("name" = String, Path)), request_body = UserChange, responses((status = 200, description = "changed"), (status = 404, description = "unknown user")))]
pub(super) async fn update_user(
    State(app): State<App>,
    h: HeaderMap,
    Path(name): Path<String>,
    Body(b): Body<UserChange>,
) -> ApiResult {
    let c = who(&app, &h, &[Role::Admin]).await?;
    let ro = b.role.as_deref().map(role).transpose()?;
    let me = c.user.clone();
    let u = app
        .run(c.actor(), move |r| {
            r.update_user_for(&me, &name, ro, b.password.as_deref(), b.disabled)
        })
        .await?;
    j(json!({"name": u.name, "role": u.role, "disabled": u.disabled}))
}

#[derive(Deserialize, ToSchema)]
pub struct NewToken {
    label: String,
}

/// API tokens: the caller's own, or everyone's for an admin (never their secrets).
#[utoipa::path(get, path = "/api/tokens", responses((status = 200, description = "tokens")))]
pub(super) async fn list_tokens(State(app): State<App>, h: HeaderMap) -> ApiResult {
    let c = who(&app, &h, &Role::ALL).await?;
    let me = c.user.clone();
    let ts = app.run(c.actor(), move |r| r.api_tokens_for(&me)).await?;
    j(json!(ts.iter()
        .map(|t| json!({"id": t.id, "user": t.user, "label": t.label, "created_at": t.created_at, "revoked": t.revoked})).collect::<Vec<_>>()))
}

/// Make an API token for the caller; the secret is in this answer only.
#[utoipa::path(post, path = "/api/tokens", request_body = NewToken, responses((status = 201, description = "{id, token}")))]
pub(super) async fn create_token(
    State(app): State<App>,
    h: HeaderMap,
    Body(b): Body<NewToken>,
) -> ApiResult {
    let c = who(&app, &h, &Role::ALL).await?;
    let name = c.user.name.clone();
    let (secret, t) = app
        .run(c.actor(), move |r| r.create_api_token(&name, &b.label))
        .await?;
    created(json!({"id": t.id, "token": secret}))
}

/// Revoke a token: one's own, or anyone's for an admin.
#[utoipa::path(post, path = "/api/tokens/{id}/revoke", params(("id" = String, Path)), responses((status = 200, description = "revoked"), (status = 404, description = "no such token of yours")))]
pub(super) async fn revoke_token(
    State(app): State<App>,
    h: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult {
    let c = who(&app, &h, &Role::ALL).await?;
    let me = c.user.clone();
    let id2 = id.clone();
    app.run(c.actor(), move |r| r.revoke_api_token_for(&me, &id2))
        .await?;
    j(json!({"revoked": id}))
}
