//! The transformer: a llama-architecture decoder read from a GGUF file
//! and run on the CPU with candle, its 4-bit weights expanded once at load.
//!
//! Written here rather than taken from candle-transformers because scoring
//! needs what generation does not: the next-token distribution at *every*
//! position of a batch of sequences in one pass (candle-transformers'
//! quantized llama returns the last position only, for sampling). There is
//! no key-value cache: each call scores whole sequences from their start,
//! so a result depends on its input alone.

use candle_core::quantized::gguf_file;
use candle_core::{DType, Device, Tensor, D};

use crate::LmError;

/// Shape of the network, from the file's metadata.
#[derive(Debug, Clone, Copy)]
struct Shape {
    heads: usize,
    kv_heads: usize,
    head_dim: usize,
    eps: f32,
}

/// A weight matrix, dequantized once at load and stored transposed
/// (input × output) for a plain matrix product: dense products run several
/// times faster on the CPU than products against 4-bit blocks, and the
/// model is small enough (about 540 MB as f32) to afford it.
struct Linear(Tensor);

impl Linear {
    fn from_gguf(t: candle_core::quantized::QTensor) -> Result<Linear, LmError> {
        Ok(Linear(t.dequantize(&Device::Cpu)?.t()?.contiguous()?))
    }
    /// `x` of shape (batch, length, input) times the matrix, as one
    /// two-dimensional product over every position of the batch: one large
    /// product runs much faster than a product per row.
    fn forward(&self, x: &Tensor) -> Result<Tensor, LmError> {
        let (batch, len, input) = x.dims3()?;
        let out = self.0.dim(1)?;
        Ok(x.reshape((batch * len, input))?
            .matmul(&self.0)?
            .reshape((batch, len, out))?)
    }
}

struct Layer {
    attn_norm: Tensor,
    wq: Linear,
    wk: Linear,
    wv: Linear,
    wo: Linear,
    ffn_norm: Tensor,
    gate: Linear,
    up: Linear,
    down: Linear,
}

/// The decoder's weights.
pub(crate) struct Decoder {
    shape: Shape,
    embeddings: Tensor,
    layers: Vec<Layer>,
    norm: Tensor,
    output: Linear,
    cos: Tensor,
    sin: Tensor,
    pub(crate) context: usize,
}

fn meta_u32(ct: &gguf_file::Content, key: &str) -> Result<usize, LmError> {
    ct.metadata
        .get(key)
        .ok_or_else(|| LmError::Format(format!("no {key} in the model's metadata")))?
        .to_u32()
        .map(|v| v as usize)
        .map_err(|e| LmError::Format(format!("{key}: {e}")))
}

fn meta_f32(ct: &gguf_file::Content, key: &str) -> Result<f32, LmError> {
    ct.metadata
        .get(key)
        .ok_or_else(|| LmError::Format(format!("no {key} in the model's metadata")))?
        .to_f32()
        .map_err(|e| LmError::Format(format!("{key}: {e}")))
}

impl Decoder {
    pub(crate) fn load<R: std::io::Read + std::io::Seek>(
        ct: &gguf_file::Content,
        reader: &mut R,
    ) -> Result<Decoder, LmError> {
        let device = Device::Cpu;
        let arch = ct
            .metadata
            .get("general.architecture")
            .and_then(|v| v.to_string().ok())
            .cloned()
            .unwrap_or_default();
        if arch != "llama" {
            return Err(LmError::Format(format!(
                "a {arch:?} model; only the llama architecture is supported"
            )));
        }
        let heads = meta_u32(ct, "llama.attention.head_count")?;
        let kv_heads = meta_u32(ct, "llama.attention.head_count_kv")?;
        let blocks = meta_u32(ct, "llama.block_count")?;
        let width = meta_u32(ct, "llama.embedding_length")?;
        let rope_dim = meta_u32(ct, "llama.rope.dimension_count")?;
        let context = meta_u32(ct, "llama.context_length")?;
        let eps = meta_f32(ct, "llama.attention.layer_norm_rms_epsilon")?;
        let rope_base = meta_f32(ct, "llama.rope.freq_base").unwrap_or(10_000.0);
        if heads == 0 || kv_heads == 0 || heads % kv_heads != 0 || width % heads != 0 {
            return Err(LmError::Format(format!(
                "inconsistent shape: {heads} heads, {kv_heads} key-value heads, width {width}"
            )));
        }
        let mut tensor = |name: &str| {
            ct.tensor(reader, name, &device)
                .map_err(|e| LmError::Format(format!("tensor {name}: {e}")))
        };
        let embeddings_q = tensor("token_embd.weight")?;
        let embeddings = embeddings_q.dequantize(&device)?;
        let norm = tensor("output_norm.weight")?.dequantize(&device)?;
        // Small models tie the output projection to the embeddings: then
        // the product reads the embedding matrix transposed in place
        // rather than holding a second copy of the largest matrix.
        let output = match tensor("output.weight") {
            Ok(t) => Linear::from_gguf(t)?,
            Err(_) => {
                drop(embeddings_q);
                Linear(embeddings.t()?)
            }
        };
        let mut layers = Vec::with_capacity(blocks);
        for i in 0..blocks {
            let mut q = |part: &str| -> Result<Linear, LmError> {
                Linear::from_gguf(tensor(&format!("blk.{i}.{part}.weight"))?)
            };
            let (wq, wk, wv, wo) = (q("attn_q")?, q("attn_k")?, q("attn_v")?, q("attn_output")?);
            let (gate, up, down) = (q("ffn_gate")?, q("ffn_up")?, q("ffn_down")?);
            layers.push(Layer {
                attn_norm: tensor(&format!("blk.{i}.attn_norm.weight"))?.dequantize(&device)?,
                ffn_norm: tensor(&format!("blk.{i}.ffn_norm.weight"))?.dequantize(&device)?,
                wq,
                wk,
                wv,
                wo,
                gate,
                up,
                down,
            });
        }
        // Rotary position tables for every position of the context.
        let inv: Vec<f32> = (0..rope_dim / 2)
            .map(|i| 1.0 / rope_base.powf(2.0 * i as f32 / rope_dim as f32))
            .collect();
        let inv = Tensor::from_vec(inv, (1, rope_dim / 2), &device)?;
        let pos = Tensor::arange(0u32, context as u32, &device)?
            .to_dtype(DType::F32)?
            .reshape((context, 1))?;
        let freqs = pos.matmul(&inv)?;
        Ok(Decoder {
            shape: Shape {
                heads,
                kv_heads,
                head_dim: width / heads,
                eps,
            },
            embeddings,
            layers,
            norm,
            output,
            cos: freqs.cos()?,
            sin: freqs.sin()?,
            context,
        })
    }

