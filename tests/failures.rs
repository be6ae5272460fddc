//! Failure injection: store errors on every operation surface as typed errors or misses, never
//! panics, and a purge whose write failed is never reported or logged as applied.
#![cfg(not(target_arch = "wasm32"))] // native suites; tests/wasm.rs is the wasm one

use std::time::Duration;

use edgecache::core::{
    CacheBuilder, CacheError, Invalidation, LoadError, Loaded, Lookup, ManualClock, Scope, SetOptions, SimulatedKv,
    Source, StoreError, StoreOp,
};
use futures::executor::block_on;
use proptest::prelude::*;

fn setup() -> (edgecache::core::Cache<SimulatedKv>, SimulatedKv, ManualClock) {
    let clock = ManualClock::new(1_700_000_000_000);
    let kv = SimulatedKv::new(clock.clone(), 0, 5);
    let cache = CacheBuilder::new(kv.clone(), clock.clone()).stamp_memo(Duration::ZERO).build().unwrap();
    (cache, kv, clock)
}

fn unavailable(e: &CacheError) -> bool {
    matches!(e, CacheError::Store(StoreError::Unavailable(_)))
}

#[test]
fn failed_reads_are_typed_errors_for_get() {
    let (cache, kv, _) = setup();
    block_on(cache.set("k", "v", SetOptions::new())).unwrap();
    kv.fail(StoreOp::Get, Some(1));
    assert!(unavailable(&block_on(cache.get("k")).unwrap_err()));
    kv.fail(StoreOp::GetMany, Some(1));
    assert!(unavailable(&block_on(cache.get("k")).unwrap_err()), "a failed stamp read is not a hit");
    assert!(block_on(cache.get("k")).unwrap().fresh().is_some());
    assert_eq!(cache.stats().store_errors, 2);
}

#[test]
fn get_or_set_falls_through_to_the_loader_when_the_store_fails() {
    let (cache, kv, _) = setup();
    let load = || async { Ok(Loaded::new("from origin")) };
    kv.fail(StoreOp::Get, Some(1));
    let f = block_on(cache.get_or_set("a", SetOptions::new(), load)).unwrap();
    assert_eq!((f.hit.value.as_ref(), f.source), (&b"from origin"[..], Source::Loaded { not_stored: None }));

    kv.fail(StoreOp::GetMany, None);
    let f = block_on(cache.get_or_set("b", SetOptions::new(), load)).unwrap();
    assert!(
        matches!(f.source, Source::Loaded { not_stored: Some(ref e) } if unavailable(e)),
        "unfenced: loaded, not stored"
    );
    kv.heal();
    assert!(matches!(block_on(cache.get("b")).unwrap(), Lookup::Miss(_)));

    kv.fail(StoreOp::Put, None);
    let f = block_on(cache.get_or_set("c", SetOptions::new(), load)).unwrap();
    assert_eq!(f.hit.value, "from origin");
    assert!(matches!(f.source, Source::Loaded { not_stored: Some(ref e) } if unavailable(e)));
    kv.heal();
}

#[test]
fn set_reports_a_failed_write() {
    let (cache, kv, _) = setup();
    kv.fail(StoreOp::Put, Some(1));
    assert!(unavailable(&block_on(cache.set("k", "v", SetOptions::new())).unwrap_err()));
    // A failed index write is not a failed set: correctness never depends on the index.
    block_on(cache.set("warm", "v", SetOptions::new().tag("t"))).unwrap();
    kv.fail_after(StoreOp::Put, 1, Some(1));
    block_on(cache.set("warm", "v2", SetOptions::new().tag("t"))).unwrap();
    assert!(block_on(cache.get("warm")).unwrap().fresh().is_some());
}

#[test]
fn a_purge_whose_stamp_write_failed_is_not_applied_or_logged() {
    let (cache, kv, _) = setup();
    block_on(cache.set("k", "v", SetOptions::new().tag("t"))).unwrap();
    kv.fail(StoreOp::Put, Some(1));
    let err = block_on(cache.invalidate(Invalidation::tag("t"))).unwrap_err();
    assert!(matches!(err, CacheError::InvalidationIncomplete { applied: 0, total: 1, .. }), "{err:?}");
    assert_eq!(cache.stats().invalidations, 0);
    assert!(block_on(cache.log(0, None)).unwrap().records.is_empty());
    assert!(block_on(cache.get("k")).unwrap().fresh().is_some(), "nothing changed");
    // The any-purge stamp written, the hard one not: still not reported as applied.
    kv.fail_after(StoreOp::Put, 1, Some(1));
    assert!(block_on(cache.invalidate(Invalidation::tag("t"))).is_err());
    assert!(block_on(cache.log(0, None)).unwrap().records.is_empty());
}

#[test]
fn a_partly_applied_multi_scope_purge_says_how_far_it_got() {
    let (cache, kv, _) = setup();
    kv.fail_after(StoreOp::Put, 2, Some(1)); // first scope's two stamps succeed
    let err = block_on(cache.invalidate(Invalidation::tag("a").and_tag("b"))).unwrap_err();
    assert!(matches!(err, CacheError::InvalidationIncomplete { applied: 1, total: 2, .. }), "{err:?}");
    assert!(block_on(cache.log(0, None)).unwrap().records.is_empty());
    // Retrying the whole request is safe.
    let applied = block_on(cache.invalidate(Invalidation::tag("a").and_tag("b"))).unwrap();
    assert!(applied.logged);
}

