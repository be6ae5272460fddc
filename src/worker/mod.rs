//! The Cloudflare Worker front (feature `worker`): a caching reverse proxy in front of
//! `ORIGIN_URL`, keeping responses in the KV namespace bound as `CACHE`, purged by signed calls
//! to `/_edgecache/purge`. Thin: it translates platform types to the core and back.

#[allow(missing_docs)] // the glue #[durable_object] generates
mod authority;
mod config;
mod control;
mod convert;
mod feed;
mod kv;
mod origin;
mod pass;
mod prepared;
mod proxy;
mod purge;
mod serve;
mod sql_store;
mod state;
mod store;

pub use authority::PurgeAuthority;
pub use config::{Config, ConfigError};
pub use kv::WorkerKv;

use wasm_bindgen::prelude::*;
use worker::{Context, Env, Request};

use convert::Answer;

/// The worker's entry point, exported as `fetch` for worker-build's shim. Never fails: every
/// error becomes a clean response. It takes the platform request as it is (`worker::Request`
/// reads `cf`, the method and the URL up front, which cost a cached hit more than the cache
/// lookup did), and returns a settled Promise when the answer was ready at once, as a hit
/// from the isolate's memory is (`#[event(fetch)]` would queue every request on
/// wasm-bindgen's executor: a tenth of such a hit's time).
#[wasm_bindgen(js_name = fetch)]
pub fn fetch_entry(request: web_sys::Request, env: Env, ctx: worker::worker_sys::Context) -> js_sys::Promise {
    console_error_panic_hook::set_once();
    let ctx = Context::new(ctx);
    crate::platform::promise::settled_or_spawned(async move {
        let answer = match route(request, env, &ctx).await {
            Ok(response) => Ok(response),
            Err(e) => convert::respond_error(502, "edge_error", &e.to_string()),
        };
        answer.map(JsValue::from).map_err(JsValue::from)
    })
}

async fn route(request: web_sys::Request, env: Env, ctx: &Context) -> worker::Result<Answer> {
    let state = match state::state(&env) {
        Ok(state) => state,
        Err(e) => return config_error(&e),
    };
    let url = request.url();
    if convert::path_of(&url).starts_with("/_edgecache/") {
        return control::handle(Request::from(request), state).await;
    }
    match convert::raw_method(&request).as_str() {
        "GET" => proxy::cached(request, url, state, ctx, false).await,
        "HEAD" => proxy::cached(request, url, state, ctx, true).await,
        _ => pass::pass_through(Request::from(request), state, "").await,
    }
}

fn config_error(error: &ConfigError) -> worker::Result<Answer> {
    worker::console_error!("edgecache misconfigured: {error}");
    convert::respond_json(
        500,
        &serde_json::json!({ "error": "config", "setting": error.setting, "message": error.to_string() }),
    )
}
