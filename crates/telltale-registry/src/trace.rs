//! Tracing leaked text: locating the documents it came from by the
//! shingle index, aligning it with only those, accusing per document and
//! over all of them (with the layout readings of a leaked page), recording
//! the trace with its input, and reading every leak of a case together.

use std::collections::BTreeMap;

use telltale_core::{accuse, align, AccuseParams, Codebook, DocumentEvidence, Locator};
use telltale_store::DocumentRecord;

use crate::report::{self, DocumentReport, TraceReport};
use crate::{hex, now, Registry, RegistryError, Result};

/// What to trace, and how: the leaked text, and what else is known of it.
#[derive(Debug, Clone, Default)]
pub struct TraceRequest<'a> {
    /// The leak as text (what a reader sees of a file).
    pub text: &'a str,
    /// The line-shift readings of a leaked page image or PDF (`(layout
    /// slot, bit)`, see `telltale_formats::pdf`): read as evidence for the
    /// document the text locates best, together with its text slots.
    pub layout: &'a [(u32, u8)],
    /// Consider this document only.
    pub only: Option<&'a str>,
    /// File the leak under this case: the report then also reads every
    /// earlier leak of the case together with this one.
    pub case: Option<&'a str>,
    pub params: AccuseParams,
}

impl<'a> TraceRequest<'a> {
    /// Trace `text` against every document, with the default threshold.
    pub fn new(text: &'a str) -> TraceRequest<'a> {
        TraceRequest {
            text,
            ..TraceRequest::default()
        }
    }
}

impl Registry {
    /// Trace a leak against the registry (or one document), record the
    /// trace with its input, and report in the `trace --json` shape; the
    /// id the trace was recorded under, for its evidence report.
    pub fn trace(&mut self, req: &TraceRequest) -> Result<(i64, TraceReport)> {
        let TraceRequest {
            text,
            layout,
            only,
            case,
            params,
        } = req.clone();
        if let Some(c) = case {
            if c.trim().is_empty() || c.len() > 128 || c.contains(char::is_control) {
                return Err(RegistryError::Invalid(format!(
                    "case name {c:?} must be 1 to 128 printable characters"
                )));
            }
        }
        // Scoring a million holders is worth every core the machine has.
        let params = AccuseParams {
            threads: params
                .threads
                .max(std::thread::available_parallelism().map_or(1, |n| n.get())),
            ..params
        };
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
        // Names only of whom a report names: reading every recipient would
        // cost more than scoring them.
        let mut names = report::Names::default();
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
            let rs = self.holders_of(d)?;
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
            self.name_suspects(&mut names, &acc, &[d.id.as_str()])?;
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
            let ids: Vec<&str> = docs.iter().map(|d| d.id.as_str()).collect();
            self.name_suspects(&mut names, &acc, &ids)?;
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

    /// Fill `names` for everyone `acc` ranks: their name now, and the name
    /// each of `documents` was issued to them under. A handful of lookups,
    /// whatever the number of holders.
    fn name_suspects(
        &self,
        names: &mut report::Names,
        acc: &telltale_core::Accusation,
        documents: &[&str],
    ) -> Result<()> {
        for s in &acc.suspects {
            let id = s.recipient.as_str();
            if !names.knows(id) {
                if let Some(r) = self.store.recipient(id)? {
                    names.add_current(id, &r.name);
                }
            }
            for d in documents {
                if let Some(n) = self.store.issued_name(d, id)? {
                    names.add_issued(d, id, &n);
                }
            }
        }
        Ok(())
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
            let holders = self.holders_of(&d)?;
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
        let ids: Vec<&str> = readings.keys().map(String::as_str).collect();
        self.name_suspects(&mut names, &acc, &ids)?;
        let observed = docs.iter().map(|d| d.2.len()).sum();
        Ok(report::RunningReport::new(
            case, leaks, observed, threshold, &acc, &names,
        ))
    }

    /// For each (slot, symbol) read in a leak of `doc_id`: how many holders'
    /// copies show that symbol there, and which of `watched` do (the
    /// evidence page's "shown by N copies, including the accused's").
    /// Counts, not lists: a million holders would otherwise make a list of
    /// names per reading.
    pub fn sharers(
        &self,
        doc_id: &str,
        readings: &[(u32, u8)],
        watched: &[&str],
    ) -> Result<Vec<(usize, Vec<String>)>> {
        let doc = self.document(doc_id)?;
        let cb = Codebook::new(&self.key, &doc.id, &doc.template, doc.code_params)?;
        let slots: Vec<u32> = readings.iter().map(|r| r.0).collect();
        let plan = cb.read_plan(&slots);
        let mut out: Vec<(usize, Vec<String>)> = vec![(0, Vec::new()); readings.len()];
        let (mut blocks, mut symbols) = (Vec::new(), Vec::new());
        for (n, holder) in self.holders_of(&doc)?.iter().enumerate() {
            if n % 4096 == 0 {
                self.budget.check()?;
            }
            cb.symbols_with(holder, &plan, &mut blocks, &mut symbols);
            let is_watched = watched.contains(&holder.as_str());
            for ((count, who), (&sym, (_, want))) in
                out.iter_mut().zip(symbols.iter().zip(readings))
            {
                if sym == *want {
                    *count += 1;
                    if is_watched {
                        who.push(holder.clone());
                    }
                }
            }
        }
        Ok(out)
    }
}
