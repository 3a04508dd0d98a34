//! How long a quote must be before it names its leaker: the figure an
//! author wants before sending ("among these 40 recipients, a retyped quote
//! of about 120 words identifies its source").
//!
//! It is measured, not derived: simulated leakers among `recipients`
//! simulated holders quote random windows of the document, only the slots
//! of the layers that survive the leak's path are read, and the shortest
//! window length at which the accusation names exactly the leaker in 90%
//! of trials is reported. The simulation uses the document's real codebook
//! (so the biases are the real ones) and invented recipient ids (so the
//! answer says nothing about anyone's copy).

use std::collections::BTreeSet;

use crate::sim::{word_window, SimRng};
use crate::{accuse, AccuseParams, Codebook, DocumentEvidence, Layer, Observation, Template};

/// Quote lengths tried, in words.
const LENGTHS: [usize; 10] = [10, 20, 30, 40, 60, 80, 120, 160, 240, 320];
/// Trials per length, and how many must name the leaker alone.
const TRIALS: usize = 20;
const NEEDED: usize = 18;

/// The shortest quote, in words, that names its leaker alone in 90% of
/// simulated trials when only `layers` survive, or `None` if even the
/// longest length tried (or the whole document) is not enough.
pub fn shortest_identifying_quote(
    template: &Template,
    codebook: &Codebook,
    recipients: usize,
    threshold: f64,
    layers: &[Layer],
) -> Option<usize> {
    shortest_identifying_quote_until(template, codebook, recipients, threshold, layers, &|| false)
        .unwrap_or(None)
}

/// The estimate was given up because its caller asked to stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

/// As [`shortest_identifying_quote`], asking `stop` before every trial and
/// giving up with [`Stopped`] when it says so: with many recipients each
/// trial scores all of them, and a caller that has run out of time must
/// be able to stop.
pub fn shortest_identifying_quote_until(
    template: &Template,
    codebook: &Codebook,
    recipients: usize,
    threshold: f64,
    layers: &[Layer],
    stop: &dyn Fn() -> bool,
) -> Result<Option<usize>, Stopped> {
    let words = template.word_count();
    if words == 0 || recipients == 0 {
        return Ok(None);
    }
    let holders: Vec<String> = (0..recipients).map(|i| format!("sim-{i}")).collect();
    let mut rng = SimRng::new(&format!("estimate {}", template.text.len()));
    let params = AccuseParams {
        threshold,
        ..AccuseParams::default()
    };
    let mut lengths: Vec<usize> = LENGTHS.iter().copied().filter(|&l| l < words).collect();
    lengths.push(words);
    for len in lengths {
        let mut named = 0;
        for trial in 0..TRIALS {
            if stop() {
                return Err(Stopped);
            }
            let leaker = rng.below(recipients);
            let start = rng.below(words.saturating_sub(len) + 1);
            let window = word_window(&template.text, start, len);
            let codeword = codebook.codeword(&holders[leaker]);
            let mut seen = BTreeSet::new();
            let observations: Vec<Observation> = template
                .sites
                .iter()
                .enumerate()
                .filter(|(_, s)| {
                    s.start >= window.start
                        && s.end <= window.end
                        && layers.contains(&template.slots[s.slot as usize].layer())
                        && seen.insert(s.slot)
                })
                .map(|(i, s)| Observation {
                    slot: s.slot,
                    symbol: codeword[s.slot as usize],
                    site: i as u32,
                    leak_span: 0..0,
                })
                .collect();
            let acc = accuse(
                &[DocumentEvidence {
                    codebook,
                    observations: &observations,
                    recipients: &holders,
                }],
                params,
            );
            if acc.accused == [holders[leaker].clone()] {
                named += 1;
            }
            // Stop early once the length can no longer reach 90%.
            if trial + 1 - named > TRIALS - NEEDED {
                break;
            }
        }
        if named >= NEEDED {
            return Ok(Some(len));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gate::NoGate;
    use crate::{CodeParams, RuleSet, SecretKey};

    #[test]
    fn a_longer_document_with_invisible_marks_needs_a_short_quote_and_more_recipients_never_need_less(
    ) {
        let para = "The minister said that the talks had stalled, although officials believe that the port will open in June. ";
        let text = para.repeat(40);
        let t = RuleSet::default().build(&text, &mut NoGate).unwrap();
        let key = SecretKey::from_bytes([7; 32]);
        let cb = Codebook::new(&key, "d-est", &t, CodeParams::default()).unwrap();
        let all = [Layer::Lexical, Layer::Punctuation, Layer::Invisible];
        let pasted = shortest_identifying_quote(&t, &cb, 20, 1e-3, &all).expect("pasted");
        assert!(pasted < t.word_count(), "{pasted}");
        let many = shortest_identifying_quote(&t, &cb, 1000, 1e-3, &all).expect("pasted, 1000");
        assert!(many >= pasted, "{many} < {pasted}");
        assert_eq!(
            shortest_identifying_quote(&t, &cb, 20, 1e-3, &[]),
            None,
            "no surviving layer names nobody"
        );
        assert_eq!(
            shortest_identifying_quote_until(&t, &cb, 20, 1e-3, &all, &|| true),
            Err(Stopped),
            "a caller out of time stops it"
        );
    }
}
