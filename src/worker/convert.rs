//! Moving requests and responses between the platform and the core's plain data.

use bytes::Bytes;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::Headers;

/// What the worker answers with: the platform response itself (building a `worker::Response`
/// and converting it at the end costs a hit a second headers object and init conversion).
pub type Answer = web_sys::Response;

use crate::core::http::{after_scheme, end_to_end, HeaderList};

/// The headers of a platform object as a list (repeated headers arrive joined with ", ").
pub fn header_list(headers: &Headers) -> HeaderList {
    // Two boundary crossings for the whole list, not several per header: `Array.from` gives
    // [name, value] pairs, which join as "name,value" lines (names hold no comma, values no
    // line break).
    let joined: String = js_sys::Array::from(headers.0.as_ref()).join("\n").into();
    joined
        .lines()
        .filter_map(|line| line.split_once(','))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned()))
        .collect()
}

/// A header list as the JS `[[name, value], …]` a `Headers` or `Response` takes, in two
/// crossings (JSON text, parse), not one per header.
pub fn header_pairs<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> worker::Result<JsValue> {
    let pairs: Vec<(&str, &str)> = headers.into_iter().collect();
    let json = serde_json::to_string(&pairs).map_err(|e| worker::Error::RustError(e.to_string()))?;
    Ok(js_sys::JSON::parse(&json)?)
}

/// Platform headers from a list.
pub fn platform_headers<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> worker::Result<Headers> {
    Ok(Headers(web_sys::Headers::new_with_str_sequence_sequence(&header_pairs(headers)?)?))
}

/// The path of a serialised absolute URL (`https://host/path?q` → `/path?q`), without parsing it.
pub fn path_of(url: &str) -> &str {
    let rest = after_scheme(url).unwrap_or(url);
    rest.find('/').map_or("/", |i| &rest[i..])
}

/// The raw request method, upper case (worker-rs maps unknown methods to GET).
pub fn raw_method(request: &web_sys::Request) -> String {
    request.method().to_ascii_uppercase()
}

/// Builds a request to `url` with `method`, `headers` and an optional body, never following
/// redirects (a proxy passes 3xx through).
pub fn origin_request(
    url: &str,
    method: &str,
    headers: &HeaderList,
    body: Option<JsValue>,
) -> worker::Result<worker::Request> {
    let init = js_sys::Object::new();
    // Host is the worker's; the platform sets the origin's.
    let kept = end_to_end(headers);
    let platform_headers =
        platform_headers(kept.iter().filter(|(name, _)| name != "host").map(|(n, v)| (n.as_str(), v.as_str())))?;
    js_sys::Reflect::set(&init, &"method".into(), &method.into())?;
    js_sys::Reflect::set(&init, &"headers".into(), platform_headers.as_ref())?;
    js_sys::Reflect::set(&init, &"redirect".into(), &"manual".into())?;
    if let Some(body) = body {
        js_sys::Reflect::set(&init, &"body".into(), &body)?;
    }
    let request = web_sys::Request::new_with_str_and_init(url, init.unchecked_ref())?;
    Ok(request.into())
}

/// A client response from plain parts. Statuses outside 200–599 become a 502 (worker-rs panics
/// on them); null-body statuses and HEAD get no body.
pub fn respond(status: u16, headers: &HeaderList, body: Option<Bytes>) -> worker::Result<Answer> {
    if !(200..=599).contains(&status) {
        return respond_error(502, "bad_origin_status", &format!("origin answered status {status}"));
    }
    let init = web_sys::ResponseInit::new();
    init.set_status(status);
    init.set_headers(&header_pairs(headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))?);
    let body = match body {
        Some(body) if !matches!(status, 204 | 205 | 304) => Some(js_sys::Uint8Array::from(&body[..])),
        _ => None,
    };
    Ok(web_sys::Response::new_with_opt_buffer_source_and_init(body.as_ref().map(AsRef::as_ref), &init)?)
}

/// A JSON error with a reason code.
pub fn respond_error(status: u16, code: &str, message: &str) -> worker::Result<Answer> {
    respond_json(status, &serde_json::json!({ "error": code, "message": message }))
}

/// A JSON response, never cached by anyone.
pub fn respond_json(status: u16, value: &serde_json::Value) -> worker::Result<Answer> {
    let headers = vec![
        ("content-type".to_owned(), "application/json".to_owned()),
        ("cache-control".to_owned(), "no-store".to_owned()),
    ];
    respond(status, &headers, Some(Bytes::from(value.to_string())))
}

