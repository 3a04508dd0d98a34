//! HTML: the text a reader sees, drawn out of the markup with a map back.
//!
//! A small scanner rather than a full HTML parser: it needs byte positions
//! of every text run, which tree-building parsers do not keep, and it only
//! has to tell text from tags, comments, scripts and styles. Block elements
//! end paragraphs; runs of whitespace read as one space, as a browser shows
//! them; character references are decoded (and never edited).

use crate::entities::{decode_run, escape};
use crate::Segment;

const BLOCKS: &[&str] = &[
    "p",
    "div",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "tr",
    "td",
    "th",
    "table",
    "blockquote",
    "pre",
    "section",
    "article",
    "header",
    "footer",
    "hr",
    "dd",
    "dt",
    "dl",
    "main",
    "nav",
    "aside",
    "figure",
    "figcaption",
    "body",
    "html",
    "address",
    "caption",
    "tbody",
    "thead",
];
/// Elements whose content is not text a reader sees.
const RAW: &[&str] = &[
    "script", "style", "title", "textarea", "template", "noscript", "svg",
];

fn tag_end(s: &[u8], mut i: usize) -> usize {
    let mut quote = 0u8;
    while i < s.len() {
        let c = s[i];
        if quote != 0 {
            if c == quote {
                quote = 0;
            }
        } else if c == b'"' || c == b'\'' {
            quote = c;
        } else if c == b'>' {
            return i + 1;
        }
        i += 1;
    }
    s.len()
}

/// Where the closing tag `</name` (any case) starts, searching from
/// `from`. Compares in place: lower-casing the rest of the file for every
/// raw element made a file of many `<svg></svg>` quadratic.
fn find_close(s: &[u8], from: usize, name: &[u8]) -> Option<usize> {
    let mut i = from;
    while i + 2 + name.len() <= s.len() {
        if s[i] == b'<'
            && s[i + 1] == b'/'
            && s[i + 2..i + 2 + name.len()].eq_ignore_ascii_case(name)
        {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn paragraph_break(text: &mut String, hard: &str) {
    while text.ends_with(' ') {
        text.pop();
    }
    if !text.is_empty() && !text.ends_with(hard) && !text.ends_with("\n\n") {
        text.push_str(hard);
    }
}

pub fn extract(markup: &str) -> (String, Vec<Segment>) {
    let s = markup.as_bytes();
    let mut text = String::new();
    let mut segments = Vec::new();
    let mut i = 0;
    let mut run_start = 0;
    let flush = |a: usize, b: usize, text: &mut String, segments: &mut Vec<Segment>| {
        // Whitespace runs read as one space; a single plain space maps to
        // itself, longer runs to nothing.
        let mut pos = a;
        let raw = &markup[a..b];
        let mut k = 0;
        let bytes = raw.as_bytes();
        while k < bytes.len() {
            if bytes[k].is_ascii_whitespace() {
                let ws_start = k;
                while k < bytes.len() && bytes[k].is_ascii_whitespace() {
                    k += 1;
                }
                if a + ws_start > pos {
                    decode_run(markup, pos..a + ws_start, text, segments, None);
                }
                let at_line_start = text.is_empty() || text.ends_with('\n') || text.ends_with(' ');
                if !at_line_start {
                    if k - ws_start == 1 && bytes[ws_start] == b' ' {
                        decode_run(markup, a + ws_start..a + k, text, segments, None);
                    } else {
                        text.push(' ');
                    }
                }
                pos = a + k;
            } else {
                k += 1;
            }
        }
        if b > pos {
            decode_run(markup, pos..b, text, segments, None);
        }
    };
    while i < s.len() {
        if s[i] != b'<' {
            i += 1;
            continue;
        }
        let next = s.get(i + 1).copied().unwrap_or(0);
        let is_tag = next.is_ascii_alphabetic() || next == b'/' || next == b'!' || next == b'?';
        if !is_tag {
            i += 1;
            continue;
        }
        flush(run_start, i, &mut text, &mut segments);
        if markup[i..].starts_with("<!--") {
            i = markup[i..].find("-->").map_or(s.len(), |e| i + e + 3);
            run_start = i;
            continue;
        }
        let end = tag_end(s, i);
        let closing = next == b'/';
        let name_start = if closing { i + 2 } else { i + 1 };
        let name: String = markup[name_start..end]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        i = end;
        if !closing && RAW.contains(&name.as_str()) && !markup[..end].ends_with("/>") {
            i = find_close(s, end, name.as_bytes()).map_or(s.len(), |e| tag_end(s, e));
        } else if name == "br" {
            while text.ends_with(' ') {
                text.pop();
            }
            text.push('\n');
        } else if BLOCKS.contains(&name.as_str()) {
            paragraph_break(&mut text, "\n\n");
        }
        run_start = i;
    }
    flush(run_start, s.len(), &mut text, &mut segments);
    while text.ends_with(char::is_whitespace) {
        text.pop();
    }
    segments.retain(|g| g.text.end <= text.len());
    (text, segments)
}

/// A plain HTML page for a document registered from text.
pub fn from_text(text: &str, title: &str) -> String {
    let mut out = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n</head>\n<body>\n",
        escape(title)
    );
    for para in text.split("\n\n") {
        let p = para.trim_matches('\n');
        if p.is_empty() {
            continue;
        }
        out.push_str("<p>");
        out.push_str(&escape(p).replace('\n', "<br>\n"));
        out.push_str("</p>\n");
    }
    out.push_str("</body>\n</html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_runs_map_back_to_the_markup() {
        let m = "<html><head><title>T</title><style>p{}</style></head><body><h1>Memo</h1>\n<p>The  talks <b>had</b> stalled &amp; the deal\nwas signed.</p><!-- note --><script>var x = '<p>';</script><p>Next&nbsp;one.</p></body></html>";
        let (text, segs) = extract(m);
        assert_eq!(
            text,
            "Memo\n\nThe talks had stalled & the deal was signed.\n\nNext\u{a0}one."
        );
        for g in &segs {
            assert_eq!(&text[g.text.clone()], &m[g.markup.clone()], "{g:?}");
        }
    }
}
