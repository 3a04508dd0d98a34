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

// A library answers bad input with an error, never a panic.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod api;
mod auth;
mod guard;
mod headers;
mod jobs;
mod listener;
mod logs;
mod ops;
mod pages;
mod params;
mod view;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::Router;
use telltale_ocr::OcrError;
use telltale_registry::{Budget, Registry, RegistryError};
use telltale_store::StoreError;

pub use api::ApiDoc;
pub use listener::LimitedListener;
pub use params::{MAX_ESTIMATE_RECIPIENTS, MAX_LIST_ITEMS};

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
    /// Uploads (documents, leaks, recipient lists) larger than 1 MiB, or
    /// of undeclared length, taken at once; more are answered 503 with
    /// Retry-After.
    pub max_uploads: usize,
    /// Connections held open at once; more wait to be accepted.
    pub max_connections: usize,
    /// Where `POST /api/admin/backup` writes backups (each in a new
    /// directory named by its time); without it, backups are refused.
    /// Chosen by whoever starts the server, never by a request.
    pub backup_dir: Option<std::path::PathBuf>,
    /// A background job whose process has said nothing for this long is
    /// taken over by another process on the same database.
    pub job_quiet: Duration,
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
            max_uploads: 4,
            max_connections: 256,
            backup_dir: None,
            job_quiet: Duration::from_secs(60),
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

/// What a background job does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum JobKind {
    /// Issuing copies (and links): `done` and `total` count copies.
    #[default]
    Distribution,
    /// Registering a document: `done` and `total` count the sentences the
    /// language model has scored (0 of 0 while the rules propose).
    Registration,
}

/// A distribution or a registration running in the background, for the
/// progress bar.
#[derive(Debug, Clone, Default, serde::Serialize, utoipa::ToSchema)]
pub struct Job {
    pub id: i64,
    pub kind: JobKind,
    /// The document distributed; for a registration, the new document's
    /// id once it is registered (empty until then).
    pub document: String,
    pub done: usize,
    pub total: usize,
    pub finished: bool,
    pub error: Option<String>,
    /// The reading-room links made, shown to the author who started the
    /// job until it is forgotten, an hour after it finished.
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
    /// Slots for uploads in progress (see `guard.rs`).
    uploads: Arc<tokio::sync::Semaphore>,
    /// This process, as the worker of the jobs it runs.
    worker: String,
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
            uploads: guard::upload_slots(config.max_uploads),
            worker: worker_id(),
            config,
        }))
    }

    pub fn config(&self) -> &Config {
        &self.0.config
    }

    /// This process, as the worker of the jobs it runs.
    pub fn worker(&self) -> &str {
        &self.0.worker
    }

    /// Run `f` on the registry on a blocking thread, as `actor`.
    pub(crate) async fn run<T, F>(&self, actor: String, f: F) -> Result<T, Failure>
    where
        T: Send + 'static,
        F: FnOnce(&mut Registry) -> telltale_registry::Result<T> + Send + 'static,
    {
        self.run_with(actor, f).await
    }

    /// As [`App::run`], for work that fails with its own error type.
    ///
    /// The blocking thread cannot be killed, so the work gets a
    /// [`Budget`]: the request's time limit, and a flag raised when the
    /// request is dropped (answered 408 by the timeout, or abandoned by
    /// its client). Long registry loops check it and give the handle
    /// back instead of working on for nobody.
    pub(crate) async fn run_with<T, E, F>(&self, actor: String, f: F) -> Result<T, Failure>
    where
        T: Send + 'static,
        E: Into<Failure> + Send + 'static,
        F: FnOnce(&mut Registry) -> Result<T, E> + Send + 'static,
    {
        let inner = self.0.clone();
        let cancel = Arc::new(AtomicBool::new(false));
        let _cancel_on_drop = CancelOnDrop(cancel.clone());
        let budget = Budget::new(Some(Instant::now() + self.config().request_timeout), cancel);
        tokio::task::spawn_blocking(move || {
            if budget.spent() {
                return Err(Failure::from(RegistryError::Cancelled));
            }
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
            // The request may have given up while this waited for a handle.
            if budget.spent() {
                return Err(Failure::from(RegistryError::Cancelled));
            }
            reg.set_actor(&actor);
            reg.set_budget(budget);
            f(&mut reg).map_err(Into::into)
        })
        .await
        .map_err(|e| Failure::internal(&format!("a worker thread failed: {e}")))?
    }
}

/// A name for this process among those on the database: its process id
/// and a random part (process ids repeat across machines and restarts).
fn worker_id() -> String {
    let mut b = [0u8; 6];
    let _ = getrandom::fill(&mut b);
    let random: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{random}", std::process::id())
}

