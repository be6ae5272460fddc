//! The Promise both wasm fronts return for their async calls.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use js_sys::Promise;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::future_to_promise;

type Call = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

/// The Promise of `future`, polled once right away: a call that finishes there (an npm call
/// over the in-memory store, a worker hit answered from the isolate) gets a settled Promise,
/// which costs far less than a task on wasm-bindgen's executor (a closure, a queued microtask
/// and a second poll). A future still waiting continues on the executor.
///
/// Every poll, the first included, hands the future the same [`Relay`] waker, which wakes
/// whichever task polls the call now. A leaf future may keep the first waker it is given and
/// never look at a later one — `worker::Delay` does exactly that — so a first poll with a
/// throw-away waker would leave such a leaf waking nobody: the call would wait forever, and
/// workerd cancels it as hung (the 500s under load with purges, where a request found its entry
/// purged and joined another request's fill without any I/O before its first timer).
pub(crate) fn settled_or_spawned<F>(future: F) -> Promise
where
    F: Future<Output = Result<JsValue, JsValue>> + 'static,
{
    // One executor task type for every caller, not one per future type (wasm size).
    let mut call = Relayed::new(Box::pin(future));
    match Pin::new(&mut call).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(Ok(value)) => Promise::resolve(&value),
        Poll::Ready(Err(error)) => Promise::reject(&error),
        Poll::Pending => future_to_promise(call),
    }
}

/// A waker that wakes the task currently polling its call (none before the executor's first
/// poll, which polls regardless).
#[derive(Default)]
struct Relay(Mutex<Option<Waker>>);

impl Relay {
    fn set(&self, waker: &Waker) {
        let mut current = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if !current.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *current = Some(waker.clone());
        }
    }
}

impl Wake for Relay {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let current = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        if let Some(waker) = current {
            waker.wake();
        }
    }
}

/// A call polled with its [`Relay`], which learns the polling task's waker at every poll.
struct Relayed {
    call: Call,
    relay: Arc<Relay>,
    waker: Waker,
}

impl Relayed {
    fn new(call: Call) -> Self {
        let relay = Arc::new(Relay::default());
        Self { call, waker: Waker::from(relay.clone()), relay }
    }
}

impl Future for Relayed {
    type Output = Result<JsValue, JsValue>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = &mut *self;
        this.relay.set(cx.waker());
        super::js_clock::in_slice(|| this.call.as_mut().poll(&mut Context::from_waker(&this.waker)))
    }
}
