//! The organisation's registry: a home directory with a secret key file and
//! a database, and the operations a security officer runs on it. The CLI
//! and the server are thin layers over [`Registry`]; all decisions about
//! text and evidence are made by `telltale-core`.
//!
//! Layout of a registry home:
//!
//! ```text
//! $TELLTALE_HOME/   mode 0700 (tightened, with a warning, if looser)
//!   secret.key     the key, mode 0600, in the clear or sealed by a passphrase
//!   registry.db    SQLite: documents, recipients, issuances, traces, audit
//!                  log; mode 0600, as are its -wal and -shm files
//!   audit.head     the audit log's last entry, sealed (see `integrity`)
//! ```
//!
//! The database can instead be elsewhere, behind any [`Backend`] (a
//! PostgreSQL server shared by several server processes): a [`Location`]
//! names the home and the database. The key file and the audit head stay
//! in a home beside each process, never in the database.
//!
//! This file holds [`Registry`] itself: opening and creating a home, and the
//! audit helpers every operation writes through. The operations live in
//! their own modules, each an `impl Registry` block: `documents`,
//! `recipients`, `copies` (how a copy is made), `distribute`, `trace`,
//! `evidence` (the signed report an inquiry files; its seal in `seal`),
//! `accounts`, `integrity`, `backup`, `migrate` (a registry copied to
//! another database), `jobs` (background work any process can finish) and
//! `listings` (what callers list). The CLI and the server call these
//! methods, never the store: [`Registry::store`] is for tests and tools.

// A library answers bad input with an error, never a panic.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod accounts;
mod backup;
pub mod budget;
mod copies;
mod distribute;
mod documents;
pub mod evidence;
pub mod files;
mod gates;
mod holders;
pub use gates::GateProgress;
mod import;
pub mod integrity;
pub mod jobs;
pub mod keyfile;
mod listings;
mod migrate;
mod recipients;
pub mod report;
pub mod seal;
mod trace;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use telltale_core::SecretKey;
pub use telltale_store::Backend;
use telltale_store::{ChainKey, Store, StoreError};
pub use telltale_store::{JobRecord, Link, Role, User};
use telltale_store_sqlite::SqliteBackend;
use thiserror::Error;

pub use backup::BackupSummary;
pub use budget::Budget;
pub use copies::CopySink;
pub use distribute::DistributeReport;
pub use evidence::{RegistryState, StoredTrace};
pub use holders::HOLDERS_KEPT_FROM;
pub use import::{is_unprintable, parse_recipients_csv, ParsedCsv};
pub use integrity::{Verification, HEAD_FILE};
pub use jobs::{DistributionRequest, MadeLink};
pub use listings::Audience;
pub use migrate::MigrateSummary;
pub use recipients::ImportReport;
pub use report::{DocumentReport, EvidenceItem, RunningReport, SuspectReport, TraceReport};
pub use trace::TraceRequest;

pub const KEY_FILE: &str = "secret.key";
pub const DB_FILE: &str = "registry.db";
/// The head of the audit chain, kept outside the database.
pub const AUDIT_HEAD_FILE: &str = integrity::HEAD_FILE;
/// Every file of a registry home besides the database that a copy of the
/// registry needs to open and verify; a backup copies each one present.
/// A file added to the home is added here.
pub const HOME_FILES: &[&str] = &[KEY_FILE, AUDIT_HEAD_FILE];
/// Largest file read from outside (a document or a leak, before its text
/// is drawn out), in bytes. The text itself is held to the core's limits,
/// the only ones: [`MAX_DOCUMENT_BYTES`] for a document to register and
/// `telltale_core::align::MAX_LEAK_BYTES` for a leak.
pub const MAX_INPUT_BYTES: usize = 16 * 1024 * 1024;
pub use telltale_core::rules::MAX_DOCUMENT_BYTES;

