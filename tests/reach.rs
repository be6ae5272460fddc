//! Purge reach across locations: several locations, each with isolates holding their own stamp
//! memos, over an eventually consistent KV (writes visible after up to 60 s), purges once a
//! second, in the KV-only mode and behind a purge authority whose feed each isolate reads at
//! most once a second over its location's round trip. Every isolate looks at the purged tags
//! as a busy site's requests would (every 50 ms); the reach of a purge at an isolate is the time
//! until a request there is judged against it. Asserts that no isolate goes past its mode's
//! bound; `EDGECACHE_REACH_REPORT=1` prints the figures for the benchmark (`make bench`).
#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::time::Duration;

use edgecache::core::purge::{Apply, Authority};
use edgecache::core::{
    Cache, CacheBuilder, Clock, FeedPage, Invalidation, ManualClock, MemoryStore, Mirrored, SimulatedKv, SplitMix64,
    StampSource,
};
use futures::executor::block_on;

const START: u64 = 1_700_000_000_000;
const TICK_MS: u64 = 10;
const PROBE_EVERY_MS: u64 = 50;
const PURGE_EVERY_MS: u64 = 1_000;
const KV_DELAY_MS: u64 = 60_000;
const MEMO_MS: u64 = 1_000;
const FEED_MS: u64 = 1_000;
/// Round trips from each location to the authority (one location is its own).
const RTT_MS: [u64; 4] = [10, 40, 120, 250];
const ISOLATES_PER_LOCATION: usize = 3;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    KvOnly,
    Authority,
}

struct Isolate {
    location: usize,
    cache: Cache<SimulatedKv>,
    /// Feed read in flight: sent at, the page once the authority has answered.
    read: Option<(u64, Option<FeedPage>)>,
    last_sent: Option<u64>,
    reads: u64,
}

/// Reach figures of one run, in ms.
struct Figures {
    reach: Vec<u64>,
    feed_reads_per_isolate_minute: f64,
}

fn run(mode: Mode, minutes: u64, seed: u64) -> Figures {
    let clock = ManualClock::new(START);
    let kv = SimulatedKv::new(clock.clone(), KV_DELAY_MS, seed);
    let own = Mirrored::new(MemoryStore::new(clock.clone()), kv.clone());
    let authority =
        Authority::new(CacheBuilder::new(own, clock.clone()).seed(seed), Duration::from_millis(KV_DELAY_MS)).unwrap();
    let mut isolates: Vec<Isolate> = (0..RTT_MS.len() * ISOLATES_PER_LOCATION)
        .map(|i| {
            let builder = CacheBuilder::new(kv.clone(), clock.clone()).seed(seed + i as u64);
            let builder = match mode {
                Mode::KvOnly => builder.stamp_memo(Duration::from_millis(MEMO_MS)),
                Mode::Authority => builder.stamp_source(StampSource::Feed),
            };
            Isolate {
                location: i / ISOLATES_PER_LOCATION,
                cache: builder.build().unwrap(),
                read: None,
                last_sent: None,
                reads: 0,
            }
        })
        .collect();
    let mut rng = SplitMix64::new(seed);
    // Purged tag -> when, and which isolates have not seen it yet.
    let mut pending: BTreeMap<String, (u64, Vec<usize>)> = BTreeMap::new();
    let mut reach = Vec::new();
    let end = START + minutes * 60_000;
    let mut next_purge = START + 5_000;
    let mut n = 0;
    while clock.now_ms() < end {
        let now = clock.now_ms();
        if now >= next_purge {
            n += 1;
            let tag = format!("t{n}");
            let sender = (rng.next_u64() % isolates.len() as u64) as usize;
            match mode {
                Mode::KvOnly => {
                    drop(block_on(isolates[sender].cache.invalidate(Invalidation::tag(tag.clone()))).unwrap())
                }
                Mode::Authority => drop(block_on(authority.apply(Invalidation::tag(tag.clone()))).unwrap()),
            }
            pending.insert(tag, (now, (0..isolates.len()).collect()));
            next_purge = now + PURGE_EVERY_MS / 2 + rng.next_u64() % PURGE_EVERY_MS;
        }
        for (i, isolate) in isolates.iter_mut().enumerate() {
            let rtt = RTT_MS[isolate.location];
            // The feed: the authority answers half a round trip after the read was sent, the
            // isolate applies the page a round trip after.
            if let Some((sent, page)) = &mut isolate.read {
                if page.is_none() && now >= *sent + rtt / 2 {
                    *page = Some(block_on(authority.feed(isolate.cache.feed_position())).unwrap());
                }
                if now >= *sent + rtt {
                    let page = page.take().expect("answered at half the round trip");
                    assert!(isolate.cache.follow(page), "an incomplete reset");
                    isolate.read = None;
                }
            }
            if (now - START + i as u64 * TICK_MS) % PROBE_EVERY_MS != 0 {
                continue;
            }
            // A request: reads the feed if the interval has passed (it waits for the answer).
            if mode == Mode::Authority
                && isolate.read.is_none()
                && isolate.last_sent.is_none_or(|at| now - at >= FEED_MS)
            {
                isolate.read = Some((now, None));
                isolate.last_sent = Some(now);
                isolate.reads += 1;
            }
            let waiting: Vec<String> =
                pending.iter().filter(|(_, (_, left))| left.contains(&i)).map(|(t, _)| t.clone()).collect();
            if waiting.is_empty() {
                continue;
            }
            let seen = block_on(isolate.cache.tag_stamps(&waiting)).unwrap();
            for (tag, stamp) in waiting.iter().zip(seen) {
                if stamp.is_some() {
                    let (at, left) = pending.get_mut(tag).unwrap();
                    reach.push(now - *at);
                    left.retain(|x| *x != i);
                }
            }
        }
        pending.retain(|_, (_, left)| !left.is_empty());
        clock.advance(TICK_MS);
    }
    assert!(reach.len() > 100, "{} reach samples", reach.len());
    let reads: u64 = isolates.iter().map(|i| i.reads).sum();
    Figures { reach, feed_reads_per_isolate_minute: reads as f64 / isolates.len() as f64 / minutes as f64 }
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
fn every_isolate_sees_each_purge_within_its_modes_bound() {
    let report = std::env::var("EDGECACHE_REACH_REPORT").is_ok();
    let minutes = if report { 10 } else { 3 };
    for (mode, bound) in [
        (Mode::KvOnly, KV_DELAY_MS + MEMO_MS + PROBE_EVERY_MS),
        // The feed interval, the longest round trip, and the probe spacing.
        (Mode::Authority, FEED_MS + RTT_MS[RTT_MS.len() - 1] + PROBE_EVERY_MS),
    ] {
        let figures = run(mode, minutes, 42);
        let mut sorted = figures.reach.clone();
        sorted.sort_unstable();
        let (p50, p99, max) = (percentile(&sorted, 0.5), percentile(&sorted, 0.99), *sorted.last().unwrap());
        assert!(max <= bound, "{mode:?}: a purge reached an isolate after {max} ms (bound {bound} ms)");
        if report {
            println!(
                "REACH {{\"mode\":\"{}\",\"samples\":{},\"p50_ms\":{p50},\"p99_ms\":{p99},\"max_ms\":{max},\"bound_ms\":{bound},\"feed_reads_per_isolate_minute\":{:.1}}}",
                if mode == Mode::KvOnly { "kv-only" } else { "authority" },
                sorted.len(),
                figures.feed_reads_per_isolate_minute
            );
        }
    }
}
