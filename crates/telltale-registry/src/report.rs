//! The `trace --json` contract: one object with the threshold and every
//! registered document the input quotes, best match first. Field names are
//! stable; scripts rely on them (see the design brief, section 4).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use telltale_core::{Accusation, Trace};
use telltale_store::DocumentRecord;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceReport {
    pub threshold: f64,
    pub documents: Vec<DocumentReport>,
    /// Evidence from all quoted documents together, for recipients who
    /// received several of them (present when more than one is quoted).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub combined: Option<CombinedReport>,
    /// The case this leak was filed under (`trace --case`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub case: Option<String>,
    /// Evidence from every leak filed under the same case, this one included.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub running: Option<RunningReport>,
}

/// Evidence over time: every leak of one case read together. A slot read in
/// several leaks counts once, and the threshold shrinks with every look at
/// the case (ε·6/(π²k²) at the k-th leak, which sums to ε over any number of
/// looks), so that re-testing after each new leak cannot wear the bound down.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningReport {
    pub case: String,
    /// Leaks in the case, this one included.
    pub leaks: usize,
    /// Distinct slots read over all of them.
    pub slots_observed: usize,
    /// The threshold this look was held to.
    pub threshold: f64,
    pub accused: Vec<String>,
    pub suspects: Vec<SuspectReport>,
}

/// The share of the false-accusation budget spent on the k-th look at a
/// case (k ≥ 1): 6/(π²k²), which sums to 1 over all k.
pub fn look_share(k: usize) -> f64 {
    6.0 / (std::f64::consts::PI.powi(2) * (k.max(1) as f64).powi(2))
}

