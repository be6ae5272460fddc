//! What a purge can fail with: a rejection of the request (4xx, nothing applied), or a failure
//! to apply an accepted one (5xx, safe to retry). Every variant has a short reason code.

use crate::core::error::CacheError;
use crate::core::store::StoreError;

/// The three Standard Webhooks headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Header {
    /// `webhook-id`
    #[serde(rename = "webhook-id")]
    Id,
    /// `webhook-timestamp`
    #[serde(rename = "webhook-timestamp")]
    Timestamp,
    /// `webhook-signature`
    #[serde(rename = "webhook-signature")]
    Signature,
}

impl Header {
    /// The header's name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Id => "webhook-id",
            Self::Timestamp => "webhook-timestamp",
            Self::Signature => "webhook-signature",
        }
    }
}

/// A configured secret that is not a valid `whsec_` secret. Never contains the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// No secret configured.
    #[error("no secret configured")]
    None,
    /// More than 8 secrets.
    #[error("{0} secrets configured; at most 8")]
    TooMany(usize),
    /// Not starting with `whsec_`.
    #[error("secret does not start with whsec_")]
    MissingPrefix,
    /// Not base64 after the prefix.
    #[error("secret is not valid base64 after whsec_")]
    InvalidBase64,
    /// Decoded to a key shorter than 24 or longer than 64 bytes.
    #[error("secret decodes to {0} bytes; 24 to 64 required")]
    WrongLength(usize),
}

/// Why a purge was refused or failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PurgeError {
    /// A required header is absent.
    #[error("missing {} header", .0.name())]
    MissingHeader(Header),
    /// A header is present but empty.
    #[error("empty {} header", .0.name())]
    EmptyHeader(Header),
    /// A header was sent more than once (joined with ", ").
    #[error("{} header sent more than once", .0.name())]
    DuplicateHeader(Header),
    /// The id is over 64 characters or contains '.', whitespace, or non-printable or non-ASCII
    /// characters.
    #[error("webhook-id must be 1-64 printable ASCII characters without '.'")]
    InvalidId,
    /// The timestamp is not 1–12 plain digits.
    #[error("webhook-timestamp must be 1-12 digits")]
    InvalidTimestamp,
    /// The timestamp is older than the tolerance.
    #[error("webhook-timestamp is {0} s old; tolerance exceeded")]
    TimestampTooOld(u64),
    /// The timestamp is further in the future than the tolerance.
    #[error("webhook-timestamp is {0} s in the future; tolerance exceeded")]
    TimestampTooNew(u64),
    /// More signature tokens than accepted.
    #[error("too many signatures")]
    TooManySignatures,
    /// A token not shaped `version,value`.
    #[error("signature token is not version,value")]
    MalformedSignature,
    /// A `v1,` token with nothing after the comma.
    #[error("empty v1 signature")]
    EmptySignature,
    /// A `v1` value that is not base64.
    #[error("v1 signature is not base64")]
    InvalidBase64,
    /// A `v1` value that does not decode to 32 bytes.
    #[error("v1 signature decodes to {0} bytes, not 32")]
    WrongSignatureLength(usize),
    /// No `v1` token at all.
    #[error("no v1 signature")]
    NoV1Signature,
    /// No configured secret produced any of the signatures.
    #[error("signature does not match")]
    SignatureMismatch,
    /// The body is larger than accepted.
    #[error("body of {len} bytes exceeds {max}")]
    BodyTooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The body is not UTF-8 JSON (or not a JSON object).
    #[error("body is not a UTF-8 JSON object")]
    BodyNotJson,
    /// A field the schema does not know.
    #[error("unknown field \"{0}\"")]
    UnknownField(String),
    /// A field of the wrong type.
    #[error("field \"{0}\" has the wrong type")]
    WrongType(String),
    /// The request names nothing to purge.
    #[error("request names nothing to purge")]
    EmptyRequest,
    /// A list that is present but empty.
    #[error("list \"{0}\" is empty")]
    EmptyList(String),
    /// A list longer than accepted.
    #[error("list \"{field}\" has {len} items; at most {max}")]
    ListTooLong {
        /// The list.
        field: String,
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// An item that is empty or too long.
    #[error("an item of \"{field}\" is empty or longer than {max} bytes")]
    ItemTooLong {
        /// The list.
        field: String,
        /// The limit.
        max: usize,
    },
    /// An item the cache refuses (a prefix not ending in '/' or ':', a tag with control
    /// characters).
    #[error("an item of \"{field}\" is invalid: {reason}")]
    InvalidItem {
        /// The list.
        field: String,
        /// Why.
        reason: String,
    },
    /// This id was already applied within the tolerance window.
    #[error("already applied")]
    AlreadyApplied,
    /// This id already signed a read of a control endpoint (a read's headers serve once).
    #[error("this webhook-id was already used")]
    AlreadyUsed,
    /// The request was valid, but applying it failed; nothing was logged; retry it.
    #[error("purge could not be applied: {0}")]
    Apply(CacheError),
    /// The replay guard's store failed; nothing was applied; retry it.
    #[error("replay guard unavailable: {0}")]
    ReplayGuard(StoreError),
}

