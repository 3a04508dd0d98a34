//! How a recipient's copy is made: from the document's codebook, in the
//! original's own format (its file with the recipient's variations written
//! in) or laid out afresh as text, HTML, DOCX or PDF, with the layout marks
//! PDF and Word copies carry. Copies are deterministic, which is what lets
//! distribution write one again and a trace read it back.

use telltale_core::{Codebook, FileFormat};
use telltale_store::{DocumentRecord, StoreError};

use crate::{Registry, RegistryError, Result};

/// Where [`Registry::each_copy_as`] hands each recipient's copy.
pub type CopySink<'a, E> = dyn FnMut(&str, Vec<u8>) -> std::result::Result<(), E> + 'a;

impl Registry {
    /// The codebook of a document's layout layer (line shifts in its PDF
    /// copies), under the same key as its text layers.
    pub(crate) fn layout_codebook(&self, doc: &DocumentRecord) -> Result<Codebook> {
        use telltale_formats::pdf;
        Ok(Codebook::for_slots(
            &self.key,
            &pdf::layout_document_id(&doc.id),
            &vec![2; pdf::LAYOUT_SLOTS as usize],
            pdf::layout_code_params(),
        )?)
    }

    /// The layout codebook, for the formats whose copies carry layout
    /// marks (PDF line and word shifts, Word paragraph marks).
    pub(crate) fn layout_for(
        &self,
        doc: &DocumentRecord,
        format: FileFormat,
    ) -> Result<Option<Codebook>> {
        match format {
            FileFormat::Pdf | FileFormat::Docx => Ok(Some(self.layout_codebook(doc)?)),
            FileFormat::Txt | FileFormat::Md | FileFormat::Html => Ok(None),
        }
    }

    /// The file a document was registered from, read again (HTML, DOCX).
    pub(crate) fn source_of(
        &self,
        doc: &DocumentRecord,
    ) -> Result<Option<telltale_formats::Source>> {
        let format = doc.source_format;
        if !matches!(format, FileFormat::Html | FileFormat::Docx) {
            return Ok(None);
        }
        let Some(bytes) = self.store.source(&doc.id)? else {
            return Err(StoreError::Corrupt(format!(
                "{} was registered from {} but its file is missing",
                doc.id, doc.source_format
            ))
            .into());
        };
        // The file was read when it was registered: if it no longer reads,
        // the registry is at fault, not whoever asked for a copy.
        telltale_formats::extract(format, &bytes, telltale_formats::Limits::default())
            .map(Some)
            .map_err(|e| {
                StoreError::Corrupt(format!(
                    "the file {} was registered from no longer reads: {e}",
                    doc.id
                ))
                .into()
            })
    }

    /// A recipient's copy as a file in `format`: in the original's own
    /// format, the original file with the recipient's variations written
    /// into it; otherwise the copy's text laid out in that format.
    pub fn render_copy_as(
        &self,
        doc_id: &str,
        recipient: &str,
        format: FileFormat,
    ) -> Result<Vec<u8>> {
        let doc = self.document(doc_id)?;
        let cb = Codebook::new(&self.key, &doc.id, &doc.template, doc.code_params)?;
        let src = self.source_of(&doc)?;
        let layout = self.layout_for(&doc, format)?;
        copy_bytes(&doc, &cb, layout.as_ref(), src.as_ref(), recipient, format)
    }

    /// Several recipients' copies in `format`, each handed to `each` as it
    /// is made, with the document's codebooks and file read once.
    /// `each` may fail with its own error type (a zip writer's, say), so
    /// that its failures keep their own meaning.
    pub fn each_copy_as<E: From<RegistryError>>(
        &self,
        doc_id: &str,
        recipients: &[String],
        format: FileFormat,
        each: &mut CopySink<'_, E>,
    ) -> std::result::Result<(), E> {
        let doc = self.document(doc_id)?;
        let cb = Codebook::new(&self.key, &doc.id, &doc.template, doc.code_params)
            .map_err(RegistryError::from)?;
        let src = self.source_of(&doc)?;
        let layout = self.layout_for(&doc, format)?;
        for r in recipients {
            self.budget.check()?;
            each(
                r,
                copy_bytes(&doc, &cb, layout.as_ref(), src.as_ref(), r, format)?,
            )?;
        }
        Ok(())
    }

    /// The copy a recipient was (or would be) given.
    pub fn render_copy(&self, doc_id: &str, recipient: &str) -> Result<String> {
        let doc = self.document(doc_id)?;
        let cb = Codebook::new(&self.key, &doc.id, &doc.template, doc.code_params)?;
        Ok(doc.template.render(&cb.codeword(recipient))?)
    }
}

/// A recipient's copy of `doc` as a file in `format` (see
/// [`Registry::render_copy_as`]).
pub(crate) fn copy_bytes(
    doc: &DocumentRecord,
    cb: &Codebook,
    layout: Option<&Codebook>,
    src: Option<&telltale_formats::Source>,
    recipient: &str,
    format: FileFormat,
) -> Result<Vec<u8>> {
    let codeword = cb.codeword(recipient);
    // Only PDF and Word copies carry layout marks (see `layout_for`).
    let bits = layout.map(|l| l.codeword(recipient)).unwrap_or_default();
    let mark = |slot: u32| bits.get(slot as usize).copied().unwrap_or(0);
    if let Some(src) = src.filter(|_| doc.source_format == format) {
        return telltale_formats::render_marked(src, &doc.template, &codeword, Some(&mark))
            .map_err(RegistryError::Render);
    }
    let text = doc.template.render(&codeword)?;
    match format {
        FileFormat::Docx => {
            // A Word file laid out from text carries the paragraph marks too.
            let plain = telltale_formats::from_text(&text, format, &doc.title)
                .map_err(RegistryError::Render)?;
            let src =
                telltale_formats::extract(format, &plain, telltale_formats::Limits::default())
                    .map_err(RegistryError::Render)?;
            let bare = telltale_core::Template::new(src.text.clone(), Vec::new(), Vec::new())?;
            telltale_formats::render_marked(&src, &bare, &[], Some(&mark))
        }
        // Typeset copies also carry the layout layer: line shifts that
        // survive printing and photographs.
        FileFormat::Pdf => telltale_formats::pdf::from_text(
            &text,
            &telltale_formats::pdf::Memo {
                title: &doc.title,
                classification: telltale_formats::classification(&text),
                marks: Some(&mark),
            },
        ),
        FileFormat::Txt | FileFormat::Md | FileFormat::Html => {
            telltale_formats::from_text(&text, format, &doc.title)
        }
    }
    .map_err(RegistryError::Render)
}
