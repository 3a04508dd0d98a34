//! PDF copies typeset by telltale, and the text of PDF leaks.
//!
//! A copy is laid out as a memo on A4: the classification banner at the
//! head and foot of every page, the title, the text in 11-point DejaVu Sans
//! (vendored in `assets/`, with its licence; nothing is read from the
//! system), and a footer that names the page, never the recipient. The font
//! is embedded (subset by krilla) with its Unicode map, so the text can be
//! copied and searched, and a leaked PDF reads back as the copy's words.
//! Invisible marks are left out of PDFs: they do not survive printing and
//! the font has no glyph for some of them.

use std::sync::Arc;

use krilla::color::rgb;
use krilla::geom::Point;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::text::{Font, TextDirection};
use krilla::Document;

use crate::FormatError;

static FONT: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 72.0;
const BODY: f32 = 11.0;
const LEADING: f32 = 15.5;
const PARA_GAP: f32 = 7.0;
const TOP: f32 = 110.0;
const BOTTOM: f32 = 770.0;

/// What goes around the text.
#[derive(Clone, Default)]
pub struct Memo<'a> {
    pub title: &'a str,
    /// Printed at the head and foot of every page (e.g. OFFICIAL-SENSITIVE).
    pub classification: Option<&'a str>,
    /// Line-shift marks: the bit for each layout slot (see [`layout_slot`]).
    /// `None` typesets every line at its place.
    pub marks: Option<&'a dyn Fn(u32) -> u8>,
}

/// Line-shift coding (after Brassil et al., 1995): every body line moves
/// down by [`LINE_SHIFT`] points for a 1 or up for a 0 from its place on the
/// page's grid of lines. The shift is read back from a page image by
/// fitting that grid to the measured baselines and taking the sign of each
/// line's residual, so it survives printing, photocopying and
/// photographing, where no character does.
pub const LINE_SHIFT: f32 = 0.8;
/// Body line spacing and the extra space between paragraphs, in points
/// (what a reader of page images expects).
pub const LINE_SPACING: f32 = LEADING;
pub const PARAGRAPH_SPACING: f32 = PARA_GAP;
/// Layout slots per page; slot numbers are `page * SLOTS_PER_PAGE + line`.
pub const SLOTS_PER_PAGE: u32 = 64;
/// Slots of the layout codebook: 64 pages of line shifts, then the marks
/// of Word copies' paragraphs (32 bits each in `w:rsidP`, which readers
/// never see and which travel with a forwarded file).
pub const LAYOUT_SLOTS: u32 = WORD_SLOTS_START + 64 * SLOTS_PER_PAGE;
/// The first slot of the Word paragraph marks, and how many paragraphs
/// carry one.
pub const DOCX_SLOTS_START: u32 = 64 * SLOTS_PER_PAGE;
pub const DOCX_PARAGRAPHS: u32 = 128;

/// The code of the layout layer: every line's bit is a fair coin (no
/// Tardos bias). A photographed page is one person's copy far more often
/// than a merge of several, and fair bits give a single leaker's page the
/// most evidence per line; the text layers keep the collusion-resistant
/// biases.
pub fn layout_code_params() -> telltale_core::CodeParams {
    telltale_core::CodeParams {
        cutoff: 0.5,
        ..telltale_core::CodeParams::default()
    }
}

/// The codebook name of a document's layout layer.
pub fn layout_document_id(document_id: &str) -> String {
    format!("{document_id}#layout")
}

/// Word-shift coding, the second mark of a line: in a body line of at
/// least [`MIN_WORDS_FOR_SHIFT`] words, the middle word moves right for a 1
/// or left for a 0 by [`WORD_SHIFT`] points between the blocks of words
/// either side, which stay in place. Read back from the two gaps around it,
/// each compared with the gap the font's glyphs leave there
/// ([`ink_gap`]).
pub const WORD_SHIFT: f32 = 0.8;
pub const MIN_WORDS_FOR_SHIFT: usize = 5;
/// The first slot of the word shifts.
pub const WORD_SLOTS_START: u32 = DOCX_SLOTS_START + DOCX_PARAGRAPHS * 32;

