//! Character references in HTML and XML text: decoding them while drawing
//! text out, escaping forms when writing copies back.

/// The longest reference [`decode`] reads, `&` to `;` exclusive
/// (`#x10FFFF` is eight bytes, `#1114111` also eight; names are shorter).
const MAX_REFERENCE: usize = 12;

/// The character a reference such as `amp`, `#8217` or `#x2019` stands for.
pub fn decode(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let n = match num.strip_prefix(['x', 'X']) {
            Some(h) => u32::from_str_radix(h, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(n);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        "ndash" => '–',
        "mdash" => '—',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "hellip" => '…',
        "shy" => '\u{ad}',
        "eacute" => 'é',
        "copy" => '©',
        "pound" => '£',
        "euro" => '€',
        _ => return None,
    })
}

/// Escape text for HTML or XML character data.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Split raw character data at `markup[range]` into text and segments:
/// literal runs map one to one, references are decoded without a segment.
pub fn decode_run(
    markup: &str,
    range: std::ops::Range<usize>,
    text: &mut String,
    segments: &mut Vec<crate::Segment>,
    element: Option<usize>,
) {
    let raw = &markup[range.clone()];
    let mut lit_start = 0;
    let mut i = 0;
    let push_lit = |a: usize, b: usize, text: &mut String, segments: &mut Vec<crate::Segment>| {
        if a < b {
            let t0 = text.len();
            text.push_str(&raw[a..b]);
            segments.push(crate::Segment {
                text: t0..text.len(),
                markup: range.start + a..range.start + b,
                element,
            });
        }
    };
    while let Some(off) = raw[i..].find('&') {
        let at = i + off;
        // Look for the `;` only as far as the longest reference could
        // reach: scanning to the end of the run for every `&` made a run
        // of bare ampersands quadratic.
        let end = raw.as_bytes()[at..]
            .iter()
            .take(MAX_REFERENCE + 1)
            .position(|&b| b == b';')
            .map(|e| at + e);
        match end.and_then(|e| decode(&raw[at + 1..e]).map(|c| (e, c))) {
            Some((e, c)) => {
                push_lit(lit_start, at, text, segments);
                text.push(c);
                i = e + 1;
                lit_start = i;
            }
            None => i = at + 1,
        }
    }
    push_lit(lit_start, raw.len(), text, segments);
}
