//! Secrets at rest: what a session keeps that must not be readable in the
//! store (the visitor's root password and secret field values) is sealed
//! before it leaves the process, so a Redis dump, a replica's `MONITOR` or a
//! snapshot on disk shows only ciphertext.
//!
//! XChaCha20-Poly1305 (RustCrypto's `chacha20poly1305`) with a random 192-bit
//! nonce per seal, so nonces never repeat in practice; the key is derived from
//! `APP_SECRET_KEY` with HKDF-SHA256 under its own label, apart from the key
//! that signs the cookie. Every seal is bound to a context (the OAuth state of
//! its pending deploy) as associated data: a sealed value copied into another
//! session does not open there.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;

/// The HKDF label of this key; another use of `APP_SECRET_KEY` takes another.
const INFO: &[u8] = b"install-on-linode/seal/pending-deploy/v1";
const NONCE_LEN: usize = 24;

/// Seals and opens values with the key derived from `APP_SECRET_KEY`.
#[derive(Clone)]
pub struct Seal(XChaCha20Poly1305);

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Seal(..)")
    }
}

/// A sealed value that does not open: another key, another context, or
/// altered in the store.
#[derive(Debug, thiserror::Error)]
#[error("a sealed value did not open (another key, another context, or altered)")]
pub struct Unopenable;

impl Seal {
    /// The seal for `secret_key` (`APP_SECRET_KEY`).
    pub fn new(secret_key: &[u8]) -> Self {
        Self::with_label(secret_key, INFO)
    }

    /// A seal with a key of its own for another use, derived under `label`.
    pub fn with_label(secret_key: &[u8], label: &[u8]) -> Self {
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(None, secret_key)
            .expand(label, &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        Self(XChaCha20Poly1305::new(&key.into()))
    }

    /// `plaintext` sealed for `context`, as URL-safe base64 of nonce and ciphertext.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .0
            .encrypt(&nonce, Payload { msg: plaintext, aad: context.as_bytes() })
            .expect("XChaCha20-Poly1305 seals any length a session holds");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        URL_SAFE_NO_PAD.encode(out)
    }

    /// The plaintext of `sealed`, if it was sealed by this key for `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, Unopenable> {
        let bytes = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| Unopenable)?;
        if bytes.len() < NONCE_LEN {
            return Err(Unopenable);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        self.0
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: context.as_bytes() })
            .map_err(|_| Unopenable)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn what_is_sealed_opens_with_the_same_key_and_context() {
        let seal = Seal::new(KEY);
        let sealed = seal.seal(b"hunter2-root-pass", "state-a");
        assert_eq!(seal.open(&sealed, "state-a").unwrap(), b"hunter2-root-pass");
    }

    #[test]
    fn a_sealed_value_shows_nothing_of_its_plaintext_and_differs_each_time() {
        let seal = Seal::new(KEY);
        let (a, b) = (seal.seal(b"hunter2-root-pass", "s"), seal.seal(b"hunter2-root-pass", "s"));
        assert_ne!(a, b);
        assert!(!a.contains("hunter2"));
    }

    #[test]
    fn another_context_another_key_or_an_altered_value_does_not_open() {
        let seal = Seal::new(KEY);
        let sealed = seal.seal(b"secret", "state-a");
        assert!(seal.open(&sealed, "state-b").is_err());
        assert!(Seal::new(b"another key, also 32 bytes long!").open(&sealed, "state-a").is_err());
        let mut altered = sealed.into_bytes();
        let last = altered.len() - 1;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert!(seal.open(std::str::from_utf8(&altered).unwrap(), "state-a").is_err());
        assert!(seal.open("short", "state-a").is_err());
        assert!(seal.open("not base64!", "state-a").is_err());
    }
}
