//! The organisation's secret key.
//!
//! Everything a recipient's copy depends on is derived from this key by a
//! keyed PRF (BLAKE3), so the registry stores no codewords. The key never
//! appears in `Debug` output, errors or logs, and is wiped from memory when
//! dropped.

use zeroize::Zeroize;

use crate::Error;

/// A 256-bit secret. Create it from OS randomness in the storage layer
/// (the core does no I/O) and pass it in.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey([u8; 32]);

impl SecretKey {
    pub const LEN: usize = 32;

    pub fn from_bytes(bytes: [u8; 32]) -> SecretKey {
        SecretKey(bytes)
    }

    pub fn from_slice(bytes: &[u8]) -> Result<SecretKey, Error> {
        let arr: [u8; 32] = bytes.try_into().map_err(|_| {
            Error::BadParameter(format!("a secret key is 32 bytes, not {}", bytes.len()))
        })?;
        Ok(SecretKey(arr))
    }

    /// The raw bytes, for the storage layer to write to its key file.
    pub fn expose_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The key that all of one document's randomness is derived from.
    pub(crate) fn document_key(&self, document_id: &str) -> [u8; 32] {
        let mut h = blake3::Hasher::new_derive_key("telltale 2026 document key v1");
        h.update(&self.0);
        h.update(&(document_id.len() as u64).to_le_bytes());
        h.update(document_id.as_bytes());
        *h.finalize().as_bytes()
    }

    /// A short public fingerprint that identifies the key without revealing it.
    pub fn fingerprint(&self) -> String {
        let h = blake3::derive_key("telltale 2026 key fingerprint v1", &self.0);
        h[..8].iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_key() {
        let k = SecretKey::from_bytes([0xAB; 32]);
        let s = format!("{k:?}");
        assert!(!s.to_lowercase().contains("ab"), "{s}");
        assert!(!s.contains("171"));
    }

    #[test]
    fn document_keys_differ_by_document() {
        let k = SecretKey::from_bytes([1; 32]);
        assert_ne!(k.document_key("a"), k.document_key("b"));
        assert_ne!(
            k.document_key("ab"),
            SecretKey::from_bytes([2; 32]).document_key("ab")
        );
    }
}
