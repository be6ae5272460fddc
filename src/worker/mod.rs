//! The Cloudflare Worker front (feature `worker`): a caching reverse proxy in front of
//! `ORIGIN_URL`, keeping responses in the KV namespace bound as `CACHE`, purged by signed calls
//! to `/_edgecache/purge`. Thin: it translates platform types to the core and back.

mod config;
mod control;
mod http;
mod kv;
mod proxy;
mod state;

pub use config::{Config, ConfigError};
pub use kv::WorkerKv;

use worker::{event, Context, Env, Request};

use http::Answer;

/// The worker's entry point. Never fails: every error becomes a clean response. It takes the
/// platform request as it is: `worker::Request` reads `cf`, the method and the URL up front,
/// which cost a cached hit more than the cache lookup did.
#[event(fetch)]
pub async fn fetch(request: web_sys::Request, env: Env, ctx: Context) -> worker::Result<Answer> {
    console_error_panic_hook::set_once();
    match route(request, env, &ctx).await {
        Ok(response) => Ok(response),
        Err(e) => http::respond_error(502, "edge_error", &e.to_string()),
    }
}

async fn route(request: web_sys::Request, env: Env, ctx: &Context) -> worker::Result<Answer> {
    let state = match state::state(&env) {
        Ok(state) => state,
        Err(e) => return config_error(&e),
    };
    let url = request.url();
    if http::path_of(&url).starts_with("/_edgecache/") {
        return control::handle(Request::from(request), state).await;
    }
    match request.method().to_ascii_uppercase().as_str() {
        "GET" => proxy::cached(request, url, state, ctx, false).await,
        "HEAD" => proxy::cached(request, url, state, ctx, true).await,
        _ => proxy::pass_through(Request::from(request), state, "").await,
    }
}

fn config_error(error: &ConfigError) -> worker::Result<Answer> {
    worker::console_error!("edgecache misconfigured: {error}");
    http::respond_json(
        500,
        &serde_json::json!({ "error": "config", "setting": error.setting, "message": error.to_string() }),
    )
}
