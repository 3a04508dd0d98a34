//! The audit log's chain: each entry's seal covers the previous entry's
//! seal and its own fields, under a key derived from the registry's secret,
//! so that changing, removing or reordering a past entry is detected by
//! [`verify_chain`], and nobody without the key file can chain it again.
//! Backends only store what [`next_entry`] makes.

use crate::{AuditEntry, Issuance};

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
    pub format: telltale_core::FileFormat,
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
        format: telltale_core::FileFormat::from_name(format)?,
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

/// Whether `e` may be appended as it is after `last` (copying a log):
/// the next sequence number, chained to `last`'s hash ([`GENESIS`] after
/// none). Its seal is checked when the whole copy is verified.
pub fn check_follows(last: Option<&AuditEntry>, e: &AuditEntry) -> crate::Result<()> {
    let (seq, prev) = last.map_or((1, GENESIS), |l| (l.seq + 1, l.hash.as_str()));
    if e.seq != seq || e.prev_hash != prev {
        return Err(crate::StoreError::Conflict(format!(
            "audit entry {} does not follow the log's last entry ({})",
            e.seq,
            seq - 1
        )));
    }
    Ok(())
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
            format: telltale_core::FileFormat::Txt,
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
        assert_eq!((d.format.name(), d.content_hash.as_str()), ("txt", "ab"));
        i.recipient_name = None;
        let d = parse_issuance_detail(&issuance_detail(&i)).unwrap();
        assert_eq!(d.recipient_name, None);
        assert_eq!(d.content_hash, "ab");
        assert_eq!(
            parse_issuance_detail("d-1 to r-1 as pdf (copy ab)")
                .unwrap()
                .format,
            telltale_core::FileFormat::Pdf
        );
        assert_eq!(parse_issuance_detail("d-1 to r-1 as rtf (copy ab)"), None);
        assert_eq!(quoted("a\nb").lines().count(), 1);
    }
}
