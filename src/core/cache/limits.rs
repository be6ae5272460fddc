//! The size limits every call checks before touching the store.

use bytes::Bytes;

use super::defaults::{DEFAULT_MAX_KEY_BYTES, DEFAULT_MAX_TAGS, DEFAULT_MAX_TAG_BYTES, DEFAULT_MAX_VALUE_BYTES};
use super::{Cache, SetOptions};
use crate::core::error::CacheError;
use crate::core::store::KvStore;

/// Size limits; exceeding one is a typed error, never a truncation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Longest key, in bytes (keys over KV's 512 bytes are hashed, so this may be larger).
    /// Defaults to: [`DEFAULT_MAX_KEY_BYTES`].
    pub max_key_bytes: usize,
    /// Most tags on one entry (at most [`MAX_TAGS_LIMIT`](super::defaults::MAX_TAGS_LIMIT)).
    /// Defaults to: [`DEFAULT_MAX_TAGS`].
    pub max_tags: usize,
    /// Longest tag, in bytes (at most [`MAX_TAG_BYTES_LIMIT`](super::defaults::MAX_TAG_BYTES_LIMIT)).
    /// Defaults to: [`DEFAULT_MAX_TAG_BYTES`].
    pub max_tag_bytes: usize,
    /// Largest value, in bytes (at most [`MAX_VALUE_LIMIT`](super::defaults::MAX_VALUE_LIMIT):
    /// Workers KV stores at most 25 MiB including the envelope). Defaults to:
    /// [`DEFAULT_MAX_VALUE_BYTES`] (1 MiB).
    pub max_value_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_key_bytes: DEFAULT_MAX_KEY_BYTES,
            max_tags: DEFAULT_MAX_TAGS,
            max_tag_bytes: DEFAULT_MAX_TAG_BYTES,
            max_value_bytes: DEFAULT_MAX_VALUE_BYTES,
        }
    }
}

impl<S: KvStore> Cache<S> {
    pub(crate) fn check_key(&self, key: &str) -> Result<(), CacheError> {
        let max = self.settings.limits.max_key_bytes;
        if key.is_empty() || key.len() > max {
            return Err(CacheError::KeyLength { len: key.len(), max });
        }
        Ok(())
    }

    pub(crate) fn check_tags(&self, tags: &[String]) -> Result<(), CacheError> {
        let limits = &self.settings.limits;
        if tags.len() > limits.max_tags {
            return Err(CacheError::TooManyTags { count: tags.len(), max: limits.max_tags });
        }
        for tag in tags {
            if tag.is_empty() || tag.len() > limits.max_tag_bytes || tag.chars().any(char::is_control) {
                return Err(CacheError::InvalidTag { len: tag.len(), max: limits.max_tag_bytes });
            }
        }
        Ok(())
    }

    pub(super) fn check_entry_options(&self, key: &str, options: &SetOptions) -> Result<(), CacheError> {
        self.check_key(key)?;
        self.check_tags(&options.tags)
    }

    pub(super) fn check_entry(&self, key: &str, value: &Bytes, options: &SetOptions) -> Result<(), CacheError> {
        self.check_entry_options(key, options)?;
        self.check_value(value)
    }

    pub(super) fn check_value(&self, value: &Bytes) -> Result<(), CacheError> {
        let max = self.settings.limits.max_value_bytes;
        if value.len() > max {
            return Err(CacheError::ValueTooLarge { len: value.len(), max });
        }
        Ok(())
    }
}
