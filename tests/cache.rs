//! Behaviour of the cache API, one property per test.
#![cfg(not(target_arch = "wasm32"))] // native suites; tests/wasm.rs is the wasm one

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use edgecache::core::{
    BuildError, Cache, CacheBuilder, CacheError, Clock, Invalidation, KvStore, KvTtl, Limits, ListOptions, LoadError,
    Loaded, Lookup, ManualClock, MemoryStore, MissReason, Mode, PutOptions, Scope, SetOptions, SimulatedKv, Source,
    StaleReason, StaleUse, StoreOp,
};
use futures::channel::oneshot;
use futures::executor::block_on;
use futures::future::join_all;

const T0: u64 = 1_700_000_000_000;

fn cache() -> (Cache<MemoryStore>, ManualClock) {
    let clock = ManualClock::new(T0);
    let cache = CacheBuilder::new(MemoryStore::new(clock.clone()), clock.clone()).build().unwrap();
    (cache, clock)
}

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn value(lookup: &Lookup) -> Option<&[u8]> {
    match lookup {
        Lookup::Fresh(hit) | Lookup::Stale(hit, ..) => Some(&hit.value),
        Lookup::Miss(_) => None,
    }
}

#[test]
fn sub_minute_ttls_are_exact_although_kv_keeps_the_key_for_60s() {
    let (cache, clock) = cache();
    block_on(cache.set("k", "v", SetOptions::new().ttl(Duration::from_millis(1_500)))).unwrap();
    clock.advance(1_499);
    assert!(block_on(cache.get("k")).unwrap().fresh().is_some());
    clock.advance(1);
    assert_eq!(block_on(cache.get("k")).unwrap(), Lookup::Miss(MissReason::Expired));
    // The KV write carried the 60 s minimum; the envelope's own times decided.
    assert!(block_on(cache.store().get(&cache.key_space().entry("k", 0))).unwrap().is_some());
    clock.advance(60_000);
    assert!(block_on(cache.store().get(&cache.key_space().entry("k", 0))).unwrap().is_none());
}

#[test]
fn stale_windows_follow_freshness() {
    let (cache, clock) = cache();
    let opts = SetOptions::new().ttl(secs(10)).stale_while_revalidate(secs(5)).stale_if_error(secs(60));
    block_on(cache.set("k", "v", opts)).unwrap();
    clock.advance(10_000);
    assert!(matches!(
        block_on(cache.get("k")).unwrap(),
        Lookup::Stale(_, StaleReason::Expired, StaleUse::WhileRevalidating)
    ));
    clock.advance(5_000);
    assert!(matches!(block_on(cache.get("k")).unwrap(), Lookup::Stale(_, StaleReason::Expired, StaleUse::OnErrorOnly)));
    clock.advance(54_999);
    assert!(matches!(block_on(cache.get("k")).unwrap(), Lookup::Stale(..)));
    clock.advance(1);
    assert!(matches!(block_on(cache.get("k")).unwrap(), Lookup::Miss(MissReason::Expired | MissReason::Absent)));
}

#[test]
fn tag_purge_hard_and_soft() {
    let (cache, _) = cache();
    let opts = |tag: &str| SetOptions::new().ttl(secs(60)).stale_while_revalidate(secs(30)).tag(tag);
    block_on(cache.set("a", "1", opts("red"))).unwrap();
    block_on(cache.set("b", "2", opts("blue"))).unwrap();
    block_on(cache.invalidate(Invalidation::tag("red").soft())).unwrap();
    assert!(matches!(
        block_on(cache.get("a")).unwrap(),
        Lookup::Stale(_, StaleReason::SoftInvalidated, StaleUse::WhileRevalidating)
    ));
    assert!(block_on(cache.get("b")).unwrap().fresh().is_some(), "other tags untouched");
    block_on(cache.invalidate(Invalidation::tag("red"))).unwrap();
    assert_eq!(block_on(cache.get("a")).unwrap(), Lookup::Miss(MissReason::Invalidated));
    // A later soft purge must not weaken the earlier hard one.
    block_on(cache.invalidate(Invalidation::tag("red").soft())).unwrap();
    assert_eq!(block_on(cache.get("a")).unwrap(), Lookup::Miss(MissReason::Invalidated));
    // Stored after the purge: valid.
    block_on(cache.set("a", "3", opts("red"))).unwrap();
    assert_eq!(value(&block_on(cache.get("a")).unwrap()), Some(&b"3"[..]));
}

#[test]
fn prefix_key_and_everything_scopes() {
    let (cache, _) = cache();
    for key in ["article:1", "article:1:comments", "article:2", "user:1"] {
        block_on(cache.set(key, key, SetOptions::new())).unwrap();
    }
    block_on(cache.invalidate(Invalidation::prefix("article:1:"))).unwrap();
    assert!(block_on(cache.get("article:1:comments")).unwrap().fresh().is_none());
    assert!(block_on(cache.get("article:1")).unwrap().fresh().is_some());
    block_on(cache.invalidate(Invalidation::prefix("article:"))).unwrap();
    assert!(block_on(cache.get("article:1")).unwrap().fresh().is_none());
    assert!(block_on(cache.get("article:2")).unwrap().fresh().is_none());
    assert!(block_on(cache.get("user:1")).unwrap().fresh().is_some());
    block_on(cache.invalidate(Invalidation::everything())).unwrap();
    assert!(block_on(cache.get("user:1")).unwrap().fresh().is_none());
    assert_eq!(
        block_on(cache.invalidate(Invalidation::prefix("artic"))).unwrap_err(),
        CacheError::InvalidPrefix("artic".into())
    );
    assert!(matches!(block_on(cache.invalidate(Invalidation::of([]))), Err(CacheError::EmptyInvalidation)));
}

