//! Reading line-shift marks from a page image (see
//! `telltale_formats::pdf::LINE_SHIFT`): straighten the page, find each text
//! line's baseline in the horizontal ink profile, keep the run of body
//! lines, fit the layout's grid of lines to them (offset, scale and a
//! gentle curve, which absorb the photo's position, distance and page
//! bend), and read each line's bit from the sign of its residual. The
//! shifts are ±δ at random, so they do not pull the fit.
//!
//! Only geometry: no glyph is recognised here, so the reading survives
//! blur and low resolution that defeat OCR.

use telltale_formats::pdf::{
    ink_gap, layout_slot, word_slot, LINE_SHIFT, LINE_SPACING, MIN_WORDS_FOR_SHIFT,
    PARAGRAPH_SPACING, WORD_SHIFT,
};

use crate::OcrError;
use telltale_formats::{FileFormat, LeakFormat};

/// Readings less clear than this (a residual under a fifth of the shift)
/// are left out as erased.
pub const MIN_CLARITY: f32 = 0.2;

/// One mark read: the layout slot, the bit, and how clear it was (the
/// measured shift over the expected one; 1.0 is a clean reading).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LineMark {
    pub slot: u32,
    pub bit: u8,
    pub clarity: f32,
}

/// A page image's dark pixels as (x, y), and its height.
fn ink(image: &[u8], limits: &crate::Limits) -> Result<(Vec<(f32, f32)>, u32), OcrError> {
    let img = crate::decode_image(image, limits)?.to_luma8();
    let h = img.height();
    let mut pts = Vec::new();
    for (x, y, p) in img.enumerate_pixels() {
        if p[0] < 140 {
            pts.push((x as f32, y as f32));
        }
    }
    Ok((pts, h))
}

/// The rotation (radians) that makes text lines horizontal: the one whose
/// row profile is sharpest.
fn skew(pts: &[(f32, f32)], h: u32) -> f32 {
    let mut best = (f32::MIN, 0.0);
    let mut hist = vec![0u32; h as usize * 2 + 64];
    for step in -60..=60 {
        let a = (step as f32 * 0.05).to_radians();
        let (sin, cos) = a.sin_cos();
        hist.iter_mut().for_each(|v| *v = 0);
        for &(x, y) in pts {
            let r = (y * cos - x * sin) as isize + h as isize / 2;
            if r >= 0 && (r as usize) < hist.len() {
                hist[r as usize] += 1;
            }
        }
        let score: f32 = hist.iter().map(|&v| (v as f32) * (v as f32)).sum();
        if score > best.0 {
            best = (score, a);
        }
    }
    best.1
}

