//! Storage for a telltale registry: one trait, [`Store`], with one crate per
//! backend (`telltale-store-sqlite` now; PostgreSQL for deployments that run
//! several server instances can follow without touching callers).
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

pub mod story;

use serde::{Deserialize, Serialize};
use telltale_core::rules::RuleSet;
use telltale_core::{CodeParams, Template};
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

/// A registered document: its original text and everything needed to
/// render and trace its copies for ever after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentRecord {
    pub id: String,
    pub title: String,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
    /// The format the document was registered from ("txt", "md").
    pub source_format: String,
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
    pub format: String,
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

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Hash of the first entry's predecessor.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The action of the entry that starts keyed chaining in a log begun
/// before it: every entry before it is sealed by the unkeyed hash, every
/// entry from it on by the chain key.
pub const AUDIT_KEYED: &str = "audit.keyed";

/// The key that seals audit entries and the log's head. Derived from the
/// registry's secret key by a domain-separated KDF, so it reveals nothing
/// about the key that makes copies.
#[derive(Clone)]
pub struct ChainKey([u8; 32]);

impl ChainKey {
    pub fn derive(secret: &telltale_core::SecretKey) -> ChainKey {
        ChainKey(blake3::derive_key(
            "telltale audit chain v1",
            secret.expose_bytes(),
        ))
    }

    /// A chain key from raw bytes (tests and other backends' stories).
    pub fn from_bytes(bytes: [u8; 32]) -> ChainKey {
        ChainKey(bytes)
    }

    /// The seal of an entry.
    pub fn seal(
        &self,
        prev_hash: &str,
        seq: i64,
        at: i64,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> String {
        let mut h = blake3::Hasher::new_keyed(&self.0);
        feed(&mut h, prev_hash, seq, at, actor, action, detail);
        hex(h.finalize().as_bytes())
    }

    /// The seal of a head record (the last entry's sequence number and
    /// seal), kept outside the store so that cutting entries off the end of
    /// the log is caught. A different derived key from the entries', so an
    /// entry's seal can never pass for a head's.
    pub fn seal_head(&self, seq: i64, hash: &str) -> String {
        let k = blake3::derive_key("telltale audit head v1", &self.0);
        let mut h = blake3::Hasher::new_keyed(&k);
        h.update(&seq.to_le_bytes());
        h.update(&(hash.len() as u64).to_le_bytes());
        h.update(hash.as_bytes());
        hex(h.finalize().as_bytes())
    }

    /// Whether `e` is sealed by this key.
    pub fn sealed(&self, e: &AuditEntry) -> bool {
        self.seal(&e.prev_hash, e.seq, e.at, &e.actor, &e.action, &e.detail) == e.hash
    }
}

impl std::fmt::Debug for ChainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ChainKey(<redacted>)")
    }
}

impl Drop for ChainKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

fn feed(
    h: &mut blake3::Hasher,
    prev_hash: &str,
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    detail: &str,
) {
    for part in [
        prev_hash.as_bytes(),
        &seq.to_le_bytes(),
        &at.to_le_bytes(),
        actor.as_bytes(),
        action.as_bytes(),
        detail.as_bytes(),
    ] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part);
    }
}

/// The unkeyed hash that sealed entries written before keyed chaining.
/// Anyone can compute it, so it is only accepted before the first keyed
/// entry, whose seal covers the last of them.
pub fn legacy_entry_hash(
    prev_hash: &str,
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    detail: &str,
) -> String {
    let mut h = blake3::Hasher::new_derive_key("telltale 2026 audit chain v1");
    feed(&mut h, prev_hash, seq, at, actor, action, detail);
    hex(h.finalize().as_bytes())
}

/// A text as a JSON string: quoted, with quotes, backslashes and control
/// characters escaped, so that a name cannot forge the rest of a line.
pub fn quoted(s: &str) -> String {
    serde_json::Value::from(s).to_string()
}

/// Read a [`quoted`] text at the start of `s`: the text and what follows.
pub fn take_quoted(s: &str) -> Option<(String, &str)> {
    if !s.starts_with('"') {
        return None;
    }
    let mut it = serde_json::Deserializer::from_str(s).into_iter::<String>();
    let text = it.next()?.ok()?;
    let rest = s.get(it.byte_offset()..)?;
    Some((text, rest))
}

