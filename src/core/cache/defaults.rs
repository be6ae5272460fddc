//! The defaults of a [`CacheBuilder`](super::CacheBuilder) and its bounds, named once for the
//! builder, its docs and the fronts that configure it.

use std::time::Duration;

/// The namespace of a cache built without one.
pub const DEFAULT_NAMESPACE: &str = "edgecache";
/// The key-space generation of a cache built without one.
pub const DEFAULT_GENERATION: &str = "0";
/// Longest namespace, in characters of `[A-Za-z0-9_-]`.
pub const MAX_NAMESPACE_LEN: usize = 32;
/// Longest generation, in characters of `[A-Za-z0-9_-]`.
pub const MAX_GENERATION_LEN: usize = 16;

/// TTL of values stored without one.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// How long stamps read from the store are reused.
pub const DEFAULT_STAMP_MEMO: Duration = Duration::from_secs(1);
/// TTL of stamps, renewed by each invalidation.
pub const DEFAULT_STAMP_TTL: Duration = Duration::from_secs(30 * 86_400);
/// How long invalidation-log records are kept.
pub const DEFAULT_LOG_TTL: Duration = Duration::from_secs(7 * 86_400);
/// Clock skew allowed between locations when judging whether an invalidation raced a load.
pub const DEFAULT_RACE_SKEW: Duration = Duration::from_secs(5);

/// How often a waiter checks for a leader's result when waiting by polling
/// ([`CacheBuilder::wait_by_polling`](super::CacheBuilder::wait_by_polling)): short, since a fill
/// is often a few milliseconds and a waiter gives nothing away by checking a memory cell.
pub const POLL_INTERVAL: Duration = Duration::from_millis(5);

/// Longest key, in bytes.
pub const DEFAULT_MAX_KEY_BYTES: usize = 2048;
/// Most tags on one entry.
pub const DEFAULT_MAX_TAGS: usize = 64;
/// Longest tag, in bytes.
pub const DEFAULT_MAX_TAG_BYTES: usize = 128;
/// Largest value, in bytes.
pub const DEFAULT_MAX_VALUE_BYTES: usize = 1 << 20;

/// The largest `max_value_bytes` accepted: Workers KV stores at most 25 MiB, envelope included.
pub const MAX_VALUE_LIMIT: usize = 25 * (1 << 20) - (1 << 16);
/// The largest `max_tags` accepted.
pub const MAX_TAGS_LIMIT: usize = 200;
/// The largest `max_tag_bytes` accepted.
pub const MAX_TAG_BYTES_LIMIT: usize = 512;

/// How much longer a stamp outlives the longest-kept entry (covers store propagation and clock
/// skew between locations); the stamp TTL is at least twice this.
pub(crate) const STAMP_MARGIN_MS: u64 = 3_600_000;
