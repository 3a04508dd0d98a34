//! Storage for a telltale registry: one trait, [`Store`], with one crate per
//! backend (`telltale-store-sqlite`, the embedded default, and
//! `telltale-store-postgres`, for deployments that run several server
//! processes on one database). [`Store`] is made of one sub-trait per kind
//! of record ([`DocumentStore`], [`RecipientStore`], [`TraceStore`],
//! [`AuditStore`], [`AccountStore`], [`JobStore`]); `use
//! telltale_store::prelude::*` brings them all into scope. A [`Backend`]
//! opens connections to one database, so that a registry can hold several.
//!
//! The trait speaks in records (documents with their templates, recipients,
//! lists, issuances, traces, audit entries), never in SQL, so the registry
//! layer and the CLI are the same for every backend. [`story::run`] is the
//! end-to-end story that every backend must pass.
//!
//! The audit log is append-only and chained: each entry's seal covers the
//! previous entry's seal and its own fields, so changing, removing or
//! reordering any past entry is detected by [`verify_chain`]. The seal is a
//! MAC under a [`ChainKey`] derived from the registry's secret key, so that
//! nobody without the key file can rewrite the log and chain it again; the
//! store never sees the secret key itself, only the chain key it is handed.
//! Logs begun before keyed chaining start with entries sealed by an unkeyed
//! hash ([`legacy_entry_hash`]); the first keyed entry after them is an
//! [`AUDIT_KEYED`] entry, and no unkeyed entry may follow a keyed one.

// A library answers bad input with an error, never a panic.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

mod chain;
pub mod story;

pub use chain::*;

use serde::{Deserialize, Serialize};
use telltale_core::rules::RuleSet;
use telltale_core::{CodeParams, FileFormat, Template};
use thiserror::Error;

/// Errors every backend reports in the same terms.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("the registry was written by a newer telltale (schema {found}, this build supports up to {supported}); upgrade telltale")]
    TooNew { found: u32, supported: u32 },
    #[error("the registry is damaged: {0}")]
    Corrupt(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("storage error: {0}")]
    Backend(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// A file format's name as a database keeps it, read back; any other
/// name means the database was altered.
pub fn stored_format(name: &str) -> Result<FileFormat> {
    FileFormat::from_name(name)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown file format {name:?} in the database")))
}

/// A registered document: its original text and everything needed to
/// render and trace its copies for ever after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentRecord {
    pub id: String,
    pub title: String,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
    /// The format the document was registered from.
    pub source_format: FileFormat,
    pub template: Template,
    pub code_params: CodeParams,
    pub rules: RuleSet,
}

/// A line of `doc list`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentSummary {
    pub id: String,
    pub title: String,
    pub created_at: i64,
    pub words: usize,
    pub slots: usize,
    pub issued: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Upsert {
    Added,
    Updated,
    Unchanged,
}

/// A copy of a document issued to a recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issuance {
    pub document_id: String,
    pub recipient_id: String,
    pub format: FileFormat,
    pub issued_at: i64,
    /// Where the copy was written, if to a file.
    pub path: Option<String>,
    /// BLAKE3 of the copy's bytes, hex.
    pub content_hash: String,
    /// The recipient's name when the copy was issued (absent for copies
    /// issued before names were recorded).
    #[serde(default)]
    pub recipient_name: Option<String>,
}

/// A trace that was run, kept for the inquiry file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceRecord {
    pub id: i64,
    pub at: i64,
    /// BLAKE3 of the traced input, hex.
    pub input_hash: String,
    pub input_bytes: usize,
    pub result: serde_json::Value,
}

/// What a person signed in to the server may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Users, API tokens, settings; also sees the audit log.
    Admin,
    /// Documents, recipients, lists, distribution and reading-room links.
    Author,
    /// Traces, evidence reports and the audit log.
    Investigator,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Admin, Role::Author, Role::Investigator];

    pub fn name(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Author => "author",
            Role::Investigator => "investigator",
        }
    }

    pub fn from_name(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.name() == s)
    }
}

/// A person who signs in to the server. The password is kept only as an
/// Argon2id PHC string.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub created_at: i64,
    pub disabled: bool,
}

/// A signed-in browser. Only the BLAKE3 hash of the cookie's token is kept,
/// so a copy of the database does not let anyone in.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub token_hash: String,
    pub user: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A token for scripts, shown once when made and kept only as a hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiToken {
    pub id: String,
    pub token_hash: String,
    pub user: String,
    pub label: String,
    pub created_at: i64,
    pub revoked: bool,
}

