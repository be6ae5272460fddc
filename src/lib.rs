//! # edgecache
//!
//! A cache for the edge and for JS apps, compiled to WebAssembly: values live in a KV store
//! (Workers KV at the edge, memory or IndexedDB in apps) with TTLs, version-suffixed keys and
//! tags; the origin purges by key, tag, prefix or everything, hard or soft, through a signed
//! call; a purge never lets a slow fill resurrect what it removed.
//!
//! ## Features
//!
//! | feature | what it adds |
//! |---|---|
//! | *(none)* | [`core`]: the cache engine over any [`core::KvStore`], the in-memory store, signed purges ([`core::purge`]) |
//! | *(none)* | [`platform`]: `SystemClock` on native targets (the wasm fronts add `JsClock`, `random_seed`) |
//! | `testing` | `core::SimulatedKv`: an eventually consistent, failure-injecting store for tests |
//! | `cli` (default) | the `edgecache` purge/sign/verify CLI (native only) |
//! | `worker` | `edgecache::worker`: the Cloudflare Worker front (caching reverse proxy over Workers KV) |
//! | `js` | `edgecache::js`: the npm package front (`EdgeCache`, JS stores, `followEdge`, `signPurge`) |
//!
//! ## Example
//!
//! ```
//! use std::time::Duration;
//! use edgecache::core::{Loaded, ManualClock, Source};
//! use edgecache::{CacheBuilder, Invalidation, MemoryStore, SetOptions};
//! # futures::executor::block_on(async {
//! let clock = ManualClock::new(0);
//! let cache = CacheBuilder::new(MemoryStore::new(clock.clone()), clock.clone()).build().unwrap();
//! let opts = SetOptions::new().ttl(Duration::from_secs(60)).tags(["articles", "article:hello"]);
//! let first = cache.get_or_set("article:hello", opts.clone(), || async { Ok(Loaded::new("<h1>Hello</h1>")) }).await.unwrap();
//! assert!(matches!(first.source, Source::Loaded { not_stored: None }));
//! let again = cache.get_or_set("article:hello", opts, || async { Ok(Loaded::new("unused")) }).await.unwrap();
//! assert_eq!(again.source, Source::Cached);
//! // The origin saved the article: one write, whatever the number of tagged entries.
//! cache.invalidate(Invalidation::tag("article:hello").by("django")).await.unwrap();
//! assert!(cache.get("article:hello").await.unwrap().fresh().is_none());
//! # });
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod core;
// The types most programs use, at the root (as moka and quick-cache export theirs); the rest
// stays under `core` and its modules.
pub use core::{Cache, CacheBuilder, Invalidation, KvStore, Lookup, MemoryStore, SetOptions};
#[cfg(feature = "js")]
pub mod js;
pub mod platform;
#[cfg(feature = "worker")]
pub mod worker;

/// The README's Rust example, compiled and run as a doc test (`cargo test --doc`).
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeExample;