/// Raises a work's cancel flag when the request that waits for it is
/// dropped.
struct CancelOnDrop(Arc<AtomicBool>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

/// The whole application: pages, API, assets, with body limits, the
/// guard before bodies are read, timeouts, security headers and logs.
pub fn router(app: App) -> Router {
    let limit = app.config().max_body_bytes;
    let timeout = app.config().request_timeout;
    Router::new()
        .merge(pages::routes())
        .merge(api::routes())
        // Innermost, after routing: it needs the matched route.
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            guard::guard,
        ))
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn(params::bound_uri))
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ))
        .layer(axum::middleware::from_fn(headers::security_headers))
        .layer(
            tower_http::trace::TraceLayer::new_for_http()
                .make_span_with(|req: &axum::extract::Request| logs::request_span(req)),
        )
        .with_state(app)
}

/// Serve until SIGINT or SIGTERM, then finish the requests in flight.
pub async fn serve(
    registry: Registry,
    addr: SocketAddr,
    config: Config,
) -> Result<(), ServerError> {
    use axum::serve::ListenerExt;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| ServerError::Bind { addr, source })?;
    let local = listener.local_addr()?;
    tracing::info!(%local, base_url = %config.base_url, "telltale is serving");
    eprintln!("telltale: serving on http://{local} (Ctrl-C stops)");
    // `tap_io` only so that axum hands the handlers the client's address.
    let listener = LimitedListener::new(listener, config.max_connections).tap_io(|_| {});
    // Opening the further handles may block (a database's driver runs its
    // own runtime), which an async thread must not.
    let app = tokio::task::spawn_blocking(move || App::new(registry, config))
        .await
        .map_err(|e| std::io::Error::other(format!("opening the registry's handles: {e}")))?;
    tokio::spawn(jobs::watch_stale_jobs(app.clone()));
    let app = router(app);
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

/// Every registry error has its status here, by its type, never by its
/// text: what the caller sent wrong is 4xx, what failed in the server is
/// 500 (with the detail in the log, not in the answer).
impl From<RegistryError> for Failure {
    fn from(e: RegistryError) -> Failure {
        use telltale_core::Error as CoreError;
        let status = match &e {
            RegistryError::Store(s) => match s {
                StoreError::NotFound(_) => StatusCode::NOT_FOUND,
                StoreError::Conflict(_) => StatusCode::CONFLICT,
                StoreError::TooNew { .. }
                | StoreError::Corrupt(_)
                | StoreError::Backend(_)
                | StoreError::Io(_) => return Failure::internal(&e.to_string()),
            },
            RegistryError::Invalid(_) => StatusCode::BAD_REQUEST,
            RegistryError::Core(c) => match c {
                CoreError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                CoreError::EmptyDocument
                | CoreError::Binary(_)
                | CoreError::BadParameter(_)
                | CoreError::AuthorSyntax(_) => StatusCode::UNPROCESSABLE_ENTITY,
                // Stored templates and codebooks that do not fit together.
                CoreError::CodewordLength { .. }
                | CoreError::SymbolOutOfRange { .. }
                | CoreError::BadTemplate(_)
                | CoreError::Version { .. } => return Failure::internal(&e.to_string()),
            },
            RegistryError::Format(f) => match format_status(f) {
                Some(status) => status,
                None => return Failure::internal(&e.to_string()),
            },
            RegistryError::Reader(r) => match r {
                OcrError::Missing { .. } | OcrError::Io(_) => StatusCode::SERVICE_UNAVAILABLE,
                OcrError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                // The file is the caller's: it timed out, failed to parse,
                // or holds no text.
                OcrError::Timeout { .. }
                | OcrError::Failed { .. }
                | OcrError::NoText
                | OcrError::NoTextLayer
                | OcrError::NotPdf
                | OcrError::Format(_) => StatusCode::UNPROCESSABLE_ENTITY,
            },
            RegistryError::Cancelled => StatusCode::SERVICE_UNAVAILABLE,
            RegistryError::Render(_)
            | RegistryError::Model(_)
            | RegistryError::Encode { .. }
            | RegistryError::Io { .. }
            | RegistryError::Key(_)
            | RegistryError::WrongKey { .. }
            | RegistryError::Exists(_)
            | RegistryError::Missing(_) => return Failure::internal(&e.to_string()),
        };
        Failure::new(status, e.to_string())
    }
}

/// The status of a file the formats crate would not take, by its error's
/// type; `None` when the fault is the server's (a stored original that no
/// longer fits its template). One mapping for registrations, copies and
/// leaks alike.
pub(crate) fn format_status(f: &telltale_formats::FormatError) -> Option<StatusCode> {
    use telltale_formats::FormatError;
    Some(match f {
        FormatError::Unsupported(_)
        | FormatError::NotRegistrable(_)
        | FormatError::NotTraceable(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        FormatError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        FormatError::NotUtf8(_)
        | FormatError::Binary(_)
        | FormatError::Docx(_)
        | FormatError::Empty
        | FormatError::Pdf(_) => StatusCode::BAD_REQUEST,
        FormatError::Mismatch => return None,
    })
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