/// A recipient's personal reading-room link to their own copy of one
/// document. The link's secret is kept only as a hash.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub id: String,
    pub token_hash: String,
    pub document_id: String,
    pub recipient_id: String,
    pub created_at: i64,
    /// Seconds since the epoch after which the link no longer opens.
    pub expires_at: Option<i64>,
    pub revoked: bool,
    pub views: u64,
}

// Hashes of secrets stay out of logs and error messages.
impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .field("role", &self.role)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("user", &self.user)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiToken")
            .field("id", &self.id)
            .field("user", &self.user)
            .field("label", &self.label)
            .field("revoked", &self.revoked)
            .finish_non_exhaustive()
    }
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("id", &self.id)
            .field("document_id", &self.document_id)
            .field("recipient_id", &self.recipient_id)
            .field("expires_at", &self.expires_at)
            .field("revoked", &self.revoked)
            .finish_non_exhaustive()
    }
}

/// The answer to a sign-in attempt's reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt may go ahead; its id, to clear it if it succeeds.
    Reserved(i64),
    /// A key has used up its attempts; the oldest of them was made at
    /// `oldest` (it is forgotten once the window has passed it).
    Refused { oldest: i64 },
}

/// One entry of the append-only audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub action: String,
    pub detail: String,
    /// Hex of the previous entry's hash (all zeros for the first).
    pub prev_hash: String,
    pub hash: String,
}

/// A piece of background work (issuing copies, registering a document)
/// that any server process on the database can report on, and that
/// another process can finish if the one running it stops.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    /// Given by [`JobStore::put_job`]; ignored when putting.
    pub id: i64,
    /// The user who started it: only they see it.
    pub owner: String,
    /// `distribution` or `registration`.
    pub kind: String,
    /// The document it works on (empty until a registration has one).
    pub document: String,
    /// What to do, enough for another process to resume it; `None` when
    /// only the process that started it can do it (a registration, whose
    /// upload it holds in memory).
    pub request: Option<serde_json::Value>,
    /// What it has made so far, kept as it goes (sealed by the caller
    /// where it holds secrets).
    pub output: serde_json::Value,
    /// The process running it.
    pub worker: String,
    /// When its worker last said it was alive.
    pub heartbeat_at: i64,
    pub done: u64,
    pub total: u64,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// The registry's storage. Every method is one transaction, or part of the
/// caller's inside [`Store::atomically`].
pub trait Store:
    DocumentStore + RecipientStore + TraceStore + AuditStore + AccountStore + JobStore
{
    /// Schema version of the open registry.
    fn schema_version(&self) -> u32;

    /// Run `work` as one transaction holding the store's write lock: every
    /// change it makes (audit entries included) is kept, or none is. Nested
    /// calls join the outer transaction. Used to record a change together
    /// with its audit entries, and to read the log's last entry while no
    /// other writer can append.
    fn atomically(&mut self, work: &mut dyn FnMut(&mut dyn Store) -> Result<()>) -> Result<()>;

    /// A value kept once for the whole registry (the key fingerprint).
    fn meta(&self, name: &str) -> Result<Option<String>>;
    fn put_meta(&mut self, name: &str, value: &str) -> Result<()>;
}

/// Documents: their templates, the shingles that locate them in a leak,
/// and the files they were registered from.
pub trait DocumentStore {
    /// Register a document with the shingles that locate it.
    fn put_document(&mut self, doc: &DocumentRecord, shingles: &[u64]) -> Result<()>;
    fn document(&self, id: &str) -> Result<Option<DocumentRecord>>;
    fn documents(&self) -> Result<Vec<DocumentSummary>>;
    /// Remove a document, its shingles and (when `force`) its issuances.
    /// Refused with `Conflict` if it has issuances and `force` is false.
    fn remove_document(&mut self, id: &str, force: bool) -> Result<()>;
    /// Documents sharing shingles with a text, most shared first.
    fn candidate_documents(&self, shingles: &[u64], limit: usize) -> Result<Vec<(String, usize)>>;
    /// A document's shingles, in ascending order (to copy a registry).
    fn shingles(&self, id: &str) -> Result<Vec<u64>>;
    /// Replace a document's template and rules (after classes were switched
    /// off). Refused with `Conflict` once any copy has been issued, since
    /// issued copies must stay traceable.
    fn replace_document(&mut self, doc: &DocumentRecord, shingles: &[u64]) -> Result<()>;
    /// Keep the file a document was registered from (HTML, DOCX).
    fn put_source(&mut self, document_id: &str, bytes: &[u8]) -> Result<()>;
    fn source(&self, document_id: &str) -> Result<Option<Vec<u8>>>;
}

