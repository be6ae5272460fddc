//! The size limits every call checks before touching the store.

use bytes::Bytes;

use super::{Cache, SetOptions};
use crate::core::error::CacheError;
use crate::core::store::KvStore;

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
