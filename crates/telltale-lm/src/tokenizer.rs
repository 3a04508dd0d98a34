//! The model's tokenizer, rebuilt from the vocabulary and merges the GGUF
//! file carries, so that the one vendored file is the whole model.
//!
//! SmolLM2 uses a GPT-2-style byte-level BPE whose pre-tokenizer first
//! splits digits one by one, then applies the byte-level split.

use candle_core::quantized::gguf_file;
use tokenizers::models::bpe::BPE;
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence;
use tokenizers::pre_tokenizers::PreTokenizerWrapper;
use tokenizers::Tokenizer;

use crate::LmError;

fn strings(ct: &gguf_file::Content, key: &str) -> Result<Vec<String>, LmError> {
    let v = ct
        .metadata
        .get(key)
        .ok_or_else(|| LmError::Format(format!("no {key} in the model's metadata")))?
        .to_vec()
        .map_err(|e| LmError::Format(format!("{key}: {e}")))?;
    v.iter()
        .map(|s| {
            s.to_string()
                .cloned()
                .map_err(|e| LmError::Format(format!("{key}: {e}")))
        })
        .collect()
}

pub(crate) fn from_gguf(ct: &gguf_file::Content) -> Result<Tokenizer, LmError> {
    let model = ct
        .metadata
        .get("tokenizer.ggml.model")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_default();
    if model != "gpt2" {
        return Err(LmError::Format(format!(
            "a {model:?} tokenizer; only byte-level BPE (gpt2) is supported"
        )));
    }
    let tokens = strings(ct, "tokenizer.ggml.tokens")?;
    let merges = strings(ct, "tokenizer.ggml.merges")?;
    let vocab: tokenizers::models::bpe::Vocab = tokens
        .into_iter()
        .enumerate()
        .map(|(i, t)| (t, i as u32))
        .collect();
    let merges = merges
        .iter()
        .map(|m| {
            m.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .ok_or_else(|| LmError::Format(format!("a merge without two parts: {m:?}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let bpe = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .build()
        .map_err(|e| LmError::Format(format!("tokenizer: {e}")))?;
    let mut tokenizer = Tokenizer::new(bpe);
    tokenizer.with_pre_tokenizer(Some(Sequence::new(vec![
        PreTokenizerWrapper::Digits(Digits::new(true)),
        PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, true, true)),
    ])));
    tokenizer.with_decoder(Some(ByteLevel::default()));
    Ok(tokenizer)
}