/// Recipients, their lists, the copies issued to them, and their
/// reading-room links.
pub trait RecipientStore {
    fn upsert_recipient(&mut self, r: &Recipient) -> Result<Upsert>;
    fn recipient(&self, id: &str) -> Result<Option<Recipient>>;
    fn recipients(&self) -> Result<Vec<Recipient>>;

    /// Create or replace a named list. Every member must exist.
    fn put_list(&mut self, name: &str, members: &[String]) -> Result<()>;
    fn list(&self, name: &str) -> Result<Option<Vec<String>>>;
    fn lists(&self) -> Result<Vec<(String, usize)>>;

    /// Record an issuance, and its audit entry by `actor`, in one
    /// transaction with `complete`, which writes the copy: if `complete`
    /// fails, nothing is recorded; if the commit fails after the copy was
    /// written, a rerun writes the same bytes again and records them.
    fn record_issuance(
        &mut self,
        key: &ChainKey,
        issuance: &Issuance,
        actor: &str,
        complete: &mut dyn FnMut() -> Result<()>,
    ) -> Result<AuditEntry>;
    /// Keep an issuance exactly as given, without an audit entry (copying
    /// a registry, whose log is copied as it is). `Conflict` if the
    /// recipient already holds the document.
    fn import_issuance(&mut self, issuance: &Issuance) -> Result<()>;
    fn issuances(&self, document_id: Option<&str>) -> Result<Vec<Issuance>>;
    /// Who holds a document: the recipient ids of its issuances, in id
    /// order (what a trace scores, without the rest of each row).
    fn holders(&self, document_id: &str) -> Result<Vec<String>>;
    /// How many hold a document, without reading who: a document's
    /// issuances are only ever added to (or removed with the document), so
    /// an unchanged count means unchanged holders.
    fn holder_count(&self, document_id: &str) -> Result<u64>;
    /// The name a recipient's copy of a document was issued under, when
    /// it was recorded.
    fn issued_name(&self, document_id: &str, recipient_id: &str) -> Result<Option<String>>;

    fn put_link(&mut self, link: &Link) -> Result<()>;
    fn link(&self, id: &str) -> Result<Option<Link>>;
    fn link_by_token(&self, token_hash: &str) -> Result<Option<Link>>;
    fn links(&self, document_id: Option<&str>) -> Result<Vec<Link>>;
    /// `NotFound` if there is no such link.
    fn revoke_link(&mut self, id: &str) -> Result<()>;
    /// Revoke every link of `recipient_id` to `document_id`; how many were
    /// live.
    fn revoke_recipient_links(&mut self, document_id: &str, recipient_id: &str) -> Result<usize>;
    fn count_link_view(&mut self, id: &str) -> Result<()>;
}

/// Traces: what was traced (its hash, size and text) and what was found.
pub trait TraceStore {
    fn record_trace(
        &mut self,
        at: i64,
        input_hash: &str,
        input_bytes: usize,
        result: &serde_json::Value,
    ) -> Result<i64>;
    /// Keep a trace exactly as given, under its own id (copying a
    /// registry). `Conflict` if the id is taken.
    fn import_trace(&mut self, trace: &TraceRecord) -> Result<()>;
    fn traces(&self) -> Result<Vec<TraceRecord>>;
    /// One trace by id.
    fn trace(&self, id: i64) -> Result<Option<TraceRecord>>;
    /// Keep the text that was traced, for the evidence report.
    fn put_trace_input(&mut self, id: i64, input: &str) -> Result<()>;
    fn trace_input(&self, id: i64) -> Result<Option<String>>;
}

