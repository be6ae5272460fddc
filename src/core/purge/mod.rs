//! Signed purges, wire-compatible with Standard Webhooks v1 (symmetric), so an origin signs
//! with the `standardwebhooks` library of its language.
//!
//! `POST` a JSON [`PurgeRequest`] with headers `webhook-id`, `webhook-timestamp` (Unix
//! seconds) and `webhook-signature` (`v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`
//! keyed with the decoded `whsec_` secret; several space-separated signatures are allowed
//! during a key rotation). [`PurgeEndpoint::handle`] verifies the signature over the raw body
//! before parsing it, refuses replays, applies the invalidation and returns a [`Receipt`]; every
//! refusal is a [`PurgeError`] with a reason code and nothing applied.

mod authority;
mod endpoint;
mod rejection;
mod replay;
mod request;
mod secret;
mod signature;

pub use authority::{Authority, Membership};
pub use endpoint::{read_content, Apply, PurgeEndpoint, Receipt};
pub use rejection::{Header, PurgeError, SecretError};
pub use replay::{KvReplayGuard, MemoryReplayGuard, ReplayGuard};
pub use request::{PurgeRequest, RequestLimits};
pub use secret::{Secret, Secrets};
pub use signature::{sign, verify, SignedHeaders, Verified, VerifyLimits};
