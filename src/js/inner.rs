//! What one `EdgeCache` holds: the core's cache over its store, and the hot memo beside it.

use std::cell::RefCell;

use wasm_bindgen::JsValue;

use super::near::Memo;
use super::store::AnyStore;
use crate::core::{Cache, Invalidation};

/// The cache and its memo, shared by the `EdgeCache` and its `followEdge` loop.
pub(super) struct Inner {
    pub cache: Cache<AnyStore>,
    /// The hot memo, over the in-memory store only (a shared store changes behind our back).
    pub near: Option<Memo>,
    /// Where `set` has JS encode a key and a text value together (`value::encode_pair`).
    pub scratch: RefCell<Vec<u8>>,
}

impl Inner {
    /// Drops what a write to `key` may change in the memo.
    pub(super) fn forget(&self, key: &str) {
        if self.near.is_some() {
            self.forget_value(&key.into());
        }
    }

    /// [`forget`](Self::forget) for the key as JS gave it (no string crosses the boundary).
    pub(super) fn forget_value(&self, key: &JsValue) {
        if let Some(near) = &self.near {
            near.forget(key);
        }
    }

    /// Forgets `key`, or everything.
    pub(super) fn forget_scope(&self, key: Option<&str>) {
        match key {
            Some(key) => self.forget(key),
            None => self.forget_all(),
        }
    }

    /// Empties the memo.
    pub(super) fn forget_all(&self) {
        if let Some(near) = &self.near {
            near.clear();
        }
    }

    /// Invalidates `tags` in one call, as `followEdge` does when the edge purged them; false
    /// when the store refused it.
    pub(super) async fn invalidate_tags(&self, tags: Vec<String>) -> bool {
        let mut request = Invalidation::of([]).by("followEdge");
        for tag in tags {
            request = request.and_tag(tag);
        }
        self.forget_all();
        let applied = self.cache.invalidate(request).await.is_ok();
        self.forget_all();
        applied
    }
}
