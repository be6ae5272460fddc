//! Values as JS gave them: strings, `Uint8Array`s and JSON-serialisable values come back as the
//! same kind. One tag byte in front of the stored bytes says which.

use bytes::{BufMut, Bytes, BytesMut};
use js_sys::Uint8Array;
use wasm_bindgen::{JsCast, JsValue};

use super::error::error;

const TEXT: u8 = b's';
const BINARY: u8 = b'b';
const JSON: u8 = b'j';

/// The stored form of a JS value; `undefined`, functions and symbols are refused.
pub fn encode(value: &JsValue) -> Result<Bytes, JsValue> {
    let (tag, body) = if let Some(text) = value.as_string() {
        (TEXT, text.into_bytes())
    } else if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        (BINARY, bytes.to_vec())
    } else if value.is_undefined() || value.is_function() || value.is_symbol() || value.is_bigint() {
        return Err(error("invalid_value", "values must be strings, Uint8Arrays or JSON-serialisable"));
    } else {
        let json = js_sys::JSON::stringify(value)
            .map_err(|e| error("invalid_value", format!("not JSON-serialisable: {e:?}")))?;
        let json: String = json.into();
        (JSON, json.into_bytes())
    };
    let mut out = BytesMut::with_capacity(body.len() + 1);
    out.put_u8(tag);
    out.put_slice(&body);
    Ok(out.freeze())
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