#[test]
fn versions_explicit_and_managed() {
    let (cache, _) = cache();
    block_on(cache.set("article:7", "v1", SetOptions::new().version(1))).unwrap();
    block_on(cache.set("article:7", "v2", SetOptions::new().version(2))).unwrap();
    assert_eq!(value(&block_on(cache.get_version("article:7", 1)).unwrap()), Some(&b"v1"[..]));
    assert_eq!(value(&block_on(cache.get_version("article:7", 2)).unwrap()), Some(&b"v2"[..]));
    assert_eq!(block_on(cache.get_version("article:7", 3)).unwrap(), Lookup::Miss(MissReason::Absent));
    assert_eq!(block_on(cache.version("article:7")).unwrap(), 0);
    assert_eq!(block_on(cache.bump_version("article:7")).unwrap(), 1);
    assert_eq!(block_on(cache.bump_version("article:7")).unwrap(), 2);
    assert_eq!(block_on(cache.version("article:7")).unwrap(), 2);
    // A bump invalidates every version of the key; a hard key purge keeps the version number.
    assert_eq!(block_on(cache.get_version("article:7", 1)).unwrap(), Lookup::Miss(MissReason::Invalidated));
    block_on(cache.invalidate(Invalidation::key("article:7"))).unwrap();
    assert_eq!(block_on(cache.version("article:7")).unwrap(), 2);
}

#[test]
fn missing_or_corrupt_stamps_never_make_an_entry_valid() {
    let (cache, clock) = cache();
    // Stamps exist once the tag was purged; the entry records them.
    block_on(cache.invalidate(Invalidation::tag("t"))).unwrap();
    block_on(cache.set("k", "v", SetOptions::new().ttl(secs(600)).tag("t"))).unwrap();
    let [hard, _] = cache.key_space().stamps(&Scope::Tag("t".into()));
    block_on(cache.store().delete(&hard)).unwrap();
    clock.advance(1_000); // past the stamp memo
    assert_eq!(block_on(cache.get("k")).unwrap(), Lookup::Miss(MissReason::Invalidated));
    block_on(cache.set("k", "v", SetOptions::new().ttl(secs(600)).tag("t"))).unwrap();
    block_on(cache.store().put(&hard, Bytes::from_static(b"\xff\x00"), PutOptions::new(KvTtl::covering_ms(0))))
        .unwrap();
    clock.advance(1_000);
    assert_eq!(block_on(cache.get("k")).unwrap(), Lookup::Miss(MissReason::Invalidated));
}

#[test]
fn corrupt_and_foreign_values_are_misses() {
    let (cache, _) = cache();
    let at = cache.key_space().entry("k", 0);
    let put = |bytes: &'static [u8]| {
        block_on(cache.store().put(&at, Bytes::from_static(bytes), PutOptions::new(KvTtl::covering_ms(0)))).unwrap()
    };
    put(b"{\"not\":\"ours\"}");
    assert!(matches!(block_on(cache.get("k")).unwrap(), Lookup::Miss(MissReason::Corrupt(_))));
    put(b"EC\x01\x01k");
    assert!(matches!(block_on(cache.get("k")).unwrap(), Lookup::Miss(MissReason::Corrupt(_))));
    assert_eq!(cache.stats().corrupt, 2);
    // get_or_set loads through a corrupt value and replaces it.
    let fetched = block_on(cache.get_or_set("k", SetOptions::new(), || async { Ok(Loaded::new("fresh")) })).unwrap();
    assert_eq!(fetched.source, Source::Loaded { not_stored: None });
    assert!(block_on(cache.get("k")).unwrap().fresh().is_some());
}

#[test]
fn an_envelope_copied_to_another_key_is_not_trusted() {
    let (cache, _) = cache();
    block_on(cache.set("a", "secret", SetOptions::new())).unwrap();
    let bytes = block_on(cache.store().get(&cache.key_space().entry("a", 0))).unwrap().unwrap();
    block_on(cache.store().put(&cache.key_space().entry("b", 0), bytes, PutOptions::new(KvTtl::covering_ms(0))))
        .unwrap();
    assert!(matches!(block_on(cache.get("b")).unwrap(), Lookup::Miss(MissReason::Corrupt(_))));
}

#[test]
fn limits_are_typed_errors() {
    let clock = ManualClock::new(T0);
    let mut limits = Limits::default();
    limits.max_value_bytes = 10;
    limits.max_tags = 2;
    limits.max_tag_bytes = 4;
    limits.max_key_bytes = 8;
    let cache = CacheBuilder::new(MemoryStore::new(clock.clone()), clock).limits(limits).build().unwrap();
    let set = |key: &str, v: &'static str, opts: SetOptions| block_on(cache.set(key, v, opts));
    assert_eq!(set("k", "01234567890", SetOptions::new()).unwrap_err(), CacheError::ValueTooLarge { len: 11, max: 10 });
    assert_eq!(
        set("k", "v", SetOptions::new().tags(["a", "b", "c"])).unwrap_err(),
        CacheError::TooManyTags { count: 3, max: 2 }
    );
    assert_eq!(set("k", "v", SetOptions::new().tag("toolong")).unwrap_err(), CacheError::InvalidTag { len: 7, max: 4 });
    assert_eq!(set("k", "v", SetOptions::new().tag("")).unwrap_err(), CacheError::InvalidTag { len: 0, max: 4 });
    assert_eq!(set("123456789", "v", SetOptions::new()).unwrap_err(), CacheError::KeyLength { len: 9, max: 8 });
    assert_eq!(set("", "v", SetOptions::new()).unwrap_err(), CacheError::KeyLength { len: 0, max: 8 });
    assert!(cache.store().is_empty(), "a rejected set wrote nothing");
    // A loaded value over the limit is answered, not stored.
    let big = block_on(cache.get_or_set("k", SetOptions::new(), || async { Ok(Loaded::new("01234567890")) })).unwrap();
    assert_eq!(big.hit.value, "01234567890");
    assert_eq!(big.source, Source::Loaded { not_stored: Some(CacheError::ValueTooLarge { len: 11, max: 10 }) });
    assert!(matches!(block_on(cache.get("k")).unwrap(), Lookup::Miss(_)));
    let bad =
        CacheBuilder::new(MemoryStore::new(ManualClock::new(0)), ManualClock::new(0)).namespace("no spaces").build();
    assert_eq!(bad.err(), Some(BuildError::Namespace { max: 32 }));
}

