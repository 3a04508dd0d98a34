//! Who holds each document, kept between traces. A trace scores every
//! holder of a quoted document, and reading a million recipient ids from
//! the database costs about as much as scoring them; the list changes only
//! when copies are issued. A document's issuances are only ever added to
//! (or removed with the document, whose id is never used again), so the
//! list read when the document had `n` holders is the list whenever it
//! has `n` again: one count, answered from the index, says whether a kept
//! list is still right. The cache is shared by every handle a process
//! opens on one registry ([`Registry::reopen`]), never across processes:
//! each process checks the count against the database it shares.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use telltale_store::DocumentRecord;

use crate::{Registry, Result};

/// Documents with fewer holders are read afresh: reading them costs less
/// than the memory of keeping them.
pub const HOLDERS_KEPT_FROM: u64 = 10_000;

/// Most recipient ids kept over all documents (about 60 bytes each, so
/// some 120 MB): the least recently traced documents are let go beyond it.
const MAX_KEPT_IDS: usize = 2_000_000;

/// The kept lists of one registry's handles.
#[derive(Debug)]
pub(crate) struct HoldersCache {
    inner: Mutex<Kept>,
    max_ids: usize,
    /// Lists of kept size read from the database, over all handles.
    reads: AtomicU64,
}

impl Default for HoldersCache {
    fn default() -> Self {
        HoldersCache::with_cap(MAX_KEPT_IDS)
    }
}

#[derive(Debug, Default)]
struct Kept {
    lists: HashMap<String, List>,
    /// Ticks at each use, to let the least recently used go first.
    clock: u64,
}

#[derive(Debug)]
struct List {
    created_at: i64,
    ids: Arc<Vec<String>>,
    used: u64,
}

impl HoldersCache {
    fn with_cap(max_ids: usize) -> HoldersCache {
        HoldersCache {
            inner: Mutex::default(),
            max_ids,
            reads: AtomicU64::new(0),
        }
    }

    fn get(&self, doc: &DocumentRecord, count: u64) -> Option<Arc<Vec<String>>> {
        let mut kept = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        kept.clock += 1;
        let now = kept.clock;
        let list = kept.lists.get_mut(&doc.id)?;
        if list.created_at != doc.created_at || list.ids.len() as u64 != count {
            return None;
        }
        list.used = now;
        Some(Arc::clone(&list.ids))
    }

    fn keep(&self, doc: &DocumentRecord, ids: &Arc<Vec<String>>) {
        if ids.len() > self.max_ids {
            return;
        }
        let mut kept = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        kept.clock += 1;
        let used = kept.clock;
        kept.lists.insert(
            doc.id.clone(),
            List {
                created_at: doc.created_at,
                ids: Arc::clone(ids),
                used,
            },
        );
        while kept.lists.values().map(|l| l.ids.len()).sum::<usize>() > self.max_ids {
            let Some(oldest) = kept
                .lists
                .iter()
                .min_by_key(|(_, l)| l.used)
                .map(|(id, _)| id.clone())
            else {
                break;
            };
            kept.lists.remove(&oldest);
        }
    }

    /// How many lists are kept (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .lists
            .len()
    }
}

impl Registry {
    /// Who holds `doc`: its recipients' ids in id order, as
    /// `Store::holders` reads them, kept for the next trace when there
    /// are many.
    pub(crate) fn holders_of(&self, doc: &DocumentRecord) -> Result<Arc<Vec<String>>> {
        let count = self.store.holder_count(&doc.id)?;
        if count < HOLDERS_KEPT_FROM {
            return Ok(Arc::new(self.store.holders(&doc.id)?));
        }
        if let Some(ids) = self.holders.get(doc, count) {
            return Ok(ids);
        }
        // Copies issued between the count and the read are in the list,
        // which is kept under its own length: still a list that was true.
        let ids = Arc::new(self.store.holders(&doc.id)?);
        self.holders.reads.fetch_add(1, Ordering::Relaxed);
        self.holders.keep(doc, &ids);
        Ok(ids)
    }

    /// How many holder lists of kept size this process has read from the
    /// database, over all its handles: what tells a test that the kept
    /// lists were used.
    #[doc(hidden)]
    pub fn holder_list_reads(&self) -> u64 {
        self.holders.reads.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(id: &str, created_at: i64) -> DocumentRecord {
        DocumentRecord {
            id: id.into(),
            title: "t".into(),
            created_at,
            source_format: telltale_core::FileFormat::Txt,
            template: telltale_core::Template::new("A b.".into(), Vec::new(), Vec::new()).unwrap(),
            code_params: telltale_core::CodeParams::default(),
            rules: telltale_core::RuleSet::default(),
        }
    }

    fn ids(n: usize) -> Arc<Vec<String>> {
        Arc::new((0..n).map(|i| format!("r-{i}")).collect())
    }

    #[test]
    fn a_list_is_used_only_while_its_count_and_document_are_the_same() {
        let cache = HoldersCache::default();
        let d = doc("d-1", 10);
        cache.keep(&d, &ids(3));
        assert_eq!(cache.get(&d, 3).unwrap().len(), 3);
        // A copy issued since: read again.
        assert!(cache.get(&d, 4).is_none());
        // Another document under the same id (never made, but checked).
        assert!(cache.get(&doc("d-1", 11), 3).is_none());
        assert!(cache.get(&doc("d-2", 10), 3).is_none());
    }

    #[test]
    fn the_least_recently_traced_go_first_beyond_the_cap() {
        let cache = HoldersCache::with_cap(10);
        let half = 5;
        let (a, b, c) = (doc("d-a", 1), doc("d-b", 1), doc("d-c", 1));
        cache.keep(&a, &ids(half));
        cache.keep(&b, &ids(half));
        assert_eq!(cache.len(), 2);
        cache.get(&a, half as u64).unwrap();
        cache.keep(&c, &ids(1));
        assert_eq!(cache.len(), 2);
        assert!(cache.get(&a, half as u64).is_some());
        assert!(cache.get(&b, half as u64).is_none());
        assert!(cache.get(&c, 1).is_some());
        // A list larger than the cap is never kept.
        cache.keep(&doc("d-huge", 1), &ids(11));
        assert_eq!(cache.len(), 2);
    }
}