/// The append-only audit log, chained and sealed (see [`ChainKey`] and
/// [`verify_chain`]).
pub trait AuditStore {
    /// Append to the audit log, sealed by `key`.
    fn append_audit(
        &mut self,
        key: &ChainKey,
        at: i64,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> Result<AuditEntry>;
    /// Append an entry exactly as given (copying a registry). `Conflict`
    /// unless it follows the last entry: the next sequence number, and
    /// the last entry's hash as its `prev_hash` (1 and [`GENESIS`] on an
    /// empty log). Its seal is not checked here: the copy is verified as
    /// a whole afterwards.
    fn import_audit(&mut self, entry: &AuditEntry) -> Result<()>;
    fn audit_log(&self) -> Result<Vec<AuditEntry>>;
    fn audit_entry(&self, seq: i64) -> Result<Option<AuditEntry>>;
    fn last_audit(&self) -> Result<Option<AuditEntry>>;
    /// What is wrong with the guards that make the audit log append-only
    /// (missing or altered), one line each; empty when they are intact.
    fn audit_guard_problems(&self) -> Result<Vec<String>>;
}

/// Users of the server, their sessions and API tokens, and the sign-in
/// attempts that rate-limit them.
pub trait AccountStore {
    /// Add a user; `Conflict` if the name is taken.
    fn put_user(&mut self, user: &User) -> Result<()>;
    /// Change a user's role, password or status; `NotFound` if absent.
    fn update_user(&mut self, user: &User) -> Result<()>;
    fn user(&self, name: &str) -> Result<Option<User>>;
    fn users(&self) -> Result<Vec<User>>;

    /// Keep a session, and forget every session expired by its start.
    fn put_session(&mut self, session: &Session) -> Result<()>;
    fn session(&self, token_hash: &str) -> Result<Option<Session>>;
    fn delete_session(&mut self, token_hash: &str) -> Result<()>;

    fn put_api_token(&mut self, token: &ApiToken) -> Result<()>;
    fn api_token(&self, token_hash: &str) -> Result<Option<ApiToken>>;
    fn api_tokens(&self) -> Result<Vec<ApiToken>>;
    /// `NotFound` if there is no such token.
    fn revoke_api_token(&mut self, id: &str) -> Result<()>;
    /// End every session of `user` and revoke every API token of theirs, in
    /// one transaction (after a password change, or when the user is
    /// disabled). The number of sessions ended and tokens revoked.
    fn revoke_credentials(&mut self, user: &str) -> Result<(usize, usize)>;

    /// Reserve one sign-in attempt at `at` under every key in `keys` (a user
    /// name, a client address), unless a key already holds `max` attempts
    /// made after `since`. Checking and reserving are one transaction, so
    /// concurrent attempts cannot all pass the check; attempts made at or
    /// before `since` are forgotten.
    fn reserve_sign_in(
        &mut self,
        keys: &[String],
        at: i64,
        since: i64,
        max: u32,
    ) -> Result<Reservation>;
    /// Forget the reserved `attempt` and every attempt under `key` (after a
    /// successful sign-in).
    fn clear_sign_in(&mut self, attempt: i64, key: &str) -> Result<()>;
}

/// Background jobs, shared by every server process on the database.
pub trait JobStore {
    /// Keep a new job (its `id` is ignored); its id.
    fn put_job(&mut self, job: &JobRecord) -> Result<i64>;
    fn job(&self, id: i64) -> Result<Option<JobRecord>>;
    /// Take over one unfinished job whose worker has not said it was alive
    /// since `stale_before`, the oldest first: it becomes `worker`'s, alive
    /// at `at`. Two processes calling this at once never get the same job.
    fn claim_stale_job(
        &mut self,
        worker: &str,
        at: i64,
        stale_before: i64,
    ) -> Result<Option<JobRecord>>;
    /// Write a job's progress (`document`, `output`, `done`, `total`,
    /// `heartbeat_at`, `finished_at`, `error`), if it is still
    /// `job.worker`'s; false (and nothing written) if another process has
    /// taken it over or it is gone.
    fn update_job(&mut self, job: &JobRecord) -> Result<bool>;
    /// Forget jobs finished before `before`; how many.
    fn forget_jobs(&mut self, before: i64) -> Result<usize>;
}

/// Opens connections to one database.
pub trait Backend: Send + Sync {
    /// A new connection. With `create`, an empty database gets the schema;
    /// without it, a database with no registry in it is refused (never a
    /// new registry beside an existing key).
    fn connect(&self, create: bool) -> Result<Box<dyn Store + Send>>;
    /// Where the database is, for messages (never with a password).
    fn describe(&self) -> String;
}

/// Every part of [`Store`], to call its methods.
pub mod prelude {
    pub use crate::{
        AccountStore, AuditStore, Backend, DocumentStore, JobStore, RecipientStore, Store,
        TraceStore,
    };
}
