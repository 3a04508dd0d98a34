//! `report`: the signed PDF of a trace, checked on the registry and, with
//! the exported key, by a third party who has no registry at all.

mod common;
use common::*;

#[test]
fn a_signed_report_is_checked_with_and_without_the_registry() {
    let h = Home::initialised();
    let doc = h.add_doc("memo.txt", MEMO);
    let people = h.file("people.csv", &csv(30));
    h.ok(&["recipients", "import", people.to_str().unwrap()]);
    let out = h.at("out");
    h.ok(&["distribute", &doc, "--all", "--out", out.to_str().unwrap()]);
    let copy = std::fs::read_to_string(out.join("r-00012.txt")).unwrap();
    let leak = h.file(
        "leak.txt",
        &copy.chars().skip(300).take(1500).collect::<String>(),
    );
    let said = h.ok(&["trace", leak.to_str().unwrap()]);
    assert!(said.contains("r-00012"), "{said}");
    let trace = said
        .split("Recorded as trace ")
        .nth(1)
        .and_then(|s| s.split(';').next())
        .unwrap_or_else(|| panic!("no trace number in {said}"))
        .to_string();

    let pdf = h.at("evidence.pdf");
    h.ok(&["report", "pdf", &trace, "-o", pdf.to_str().unwrap()]);
    let ok = h.ok(&["report", "verify", pdf.to_str().unwrap()]);
    assert!(
        ok.contains("the signature is valid") && ok.contains(&format!("for trace {trace},")),
        "{ok}"
    );

    // A third party: the key file and the report, no registry.
    let key = h.at("report-key.txt");
    h.ok(&["report", "key", "-o", key.to_str().unwrap()]);
    let ok = h.ok(&[
        "--home",
        h.at("no-registry-here").to_str().unwrap(),
        "report",
        "verify",
        pdf.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ]);
    assert!(ok.contains("the signature is valid"), "{ok}");

    // One changed byte, or another registry's key: a one-line refusal.
    let mut bytes = std::fs::read(&pdf).unwrap();
    let mid = bytes.len() / 3;
    bytes[mid] ^= 0x04;
    let changed = h.at("changed.pdf");
    std::fs::write(&changed, &bytes).unwrap();
    let e = h.fails(&["report", "verify", changed.to_str().unwrap()]);
    assert!(e.contains("changed after it was signed"), "{e}");
    let other = Home::initialised();
    let e = other.fails(&["report", "verify", pdf.to_str().unwrap()]);
    assert!(e.contains("signed by another key"), "{e}");
    let e = h.fails(&["report", "verify", key.to_str().unwrap()]);
    assert!(e.contains("no telltale seal"), "{e}");
    let e = h.fails(&["report", "pdf", "999"]);
    assert!(e.contains("999"), "{e}");
}