#[test]
fn a_failed_log_write_does_not_undo_the_purge() {
    let (cache, kv, _) = setup();
    block_on(cache.set("k", "v", SetOptions::new().tag("t"))).unwrap();
    kv.fail_after(StoreOp::Put, 2, Some(1)); // both stamps written, the log record fails
    let applied = block_on(cache.invalidate(Invalidation::tag("t"))).unwrap();
    assert!(!applied.logged);
    assert!(matches!(block_on(cache.get("k")).unwrap(), Lookup::Miss(_)));
}

#[test]
fn list_failures_are_typed_errors_for_log_and_sweep() {
    let (cache, kv, _) = setup();
    kv.fail(StoreOp::List, None);
    assert!(unavailable(&block_on(cache.log(0, None)).unwrap_err()));
    assert!(unavailable(&block_on(cache.sweep(&Scope::Tag("t".into()), None)).unwrap_err()));
    kv.heal();
    block_on(cache.set("k", "v", SetOptions::new().tag("t"))).unwrap();
    block_on(cache.invalidate(Invalidation::tag("t"))).unwrap();
    kv.fail(StoreOp::Delete, Some(1));
    assert!(block_on(cache.sweep(&Scope::Tag("t".into()), None)).is_err());
    // The sweep resumes where it failed.
    assert_eq!(block_on(cache.sweep(&Scope::Tag("t".into()), None)).unwrap().deleted, 1);
}

#[test]
fn stale_if_error_covers_a_failing_loader_and_store() {
    let (cache, kv, clock) = setup();
    let opts = SetOptions::new().ttl(Duration::from_secs(1)).stale_if_error(Duration::from_secs(600));
    block_on(cache.set("k", "old", opts.clone())).unwrap();
    clock.advance(5_000);
    kv.fail(StoreOp::Put, None);
    let f = block_on(cache.get_or_set("k", opts, || async { Err(LoadError::new("timeout")) })).unwrap();
    assert_eq!(f.hit.value, "old");
}

#[derive(Debug, Clone)]
enum Op {
    Set(u8, u8),
    Get(u8),
    Fill(u8, u8),
    Purge(u8, bool),
}

proptest! {
    /// Random operations against a store that fails 20% of every kind of call: nothing panics,
    /// every purge that returned Ok is logged and holds, every purge that failed is not logged,
    /// and a value stored before a successful hard purge of its tag is never fresh again.
    #[test]
    fn random_failures_never_break_the_guarantees(ops in proptest::collection::vec(prop_oneof![
        (0u8..4, 0u8..3).prop_map(|(k, t)| Op::Set(k, t)),
        (0u8..4).prop_map(Op::Get),
        (0u8..4, 0u8..3).prop_map(|(k, t)| Op::Fill(k, t)),
        (0u8..3, any::<bool>()).prop_map(|(t, soft)| Op::Purge(t, soft)),
    ], 1..60)) {
        let (cache, kv, clock) = setup();
        for op in [StoreOp::Get, StoreOp::GetMany, StoreOp::Put, StoreOp::Delete, StoreOp::List] {
            kv.fail_randomly(op, 200);
        }
        // Per key: (value, tag, set at op n); per tag: op n of the last successful hard purge.
        let mut stored: std::collections::HashMap<u8, (String, u8, usize)> = Default::default();
        let mut purged: std::collections::HashMap<u8, usize> = Default::default();
        let mut applied = 0usize;
        for (n, op) in ops.into_iter().enumerate() {
            clock.advance(1);
            match op {
                Op::Set(k, t) => {
                    let v = format!("v{n}");
                    if block_on(cache.set(&format!("k{k}"), v.clone(), SetOptions::new().tag(format!("t{t}")))).is_ok() {
                        stored.insert(k, (v, t, n));
                    }
                }
                Op::Fill(k, t) => {
                    let v = format!("v{n}");
                    let loaded = v.clone();
                    if let Ok(f) = block_on(cache.get_or_set(&format!("k{k}"), SetOptions::new().tag(format!("t{t}")), || async move { Ok(Loaded::new(loaded)) })) {
                        if matches!(f.source, Source::Loaded { not_stored: None }) {
                            stored.insert(k, (v, t, n));
                        }
                    }
                }
                Op::Get(k) => {
                    if let Ok(Lookup::Fresh(hit)) = block_on(cache.get(&format!("k{k}"))) {
                        let (v, t, at) = stored.get(&k).cloned().expect("a fresh hit for a key never stored");
                        prop_assert_eq!(hit.value, v.as_bytes(), "served a value other than the last stored");
                        prop_assert!(purged.get(&t).is_none_or(|p| *p < at), "fresh after a successful hard purge of its tag");
                    }
                }
                Op::Purge(t, soft) => {
                    let request = Invalidation::tag(format!("t{t}"));
                    let request = if soft { request.soft() } else { request };
                    if let Ok(done) = block_on(cache.invalidate(request)) {
                        applied += usize::from(done.logged);
                        if !soft {
                            purged.insert(t, n);
                        }
                    }
                }
            }
        }
        kv.heal();
        let logged = block_on(cache.log(0, None)).unwrap().records.len();
        prop_assert_eq!(logged, applied, "log holds exactly the applied purges");
        prop_assert_eq!(cache.stats().invalidations as usize >= applied, true);
    }
}
