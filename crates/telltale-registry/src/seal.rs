//! Signed evidence reports: a seal an inquiry can check without trusting
//! whoever handed it the file.
//!
//! The signing key is an Ed25519 key derived from the registry's secret
//! (BLAKE3 `derive_key`, its own context), so the registry stores no second
//! secret and a restored backup signs as the original did. Its public half
//! is exported as a short text file ([`ReportKey`]); anyone holding that
//! file can check a report with `telltale report verify FILE --key KEY`.
//!
//! The seal is the file's last line, a PDF comment after `%%EOF`, which PDF
//! readers ignore:
//!
//! ```text
//! %telltale-seal v1 registry=<16 hex> key=<64 hex> trace=<id> input=<64 hex> made=<unix time> sig=<128 hex>
//! ```
//!
//! The signature covers every byte of the file up to ` sig=`: the whole
//! PDF and the seal's own fields, so neither a page nor the trace it names
//! can change without breaking it. The public key in the seal only says
//! which key claims to have signed; a report is valid only against a key
//! the checker already trusts (the registry's own, or an exported file),
//! because anyone can sign a forged report with a key of their own.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use telltale_core::SecretKey;
use thiserror::Error;
use zeroize::Zeroize;

use crate::hex;

const SEAL_PREFIX: &[u8] = b"%telltale-seal v1 ";
const KEY_FILE_HEADER: &str = "telltale evidence-report key v1";

/// What a seal says, once its signature has been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealFacts {
    /// The fingerprint of the registry's secret key (as `telltale status`
    /// shows it).
    pub registry: String,
    /// The trace the report was made from.
    pub trace: i64,
    /// BLAKE3 of the traced input, hex.
    pub input_hash: String,
    /// When the report was made (Unix time).
    pub made: i64,
}

/// Why a report does not verify. Every variant is a finding about the
/// file, never a failure of the checker.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum SealError {
    #[error("the file carries no telltale seal (it was not made by `report pdf`, or its last line was cut off)")]
    Missing,
    #[error("the seal is malformed: {0}")]
    Malformed(String),
    #[error("the report was signed by another key (fingerprint {found}), not the trusted key {expected}")]
    OtherKey { found: String, expected: String },
    #[error("the signature does not match: the file was changed after it was signed")]
    BadSignature,
    #[error("the key file is malformed: {0}")]
    BadKeyFile(String),
}

/// The public half of a registry's report-signing key, with the registry it
/// belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportKey {
    pub registry: String,
    key: VerifyingKey,
}

impl ReportKey {
    /// A short fingerprint of the public key itself (BLAKE3, 8 bytes hex).
    pub fn fingerprint(&self) -> String {
        fingerprint(&self.key)
    }

    /// The key file: three lines of text, safe to publish.
    pub fn to_text(&self) -> String {
        format!(
            "{KEY_FILE_HEADER}\nregistry {}\ned25519 {}\n",
            self.registry,
            hex(self.key.as_bytes())
        )
    }

    /// Read a key file written by [`ReportKey::to_text`].
    pub fn parse(text: &str) -> Result<ReportKey, SealError> {
        let bad = |why: &str| SealError::BadKeyFile(why.to_string());
        let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
        if lines.next() != Some(KEY_FILE_HEADER) {
            return Err(bad(&format!("its first line is not \"{KEY_FILE_HEADER}\"")));
        }
        let registry = lines
            .next()
            .and_then(|l| l.strip_prefix("registry "))
            .filter(|r| r.len() == 16 && is_hex(r))
            .ok_or_else(|| bad("the second line is not \"registry\" and 16 hex digits"))?;
        let key = lines
            .next()
            .and_then(|l| l.strip_prefix("ed25519 "))
            .and_then(unhex::<32>)
            .ok_or_else(|| bad("the third line is not \"ed25519\" and 64 hex digits"))?;
        if lines.next().is_some() {
            return Err(bad("it has more than three lines"));
        }
        let key =
            VerifyingKey::from_bytes(&key).map_err(|_| bad("the key is not an Ed25519 point"))?;
        Ok(ReportKey {
            registry: registry.to_string(),
            key,
        })
    }
}

/// The registry's report-signing key, derived from its secret.
pub(crate) struct ReportSigner {
    registry: String,
    key: SigningKey,
}