#[derive(Debug, Error)]
pub enum RegistryError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Core(#[from] telltale_core::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("secret key: {0}")]
    Key(String),
    #[error("there is already a registry in {0}")]
    Exists(PathBuf),
    #[error("there is no registry in {0} (run `telltale init`, or pass --home)")]
    Missing(PathBuf),
    #[error("key file does not belong to this registry (fingerprint {found}, registry expects {expected})")]
    WrongKey { found: String, expected: String },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Format(#[from] telltale_formats::FormatError),
    #[error("{0}")]
    Reader(#[from] telltale_ocr::OcrError),
    /// A copy could not be made from what the registry holds: a failure
    /// of the registry, never of the caller's input.
    #[error("cannot make the copy: {0}")]
    Render(telltale_formats::FormatError),
    #[error("cannot encode the {what}: {source}")]
    Encode {
        what: &'static str,
        source: serde_json::Error,
    },
    /// The language-model gate could not be loaded or run: a failure of
    /// the installation, never of the caller's input.
    #[error("{0} (TELLTALE_MODEL=none registers with the grammar checker alone)")]
    Model(String),
    /// The work ran out of its [`Budget`] and was stopped.
    #[error("the work was stopped: it ran out of time")]
    Cancelled,
}

impl RegistryError {
    pub fn io(path: &Path, source: std::io::Error) -> RegistryError {
        RegistryError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

pub type Result<T> = std::result::Result<T, RegistryError>;

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Where a registry is: its home (the key file and the audit head) and
/// its database.
#[derive(Clone)]
pub struct Location {
    home: PathBuf,
    database: Arc<dyn Backend>,
    /// The database is SQLite's `registry.db` in the home.
    embedded: bool,
}

impl Location {
    /// The default: the home, with SQLite's `registry.db` in it.
    pub fn embedded(home: &Path) -> Location {
        Location {
            home: home.to_path_buf(),
            database: Arc::new(SqliteBackend::new(home.join(DB_FILE))),
            embedded: true,
        }
    }

    /// The home, with the database behind `database`.
    pub fn new(home: &Path, database: Arc<dyn Backend>) -> Location {
        Location {
            home: home.to_path_buf(),
            database,
            embedded: false,
        }
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

    /// Where the database is, for messages.
    pub fn describe_database(&self) -> String {
        self.database.describe()
    }
}

/// An open registry.
pub struct Registry {
    location: Location,
    store: Box<dyn Store + Send>,
    key: SecretKey,
    /// Seals the audit log (derived from `key`).
    chain: ChainKey,
    actor: String,
    /// What judges alternatives at registration (see [`gates`]).
    gates: gates::Gates,
    /// What opening the registry had to put right (modes that were too
    /// loose), for the caller to show.
    warnings: Vec<String>,
    /// When long work must stop (see [`budget`]).
    budget: Budget,
    /// Who holds each much-issued document, shared by the handles
    /// [`Registry::reopen`] makes (see [`holders`]).
    holders: std::sync::Arc<holders::HoldersCache>,
}

impl Registry {
    /// Create a registry in `home` with a new secret key.
    pub fn init(home: &Path, passphrase: Option<&str>) -> Result<Registry> {
        Registry::init_at(&Location::embedded(home), passphrase)
    }

    /// Create a registry with a new secret key in `at`'s home, and its
    /// records in `at`'s database, which must hold no registry yet.
    pub fn init_at(at: &Location, passphrase: Option<&str>) -> Result<Registry> {
        let home = at.home();
        let key_path = home.join(KEY_FILE);
        if key_path.exists() || (at.embedded && home.join(DB_FILE).exists()) {
            return Err(RegistryError::Exists(home.to_path_buf()));
        }
        files::create_private_dir(home)?;
        let warnings = tighten_home(home)?;
        let store = at.database.connect(true)?;
        if store.meta(integrity::FINGERPRINT)?.is_some() || store.last_audit()?.is_some() {
            return Err(RegistryError::Invalid(format!(
                "there is already a registry in the database {}",
                at.describe_database()
            )));
        }
        let key = keyfile::create(&key_path, passphrase)?;
        let mut r = Registry::with(at, store, key);
        r.warnings = warnings;
        let fingerprint = r.key.fingerprint();
        r.audited(&mut |s, chain, actor| {
            s.put_meta(integrity::FINGERPRINT, &fingerprint)?;
            s.append_audit(
                chain,
                now(),
                actor,
                "init",
                &format!("key fingerprint {fingerprint}"),
            )?;
            Ok(())
        })?;
        Ok(r)
    }

    /// Open the registry in `home`.
    pub fn open(home: &Path, passphrase: Option<&str>) -> Result<Registry> {
        Registry::open_at(&Location::embedded(home), passphrase)
    }

    /// Open the registry whose key is in `at`'s home and whose records are
    /// in `at`'s database.
    pub fn open_at(at: &Location, passphrase: Option<&str>) -> Result<Registry> {
        let home = at.home();
        let key_path = home.join(KEY_FILE);
        if at.embedded {
            let db_path = home.join(DB_FILE);
            if key_path.exists() != db_path.exists() {
                return Err(RegistryError::Invalid(format!(
                    "the registry in {} is incomplete: {} is missing",
                    home.display(),
                    if key_path.exists() { DB_FILE } else { KEY_FILE }
                )));
            }
        }
        if !key_path.exists() {
            return Err(RegistryError::Missing(home.to_path_buf()));
        }
        let warnings = tighten_home(home)?;
        let key = keyfile::load(&key_path, passphrase)?;
        // Never a new registry beside an existing key: an empty database
        // is refused, not started afresh.
        let store = at.database.connect(false)?;
        let mut r = Registry::with(at, store, key);
        r.warnings = warnings;
        let fingerprint = r.key.fingerprint();
        let expected = match r.store.meta(integrity::FINGERPRINT)? {
            Some(expected) => Some(expected),
            // Kept since schema 5; before it, `init` wrote it in the log.
            None => r.store.audit_entry(1)?.and_then(|e| {
                (e.action == "init")
                    .then(|| {
                        e.detail
                            .strip_prefix("key fingerprint ")
                            .map(str::to_string)
                    })
                    .flatten()
            }),
        };
        if let Some(expected) = expected.filter(|e| *e != fingerprint) {
            return Err(RegistryError::WrongKey {
                found: fingerprint,
                expected,
            });
        }
        if r.store.meta(integrity::FINGERPRINT)?.is_none() {
            integrity::upgrade(r.store.as_mut(), &r.chain, &fingerprint, now(), &r.actor)?;
            r.sync_head()?;
        }
        Ok(r)
    }

    fn with(at: &Location, store: Box<dyn Store + Send>, key: SecretKey) -> Registry {
        Registry {
            location: at.clone(),
            store,
            chain: ChainKey::derive(&key),
            key,
            actor: actor(),
            gates: gates::Gates::default(),
            warnings: Vec::new(),
            budget: Budget::unlimited(),
            holders: Default::default(),
        }
    }

    /// What opening the registry put right (a home or database readable
    /// by others, now private), one sentence each.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// A second handle on the same registry, with its own database
    /// connection and the key already loaded (no passphrase needed), so
    /// that a server can work on several requests at once. The handles
    /// read side by side (SQLite's WAL, PostgreSQL's snapshots); writes
    /// take turns under the store's write lock, and the audit chain is
    /// extended inside each write's own transaction.
    pub fn reopen(&self) -> Result<Registry> {
        let store = self.location.database.connect(false)?;
        Ok(Registry {
            location: self.location.clone(),
            store,
            key: self.key.clone(),
            chain: self.chain.clone(),
            actor: self.actor.clone(),
            gates: self.gates.share(),
            warnings: Vec::new(),
            budget: Budget::unlimited(),
            holders: std::sync::Arc::clone(&self.holders),
        })
    }

    /// Report the language model's progress while later registrations are
    /// judged (texts scored, texts to score).
    pub fn set_gate_progress(&mut self, progress: Option<GateProgress>) {
        self.gates.progress = progress;
    }

    /// Limit the work of later calls (until the next `set_budget`): long
    /// loops stop with [`RegistryError::Cancelled`] once it is spent.
    pub fn set_budget(&mut self, budget: Budget) {
        self.budget = budget;
    }

    pub fn home(&self) -> &Path {
        &self.location.home
    }

    /// Where the registry is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The store itself, read-only, for tests and tools; the CLI and the
    /// server go through the registry's methods.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    pub fn key_fingerprint(&self) -> String {
        self.key.fingerprint()
    }

    /// Write an event that happened outside the registry's own operations
    /// (a download of copies, say) to the audit log.
    pub fn note(&mut self, action: &str, detail: &str) -> Result<()> {
        self.audit(action, detail)
    }

    fn audit(&mut self, action: &str, detail: &str) -> Result<()> {
        self.store
            .append_audit(&self.chain, now(), &self.actor, action, detail)?;
        self.sync_head()
    }

    /// Make changes and their audit entries in one transaction (`work` is
    /// handed the store, the chain key and the actor), then advance the
    /// log's head once for all of them.
    fn audited(
        &mut self,
        work: &mut dyn FnMut(&mut dyn Store, &ChainKey, &str) -> telltale_store::Result<()>,
    ) -> Result<()> {
        let (chain, actor) = (&self.chain, &self.actor);
        self.store.atomically(&mut |s| work(s, chain, actor))?;
        self.sync_head()
    }

    /// Record the log's last entry in `audit.head` (see [`integrity`]).
    fn sync_head(&mut self) -> Result<()> {
        integrity::sync_head(self.store.as_mut(), &self.location.home, &self.chain)
    }
    /// Check the registry against its audit log: the chain's seals, its
    /// head in `audit.head`, the append-only triggers, and that issuances,
    /// recipients' names and documents' templates agree with the log.
    pub fn verify(&self) -> Result<Verification> {
        integrity::verify(self.store.as_ref(), &self.location.home, &self.chain)
    }

    /// [`Registry::verify`] in short: the number of entries, or the entry
    /// where the chain breaks (0 for a disagreement elsewhere) and every
    /// problem found.
    pub fn verify_audit(&self) -> Result<std::result::Result<usize, (i64, String)>> {
        let v = self.verify()?;
        if v.intact() {
            return Ok(Ok(v.entries));
        }
        Ok(Err((v.broken_at.unwrap_or(0), v.problems.join("; "))))
    }
}
/// Make the home 0700 and the database's files 0600 where they are looser,
/// saying what was changed. (The key file is refused rather than changed
/// when others can read it: see `keyfile::load`.)
fn tighten_home(home: &Path) -> Result<Vec<String>> {
    let mut warnings = Vec::new();
    if let Some(old) = files::tighten(home, files::PRIVATE_DIR_MODE)? {
        warnings.push(format!(
            "the registry home {} was open to others (mode {old:o}); it is now 700",
            home.display()
        ));
    }
    for name in [
        DB_FILE.to_string(),
        format!("{DB_FILE}-wal"),
        format!("{DB_FILE}-shm"),
    ] {
        let path = home.join(&name);
        if let Some(old) = files::tighten(&path, files::PRIVATE_FILE_MODE)? {
            warnings.push(format!(
                "{} was readable by others (mode {old:o}); it is now 600",
                path.display()
            ));
        }
    }
    Ok(warnings)
}

/// Each id once, in the order first given: a recipient named twice gets
/// one copy, not a refused second issuance halfway through a run.
pub fn unique_ids(ids: &[String]) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    ids.iter()
        .filter(|i| seen.insert(i.as_str()))
        .cloned()
        .collect()
}

fn actor() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .map(|u| format!("cli:{u}"))
        .unwrap_or_else(|_| "cli".into())
}
