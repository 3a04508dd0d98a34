//! HTML: the page layout and the views that mark up text (slots on the
//! review page, passages and evidence on the trace page, the evidence
//! report). Everything user-supplied goes through maud's escaping.

use axum::http::StatusCode;
use maud::{html, Markup, PreEscaped, DOCTYPE};
use telltale_core::{Layer, Template};
use telltale_registry::report::odds_in_words;
use telltale_registry::{Role, TraceReport};

use crate::auth::Caller;

pub const CSS: &str = include_str!("../assets/app.css");
pub const JS: &str = include_str!("../assets/app.js");

/// A page with the navigation the caller's role allows.
pub fn page(title: &str, caller: Option<&Caller>, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · telltale" }
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/app.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/" { "telltale" }
                    @if let Some(c) = caller {
                        nav {
                            @match c.user.role {
                                Role::Author => {
                                    a href="/documents" { "Documents" }
                                    a href="/recipients" { "Recipients" }
                                }
                                Role::Investigator => {
                                    a href="/trace" { "Trace a leak" }
                                    a href="/traces" { "Traces" }
                                    a href="/audit" { "Audit log" }
                                }
                                Role::Admin => {
                                    a href="/admin/users" { "Users" }
                                    a href="/audit" { "Audit log" }
                                }
                            }
                            a href="/tokens" { "API tokens" }
                        }
                        form.signout method="post" action="/logout" {
                            input type="hidden" name="csrf" value=(c.csrf());
                            span.who { (c.user.name) " (" (c.user.role.name()) ")" }
                            button type="submit" { "Sign out" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
    .into_string()
}

pub fn error_page(status: StatusCode, message: &str) -> String {
    page(
        status.canonical_reason().unwrap_or("Error"),
        None,
        html! {
            h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("")) }
            p.error id="error" { (message) }
            p { a href="/" { "Back to the start" } }
        },
    )
}

/// The hidden CSRF field every form carries.
pub fn csrf(c: &Caller) -> Markup {
    html! { input type="hidden" name="csrf" value=(c.csrf()); }
}

/// The document text with every visible slot marked; hovering shows its
/// alternatives. Invisible slots are counted, not drawn.
pub fn marked_template(t: &Template) -> Markup {
    let mut sites: Vec<&telltale_core::Site> = t
        .sites
        .iter()
        .filter(|s| t.slots[s.slot as usize].layer() != Layer::Invisible)
        .collect();
    sites.sort_by_key(|s| (s.start, s.end));
    let mut out = String::new();
    let mut at = 0;
    for s in sites {
        if s.start < at || s.end > t.text.len() {
            continue;
        }
        let slot = &t.slots[s.slot as usize];
        out.push_str(&maud::html! { (&t.text[at..s.start]) }.into_string());
        let forms: Vec<String> = s
            .forms
            .iter()
            .map(|f| {
                if f.is_empty() {
                    "(nothing)".to_string()
                } else {
                    format!("“{f}”")
                }
            })
            .collect();
        let title = format!(
            "{} · slot {} · {}",
            slot.class.name(),
            s.slot,
            forms.join(" / ")
        );
        let shown = &t.text[s.start..s.end];
        out.push_str(
            &html! {
                mark class={ "slot " (slot.layer().name()) } title=(title) data-slot=(s.slot) {
                    @if shown.is_empty() { "‸" } @else { (shown) }
                }
            }
            .into_string(),
        );
        at = s.end;
    }
    out.push_str(&html! { (&t.text[at..]) }.into_string());
    html! { div.doc id="document-text" { (PreEscaped(out)) } }
}

/// One observed slot as the trace page shows it.
pub struct EvidenceView {
    pub span: [usize; 2],
    pub label: String,
}

/// The leak with the passages that quote a document shaded and every slot
/// read marked.
/// `passages` are (document index, byte range): each document's passages
/// get their own shade.
pub fn marked_leak(
    text: &str,
    passages: &[(usize, [usize; 2])],
    evidence: &[EvidenceView],
) -> Markup {
    // Boundaries where a passage or a mark opens or closes.
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for (_, p) in passages {
        cuts.extend([p[0], p[1]]);
    }
    for e in evidence {
        cuts.extend(e.span);
    }
    cuts.retain(|&c| c <= text.len() && text.is_char_boundary(c));
    cuts.sort_unstable();
    cuts.dedup();
    let mut out = String::new();
    for w in cuts.windows(2) {
        let (a, b) = (w[0], w[1]);
        let piece = &text[a..b];
        let in_passage = passages
            .iter()
            .find(|(_, p)| p[0] <= a && b <= p[1])
            .map(|(d, _)| d % 4);
        let mark = evidence
            .iter()
            .find(|e| e.span[0] <= a && b <= e.span[1] && e.span[0] < e.span[1]);
        let inner = match mark {
            Some(e) => html! { mark.evidence title=(e.label) { (piece) } }.into_string(),
            None => html! { (piece) }.into_string(),
        };
        if let Some(d) = in_passage {
            out.push_str(&format!("<span class=\"passage d{d}\">{inner}</span>"));
        } else {
            out.push_str(&inner);
        }
    }
    html! { div.doc.leak id="leak-text" { (PreEscaped(out)) } }
}

/// The ranked suspects of one reading.
pub fn suspects_table(accused: &[String], suspects: &[telltale_registry::SuspectReport]) -> Markup {
    html! {
        @if suspects.is_empty() {
            p { "No recipient's copy matches the evidence better than chance." }
        } @else {
            table.suspects {
                thead { tr {
                    th { "Recipient" } th { "Matching slots" } th { "p-value" }
                    th { "Chance an innocent recipient scores this high" } th { "Verdict" }
                } }
                tbody {
                    @for s in suspects {
                        @let is = accused.contains(&s.recipient);
                        tr class=[is.then_some("accused")] {
                            td { (s.display_name()) " " span.id { "(" (s.recipient) ")" } }
                            td { (s.matches) " of " (s.observed) }
                            td { (format!("{:.2e}", s.p_value)) }
                            td { (odds_in_words(s.false_accusation)) }
                            td { @if is { strong { "accused" } } @else { "not accused" } }
                        }
                    }
                }
            }
        }
    }
}

/// The suspect shortlist of one document, when nobody is accused: a lead,
/// labelled as such.
pub fn shortlist(d: &telltale_registry::DocumentReport) -> Markup {
    html! {
        @if let Some(s) = &d.shortlist {
            div.shortlist id={ "shortlist-" (d.id) } {
                p { strong { "Shortlist" } " — " (s.sentence(d.recipients)) "." }
                p.ids { (s.recipients.join(", ")) }
            }
        }
    }
}

/// The verdict in one sentence.
pub fn verdict(rep: &TraceReport) -> String {
    let accused: Vec<String> = rep
        .documents
        .iter()
        .flat_map(|d| d.accused.iter().cloned())
        .collect();
    if rep.documents.is_empty() {
        return "The text does not quote any registered document.".into();
    }
    if accused.is_empty() {
        return format!(
            "The text quotes {} registered document(s), but the evidence is not strong enough to accuse anyone at a false-accusation bound of {}.",
            rep.documents.len(),
            odds_in_words(rep.threshold)
        );
    }
    format!(
        "The evidence names {} (the chance that an innocent recipient is accused is below {}).",
        accused.join(", "),
        odds_in_words(rep.threshold)
    )
}

/// What the inquiry file should say about how the result was reached.
pub use telltale_registry::evidence::METHOD;
