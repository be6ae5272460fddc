//! Benchmark: what the core alone spends on the npm benchmark's `getOrSet` miss with 2 tags,
//! natively (no wasm, no JS): a new key each call over the in-memory store, configured as the
//! npm package configures it (no stamp memo, no tag index). It bounds what any front over this
//! core can reach. Prints the median of 5 rounds of 20,000 calls in µs, with min–max.
//! Run: `cargo run --release --example get_or_set_cost`.

use std::time::{Duration, Instant};

use edgecache::core::{CacheBuilder, Loaded, ManualClock, MemoryStore, SetOptions};
use futures::executor::block_on;

fn main() {
    let clock = ManualClock::new(1_700_000_000_000);
    let value = "x".repeat(200);
    let mut rounds = Vec::new();
    for round in 0..5 {
        let store = MemoryStore::bounded(clock.clone(), 100_000 * 600);
        let cache = CacheBuilder::new(store, clock.clone())
            .stamp_memo(Duration::ZERO)
            .tag_index(false)
            .build()
            .expect("valid settings");
        let n = 20_000;
        let start = Instant::now();
        for i in 0..n {
            let key = format!("/articles/{i}?v=1&r={round}");
            let options = SetOptions::new()
                .ttl(Duration::from_secs(60))
                .tags(["articles".to_owned(), format!("a{}", key.len() % 7)]);
            let loaded = block_on(cache.get_or_set(&key, options, || async { Ok(Loaded::new(value.clone())) }));
            assert!(loaded.is_ok());
        }
        rounds.push(start.elapsed().as_secs_f64() * 1e6 / f64::from(n));
    }
    rounds.sort_by(f64::total_cmp);
    println!("{:.2} {:.2} {:.2}", rounds[2], rounds[0], rounds[4]);
}
