//! `report`: the signed evidence report of a trace, its check, and the
//! public key a third party checks it with.

use std::path::PathBuf;

use anyhow::{Context, Result};
use telltale_registry::evidence::utc;
use telltale_registry::seal::{self, ReportKey};

use super::{open, read_bytes, read_text, Place};
use crate::printable::printable;
use crate::ReportCommand;

pub fn report(home: &Place, cmd: ReportCommand) -> Result<()> {
    match cmd {
        ReportCommand::Pdf { trace, out } => {
            let mut r = open(home)?;
            // The command line has no sign-in: the report says whose
            // account name the environment gave, and that it is unchecked.
            let who = std::env::var("USER")
                .ok()
                .filter(|u| !u.is_empty())
                .map_or_else(
                    || "a command-line user".to_string(),
                    |u| format!("the command line (user name {u}, not authenticated)"),
                );
            let pdf = r.evidence_pdf(trace, &who)?;
            let out =
                out.unwrap_or_else(|| PathBuf::from(format!("telltale-evidence-{trace}.pdf")));
            std::fs::write(&out, &pdf)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "wrote {} ({} bytes), signed with report key {} of registry {}",
                out.display(),
                pdf.len(),
                r.report_key().fingerprint(),
                r.key_fingerprint()
            );
        }
        ReportCommand::Verify { file, key } => {
            let (name, bytes) = read_bytes(&file)?;
            let trusted = match &key {
                Some(k) => ReportKey::parse(&read_text(k)?)
                    .with_context(|| format!("reading {}", k.display()))?,
                None => open(home)
                    .context("checking against this registry's key (give --key KEYFILE to check without the registry)")?
                    .report_key(),
            };
            let facts = seal::verify(&bytes, &trusted)
                .with_context(|| format!("{name} does not verify"))?;
            println!(
                "{}: the signature is valid. Signed with report key {} ({}), for trace {}, made at {}; traced input BLAKE3 {}.",
                printable(&name),
                trusted.fingerprint(),
                match &key {
                    Some(_) => format!(
                        "the key file's; it names registry {}: check the fingerprint with the registry's owner",
                        facts.registry
                    ),
                    None => format!("this registry's, {}", facts.registry),
                },
                facts.trace,
                utc(facts.made),
                facts.input_hash
            );
        }
        ReportCommand::Key { out } => {
            let key = open(home)?.report_key();
            match out {
                Some(p) => {
                    std::fs::write(&p, key.to_text())
                        .with_context(|| format!("cannot write {}", p.display()))?;
                    // The fingerprint goes to the third party by another
                    // channel than the file, so that a swapped file shows.
                    println!(
                        "wrote {} (report key fingerprint {})",
                        p.display(),
                        key.fingerprint()
                    );
                }
                None => print!("{}", key.to_text()),
            }
        }
    }
    Ok(())
}
