//! Options objects read field by field. Hand-read rather than through serde-wasm-bindgen: its
//! deserializers were a tenth of the npm wasm for half a dozen small objects, and a wrong field
//! gets a message naming the field either way.

use std::time::Duration;

use js_sys::{Array, Object};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::error::error;

/// One options object (or none: every field absent), its unknown fields already refused.
///
/// ```text
/// let options = Options::read(value, "set options", &["ttl", "tags"])?;
/// let ttl = options.number("ttl")?; // None when absent, null or undefined
/// ```
pub(crate) struct Options {
    /// The object's own fields, read in one pass (`Object.entries`): a call costs crossings per
    /// field given, not per field known.
    fields: Vec<(&'static str, JsValue)>,
    what: &'static str,
}

impl Options {
    /// `value` must be undefined, null or an object whose own fields are all in `allowed`.
    pub fn read(value: Option<Object>, what: &'static str, allowed: &[&'static str]) -> Result<Self, JsValue> {
        let value = value.map(JsValue::from).filter(|v| !v.is_undefined() && !v.is_null());
        let Some(value) = value else {
            return Ok(Self { fields: Vec::new(), what });
        };
        let Some(object) = value.dyn_ref::<Object>().filter(|_| value.is_object() && !Array::is_array(&value)) else {
            return Err(error("invalid_option", format!("{what} must be an object")));
        };
        let mut fields = Vec::new();
        for entry in Object::entries(object).iter() {
            let pair: Array = entry.unchecked_into();
            let key = pair.get(0).as_string().unwrap_or_default();
            let Some(&name) = allowed.iter().find(|name| **name == key) else {
                // Pushed, not `join`ed: one generic instantiation less in the wasm.
                let mut message = format!("{what}: unknown field `{key}`, expected one of:");
                for name in allowed {
                    message.push_str(" `");
                    message.push_str(name);
                    message.push('`');
                }
                return Err(error("invalid_option", message));
            };
            fields.push((name, pair.get(1)));
        }
        Ok(Self { fields, what })
    }

    /// The field as given; undefined when absent.
    pub fn value(&self, name: &str) -> JsValue {
        self.fields.iter().find(|(field, _)| *field == name).map_or(JsValue::UNDEFINED, |(_, value)| value.clone())
    }

    /// The field unless it is absent, undefined or null.
    fn present(&self, name: &str) -> Option<JsValue> {
        Some(self.value(name)).filter(|v| !v.is_undefined() && !v.is_null())
    }

    fn wrong(&self, name: &str, expected: &str) -> JsValue {
        error("invalid_option", format!("{}: `{name}` must be {expected}", self.what))
    }

    /// A number field.
    pub fn number(&self, name: &str) -> Result<Option<f64>, JsValue> {
        self.present(name).map(|v| v.as_f64().ok_or_else(|| self.wrong(name, "a number"))).transpose()
    }

    /// A duration field: a number of milliseconds, or a string of a number and a unit — `"250ms"`,
    /// `"30s"`, `"5m"`, `"1.5h"`, `"7d"` — from 0 up to 1000 years.
    pub fn duration(&self, name: &str) -> Result<Option<Duration>, JsValue> {
        let Some(value) = self.present(name) else {
            return Ok(None);
        };
        let ms = parse_duration(&value);
        if (0.0..=31_536_000_000_000.0).contains(&ms) {
            return Ok(Some(Duration::from_micros((ms * 1000.0) as u64)));
        }
        Err(self.wrong(name, "a duration: milliseconds ≥ 0 or a string such as \"30s\", \"5m\", \"1h\""))
    }

    /// The `version` field: a whole number ≥ 0 that JS numbers hold exactly; 0 when absent.
    pub fn version(&self) -> Result<u64, JsValue> {
        match self.number("version")? {
            None => Ok(0),
            Some(v) if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 9_007_199_254_740_991.0 => Ok(v as u64),
            Some(v) => Err(error("invalid_option", format!("version must be a whole number ≥ 0, not {}", shown(v)))),
        }
    }

    /// A string field.
    pub fn string(&self, name: &str) -> Result<Option<String>, JsValue> {
        self.present(name).map(|v| v.as_string().ok_or_else(|| self.wrong(name, "a string"))).transpose()
    }

    /// A boolean field; false when absent.
    pub fn boolean(&self, name: &str) -> Result<bool, JsValue> {
        self.present(name).map_or(Ok(false), |v| v.as_bool().ok_or_else(|| self.wrong(name, "true or false")))
    }

    /// An array-of-strings field; empty when absent.
    pub fn strings(&self, name: &str) -> Result<Vec<String>, JsValue> {
        let Some(value) = self.present(name) else {
            return Ok(Vec::new());
        };
        let array = value.dyn_into::<Array>().map_err(|_| self.wrong(name, "an array of strings"))?;
        array.iter().map(|item| item.as_string().ok_or_else(|| self.wrong(name, "an array of strings"))).collect()
    }
}

#[wasm_bindgen(inline_js = r#"
const UNITS = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5 };
export function parseDuration(v) {
  if (typeof v === "number") return v;
  const m = typeof v === "string" ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(v) : null;
  return m ? Number(m[1]) * UNITS[m[2]] : NaN;
}
export function loaderContext() {
  return { ttl: undefined, tags: [], skipped: false, skip() { this.skipped = true; } };
}
"#)]
extern "C" {
    /// Milliseconds of a number (as it is) or a duration string; NaN for anything else.
    #[wasm_bindgen(js_name = parseDuration)]
    fn parse_duration(value: &JsValue) -> f64;
    /// A new context for a `getOrSet` loader (bentocache's factory context does the same): it
    /// may set `ttl`, push `tags`, or `skip()` storing the value.
    #[wasm_bindgen(js_name = loaderContext)]
    pub(crate) fn loader_context() -> JsValue;
}

/// `n` as JS prints it. Rust's float formatting would add 17 KB of wasm for error messages.
pub(crate) fn shown(n: f64) -> String {
    js_sys::Number::from(n).to_string_with_radix(10).map(String::from).unwrap_or_default()
}
