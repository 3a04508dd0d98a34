//! The commands that prepare what is sent out: registering and showing
//! documents (`doc`), recipients and lists, and `distribute`, which issues
//! the copies and their reading-room links.

use std::io::IsTerminal;
use std::path::Path;

use anyhow::{bail, Context, Result};
use telltale_core::Layer;
use telltale_registry::Audience;
use telltale_store::Recipient;

use super::{extension, open, print_json, read_bytes, read_text, Place};
use crate::printable::printable;
use crate::{DistributeArgs, DocCommand, ListsCommand, RecipientsCommand};

pub fn doc(home: &Place, cmd: DocCommand) -> Result<()> {
    match cmd {
        DocCommand::Add {
            files,
            title,
            profile,
            json,
        } => {
            let profile = match profile.as_str() {
                "strict" => telltale_core::Profile::Strict,
                "dense" => telltale_core::Profile::Dense,
                _ => telltale_core::Profile::Natural,
            };
            if title.is_some() && files.len() > 1 {
                bail!("--title names one document; give one file with it");
            }
            // Read and check every file before registering any.
            let mut inputs = Vec::new();
            for file in &files {
                let ext = if file == Path::new("-") {
                    String::new()
                } else {
                    extension(file)
                };
                let format = telltale_formats::document_format(&ext)?;
                let bytes = if format.is_text() {
                    read_text(file)?.into_bytes()
                } else {
                    read_bytes(file)?.1
                };
                if format.is_text() && String::from_utf8_lossy(&bytes).trim().is_empty() {
                    bail!("{} is empty", file.display());
                }
                inputs.push((file, bytes, format));
            }
            let mut r = open(home)?;
            let mut added = Vec::new();
            for (file, bytes, format) in inputs {
                let (d, checks) = with_gate_progress(&mut r, !json, |r| {
                    r.add_document_file_checked(&bytes, format, title.as_deref(), profile)
                })
                .with_context(|| format!("registering {}", file.display()))?;
                let cap = d.template.capacity();
                if !json {
                    println!(
                        "registered \"{}\": {} words, {} slots",
                        printable(&d.title),
                        cap.words,
                        d.template.slots.len()
                    );
                    print_author_checks(&d, &checks);
                    println!("{}", d.id);
                }
                added.push(serde_json::json!({"id": d.id, "title": d.title, "words": cap.words, "slots": d.template.slots.len(), "author_checks": checks}));
            }
            if json {
                return print_json(&if added.len() == 1 {
                    added.remove(0)
                } else {
                    serde_json::Value::Array(added)
                });
            }
        }
        DocCommand::Alt {
            id,
            at,
            nth,
            alt,
            list,
            remove,
            json,
        } => {
            let mut r = open(home)?;
            let (d, checks) = match (at, remove) {
                (Some(at), _) => {
                    with_gate_progress(&mut r, !json, |r| r.add_alternative(&id, &at, nth, &alt))?
                }
                (None, Some(n)) => (r.remove_alternative(&id, n)?, Vec::new()),
                (None, None) if list => (r.document(&id)?, Vec::new()),
                (None, None) => {
                    bail!("say what to do: --at PHRASE --alt WORDING, --list or --remove N")
                }
            };
            if json {
                return print_json(&serde_json::json!({
                    "id": d.id,
                    "author_slots": d.rules.author,
                    "checks": checks,
                }));
            }
            if d.rules.author.is_empty() {
                println!("{} has no author alternatives", d.id);
            }
            for (k, a) in d.rules.author.iter().enumerate() {
                let forms: Vec<String> = a
                    .forms
                    .iter()
                    .map(|f| format!("{:?}", printable(f)))
                    .collect();
                println!("{:>3}. at byte {:<6} {}", k + 1, a.start, forms.join(" | "));
            }
            print_author_checks(&d, &checks);
        }
        DocCommand::List { json } => {
            let r = open(home)?;
            let docs = r.documents()?;
            if json {
                return print_json(&docs);
            }
            if docs.is_empty() {
                println!("no documents registered (add one with `telltale doc add FILE`)");
            }
            for d in docs {
                println!(
                    "{}  {:>6} words  {:>5} slots  {:>5} issued  {}",
                    printable(&d.id),
                    d.words,
                    d.slots,
                    d.issued,
                    printable(&d.title)
                );
            }
        }
        DocCommand::Show { id, variants, json } => {
            let r = open(home)?;
            let d = r.document(&id)?;
            let t = &d.template;
            let cap = t.capacity();
            // Given at registration, else as the rules detected it.
            let variety = d
                .rules
                .variety
                .unwrap_or_else(|| telltale_core::rules::detect_variety(&t.text));
            if json {
                let layers: Vec<serde_json::Value> = Layer::ALL
                    .iter()
                    .enumerate()
                    .map(|(i, l)| {
                        let (s, b) = cap.per_100_words(*l);
                        serde_json::json!({"layer": l.name(), "slots": cap.slots[i], "bits": cap.bits[i], "slots_per_100_words": s, "bits_per_100_words": b})
                    })
                    .collect();
                let mut v = serde_json::json!({"id": d.id, "title": d.title, "words": cap.words, "variety": variety, "capacity": layers});
                if variants {
                    v["slots"] = serde_json::json!(t
                        .sites
                        .iter()
                        .map(|s| serde_json::json!({"slot": s.slot, "class": t.slots[s.slot as usize].class.name(), "start": s.start, "end": s.end, "forms": s.forms, "original": t.slots[s.slot as usize].original}))
                        .collect::<Vec<_>>());
                }
                return print_json(&v);
            }
            println!("{}  \"{}\"", printable(&d.id), printable(&d.title));
            println!(
                "{} words, {:?} English, {} slots",
                cap.words,
                variety,
                t.slots.len()
            );
            println!("capacity by layer (what survives: lexical — retyping and house style; punctuation — retyping; invisible — copy and paste):");
            for (i, l) in Layer::ALL.iter().enumerate() {
                let (s, b) = cap.per_100_words(*l);
                println!(
                    "  {:<12} {:>5} slots {:>8.1} bits   {:>5.1} slots, {:>5.1} bits per 100 words",
                    l.name(),
                    cap.slots[i],
                    cap.bits[i],
                    s,
                    b
                );
            }
            if variants {
                println!("slots (original form first marked *):");
                for s in &t.sites {
                    let slot = &t.slots[s.slot as usize];
                    if slot.layer() == Layer::Invisible {
                        continue;
                    }
                    let forms: Vec<String> = s
                        .forms
                        .iter()
                        .enumerate()
                        .map(|(k, f)| {
                            format!(
                                "{}{:?}",
                                if k == slot.original as usize { "*" } else { "" },
                                f
                            )
                        })
                        .collect();
                    let a = t.text.floor_char_boundary(s.start.saturating_sub(30));
                    let b = t.text.ceil_char_boundary((s.end + 30).min(t.text.len()));
                    let ctx = format!(
                        "…{}[{}]{}…",
                        &t.text[a..s.start],
                        &t.text[s.start..s.end],
                        &t.text[s.end..b]
                    )
                    .replace(['\n', '\r', '\t'], " ");
                    let ctx = printable(&ctx);
                    println!(
                        "  #{:<5} {:<18} {:<40} {}",
                        s.slot,
                        slot.class.name(),
                        forms.join(" / "),
                        ctx
                    );
                }
                let invisible = t
                    .slots
                    .iter()
                    .filter(|s| s.layer() == Layer::Invisible)
                    .count();
                println!(
                    "  (and {invisible} invisible slots: zero-width marks at word boundaries)"
                );
            }
        }
        DocCommand::Remove { id, force } => {
            let mut r = open(home)?;
            r.remove_document(&id, force)?;
            println!("removed {}", printable(&id));
        }
    }
    Ok(())
}

