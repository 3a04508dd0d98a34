//! `telltale demo` runs end to end and tells the story, and bad arguments
//! give a one-line error.

use std::process::Command;

fn telltale(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_telltale"))
        .args(args)
        .output()
        .expect("run telltale")
}

#[test]
fn demo_tells_the_story_and_never_accuses_an_innocent() {
    let out = telltale(&["demo", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let leaker = v["leaker"].as_str().unwrap();
    for leak in ["pasted", "retyped"] {
        let accused: Vec<&str> = v[leak]["accusation"]["accused"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert!(
            accused.iter().all(|a| *a == leaker),
            "{leak}: innocent accused: {accused:?}"
        );
        assert!(
            !v[leak]["traces"].as_array().unwrap().is_empty(),
            "{leak}: the quote was not found"
        );
    }
    // The pasted quote keeps its invisible marks and names the leaker.
    assert_eq!(
        v["pasted"]["accusation"]["accused"],
        serde_json::json!([leaker])
    );
    let story = telltale(&["demo"]);
    assert!(story.status.success());
    let text = String::from_utf8_lossy(&story.stdout);
    assert!(
        text.contains("Suspects (") && text.contains("Accused:"),
        "{text}"
    );
}

#[test]
fn bad_arguments_give_a_one_line_error() {
    let out = telltale(&["demo", "--recipients", "1"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