/// Baselines of the text lines, top to bottom, in pixels.
fn baselines(pts: &[(f32, f32)], h: u32, angle: f32) -> Vec<f32> {
    let (sin, cos) = angle.sin_cos();
    let len = h as usize * 2 + 64;
    let mut hist = vec![0f32; len];
    for &(x, y) in pts {
        let r = (y * cos - x * sin) as isize + h as isize / 2;
        if r >= 0 && (r as usize) < len {
            hist[r as usize] += 1.0;
        }
    }
    let max = hist.iter().cloned().fold(0.0, f32::max);
    let on = |v: f32| v > max * 0.02;
    // Bands of rows with ink; a weak band just under a strong one is the
    // strong one's descenders, cut off where the profile dips.
    let mut bands: Vec<(usize, usize, f32)> = Vec::new();
    let mut i = 0;
    while i < len {
        if !on(hist[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < len && on(hist[i]) {
            i += 1;
        }
        let peak = hist[start..i].iter().cloned().fold(0.0, f32::max);
        match bands.last_mut() {
            Some(prev) if start - prev.1 <= 6 && peak < prev.2 * 0.35 => prev.1 = i,
            _ => bands.push((start, i, peak)),
        }
    }
    let mut out = Vec::new();
    for (start, end, peak) in bands {
        let band = &hist[start..end];
        // The baseline: where the dense x-height region ends, with the
        // sub-pixel position of the drop.
        let level = peak * 0.4;
        let last = band.iter().rposition(|&v| v >= level).unwrap_or(0);
        let (a, b) = (band[last], band.get(last + 1).copied().unwrap_or(0.0));
        let frac = if a > b {
            ((a - level) / (a - b)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        out.push((start + last) as f32 + frac - (h as f32 / 2.0));
    }
    out
}

/// Read the line-shift marks of page `page` (from 0) from its image.
pub fn read_line_shifts(
    image: &[u8],
    page: usize,
    limits: crate::Limits,
) -> Result<Vec<LineMark>, OcrError> {
    Ok(line_shifts(image, page, &limits)?.0)
}

/// Where the body lines of a page image are: the page's skew, its scale,
/// and each body line's baseline (pixels, straightened frame).
#[derive(Debug, Clone, Default)]
pub struct Geometry {
    pub angle: f32,
    pub px_per_pt: f32,
    pub baselines: Vec<f32>,
}

fn line_shifts(
    image: &[u8],
    page: usize,
    limits: &crate::Limits,
) -> Result<(Vec<LineMark>, Geometry), OcrError> {
    let (pts, h) = ink(image, limits)?;
    if pts.len() < 100 {
        return Err(OcrError::NoText);
    }
    let angle = skew(&pts, h);
    let base = baselines(&pts, h, angle);
    if base.len() < 3 {
        return Ok((Vec::new(), Geometry::default()));
    }
    // Scale from the commonest spacing, which is the body's.
    let mut gaps: Vec<f32> = base.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort_by(f32::total_cmp);
    let px_per_pt = gaps[gaps.len() / 2] / LINE_SPACING;
    if !(px_per_pt.is_finite() && px_per_pt > 0.5) {
        return Ok((Vec::new(), Geometry::default()));
    }
    // The body: the longest run of lines spaced like body text, passing
    // over stray bands (a speck, a split line) too close to be a line.
    let pt = |g: f32| g / px_per_pt;
    let (mut best, mut run): (Vec<f32>, Vec<f32>) = (Vec::new(), Vec::new());
    for &b in &base {
        match run.last() {
            Some(&last) if pt(b - last) < LINE_SPACING - 5.0 => continue,
            Some(&last) if pt(b - last) > LINE_SPACING + PARAGRAPH_SPACING + 2.5 => {
                if run.len() > best.len() {
                    best = std::mem::take(&mut run);
                }
                run = vec![b];
            }
            _ => run.push(b),
        }
    }
    if run.len() > best.len() {
        best = run;
    }
    if best.len() < 4 {
        return Ok((Vec::new(), Geometry::default()));
    }
    // Each line's place on the grid, in points: one spacing per line, and
    // a paragraph's extra space where the gap shows one.
    let mut grid = vec![0.0f32];
    let mut at = 0.0f32;
    for w in best.windows(2) {
        let g = pt(w[1] - w[0]);
        let extra = if g > LINE_SPACING + PARAGRAPH_SPACING / 2.0 {
            PARAGRAPH_SPACING
        } else {
            0.0
        };
        at += LINE_SPACING + extra;
        grid.push(at);
    }
    let fit = fit_quadratic(&grid, &best);
    let mut marks = Vec::new();
    for (k, (&g, &b)) in grid.iter().zip(&best).enumerate() {
        let Some(slot) = layout_slot(page, k) else {
            continue;
        };
        let residual = (b - (fit[0] + fit[1] * g + fit[2] * g * g)) / px_per_pt;
        marks.push(LineMark {
            slot,
            bit: u8::from(residual > 0.0),
            clarity: residual.abs() / LINE_SHIFT,
        });
    }
    let geometry = Geometry {
        angle,
        px_per_pt,
        baselines: best,
    };
    Ok((marks, geometry))
}

/// A word Tesseract found: its ink box in pixels and its text.
struct Word {
    left: f32,
    right: f32,
    mid_x: f32,
    mid_y: f32,
    text: String,
}

fn tesseract_words(image: &[u8], limits: crate::Limits) -> Result<Vec<Word>, OcrError> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("page");
    std::fs::write(&path, image)?;
    let out = crate::run::TESSERACT.run(
        &[
            path.as_os_str(),
            "stdout".as_ref(),
            "-l".as_ref(),
            "eng".as_ref(),
            "tsv".as_ref(),
        ],
        std::time::Instant::now() + limits.timeout,
        &limits,
    )?;
    let tsv = String::from_utf8_lossy(&out);
    let mut words = Vec::new();
    for row in tsv.lines().skip(1) {
        let f: Vec<&str> = row.split('\t').collect();
        if f.len() < 12 || f[0] != "5" || f[11].trim().is_empty() {
            continue;
        }
        let num = |i: usize| f[i].parse::<f32>().unwrap_or(0.0);
        let (left, top, width, height) = (num(6), num(7), num(8), num(9));
        words.push(Word {
            left,
            right: left + width,
            mid_x: left + width / 2.0,
            mid_y: top + height / 2.0,
            text: f[11].to_string(),
        });
    }
    Ok(words)
}

/// The word-shift marks of a page image whose lines are at `g`: the words
/// of each body line from Tesseract, the middle word's gaps to its
/// neighbours measured and each compared with the blank the font's glyphs
/// leave there; the difference of the two excesses is ±2δ.
fn word_shifts(
    image: &[u8],
    page: usize,
    g: &Geometry,
    limits: crate::Limits,
) -> Result<Vec<LineMark>, OcrError> {
    if g.baselines.is_empty() {
        return Ok(Vec::new());
    }
    let words = tesseract_words(image, limits)?;
    let (sin, cos) = g.angle.sin_cos();
    let spacing = LINE_SPACING * g.px_per_pt;
    let mut lines: Vec<Vec<&Word>> = vec![Vec::new(); g.baselines.len()];
    for w in &words {
        let y = w.mid_y * cos - w.mid_x * sin;
        // A word's middle sits a little above its line's baseline.
        if let Some((k, _)) = g
            .baselines
            .iter()
            .enumerate()
            .map(|(k, &b)| (k, b - y))
            .filter(|(_, d)| *d > -0.1 * spacing && *d < 0.6 * spacing)
            .min_by(|a, b| a.1.total_cmp(&b.1))
        {
            lines[k].push(w);
        }
    }
    let mut marks = Vec::new();
    for (k, line) in lines.iter_mut().enumerate() {
        let Some(slot) = word_slot(page, k) else {
            continue;
        };
        line.sort_by(|a, b| a.left.total_cmp(&b.left));
        let n = line.len();
        if n < MIN_WORDS_FOR_SHIFT {
            continue;
        }
        let mid = n / 2;
        let (a, m, b) = (line[mid - 1], line[mid], line[mid + 1]);
        let (Some(el), Some(er)) = (ink_gap(&a.text, &m.text), ink_gap(&m.text, &b.text)) else {
            continue;
        };
        let gl = (m.left - a.right) / g.px_per_pt - el;
        let gr = (b.left - m.right) / g.px_per_pt - er;
        let d = gl - gr;
        marks.push(LineMark {
            slot,
            bit: u8::from(d > 0.0),
            clarity: d.abs() / (2.0 * WORD_SHIFT),
        });
    }
    Ok(marks)
}

/// Every layout mark of a page image: its line shifts and, where
/// Tesseract is installed, its word shifts.
pub fn read_page_marks(
    image: &[u8],
    page: usize,
    limits: crate::Limits,
) -> Result<Vec<LineMark>, OcrError> {
    let (mut marks, geometry) = line_shifts(image, page, &limits)?;
    if let Ok(words) = word_shifts(image, page, &geometry, limits) {
        marks.extend(words);
    }
    Ok(marks)
}

/// Least-squares fit of y = c0 + c1·x + c2·x².
fn fit_quadratic(x: &[f32], y: &[f32]) -> [f32; 3] {
    let n = x.len() as f64;
    let mean = x.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
    let span = x
        .iter()
        .map(|&v| (f64::from(v) - mean).abs())
        .fold(1.0, f64::max);
    // Normalised abscissa for a well-conditioned system.
    let u: Vec<f64> = x.iter().map(|&v| (f64::from(v) - mean) / span).collect();
    let mut m = [[0f64; 4]; 3];
    for (ui, &yi) in u.iter().zip(y) {
        let p = [1.0, *ui, ui * ui];
        for r in 0..3 {
            for c in 0..3 {
                m[r][c] += p[r] * p[c];
            }
            m[r][3] += p[r] * f64::from(yi);
        }
    }
    // Gaussian elimination with partial pivoting.
    for col in 0..3 {
        let piv = (col..3)
            .max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs()))
            .unwrap_or(col);
        m.swap(col, piv);
        if m[col][col].abs() < 1e-12 {
            return [y.iter().sum::<f32>() / y.len() as f32, 0.0, 0.0];
        }
        let pivot = m[col];
        for (r, row) in m.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot[col];
                for (v, p) in row.iter_mut().zip(pivot).skip(col) {
                    *v -= f * p;
                }
            }
        }
    }
    let a = [m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]];
    // Back from the normalised abscissa: y = a0 + a1·(x−μ)/s + a2·((x−μ)/s)².
    let (s, mu) = (span, mean);
    let c2 = a[2] / (s * s);
    let c1 = a[1] / s - 2.0 * a[2] * mu / (s * s);
    let c0 = a[0] - a[1] * mu / s + a[2] * mu * mu / (s * s);
    [c0 as f32, c1 as f32, c2 as f32]
}