#[test]
fn long_keys_work_and_stay_apart() {
    let (cache, _) = cache();
    let a = format!("{}a", "x/".repeat(500));
    let b = format!("{}b", "x/".repeat(500));
    block_on(cache.set(&a, "A", SetOptions::new())).unwrap();
    block_on(cache.set(&b, "B", SetOptions::new())).unwrap();
    assert_eq!(value(&block_on(cache.get(&a)).unwrap()), Some(&b"A"[..]));
    assert_eq!(value(&block_on(cache.get(&b)).unwrap()), Some(&b"B"[..]));
}

#[test]
fn one_load_for_a_hundred_concurrent_callers() {
    let (cache, _) = cache();
    let loads = AtomicUsize::new(0);
    let (release, wait) = oneshot::channel::<()>();
    let wait = futures::future::FutureExt::shared(wait);
    let callers = (0..100).map(|_| {
        let wait = wait.clone();
        let loads = &loads;
        cache.get_or_set("hot", SetOptions::new().tag("t"), move || async move {
            loads.fetch_add(1, Ordering::SeqCst);
            wait.await.ok();
            Ok(Loaded::new("once"))
        })
    });
    let release_after_all_joined = async move {
        release.send(()).unwrap();
    };
    let (results, ()) = block_on(futures::future::join(join_all(callers), release_after_all_joined));
    assert_eq!(loads.load(Ordering::SeqCst), 1);
    assert!(results.iter().all(|r| r.as_ref().unwrap().hit.value == "once"));
    let coalesced = results.iter().filter(|r| r.as_ref().unwrap().source == Source::Coalesced).count();
    assert_eq!(coalesced, 99);
    let stats = cache.stats();
    assert_eq!((stats.loads, stats.coalesced), (1, 99));
}

/// Fills `article:1` (tag `articles`) through `filler` while `purger` purges the tag mid-load.
fn fill_racing_a_purge(filler: &Cache<MemoryStore>, purger: &Cache<MemoryStore>) -> edgecache::core::Fetched {
    let (release, wait) = oneshot::channel::<()>();
    let fill = filler.get_or_set("article:1", SetOptions::new().tag("articles"), || async {
        wait.await.ok();
        Ok(Loaded::new("old content"))
    });
    let purge = async {
        purger.invalidate(Invalidation::tag("articles")).await.unwrap();
        release.send(()).unwrap();
    };
    let (fetched, ()) = block_on(futures::future::join(fill, purge));
    // The caller that asked before the purge always gets its value.
    let fetched = fetched.unwrap();
    assert_eq!(fetched.hit.value, "old content");
    fetched
}

#[test]
fn a_purge_elsewhere_during_a_slow_fill_leaves_the_fill_invalid() {
    // Two locations sharing one KV: the purge arrives at the other one while this one loads.
    let clock = ManualClock::new(T0);
    let store = MemoryStore::new(clock.clone());
    let here = CacheBuilder::new(store.clone(), clock.clone()).seed(1).build().unwrap();
    let there = CacheBuilder::new(store, clock.clone()).seed(2).build().unwrap();
    // Stored, with the stamps recorded before the load...
    assert_eq!(fill_racing_a_purge(&here, &there).source, Source::Loaded { not_stored: None });
    // ...so once this location's stamp memo lapses (the documented bound), a miss everywhere.
    clock.advance(1_000);
    assert_eq!(block_on(here.get("article:1")).unwrap(), Lookup::Miss(MissReason::Invalidated));
    assert_eq!(block_on(there.get("article:1")).unwrap(), Lookup::Miss(MissReason::Invalidated));
}

#[test]
fn a_purge_here_during_a_slow_fill_keeps_the_fill_out_of_the_store() {
    let (cache, _) = cache();
    let raced = Source::Loaded { not_stored: Some(CacheError::RacedInvalidation(Scope::Tag("articles".into()))) };
    assert_eq!(fill_racing_a_purge(&cache, &cache).source, raced);
    assert_eq!(block_on(cache.get("article:1")).unwrap(), Lookup::Miss(MissReason::Absent));
}

#[test]
fn callers_after_a_purge_do_not_join_a_fill_that_began_before_it() {
    let (cache, _) = cache();
    let loads = AtomicUsize::new(0);
    let (release_old, wait_old) = oneshot::channel::<()>();
    let old = cache.get_or_set("k", SetOptions::new(), || async {
        loads.fetch_add(1, Ordering::SeqCst);
        wait_old.await.ok();
        Ok(Loaded::new("before purge"))
    });
    let after = async {
        cache.invalidate(Invalidation::key("k")).await.unwrap();
        let new = cache.get_or_set("k", SetOptions::new(), || async {
            loads.fetch_add(1, Ordering::SeqCst);
            Ok(Loaded::new("after purge"))
        });
        let fetched = new.await.unwrap();
        release_old.send(()).unwrap();
        fetched
    };
    let (old, new) = block_on(futures::future::join(old, after));
    let old = old.unwrap();
    assert_eq!(old.hit.value, "before purge");
    assert_eq!(new.hit.value, "after purge");
    assert_eq!(loads.load(Ordering::SeqCst), 2);
    // The older fill knows it lost the race and does not clobber the newer entry.
    assert_eq!(old.source, Source::Loaded { not_stored: Some(CacheError::RacedInvalidation(Scope::Key("k".into()))) });
    assert_eq!(value(&block_on(cache.get("k")).unwrap()), Some(&b"after purge"[..]));
}

