//! Timers of the npm front (the worker's come from the `worker` crate's `Delay`).

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// Resolves after `ms` milliseconds (setTimeout, in browsers, Node and workers alike).
pub(crate) fn sleep(ms: u64) -> JsFuture {
    let promise = Promise::new(&mut |resolve, _| {
        let global = js_sys::global();
        if let Ok(set_timeout) = Reflect::get(&global, &"setTimeout".into()).and_then(|f| f.dyn_into::<Function>()) {
            let _ = set_timeout.call2(&global, &resolve, &JsValue::from_f64(ms as f64));
        } else {
            let _ = resolve.call0(&JsValue::NULL);
        }
    });
    JsFuture::from(promise)
}
