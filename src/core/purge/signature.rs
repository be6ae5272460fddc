//! Standard Webhooks v1 (symmetric) signatures: `v1,` + base64 HMAC-SHA256 over
//! `{id}.{timestamp}.{body}`, verified over the raw body bytes, compared in constant time.

use base64ct::{Base64, Encoding as _};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::rejection::{Header, PurgeError};
use super::secret::{Secret, Secrets};

type HmacSha256 = Hmac<Sha256>;

/// The three headers as received; `None` when absent. A front that sees a header twice passes
/// the values joined with `", "`, which is refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SignedHeaders<'a> {
    /// `webhook-id`
    pub id: Option<&'a str>,
    /// `webhook-timestamp`
    pub timestamp: Option<&'a str>,
    /// `webhook-signature`
    pub signature: Option<&'a str>,
}

impl<'a> SignedHeaders<'a> {
    /// The three headers found in a header list (names compared case-insensitively).
    #[must_use]
    pub fn from_list(headers: &'a [(String, String)]) -> Self {
        let get = |name| crate::core::http::header(headers, name);
        Self { id: get("webhook-id"), timestamp: get("webhook-timestamp"), signature: get("webhook-signature") }
    }
}

/// Verification limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifyLimits {
    /// Accepted distance between the timestamp and now, either way (default 300 s).
    pub tolerance_secs: u64,
    /// Largest body (default 64 KiB).
    pub max_body_bytes: usize,
    /// Most signature tokens in the header (default 8).
    pub max_signatures: usize,
}

impl Default for VerifyLimits {
    fn default() -> Self {
        Self { tolerance_secs: 300, max_body_bytes: 64 * 1024, max_signatures: 8 }
    }
}

/// A request whose signature verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    /// Its `webhook-id`.
    pub id: String,
    /// Its `webhook-timestamp`, in seconds.
    pub timestamp: u64,
}

/// Signs `body` as Standard Webhooks does: returns the `webhook-signature` value `v1,<base64>`.
///
/// ```
/// use edgecache::core::purge::{sign, verify, Secret, Secrets, SignedHeaders, VerifyLimits};
/// let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// let body = br#"{"tags":["articles"]}"#;
/// let signature = sign(&secret, "msg_1", 1_700_000_000, body).unwrap();
/// let headers = SignedHeaders { id: Some("msg_1"), timestamp: Some("1700000000"), signature: Some(&signature) };
/// let secrets = Secrets::new(vec![secret]).unwrap();
/// assert!(verify(&secrets, &headers, body, 1_700_000_100, &VerifyLimits::default()).is_ok());
/// ```
pub fn sign(secret: &Secret, id: &str, timestamp: u64, body: &[u8]) -> Result<String, PurgeError> {
    check_id(id)?;
    check_timestamp(&timestamp.to_string())?;
    let mac = mac(secret, id, timestamp, body).finalize().into_bytes();
    Ok(format!("v1,{}", Base64::encode_string(&mac)))
}

fn mac(secret: &Secret, id: &str, timestamp: u64, body: &[u8]) -> HmacSha256 {
    // HMAC accepts keys of any length; `Secret` guarantees 24–64 bytes.
    let mut mac = HmacSha256::new_from_slice(secret.key()).expect("HMAC takes any key length");
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Verifies a signed request at `now_secs`. Checks, in order: the headers' presence and shape,
/// the timestamp tolerance, the body size, the signature tokens' shape, then the MACs (each
/// token against each secret, in constant time). The body is not parsed here.
pub fn verify(
    secrets: &Secrets,
    headers: &SignedHeaders<'_>,
    body: &[u8],
    now_secs: u64,
    limits: &VerifyLimits,
) -> Result<Verified, PurgeError> {
    let id = header(headers.id, Header::Id)?;
    let timestamp_text = header(headers.timestamp, Header::Timestamp)?;
    let signature = header(headers.signature, Header::Signature)?;
    check_id(id)?;
    let timestamp = check_timestamp(timestamp_text)?;
    if timestamp + limits.tolerance_secs < now_secs {
        return Err(PurgeError::TimestampTooOld(now_secs - timestamp));
    }
    if timestamp > now_secs + limits.tolerance_secs {
        return Err(PurgeError::TimestampTooNew(timestamp - now_secs));
    }
    if body.len() > limits.max_body_bytes {
        return Err(PurgeError::BodyTooLarge { len: body.len(), max: limits.max_body_bytes });
    }
    let candidates = v1_signatures(signature, limits.max_signatures)?;
    for secret in secrets.iter() {
        let expected = mac(secret, id, timestamp, body);
        if candidates.iter().any(|candidate| expected.clone().verify_slice(candidate).is_ok()) {
            return Ok(Verified { id: id.to_owned(), timestamp });
        }
    }
    Err(PurgeError::SignatureMismatch)
}

fn header(value: Option<&str>, which: Header) -> Result<&str, PurgeError> {
    let value = value.ok_or(PurgeError::MissingHeader(which))?;
    if value.trim().is_empty() {
        return Err(PurgeError::EmptyHeader(which));
    }
    // Repeated headers arrive joined by ", ". (Bytes, not a substring search: smaller wasm.)
    if value.as_bytes().windows(2).any(|pair| pair == b", ") {
        return Err(PurgeError::DuplicateHeader(which));
    }
    Ok(value)
}

fn check_id(id: &str) -> Result<(), PurgeError> {
    let ok = !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_graphic() && b != b'.');
    if ok {
        Ok(())
    } else {
        Err(PurgeError::InvalidId)
    }
}

fn check_timestamp(text: &str) -> Result<u64, PurgeError> {
    if text.is_empty() || text.len() > 12 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PurgeError::InvalidTimestamp);
    }
    text.parse().map_err(|_| PurgeError::InvalidTimestamp)
}

/// The decoded `v1` signatures of the header; any malformed token refuses the whole header.
fn v1_signatures(header: &str, max: usize) -> Result<Vec<Vec<u8>>, PurgeError> {
    let tokens: Vec<&str> = header.split(' ').collect();
    if tokens.len() > max {
        return Err(PurgeError::TooManySignatures);
    }
    let mut v1 = Vec::new();
    for token in tokens {
        let Some((version, value)) = token.split_once(',') else {
            return Err(PurgeError::MalformedSignature);
        };
        if version.is_empty() || version.contains(',') || value.contains(',') {
            return Err(PurgeError::MalformedSignature);
        }
        if version != "v1" {
            continue; // other schemes (v1a, asymmetric) are not ours to judge
        }
        if value.is_empty() {
            return Err(PurgeError::EmptySignature);
        }
        let decoded = Base64::decode_vec(value).map_err(|_| PurgeError::InvalidBase64)?;
        if decoded.len() != 32 {
            return Err(PurgeError::WrongSignatureLength(decoded.len()));
        }
        v1.push(decoded);
    }
    if v1.is_empty() {
        return Err(PurgeError::NoV1Signature);
    }
    Ok(v1)
}