#[test]
fn a_cancelled_leader_never_strands_its_waiters() {
    let (cache, _) = cache();
    let (_never, wait) = oneshot::channel::<()>();
    let mut leader = Box::pin(cache.get_or_set("k", SetOptions::new(), || async {
        wait.await.ok();
        Ok(Loaded::new("never"))
    }));
    let waker = futures::task::noop_waker();
    let mut cx = std::task::Context::from_waker(&waker);
    assert!(leader.as_mut().poll(&mut cx).is_pending());
    let mut waiter = Box::pin(cache.get_or_set("k", SetOptions::new(), || async { Ok(Loaded::new("waiter loaded")) }));
    assert!(waiter.as_mut().poll(&mut cx).is_pending(), "the second caller waits");
    drop(leader); // the request that led was cancelled
    let fetched = block_on(waiter).unwrap();
    assert_eq!(fetched.hit.value, "waiter loaded");
}

#[test]
fn loader_errors_fall_back_to_stale_or_fail_typed() {
    let (cache, clock) = cache();
    let opts = SetOptions::new().ttl(secs(10)).stale_if_error(secs(60));
    block_on(cache.set("k", "old", opts.clone())).unwrap();
    clock.advance(30_000);
    let fetched = block_on(cache.get_or_set("k", opts.clone(), || async { Err(LoadError::new("503")) })).unwrap();
    assert_eq!(fetched.source, Source::StaleOnError(StaleReason::Expired));
    assert_eq!(fetched.hit.value, "old");
    let err = block_on(cache.get_or_set("other", opts, || async { Err(LoadError::new("503")) })).unwrap_err();
    assert_eq!(err, CacheError::Load(LoadError::new("503")));
}

#[test]
fn tags_learnt_from_the_load_are_fenced_too() {
    let (cache, clock) = cache();
    // The tag exists (used before), then is purged while a load that reports it runs.
    block_on(cache.set("other", "x", SetOptions::new().tag("page"))).unwrap();
    clock.advance(60_000);
    let (release, wait) = oneshot::channel::<()>();
    let fill = cache.get_or_set("/a", SetOptions::new(), || async {
        wait.await.ok();
        Ok(Loaded::new("body").with(SetOptions::new().tag("page")))
    });
    let purge = async {
        cache.invalidate(Invalidation::tag("page")).await.unwrap();
        release.send(()).unwrap();
    };
    let (fetched, ()) = block_on(futures::future::join(fill, purge));
    let fetched = fetched.unwrap();
    assert_eq!(
        fetched.source,
        Source::Loaded { not_stored: Some(CacheError::RacedInvalidation(Scope::Tag("page".into()))) }
    );
    assert!(block_on(cache.get("/a")).unwrap().fresh().is_none());
    // Without a racing purge, a late tag is stored and purgeable.
    clock.advance(60_000);
    let fetched =
        block_on(cache.get_or_set("/a", SetOptions::new(), || async {
            Ok(Loaded::new("body").with(SetOptions::new().tag("page")))
        }))
        .unwrap();
    assert_eq!(fetched.source, Source::Loaded { not_stored: None });
    assert_eq!(fetched.hit.meta.tags, ["page"]);
    block_on(cache.invalidate(Invalidation::tag("page"))).unwrap();
    assert!(block_on(cache.get("/a")).unwrap().fresh().is_none());
}

#[test]
fn the_log_lists_invalidations_newest_first_with_who_and_why() {
    let (cache, clock) = cache();
    block_on(cache.invalidate(Invalidation::tag("a").by("django").id("msg_1"))).unwrap();
    clock.advance(5);
    block_on(cache.invalidate(Invalidation::key("k").and_prefix("p/").soft().by("ops"))).unwrap();
    clock.advance(5);
    block_on(cache.bump_version("k")).unwrap();
    let page = block_on(cache.log(0, None)).unwrap();
    assert_eq!(page.records.len(), 3);
    assert_eq!(page.records[0].new_version, Some(1));
    assert_eq!(page.records[1].scopes, [Scope::Key("k".into()), Scope::Prefix("p/".into())]);
    assert_eq!(page.records[1].mode, Mode::Soft);
    assert_eq!((page.records[2].actor.as_str(), page.records[2].request_id.as_deref()), ("django", Some("msg_1")));
    assert_eq!(page.records[2].at, T0);
    clock.advance(7 * 86_400_000);
    assert!(block_on(cache.log(0, None)).unwrap().records.is_empty(), "records expire with the log TTL");
    assert_eq!(cache.stats().invalidations, 3);
}