pub fn recipients(home: &Place, cmd: RecipientsCommand) -> Result<()> {
    match cmd {
        RecipientsCommand::Import { csv, json } => {
            let text = read_text(&csv)?;
            let mut r = open(home)?;
            let rep = r.import_recipients(&text)?;
            if json {
                return print_json(&rep);
            }
            println!(
                "{} added, {} updated, {} unchanged, {} rejected",
                rep.added,
                rep.updated,
                rep.unchanged,
                rep.rejected.len()
            );
            for (line, why) in &rep.rejected {
                println!("  line {line}: {}", printable(why));
            }
        }
        RecipientsCommand::Add { id, name, email } => {
            let mut r = open(home)?;
            let u = r.add_recipient(&Recipient {
                id: id.clone(),
                name,
                email,
            })?;
            println!("{}: {}", printable(&id), format!("{u:?}").to_lowercase());
        }
        RecipientsCommand::List { json } => {
            let r = open(home)?;
            let rs = r.recipients()?;
            if json {
                return print_json(&rs);
            }
            for x in rs {
                println!(
                    "{}  {}{}",
                    printable(&x.id),
                    printable(&x.name),
                    x.email
                        .map(|e| format!("  <{}>", printable(&e)))
                        .unwrap_or_default()
                );
            }
        }
    }
    Ok(())
}

