//! Recipient lists from CSV, read and checked without touching the store:
//! a list comes from outside (an HR export, a hand-edited sheet), so every
//! row is validated, duplicates are caught with the line they first
//! appeared on, and a quote that is never closed refuses the whole file
//! rather than letting CSV read every later row into one name. Kept apart
//! from the registry so that the parser can be fuzzed on its own.

use std::collections::HashMap;

use telltale_store::Recipient;

use crate::{Budget, RegistryError, Result};

/// The rows of a recipient CSV that may be imported, and those that may
/// not, with their line numbers.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ParsedCsv {
    pub rows: Vec<Recipient>,
    /// (line number, reason)
    pub rejected: Vec<(usize, String)>,
}

/// Read CSV text with a header and columns `id,name[,email]`. Bad rows are
/// reported and never stop the good ones; a header without `id` and
/// `name`, or an unclosed quote, refuses the whole text.
pub fn parse_recipients_csv(csv_text: &str, budget: &Budget) -> Result<ParsedCsv> {
    if let Some(line) = unclosed_quote(csv_text) {
        return Err(RegistryError::Invalid(format!(
            "line {line}: a quoted field is never closed (unbalanced \"); nothing was imported"
        )));
    }
    let mut rd = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv_text.as_bytes());
    let headers: Vec<String> = rd
        .headers()
        .map_err(|e| RegistryError::Invalid(format!("CSV header: {e}")))?
        .iter()
        .map(str::to_lowercase)
        .collect();
    let col = |n: &str| headers.iter().position(|h| h == n);
    let (Some(ci), Some(cn)) = (col("id"), col("name")) else {
        return Err(RegistryError::Invalid(format!(
            "the CSV header must name the columns id,name[,email]; it has {}",
            headers.join(",")
        )));
    };
    let ce = col("email");
    let mut out = ParsedCsv::default();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (n, rec) in rd.records().enumerate() {
        budget.check()?;
        let line = rec
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(n + 2, |p| p.line() as usize);
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                out.rejected.push((line, format!("unreadable row: {e}")));
                continue;
            }
        };
        let id = rec.get(ci).unwrap_or("").to_string();
        let name = rec.get(cn).unwrap_or("").to_string();
        let email = ce
            .and_then(|c| rec.get(c))
            .filter(|e| !e.is_empty())
            .map(str::to_string);
        if let Err(why) = valid_recipient(&id, &name, email.as_deref()) {
            out.rejected.push((line, why));
            continue;
        }
        if let Some(first) = seen.insert(id.clone(), line) {
            out.rejected
                .push((line, format!("id {id} already appears on line {first}")));
            continue;
        }
        out.rows.push(Recipient { id, name, email });
    }
    Ok(out)
}

pub(crate) fn valid_recipient(
    id: &str,
    name: &str,
    email: Option<&str>,
) -> std::result::Result<(), String> {
    if id.is_empty() {
        return Err("the id is empty".into());
    }
    if id.len() > 128
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@'))
        || id.starts_with('.')
    {
        return Err(format!(
            "id {id:?} may only use letters, digits, '-', '_', '.', '@' (it names the copy's file)"
        ));
    }
    if name.is_empty() {
        return Err(format!("recipient {id} has no name"));
    }
    // Names are printed on terminals and written to logs: a control
    // character would move the cursor, recolour, or forge a line.
    if let Some(c) = name.chars().find(|&c| is_unprintable(c)) {
        return Err(format!(
            "recipient {id}: the name contains a control character (U+{:04X})",
            c as u32
        ));
    }
    if let Some(e) = email {
        if !e.contains('@') || e.contains(char::is_whitespace) || e.contains(is_unprintable) {
            return Err(format!("recipient {id}: {e:?} is not an e-mail address"));
        }
    }
    Ok(())
}

/// Characters that change how text around them is shown rather than
/// showing themselves: C0 and C1 controls and DEL, and the bidirectional
/// overrides and isolates (which reorder what a reader sees). Refused in
/// names; escaped wherever the CLI prints a string it was given.
pub fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        )
}

/// The line on which a quoted CSV field opens and is never closed, read
/// as the `csv` crate reads it: a quote opens a field only as its first
/// character, and `""` inside it is a quote.
fn unclosed_quote(text: &str) -> Option<usize> {
    let mut line = 1;
    let mut field_start = true;
    let mut open_at = None;
    let mut bytes = text.bytes().peekable();
    while let Some(b) = bytes.next() {
        if open_at.is_some() {
            if b == b'"' {
                if bytes.peek() == Some(&b'"') {
                    bytes.next();
                } else {
                    open_at = None;
                }
            }
        } else {
            if b == b'"' && field_start {
                open_at = Some(line);
            }
            field_start = matches!(b, b',' | b'\n' | b'\r');
        }
        if b == b'\n' {
            line += 1;
        }
    }
    open_at
}

#[cfg(test)]
mod tests {
    use super::unclosed_quote;

    #[test]
    fn an_unclosed_quote_is_found_on_its_line() {
        assert_eq!(unclosed_quote("id,name\nr-1,Ann\n"), None);
        assert_eq!(unclosed_quote("id,name\nr-1,\"Holm, Ann\"\n"), None);
        assert_eq!(
            unclosed_quote("id,name\nr-1,\"Ann \"\"A\"\" Holm\"\n"),
            None
        );
        assert_eq!(unclosed_quote("id,name\nr-1,Ann \"A\" Holm\n"), None);
        assert_eq!(
            unclosed_quote("id,name\nr-1,Ann\nr-2,\"Bo\nr-3,Cy\nr-4,Di\n"),
            Some(3)
        );
        assert_eq!(unclosed_quote("id,name\r\nr-1,\"Ann\"\"\r\n"), Some(2));
    }
}
