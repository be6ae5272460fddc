//! The floor of a Rust worker on this platform, for the load benchmark: the same entry point as
//! edgecache's worker (its own `fetch` export returning a settled Promise, through
//! worker-build's shim and wasm-bindgen's glue) answering the page and headers a cache hit
//! answers, with no cache work at all. Compared with the same answer from plain JS, it shows
//! how much of a Rust worker's cost is the platform glue every Rust worker pays.

use wasm_bindgen::prelude::*;

const BODY: [u8; 2048] = [b'x'; 2048];
const HEADERS: &str = r#"[["age","0"],["cache-control","max-age=3600"],["cache-status","edgecache; hit; ttl=3599"],["content-type","text/plain"],["date","Fri, 27 Nov 2026 00:00:00 GMT"]]"#;

/// Answers every request with the fixed page.
#[wasm_bindgen(js_name = fetch)]
pub fn fetch(_request: web_sys::Request, _env: worker::Env, _ctx: worker::worker_sys::Context) -> js_sys::Promise {
    let answer = (|| -> Result<web_sys::Response, JsValue> {
        let init = web_sys::ResponseInit::new();
        init.set_status(200);
        init.set_headers(&js_sys::JSON::parse(HEADERS)?);
        web_sys::Response::new_with_opt_u8_array_and_init(Some(&mut BODY.clone()), &init)
    })();
    match answer {
        Ok(response) => js_sys::Promise::resolve(&JsValue::from(response)),
        Err(error) => js_sys::Promise::reject(&error),
    }
}