#[test]
fn unreadable_log_records_are_skipped_and_the_rest_listed() {
    let (cache, clock) = cache();
    block_on(cache.invalidate(Invalidation::tag("a").by("django"))).unwrap();
    let log = cache.key_space().log_records();
    // A record from a JSON-writing build, a truncated one, and bytes nobody wrote.
    for (name, bytes) in [
        ("0", &br#"{"at":1,"scopes":[],"mode":"hard","actor":"x"}"#[..]),
        ("1", b"RUwBBQ==" /* base64 of "EL" 1 5: cut short */),
        ("2", b"\xff"),
    ] {
        let at = format!("{log}{name}");
        block_on(cache.store().put(&at, Bytes::from_static(bytes), PutOptions::new(KvTtl::covering_ms(0)))).unwrap();
    }
    clock.advance(5);
    block_on(cache.invalidate(Invalidation::key("k").by("ops"))).unwrap();
    let page = block_on(cache.log(0, None)).unwrap();
    let actors: Vec<&str> = page.records.iter().map(|r| r.actor.as_str()).collect();
    assert_eq!(actors, ["ops", "django"]);
}

#[test]
fn tag_purge_costs_the_same_writes_for_one_or_a_thousand_entries() {
    let mut costs = Vec::new();
    for n in [1usize, 1000] {
        let clock = ManualClock::new(T0);
        let kv = SimulatedKv::new(clock.clone(), 0, 1);
        let cache = CacheBuilder::new(kv.clone(), clock).build().unwrap();
        for i in 0..n {
            block_on(cache.set(&format!("k{i}"), "v", SetOptions::new().tag("t"))).unwrap();
        }
        kv.reset_counts();
        let applied = block_on(cache.invalidate(Invalidation::tag("t"))).unwrap();
        costs.push((kv.total_ops(), kv.count(StoreOp::Put), applied.writes));
    }
    assert_eq!(costs[0], costs[1]);
    assert_eq!(costs[0], (3, 3, 2), "2 stamp writes + 1 log record, no reads");
}

#[test]
fn a_miss_reads_the_entry_once_and_still_fences_its_previous_tags() {
    let clock = ManualClock::new(T0);
    let kv = SimulatedKv::new(clock.clone(), 0, 1);
    let cache = CacheBuilder::new(kv.clone(), clock.clone()).tag_index(false).build().unwrap();
    block_on(cache.set("x", "v1", SetOptions::new().ttl(secs(1)).tag("old"))).unwrap();
    clock.advance(2_000); // expired, still in the store
    kv.reset_counts();
    // A fill whose loader waits; the tag "old" of the entry there is fenced before it runs.
    let (release, wait) = oneshot::channel::<Result<Loaded, LoadError>>();
    let loader = || async { wait.await.unwrap_or_else(|_| Err(LoadError::new("dropped"))) };
    let mut fill = Box::pin(cache.get_or_set("x", SetOptions::new().ttl(secs(60)), loader));
    let waker = futures::task::noop_waker();
    assert!(fill.as_mut().poll(&mut std::task::Context::from_waker(&waker)).is_pending());
    assert_eq!(kv.count(StoreOp::Get), 1, "the lookup's read of the entry, not a second one for the fill");
    block_on(cache.invalidate(Invalidation::tag("old"))).unwrap();
    release.send(Ok(Loaded::new("v2").with(SetOptions::new().tag("old")))).unwrap();
    let fetched = block_on(fill).unwrap();
    assert!(
        matches!(fetched.source, Source::Loaded { not_stored: Some(CacheError::RacedInvalidation(Scope::Tag(_))) }),
        "{:?}",
        fetched.source
    );
    assert!(matches!(block_on(cache.get("x")).unwrap(), Lookup::Miss(_)), "the raced value was not stored");
    // A caller that looked already (`load`) says what it found: the entry is not read again.
    block_on(cache.set("y", "v1", SetOptions::new().tag("old"))).unwrap();
    let Lookup::Fresh(found) = block_on(cache.get("y")).unwrap() else { panic!("y is fresh") };
    kv.reset_counts();
    let loaded = block_on(cache.load("y", SetOptions::new(), Some(&found.meta), || async { Ok(Loaded::new("v2")) }));
    assert_eq!(loaded.unwrap().source, Source::Loaded { not_stored: None });
    assert_eq!(kv.count(StoreOp::Get), 0, "no read of the entry by load");
}

#[test]
fn kv_operations_per_call() {
    let clock = ManualClock::new(T0);
    let kv = SimulatedKv::new(clock.clone(), 0, 1);
    let cache = CacheBuilder::new(kv.clone(), clock.clone()).build().unwrap();
    block_on(cache.set("warm", "v", SetOptions::new().tags(["a", "b", "c"]))).unwrap();
    clock.advance(2_000); // memo expired
    kv.reset_counts();
    block_on(cache.set("x", "v", SetOptions::new().tags(["a", "b", "c"]))).unwrap();
    assert_eq!(
        (kv.count(StoreOp::GetMany), kv.count(StoreOp::Put)),
        (1, 1 + 3),
        "first set of a key, k=3: 1 stamp read, entry + 3 index (absent stamps are recorded, not created)"
    );
    clock.advance(2_000);
    kv.reset_counts();
    block_on(cache.set("x", "v", SetOptions::new().tags(["a", "b", "c"]))).unwrap();
    assert_eq!(
        (kv.count(StoreOp::GetMany), kv.count(StoreOp::Put), kv.total_ops()),
        (1, 1 + 3, 5),
        "set, k=3: 1 stamp read, entry + 3 index"
    );
    kv.reset_counts();
    block_on(cache.set("x", "v", SetOptions::new().tags(["a", "b", "c"]))).unwrap();
    assert_eq!((kv.count(StoreOp::GetMany), kv.total_ops()), (0, 4), "stamps memoised: writes only");
    kv.reset_counts();
    assert!(block_on(cache.get("x")).unwrap().fresh().is_some());
    assert_eq!((kv.count(StoreOp::Get), kv.count(StoreOp::GetMany), kv.total_ops()), (1, 0, 1), "warm get: 1 read");
    clock.advance(2_000);
    kv.reset_counts();
    assert!(block_on(cache.get("x")).unwrap().fresh().is_some());
    assert_eq!(
        (kv.count(StoreOp::Get), kv.count(StoreOp::GetMany), kv.total_ops()),
        (1, 1, 2),
        "cold get: entry + 1 bulk stamp read"
    );
}

#[test]
fn sweep_deletes_what_a_hard_purge_made_unreachable_a_page_at_a_time() {
    let (cache, clock) = cache();
    for i in 0..2_500 {
        block_on(cache.set(&format!("k{i}"), "v", SetOptions::new().tag("t").ttl(secs(600)))).unwrap();
    }
    block_on(cache.set("keep", "v", SetOptions::new().tag("other"))).unwrap();
    let before = cache.store().len();
    block_on(cache.invalidate(Invalidation::tag("t"))).unwrap();
    clock.advance(1);
    let (mut cursor, mut deleted, mut pages) = (None, 0, 0);
    loop {
        let progress = block_on(cache.sweep(&Scope::Tag("t".into()), cursor)).unwrap();
        deleted += progress.deleted;
        pages += 1;
        cursor = progress.cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!((deleted, pages), (2_500, 3));
    assert_eq!(
        before + 3 - cache.store().len(),
        5_000,
        "entries and their index keys (the purge added the tag's 2 stamps and a log record)"
    );
    assert!(block_on(cache.get("keep")).unwrap().fresh().is_some());
    let left = block_on(cache.store().list(ListOptions::prefix(cache.key_space().index_of("t")))).unwrap();
    assert!(left.keys.is_empty());
}

#[test]
fn without_the_tag_index_a_set_writes_less_and_a_tag_sweep_still_reclaims() {
    let clock = ManualClock::new(T0);
    let cache = CacheBuilder::new(MemoryStore::new(clock.clone()), clock.clone()).tag_index(false).build().unwrap();
    for i in 0..10 {
        block_on(cache.set(&format!("k{i}"), "v", SetOptions::new().tag("t").tag("u"))).unwrap();
    }
    block_on(cache.set("keep", "v", SetOptions::new().tag("other"))).unwrap();
    let index = block_on(cache.store().list(ListOptions::prefix(cache.key_space().index_of("t")))).unwrap();
    assert!(index.keys.is_empty(), "no index keys written");
    block_on(cache.invalidate(Invalidation::tag("t"))).unwrap();
    clock.advance(1);
    let progress = block_on(cache.sweep(&Scope::Tag("t".into()), None)).unwrap();
    assert_eq!((progress.examined, progress.deleted), (11, 10), "every entry examined, the purged ones deleted");
    assert!(block_on(cache.get("keep")).unwrap().fresh().is_some());
}

#[test]
fn sweep_keeps_soft_purged_entries_still_servable() {
    let (cache, _) = cache();
    block_on(cache.set("a/1", "v", SetOptions::new().stale_while_revalidate(secs(60)))).unwrap();
    block_on(cache.set("a/2", "v", SetOptions::new())).unwrap();
    block_on(cache.invalidate(Invalidation::prefix("a/").soft())).unwrap();
    let progress = block_on(cache.sweep(&Scope::Prefix("a/".into()), None)).unwrap();
    assert_eq!((progress.examined, progress.deleted), (2, 1));
    assert!(matches!(block_on(cache.get("a/1")).unwrap(), Lookup::Stale(_, StaleReason::SoftInvalidated, _)));
}

#[test]
fn namespaces_and_generations_share_nothing() {
    let clock = ManualClock::new(T0);
    let store = MemoryStore::new(clock.clone());
    let make = |ns: &str, generation: &str| {
        CacheBuilder::new(store.clone(), clock.clone()).namespace(ns).generation(generation).build().unwrap()
    };
    let (a, b, a2) = (make("a", "1"), make("b", "1"), make("a", "2"));
    block_on(a.set("k", "a", SetOptions::new())).unwrap();
    assert!(block_on(b.get("k")).unwrap().fresh().is_none());
    assert!(block_on(a2.get("k")).unwrap().fresh().is_none());
    block_on(b.invalidate(Invalidation::everything())).unwrap();
    assert!(block_on(a.get("k")).unwrap().fresh().is_some());
}

#[test]
fn another_instances_purge_is_seen_within_propagation_plus_memo() {
    let clock = ManualClock::new(T0);
    let kv = SimulatedKv::new(clock.clone(), 10_000, 3);
    let build = |seed| CacheBuilder::new(kv.clone(), clock.clone()).seed(seed).stamp_memo(secs(1)).build().unwrap();
    let (edge_a, edge_b) = (build(1), build(2));
    block_on(edge_a.set("k", "v", SetOptions::new().ttl(secs(3600)).tag("t"))).unwrap();
    clock.advance(10_000);
    assert!(block_on(edge_b.get("k")).unwrap().fresh().is_some(), "visible everywhere once propagated");
    block_on(edge_a.invalidate(Invalidation::tag("t"))).unwrap();
    assert!(block_on(edge_a.get("k")).unwrap().fresh().is_none(), "the purging instance sees it at once");
    clock.advance(11_000);
    assert!(block_on(edge_b.get("k")).unwrap().fresh().is_none(), "and every instance after the bound");
    assert!(clock.now_ms() > T0);
}

#[test]
fn uncacheable_values_are_neither_stored_nor_shared() {
    let (cache, _) = cache();
    let loads = AtomicUsize::new(0);
    let (release, wait) = oneshot::channel::<()>();
    let wait = futures::future::FutureExt::shared(wait);
    let callers = (0..3).map(|_| {
        let wait = wait.clone();
        let loads = &loads;
        cache.get_or_set("private", SetOptions::new(), move || async move {
            let n = loads.fetch_add(1, Ordering::SeqCst);
            wait.await.ok();
            Ok(Loaded::uncacheable(format!("for caller {n}")))
        })
    });
    let (results, ()) = block_on(futures::future::join(join_all(callers), async move { release.send(()).unwrap() }));
    // The leader's private value went to nobody else: each waiter loaded its own.
    assert_eq!(loads.load(Ordering::SeqCst), 3);
    let values: std::collections::HashSet<_> = results.iter().map(|r| r.as_ref().unwrap().hit.value.clone()).collect();
    assert_eq!(values.len(), 3);
    assert!(results
        .iter()
        .all(|r| r.as_ref().unwrap().source == Source::Loaded { not_stored: Some(CacheError::Uncacheable) }));
    assert_eq!(block_on(cache.get("private")).unwrap(), Lookup::Miss(MissReason::Absent));
}

#[test]
fn load_skips_the_lookup_but_keeps_single_flight() {
    let (cache, _) = cache();
    block_on(cache.set("k", "old", SetOptions::new())).unwrap();
    let fetched = block_on(cache.load("k", SetOptions::new(), None, || async { Ok(Loaded::new("new")) })).unwrap();
    assert_eq!((fetched.hit.value.as_ref(), fetched.source), (&b"new"[..], Source::Loaded { not_stored: None }));
    assert_eq!(value(&block_on(cache.get("k")).unwrap()), Some(&b"new"[..]));
}

#[test]
fn a_refill_right_after_a_purge_is_stored_when_its_tags_were_known() {
    let (cache, _) = cache();
    let load = || async { Ok(Loaded::new("page").with(SetOptions::new().tag("article:1"))) };
    block_on(cache.get_or_set("/a", SetOptions::new(), load)).unwrap();
    block_on(cache.invalidate(Invalidation::tag("article:1"))).unwrap();
    // The purged entry's tags are fenced before the refill runs, so the purge a moment ago is
    // not mistaken for one racing the load.
    let refill = block_on(cache.get_or_set("/a", SetOptions::new(), load)).unwrap();
    assert_eq!(refill.source, Source::Loaded { not_stored: None });
    assert!(block_on(cache.get("/a")).unwrap().fresh().is_some());
    // A tag the previous entry did not carry, purged a moment ago, is still treated as racing.
    block_on(cache.invalidate(Invalidation::tag("new-tag"))).unwrap();
    block_on(cache.invalidate(Invalidation::key("/a"))).unwrap();
    let with_new = block_on(cache.get_or_set("/a", SetOptions::new(), || async {
        Ok(Loaded::new("page").with(SetOptions::new().tag("new-tag")))
    }))
    .unwrap();
    assert_eq!(
        with_new.source,
        Source::Loaded { not_stored: Some(CacheError::RacedInvalidation(Scope::Tag("new-tag".into()))) }
    );
}

/// A pause that yields to other tasks once and moves the manual clock, as a platform timer would.
fn polling_cache(clock: &ManualClock, bound_ms: u64) -> Cache<MemoryStore> {
    let ticking = clock.clone();
    CacheBuilder::new(MemoryStore::new(clock.clone()), clock.clone())
        .wait_by_polling(
            move |ms| {
                ticking.advance(ms);
                let mut yielded = false;
                Box::pin(futures::future::poll_fn(move |cx| {
                    if yielded {
                        std::task::Poll::Ready(())
                    } else {
                        yielded = true;
                        cx.waker().wake_by_ref();
                        std::task::Poll::Pending
                    }
                }))
            },
            Duration::from_millis(5),
            Duration::from_millis(bound_ms),
        )
        .build()
        .unwrap()
}

#[test]
fn polling_waiters_get_the_leaders_value_without_being_woken_by_it() {
    let clock = ManualClock::new(T0);
    let cache = polling_cache(&clock, 10_000);
    let loads = AtomicUsize::new(0);
    let (release, wait) = oneshot::channel::<()>();
    let leader = cache.get_or_set("k", SetOptions::new(), || async {
        loads.fetch_add(1, Ordering::SeqCst);
        wait.await.ok();
        Ok(Loaded::new("shared"))
    });
    let waiter = cache.get_or_set("k", SetOptions::new(), || async {
        loads.fetch_add(1, Ordering::SeqCst);
        Ok(Loaded::new("own"))
    });
    let release_later = async move {
        release.send(()).unwrap();
    };
    let (a, b, ()) = block_on(futures::future::join3(leader, waiter, release_later));
    assert_eq!(
        (a.unwrap().hit.value, b.as_ref().unwrap().hit.value.clone()),
        (Bytes::from("shared"), Bytes::from("shared"))
    );
    assert_eq!(b.unwrap().source, Source::Coalesced);
    assert_eq!(loads.load(Ordering::SeqCst), 1);
}

#[test]
fn a_polling_waiter_loads_for_itself_after_the_bound() {
    let clock = ManualClock::new(T0);
    let cache = polling_cache(&clock, 100);
    let (_never, wait) = oneshot::channel::<()>();
    let mut leader = Box::pin(cache.get_or_set("k", SetOptions::new(), || async {
        wait.await.ok();
        Ok(Loaded::new("stuck"))
    }));
    let waker = futures::task::noop_waker();
    assert!(leader.as_mut().poll(&mut std::task::Context::from_waker(&waker)).is_pending());
    let fetched = block_on(cache.get_or_set("k", SetOptions::new(), || async { Ok(Loaded::new("own")) })).unwrap();
    assert_eq!((fetched.hit.value.as_ref(), fetched.source), (&b"own"[..], Source::Loaded { not_stored: None }));
    assert!(clock.now_ms() >= T0 + 100);
}

#[test]
fn a_tag_first_used_by_another_fill_is_not_mistaken_for_a_purge() {
    let (cache, _) = cache();
    // One page creates the stamps of "articles"; a moment later another page's load reports it.
    block_on(cache.get_or_set("/a", SetOptions::new(), || async {
        Ok(Loaded::new("a").with(SetOptions::new().tag("articles")))
    }))
    .unwrap();
    let b = block_on(cache.get_or_set("/b", SetOptions::new(), || async {
        Ok(Loaded::new("b").with(SetOptions::new().tag("articles")))
    }))
    .unwrap();
    assert_eq!(b.source, Source::Loaded { not_stored: None });
}

#[test]
fn tag_stamps_change_on_purges_only() {
    let (cache, _) = cache();
    let tags = ["t".to_owned()];
    assert_eq!(block_on(cache.tag_stamps(&tags)).unwrap(), [None]);
    block_on(cache.set("k", "v", SetOptions::new().tag("t"))).unwrap();
    assert_eq!(block_on(cache.tag_stamps(&tags)).unwrap(), [None], "first use is not a purge");
    block_on(cache.invalidate(Invalidation::tag("t").soft())).unwrap();
    let after_soft = block_on(cache.tag_stamps(&tags)).unwrap();
    assert!(after_soft[0].is_some());
    block_on(cache.invalidate(Invalidation::tag("t"))).unwrap();
    assert_ne!(block_on(cache.tag_stamps(&tags)).unwrap(), after_soft);
}

#[test]
fn delete_removes_a_stored_value_writes_nothing_for_an_absent_one_and_fences_a_load() {
    let clock = ManualClock::new(T0);
    let kv = SimulatedKv::new(clock.clone(), 0, 1);
    let cache = CacheBuilder::new(kv.clone(), clock).build().unwrap();
    kv.reset_counts();
    assert!(!block_on(cache.delete("never")).unwrap());
    assert_eq!(kv.count(StoreOp::Put), 0, "nothing stored, nothing written");
    block_on(cache.set("k", "v", SetOptions::new())).unwrap();
    assert!(block_on(cache.delete("k")).unwrap());
    assert!(matches!(block_on(cache.get("k")).unwrap(), Lookup::Miss(_)));
    assert!(!block_on(cache.delete("k")).unwrap());
    // A load under way when the key is deleted is not stored.
    let (started_tx, started) = oneshot::channel::<()>();
    let (release, loaded) = oneshot::channel::<()>();
    let fill = cache.get_or_set("loading", SetOptions::new(), || async move {
        started_tx.send(()).unwrap();
        loaded.await.ok();
        Ok(Loaded::new("old"))
    });
    let delete = async {
        started.await.unwrap();
        let deleted = cache.delete("loading").await.unwrap();
        release.send(()).unwrap();
        deleted
    };
    let (fetched, deleted) = block_on(futures::future::join(fill, delete));
    assert!(!deleted, "no value was there yet");
    assert!(matches!(fetched.unwrap().source, Source::Loaded { not_stored: Some(CacheError::RacedInvalidation(_)) }));
    assert!(matches!(block_on(cache.get("loading")).unwrap(), Lookup::Miss(_)));
}

#[test]
fn get_or_stale_answers_a_value_servable_while_revalidating_without_loading() {
    let (cache, clock) = cache();
    let opts = SetOptions::new().ttl(secs(10)).stale_while_revalidate(secs(60));
    block_on(cache.set("swr", "old", opts.clone())).unwrap();
    block_on(cache.set("sie", "old", SetOptions::new().ttl(secs(10)).stale_if_error(secs(60)))).unwrap();
    clock.advance(11_000);
    let loads = AtomicUsize::new(0);
    let load = || async {
        loads.fetch_add(1, Ordering::SeqCst);
        Ok(Loaded::new("new"))
    };
    let stale = block_on(cache.get_or_stale("swr", opts.clone(), load)).unwrap();
    assert_eq!(stale.source, Source::StaleWhileRevalidating(StaleReason::Expired));
    assert_eq!((&stale.hit.value[..], loads.load(Ordering::SeqCst)), (&b"old"[..], 0), "answered without loading");
    // Inside stale-if-error only, the loader runs; get_or_set never answers stale while it can load.
    let loaded = block_on(cache.get_or_stale("sie", SetOptions::new(), load)).unwrap();
    assert_eq!((&loaded.hit.value[..], loads.load(Ordering::SeqCst)), (&b"new"[..], 1));
    let refreshed = block_on(cache.get_or_set("swr", opts, load)).unwrap();
    assert_eq!((&refreshed.hit.value[..], loads.load(Ordering::SeqCst)), (&b"new"[..], 2));
}

#[cfg(not(target_arch = "wasm32"))]
mod prefix_boundaries {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// A prefix purge reaches exactly the keys under its segment: `/blog/` reaches
        /// `/blog/…` and never `/blog2/…`, `/blog` or `/blo/…`, for any segment text (Unicode,
        /// `%`, `@`, empty) and either separator.
        #[test]
        fn a_prefix_purge_stops_at_its_segment(
            segment in "[a-z%@é:/]{0,6}[a-z%@é]",
            extra in "[a-z0-9%@é]{1,4}",
            rest in "[a-z0-9%@é/:]{0,8}",
            sep in prop::sample::select(vec!['/', ':']),
        ) {
            let (cache, _) = cache();
            let prefix = format!("/{segment}{sep}");
            let inside = format!("{prefix}{rest}");
            let longer = format!("/{segment}{extra}{sep}{rest}");
            let bare = format!("/{segment}");
            let shorter = format!("/{}{sep}{rest}", &segment[..segment.char_indices().last().map_or(0, |(i, _)| i)]);
            for key in [&inside, &longer, &bare, &shorter] {
                block_on(cache.set(key, key.clone(), SetOptions::new())).unwrap();
            }
            block_on(cache.invalidate(Invalidation::prefix(prefix.clone()))).unwrap();
            prop_assert!(block_on(cache.get(&inside)).unwrap().fresh().is_none(), "{inside} under {prefix} survived");
            for key in [&longer, &bare] {
                prop_assert!(block_on(cache.get(key)).unwrap().fresh().is_some(), "{prefix} reached {key}");
            }
            if !inside.starts_with(&shorter) && !shorter.starts_with(&prefix) {
                prop_assert!(block_on(cache.get(&shorter)).unwrap().fresh().is_some(), "{prefix} reached {shorter}");
            }
        }
    }
}