/// The word-shift slot of body line `line` of page `page`.
pub fn word_slot(page: usize, line: usize) -> Option<u32> {
    layout_slot(page, line).map(|s| WORD_SLOTS_START + s)
}

/// The blank between the ink of `left`'s last glyph and `right`'s first
/// when set one space apart in body type, in points.
pub fn ink_gap(left: &str, right: &str) -> Option<f32> {
    let face = ttf_parser::Face::parse(FONT, 0).ok()?;
    let scale = BODY / f32::from(face.units_per_em());
    let space = face.glyph_hor_advance(face.glyph_index(' ')?)? as f32;
    let last = face.glyph_index(left.chars().last()?)?;
    let first = face.glyph_index(right.chars().next()?)?;
    let last_box = face.glyph_bounding_box(last)?;
    let first_box = face.glyph_bounding_box(first)?;
    let advance = face.glyph_hor_advance(last)? as f32;
    Some((space + (advance - f32::from(last_box.x_max)) + f32::from(first_box.x_min)) * scale)
}

/// The layout slot of body line `line` (from 0) of page `page` (from 0).
pub fn layout_slot(page: usize, line: usize) -> Option<u32> {
    let slot = page as u32 * SLOTS_PER_PAGE + line as u32;
    ((line as u32) < SLOTS_PER_PAGE && slot < DOCX_SLOTS_START).then_some(slot)
}

/// Characters that must not reach the page.
fn printable(c: char) -> Option<char> {
    match c {
        '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{2060}' | '\u{FEFF}' | '\u{AD}' => None,
        '\t' => Some(' '),
        c if c.is_control() => None,
        c => Some(c),
    }
}

struct Metrics<'a> {
    face: ttf_parser::Face<'a>,
    scale: f32,
}

impl Metrics<'_> {
    fn width(&self, s: &str, size: f32) -> f32 {
        s.chars()
            .map(|c| {
                self.face
                    .glyph_index(c)
                    .and_then(|g| self.face.glyph_hor_advance(g))
                    .unwrap_or(600) as f32
            })
            .sum::<f32>()
            * self.scale
            * size
    }
}

/// One line of body text on a page.
struct Line {
    page: usize,
    y: f32,
    text: String,
}

fn lay_out(text: &str, m: &Metrics, first_top: f32) -> Vec<Line> {
    let width = PAGE_W - 2.0 * MARGIN;
    let mut lines = Vec::new();
    let (mut page, mut y) = (0usize, first_top);
    let next_line = |lines: &mut Vec<Line>, s: String, page: &mut usize, y: &mut f32| {
        if *y > BOTTOM {
            *page += 1;
            *y = TOP;
        }
        lines.push(Line {
            page: *page,
            y: *y,
            text: s,
        });
        *y += LEADING;
    };
    for para in text.split("\n\n") {
        let para: String = para.chars().filter_map(printable_keep_newline).collect();
        if para.trim().is_empty() {
            continue;
        }
        for hard in para.split('\n') {
            let mut current = String::new();
            for word in hard.split(' ').filter(|w| !w.is_empty()) {
                let candidate = if current.is_empty() {
                    word.to_string()
                } else {
                    format!("{current} {word}")
                };
                if m.width(&candidate, BODY) > width && !current.is_empty() {
                    next_line(&mut lines, std::mem::take(&mut current), &mut page, &mut y);
                    current = word.to_string();
                } else {
                    current = candidate;
                }
            }
            next_line(&mut lines, current, &mut page, &mut y);
        }
        y += PARA_GAP;
    }
    lines
}

fn printable_keep_newline(c: char) -> Option<char> {
    if c == '\n' {
        Some('\n')
    } else {
        printable(c)
    }
}

fn fill(r: u8, g: u8, b: u8) -> Fill {
    Fill {
        paint: rgb::Color::new(r, g, b).into(),
        opacity: NormalizedF32::ONE,
        ..Fill::default()
    }
}