pub fn lists(home: &Place, cmd: ListsCommand) -> Result<()> {
    match cmd {
        ListsCommand::Create { name, members } => {
            let mut r = open(home)?;
            r.create_list(&name, &members)?;
            println!("list {}: {} members", printable(&name), members.len());
        }
        ListsCommand::List { json } => {
            let r = open(home)?;
            let ls = r.lists()?;
            if json {
                return print_json(
                    &ls.iter()
                        .map(|(n, c)| serde_json::json!({"name": n, "members": c}))
                        .collect::<Vec<_>>(),
                );
            }
            for (n, c) in ls {
                println!("{}  {c} members", printable(&n));
            }
        }
        ListsCommand::Show { name, json } => {
            let r = open(home)?;
            let m = r.list_members(&name)?;
            if json {
                return print_json(&m);
            }
            for x in m {
                println!("{}", printable(&x));
            }
        }
    }
    Ok(())
}

pub fn distribute(home: &Place, a: DistributeArgs) -> Result<()> {
    let mode = telltale_registry::files::parse_mode(&a.mode)?;
    let mut r = open(home)?;
    let audience = if a.all {
        Audience::Everyone
    } else if let Some(l) = &a.list {
        Audience::List(l.clone())
    } else if !a.to.is_empty() {
        Audience::These(a.to.clone())
    } else {
        bail!("say who receives copies: --all, --to ID,ID or --list NAME");
    };
    let who = r.audience(&audience)?;
    let unique = telltale_registry::unique_ids(&who);
    if unique.len() < who.len() {
        let mut seen = std::collections::HashSet::new();
        let again: Vec<String> = who
            .iter()
            .filter(|id| !seen.insert(id.as_str()))
            .cloned()
            .collect();
        eprintln!(
            "telltale: note: {} named more than once; each gets one copy",
            printable(&telltale_registry::unique_ids(&again).join(", "))
        );
    }
    let who = unique;
    let bar = progress_bar(!a.json, "copies");
    bar.set_length(who.len() as u64);
    let rep = r.distribute_with_mode(&a.doc, &who, &a.out, a.format, mode, &mut |done, _| {
        bar.set_position(done as u64)
    })?;
    bar.finish_and_clear();
    let mut links_written = None;
    if a.links {
        let expires = a
            .expires_days
            .map(|d| telltale_registry::now() + i64::from(d) * 86_400);
        let links = r.create_links(&a.doc, &who, expires)?;
        let base = a.base_url.trim_end_matches('/');
        let mut csv = String::from("recipient,link,url\n");
        for (l, secret) in &links {
            csv.push_str(&format!("{},{},{base}/r/{secret}\n", l.recipient_id, l.id));
        }
        let path = a.out.join("links.csv");
        telltale_registry::files::write_atomically(
            &path,
            csv.as_bytes(),
            telltale_registry::files::PRIVATE_FILE_MODE,
        )?;
        links_written = Some((links.len(), path));
    }
    if a.json {
        let mut v = serde_json::to_value(&rep)?;
        if let Some((n, p)) = &links_written {
            v["links"] = serde_json::json!(n);
            v["links_file"] = serde_json::json!(p);
        }
        return print_json(&v);
    }
    if let Some((n, p)) = &links_written {
        println!(
            "{n} reading-room links in {} (keep it private: each link opens one person's copy)",
            p.display()
        );
    }
    println!("{}", distribute_summary(&rep, &a.doc, &a.out));
    Ok(())
}

