//! Round trips: the original comes back byte for byte, and a full copy
//! traces back to exactly its recipient with its whole codeword.

mod common;

use proptest::prelude::*;
use telltale_core::gate::NoGate;
use telltale_core::{
    accuse, sample, AccuseParams, CodeParams, Codebook, DocumentEvidence, Locator, RuleSet,
};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any text at all: tokens cover every byte and the original renders back.
    #[test]
    fn original_choice_renders_the_input(s in "(\\PC|\r\n|\t| |said that the|In 2019,|, and |organise|–|\u{200B}|😀|שלום|مرحبا){0,60}") {
        let toks = telltale_core::text::tokenize(&s);
        let mut pos = 0;
        for t in &toks { prop_assert_eq!(t.start, pos); pos = t.end; }
        prop_assert_eq!(pos, s.len());
        // Only empty or binary input may be refused; everything else must
        // build and render back (an `if let Ok` here passed vacuously when
        // every build failed).
        match RuleSet::default().build(&s, &mut NoGate) {
            Ok(t) => prop_assert_eq!(t.render(&t.original_codeword()).unwrap(), s),
            Err(e) => prop_assert!(
                s.trim().is_empty()
                    || s.contains(|c: char| c == '\0' || (c.is_control() && !c.is_whitespace())),
                "refused {:?}: {}", s, e
            ),
        }
    }

    /// Real prose, shuffled: the same, with the real grammar gate.
    #[test]
    fn original_choice_renders_prose(seed in 0u64..10_000, crlf in any::<bool>()) {
        let paras: Vec<&str> = sample::MEMO.split("\n\n").collect();
        let mut doc = String::new();
        for k in 0..4 {
            doc.push_str(paras[(seed as usize * 7 + k * 13) % paras.len()]);
            doc.push_str(if crlf { "\r\n\r\n" } else { "\n\n" });
        }
        let t = common::build(&doc);
        prop_assert_eq!(t.render(&t.original_codeword()).unwrap(), doc);
    }
}

#[test]
fn full_copies_trace_to_their_recipient_with_the_whole_codeword() {
    let paras: Vec<&str> = sample::MEMO.split("\n\n").collect();
    let rs = common::recipients(300);
    for trial in 0..6 {
        // A different document and key each time.
        let doc: String = (0..5)
            .map(|k| paras[(trial * 5 + k * 3) % paras.len()])
            .collect::<Vec<_>>()
            .join("\n\n");
        let t = common::build(&doc);
        let key = common::key(trial as u8 + 1);
        let cb = Codebook::new(&key, &format!("doc-{trial}"), &t, CodeParams::default()).unwrap();
        let who = &rs[(trial * 37) % rs.len()];
        let cw = cb.codeword(who);
        let copy = t.render(&cw).unwrap();
        let mut loc = Locator::new();
        loc.add(&t);
        let traces = loc.trace(&[&t], &copy).unwrap();
        assert_eq!(traces.len(), 1);
        let obs = &traces[0].observations;
        // Every slot is read, and read right.
        let missing: Vec<String> = (0..t.slots.len() as u32)
            .filter(|j| !obs.iter().any(|o| o.slot == *j))
            .map(|j| {
                let site = t.sites.iter().find(|s| s.slot == j).unwrap();
                format!(
                    "{:?} {:?} at {}",
                    t.slots[j as usize].class, site.forms, site.start
                )
            })
            .collect();
        assert!(missing.is_empty(), "trial {trial}: unread {missing:?}");
        assert_eq!(
            obs.len(),
            t.slots.len(),
            "trial {trial}: {} of {} slots read",
            obs.len(),
            t.slots.len()
        );
        for o in obs {
            assert_eq!(
                o.symbol, cw[o.slot as usize],
                "trial {trial}: slot {} ({:?})",
                o.slot, t.slots[o.slot as usize].class
            );
        }
        let acc = accuse(
            &[DocumentEvidence {
                codebook: &cb,
                observations: obs,
                recipients: &rs,
            }],
            AccuseParams::default(),
        );
        assert_eq!(acc.accused, vec![who.clone()], "trial {trial}");
    }
}