/// The audit detail of an issuance: which document, to whom (and by what
/// name, as issued), in which format, and the hash of the copy.
pub fn issuance_detail(i: &Issuance) -> String {
    match &i.recipient_name {
        Some(name) => format!(
            "{} to {} {} as {} (copy {})",
            i.document_id,
            i.recipient_id,
            quoted(name),
            i.format,
            i.content_hash
        ),
        None => format!(
            "{} to {} as {} (copy {})",
            i.document_id, i.recipient_id, i.format, i.content_hash
        ),
    }
}

/// An `issue` entry's detail read back (see [`issuance_detail`]); entries
/// written before names were recorded have no name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueDetail {
    pub document_id: String,
    pub recipient_id: String,
    pub recipient_name: Option<String>,
    pub format: String,
    pub content_hash: String,
}

pub fn parse_issuance_detail(detail: &str) -> Option<IssueDetail> {
    let (document_id, rest) = detail.split_once(" to ")?;
    let (recipient_id, rest) = rest.split_once(' ')?;
    let (recipient_name, rest) = match take_quoted(rest) {
        Some((name, rest)) => (Some(name), rest.strip_prefix(' ')?),
        None => (None, rest),
    };
    let rest = rest.strip_prefix("as ")?;
    let (format, rest) = rest.split_once(" (copy ")?;
    let content_hash = rest.strip_suffix(')')?;
    Some(IssueDetail {
        document_id: document_id.into(),
        recipient_id: recipient_id.into(),
        recipient_name,
        format: format.into(),
        content_hash: content_hash.into(),
    })
}

/// Make the next entry after `last`, sealed by `key`.
pub fn next_entry(
    key: &ChainKey,
    last: Option<&AuditEntry>,
    at: i64,
    actor: &str,
    action: &str,
    detail: &str,
) -> AuditEntry {
    let (seq, prev) = match last {
        Some(e) => (e.seq + 1, e.hash.clone()),
        None => (1, GENESIS.to_string()),
    };
    let hash = key.seal(&prev, seq, at, actor, action, detail);
    AuditEntry {
        seq,
        at,
        actor: actor.into(),
        action: action.into(),
        detail: detail.into(),
        prev_hash: prev,
        hash,
    }
}

/// What [`verify_chain`] found in an intact log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainCheck {
    pub entries: usize,
    /// Entries at its start sealed by the unkeyed hash (written before
    /// keyed chaining).
    pub legacy: usize,
}

/// Check the whole chain under `key`. Returns what was checked, or the
/// first sequence number at which it breaks and why.
pub fn verify_chain(
    entries: &[AuditEntry],
    key: &ChainKey,
) -> std::result::Result<ChainCheck, (i64, String)> {
    let mut prev = GENESIS.to_string();
    let mut legacy = 0;
    let mut keyed = false;
    for (i, e) in entries.iter().enumerate() {
        let want_seq = i as i64 + 1;
        if e.seq != want_seq {
            return Err((
                e.seq,
                format!("entry {want_seq} is missing or out of order"),
            ));
        }
        if e.prev_hash != prev {
            return Err((e.seq, "does not follow from the entry before it".into()));
        }
        if key.sealed(e) {
            if !keyed && e.seq > 1 && e.action != AUDIT_KEYED {
                return Err((
                    e.seq,
                    format!("follows unkeyed entries without an {AUDIT_KEYED} entry"),
                ));
            }
            keyed = true;
        } else if legacy_entry_hash(&e.prev_hash, e.seq, e.at, &e.actor, &e.action, &e.detail)
            == e.hash
        {
            if keyed {
                return Err((
                    e.seq,
                    "is not sealed with the registry's key (it was rewritten and chained again)"
                        .into(),
                ));
            }
            legacy += 1;
        } else {
            return Err((
                e.seq,
                "its contents were changed after it was written".into(),
            ));
        }
        prev = e.hash.clone();
    }
    if let Some(last) = entries.last() {
        if !keyed {
            return Err((
                last.seq,
                "no entry of the log is sealed with the registry's key".into(),
            ));
        }
    }
    Ok(ChainCheck {
        entries: entries.len(),
        legacy,
    })
}