impl TraceReport {
    /// The most holders of any quoted document: the field a combined or
    /// running verdict speaks of (None when no document is quoted).
    pub fn most_holders(&self) -> Option<usize> {
        self.documents.iter().map(|d| d.recipients).max()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentReport {
    pub id: String,
    pub title: String,
    pub aligned_words: usize,
    pub slots_observed: usize,
    pub slots_erased: usize,
    pub accused: Vec<String>,
    pub suspects: Vec<SuspectReport>,
    pub evidence: Vec<EvidenceItem>,
    /// When nobody is accused but the evidence narrows the field: the
    /// smallest set of recipients that holds the source with the stated
    /// probability under a single-leaker model. A lead, never an accusation.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub shortlist: Option<ShortlistReport>,
    /// Byte ranges of the input that quote this document.
    pub passages: Vec<[usize; 2]>,
    /// Recipients who were issued this document.
    pub recipients: usize,
    /// Line shifts read from a page image or PDF and counted as evidence
    /// with the text slots (not in `evidence`, and not carried into a
    /// case's running evidence).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub layout_marks: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SuspectReport {
    pub recipient: String,
    /// The name the recipient's copy was issued under (their name now for
    /// copies issued before names were recorded).
    pub name: String,
    /// The recipient's name now, when it differs from the name as issued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_name: Option<String>,
    pub score: f64,
    pub p_value: f64,
    pub false_accusation: f64,
    /// Observed slots where this recipient's copy agrees with the input.
    pub matches: usize,
    pub observed: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceItem {
    pub slot: u32,
    pub class: String,
    /// Which alternative the input shows (0 is the slot's first form).
    pub observed: u8,
    /// The text of that alternative.
    pub form: String,
    pub leak_span: [usize; 2],
}

impl EvidenceItem {
    /// A mark no reader sees (zero-width, space variant, homoglyph): listed
    /// by count, not one by one.
    pub fn is_invisible(&self) -> bool {
        telltale_core::Class::from_name(&self.class)
            .is_some_and(|c| c.layer() == telltale_core::Layer::Invisible)
    }
}

/// A lead for an inquiry: "the source is among these 4 of 1,000 recipients
/// (99%); about 3 of them would be innocent".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShortlistReport {
    /// Recipient ids, most probable first.
    pub recipients: Vec<String>,
    /// Probability that the source is among them.
    pub confidence: f64,
    /// How many of them are expected to be innocent.
    pub expected_innocents: f64,
}

impl ShortlistReport {
    fn new(s: &telltale_core::Shortlist) -> ShortlistReport {
        ShortlistReport {
            recipients: s.recipients.clone(),
            confidence: s.confidence,
            expected_innocents: s.expected_innocents,
        }
    }

    /// The lead in one sentence, for `population` recipients.
    pub fn sentence(&self, population: usize) -> String {
        format!(
            "a lead, not an accusation: the source is among these {} of {} recipients ({:.0}% under a \
             single-leaker model); about {:.0} of them would be innocent",
            self.recipients.len(),
            population,
            // Rounded down: never claim more than the model gives.
            (100.0 * self.confidence).floor(),
            self.expected_innocents.round()
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CombinedReport {
    pub accused: Vec<String>,
    pub suspects: Vec<SuspectReport>,
}

impl SuspectReport {
    /// The name as issued, and the name now if it has changed since.
    pub fn display_name(&self) -> String {
        match &self.current_name {
            Some(now) => format!("{}, now {now}", self.name),
            None => self.name.clone(),
        }
    }
}

/// Recipients' names for a report: as they are now, and as each holder's
/// copy of a document was issued. Evidence names a person by the name on
/// the copy they were given; a later rename must not put another name on
/// the accusation.
#[derive(Debug, Clone, Default)]
pub struct Names {
    current: BTreeMap<String, String>,
    /// By document id, then recipient id.
    issued: BTreeMap<String, BTreeMap<String, String>>,
}

impl Names {
    pub fn new(current: BTreeMap<String, String>) -> Names {
        Names {
            current,
            issued: BTreeMap::new(),
        }
    }

    /// Whether the current name of `recipient` is known.
    pub fn knows(&self, recipient: &str) -> bool {
        self.current.contains_key(recipient)
    }

    pub fn add_current(&mut self, recipient: &str, name: &str) {
        self.current.insert(recipient.to_string(), name.to_string());
    }

    pub fn add_issued(&mut self, document: &str, recipient: &str, name: &str) {
        self.issued
            .entry(document.to_string())
            .or_default()
            .insert(recipient.to_string(), name.to_string());
    }

    /// The name as issued (of `document`, or of any document when the
    /// evidence spans several) and the current name if it differs.
    fn of(&self, recipient: &str, document: Option<&str>) -> (String, Option<String>) {
        let issued = match document {
            Some(d) => self.issued.get(d).and_then(|m| m.get(recipient)),
            None => self.issued.values().find_map(|m| m.get(recipient)),
        };
        match (issued, self.current.get(recipient)) {
            (Some(i), Some(c)) if i != c => (i.clone(), Some(c.clone())),
            (Some(i), _) => (i.clone(), None),
            (None, Some(c)) => (c.clone(), None),
            (None, None) => (String::new(), None),
        }
    }
}

fn suspects(acc: &Accusation, names: &Names, document: Option<&str>) -> Vec<SuspectReport> {
    acc.suspects
        .iter()
        .map(|s| {
            let (name, current_name) = names.of(&s.recipient, document);
            (s, name, current_name)
        })
        .map(|(s, name, current_name)| SuspectReport {
            recipient: s.recipient.clone(),
            name,
            current_name,
            score: s.score,
            p_value: s.p_value,
            false_accusation: s.false_accusation,
            matches: s.matches,
            observed: s.observed,
        })
        .collect()
}

impl DocumentReport {
    pub fn new(d: &DocumentRecord, t: &Trace, acc: &Accusation, names: &Names) -> DocumentReport {
        let tpl = &d.template;
        DocumentReport {
            id: d.id.clone(),
            title: d.title.clone(),
            aligned_words: t.aligned_words(),
            slots_observed: t.observations.len(),
            slots_erased: t.erased,
            accused: acc.accused.clone(),
            suspects: suspects(acc, names, Some(&d.id)),
            shortlist: acc.shortlist.as_ref().map(ShortlistReport::new),
            evidence: t
                .observations
                .iter()
                .map(|o| EvidenceItem {
                    slot: o.slot,
                    class: tpl.slots[o.slot as usize].class.name().to_string(),
                    observed: o.symbol,
                    form: tpl.sites[o.site as usize].forms[o.symbol as usize].clone(),
                    leak_span: [o.leak_span.start, o.leak_span.end],
                })
                .collect(),
            passages: t
                .passages
                .iter()
                .map(|p| [p.leak.start, p.leak.end])
                .collect(),
            recipients: acc.population,
            layout_marks: 0,
        }
    }
}

impl RunningReport {
    pub fn new(
        case: &str,
        leaks: usize,
        slots_observed: usize,
        threshold: f64,
        acc: &Accusation,
        names: &Names,
    ) -> RunningReport {
        RunningReport {
            case: case.to_string(),
            leaks,
            slots_observed,
            threshold,
            accused: acc.accused.clone(),
            suspects: suspects(acc, names, None),
        }
    }
}

impl CombinedReport {
    pub fn new(acc: &Accusation, names: &Names) -> CombinedReport {
        CombinedReport {
            accused: acc.accused.clone(),
            suspects: suspects(acc, names, None),
        }
    }
}

/// A probability in plain words: "1 in 4 billion".
pub fn odds_in_words(p: f64) -> String {
    if p >= 0.5 {
        return "better than even".into();
    }
    let inv = 1.0 / p.max(1e-300);
    let (v, unit) = if inv >= 1e12 {
        return format!("1 in 10^{}", inv.log10().floor() as i64);
    } else if inv >= 1e9 {
        (inv / 1e9, " billion")
    } else if inv >= 1e6 {
        (inv / 1e6, " million")
    } else if inv >= 1e4 {
        (inv / 1e3, " thousand")
    } else {
        (inv, "")
    };
    format!(
        "1 in {}{unit}",
        if v >= 10.0 {
            format!("{v:.0}")
        } else {
            format!("{v:.1}")
        }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn look_shares_sum_to_at_most_one() {
        let total: f64 = (1..100_000).map(look_share).sum();
        assert!(total < 1.0 && total > 0.9999, "{total}");
        assert!((look_share(1) - 0.6079).abs() < 1e-4);
    }

    #[test]
    fn odds_read_naturally() {
        assert_eq!(odds_in_words(2.5e-10), "1 in 4.0 billion");
        assert_eq!(odds_in_words(1e-3), "1 in 1000");
        assert_eq!(odds_in_words(3e-5), "1 in 33 thousand");
        assert_eq!(odds_in_words(0.7), "better than even");
        assert_eq!(odds_in_words(1e-20), "1 in 10^20");
    }
}
