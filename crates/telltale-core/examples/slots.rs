//! Print the slots a document gets, for reviewing the rules by eye.
//! `cargo run -p telltale-core --example slots -- [FILE]` (default: the sample memo).

use telltale_core::gate::{Gate, HarperGate};
use telltale_core::rules::Variety;
use telltale_core::Class;

/// Prints every variant the grammar gate refuses.
struct Logged(HarperGate);

impl Gate for Logged {
    fn id(&self) -> String {
        self.0.id()
    }
    fn accepts(&mut self, class: Class, original: &str, variant: &str) -> bool {
        let ok = self.0.accepts(class, original, variant);
        if !ok {
            println!("gate refused: {variant:?}");
        }
        ok
    }
}
use telltale_core::rules::detect_variety;
use telltale_core::{Layer, RuleSet};

fn main() {
    let text = match std::env::args().nth(1) {
        Some(p) => std::fs::read_to_string(p).expect("readable UTF-8 file"),
        None => telltale_core::sample::MEMO.to_string(),
    };
    let variety = match std::env::var("TELLTALE_VARIETY").as_deref() {
        Ok("uk") => Variety::British,
        Ok("us") => Variety::American,
        _ => detect_variety(&text),
    };
    let mut gate = Logged(HarperGate::new(variety));
    let rules = RuleSet {
        variety: Some(variety),
        ..RuleSet::default()
    };
    let (t, report) = rules.build_with_report(&text, &mut gate).expect("template");
    println!(
        "{report:?} gate checked {} rejected {}",
        gate.0.checked, gate.0.rejected
    );
    for s in &t.sites {
        let slot = &t.slots[s.slot as usize];
        if slot.layer() == Layer::Invisible {
            continue;
        }
        let a = s.start.saturating_sub(30);
        let b = (s.end + 30).min(t.text.len());
        let (a, b) = (t.text.floor_char_boundary(a), t.text.ceil_char_boundary(b));
        println!(
            "#{:<4} {:<18} {:?}  …{}[{}]{}…",
            s.slot,
            slot.class.name(),
            s.forms,
            &t.text[a..s.start].replace('\n', " "),
            &t.text[s.start..s.end],
            &t.text[s.end..b].replace('\n', " ")
        );
    }
}
