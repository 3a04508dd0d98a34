//! `telltale serve`: the registry's operations over an HTTP JSON API and a
//! web UI from the same binary, plus the recipients' reading room.
//!
//! This is the only crate that knows HTTP. Every decision about text and
//! evidence is made by `telltale-core`, every record is kept by
//! `telltale-registry`; handlers only check who is asking, call the
//! registry on a blocking thread, and render the answer as JSON or HTML.
//!
//! Who may do what:
//!
//! | role         | may                                                        |
//! |--------------|------------------------------------------------------------|
//! | admin        | users, API tokens of anyone, the audit log                 |
//! | author       | documents, recipients, lists, distribution, links, copies  |
//! | investigator | traces, evidence reports, the audit log                    |
//! | recipient    | (no account) their own copy, through their personal link   |
//!
//! Browsers sign in with a password and get a session cookie (HttpOnly,
//! SameSite=Strict, Secure unless configured otherwise); every state-changing
//! request made with that cookie must carry the session's CSRF token, as a
//! form field `csrf` or an `X-CSRF-Token` header. Scripts send an API token
//! as `Authorization: Bearer tt_…` instead and need no CSRF token.
//! Pages are rendered on the server (maud); the little CSS and JavaScript
//! there is are compiled into the binary, and nothing is fetched at run time.

mod api;
mod auth;
mod ops;
mod pages;
mod view;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Router;
use telltale_registry::{Registry, RegistryError};
use telltale_store::StoreError;

pub use api::ApiDoc;

/// Settings of a running server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where recipients reach the server, for reading-room links.
    pub base_url: String,
    /// Mark session cookies Secure (needs HTTPS in front of the server).
    pub secure_cookies: bool,
    /// Largest request body, uploads included.
    pub max_body_bytes: usize,
    /// Failed sign-ins allowed per user name and per client address within
    /// `login_window` before further attempts are refused.
    pub login_failures: u32,
    pub login_window: Duration,
    /// Requests taking longer are answered 408.
    pub request_timeout: Duration,
    /// Registry handles (database connections) working at once.
    pub workers: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            base_url: "http://127.0.0.1:8080".into(),
            secure_cookies: true,
            max_body_bytes: 20 * 1024 * 1024,
            login_failures: 5,
            login_window: Duration::from_secs(15 * 60),
            request_timeout: Duration::from_secs(120),
            workers: std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 8)),
        }
    }
}

/// Errors that stop the server from starting or running.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the server stopped: {0}")]
    Io(#[from] std::io::Error),
}

/// A distribution running in the background, for the progress bar.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Job {
    pub id: u64,
    #[serde(skip)]
    owner: String,
    /// When it finished; finished jobs (and the link secrets they hold)
    /// are forgotten an hour later.
    #[serde(skip)]
    finished_at: Option<std::time::Instant>,
    pub document: String,
    pub done: usize,
    pub total: usize,
    pub finished: bool,
    pub error: Option<String>,
    /// The reading-room links made, shown once to the author who started the job.
    pub links: Vec<JobLink>,
}

#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct JobLink {
    pub recipient: String,
    pub name: String,
    pub link: String,
    pub url: String,
}

pub(crate) struct Inner {
    /// One handle per worker; a request takes whichever is free.
    registries: Vec<Mutex<Registry>>,
    next: std::sync::atomic::AtomicUsize,
    config: Config,
    limiter: Mutex<auth::Limiter>,
    jobs: Mutex<HashMap<u64, Job>>,
    next_job: Mutex<u64>,
}

/// The shared state of every handler.
#[derive(Clone)]
pub struct App(Arc<Inner>);

impl App {
    /// The application over `registry`, with `config.workers - 1` more
    /// handles on it. If a further handle cannot be opened, the server
    /// works with those it has.
    pub fn new(registry: Registry, config: Config) -> App {
        let mut registries = Vec::new();
        for _ in 1..config.workers.max(1) {
            match registry.reopen() {
                Ok(r) => registries.push(Mutex::new(r)),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot open another registry handle");
                    break;
                }
            }
        }
        registries.insert(0, Mutex::new(registry));
        App(Arc::new(Inner {
            registries,
            next: std::sync::atomic::AtomicUsize::new(0),
            limiter: Mutex::new(auth::Limiter::default()),
            jobs: Mutex::new(HashMap::new()),
            next_job: Mutex::new(1),
            config,
        }))
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// Run `f` on the registry on a blocking thread, as `actor`.
    pub(crate) async fn run<T, F>(&self, actor: String, f: F) -> Result<T, Failure>
    where
        T: Send + 'static,
        F: FnOnce(&mut Registry) -> telltale_registry::Result<T> + Send + 'static,
    {
        let inner = self.0.clone();
        tokio::task::spawn_blocking(move || {
            let free = inner.registries.iter().find_map(|m| m.try_lock().ok());
            let mut reg = match free {
                Some(r) => r,
                None => {
                    use std::sync::atomic::Ordering;
                    let i = inner.next.fetch_add(1, Ordering::Relaxed) % inner.registries.len();
                    inner.registries[i]
                        .lock()
                        .map_err(|_| Failure::internal("a registry lock was poisoned"))?
                }
            };
            reg.set_actor(&actor);
            f(&mut reg).map_err(Failure::from)
        })
        .await
        .map_err(|e| Failure::internal(&format!("a worker thread failed: {e}")))?
    }
}

