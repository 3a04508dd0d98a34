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

// A library answers bad input with an error, never a panic.
#![deny(clippy::unwrap_used, clippy::expect_used)]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod accounts;
mod backup;
pub mod budget;
pub mod files;
mod import;
pub mod integrity;
pub mod keyfile;
pub mod report;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use telltale_core::gate::HarperGate;
use telltale_core::rules::{detect_variety, Format, Profile, RuleSet};
use telltale_core::{
    accuse, align, AccuseParams, CodeParams, Codebook, DocumentEvidence, Locator, SecretKey,
};
use telltale_store::{ChainKey, DocumentRecord, Issuance, Recipient, Store, StoreError, Upsert};
pub use telltale_store::{Link, Role, User};
use telltale_store_sqlite::SqliteStore;
use thiserror::Error;

pub use backup::BackupSummary;
pub use budget::Budget;
use import::valid_recipient;
pub use import::{is_unprintable, parse_recipients_csv, ParsedCsv};
pub use integrity::{Verification, HEAD_FILE};
pub use report::{DocumentReport, EvidenceItem, RunningReport, SuspectReport, TraceReport};

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

/// Where [`Registry::each_copy_as`] hands each recipient's copy.
pub type CopySink<'a, E> = dyn FnMut(&str, Vec<u8>) -> std::result::Result<(), E> + 'a;

/// Output formats of copies.
pub const COPY_FORMATS: &[&str] = &["txt", "md", "html", "docx", "pdf"];

/// An open registry.
pub struct Registry {
    home: PathBuf,
    store: Box<dyn Store + Send>,
    key: SecretKey,
    /// Seals the audit log (derived from `key`).
    chain: ChainKey,
    actor: String,
    /// Grammar checkers by variety, loaded on first use (loading the
    /// dictionary is the slow part of registering a document).
    gates: Vec<(telltale_core::Variety, HarperGate)>,
    /// What opening the registry had to put right (modes that were too
    /// loose), for the caller to show.
    warnings: Vec<String>,
    /// When long work must stop (see [`budget`]).
    budget: Budget,
}

/// Result of importing recipients from CSV.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
pub struct ImportReport {
    pub added: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// (line number, reason)
    pub rejected: Vec<(usize, String)>,
}

/// Where and how a distribution writes its copies.
struct Destination<'a> {
    out: &'a Path,
    format: &'a str,
    mode: u32,
}

/// Result of a distribution run.
#[derive(Debug, Default, Clone, PartialEq, serde::Serialize)]
pub struct DistributeReport {
    /// Issued in this run: copy written and issuance recorded.
    pub written: usize,
    /// Already issued before this run, and the copy is in place: nothing
    /// written.
    pub already: usize,
    /// Already issued before this run, and the copy written now (its file
    /// was missing, or this run writes to another directory or format);
    /// the issuance stays recorded once. Copies are deterministic, so the
    /// bytes are those issued.
    pub rewritten: usize,
}

impl Registry {
    /// Create a registry in `home` with a new secret key.
    pub fn init(home: &Path, passphrase: Option<&str>) -> Result<Registry> {
        let key_path = home.join(KEY_FILE);
        let db_path = home.join(DB_FILE);
        if key_path.exists() || db_path.exists() {
            return Err(RegistryError::Exists(home.to_path_buf()));
        }
        files::create_private_dir(home)?;
        let warnings = tighten_home(home)?;
        let key = keyfile::create(&key_path, passphrase)?;
        let store = SqliteStore::open(&db_path)?;
        let mut r = Registry::with(home, Box::new(store), key);
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
        let key_path = home.join(KEY_FILE);
        let db_path = home.join(DB_FILE);
        if !key_path.exists() || !db_path.exists() {
            if key_path.exists() != db_path.exists() {
                return Err(RegistryError::Invalid(format!(
                    "the registry in {} is incomplete: {} is missing",
                    home.display(),
                    if key_path.exists() { DB_FILE } else { KEY_FILE }
                )));
            }
            return Err(RegistryError::Missing(home.to_path_buf()));
        }
        let warnings = tighten_home(home)?;
        let key = keyfile::load(&key_path, passphrase)?;
        // Never a new registry beside an existing key: an empty database
        // is refused, not started afresh.
        let store = SqliteStore::open_existing(&db_path)?;
        let mut r = Registry::with(home, Box::new(store), key);
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

    fn with(home: &Path, store: Box<dyn Store + Send>, key: SecretKey) -> Registry {
        Registry {
            home: home.to_path_buf(),
            store,
            chain: ChainKey::derive(&key),
            key,
            actor: actor(),
            gates: Vec::new(),
            warnings: Vec::new(),
            budget: Budget::unlimited(),
        }
    }

    /// What opening the registry put right (a home or database readable
    /// by others, now private), one sentence each.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// A second handle on the same registry, with its own database
    /// connection and the key already loaded (no passphrase needed), so
    /// that a server can work on several requests at once. SQLite's WAL
    /// lets the handles read side by side; writes take turns, and the audit
    /// chain is extended inside each write's own transaction.
    pub fn reopen(&self) -> Result<Registry> {
        let store = SqliteStore::open_existing(&self.home.join(DB_FILE))?;
        Ok(Registry {
            home: self.home.clone(),
            store: Box::new(store),
            key: self.key.clone(),
            chain: self.chain.clone(),
            actor: self.actor.clone(),
            gates: Vec::new(),
            warnings: Vec::new(),
            budget: Budget::unlimited(),
        })
    }

    /// Limit the work of later calls (until the next `set_budget`): long
    /// loops stop with [`RegistryError::Cancelled`] once it is spent.
    pub fn set_budget(&mut self, budget: Budget) {
        self.budget = budget;
    }

    pub fn home(&self) -> &Path {
        &self.home
    }

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
        integrity::sync_head(self.store.as_mut(), &self.home, &self.chain)
    }

