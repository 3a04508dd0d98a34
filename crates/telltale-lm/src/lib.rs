//! The vendored language model, in process: how probable a sentence is,
//! and how probable each of its words is where it stands.
//!
//! The registration gate asks it whether a variant reads as naturally as
//! the original. It runs at registration only: its verdicts are stored in
//! the template, so copies and traces never depend on floating-point
//! arithmetic that could differ between machines.
//!
//! The model is SmolLM2-135M-Instruct (Apache-2.0), quantized to Q4_1,
//! vendored under `models/` with its source, licence and SHA-256. It is
//! found by [`LanguageModel::vendored`] without any download.

use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};

mod model;
mod tokenizer;

/// The vendored model's file name.
pub const MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
/// Its SHA-256, as recorded in `models/SOURCE.md`.
pub const MODEL_SHA256: &str = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";

/// Why the model could not be loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum LmError {
    #[error("the language model {0} was not found; set TELLTALE_MODEL to its path")]
    NotFound(String),
    #[error("reading the language model: {0}")]
    Io(#[from] std::io::Error),
    #[error("the language model file is not usable: {0}")]
    Format(String),
    #[error("the language model failed: {0}")]
    Run(#[from] candle_core::Error),
    #[error("tokenizing: {0}")]
    Tokenize(String),
    #[error("a text of {0} tokens is longer than the model's context of {1}")]
    TooLong(usize, usize),
}

/// One token of a scored text: where it is in the text (bytes) and its
/// log-probability (nats) given everything before it.
#[derive(Debug, Clone, PartialEq)]
pub struct TokenScore {
    pub start: usize,
    pub end: usize,
    pub logprob: f32,
}

/// Positions (texts × padded length) run through the model at once: the
/// logits of a batch take 4 × 49,152 bytes per position (about 50 MB at
/// this bound, twice that while normalised), and larger batches are no
/// faster on a CPU.
const BATCH_TOKENS: usize = 256;

/// A text's token ids and their byte spans.
type Encoded = (Vec<u32>, Vec<(usize, usize)>);

/// A loaded model and its tokenizer.
pub struct LanguageModel {
    decoder: model::Decoder,
    tokenizer: tokenizers::Tokenizer,
    /// The token every text is scored after: the end-of-text token, which
    /// is how the model saw documents start in training.
    start: u32,
    /// BLAKE3 of the model file, recorded in templates.
    hash: String,
}

impl LanguageModel {
    /// Load a GGUF model file.
    pub fn load(path: &Path) -> Result<LanguageModel, LmError> {
        // Read as a stream, twice, rather than held whole: the weights are
        // the process's largest allocation and the file's bytes need not
        // sit beside them.
        let mut hasher = blake3::Hasher::new();
        hasher.update_reader(std::fs::File::open(path)?)?;
        let hash = hasher.finalize().to_hex().to_string();
        let mut reader = std::io::BufReader::new(std::fs::File::open(path)?);
        let ct = gguf_file::Content::read(&mut reader)
            .map_err(|e| LmError::Format(format!("{}: {e}", path.display())))?;
        let tokenizer = tokenizer::from_gguf(&ct)?;
        let start = tokenizer
            .token_to_id("<|endoftext|>")
            .or_else(|| {
                ct.metadata
                    .get("tokenizer.ggml.eos_token_id")
                    .and_then(|v| v.to_u32().ok())
            })
            .unwrap_or(0);
        let decoder = model::Decoder::load(&ct, &mut reader)?;
        Ok(LanguageModel {
            decoder,
            tokenizer,
            start,
            hash,
        })
    }

    /// Where the vendored model is: `$TELLTALE_MODEL` if set, else beside
    /// the executable, else in the source tree it was built from.
    pub fn vendored_path() -> Result<PathBuf, LmError> {
        if let Some(p) = std::env::var_os("TELLTALE_MODEL") {
            let p = PathBuf::from(p);
            return if p.is_file() {
                Ok(p)
            } else {
                Err(LmError::NotFound(p.display().to_string()))
            };
        }
        let beside_exe = std::env::current_exe()
            .ok()
            .and_then(|e| e.parent().map(|d| d.join(MODEL_FILE)));
        let in_tree = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../models")
            .join(MODEL_FILE);
        beside_exe
            .into_iter()
            .chain(std::iter::once(in_tree))
            .find(|p| p.is_file())
            .ok_or_else(|| LmError::NotFound(MODEL_FILE.into()))
    }

    /// Load the vendored model.
    pub fn vendored() -> Result<LanguageModel, LmError> {
        LanguageModel::load(&Self::vendored_path()?)
    }

    /// BLAKE3 of the model file.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// Token ids of `text` and their byte spans.
    fn encode(&self, text: &str) -> Result<Encoded, LmError> {
        let enc = self
            .tokenizer
            .encode(text, false)
            .map_err(|e| LmError::Tokenize(e.to_string()))?;
        Ok((enc.get_ids().to_vec(), enc.get_offsets().to_vec()))
    }

    /// Every token of each text with its log-probability given the text
    /// before it (the first given the start of a document). Texts are run
    /// in batches of consecutive texts (give them sorted by length to pad
    /// least); a text scores the same in any batch.
    pub fn score(&self, texts: &[&str]) -> Result<Vec<Vec<TokenScore>>, LmError> {
        let encoded = texts
            .iter()
            .map(|t| self.encode(t))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(n) = encoded.iter().map(|(ids, _)| ids.len()).max() {
            if n + 1 > self.decoder.context {
                return Err(LmError::TooLong(n, self.decoder.context - 1));
            }
        }
        let mut out = Vec::with_capacity(texts.len());
        let mut rest = &encoded[..];
        while !rest.is_empty() {
            // As many texts as fit BATCH_TOKENS once padded to the longest.
            let mut n = 1;
            let mut longest = rest[0].0.len() + 1;
            while n < rest.len() {
                let l = longest.max(rest[n].0.len() + 1);
                if l * (n + 1) > BATCH_TOKENS {
                    break;
                }
                longest = l;
                n += 1;
            }
            let (batch, tail) = rest.split_at(n);
            out.extend(self.score_batch(batch, longest)?);
            rest = tail;
        }
        Ok(out)
    }

    /// One batch, every row padded to `longest` positions.
    fn score_batch(
        &self,
        encoded: &[Encoded],
        longest: usize,
    ) -> Result<Vec<Vec<TokenScore>>, LmError> {
        // Rows are padded on the right: a causal model's earlier positions
        // never see what follows them, so padding changes nothing scored.
        // The distribution at position i predicts the row's token i + 1,
        // which is the text's token i: `next` holds those ids.
        let mut rows = Vec::with_capacity(encoded.len() * longest);
        let mut next = Vec::with_capacity(encoded.len() * longest);
        for (ids, _) in encoded {
            let pad = longest - 1 - ids.len();
            rows.push(self.start);
            rows.extend_from_slice(ids);
            rows.extend(std::iter::repeat_n(self.start, pad));
            next.extend_from_slice(ids);
            next.extend(std::iter::repeat_n(self.start, pad + 1));
        }
        let shape = (encoded.len(), longest);
        let batch = Tensor::from_vec(rows, shape, &Device::Cpu)?;
        let next = Tensor::from_vec(next, shape, &Device::Cpu)?;
        let picked = self.decoder.log_probs(&batch, &next)?.to_vec2::<f32>()?;
        Ok(encoded
            .iter()
            .zip(picked)
            .map(|((_, offsets), lp)| {
                offsets
                    .iter()
                    .zip(lp)
                    .map(|(&(start, end), logprob)| TokenScore {
                        start,
                        end,
                        logprob,
                    })
                    .collect()
            })
            .collect())
    }

    /// The total log-probability (nats) of each text.
    pub fn text_logprobs(&self, texts: &[&str]) -> Result<Vec<f32>, LmError> {
        Ok(self
            .score(texts)?
            .into_iter()
            .map(|s| s.iter().map(|t| t.logprob).sum())
            .collect())
    }
}

/// The core's view of a language model: token scores of texts.
impl telltale_core::fluency::TokenScorer for LanguageModel {
    fn score(&mut self, texts: &[&str]) -> Result<telltale_core::fluency::TokenScores, String> {
        let scored = LanguageModel::score(self, texts).map_err(|e| e.to_string())?;
        Ok(scored
            .into_iter()
            .map(|s| s.into_iter().map(|t| (t.start..t.end, t.logprob)).collect())
            .collect())
    }
    fn model_id(&self) -> String {
        format!("smollm2-135m-q4_1 {}", &self.hash[..16])
    }
}
