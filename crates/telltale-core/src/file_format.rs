//! The file formats a document is registered from and issued in, as one
//! enum that every layer shares: the registry stores a document's format,
//! the CLI and the server parse it from a flag or a file name, and
//! `telltale-formats` reads and writes the files. Only the names live here;
//! no file is read in this crate.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A document's file format. Serialised by its [`name`](FileFormat::name)
/// ("txt", "md", "html", "docx", "pdf"), which is also how databases and
/// audit entries keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    Txt,
    Md,
    Html,
    Docx,
    /// A PDF original gives only its text layer (read out of process);
    /// PDF copies are typeset afresh, with the layout layer.
    Pdf,
}

impl FileFormat {
    /// Every format, in the order they are offered.
    pub const ALL: [FileFormat; 5] = [
        FileFormat::Txt,
        FileFormat::Md,
        FileFormat::Html,
        FileFormat::Docx,
        FileFormat::Pdf,
    ];

    /// Its short name, as a flag, a file extension and a database keep it.
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Txt => "txt",
            FileFormat::Md => "md",
            FileFormat::Html => "html",
            FileFormat::Docx => "docx",
            FileFormat::Pdf => "pdf",
        }
    }

    /// The format of that [`name`](FileFormat::name), exactly.
    pub fn from_name(s: &str) -> Option<FileFormat> {
        FileFormat::ALL.into_iter().find(|f| f.name() == s)
    }

    /// The format a file name's extension says, if telltale reads it; no
    /// extension is text.
    pub fn from_extension(ext: &str) -> Option<FileFormat> {
        match ext.to_ascii_lowercase().as_str() {
            "txt" | "text" | "" => Some(FileFormat::Txt),
            "md" | "markdown" => Some(FileFormat::Md),
            "html" | "htm" | "xhtml" => Some(FileFormat::Html),
            "docx" => Some(FileFormat::Docx),
            "pdf" => Some(FileFormat::Pdf),
            _ => None,
        }
    }

    /// Plain text or Markdown: the file is its own text.
    pub fn is_text(self) -> bool {
        matches!(self, FileFormat::Txt | FileFormat::Md)
    }

    /// The names of all formats, for a message: "txt, md, html, docx, pdf".
    pub fn names() -> String {
        FileFormat::ALL.map(FileFormat::name).join(", ")
    }
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is no format, with the choices, as one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown format {0:?}; choose one of {choices}", choices = FileFormat::names())]
pub struct UnknownFormat(pub String);

impl FromStr for FileFormat {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<FileFormat, UnknownFormat> {
        FileFormat::from_name(s).ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_serialise_as_themselves() {
        for f in FileFormat::ALL {
            assert_eq!(f.name().parse::<FileFormat>(), Ok(f));
            assert_eq!(FileFormat::from_extension(f.name()), Some(f));
            let json = serde_json::to_string(&f).unwrap();
            assert_eq!(json, format!("\"{}\"", f.name()));
            assert_eq!(serde_json::from_str::<FileFormat>(&json).unwrap(), f);
        }
        let e = "PDF ".parse::<FileFormat>().unwrap_err().to_string();
        assert_eq!(
            e,
            "unknown format \"PDF \"; choose one of txt, md, html, docx, pdf"
        );
        assert_eq!(FileFormat::from_extension("HTM"), Some(FileFormat::Html));
        assert_eq!(FileFormat::from_extension("doc"), None);
    }
}