/// Typeset `text` as a memo.
pub fn from_text(text: &str, memo: &Memo) -> Result<Vec<u8>, FormatError> {
    let face = ttf_parser::Face::parse(FONT, 0).map_err(|e| FormatError::Pdf(e.to_string()))?;
    let scale = 1.0 / f32::from(face.units_per_em());
    let m = Metrics { face, scale };
    let font = Font::new(Arc::new(FONT.to_vec()).into(), 0)
        .ok_or_else(|| FormatError::Pdf("the bundled font cannot be read".into()))?;
    let title: String = memo.title.chars().filter_map(printable).collect();
    let lines = lay_out(text, &m, TOP + 34.0);
    let pages = lines.last().map_or(1, |l| l.page + 1);
    let mut doc = Document::new();
    for p in 0..pages {
        let mut page = doc.start_page_with(
            PageSettings::from_wh(PAGE_W, PAGE_H)
                .ok_or_else(|| FormatError::Pdf("page size".into()))?,
        );
        let mut s = page.surface();
        if let Some(class) = memo.classification {
            s.set_fill(Some(fill(170, 20, 30)));
            for y in [48.0, PAGE_H - 30.0] {
                let w = m.width(class, 10.0);
                s.draw_text(
                    Point::from_xy((PAGE_W - w) / 2.0, y),
                    font.clone(),
                    10.0,
                    &format!("{class} "),
                    false,
                    TextDirection::Auto,
                );
            }
        }
        s.set_fill(Some(fill(20, 28, 40)));
        if p == 0 && !title.is_empty() {
            s.draw_text(
                Point::from_xy(MARGIN, TOP),
                font.clone(),
                16.0,
                &format!("{title} "),
                false,
                TextDirection::Auto,
            );
        }
        for (k, l) in lines.iter().filter(|l| l.page == p).enumerate() {
            // A trailing space, drawn like any other, so that text
            // extractors do not run the last word of a line into the next.
            let shift = match (memo.marks, layout_slot(p, k)) {
                (Some(bit), Some(slot)) if bit(slot) == 1 => LINE_SHIFT,
                (Some(_), Some(_)) => -LINE_SHIFT,
                _ => 0.0,
            };
            let y = l.y + shift;
            let words: Vec<&str> = l.text.split(' ').collect();
            let word_mark = match (memo.marks, word_slot(p, k)) {
                (Some(bit), Some(slot)) if words.len() >= MIN_WORDS_FOR_SHIFT => Some(bit(slot)),
                _ => None,
            };
            let mut draw = |x: f32, t: &str| {
                s.draw_text(
                    Point::from_xy(x, y),
                    font.clone(),
                    BODY,
                    t,
                    false,
                    TextDirection::Auto,
                )
            };
            match word_mark {
                // The middle word moves right for a 1, left for a 0, between
                // blocks of words that stay in place.
                Some(b) => {
                    let mid = words.len() / 2;
                    let left = format!("{} ", words[..mid].join(" "));
                    let middle = format!("{} ", words[mid]);
                    let right = format!("{} ", words[mid + 1..].join(" "));
                    let x_mid = MARGIN + m.width(&left, BODY);
                    let x_right = x_mid + m.width(&middle, BODY);
                    let dx = if b == 1 { WORD_SHIFT } else { -WORD_SHIFT };
                    draw(MARGIN, &left);
                    draw(x_mid + dx, &middle);
                    draw(x_right, &right);
                }
                // A trailing space, drawn like any other, so that text
                // extractors do not run the last word of a line into the next.
                None => draw(MARGIN, &format!("{} ", l.text)),
            }
        }
        s.set_fill(Some(fill(90, 100, 115)));
        let footer = format!("Page {} of {pages} ", p + 1);
        let w = m.width(&footer, 8.5);
        s.draw_text(
            Point::from_xy((PAGE_W - w) / 2.0, PAGE_H - 46.0),
            font.clone(),
            8.5,
            &footer,
            false,
            TextDirection::Auto,
        );
        s.finish();
        page.finish();
    }
    doc.finish().map_err(|e| FormatError::Pdf(format!("{e:?}")))
}

/// A PDF's text layer made fit to register: lines of a paragraph joined,
/// paragraphs (blank lines) kept, runs of spaces made one.
pub fn tidy_text(text: &str) -> String {
    let mut out = String::new();
    for para in text.split("\n\n") {
        let joined = para.split_whitespace().collect::<Vec<_>>().join(" ");
        if joined.is_empty() {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        out.push_str(&joined);
    }
    out
}