/// The registry's storage. Every method is one transaction, or part of the
/// caller's inside [`Store::atomically`].
pub trait Store {
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

    /// Register a document with the shingles that locate it.
    fn put_document(&mut self, doc: &DocumentRecord, shingles: &[u64]) -> Result<()>;
    fn document(&self, id: &str) -> Result<Option<DocumentRecord>>;
    fn documents(&self) -> Result<Vec<DocumentSummary>>;
    /// Remove a document, its shingles and (when `force`) its issuances.
    /// Refused with `Conflict` if it has issuances and `force` is false.
    fn remove_document(&mut self, id: &str, force: bool) -> Result<()>;
    /// Documents sharing shingles with a text, most shared first.
    fn candidate_documents(&self, shingles: &[u64], limit: usize) -> Result<Vec<(String, usize)>>;

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
    fn issuances(&self, document_id: Option<&str>) -> Result<Vec<Issuance>>;
    /// Who holds a document: the recipient ids of its issuances, in id
    /// order (what a trace scores, without the rest of each row).
    fn holders(&self, document_id: &str) -> Result<Vec<String>>;
    /// The name a recipient's copy of a document was issued under, when
    /// it was recorded.
    fn issued_name(&self, document_id: &str, recipient_id: &str) -> Result<Option<String>>;

    fn record_trace(
        &mut self,
        at: i64,
        input_hash: &str,
        input_bytes: usize,
        result: &serde_json::Value,
    ) -> Result<i64>;
    fn traces(&self) -> Result<Vec<TraceRecord>>;
    /// One trace by id.
    fn trace(&self, id: i64) -> Result<Option<TraceRecord>>;
    /// Keep the file a document was registered from (HTML, DOCX).
    fn put_source(&mut self, document_id: &str, bytes: &[u8]) -> Result<()>;
    fn source(&self, document_id: &str) -> Result<Option<Vec<u8>>>;
    /// Keep the text that was traced, for the evidence report.
    fn put_trace_input(&mut self, id: i64, input: &str) -> Result<()>;
    fn trace_input(&self, id: i64) -> Result<Option<String>>;

    /// Append to the audit log, sealed by `key`.
    fn append_audit(
        &mut self,
        key: &ChainKey,
        at: i64,
        actor: &str,
        action: &str,
        detail: &str,
    ) -> Result<AuditEntry>;
    fn audit_log(&self) -> Result<Vec<AuditEntry>>;
    fn audit_entry(&self, seq: i64) -> Result<Option<AuditEntry>>;
    fn last_audit(&self) -> Result<Option<AuditEntry>>;
    /// What is wrong with the guards that make the audit log append-only
    /// (missing or altered), one line each; empty when they are intact.
    fn audit_guard_problems(&self) -> Result<Vec<String>>;

    /// Replace a document's template and rules (after classes were switched
    /// off). Refused with `Conflict` once any copy has been issued, since
    /// issued copies must stay traceable.
    fn replace_document(&mut self, doc: &DocumentRecord, shingles: &[u64]) -> Result<()>;

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

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> ChainKey {
        ChainKey::from_bytes([7; 32])
    }

    fn log(n: i64) -> Vec<AuditEntry> {
        let mut log: Vec<AuditEntry> = Vec::new();
        for i in 0..n {
            let e = next_entry(
                &key(),
                log.last(),
                100 + i,
                "cli",
                "doc.add",
                &format!("d-{i}"),
            );
            log.push(e);
        }
        log
    }

    /// Seal `e` again with the unkeyed hash, as anyone could.
    fn rehash_unkeyed(e: &mut AuditEntry) {
        e.hash = legacy_entry_hash(&e.prev_hash, e.seq, e.at, &e.actor, &e.action, &e.detail);
    }

    /// Chain `entries` after `prev` again, unkeyed, as a forger would.
    fn rechain_unkeyed(entries: &mut [AuditEntry], mut prev: String) {
        for e in entries {
            e.prev_hash = prev;
            rehash_unkeyed(e);
            prev = e.hash.clone();
        }
    }

