//! Tamper evidence: the audit log's head kept outside the database, the
//! one-time upgrade of a registry begun before keyed chaining, and
//! `audit verify`, which checks the registry's data against its log.
//!
//! The log's entries are sealed by a key derived from the secret key
//! ([`ChainKey`]), so nobody without the key file can rewrite them and chain
//! them again. What a seal cannot show is an entry cut off the end of the
//! log; so the last entry's sequence number and seal are also kept in
//! `audit.head` beside the database, sealed too. The head is advanced once
//! per unit of work (a whole import or distribution run, not every entry),
//! while the store's write lock is held, and only from a head that still
//! agrees with the log: a log found shorter than its head is never blessed
//! by writing a new head over the evidence.
//!
//! A seal shows that an entry is genuine, not that the tables agree with
//! it, so verification also reads the data against the log: every issuance
//! row against its `issue` entry and the other way round, every recipient's
//! name against the last entry that named it, every document's template
//! against the last entry that recorded it, and the triggers that keep the
//! log append-only.
//!
//! A registry written before keyed chaining is upgraded once, when this
//! version first opens it: an [`AUDIT_KEYED`] entry (whose seal covers the
//! last unkeyed entry, so none before it can change unseen either), then one
//! entry per recipient and document recording their state as found, which
//! later checks start from. What happened before the upgrade is vouched for
//! only by the unkeyed chain. Limits: a head restored together with an
//! older copy of the database (a rollback) agrees with it, and someone who
//! can rewrite the database *and* delete `audit.head` can make a registry
//! look as if it had never been opened by this version; keep backups.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use telltale_store::{
    parse_issuance_detail, quoted, take_quoted, AuditEntry, ChainKey, DocumentRecord, IssueDetail,
    Recipient, Store, StoreError, AUDIT_KEYED,
};

use crate::{hex, Result};

/// The head of the audit log, beside the database.
pub const HEAD_FILE: &str = "audit.head";
/// Where the registry's key fingerprint is kept in the store.
pub(crate) const FINGERPRINT: &str = "key_fingerprint";

const HEAD_MAGIC: &str = "telltale audit head v1";

/// A short digest of what a document's copies are made from (its template
/// and code parameters), recorded in the audit entries that create or
/// change it. The template's JSON form is pinned by the golden files, so
/// the digest of a stored template does not drift between versions.
pub fn template_digest(doc: &DocumentRecord) -> Result<String> {
    let mut h = blake3::Hasher::new_derive_key("telltale 2026 template digest v1");
    for part in [
        serde_json::to_vec(&doc.template),
        serde_json::to_vec(&doc.code_params),
    ] {
        let part = part.map_err(|e| crate::RegistryError::Invalid(e.to_string()))?;
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(&part);
    }
    Ok(hex(&h.finalize().as_bytes()[..16]))
}

/// The end of a document entry's detail: `(N slots, template DIGEST)`.
pub(crate) fn template_note(doc: &DocumentRecord) -> Result<String> {
    Ok(format!(
        "({} slots, template {})",
        doc.template.slots.len(),
        template_digest(doc)?
    ))
}

/// The detail of an entry that creates a recipient or records one as found.
pub(crate) fn recipient_detail(r: &Recipient) -> String {
    match &r.email {
        Some(e) => format!("{} {} email {}", r.id, quoted(&r.name), quoted(e)),
        None => format!("{} {}", r.id, quoted(&r.name)),
    }
}

/// The detail of an entry that changes one field of a recipient.
pub(crate) fn change_detail(id: &str, old: Option<&str>, new: Option<&str>) -> String {
    let q = |v: Option<&str>| v.map_or_else(|| "none".to_string(), quoted);
    format!("{id} {} -> {}", q(old), q(new))
}

/// A head: the last entry's sequence number and seal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    pub seq: i64,
    pub hash: String,
}

fn head_path(home: &Path) -> PathBuf {
    home.join(HEAD_FILE)
}

