//! The bias cutoff trade-off, measured at the level of codewords: how many
//! observed binary slots a single leaker's quote needs before they are
//! accused among 1,000 recipients, against how often merged copies of c
//! colluders still accuse one of them. Used to choose `CodeParams::cutoff`.
//!
//! `cargo run --release -p telltale-core --example tradeoff`

use telltale_core::sim::{self, Merge, SimRng};
use telltale_core::{
    accuse, AccuseParams, CodeParams, Codebook, DocumentEvidence, Observation, SecretKey,
};

fn observe(symbols: &[Option<u8>], slots: &[u32]) -> Vec<Observation> {
    slots
        .iter()
        .filter_map(|&j| {
            symbols[j as usize].map(|s| Observation {
                slot: j,
                symbol: s,
                site: j,
                leak_span: 0..0,
            })
        })
        .collect()
}

fn main() {
    let key = SecretKey::from_bytes([3; 32]);
    let recipients: Vec<String> = (0..1000).map(|i| format!("r-{i:04}")).collect();
    let params = AccuseParams::default();
    // 0.5 is uniform for binary slots.
    let cutoffs = [0.0, 0.05, 0.1, 0.2, 0.3, 0.5];
    println!("Single leaker, binary slots, N = 1,000, threshold 1e-3: observed slots needed");
    println!("| cutoff | 50% accused | 90% accused | innocents accused |");
    println!("|---|---|---|---|");
    for &t in &cutoffs {
        let cp = CodeParams {
            cutoff: t,
            ..CodeParams::default()
        };
        let mut rng = SimRng::new(&format!("single-{t}"));
        let (mut m50, mut m90) = (None, None);
        let mut innocents = 0;
        for m in (10..=120).step_by(5) {
            let trials = 100;
            let mut ok = 0;
            for trial in 0..trials {
                let cb =
                    Codebook::for_slots(&key, &format!("s-{t}-{m}-{trial}"), &vec![2u8; m], cp)
                        .unwrap();
                let who = &recipients[rng.below(recipients.len())];
                let cw: Vec<Option<u8>> = cb.codeword(who).into_iter().map(Some).collect();
                let slots: Vec<u32> = (0..m as u32).collect();
                let obs = observe(&cw, &slots);
                let acc = accuse(
                    &[DocumentEvidence {
                        codebook: &cb,
                        observations: &obs,
                        recipients: &recipients,
                    }],
                    params,
                );
                ok += usize::from(acc.accused == [who.clone()]);
                innocents += acc.accused.iter().filter(|a| *a != who).count();
            }
            if m50.is_none() && ok * 2 >= trials {
                m50 = Some(m);
            }
            if m90.is_none() && ok * 10 >= trials * 9 {
                m90 = Some(m);
                break;
            }
        }
        let f = |x: Option<usize>| x.map_or(">120".to_string(), |v| v.to_string());
        println!("| {t} | {} | {} | {innocents} |", f(m50), f(m90));
    }

    println!("\nCollusion, 400 binary slots all observed, N = 1,000: share of trials accusing at least one colluder (innocents accused)");
    println!("| cutoff | c | majority | minority | random | interleave |");
    println!("|---|---|---|---|---|---|");
    let m = 400;
    for &t in &cutoffs {
        let cp = CodeParams {
            cutoff: t,
            ..CodeParams::default()
        };
        let mut rng = SimRng::new(&format!("collusion-{t}"));
        for c in [2usize, 3, 4] {
            let mut row = format!("| {t} | {c} |");
            for how in [
                Merge::Majority,
                Merge::Minority,
                Merge::Random,
                Merge::Interleave,
            ] {
                let trials = 20;
                let (mut caught, mut innocents) = (0, 0);
                for trial in 0..trials {
                    let cb = Codebook::for_slots(
                        &key,
                        &format!("c-{t}-{c}-{how:?}-{trial}"),
                        &vec![2u8; m],
                        cp,
                    )
                    .unwrap();
                    let mut gang: Vec<String> = Vec::new();
                    while gang.len() < c {
                        let g = recipients[rng.below(recipients.len())].clone();
                        if !gang.contains(&g) {
                            gang.push(g);
                        }
                    }
                    let cws: Vec<Vec<u8>> = gang.iter().map(|g| cb.codeword(g)).collect();
                    let merged = sim::merge(&cws, how, &mut rng);
                    let slots: Vec<u32> = (0..m as u32).collect();
                    let obs = observe(&merged, &slots);
                    let acc = accuse(
                        &[DocumentEvidence {
                            codebook: &cb,
                            observations: &obs,
                            recipients: &recipients,
                        }],
                        params,
                    );
                    caught += usize::from(acc.accused.iter().any(|a| gang.contains(a)));
                    innocents += acc.accused.iter().filter(|a| !gang.contains(a)).count();
                }
                row.push_str(&format!(" {}% ({innocents}) |", caught * 100 / trials));
            }
            println!("{row}");
        }
    }
}
