//! Signing secrets: `whsec_` + base64 of 24–64 random bytes, as Standard Webhooks defines them.
//! Never printed: `Debug` and `Display` show only a short fingerprint.

use base64ct::{Base64, Encoding as _};
use sha2::{Digest, Sha256};

use super::rejection::SecretError;

const PREFIX: &str = "whsec_";
const MIN_BYTES: usize = 24;
const MAX_BYTES: usize = 64;

/// One signing secret.
///
/// ```
/// use edgecache::core::purge::Secret;
/// let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// assert!(!format!("{secret:?}").contains("MfKQ"));
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Secret {
    key: Vec<u8>,
}

impl Secret {
    /// Parses `whsec_<base64>`; the decoded key must be 24–64 bytes.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let encoded = text.trim().strip_prefix(PREFIX).ok_or(SecretError::MissingPrefix)?;
        let key = Base64::decode_vec(encoded).map_err(|_| SecretError::InvalidBase64)?;
        if !(MIN_BYTES..=MAX_BYTES).contains(&key.len()) {
            return Err(SecretError::WrongLength(key.len()));
        }
        Ok(Self { key })
    }

    /// A secret from raw key bytes (24–64 of them), e.g. freshly generated.
    pub fn from_bytes(key: &[u8]) -> Result<Self, SecretError> {
        if !(MIN_BYTES..=MAX_BYTES).contains(&key.len()) {
            return Err(SecretError::WrongLength(key.len()));
        }
        Ok(Self { key: key.to_vec() })
    }

    /// The `whsec_…` form, for handing to the origin. Deliberately not `Display`.
    #[must_use]
    pub fn expose(&self) -> String {
        format!("{PREFIX}{}", Base64::encode_string(&self.key))
    }

    pub(crate) fn key(&self) -> &[u8] {
        &self.key
    }

    /// A short, non-reversible identifier for logs: the first 8 hex digits of SHA-256(key).
    #[must_use]
    pub fn fingerprint(&self) -> String {
        Sha256::digest(&self.key).iter().take(4).map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret(whsec_…{})", self.fingerprint())
    }
}

/// The secrets accepted at once (during a rotation, the old and the new).
///
/// ```
/// use edgecache::core::purge::Secrets;
/// let secrets = Secrets::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
/// assert_eq!(secrets.primary().expose(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
/// assert!(Secrets::parse("").is_err(), "at least one");
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Secrets(Vec<Secret>);

impl Secrets {
    /// Parses one or more space-separated secrets; at least one, at most 8.
    pub fn parse(text: &str) -> Result<Self, SecretError> {
        let secrets = text.split_whitespace().map(Secret::parse).collect::<Result<Vec<_>, _>>()?;
        Self::new(secrets)
    }

    /// Wraps already-parsed secrets; at least one, at most 8.
    pub fn new(secrets: Vec<Secret>) -> Result<Self, SecretError> {
        match secrets.len() {
            0 => Err(SecretError::None),
            1..=8 => Ok(Self(secrets)),
            n => Err(SecretError::TooMany(n)),
        }
    }

    /// The first secret: the one to sign with.
    #[must_use]
    pub fn primary(&self) -> &Secret {
        &self.0[0]
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Secret> {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let s = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        assert_eq!(s.key().len(), 24);
        assert_eq!(s.expose(), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
        assert_eq!(Secret::parse("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), Err(SecretError::MissingPrefix));
        assert_eq!(Secret::parse("whsec_!!!"), Err(SecretError::InvalidBase64));
        assert_eq!(Secret::parse("whsec_c2hvcnQ="), Err(SecretError::WrongLength(5)));
        assert_eq!(Secrets::parse("  "), Err(SecretError::None));
    }

    #[test]
    fn debug_and_errors_never_show_the_key() {
        let text = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let secrets = Secrets::parse(text).unwrap();
        let shown = format!("{secrets:?} {:?}", secrets.primary());
        assert!(!shown.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "{shown}");
        let err = Secret::parse("whsec_c2VjcmV0LXNob3J0").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("c2VjcmV0"));
    }
}