    /// Register a document. `format` says which parts are prose.
    pub fn add_document(
        &mut self,
        text: &str,
        title: Option<&str>,
        format: Format,
        source_format: &str,
    ) -> Result<DocumentRecord> {
        self.add_document_with(text, title, format, source_format, Profile::default())
    }

    /// As [`Registry::add_document`], under a chosen style profile.
    pub fn add_document_with(
        &mut self,
        text: &str,
        title: Option<&str>,
        format: Format,
        source_format: &str,
        profile: Profile,
    ) -> Result<DocumentRecord> {
        self.register(text, None, title, format, source_format, profile)
    }

    /// Register a document from a file's bytes in any format telltale
    /// reads (.txt, .md, .html, .docx). HTML and DOCX originals are kept,
    /// so that copies can be issued in the original's own format with its
    /// markup, styles, tables and images.
    pub fn add_document_file(
        &mut self,
        bytes: &[u8],
        format: telltale_formats::Format,
        title: Option<&str>,
        profile: Profile,
    ) -> Result<DocumentRecord> {
        use telltale_formats::Format as F;
        if bytes.len() > MAX_INPUT_BYTES {
            return Err(telltale_core::Error::TooLarge {
                size: bytes.len(),
                limit: MAX_INPUT_BYTES,
            }
            .into());
        }
        if format == F::Pdf {
            // A PDF original gives its text layer; copies are typeset
            // afresh (`distribute --format pdf`), with the layout layer.
            let text = telltale_ocr::pdf_text(bytes, telltale_ocr::Limits::default())?;
            let text = telltale_formats::pdf::tidy_text(&text);
            return self.register(&text, None, title, Format::Plain, "pdf", profile);
        }
        let source = telltale_formats::extract(format, bytes, telltale_formats::Limits::default())?;
        match format {
            F::Txt => self.register(&source.text, None, title, Format::Plain, "txt", profile),
            F::Md => self.register(&source.text, None, title, Format::Markdown, "md", profile),
            // Handled above.
            F::Pdf => Err(telltale_formats::FormatError::Unsupported("pdf".into()).into()),
            F::Html | F::Docx => self.register(
                &source.text,
                Some(&source),
                title,
                Format::Plain,
                format.name(),
                profile,
            ),
        }
    }

    fn register(
        &mut self,
        text: &str,
        source: Option<&telltale_formats::Source>,
        title: Option<&str>,
        format: Format,
        source_format: &str,
        profile: Profile,
    ) -> Result<DocumentRecord> {
        // Checked before anything else reads the text.
        telltale_core::rules::check_input(text)?;
        let variety = detect_variety(text);
        let rules = RuleSet {
            format,
            profile,
            // Detected again by the engine, which also weighs how clear the
            // evidence is; the gate below needs the same answer.
            variety: None,
            ..RuleSet::default()
        };
        let gi = self.gate_for(variety);
        let mut template = rules.build(text, &mut self.gates[gi].1)?;
        if let Some(src) = source {
            template = telltale_formats::fit(&template, src);
        }
        let created_at = now();
        let id = {
            let mut h = blake3::Hasher::new();
            h.update(text.as_bytes());
            h.update(&created_at.to_le_bytes());
            let mut salt = [0u8; 8];
            getrandom::fill(&mut salt).map_err(|e| RegistryError::Key(e.to_string()))?;
            h.update(&salt);
            format!("d-{}", &hex(h.finalize().as_bytes())[..10])
        };
        let title = title
            .map(str::to_string)
            .unwrap_or_else(|| default_title(text));
        let doc = DocumentRecord {
            id,
            title,
            created_at,
            source_format: source_format.into(),
            template,
            code_params: CodeParams::default(),
            rules,
        };
        let shingles = align::template_shingles(&doc.template);
        let detail = format!(
            "{} \"{}\" {}",
            doc.id,
            doc.title,
            integrity::template_note(&doc)?
        );
        // The document, its file and its entry together: without its file
        // it could not be issued as registered.
        self.audited(&mut |s, chain, actor| {
            s.put_document(&doc, &shingles)?;
            if let Some(src) = source {
                s.put_source(&doc.id, &src.bytes)?;
            }
            s.append_audit(chain, now(), actor, "doc.add", &detail)?;
            Ok(())
        })?;
        Ok(doc)
    }