    #[test]
    fn any_change_breaks_the_chain() {
        let log = log(5);
        assert_eq!(
            verify_chain(&log, &key()),
            Ok(ChainCheck {
                entries: 5,
                legacy: 0
            })
        );
        let mut changed = log.clone();
        changed[2].detail = "d-x".into();
        assert_eq!(verify_chain(&changed, &key()).unwrap_err().0, 3);
        let mut removed = log.clone();
        removed.remove(1);
        assert!(verify_chain(&removed, &key()).is_err());
        let mut resealed = log.clone();
        resealed[2].detail = "d-x".into();
        resealed[2].hash = key().seal(
            &resealed[2].prev_hash,
            3,
            resealed[2].at,
            "cli",
            "doc.add",
            "d-x",
        );
        assert_eq!(
            verify_chain(&resealed, &key()).unwrap_err().0,
            4,
            "a rewritten entry breaks its successor"
        );
        assert!(
            verify_chain(&log, &ChainKey::from_bytes([8; 32])).is_err(),
            "another key does not verify"
        );
    }

    #[test]
    fn a_log_rewritten_and_chained_again_without_the_key_fails() {
        let mut forged = log(5);
        forged[2].detail = "d-x".into();
        let prev = forged[1].hash.clone();
        rechain_unkeyed(&mut forged[2..], prev);
        let (seq, why) = verify_chain(&forged, &key()).unwrap_err();
        assert_eq!(seq, 3, "{why}");
        // All of it rewritten: nothing is sealed by the key any more.
        let mut all = log(3);
        rechain_unkeyed(&mut all, GENESIS.to_string());
        assert!(verify_chain(&all, &key())
            .unwrap_err()
            .1
            .contains("no entry"));
    }

    #[test]
    fn a_legacy_log_verifies_up_to_its_keyed_cut_over() {
        let mut old: Vec<AuditEntry> = Vec::new();
        for i in 0..3 {
            let mut e = next_entry(&key(), old.last(), i, "cli", "doc.add", "x");
            rehash_unkeyed(&mut e);
            old.push(e);
        }
        let mut without = old.clone();
        let e = next_entry(&key(), without.last(), 9, "cli", "doc.add", "y");
        without.push(e);
        assert_eq!(verify_chain(&without, &key()).unwrap_err().0, 4);
        let e = next_entry(&key(), old.last(), 9, "cli", AUDIT_KEYED, "from here");
        old.push(e);
        assert_eq!(
            verify_chain(&old, &key()),
            Ok(ChainCheck {
                entries: 4,
                legacy: 3
            })
        );
        // The keyed entry's seal covers the unkeyed ones before it.
        let mut changed = old.clone();
        changed[1].detail = "z".into();
        rehash_unkeyed(&mut changed[1]);
        changed[2].prev_hash = changed[1].hash.clone();
        rehash_unkeyed(&mut changed[2]);
        assert_eq!(verify_chain(&changed, &key()).unwrap_err().0, 4);
    }

    #[test]
    fn issuance_details_read_back_with_and_without_names() {
        let mut i = Issuance {
            document_id: "d-1".into(),
            recipient_id: "r-1".into(),
            format: "txt".into(),
            issued_at: 1,
            path: None,
            content_hash: "ab".into(),
            recipient_name: Some("Ann \"Nan\" Holm as ) to".into()),
        };
        let d = parse_issuance_detail(&issuance_detail(&i)).unwrap();
        assert_eq!(d.recipient_name, i.recipient_name);
        assert_eq!(
            (d.document_id.as_str(), d.recipient_id.as_str()),
            ("d-1", "r-1")
        );
        assert_eq!((d.format.as_str(), d.content_hash.as_str()), ("txt", "ab"));
        i.recipient_name = None;
        let d = parse_issuance_detail(&issuance_detail(&i)).unwrap();
        assert_eq!(d.recipient_name, None);
        assert_eq!(d.content_hash, "ab");
        assert_eq!(
            parse_issuance_detail("d-1 to r-1 as txt (copy ab)")
                .unwrap()
                .format,
            "txt"
        );
        assert_eq!(quoted("a\nb").lines().count(), 1);
    }
}