/// A URL as the platform parses it (the runtime's own `URL`, so the bundle carries no URL
/// parser: the `url` crate and its IDNA tables were a tenth of it).
pub struct PlatformUrl(web_sys::Url);

impl PlatformUrl {
    /// The URL of `request`.
    pub fn of(request: &web_sys::Request) -> worker::Result<Self> {
        Ok(Self(web_sys::Url::new(&request.url())?))
    }

    /// `text` parsed as an absolute URL, if it is one.
    pub fn parse(text: &str) -> Option<Self> {
        web_sys::Url::new(text).ok().map(Self)
    }

    /// The path, percent-encoded as received.
    pub fn path(&self) -> String {
        self.0.pathname()
    }

    /// The host name, without the port.
    pub fn host_name(&self) -> String {
        self.0.hostname()
    }

    /// The path and the query as received (`/p?q`): what a signed read signs.
    pub fn target(&self) -> String {
        self.0.pathname() + &self.0.search()
    }

    /// The first value of query parameter `name`.
    pub fn param(&self, name: &str) -> Option<String> {
        self.0.search_params().get(name)
    }

    /// Every value of query parameter `name`.
    pub fn params(&self, name: &str) -> Vec<String> {
        self.0.search_params().get_all(name).iter().filter_map(|v| v.as_string()).collect()
    }
}

/// `limit` (a whole number 1-1000, default 100) and `cursor` of a paged listing; a `limit` that
/// is anything else is refused (400 `invalid_limit`), not ignored.
pub fn page_of(url: &PlatformUrl) -> Result<(usize, Option<String>), worker::Result<Answer>> {
    let limit = match url.param("limit") {
        None => 100,
        Some(text) => match text.parse::<usize>() {
            Ok(limit) if (1..=1000).contains(&limit) => limit,
            _ => return Err(respond_error(400, "invalid_limit", "limit must be a whole number from 1 to 1000")),
        },
    };
    Ok((limit, url.param("cursor")))
}

// A body read in chunks, at most `max` bytes held: the whole body, or once it runs past `max`,
// with `keepRest` a Response streaming what was read and then the rest, else null (the rest is
// never read).
#[wasm_bindgen(inline_js = r#"
export async function readAtMost(owner, max, keepRest) {
  if (!owner.body) return new Uint8Array(0);
  const reader = owner.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size <= max) continue;
    if (!keepRest) { reader.cancel(); return null; }
    const rest = new ReadableStream({
      start(controller) { for (const chunk of chunks) controller.enqueue(chunk); chunks.length = 0; },
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) controller.close(); else controller.enqueue(value);
      },
      cancel(reason) { return reader.cancel(reason); },
    });
    return new Response(rest, { status: owner.status, statusText: owner.statusText, headers: owner.headers });
  }
  const whole = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) { whole.set(chunk, at); at += chunk.length; }
  return whole;
}
"#)]
extern "C" {
    #[wasm_bindgen(js_name = readAtMost)]
    fn read_at_most_js(owner: &JsValue, max: f64, keep_rest: bool) -> js_sys::Promise;
}

/// A request's body, read at most `max` bytes far: `None` once it runs past (the rest unread).
pub async fn body_at_most(request: &web_sys::Request, max: usize) -> Result<Option<Bytes>, JsValue> {
    let read = wasm_bindgen_futures::JsFuture::from(read_at_most_js(request, max as f64, false)).await?;
    Ok(read.dyn_into::<js_sys::Uint8Array>().ok().map(|bytes| Bytes::from(bytes.to_vec())))
}

/// A response's body, read at most `max` bytes far: `Ok(bytes)` when it fits, else `Err` with a
/// response that streams what was read and then the rest (for a client: never held whole).
pub async fn body_or_stream(
    response: &web_sys::Response,
    max: usize,
) -> Result<Result<Bytes, web_sys::Response>, JsValue> {
    let read = wasm_bindgen_futures::JsFuture::from(read_at_most_js(response, max as f64, true)).await?;
    Ok(match read.dyn_into::<js_sys::Uint8Array>() {
        Ok(bytes) => Ok(Bytes::from(bytes.to_vec())),
        Err(streaming) => Err(streaming.unchecked_into()),
    })
}
