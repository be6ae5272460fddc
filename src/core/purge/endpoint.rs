//! Applying a signed purge: verify, answer replays with their receipt, parse, invalidate, log,
//! remember, receipt.

use super::rejection::PurgeError;
use super::replay::ReplayGuard;
use super::request::{PurgeRequest, RequestLimits};
use super::secret::Secrets;
use super::signature::{verify, SignedHeaders, VerifyLimits};
use crate::core::cache::{Applied, Cache, Invalidation, Mode};
use crate::core::clock::Millis;
use crate::core::codec::{DecodeError, Reader, Writer};
use crate::core::error::CacheError;
use crate::core::store::KvStore;

/// What applies an invalidation for the endpoint: a [`Cache`] (each instance on its own), or
/// a purge [`Authority`](super::Authority) (one order for every instance).
#[allow(async_fn_in_trait)] // same reasoning as KvStore: platform futures are !Send
pub trait Apply {
    /// Applies `invalidation`; an error means nothing is known to be applied and it must be
    /// retried.
    async fn apply(&self, invalidation: Invalidation) -> Result<Applied, CacheError>;
}

impl<S: KvStore> Apply for Cache<S> {
    async fn apply(&self, invalidation: Invalidation) -> Result<Applied, CacheError> {
        self.invalidate(invalidation).await
    }
}

/// What an applied purge returns to its sender.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[non_exhaustive]
pub struct Receipt {
    /// The request's `webhook-id`.
    pub id: String,
    /// When it was applied (ms since the epoch).
    pub applied_at: Millis,
    /// Hard or soft.
    pub mode: Mode,
    /// What was purged, in the request's own shape.
    pub purged: serde_json::Value,
    /// KV writes the stamps took (constant per scope, whatever the number of entries).
    pub stamp_writes: usize,
    /// Whether the invalidation-log record was written.
    pub logged: bool,
    /// Every location stops serving purged content within this many milliseconds.
    pub staleness_bound_ms: u64,
    /// The purge's place in the authority's order (with a purge authority).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
    /// True when this answers a replay: the receipt of the first delivery, nothing applied again.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub replayed: bool,
}

impl Receipt {
    const MAGIC: &'static [u8; 2] = b"ER";

    /// The receipt as a replay guard keeps it (the record codec, format 1; `purged` as JSON).
    fn encode(&self) -> Vec<u8> {
        let purged = self.purged.to_string();
        let mut w = Writer::new(Self::MAGIC, 1, 48 + self.id.len() + purged.len());
        w.string(&self.id);
        w.uint(self.applied_at);
        w.out.push(self.mode.byte());
        w.string(&purged);
        w.uint(self.stamp_writes as u64);
        w.out.push(u8::from(self.logged));
        w.uint(self.staleness_bound_ms);
        w.out.push(u8::from(self.seq.is_some()));
        w.uint(self.seq.unwrap_or_default());
        w.out
    }

    /// A kept receipt, as the answer to a replay.
    fn decode_replayed(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::open(bytes, Self::MAGIC, 1)?;
        let id = r.string()?;
        let applied_at = r.uint()?;
        let mode = Mode::read(&mut r)?;
        let purged = serde_json::from_str(&r.string()?).map_err(|_| DecodeError::Corrupt)?;
        let stamp_writes = r.uint()? as usize;
        let logged = r.byte()? == 1;
        let staleness_bound_ms = r.uint()?;
        let has_seq = r.byte()? == 1;
        let seq = r.uint()?;
        r.finish()?;
        let seq = has_seq.then_some(seq);
        Ok(Self { id, applied_at, mode, purged, stamp_writes, logged, staleness_bound_ms, seq, replayed: true })
    }
}

/// The purge endpoint's logic, independent of HTTP.
///
/// ```
/// use edgecache::core::{CacheBuilder, ManualClock, MemoryStore};
/// use edgecache::core::purge::{sign, MemoryReplayGuard, PurgeEndpoint, PurgeRequest, Secrets, SignedHeaders};
/// # futures::executor::block_on(async {
/// let clock = ManualClock::new(1_700_000_000_000);
/// let cache = CacheBuilder::new(MemoryStore::new(clock.clone()), clock.clone()).build().unwrap();
/// let secrets = Secrets::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// let endpoint = PurgeEndpoint::new(secrets.clone(), MemoryReplayGuard::new(10_000));
/// let body = PurgeRequest::new().tag("articles").to_json();
/// let sig = sign(secrets.primary(), "msg_1", 1_700_000_000, body.as_bytes()).unwrap();
/// let headers = SignedHeaders { id: Some("msg_1"), timestamp: Some("1700000000"), signature: Some(&sig) };
/// let receipt = endpoint.handle(&cache, &headers, body.as_bytes(), 1_700_000_000_000).await.unwrap();
/// assert_eq!(receipt.stamp_writes, 2);
/// # });
/// ```
#[derive(Debug)]
pub struct PurgeEndpoint<G> {
    secrets: Secrets,
    guard: G,
    verify_limits: VerifyLimits,
    request_limits: RequestLimits,
    staleness_bound_ms: u64,
    actor: String,
    url_key: fn(&str) -> Result<String, String>,
}

