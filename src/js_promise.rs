//! The Promise both wasm fronts return for their async calls.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;

/// The Promise of `future`, polled once right away: a call that finishes there (an npm call
/// over the in-memory store, a worker hit answered from the isolate) gets a settled Promise,
/// which costs far less than a task on wasm-bindgen's executor (a closure, a queued microtask
/// and a second poll). A future still waiting continues on the executor, whose first poll
/// hands every pending leaf (a `JsFuture`, a timer) its real waker.
pub(crate) fn settled_or_spawned<F>(future: F) -> Promise
where
    F: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    // One executor task type for every caller, not one per future type (wasm size).
    let mut future: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>> = Box::pin(future);
    match future.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(value)) => Promise::resolve(&value),
        Poll::Ready(Err(error)) => Promise::reject(&error),
        Poll::Pending => future_to_promise(future),
    }
}