impl ReportSigner {
    pub(crate) fn new(secret: &SecretKey) -> ReportSigner {
        let mut seed = blake3::derive_key(
            "telltale 2026 evidence report signing key v1",
            secret.expose_bytes(),
        );
        let key = SigningKey::from_bytes(&seed);
        seed.zeroize();
        ReportSigner {
            registry: secret.fingerprint(),
            key,
        }
    }

    pub(crate) fn public(&self) -> ReportKey {
        ReportKey {
            registry: self.registry.clone(),
            key: self.key.verifying_key(),
        }
    }

    /// `pdf` with the seal appended as its last line.
    pub(crate) fn seal(&self, pdf: &[u8], trace: i64, input_hash: &str, made: i64) -> Vec<u8> {
        let mut out = pdf.to_vec();
        if !out.ends_with(b"\n") {
            out.push(b'\n');
        }
        out.extend_from_slice(SEAL_PREFIX);
        out.extend_from_slice(
            format!(
                "registry={} key={} trace={trace} input={input_hash} made={made}",
                self.registry,
                hex(self.key.verifying_key().as_bytes())
            )
            .as_bytes(),
        );
        let signature = self.key.sign(&out);
        out.extend_from_slice(format!(" sig={}\n", hex(&signature.to_bytes())).as_bytes());
        out
    }
}

/// Check a sealed report against a trusted key: the facts it vouches for,
/// or why it cannot be trusted. Reads untrusted bytes; never panics.
pub fn verify(file: &[u8], trusted: &ReportKey) -> Result<SealFacts, SealError> {
    let (signed, fields, signature) = split(file)?;
    let malformed = SealError::Malformed;
    let mut expect = fields.split(' ');
    let mut field = |name: &str| -> Result<&str, SealError> {
        expect
            .next()
            .and_then(|f| f.strip_prefix(name)?.strip_prefix('='))
            .ok_or_else(|| malformed(format!("the field \"{name}\" is missing or out of place")))
    };
    let registry = field("registry")?;
    let key = field("key")?;
    let trace = field("trace")?;
    let input = field("input")?;
    let made = field("made")?;
    if expect.next().is_some() {
        return Err(malformed("it has fields after \"made\"".into()));
    }
    if registry.len() != 16 || !is_hex(registry) {
        return Err(malformed(
            "the registry fingerprint is not 16 hex digits".into(),
        ));
    }
    if input.len() != 64 || !is_hex(input) {
        return Err(malformed("the input hash is not 64 hex digits".into()));
    }
    let trace: i64 = trace
        .parse()
        .map_err(|_| malformed("the trace is not a number".into()))?;
    let made: i64 = made
        .parse()
        .map_err(|_| malformed("the time is not a number".into()))?;
    let key = unhex::<32>(key).ok_or_else(|| malformed("the key is not 64 hex digits".into()))?;
    let claimed = VerifyingKey::from_bytes(&key)
        .map_err(|_| malformed("the key is not an Ed25519 point".into()))?;
    if claimed != trusted.key || registry != trusted.registry {
        return Err(SealError::OtherKey {
            found: format!("{} of registry {registry}", fingerprint(&claimed)),
            expected: format!("{} of registry {}", trusted.fingerprint(), trusted.registry),
        });
    }
    let signature = unhex::<64>(signature)
        .ok_or_else(|| malformed("the signature is not 128 hex digits".into()))?;
    trusted
        .key
        .verify_strict(signed, &Signature::from_bytes(&signature))
        .map_err(|_| SealError::BadSignature)?;
    Ok(SealFacts {
        registry: registry.to_string(),
        trace,
        input_hash: input.to_string(),
        made,
    })
}

/// The signed bytes, the seal's fields and its signature (hex).
fn split(file: &[u8]) -> Result<(&[u8], &str, &str), SealError> {
    // The seal line ends the file with exactly one newline: the one form a
    // signed report has, so that its hash in the audit log is the only one.
    let body = file.strip_suffix(b"\n").ok_or(SealError::Missing)?;
    let start = match body.iter().rposition(|&b| b == b'\n') {
        Some(i) => i + 1,
        None => 0,
    };
    let line = &body[start..];
    let rest = line.strip_prefix(SEAL_PREFIX).ok_or(SealError::Missing)?;
    let rest = std::str::from_utf8(rest)
        .map_err(|_| SealError::Malformed("the seal is not text".into()))?;
    let at = rest
        .rfind(" sig=")
        .ok_or_else(|| SealError::Malformed("it has no signature".into()))?;
    let signed_len = start + SEAL_PREFIX.len() + at;
    Ok((&file[..signed_len], &rest[..at], &rest[at + 5..]))
}

