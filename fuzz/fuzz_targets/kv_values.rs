//! Whatever bytes KV holds under an entry or a stamp key (corrupt, foreign, truncated): a
//! lookup never panics and never answers a value it did not store.
#![no_main]
use bytes::Bytes;
use edgecache::core::{CacheBuilder, KvStore, KvTtl, Lookup, ManualClock, MemoryStore, PutOptions, Scope, SetOptions};
use futures::executor::block_on;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let clock = ManualClock::new(1_700_000_000_000);
    let cache = CacheBuilder::new(MemoryStore::new(clock.clone()), clock.clone()).build().unwrap();
    let ttl = PutOptions::new(KvTtl::covering_ms(60_000));
    let (first, second) = data.split_at(data.len() / 2);
    block_on(async {
        cache.set("k", "stored", SetOptions::new().tag("t")).await.unwrap();
        let [hard, _] = cache.key_space().stamps(&Scope::Tag("t".into()));
        cache.store().put(&hard, Bytes::copy_from_slice(first), ttl.clone()).await.unwrap();
        if let Lookup::Fresh(hit) | Lookup::Stale(hit, ..) = cache.get("k").await.unwrap() {
            assert_eq!(&hit.value[..], b"stored");
        }
        cache.store().put(&cache.key_space().entry("k", 0), Bytes::copy_from_slice(second), ttl).await.unwrap();
        let _ = cache.get("k").await.unwrap();
    });
});
