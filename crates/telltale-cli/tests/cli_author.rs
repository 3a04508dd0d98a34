//! Author-written alternatives from the command line: inline in a text
//! source and added to a Word original with `doc alt`; refused once copies
//! are issued; and a short retyped quote carrying three author slots
//! shortlists its leaker when it is too short to accuse anyone.

mod common;

use common::*;

/// An 80-word paragraph with three author slots of three wordings each.
const QUOTED: &str = "In private, the ambassador described the new administration as \
{{uniquely dysfunctional|singularly inept|unusually chaotic}} and warned that its \
policy on trade was {{unlikely to improve|not likely to get better|improbable to mend}} \
before the summer. He added that senior officials {{rarely|seldom|hardly ever}} agreed \
with one another in meetings, and that allies should expect sudden announcements, \
reversals and a steady stream of leaks from within the building for the rest of the year. \
The note was copied to the foreign secretary and to two junior ministers in London.";

#[test]
fn a_retyped_quote_with_three_author_slots_shortlists_its_leaker() {
    let h = Home::initialised();
    let source = format!("{}\n\n{QUOTED}\n\n{}\n", paragraphs(0..3), paragraphs(3..6));
    let doc = h.add_doc("cable.txt", &source);
    let shown = h.json(&["doc", "alt", &doc, "--list", "--json"]);
    assert_eq!(shown["author_slots"].as_array().unwrap().len(), 3);
    let people = h.file("people.csv", &csv(1000));
    h.ok(&["recipients", "import", people.to_str().unwrap()]);
    let out = h.at("out");
    h.ok(&["distribute", &doc, "--all", "--out", out.to_str().unwrap()]);
    // Once issued, the wordings are fixed.
    let refused = h.fails(&["doc", "alt", &doc, "--at", "ambassador", "--alt", "envoy"]);
    assert!(
        refused.contains("has been issued") && refused.contains("new document"),
        "{refused}"
    );

    let leaker = "r-00421";
    let copy = std::fs::read_to_string(out.join(format!("{leaker}.txt"))).unwrap();
    assert!(
        !copy.contains("{{") && !copy.contains('|'),
        "braces never reach a copy"
    );
    // Retyped: no invisible marks.
    let plain: String = copy
        .chars()
        .filter(|c| !matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'))
        .collect();
    let retyped = plain
        .split("\n\n")
        .find(|p| p.contains("ambassador"))
        .unwrap()
        .to_string();
    let words = retyped.split_whitespace().count();
    assert!((75..=90).contains(&words), "{words} words");
    let leak = h.file(
        "article.txt",
        &format!(
            "The cable, seen by this newspaper, reads: {retyped} The embassy declined to comment."
        ),
    );
    let v = h.json(&["trace", leak.to_str().unwrap(), "--json"]);
    let d = &v["documents"][0];
    assert_eq!(d["id"], doc.as_str());
    let accused = d["accused"].as_array().unwrap();
    assert!(
        accused.iter().all(|a| a == leaker),
        "nobody innocent: {accused:?}"
    );
    if accused.is_empty() {
        let s = &d["shortlist"];
        let list: Vec<&str> = s["recipients"]
            .as_array()
            .expect("a shortlist when nobody is accused")
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert!(list.contains(&leaker), "the leaker is on the shortlist");
        assert!(
            list.len() < 334,
            "three author slots narrow 1,000 to {}",
            list.len()
        );
        assert!(s["confidence"].as_f64().unwrap() >= 0.99);
        let text = h.ok(&["trace", leak.to_str().unwrap()]);
        assert!(text.contains("a lead, not an accusation"), "{text}");
    }
}

#[test]
fn alternatives_on_a_word_original_are_added_listed_and_removed() {
    let h = Home::initialised();
    let docx =
        telltale_formats::from_text(&paragraphs(0..6), telltale_formats::FileFormat::Docx, "K")
            .unwrap();
    let path = h.at("memo.docx");
    std::fs::write(&path, &docx).unwrap();
    let doc = h.add_file(&path);
    // A phrase that is not there, or not that often, is a one-line refusal.
    let e = h.fails(&["doc", "alt", &doc, "--at", "no such phrase", "--alt", "x"]);
    assert!(e.contains("occurs 0 time(s)"), "{e}");
    let phrase = paragraphs(0..1)
        .split_whitespace()
        .skip(3)
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let v = h.json(&[
        "doc",
        "alt",
        &doc,
        "--at",
        &phrase,
        "--alt",
        "in all likelihood",
        "--alt",
        "3 weeks",
        "--json",
    ]);
    assert_eq!(v["author_slots"].as_array().unwrap().len(), 1, "{v}");
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 2);
    assert!(
        checks
            .iter()
            .any(|c| c["flags"].as_array().unwrap().iter().any(|f| f == "number")),
        "a new number is flagged: {v}"
    );
    let listed = h.ok(&["doc", "alt", &doc, "--list"]);
    assert!(listed.contains("in all likelihood"), "{listed}");
    let v = h.json(&["doc", "alt", &doc, "--remove", "1", "--json"]);
    assert_eq!(v["author_slots"].as_array().unwrap().len(), 0);
    // Every change is in the audit log.
    let log = h.ok(&["audit", "log"]);
    assert_eq!(log.matches("doc.alt").count(), 2, "{log}");
}