/// The whole application: pages, API, assets, with body limits and timeouts.
pub fn router(app: App) -> Router {
    let limit = app.config().max_body_bytes;
    let timeout = app.config().request_timeout;
    Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            auth::csrf_guard,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .layer(tower_http::limit::RequestBodyLimitLayer::new(limit))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(app)
}

/// Serve until SIGINT or SIGTERM, then finish the requests in flight.
pub async fn serve(
    registry: Registry,
    addr: SocketAddr,
    config: Config,
) -> Result<(), ServerError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let local = listener.local_addr()?;
    tracing::info!(%local, base_url = %config.base_url, "telltale is serving");
    eprintln!("telltale: serving on http://{local} (Ctrl-C stops)");
    let app = router(App::new(registry, config));
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await?;
    tracing::info!("telltale stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// A request that could not be served: its status and a one-line reason,
/// as JSON for the API and as a page for browsers.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: StatusCode,
    pub message: String,
    pub html: bool,
    /// Send the browser here instead (to sign in).
    pub location: Option<String>,
}

impl Failure {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Failure {
        Failure {
            status,
            message: message.into(),
            html: false,
            location: None,
        }
    }
    pub fn bad(message: impl Into<String>) -> Failure {
        Failure::new(StatusCode::BAD_REQUEST, message)
    }
    pub fn forbidden(message: impl Into<String>) -> Failure {
        Failure::new(StatusCode::FORBIDDEN, message)
    }
    pub fn not_found(message: impl Into<String>) -> Failure {
        Failure::new(StatusCode::NOT_FOUND, message)
    }
    pub fn internal(detail: &str) -> Failure {
        tracing::error!(detail, "internal error");
        Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error (see the server log)",
        )
    }
    /// Answer as a page rather than JSON.
    pub fn page(mut self) -> Failure {
        self.html = true;
        self
    }
}

impl From<RegistryError> for Failure {
    fn from(e: RegistryError) -> Failure {
        let status = match &e {
            RegistryError::Store(StoreError::NotFound(_)) => StatusCode::NOT_FOUND,
            RegistryError::Store(StoreError::Conflict(_)) => StatusCode::CONFLICT,
            RegistryError::Invalid(_) => StatusCode::BAD_REQUEST,
            RegistryError::Core(telltale_core::Error::TooLarge { .. }) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            RegistryError::Core(_) => StatusCode::UNPROCESSABLE_ENTITY,
            RegistryError::Format(telltale_formats::FormatError::Unsupported(_)) => {
                StatusCode::UNSUPPORTED_MEDIA_TYPE
            }
            RegistryError::Format(telltale_formats::FormatError::TooLarge { .. }) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            RegistryError::Format(telltale_formats::FormatError::Mismatch) => {
                return Failure::internal(&e.to_string())
            }
            RegistryError::Format(_) => StatusCode::BAD_REQUEST,
            RegistryError::Reader(
                telltale_ocr::OcrError::Missing { .. } | telltale_ocr::OcrError::Io(_),
            ) => StatusCode::SERVICE_UNAVAILABLE,
            RegistryError::Reader(telltale_ocr::OcrError::TooLarge { .. }) => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            RegistryError::Reader(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => return Failure::internal(&e.to_string()),
        };
        Failure::new(status, e.to_string())
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        if let Some(to) = &self.location {
            return axum::response::Redirect::to(to).into_response();
        }
        if self.html {
            let page = view::error_page(self.status, &self.message);
            (self.status, Html(page)).into_response()
        } else {
            (
                self.status,
                axum::Json(serde_json::json!({ "error": self.message })),
            )
                .into_response()
        }
    }
}