/// "wrote 3 copies of d-… to out (1 newly issued, 2 already issued,
/// recorded once); 5 already in place".
fn distribute_summary(rep: &telltale_registry::DistributeReport, doc: &str, out: &Path) -> String {
    let mut parts = Vec::new();
    if rep.written > 0 {
        parts.push(format!("{} newly issued", rep.written));
    }
    if rep.rewritten > 0 {
        parts.push(format!("{} already issued, recorded once", rep.rewritten));
    }
    format!(
        "wrote {} copies of {} to {}{}{}",
        rep.written + rep.rewritten,
        printable(doc),
        printable(&out.display().to_string()),
        if parts.is_empty() {
            String::new()
        } else {
            format!(" ({})", parts.join(", "))
        },
        if rep.already > 0 {
            format!(
                "; {} already issued and in place, not written again",
                rep.already
            )
        } else {
            String::new()
        }
    )
}

/// A progress bar on standard error when it is a terminal (and the output
/// is for a person), else one that shows nothing.
fn progress_bar(shown: bool, what: &str) -> indicatif::ProgressBar {
    if !(shown && std::io::stderr().is_terminal()) {
        return indicatif::ProgressBar::hidden();
    }
    let b = indicatif::ProgressBar::new(0);
    b.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{bar:40}} {{pos}}/{{len}} {what}  {{per_sec}}  eta {{eta}}"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b
}

/// Run `f` with a progress bar of the sentences the language model checks
/// (when `show`), and take the bar down after.
fn with_gate_progress<T>(
    r: &mut telltale_registry::Registry,
    show: bool,
    f: impl FnOnce(&mut telltale_registry::Registry) -> T,
) -> T {
    let bar = progress_bar(show, "sentences checked by the language model");
    let shown = bar.clone();
    r.set_gate_progress(Some(std::sync::Arc::new(move |done, total| {
        shown.set_length(total as u64);
        shown.set_position(done as u64);
    })));
    let out = f(r);
    bar.finish_and_clear();
    r.set_gate_progress(None);
    out
}

/// What the gates and checks said of each author alternative: kept
/// whatever they say, because the author decides, but said plainly.
fn print_author_checks(
    d: &telltale_store::DocumentRecord,
    checks: &[telltale_core::rules::AuthorCheck],
) {
    if checks.is_empty() {
        return;
    }
    let passed = checks.iter().filter(|c| c.passed).count();
    println!(
        "{} author alternative(s) in {} slot(s); {passed} read as naturally as the original to the grammar checker and the language model",
        checks.len(),
        d.rules.author.len()
    );
    for c in checks.iter().filter(|c| !c.passed || !c.flags.is_empty()) {
        let mut why: Vec<&str> = c.flags.iter().map(|f| f.describe()).collect();
        if !c.passed {
            why.insert(0, "reads less naturally than the original");
        }
        println!(
            "  kept, but note: {:?} {}",
            printable(&c.text),
            why.join("; ")
        );
    }
}