    /// Switch rule classes off (or back on) for a document that has not
    /// been issued yet, and rebuild its template under the new rules.
    pub fn set_disabled_classes(
        &mut self,
        id: &str,
        disabled: &[telltale_core::Class],
    ) -> Result<DocumentRecord> {
        let mut doc = self.document(id)?;
        if !self.store.issuances(Some(id))?.is_empty() {
            return Err(StoreError::Conflict(format!(
                "{id} has been issued; its variations can no longer change"
            ))
            .into());
        }
        let mut disabled = disabled.to_vec();
        disabled.sort_by_key(|c| c.name());
        disabled.dedup();
        doc.rules.disabled = disabled;
        let variety = detect_variety(&doc.template.text);
        let gi = self.gate_for(variety);
        let text = doc.template.text.clone();
        doc.template = doc.rules.build(&text, &mut self.gates[gi].1)?;
        if let Some(src) = self.source_of(&doc)? {
            doc.template = telltale_formats::fit(&doc.template, &src);
        }
        let shingles = align::template_shingles(&doc.template);
        let names: Vec<&str> = doc.rules.disabled.iter().map(|c| c.name()).collect();
        let detail = format!(
            "{id}: classes off [{}] {}",
            names.join(","),
            integrity::template_note(&doc)?
        );
        self.audited(&mut |s, chain, actor| {
            s.replace_document(&doc, &shingles)?;
            s.append_audit(chain, now(), actor, "doc.rules", &detail)?;
            Ok(())
        })?;
        Ok(doc)
    }

    /// The shortest quote, in words, that would name its leaker among
    /// `recipients` holders at `threshold`: when retyped (lexical and
    /// punctuation layers survive) and when pasted (all layers survive).
    pub fn estimate_quote(
        &self,
        doc: &DocumentRecord,
        recipients: usize,
        threshold: f64,
    ) -> Result<(Option<usize>, Option<usize>)> {
        use telltale_core::estimate::shortest_identifying_quote_until;
        use telltale_core::Layer;
        let cb = Codebook::new(&self.key, &doc.id, &doc.template, doc.code_params)?;
        let n = recipients.max(2);
        let stop = || self.budget.spent();
        let estimate = |layers: &[Layer]| {
            shortest_identifying_quote_until(&doc.template, &cb, n, threshold, layers, &stop)
                .map_err(|_| RegistryError::Cancelled)
        };
        Ok((
            estimate(&[Layer::Lexical, Layer::Punctuation])?,
            estimate(&Layer::ALL)?,
        ))
    }

    fn gate_for(&mut self, variety: telltale_core::Variety) -> usize {
        match self.gates.iter().position(|(v, _)| *v == variety) {
            Some(i) => i,
            None => {
                self.gates.push((variety, HarperGate::new(variety)));
                self.gates.len() - 1
            }
        }
    }

    pub fn document(&self, id: &str) -> Result<DocumentRecord> {
        self.store
            .document(id)?
            .ok_or_else(|| StoreError::NotFound(format!("document {id}")).into())
    }

    pub fn remove_document(&mut self, id: &str, force: bool) -> Result<()> {
        let detail = format!("{id}{}", if force { " (forced)" } else { "" });
        self.audited(&mut |s, chain, actor| {
            s.remove_document(id, force)?;
            s.append_audit(chain, now(), actor, "doc.remove", &detail)?;
            Ok(())
        })
    }

    /// Import recipients from CSV text with a header and columns
    /// `id,name[,email]`. Bad rows are reported with their line numbers and
    /// never stop the good ones. A quote that is never closed is refused
    /// before anything is imported: CSV would read every later row into
    /// that one field.
    pub fn import_recipients(&mut self, csv_text: &str) -> Result<ImportReport> {
        let ParsedCsv { rows, rejected } = parse_recipients_csv(csv_text, &self.budget)?;
        let mut rep = ImportReport {
            rejected,
            ..ImportReport::default()
        };
        // Every row and its entries in one transaction, and one head.
        let rejected = rep.rejected.len();
        let mut counts = (0, 0, 0);
        self.audited(&mut |s, chain, actor| {
            counts = (0, 0, 0);
            for r in &rows {
                match upsert_audited(s, chain, actor, r)? {
                    Upsert::Added => counts.0 += 1,
                    Upsert::Updated => counts.1 += 1,
                    Upsert::Unchanged => counts.2 += 1,
                }
            }
            s.append_audit(
                chain,
                now(),
                actor,
                "recipients.import",
                &format!(
                    "{} added, {} updated, {} unchanged, {rejected} rejected",
                    counts.0, counts.1, counts.2
                ),
            )?;
            Ok(())
        })?;
        (rep.added, rep.updated, rep.unchanged) = counts;
        Ok(rep)
    }

    pub fn add_recipient(&mut self, r: &Recipient) -> Result<Upsert> {
        valid_recipient(&r.id, &r.name, r.email.as_deref()).map_err(RegistryError::Invalid)?;
        let mut done = Upsert::Unchanged;
        self.audited(&mut |s, chain, actor| {
            done = upsert_audited(s, chain, actor, r)?;
            Ok(())
        })?;
        Ok(done)
    }