impl<G: ReplayGuard> PurgeEndpoint<G> {
    /// An endpoint accepting `secrets`, remembering ids in `guard`.
    pub fn new(secrets: Secrets, guard: G) -> Self {
        Self {
            secrets,
            guard,
            verify_limits: VerifyLimits::default(),
            request_limits: RequestLimits::default(),
            staleness_bound_ms: 61_000,
            actor: "signed-purge".into(),
            url_key: |url| Ok(url.to_owned()),
        }
    }

    /// Signature limits (tolerance, body size, token count).
    #[must_use]
    pub fn verify_limits(mut self, limits: VerifyLimits) -> Self {
        self.verify_limits = limits;
        self
    }

    /// Body limits.
    #[must_use]
    pub fn request_limits(mut self, limits: RequestLimits) -> Self {
        self.request_limits = limits;
        self
    }

    /// The staleness bound the deployment documents (KV propagation + stamp memo interval;
    /// default 61 s), reported in receipts.
    #[must_use]
    pub fn staleness_bound_ms(mut self, bound: u64) -> Self {
        self.staleness_bound_ms = bound;
        self
    }

    /// How URLs in a request become cache keys (default: the URL itself).
    #[must_use]
    pub fn url_key(mut self, map: fn(&str) -> Result<String, String>) -> Self {
        self.url_key = map;
        self
    }

    /// Admits a signed read of a control endpoint (the log, the tag index): `headers` must sign
    /// [`read_content`]`(method, target)` — what is asked, so captured headers cannot ask for
    /// anything else — and their id must not have been used before (it is remembered for the
    /// tolerance window, as a purge's is). Nothing is answered from the replay set: a read is
    /// not idempotent the way a purge is.
    pub async fn admit_read(
        &self,
        headers: &SignedHeaders<'_>,
        method: &str,
        target: &str,
        now: Millis,
    ) -> Result<(), PurgeError> {
        let content = read_content(method, target);
        let verified = verify(&self.secrets, headers, content.as_bytes(), now / 1000, &self.verify_limits)?;
        if self.guard.recall(&verified.id, now).await.map_err(PurgeError::ReplayGuard)?.is_some() {
            return Err(PurgeError::AlreadyUsed);
        }
        let until = (verified.timestamp + self.verify_limits.tolerance_secs + 1) * 1000;
        self.guard
            .remember(&verified.id, bytes::Bytes::new(), now, until.max(now + 1))
            .await
            .map_err(PurgeError::ReplayGuard)
    }

    /// Verifies and applies one request at `now` (ms) through `target`. On any error nothing
    /// was applied. A replay of an applied request is answered with its first receipt (marked
    /// `replayed`) and applies nothing.
    pub async fn handle(
        &self,
        target: &impl Apply,
        headers: &SignedHeaders<'_>,
        body: &[u8],
        now: Millis,
    ) -> Result<Receipt, PurgeError> {
        let verified = verify(&self.secrets, headers, body, now / 1000, &self.verify_limits)?;
        if let Some(answer) = self.guard.recall(&verified.id, now).await.map_err(PurgeError::ReplayGuard)? {
            // Ids remembered without their receipt (by earlier builds) are refused as before.
            return Receipt::decode_replayed(&answer).map_err(|_| PurgeError::AlreadyApplied);
        }
        let request = PurgeRequest::parse(body, &self.request_limits)?;
        let scopes = request.scopes(self.url_key)?;
        let invalidation =
            Invalidation::of(scopes).mode_of(request.mode).by(self.actor.clone()).id(verified.id.clone());
        let applied = target.apply(invalidation).await.map_err(|e| match e {
            CacheError::InvalidPrefix(_) => item_error("prefixes", &e),
            CacheError::InvalidTag { .. } => item_error("tags", &e),
            CacheError::KeyLength { .. } => item_error("keys", &e),
            other => PurgeError::Apply(other),
        })?;
        let receipt = Receipt {
            id: verified.id,
            applied_at: applied.record.at,
            mode: request.mode,
            purged: request.to_value(),
            stamp_writes: applied.writes,
            logged: applied.logged,
            staleness_bound_ms: self.staleness_bound_ms,
            seq: applied.seq,
            replayed: false,
        };
        // Remember the id until its timestamp can no longer pass the tolerance check. A failure
        // here leaves a (harmless, idempotent) re-application possible, not a lost purge.
        let until = (verified.timestamp + self.verify_limits.tolerance_secs + 1) * 1000;
        let _ = self.guard.remember(&receipt.id, receipt.encode().into(), now, until.max(now + 1)).await;
        Ok(receipt)
    }
}

/// What the headers of a signed read sign in place of a body: its method and its target (the
/// path and query as sent), e.g. `GET /_edgecache/log?limit=10`.
#[must_use]
pub fn read_content(method: &str, target: &str) -> String {
    format!("{method} {target}")
}

fn item_error(field: &str, error: &CacheError) -> PurgeError {
    PurgeError::InvalidItem { field: field.into(), reason: error.to_string() }
}