/// The page number a page's footer gives ("Page 2 of 3"), from 0.
pub fn page_of(text: &str) -> Option<usize> {
    let at = text.rfind("Page ")?;
    let n: String = text[at + 5..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    n.parse::<usize>().ok()?.checked_sub(1)
}

/// Layout readings, as (layout slot, bit).
pub type LayoutMarks = Vec<(u32, u8)>;

/// The layout readings of a leaked file, as (layout slot, bit): the clear
/// line shifts of an image (one page, its number read from the footer in
/// `text`, else the first) or of a PDF's rasterised pages, or a Word file's
/// paragraph marks. Nothing for other files, or when the tools are missing.
pub fn read_layout(
    format: LeakFormat,
    bytes: &[u8],
    text: &str,
    limits: crate::Limits,
) -> LayoutMarks {
    let clear = |marks: Vec<LineMark>| -> LayoutMarks {
        marks
            .into_iter()
            .filter(|m| m.clarity >= MIN_CLARITY)
            .map(|m| (m.slot, m.bit))
            .collect()
    };
    match format {
        LeakFormat::Image => read_line_shifts(bytes, page_of(text).unwrap_or(0), limits)
            .map(clear)
            .unwrap_or_default(),
        LeakFormat::Document(FileFormat::Docx) => {
            telltale_formats::docx_marks(bytes, telltale_formats::Limits::default())
                .unwrap_or_default()
        }
        LeakFormat::Document(FileFormat::Pdf) => {
            let Ok(dir) = tempfile::tempdir() else {
                return Vec::new();
            };
            let Ok(pages) = crate::rasterise(bytes, 150, dir.path(), limits) else {
                return Vec::new();
            };
            let mut out = Vec::new();
            for (i, p) in pages.iter().enumerate() {
                if let Ok(img) = std::fs::read(p) {
                    out.extend(
                        read_page_marks(&img, i, limits)
                            .map(clear)
                            .unwrap_or_default(),
                    );
                }
            }
            out
        }
        _ => Vec::new(),
    }
}
