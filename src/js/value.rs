//! Values as JS gave them: strings, `Uint8Array`s and JSON-serialisable values come back as the
//! same kind. One tag byte in front of the stored bytes says which.

use bytes::Bytes;
use js_sys::Uint8Array;
use wasm_bindgen::prelude::*;

use super::error::error;

const TEXT: u8 = b's';
const BINARY: u8 = b'b';
const JSON: u8 = b'j';

/// Room for a text value encoded with its key ([`encode_pair`]); a larger one takes the
/// general road.
const VALUE_ROOM: usize = 16 * 1024;
/// Room for the key, after the value's: the keys a cache takes by default (2 KiB) all fit.
const KEY_ROOM: usize = 2 * 1024;

/// A string key and a string value in one crossing (the commonest `set`), through `scratch`
/// (sized on first use, so a cache that never sets pays nothing for it): the key, and the
/// value's stored form. `None` when either is not a string or does not fit its room: the
/// caller then reads each on its own (`as_string`, [`encode`]). Measured against reading them
/// apart (wasm-bindgen's string glue for the key, two calls for the value): a 200 B `set` 1.07×
/// as fast; with the key's view of the buffer made once rather than every call, 1.02–1.05×
/// more (`bench/findings.md`).
pub fn encode_pair(key: &JsValue, value: &JsValue, scratch: &mut Vec<u8>) -> Option<(String, Bytes)> {
    if scratch.is_empty() {
        scratch.resize(VALUE_ROOM + KEY_ROOM, 0);
    }
    let lengths = encode_pair_into(key, value, scratch);
    if lengths < 0.0 {
        return None;
    }
    let key_end = VALUE_ROOM + (lengths / 4_294_967_296.0) as usize;
    let value_len = (lengths % 4_294_967_296.0) as usize;
    let mut stored = Vec::with_capacity(1 + value_len);
    stored.push(TEXT);
    stored.extend_from_slice(scratch.get(..value_len)?);
    Some((String::from_utf8(scratch.get(VALUE_ROOM..key_end)?.to_vec()).ok()?, stored.into()))
}

/// The stored form of a JS value; `undefined`, functions and symbols are refused. Each kind is
/// written once, straight into the buffer stored (behind its kind byte).
pub fn encode(value: &JsValue) -> Result<Bytes, JsValue> {
    if let Some(length) = text_length(value) {
        return Ok(encode_text(TEXT, value, length).into());
    }
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        let mut out = vec![BINARY; 1 + bytes.length() as usize];
        bytes.copy_to(&mut out[1..]);
        return Ok(out.into());
    }
    let refused = || error("invalid_value", "values must be strings, Uint8Arrays or JSON-serialisable");
    if value.is_undefined() || value.is_function() || value.is_symbol() || value.is_bigint() {
        return Err(refused());
    }
    let json =
        js_sys::JSON::stringify(value).map_err(|e| error("invalid_value", format!("not JSON-serialisable: {e:?}")))?;
    // `undefined` when its `toJSON` says so.
    let length = text_length(&json).ok_or_else(refused)?;
    Ok(encode_text(JSON, &json, length).into())
}

/// `[kind, UTF-8 of the string]`, encoded by JS straight into the buffer: one copy, not the
/// two of `as_string` (into a `String`, then behind the kind), and by the engine's `encodeInto`
/// rather than wasm-bindgen's character loop — measured, a 2 KB `set` twice as fast.
fn encode_text(kind: u8, text: &JsValue, length: usize) -> Vec<u8> {
    // One byte per UTF-16 unit fits ASCII; other text grows the buffer for what is left (at
    // most 3 bytes per unit) and goes on where it stopped.
    let mut out = vec![kind; 1 + length];
    let (mut from, mut end) = (0, 1);
    loop {
        let (written, read) = match encode_into(text, from, &mut out[end..]) {
            done if done >= 0.0 => (done as usize, length),
            partial => ((-partial - 1.0) as usize, last_read()),
        };
        end += written;
        if read >= length {
            out.truncate(end);
            return out;
        }
        from = read;
        out.resize(end + 3 * (length - read), 0);
    }
}

#[wasm_bindgen(inline_js = r#"
const encoder = new TextEncoder();
const VALUE_ROOM = 16384;
let read = 0;
export function textLength(v) {
  return typeof v === "string" ? v.length : undefined;
}
export function encodeInto(s, from, into) {
  const text = from === 0 ? s : s.slice(from);
  const r = encoder.encodeInto(text, into);
  if (r.read === text.length) return r.written;
  read = from + r.read;
  return -r.written - 1;
}
export function lastRead() {
  return read;
}
let keyRoom = null;
export function encodePair(key, value, into) {
  if (typeof key !== "string" || typeof value !== "string") return -1;
  // The value at the start of the buffer, the key in the room after it: its view made once per
  // buffer (a view is an object to allocate: one per call cost a 200 B set up to 5 %).
  if (keyRoom === null || keyRoom.buffer !== into.buffer || keyRoom.byteOffset !== into.byteOffset + VALUE_ROOM) {
    keyRoom = into.subarray(VALUE_ROOM);
  }
  const v = encoder.encodeInto(value, into);
  if (v.read !== value.length || v.written > VALUE_ROOM) return -1;
  const k = encoder.encodeInto(key, keyRoom);
  if (k.read !== key.length) return -1;
  return k.written * 4294967296 + v.written;
}
"#)]
extern "C" {
    /// The length in UTF-16 units of a string; `None` for anything else.
    #[wasm_bindgen(js_name = textLength)]
    fn text_length(value: &JsValue) -> Option<usize>;
    /// Writes the UTF-8 of `s` from UTF-16 index `from` into `into` (a view of wasm memory,
    /// no copy): the bytes written when all of it fit, else `-written - 1` (and `lastRead()` is
    /// the index reached).
    #[wasm_bindgen(js_name = encodeInto)]
    fn encode_into(s: &JsValue, from: usize, into: &mut [u8]) -> f64;
    #[wasm_bindgen(js_name = lastRead)]
    fn last_read() -> usize;
    /// The UTF-8 of string `value` at the start of `into` and of string `key` from
    /// [`VALUE_ROOM`] on: their byte lengths as `key * 2^32 + value`, or -1 when either is not
    /// a string or does not fit its room.
    #[wasm_bindgen(js_name = encodePair)]
    fn encode_pair_into(key: &JsValue, value: &JsValue, into: &mut [u8]) -> f64;
}

/// The JS value of a stored form.
pub fn decode(bytes: &[u8]) -> Result<JsValue, JsValue> {
    let Some((&tag, body)) = bytes.split_first() else {
        return Err(error("corrupt_value", "empty stored value"));
    };
    let text = || std::str::from_utf8(body).map_err(|_| error("corrupt_value", "stored text is not UTF-8"));
    match tag {
        TEXT => Ok(JsValue::from_str(text()?)),
        BINARY => Ok(Uint8Array::from(body).into()),
        JSON => js_sys::JSON::parse(text()?).map_err(|_| error("corrupt_value", "stored JSON does not parse")),
        _ => Err(error("corrupt_value", "stored value has an unknown kind")),
    }
}

/// The kind byte of a stored form (`s`, `b` or `j`; 0 when empty).
pub fn kind(bytes: &[u8]) -> u8 {
    bytes.first().copied().unwrap_or(0)
}

/// The JSON text of a stored JSON value.
pub fn json_text(bytes: &[u8]) -> Option<&str> {
    match bytes.split_first() {
        Some((&JSON, body)) => std::str::from_utf8(body).ok(),
        _ => None,
    }
}