impl PurgeError {
    /// The short reason code sent to the caller and logged.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingHeader(_) => "missing_header",
            Self::EmptyHeader(_) => "empty_header",
            Self::DuplicateHeader(_) => "duplicate_header",
            Self::InvalidId => "invalid_id",
            Self::InvalidTimestamp => "invalid_timestamp",
            Self::TimestampTooOld(_) => "timestamp_too_old",
            Self::TimestampTooNew(_) => "timestamp_too_new",
            Self::TooManySignatures => "too_many_signatures",
            Self::MalformedSignature => "malformed_signature",
            Self::EmptySignature => "empty_signature",
            Self::InvalidBase64 => "invalid_base64",
            Self::WrongSignatureLength(_) => "wrong_signature_length",
            Self::NoV1Signature => "no_v1_signature",
            Self::SignatureMismatch => "signature_mismatch",
            Self::BodyTooLarge { .. } => "body_too_large",
            Self::BodyNotJson => "body_not_json",
            Self::UnknownField(_) => "unknown_field",
            Self::WrongType(_) => "wrong_type",
            Self::EmptyRequest => "empty_request",
            Self::EmptyList(_) => "empty_list",
            Self::ListTooLong { .. } => "list_too_long",
            Self::ItemTooLong { .. } => "item_too_long",
            Self::InvalidItem { .. } => "invalid_item",
            Self::AlreadyApplied => "already_applied",
            Self::AlreadyUsed => "already_used",
            Self::Apply(_) => "apply_failed",
            Self::ReplayGuard(_) => "replay_guard_unavailable",
        }
    }

    /// The HTTP status to answer with: 400 malformed, 401 unauthenticated, 409 already applied,
    /// 413 too large, 422 invalid body, 503 failed to apply.
    #[must_use]
    pub fn http_status(&self) -> u16 {
        match self {
            Self::TimestampTooOld(_) | Self::TimestampTooNew(_) | Self::NoV1Signature | Self::SignatureMismatch => 401,
            Self::AlreadyApplied | Self::AlreadyUsed => 409,
            Self::BodyTooLarge { .. } => 413,
            Self::BodyNotJson
            | Self::UnknownField(_)
            | Self::WrongType(_)
            | Self::EmptyRequest
            | Self::EmptyList(_)
            | Self::ListTooLong { .. }
            | Self::ItemTooLong { .. }
            | Self::InvalidItem { .. } => 422,
            Self::Apply(_) | Self::ReplayGuard(_) => 503,
            _ => 400,
        }
    }

    /// Whether the request itself was refused (as opposed to a failure to apply a valid one).
    #[must_use]
    pub fn is_rejection(&self) -> bool {
        self.http_status() < 500
    }
}