    /// The log-probability at every position of `tokens` (a batch of
    /// equal-length rows) of the token `next` says comes next there:
    /// shape (batch, length). Only the picked tokens' log-probabilities are
    /// kept, not the vocabulary-wide distribution.
    pub(crate) fn log_probs(&self, tokens: &Tensor, next: &Tensor) -> Result<Tensor, LmError> {
        let (batch, len) = tokens.dims2()?;
        let Shape {
            heads,
            kv_heads,
            head_dim,
            eps,
        } = self.shape;
        let width = heads * head_dim;
        let cos = self.cos.narrow(0, 0, len)?;
        let sin = self.sin.narrow(0, 0, len)?;
        // Causal mask: position i sees positions up to i.
        let mask: Vec<f32> = (0..len)
            .flat_map(|i| (0..len).map(move |j| if j > i { f32::NEG_INFINITY } else { 0.0 }))
            .collect();
        let mask = Tensor::from_vec(mask, (len, len), &Device::Cpu)?;
        let ids = tokens.flatten_all()?;
        let mut x = self
            .embeddings
            .index_select(&ids, 0)?
            .reshape((batch, len, width))?;
        for layer in &self.layers {
            let h = candle_nn::ops::rms_norm(&x, &layer.attn_norm, eps)?;
            let split = |m: &Linear, n: usize| -> Result<Tensor, LmError> {
                Ok(m.forward(&h)?
                    .reshape((batch, len, n, head_dim))?
                    .transpose(1, 2)?
                    .contiguous()?)
            };
            let q = split(&layer.wq, heads)?;
            let k = split(&layer.wk, kv_heads)?;
            let v = split(&layer.wv, kv_heads)?;
            let q = candle_nn::rotary_emb::rope_i(&q, &cos, &sin)?;
            let k = candle_nn::rotary_emb::rope_i(&k, &cos, &sin)?;
            // Grouped-query attention: each key-value head serves
            // heads / kv_heads query heads.
            let group = heads / kv_heads;
            let widen = |t: Tensor| -> Result<Tensor, LmError> {
                if group == 1 {
                    return Ok(t);
                }
                Ok(t.unsqueeze(2)?
                    .expand((batch, kv_heads, group, len, head_dim))?
                    .reshape((batch, heads, len, head_dim))?)
            };
            let (k, v) = (widen(k)?, widen(v)?);
            let scores = (q.matmul(&k.t()?.contiguous()?)? / (head_dim as f64).sqrt())?;
            let scores = scores.broadcast_add(&mask)?;
            let weights = softmax(&scores)?;
            let attended = weights
                .matmul(&v.contiguous()?)?
                .transpose(1, 2)?
                .reshape((batch, len, width))?;
            x = (x + layer.wo.forward(&attended)?)?;
            let h = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, eps)?;
            let gated =
                (candle_nn::ops::silu(&layer.gate.forward(&h)?)? * layer.up.forward(&h)?)?;
            x = (x + layer.down.forward(&gated)?)?;
        }
        let x = candle_nn::ops::rms_norm(&x, &self.norm, eps)?;
        let logits = self.output.forward(&x)?;
        // log p = logit - logsumexp(logits), without a second
        // vocabulary-wide tensor for the log-softmax.
        let max = logits.max_keepdim(D::Minus1)?;
        let norm = (logits
            .broadcast_sub(&max)?
            .exp()?
            .sum_keepdim(D::Minus1)?
            .log()?
            + &max)?;
        let picked = logits.gather(&next.unsqueeze(2)?, 2)?;
        Ok((picked - norm)?.squeeze(2)?)
    }
}

/// Softmax over the last dimension from plain element-wise operations.
/// candle's fused kernel approximates the exponential in vector lanes, so
/// a row's result would depend on how long the row is, which here is the
/// longest text of the batch; this way a text scores the same in any
/// batch.
fn softmax(x: &Tensor) -> Result<Tensor, LmError> {
    let max = x.max_keepdim(D::Minus1)?;
    let e = x.broadcast_sub(&max)?.exp()?;
    let sum = e.sum_keepdim(D::Minus1)?;
    Ok(e.broadcast_div(&sum)?)
}
