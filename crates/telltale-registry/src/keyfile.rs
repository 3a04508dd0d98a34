//! The secret key at rest: its own file, readable by its owner only, in the
//! clear or encrypted with a passphrase (Argon2id + ChaCha20-Poly1305).
//!
//! The key is generated from the operating system's CSPRNG and never leaves
//! this module except as a [`SecretKey`], whose `Debug` hides it.

use std::io::Write;
use std::path::Path;

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Key, Nonce};
use serde::{Deserialize, Serialize};
use telltale_core::SecretKey;
use zeroize::Zeroize;

use crate::{hex, RegistryError};

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
enum KeyFile {
    Plain {
        version: u32,
        key: String,
    },
    Sealed {
        version: u32,
        kdf: String,
        salt: String,
        nonce: String,
        ciphertext: String,
    },
}

/// Hex digits to bytes. Works on bytes, not string slices: a damaged
/// file may hold any characters, and slicing text between the two halves
/// of a multi-byte character would panic.
pub(crate) fn unhex(s: &str) -> Result<Vec<u8>, RegistryError> {
    let damaged = || RegistryError::Key("the key file is damaged".into());
    let digit = |b: u8| (b as char).to_digit(16).ok_or_else(damaged);
    let bytes = s.as_bytes();
    if !bytes.len().is_multiple_of(2) {
        return Err(damaged());
    }
    bytes
        .chunks_exact(2)
        .map(|pair| Ok((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect()
}

fn random<const N: usize>() -> Result<[u8; N], RegistryError> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b)
        .map_err(|e| RegistryError::Key(format!("the operating system gave no randomness: {e}")))?;
    Ok(b)
}

fn derive(passphrase: &str, salt: &[u8]) -> Result<[u8; 32], RegistryError> {
    let mut out = [0u8; 32];
    argon2::Argon2::default()
        .hash_password_into(passphrase.as_bytes(), salt, &mut out)
        .map_err(|e| RegistryError::Key(format!("cannot derive a key from the passphrase: {e}")))?;
    Ok(out)
}

/// Generate a new key and write it to `path` (which must not exist).
pub fn create(path: &Path, passphrase: Option<&str>) -> Result<SecretKey, RegistryError> {
    let key = SecretKey::from_bytes(random::<32>()?);
    let file = match passphrase {
        None => KeyFile::Plain {
            version: 1,
            key: hex(key.expose_bytes()),
        },
        Some(p) => {
            let salt = random::<16>()?;
            let nonce = random::<12>()?;
            let mut k = derive(p, &salt)?;
            let cipher = ChaCha20Poly1305::new(Key::from_slice(&k));
            k.zeroize();
            let ct = cipher
                .encrypt(Nonce::from_slice(&nonce), key.expose_bytes().as_slice())
                .map_err(|_| RegistryError::Key("cannot encrypt the key".into()))?;
            KeyFile::Sealed {
                version: 1,
                kdf: "argon2id".into(),
                salt: hex(&salt),
                nonce: hex(&nonce),
                ciphertext: hex(&ct),
            }
        }
    };
    let text =
        serde_json::to_string_pretty(&file).map_err(|e| RegistryError::Key(e.to_string()))?;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| RegistryError::io(path, e))?;
    f.write_all(text.as_bytes())
        .and_then(|_| f.sync_all())
        .map_err(|e| RegistryError::io(path, e))?;
    Ok(key)
}

/// Read the key from `path`, with the passphrase if it is sealed.
pub fn load(path: &Path, passphrase: Option<&str>) -> Result<SecretKey, RegistryError> {
    let text = std::fs::read_to_string(path).map_err(|e| RegistryError::io(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| RegistryError::io(path, e))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(RegistryError::Key(format!(
                "the key file {} can be read by others (mode {:o}); run: chmod 600 {}",
                path.display(),
                mode & 0o777,
                path.display()
            )));
        }
    }
    let file: KeyFile = serde_json::from_str(&text)
        .map_err(|_| RegistryError::Key("the key file is damaged".into()))?;
    match file {
        KeyFile::Plain { key, .. } => {
            let mut b = unhex(&key)?;
            let k = SecretKey::from_slice(&b)
                .map_err(|_| RegistryError::Key("the key file is damaged".into()));
            b.zeroize();
            k
        }
        KeyFile::Sealed {
            salt,
            nonce,
            ciphertext,
            ..
        } => {
            let p = passphrase.ok_or_else(|| {
                RegistryError::Key("the key is encrypted: set TELLTALE_PASSPHRASE".into())
            })?;
            let mut k = derive(p, &unhex(&salt)?)?;
            let cipher = ChaCha20Poly1305::new(Key::from_slice(&k));
            k.zeroize();
            let n = unhex(&nonce)?;
            if n.len() != 12 {
                return Err(RegistryError::Key("the key file is damaged".into()));
            }
            let mut plain = cipher
                .decrypt(Nonce::from_slice(&n), unhex(&ciphertext)?.as_slice())
                .map_err(|_| RegistryError::Key("the passphrase does not unlock the key".into()))?;
            let key = SecretKey::from_slice(&plain)
                .map_err(|_| RegistryError::Key("the key file is damaged".into()));
            plain.zeroize();
            key
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_file_with_characters_that_are_not_hex_is_damaged_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("plain.key");
        create(&p, None).unwrap();
        let good = std::fs::read_to_string(&p).unwrap();
        let key = good
            .split('"')
            .find(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
            .unwrap()
            .to_string();
        // Two-byte characters put a char boundary between the halves of a
        // hex pair; an even byte length passes the length check.
        for bad in [
            "é".repeat(32),
            format!("a{}b", "é".repeat(31)),
            "+f".repeat(32),
        ] {
            std::fs::write(&p, good.replace(&key, &bad)).unwrap();
            let e = load(&p, None).unwrap_err().to_string();
            assert!(e.contains("damaged"), "{e}");
        }
        assert_eq!(unhex("0aFf").unwrap(), vec![0x0a, 0xff]);
    }

    #[test]
    fn plain_and_sealed_keys_round_trip_and_stay_private() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("plain.key");
        let k = create(&p, None).unwrap();
        assert_eq!(load(&p, None).unwrap(), k);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(
                std::fs::metadata(&p).unwrap().permissions().mode() & 0o777,
                0o600
            );
        }
        assert!(create(&p, None).is_err(), "never overwrite a key");

        let s = dir.path().join("sealed.key");
        let k2 = create(&s, Some("correct horse")).unwrap();
        let text = std::fs::read_to_string(&s).unwrap();
        assert!(
            !text.contains(&hex(k2.expose_bytes())),
            "the sealed file must not hold the key in the clear"
        );
        assert_eq!(load(&s, Some("correct horse")).unwrap(), k2);
        let e = load(&s, Some("wrong")).unwrap_err().to_string();
        assert!(e.contains("passphrase"), "{e}");
        assert!(load(&s, None)
            .unwrap_err()
            .to_string()
            .contains("TELLTALE_PASSPHRASE"));
    }
}