    pub fn create_list(&mut self, name: &str, members: &[String]) -> Result<()> {
        if name.trim().is_empty() {
            return Err(RegistryError::Invalid("a list needs a name".into()));
        }
        if let Some(c) = name.chars().find(|&c| is_unprintable(c)) {
            return Err(RegistryError::Invalid(format!(
                "a list name may not contain control characters (it has U+{:04X})",
                c as u32
            )));
        }
        self.store.put_list(name, members)?;
        self.audit(
            "lists.create",
            &format!("{name}: {} members", members.len()),
        )
    }

    /// Every recipient of a list, or `NotFound`.
    pub fn list_members(&self, name: &str) -> Result<Vec<String>> {
        self.store
            .list(name)?
            .ok_or_else(|| StoreError::NotFound(format!("list {name}")).into())
    }

    /// Write each recipient's copy to `out/<recipient id>.<format>` and record
    /// the issuance in the same transaction as the file is completed.
    /// Running it again writes only what is missing. Copies are private to
    /// their owner (0600); see [`Registry::distribute_with_mode`].
    pub fn distribute(
        &mut self,
        doc_id: &str,
        recipients: &[String],
        out: &Path,
        format: &str,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<DistributeReport> {
        self.distribute_with_mode(
            doc_id,
            recipients,
            out,
            format,
            files::PRIVATE_FILE_MODE,
            progress,
        )
    }

    /// As [`Registry::distribute`], with the copies' file mode. A recipient
    /// named twice gets one copy. A copy already issued (in any format, to
    /// any directory) is written again where its file is not in place,
    /// with the same bytes, and its issuance is not recorded again.
    /// Files are created exclusively under a random name and renamed into
    /// place (see [`files`]), so a link planted in `out` is never followed.
    pub fn distribute_with_mode(
        &mut self,
        doc_id: &str,
        recipients: &[String],
        out: &Path,
        format: &str,
        mode: u32,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<DistributeReport> {
        if !COPY_FORMATS.contains(&format) {
            return Err(RegistryError::Invalid(format!(
                "unknown format {format}; choose one of {}",
                COPY_FORMATS.join(", ")
            )));
        }
        let recipients = unique_ids(recipients);
        let doc = self.document(doc_id)?;
        let names = self.names_of(&recipients)?;
        // Whoever may read the copies may list the directory.
        files::create_dir_with_mode(out, 0o700 | ((mode & 0o044) >> 2))?;
        files::remove_leftovers(out)?;
        let mut rep = DistributeReport::default();
        let to = Destination { out, format, mode };
        let done = self.distribute_to(&doc, &names, &to, progress, &mut rep);
        // The head once for the whole run, also when it stopped half way.
        let head = self.sync_head();
        done.and(head)?;
        if rep.rewritten > 0 {
            // Not a new issuance, but copies handed out again: on the record.
            self.audit(
                "distribute.again",
                &format!(
                    "{}: {} copies already issued written again to {} as {format}",
                    doc.id,
                    rep.rewritten,
                    out.display()
                ),
            )?;
        }
        Ok(rep)
    }

    /// Each recipient with their name now, the name their copy is issued
    /// under; `NotFound` for any unknown one.
    fn names_of(&self, recipients: &[String]) -> Result<Vec<(String, String)>> {
        recipients
            .iter()
            .map(|r| match self.store.recipient(r)? {
                Some(x) => Ok((x.id, x.name)),
                None => Err(StoreError::NotFound(format!("recipient {r}")).into()),
            })
            .collect()
    }

    fn distribute_to(
        &mut self,
        doc: &DocumentRecord,
        recipients: &[(String, String)],
        to: &Destination,
        progress: &mut dyn FnMut(usize, usize),
        rep: &mut DistributeReport,
    ) -> Result<()> {
        let Destination { out, format, mode } = *to;
        let cb = Codebook::new(&self.key, &doc.id, &doc.template, doc.code_params)?;
        let src = self.source_of(doc)?;
        let layout = self.layout_for(doc, format)?;
        let issued: HashMap<String, Issuance> = self
            .store
            .issuances(Some(&doc.id))?
            .into_iter()
            .map(|i| (i.recipient_id.clone(), i))
            .collect();
        let total = recipients.len();
        for (n, (r, name)) in recipients.iter().enumerate() {
            self.budget.check()?;
            let path = out.join(format!("{}.{format}", safe_file_name(r)));
            let render = || copy_bytes(doc, &cb, layout.as_ref(), src.as_ref(), r, format);
            match issued.get(r) {
                Some(i) => {
                    let recorded_here = i.path.as_deref() == Some(&*path.to_string_lossy());
                    if recorded_here && files::is_regular_file(&path) {
                        // Resuming: the file this issuance was completed with.
                        rep.already += 1;
                    } else {
                        let copy = render()?;
                        if files::holds(&path, &copy) {
                            rep.already += 1;
                        } else {
                            files::write_atomically(&path, &copy, mode)?;
                            rep.rewritten += 1;
                        }
                    }
                }
                None => {
                    let copy = render()?;
                    let content_hash = hex(&blake3::hash(&copy).as_bytes()[..16]);
                    let iss = Issuance {
                        document_id: doc.id.clone(),
                        recipient_id: r.clone(),
                        format: format.into(),
                        issued_at: now(),
                        path: Some(path.to_string_lossy().into_owned()),
                        content_hash,
                        recipient_name: Some(name.clone()),
                    };
                    let mut write = || {
                        files::write_atomically(&path, &copy, mode)
                            .map_err(|e| StoreError::Backend(e.to_string()))
                    };
                    self.store
                        .record_issuance(&self.chain, &iss, &self.actor, &mut write)?;
                    rep.written += 1;
                }
            }
            progress(n + 1, total);
        }
        Ok(())
    }

    /// The codebook of a document's layout layer (line shifts in its PDF
    /// copies), under the same key as its text layers.
    fn layout_codebook(&self, doc: &DocumentRecord) -> Result<Codebook> {
        use telltale_formats::pdf;
        Ok(Codebook::for_slots(
            &self.key,
            &pdf::layout_document_id(&doc.id),
            &vec![2; pdf::LAYOUT_SLOTS as usize],
            pdf::layout_code_params(),
        )?)
    }

    /// The layout codebook, for the formats whose copies carry layout
    /// marks (PDF line and word shifts, Word paragraph marks).
    fn layout_for(&self, doc: &DocumentRecord, format: &str) -> Result<Option<Codebook>> {
        match format {
            "pdf" | "docx" => Ok(Some(self.layout_codebook(doc)?)),
            _ => Ok(None),
        }
    }

    /// The file a document was registered from, read again (HTML, DOCX).
    fn source_of(&self, doc: &DocumentRecord) -> Result<Option<telltale_formats::Source>> {
        let Some(format) = telltale_formats::Format::from_name(&doc.source_format).filter(|f| {
            matches!(
                f,
                telltale_formats::Format::Html | telltale_formats::Format::Docx
            )
        }) else {
            return Ok(None);
        };
        let Some(bytes) = self.store.source(&doc.id)? else {
            return Err(StoreError::Corrupt(format!(
                "{} was registered from {} but its file is missing",
                doc.id, doc.source_format
            ))
            .into());
        };
        // The file was read when it was registered: if it no longer reads,
        // the registry is at fault, not whoever asked for a copy.
        telltale_formats::extract(format, &bytes, telltale_formats::Limits::default())
            .map(Some)
            .map_err(|e| {
                StoreError::Corrupt(format!(
                    "the file {} was registered from no longer reads: {e}",
                    doc.id
                ))
                .into()
            })
    }

    /// A recipient's copy as a file in `format`: in the original's own
    /// format, the original file with the recipient's variations written
    /// into it; otherwise the copy's text laid out in that format.
    pub fn render_copy_as(&self, doc_id: &str, recipient: &str, format: &str) -> Result<Vec<u8>> {
        let doc = self.document(doc_id)?;
        let cb = Codebook::new(&self.key, &doc.id, &doc.template, doc.code_params)?;
        let src = self.source_of(&doc)?;
        let layout = self.layout_for(&doc, format)?;
        copy_bytes(&doc, &cb, layout.as_ref(), src.as_ref(), recipient, format)
    }

    /// Several recipients' copies in `format`, each handed to `each` as it
    /// is made, with the document's codebooks and file read once.
    /// `each` may fail with its own error type (a zip writer's, say), so
    /// that its failures keep their own meaning.
    pub fn each_copy_as<E: From<RegistryError>>(
        &self,
        doc_id: &str,
        recipients: &[String],
        format: &str,
        each: &mut CopySink<'_, E>,
    ) -> std::result::Result<(), E> {
        let doc = self.document(doc_id)?;
        let cb = Codebook::new(&self.key, &doc.id, &doc.template, doc.code_params)
            .map_err(RegistryError::from)?;
        let src = self.source_of(&doc)?;
        let layout = self.layout_for(&doc, format)?;
        for r in recipients {
            self.budget.check()?;
            each(
                r,
                copy_bytes(&doc, &cb, layout.as_ref(), src.as_ref(), r, format)?,
            )?;
        }
        Ok(())
    }

    /// The copy a recipient was (or would be) given.
    pub fn render_copy(&self, doc_id: &str, recipient: &str) -> Result<String> {
        let doc = self.document(doc_id)?;
        let cb = Codebook::new(&self.key, &doc.id, &doc.template, doc.code_params)?;
        Ok(doc.template.render(&cb.codeword(recipient))?)
    }

    /// Trace any text against the registry (or one document), record the
    /// trace, and report in the `trace --json` shape.
    pub fn trace(
        &mut self,
        text: &str,
        only: Option<&str>,
        params: AccuseParams,
    ) -> Result<TraceReport> {
        self.trace_case(text, only, None, params)
    }

    /// As [`Registry::trace`], filing the leak under `case`: the report then
    /// also reads every earlier leak of that case together with this one
    /// (see [`report::RunningReport`]).
    pub fn trace_case(
        &mut self,
        text: &str,
        only: Option<&str>,
        case: Option<&str>,
        params: AccuseParams,
    ) -> Result<TraceReport> {
        Ok(self.trace_recorded(text, only, case, params)?.1)
    }

    /// As [`Registry::trace_case`], also returning the id under which the
    /// trace and its input were kept.
    pub fn trace_recorded(
        &mut self,
        text: &str,
        only: Option<&str>,
        case: Option<&str>,
        params: AccuseParams,
    ) -> Result<(i64, TraceReport)> {
        self.trace_with_layout(text, &[], only, case, params)
    }

    /// As [`Registry::trace_recorded`], with the line-shift readings of a
    /// leaked page image or PDF (`(layout slot, bit)`, see
    /// `telltale_formats::pdf`): they are read as evidence for the document
    /// the text locates best, together with its text slots.
    pub fn trace_with_layout(
        &mut self,
        text: &str,
        layout: &[(u32, u8)],
        only: Option<&str>,
        case: Option<&str>,
        params: AccuseParams,
    ) -> Result<(i64, TraceReport)> {
        if let Some(c) = case {
            if c.trim().is_empty() || c.len() > 128 || c.contains(char::is_control) {
                return Err(RegistryError::Invalid(format!(
                    "case name {c:?} must be 1 to 128 printable characters"
                )));
            }
        }
        if text.len() > telltale_core::align::MAX_LEAK_BYTES {
            return Err(telltale_core::Error::TooLarge {
                size: text.len(),
                limit: telltale_core::align::MAX_LEAK_BYTES,
            }
            .into());
        }
        let ids: Vec<String> = match only {
            Some(id) => vec![self.document(id)?.id],
            None => self
                .store
                .candidate_documents(&align::text_shingles(text), 64)?
                .into_iter()
                .filter(|(_, shared)| *shared >= 2)
                .map(|(d, _)| d)
                .collect(),
        };
        let docs: Vec<DocumentRecord> = ids
            .iter()
            .map(|id| self.document(id))
            .collect::<Result<_>>()?;
        let mut locator = Locator::new();
        for d in &docs {
            locator.add(&d.template);
        }
        let templates: Vec<&telltale_core::Template> = docs.iter().map(|d| &d.template).collect();
        let traces = locator.trace(&templates, text)?;
        let mut current: BTreeMap<String, String> = BTreeMap::new();
        for r in self.store.recipients()? {
            current.insert(r.id, r.name);
        }
        let mut names = report::Names::new(current);
        let mut report = TraceReport {
            threshold: params.threshold,
            documents: Vec::new(),
            combined: None,
            case: case.map(str::to_string),
            running: None,
        };
        let mut codebooks = Vec::new();
        let mut holders = Vec::new();
        for t in &traces {
            self.budget.check()?;
            let d = &docs[t.doc];
            let cb = Codebook::new(&self.key, &d.id, &d.template, d.code_params)?;
            let mut rs: Vec<String> = Vec::new();
            for i in self.store.issuances(Some(&d.id))? {
                if let Some(name) = &i.recipient_name {
                    names.add_issued(&d.id, &i.recipient_id, name);
                }
                rs.push(i.recipient_id);
            }
            // Line shifts belong to the page the text came from: the best
            // located document.
            let layout_obs: Vec<telltale_core::Observation> = if report.documents.is_empty() {
                let mut seen = std::collections::HashSet::new();
                layout
                    .iter()
                    .filter(|(slot, _)| {
                        *slot < telltale_formats::pdf::LAYOUT_SLOTS && seen.insert(*slot)
                    })
                    .map(|&(slot, bit)| telltale_core::Observation {
                        slot,
                        symbol: bit.min(1),
                        site: 0,
                        leak_span: 0..0,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let layout_cb = if layout_obs.is_empty() {
                None
            } else {
                Some(self.layout_codebook(d)?)
            };
            let mut evidence = vec![DocumentEvidence {
                codebook: &cb,
                observations: &t.observations,
                recipients: &rs,
            }];
            if let Some(layout_cb) = &layout_cb {
                evidence.push(DocumentEvidence {
                    codebook: layout_cb,
                    observations: &layout_obs,
                    recipients: &rs,
                });
            }
            let acc = accuse(&evidence, params);
            let mut dr = DocumentReport::new(d, t, &acc, &names);
            dr.layout_marks = layout_obs.len();
            report.documents.push(dr);
            codebooks.push(cb);
            holders.push(rs);
        }
        if traces.len() > 1 {
            let ev: Vec<DocumentEvidence> = traces
                .iter()
                .zip(&codebooks)
                .zip(&holders)
                .map(|((t, cb), rs)| DocumentEvidence {
                    codebook: cb,
                    observations: &t.observations,
                    recipients: rs,
                })
                .collect();
            let acc = accuse(&ev, params);
            report.combined = Some(report::CombinedReport::new(&acc, &names));
        }
        if let Some(case) = case {
            report.running = Some(self.running_evidence(case, &report, params, &names)?);
        }
        let json = serde_json::to_value(&report).map_err(|source| RegistryError::Encode {
            what: "trace report",
            source,
        })?;
        let input_hash = hex(blake3::hash(text.as_bytes()).as_bytes());
        let id = self
            .store
            .record_trace(now(), &input_hash, text.len(), &json)?;
        self.store.put_trace_input(id, text)?;
        let accused: Vec<String> = report
            .documents
            .iter()
            .flat_map(|d| d.accused.clone())
            .collect();
        self.audit(
            "trace",
            &format!(
                "trace {id} of input {} ({} bytes): {} document(s), accused [{}]",
                &input_hash[..16],
                text.len(),
                report.documents.len(),
                accused.join(",")
            ),
        )?;
        Ok((id, report))
    }

    /// Every leak filed under `case` so far, and `current`, read together.
    /// Each slot counts once however many leaks show it; a slot read
    /// differently in two leaks is left out (which depends on the leaks
    /// alone, never on anyone's codeword, so the bound holds).
    fn running_evidence(
        &self,
        case: &str,
        current: &TraceReport,
        params: AccuseParams,
        names: &report::Names,
    ) -> Result<report::RunningReport> {
        let mut names = names.clone();
        let mut reports: Vec<TraceReport> = Vec::new();
        for t in self.store.traces()? {
            // A stored result that no longer parses (an older format) is
            // not evidence we can read; it is skipped, not guessed at.
            if let Ok(r) = serde_json::from_value::<TraceReport>(t.result) {
                if r.case.as_deref() == Some(case) {
                    reports.push(r);
                }
            }
        }
        reports.push(current.clone());
        let leaks = reports.len();
        let mut readings: BTreeMap<String, BTreeMap<u32, Option<u8>>> = BTreeMap::new();
        for r in &reports {
            for d in &r.documents {
                let slots = readings.entry(d.id.clone()).or_default();
                for e in &d.evidence {
                    slots
                        .entry(e.slot)
                        .and_modify(|s| {
                            if *s != Some(e.observed) {
                                *s = None
                            }
                        })
                        .or_insert(Some(e.observed));
                }
            }
        }
        let mut docs = Vec::new();
        for (id, slots) in &readings {
            self.budget.check()?;
            // A document removed since an earlier leak cannot be read any more.
            let Ok(d) = self.document(id) else { continue };
            let cb = Codebook::new(&self.key, &d.id, &d.template, d.code_params)?;
            let mut holders: Vec<String> = Vec::new();
            for i in self.store.issuances(Some(&d.id))? {
                if let Some(name) = &i.recipient_name {
                    names.add_issued(&d.id, &i.recipient_id, name);
                }
                holders.push(i.recipient_id);
            }
            let obs: Vec<telltale_core::Observation> = slots
                .iter()
                .filter_map(|(&slot, sym)| {
                    let sym = (*sym)?;
                    let slot_ok = d
                        .template
                        .slots
                        .get(slot as usize)
                        .is_some_and(|s| sym < s.q);
                    let site = d.template.sites.iter().position(|s| s.slot == slot)?;
                    slot_ok.then_some(telltale_core::Observation {
                        slot,
                        symbol: sym,
                        site: site as u32,
                        leak_span: 0..0,
                    })
                })
                .collect();
            docs.push((cb, holders, obs));
        }
        let ev: Vec<DocumentEvidence> = docs
            .iter()
            .map(|(cb, rs, obs)| DocumentEvidence {
                codebook: cb,
                observations: obs,
                recipients: rs,
            })
            .collect();
        let threshold = params.threshold * report::look_share(leaks);
        let acc = accuse(
            &ev,
            AccuseParams {
                threshold,
                ..params
            },
        );
        let observed = docs.iter().map(|d| d.2.len()).sum();
        Ok(report::RunningReport::new(
            case, leaks, observed, threshold, &acc, &names,
        ))
    }

    /// For each (slot, symbol) read in a leak of `doc_id`: which holders'
    /// copies show that symbol there (the evidence page's "shared by").
    pub fn sharers(&self, doc_id: &str, readings: &[(u32, u8)]) -> Result<Vec<Vec<String>>> {
        let doc = self.document(doc_id)?;
        let cb = Codebook::new(&self.key, &doc.id, &doc.template, doc.code_params)?;
        let slots: Vec<u32> = readings.iter().map(|r| r.0).collect();
        let mut out = vec![Vec::new(); readings.len()];
        for i in self.store.issuances(Some(doc_id))? {
            self.budget.check()?;
            let symbols = cb.symbols_at(&i.recipient_id, &slots);
            for (k, (_, want)) in readings.iter().enumerate() {
                if symbols.get(k) == Some(want) {
                    out[k].push(i.recipient_id.clone());
                }
            }
        }
        Ok(out)
    }

    /// Check the registry against its audit log: the chain's seals, its
    /// head in `audit.head`, the append-only triggers, and that issuances,
    /// recipients' names and documents' templates agree with the log.
    pub fn verify(&self) -> Result<Verification> {
        integrity::verify(self.store.as_ref(), &self.home, &self.chain)
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

/// A recipient's copy of `doc` as a file in `format` (see
/// [`Registry::render_copy_as`]).
fn copy_bytes(
    doc: &DocumentRecord,
    cb: &Codebook,
    layout: Option<&Codebook>,
    src: Option<&telltale_formats::Source>,
    recipient: &str,
    format: &str,
) -> Result<Vec<u8>> {
    let f = telltale_formats::Format::from_name(format).ok_or_else(|| {
        RegistryError::Invalid(format!(
            "unknown format {format}; choose one of {}",
            COPY_FORMATS.join(", ")
        ))
    })?;
    let codeword = cb.codeword(recipient);
    // Only PDF and Word copies carry layout marks (see `layout_for`).
    let bits = layout.map(|l| l.codeword(recipient)).unwrap_or_default();
    let mark = |slot: u32| bits.get(slot as usize).copied().unwrap_or(0);
    if let Some(src) = src.filter(|_| doc.source_format == format) {
        return telltale_formats::render_marked(src, &doc.template, &codeword, Some(&mark))
            .map_err(RegistryError::Render);
    }
    let text = doc.template.render(&codeword)?;
    if f == telltale_formats::Format::Docx {
        // A Word file laid out from text carries the paragraph marks too.
        let plain =
            telltale_formats::from_text(&text, f, &doc.title).map_err(RegistryError::Render)?;
        let src = telltale_formats::extract(f, &plain, telltale_formats::Limits::default())
            .map_err(RegistryError::Render)?;
        let bare = telltale_core::Template::new(src.text.clone(), Vec::new(), Vec::new())?;
        return telltale_formats::render_marked(&src, &bare, &[], Some(&mark))
            .map_err(RegistryError::Render);
    }
    if f == telltale_formats::Format::Pdf {
        // Typeset copies also carry the layout layer: line shifts that
        // survive printing and photographs.
        return telltale_formats::pdf::from_text(
            &text,
            &telltale_formats::pdf::Memo {
                title: &doc.title,
                classification: telltale_formats::classification(&text),
                marks: Some(&mark),
            },
        )
        .map_err(RegistryError::Render);
    }
    telltale_formats::from_text(&text, f, &doc.title).map_err(RegistryError::Render)
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

/// Add or change a recipient with an entry for each change: its creation
/// (with its name), or its old and new name or e-mail address.
fn upsert_audited(
    s: &mut dyn Store,
    chain: &ChainKey,
    actor: &str,
    r: &Recipient,
) -> telltale_store::Result<Upsert> {
    let old = s.recipient(&r.id)?;
    let done = s.upsert_recipient(r)?;
    let at = now();
    match old {
        None => {
            s.append_audit(
                chain,
                at,
                actor,
                "recipient.create",
                &integrity::recipient_detail(r),
            )?;
        }
        Some(old) => {
            if old.name != r.name {
                s.append_audit(
                    chain,
                    at,
                    actor,
                    "recipient.rename",
                    &integrity::change_detail(&r.id, Some(&old.name), Some(&r.name)),
                )?;
            }
            if old.email != r.email {
                s.append_audit(
                    chain,
                    at,
                    actor,
                    "recipient.email",
                    &integrity::change_detail(&r.id, old.email.as_deref(), r.email.as_deref()),
                )?;
            }
        }
    }
    Ok(done)
}

fn actor() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .map(|u| format!("cli:{u}"))
        .unwrap_or_else(|_| "cli".into())
}

/// A title for a document registered without one: its "Subject:" line
/// near the top if it has one, else its first line of words that is not a
/// classification marking.
fn default_title(text: &str) -> String {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let subject = lines.iter().take(20).find_map(|l| {
        l.strip_prefix("Subject:")
            .or_else(|| l.strip_prefix("SUBJECT:"))
            .map(str::trim)
            .filter(|s| !s.is_empty())
    });
    let line = subject.unwrap_or_else(|| {
        lines
            .iter()
            .copied()
            .find(|l| {
                !l.is_empty()
                    && l.chars().any(char::is_alphabetic)
                    && telltale_formats::classification(l).is_none()
            })
            .unwrap_or("Untitled")
    });
    let line = line.trim_start_matches('#').trim();
    if line.chars().count() <= 120 {
        return line.to_string();
    }
    // Cut a long line at a word, not inside one.
    let cut: String = line.chars().take(120).collect();
    let at = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end())
}

fn safe_file_name(id: &str) -> String {
    id.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn default_titles_skip_markings_and_prefer_the_subject() {
        assert_eq!(
            super::default_title(telltale_core::sample::MEMO),
            "Kestria: coalition under strain ahead of the Salvik port agreement and the UN vote"
        );
        assert_eq!(
            super::default_title("SECRET\n\n# Budget notes\nText."),
            "Budget notes"
        );
        assert_eq!(super::default_title("\n\n"), "Untitled");
        let long = "word ".repeat(40);
        let t = super::default_title(&long);
        assert!(t.ends_with("word…") && t.chars().count() <= 121, "{t}");
    }
}