/// The head in `home`: `None` if there is none, `Some(Err(why))` if the
/// file is there but is not a head sealed by `key`.
pub(crate) fn read_head(
    home: &Path,
    key: &ChainKey,
) -> std::io::Result<Option<std::result::Result<Head, String>>> {
    let text = match std::fs::read_to_string(head_path(home)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            return Ok(Some(Err(format!("{HEAD_FILE} is not text"))))
        }
        Err(e) => return Err(e),
    };
    let mut lines = text.lines();
    let field = |line: Option<&str>, name: &str| {
        line.and_then(|l| l.strip_prefix(name))
            .and_then(|l| l.strip_prefix(' '))
            .map(str::to_string)
    };
    let parsed = (|| {
        if lines.next() != Some(HEAD_MAGIC) {
            return None;
        }
        let seq = field(lines.next(), "seq")?.parse::<i64>().ok()?;
        let hash = field(lines.next(), "hash")?;
        let seal = field(lines.next(), "seal")?;
        Some((seq, hash, seal))
    })();
    let Some((seq, hash, seal)) = parsed else {
        return Ok(Some(Err(format!("{HEAD_FILE} is damaged"))));
    };
    if key.seal_head(seq, &hash) != seal {
        return Ok(Some(Err(format!(
            "{HEAD_FILE} is not sealed with this registry's key (it was forged or edited)"
        ))));
    }
    Ok(Some(Ok(Head { seq, hash })))
}

/// Write the head for `last`: a new file beside the old, synced, then
/// renamed over it, so that a crash leaves the old head or the new one.
/// The directory is not synced: a rename lost in a crash leaves the old
/// head, which the log still agrees with.
fn write_head(home: &Path, key: &ChainKey, last: &AuditEntry) -> std::io::Result<()> {
    let path = head_path(home);
    let tmp = home.join(format!(".{HEAD_FILE}.new"));
    match std::fs::remove_file(&tmp) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut opts = std::fs::OpenOptions::new();
    // Never through a file (or link) someone else put there.
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&tmp)?;
    let text = format!(
        "{HEAD_MAGIC}\nseq {}\nhash {}\nseal {}\n",
        last.seq,
        last.hash,
        key.seal_head(last.seq, &last.hash)
    );
    f.write_all(text.as_bytes())?;
    f.sync_all()?;
    drop(f);
    std::fs::rename(&tmp, &path)
}

fn io_in(home: &Path) -> impl Fn(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::Backend(format!("{}: {e}", head_path(home).display()))
}

