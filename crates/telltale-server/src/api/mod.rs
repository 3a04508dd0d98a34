//! The JSON API: the same operations as the pages, for scripts. Every
//! endpoint is listed in the OpenAPI document served at /api/openapi.json,
//! which is generated from the annotations on the handlers. The handlers
//! are grouped by area as the pages are: `documents` (authors, and the
//! reading room), `traces` (investigators), `account` (users, tokens,
//! backups).
//!
//! Authenticate with `Authorization: Bearer tt_…` (an API token), or with a
//! browser session cookie plus an `X-CSRF-Token` header on changes.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use telltale_registry::Role;
use utoipa::OpenApi;

use crate::auth::{require, Caller};
use crate::{App, Failure};

mod account;
mod documents;
mod traces;

pub use documents::{zip_copies, zip_response};

pub(super) type ApiResult = Result<Response, Failure>;

#[derive(OpenApi)]
#[openapi(
    info(title = "telltale", description = "Fingerprinted copies of confidential text, and leaks traced back to their source."),
    paths(
        whoami, documents::list_documents, documents::add_document, documents::add_document_file, documents::get_document, documents::set_rules,
        documents::list_alternatives, documents::add_alternative, documents::remove_alternative, documents::distribute, documents::get_job,
        documents::copies, documents::list_links, documents::revoke_link, documents::list_recipients, documents::add_recipients, documents::list_lists, documents::create_list,
        traces::trace, traces::trace_file, traces::list_traces, traces::get_trace, traces::audit, account::backup, account::list_users, account::add_user, account::update_user, account::list_tokens,
        account::create_token, account::revoke_token, documents::reading, openapi
    ),
    components(schemas(
        documents::NewDocument, documents::Rules, documents::NewAlternative, documents::Distribution, documents::NewList, traces::TraceRequest, account::NewUser, account::UserChange, account::NewToken,
        crate::Job, crate::JobLink
    )),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let comps = api.components.get_or_insert_with(Default::default);
        comps.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

pub fn routes() -> Router<App> {
    Router::new()
        .route("/api/openapi.json", get(openapi))
        .route("/api/whoami", get(whoami))
        .route(
            "/api/documents",
            get(documents::list_documents).post(documents::add_document),
        )
        .route("/api/documents/file", post(documents::add_document_file))
        .route("/api/documents/{id}", get(documents::get_document))
        .route("/api/documents/{id}/rules", post(documents::set_rules))
        .route(
            "/api/documents/{id}/alternatives",
            get(documents::list_alternatives).post(documents::add_alternative),
        )
        .route(
            "/api/documents/{id}/alternatives/{n}/remove",
            post(documents::remove_alternative),
        )
        .route(
            "/api/documents/{id}/distribute",
            post(documents::distribute),
        )
        .route("/api/documents/{id}/copies.zip", get(documents::copies))
        .route("/api/documents/{id}/links", get(documents::list_links))
        .route("/api/jobs/{id}", get(documents::get_job))
        .route("/api/links/{id}/revoke", post(documents::revoke_link))
        .route(
            "/api/recipients",
            get(documents::list_recipients).post(documents::add_recipients),
        )
        .route(
            "/api/lists",
            get(documents::list_lists).post(documents::create_list),
        )
        .route("/api/trace", post(traces::trace))
        .route("/api/trace/file", post(traces::trace_file))
        .route("/api/traces", get(traces::list_traces))
        .route("/api/traces/{id}", get(traces::get_trace))
        .route("/api/audit", get(traces::audit))
        .route("/api/admin/backup", post(account::backup))
        .route(
            "/api/users",
            get(account::list_users).post(account::add_user),
        )
        .route("/api/users/{name}", post(account::update_user))
        .route(
            "/api/tokens",
            get(account::list_tokens).post(account::create_token),
        )
        .route("/api/tokens/{id}/revoke", post(account::revoke_token))
        .route("/api/reading/{secret}", get(documents::reading))
}

pub(super) fn j(v: Value) -> ApiResult {
    Ok(Json(v).into_response())
}

pub(super) fn created(v: Value) -> ApiResult {
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

pub(super) async fn who(app: &App, h: &HeaderMap, roles: &[Role]) -> Result<Caller, Failure> {
    require(app, h, roles, false).await
}

/// A JSON body, with a one-line error when it does not parse.
pub(super) struct Body<T>(T);

impl<T: serde::de::DeserializeOwned, S: Send + Sync> axum::extract::FromRequest<S> for Body<T> {
    type Rejection = Failure;
    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Failure> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Body(v)),
            Err(e) => Err(Failure::new(e.status(), e.body_text())),
        }
    }
}

/// The OpenAPI document of this API.
#[utoipa::path(get, path = "/api/openapi.json", security(()), responses((status = 200, description = "OpenAPI 3.1 document")))]
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The caller's user name and role.
#[utoipa::path(get, path = "/api/whoami", responses((status = 200, description = "name and role"), (status = 401, description = "not signed in")))]
async fn whoami(State(app): State<App>, h: HeaderMap) -> ApiResult {
    let c = who(&app, &h, &Role::ALL).await?;
    j(json!({"name": c.user.name, "role": c.user.role}))
}
