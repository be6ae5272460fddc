//! Live invalidation from the edge: poll the worker's public `GET /_edgecache/tags` and
//! invalidate locally every tag whose purge stamp changed since the last poll.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::error::error;
use super::inner::Inner;
use super::types::FollowOptions;

use crate::platform::timer::sleep;

#[derive(Default)]
struct Progress {
    stopped: Cell<bool>,
    polls: Cell<u32>,
    failures: Cell<u32>,
    invalidations: Cell<u32>,
    /// The last stamp seen of each followed tag (at most 100 tags: a list).
    seen: RefCell<Vec<(String, Option<String>)>>,
}

/// A running `followEdge`: `stop()` ends it; counters say what it did.
#[wasm_bindgen]
pub struct FollowHandle {
    progress: Rc<Progress>,
}

#[wasm_bindgen]
impl FollowHandle {
    /// Stops polling (after the poll under way, if any).
    pub fn stop(&self) {
        self.progress.stopped.set(true);
    }
    /// Polls answered so far.
    #[wasm_bindgen(getter)]
    pub fn polls(&self) -> u32 {
        self.progress.polls.get()
    }
    /// Polls that failed (network, non-200, bad JSON); following goes on.
    #[wasm_bindgen(getter)]
    pub fn failures(&self) -> u32 {
        self.progress.failures.get()
    }
    /// Local invalidations made because the edge purged a tag.
    #[wasm_bindgen(getter)]
    pub fn invalidations(&self) -> u32 {
        self.progress.invalidations.get()
    }
}

/// How often the edge is asked. Defaults to: 5 s.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// The shortest interval accepted.
const MIN_INTERVAL: Duration = Duration::from_millis(50);

pub(crate) fn start(cache: Rc<Inner>, url: String, options: &JsValue) -> Result<FollowHandle, JsValue> {
    let options = FollowOptions::read(options)?;
    let tags = options.tags;
    if tags.is_empty() || tags.len() > 100 {
        return Err(error("invalid_option", "followEdge needs 1-100 tags"));
    }
    let interval = options.interval.unwrap_or(DEFAULT_INTERVAL);
    if interval < MIN_INTERVAL {
        return Err(error("invalid_option", "interval must be at least 50 ms"));
    }
    let base = url.trim_end_matches('/').to_owned();
    let mut query = String::new();
    for tag in &tags {
        if !query.is_empty() {
            query.push(',');
        }
        query.push_str(&js_sys::encode_uri_component(tag).as_string().unwrap_or_default());
    }
    let endpoint = format!("{base}/_edgecache/tags?t={query}");
    let progress = Rc::new(Progress::default());
    let running = progress.clone();
    // On the calls' own task type: a second one (spawn_local's) would cost wasm size.
    let _ = crate::platform::promise::settled_or_spawned(async move {
        while !running.stopped.get() {
            match poll(&endpoint).await {
                Ok(stamps) => {
                    running.polls.set(running.polls.get() + 1);
                    let changed: Vec<String> = {
                        let mut seen = running.seen.borrow_mut();
                        let mut changed = Vec::new();
                        for (tag, stamp) in stamps {
                            // The first sight of a tag is the baseline; a later change is a purge.
                            match seen.iter_mut().find(|(seen_tag, _)| *seen_tag == tag) {
                                Some((_, previous)) if *previous != stamp => {
                                    *previous = stamp;
                                    changed.push(tag);
                                }
                                Some(_) => {}
                                None => seen.push((tag, stamp)),
                            }
                        }
                        changed
                    };
                    if !changed.is_empty() && cache.invalidate_tags(changed).await {
                        running.invalidations.set(running.invalidations.get() + 1);
                    }
                }
                Err(_) => running.failures.set(running.failures.get() + 1),
            }
            let _ = sleep(interval.as_millis() as u64).await;
        }
        Ok(JsValue::UNDEFINED)
    });
    Ok(FollowHandle { progress })
}

async fn poll(endpoint: &str) -> Result<Vec<(String, Option<String>)>, JsValue> {
    let global = js_sys::global();
    let fetch: Function = Reflect::get(&global, &"fetch".into())?.dyn_into()?;
    let response = JsFuture::from(Promise::resolve(&fetch.call1(&global, &endpoint.into())?)).await?;
    let ok = Reflect::get(&response, &"ok".into())?.as_bool().unwrap_or(false);
    if !ok {
        return Err(JsValue::from_str("tags endpoint did not answer 200"));
    }
    let json: Function = Reflect::get(&response, &"json".into())?.dyn_into()?;
    let body = JsFuture::from(Promise::resolve(&json.call0(&response)?)).await?;
    let tags = Reflect::get(&body, &"tags".into())?;
    let entries = js_sys::Object::entries(&tags.dyn_into()?);
    Ok(entries
        .iter()
        .filter_map(|pair| {
            let pair: js_sys::Array = pair.dyn_into().ok()?;
            Some((pair.get(0).as_string()?, pair.get(1).as_string()))
        })
        .collect())
}