/// Advance the head to the log's last entry, under the store's write lock
/// so that two processes never move it backwards. A head that no longer
/// agrees with the log is left as it is: it is the evidence.
pub(crate) fn sync_head(store: &mut dyn Store, home: &Path, key: &ChainKey) -> Result<()> {
    store.atomically(&mut |s| {
        let Some(last) = s.last_audit()? else {
            return Ok(());
        };
        if !key.sealed(&last) {
            return Ok(());
        }
        let advance = match read_head(home, key).map_err(io_in(home))? {
            None => true,
            Some(Ok(h)) if h.seq < last.seq => {
                s.audit_entry(h.seq)?.is_some_and(|e| e.hash == h.hash)
            }
            Some(_) => false,
        };
        if advance {
            write_head(home, key, &last).map_err(io_in(home))?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Upgrade a registry that this version opens for the first time (it has
/// no key fingerprint yet): start keyed chaining if its log was begun
/// before it, record the fingerprint, and record every recipient and
/// document as found, in one transaction. Returns whether it upgraded.
pub(crate) fn upgrade(
    store: &mut dyn Store,
    key: &ChainKey,
    fingerprint: &str,
    at: i64,
    actor: &str,
) -> Result<bool> {
    let mut upgraded = false;
    let mut failure: Option<crate::RegistryError> = None;
    store.atomically(&mut |s| {
        // Checked again under the write lock: another process may have
        // upgraded it since.
        if s.meta(FINGERPRINT)?.is_some() {
            return Ok(());
        }
        if let Some(last) = s.last_audit()? {
            if !key.sealed(&last) {
                s.append_audit(
                    key,
                    at,
                    actor,
                    AUDIT_KEYED,
                    &format!(
                        "entries 1 to {} were chained without a key (written before keyed chaining); every entry from here on is sealed with the registry's key",
                        last.seq
                    ),
                )?;
            }
        }
        s.put_meta(FINGERPRINT, fingerprint)?;
        s.append_audit(
            key,
            at,
            actor,
            "registry.upgrade",
            &format!("key fingerprint {fingerprint} recorded; recipients and documents recorded as found"),
        )?;
        for r in s.recipients()? {
            s.append_audit(key, at, actor, "recipient.known", &recipient_detail(&r))?;
        }
        for d in s.documents()? {
            // One that cannot be read is left out, for `audit verify` to
            // report, rather than keep the whole registry from opening.
            let Ok(Some(doc)) = s.document(&d.id) else {
                continue;
            };
            let note = match template_note(&doc) {
                Ok(n) => n,
                Err(e) => {
                    failure = Some(e);
                    return Err(StoreError::Backend("cannot record a document".into()));
                }
            };
            s.append_audit(key, at, actor, "doc.known", &format!("{} {note}", doc.id))?;
        }
        upgraded = true;
        Ok(())
    })
    .map_err(|e| failure.take().unwrap_or(e.into()))?;
    Ok(upgraded)
}

/// What `audit verify` found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verification {
    pub entries: usize,
    /// Entries at the log's start written before keyed chaining.
    pub legacy_entries: usize,
    /// The entry `audit.head` records, if it is readable.
    pub head: Option<i64>,
    /// Every disagreement, one line each; empty when the registry is intact.
    pub problems: Vec<String>,
    /// The entry at which the chain breaks, if it does.
    pub broken_at: Option<i64>,
}

impl Verification {
    pub fn intact(&self) -> bool {
        self.problems.is_empty()
    }
}

/// Check the chain, the head and the data against the log.
pub(crate) fn verify(store: &dyn Store, home: &Path, key: &ChainKey) -> Result<Verification> {
    let log = store.audit_log()?;
    let mut v = Verification {
        entries: log.len(),
        legacy_entries: 0,
        head: None,
        problems: Vec::new(),
        broken_at: None,
    };
    match telltale_store::verify_chain(&log, key) {
        Ok(c) => v.legacy_entries = c.legacy,
        Err((seq, why)) => {
            v.broken_at = Some(seq);
            v.problems.push(format!("entry {seq} {why}"));
        }
    }
    match read_head(home, key).map_err(|e| crate::RegistryError::io(&head_path(home), e))? {
        None if !log.is_empty() => v.problems.push(format!(
            "{HEAD_FILE} is missing, so entries cut off the end of the log would go unseen"
        )),
        None => {}
        Some(Err(why)) => v.problems.push(why),
        Some(Ok(h)) => {
            v.head = Some(h.seq);
            match log.get((h.seq - 1).max(0) as usize).filter(|_| h.seq >= 1) {
                None => v.problems.push(format!(
                    "the log ends at entry {} but {HEAD_FILE} records entry {}: entries were removed from its end (or the database is an older copy)",
                    log.len(),
                    h.seq
                )),
                Some(e) if e.hash != h.hash => v.problems.push(format!(
                    "entry {} is not the entry {HEAD_FILE} records: the log was rewritten",
                    h.seq
                )),
                Some(_) => {}
            }
        }
    }
    v.problems.extend(store.audit_guard_problems()?);
    v.problems.extend(data_problems(store, &log)?);
    Ok(v)
}

/// The leading document id of a document entry (`d-… "title" …`,
/// `d-…: classes off …`).
fn document_id_of(detail: &str) -> &str {
    detail.split([' ', ':']).next().unwrap_or_default()
}

/// The template digest at the end of a document entry, if it records one.
fn digest_of(detail: &str) -> Option<&str> {
    let (_, tail) = detail.strip_suffix(')')?.rsplit_once(", template ")?;
    tail.chars().all(|c| c.is_ascii_hexdigit()).then_some(tail)
}

/// A recipient entry's id and the name it leaves the recipient with.
fn named_by(action: &str, detail: &str) -> Option<(String, String)> {
    let (id, rest) = detail.split_once(' ')?;
    let name = match action {
        "recipient.create" | "recipient.known" => take_quoted(rest)?.0,
        "recipient.rename" => {
            let (_, rest) = take_quoted(rest)?;
            take_quoted(rest.strip_prefix(" -> ")?)?.0
        }
        _ => return None,
    };
    Some((id.to_string(), name))
}

fn data_problems(store: &dyn Store, log: &[AuditEntry]) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let mut issued: BTreeMap<(String, String), (i64, IssueDetail)> = BTreeMap::new();
    let mut names: BTreeMap<String, (i64, String)> = BTreeMap::new();
    let mut documents: BTreeMap<String, (i64, Option<String>)> = BTreeMap::new();
    for e in log {
        match e.action.as_str() {
            "issue" => match parse_issuance_detail(&e.detail) {
                Some(d) => {
                    issued.insert((d.document_id.clone(), d.recipient_id.clone()), (e.seq, d));
                }
                None => problems.push(format!(
                    "entry {} is an issue entry that cannot be read",
                    e.seq
                )),
            },
            "doc.add" | "doc.rules" | "doc.known" => {
                let id = document_id_of(&e.detail).to_string();
                documents.insert(id, (e.seq, digest_of(&e.detail).map(str::to_string)));
            }
            "doc.remove" => {
                let id = document_id_of(&e.detail);
                documents.remove(id);
                // Removing a document removes its issuances with it.
                issued.retain(|(d, _), _| d != id);
            }
            "recipient.create" | "recipient.known" | "recipient.rename" => {
                match named_by(&e.action, &e.detail) {
                    Some((id, name)) => {
                        names.insert(id, (e.seq, name));
                    }
                    None => problems.push(format!(
                        "entry {} names a recipient but cannot be read",
                        e.seq
                    )),
                }
            }
            _ => {}
        }
    }

    // A row the store cannot read (a format no version wrote) is one
    // problem among the others, not the end of the check.
    let issuances = match store.issuances(None) {
        Ok(v) => Some(v),
        Err(StoreError::Corrupt(e)) => {
            problems.push(format!("the issuances cannot be read: {e}"));
            None
        }
        Err(e) => return Err(e.into()),
    };
    for i in issuances.iter().flatten() {
        let what = format!("the issuance of {} to {}", i.document_id, i.recipient_id);
        let Some((seq, d)) = issued.remove(&(i.document_id.clone(), i.recipient_id.clone())) else {
            problems.push(format!("{what} has no issue entry in the log"));
            continue;
        };
        if d.format != i.format || d.content_hash != i.content_hash {
            problems.push(format!(
                "{what} is a {} copy {} but its issue entry (entry {seq}) records a {} copy {}",
                i.format, i.content_hash, d.format, d.content_hash
            ));
        }
        if d.recipient_name != i.recipient_name {
            let q = |n: &Option<String>| n.as_deref().map_or_else(|| "no name".into(), quoted);
            problems.push(format!(
                "{what} names the recipient {} but its issue entry (entry {seq}) records {}",
                q(&i.recipient_name),
                q(&d.recipient_name)
            ));
        }
    }
    for ((doc, r), (seq, _)) in issued.iter().filter(|_| issuances.is_some()) {
        problems.push(format!(
            "the log's issue of {doc} to {r} (entry {seq}) has no issuance row: it was deleted"
        ));
    }

    for r in store.recipients()? {
        match names.remove(&r.id) {
            None => problems.push(format!(
                "recipient {} ({}) has no entry in the log that created it",
                r.id,
                quoted(&r.name)
            )),
            Some((seq, name)) if name != r.name => problems.push(format!(
                "recipient {} is named {} but the last entry that named it (entry {seq}) says {}",
                r.id,
                quoted(&r.name),
                quoted(&name)
            )),
            Some(_) => {}
        }
    }
    for (id, (seq, _)) in &names {
        problems.push(format!(
            "the log names recipient {id} (entry {seq}) but there is no such recipient"
        ));
    }

    for summary in store.documents()? {
        let id = &summary.id;
        let Some((seq, digest)) = documents.remove(id) else {
            problems.push(format!(
                "document {id} has no entry in the log that added it"
            ));
            continue;
        };
        let Some(digest) = digest else {
            problems.push(format!(
                "document {id}'s template is not recorded in the log (entry {seq})"
            ));
            continue;
        };
        let doc = match store.document(id) {
            Ok(Some(doc)) => doc,
            Ok(None) => continue,
            Err(e) => {
                problems.push(format!("document {id} cannot be read: {e}"));
                continue;
            }
        };
        if template_digest(&doc)? != digest {
            problems.push(format!(
                "document {id}'s template differs from the one entry {seq} recorded"
            ));
        }
    }
    for (id, (seq, _)) in &documents {
        problems.push(format!(
            "the log added document {id} (entry {seq}) but it is gone and was never removed"
        ));
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_details_read_back() {
        assert_eq!(
            document_id_of("d-1 \"A: b\" (3 slots, template ab01)"),
            "d-1"
        );
        assert_eq!(document_id_of("d-1: classes off []"), "d-1");
        assert_eq!(
            digest_of("d-1 \"T (x)\" (3 slots, template ab01)"),
            Some("ab01")
        );
        assert_eq!(digest_of("d-1 \"T\" (3 slots)"), None);
        let r = Recipient {
            id: "r-1".into(),
            name: "Ann \"A\" -> Holm".into(),
            email: Some("a@b".into()),
        };
        assert_eq!(
            named_by("recipient.create", &recipient_detail(&r)),
            Some(("r-1".into(), r.name.clone()))
        );
        assert_eq!(
            named_by(
                "recipient.rename",
                &change_detail("r-1", Some("Old -> x"), Some(&r.name))
            ),
            Some(("r-1".into(), r.name.clone()))
        );
    }
}