fn fingerprint(key: &VerifyingKey) -> String {
    hex(&blake3::hash(key.as_bytes()).as_bytes()[..8])
}

fn is_hex(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !is_hex(s) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(n: u8) -> ReportSigner {
        ReportSigner::new(&SecretKey::from_bytes([n; 32]))
    }

    const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n%%EOF\n";
    const INPUT: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90";

    #[test]
    fn a_sealed_report_verifies_against_its_registrys_key() {
        let s = signer(7);
        let sealed = s.seal(PDF, 12, INPUT, 1_796_000_000);
        assert!(sealed.starts_with(PDF));
        let facts = verify(&sealed, &s.public()).unwrap();
        assert_eq!(facts.trace, 12);
        assert_eq!(facts.input_hash, INPUT);
        assert_eq!(facts.made, 1_796_000_000);
        assert_eq!(facts.registry, SecretKey::from_bytes([7; 32]).fingerprint());
    }

    #[test]
    fn the_signing_key_is_a_function_of_the_secret_alone() {
        assert_eq!(signer(7).public(), signer(7).public());
        assert_ne!(signer(7).public(), signer(8).public());
        // Not the secret itself, nor its fingerprint's key.
        assert_ne!(signer(7).public().key.as_bytes(), &[7u8; 32]);
    }

    #[test]
    fn any_changed_byte_breaks_the_seal() {
        let s = signer(7);
        let sealed = s.seal(PDF, 12, INPUT, 1_796_000_000);
        for i in 0..sealed.len() - 1 {
            let mut t = sealed.clone();
            t[i] ^= 0x01;
            assert!(
                verify(&t, &s.public()).is_err(),
                "byte {i} changed unnoticed"
            );
        }
    }

    #[test]
    fn a_report_resigned_with_another_key_is_refused() {
        let (real, forger) = (signer(7), signer(9));
        let forged = forger.seal(PDF, 12, INPUT, 1_796_000_000);
        assert!(matches!(
            verify(&forged, &real.public()),
            Err(SealError::OtherKey { .. })
        ));
        // Claiming the real key while signing with another is a bad signature.
        let mut claimed = real.seal(PDF, 12, INPUT, 1_796_000_000);
        let cut = claimed.windows(5).rposition(|w| w == b" sig=").unwrap();
        claimed.truncate(cut);
        let sig = forger.key.sign(&claimed);
        claimed.extend_from_slice(format!(" sig={}\n", hex(&sig.to_bytes())).as_bytes());
        assert_eq!(
            verify(&claimed, &real.public()),
            Err(SealError::BadSignature)
        );
    }

    #[test]
    fn unsealed_and_cut_files_say_so() {
        let s = signer(7);
        assert_eq!(verify(PDF, &s.public()), Err(SealError::Missing));
        assert_eq!(verify(b"", &s.public()), Err(SealError::Missing));
        let sealed = s.seal(PDF, 12, INPUT, 1);
        let cut = &sealed[..sealed.len() - 20];
        assert!(verify(cut, &s.public()).is_err());
        // Bytes appended after the seal hide it, and so does taking its
        // final newline away.
        let mut more = sealed.clone();
        more.extend_from_slice(b"%extra\n");
        assert_eq!(verify(&more, &s.public()), Err(SealError::Missing));
        assert_eq!(
            verify(&sealed[..sealed.len() - 1], &s.public()),
            Err(SealError::Missing)
        );
    }

    #[test]
    fn key_files_round_trip_and_refuse_garbage() {
        let k = signer(7).public();
        assert_eq!(ReportKey::parse(&k.to_text()).unwrap(), k);
        for bad in [
            "",
            "telltale evidence-report key v1\n",
            "telltale evidence-report key v1\nregistry zz\ned25519 00\n",
            &k.to_text().replace("ed25519 ", "ed25519 0"),
            &format!("{}extra\n", k.to_text()),
        ] {
            assert!(ReportKey::parse(bad).is_err(), "{bad:?}");
        }
    }
}
