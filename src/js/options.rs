//! Options objects read field by field. Hand-read rather than through serde-wasm-bindgen: its
//! deserializers were a tenth of the npm wasm for half a dozen small objects, and a wrong field
//! gets a message naming the field either way.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use wasm_bindgen::prelude::*;

use super::error::error;

/// The fields an options object may have, registered with the JS reader once.
pub(crate) struct Fields {
    names: &'static [&'static str],
    /// The reader's id plus one; 0 until registered. (An atomic rather than a `OnceLock`: the
    /// same thing on single-threaded wasm, and 600 bytes smaller.)
    id: AtomicU32,
}

impl Fields {
    /// At most 30 names (each is a bit of the reader's answer, which is negative for errors).
    pub const fn new(names: &'static [&'static str]) -> Self {
        assert!(names.len() <= 30);
        Self { names, id: AtomicU32::new(0) }
    }

    fn id(&self) -> u32 {
        if let Some(id) = self.id.load(Ordering::Relaxed).checked_sub(1) {
            return id;
        }
        // Pushed, not `join`ed (as below): one generic instantiation less in the wasm.
        let mut joined = String::new();
        for name in self.names {
            joined.push_str(name);
            joined.push(',');
        }
        joined.pop();
        let id = register_fields(&joined);
        self.id.store(id + 1, Ordering::Relaxed);
        id
    }
}

/// One options object (or none: every field absent), its unknown fields already refused. Read
/// in JS in one call (`readFields`): which fields are present, their values kept there until
/// asked for — a call costs crossings per field used, not per field known or given.
///
/// ```text
/// static SET: Fields = Fields::new(&["ttl", "tags"]);
/// let options = Options::read(value, "set options", &SET)?;
/// let ttl = options.number("ttl")?; // None when absent, null or undefined
/// ```
pub(crate) struct Options {
    /// Bit i: `fields.names[i]` is present (neither undefined nor null).
    present: u32,
    fields: &'static Fields,
    what: &'static str,
    /// Where the next field asked for is looked for first: fields are read in the order listed.
    next: Cell<usize>,
}

impl Options {
    /// `value` must be undefined, null or an object whose own fields are all in `fields`. (The
    /// methods take options as a plain `JsValue`: an `Option<Object>` parameter makes the glue
    /// call into wasm to place the object in the externref table — `set` 4–8 % slower. Only the
    /// lookups keep the `Option`: their memo path reads its `None` without a call into JS.)
    pub fn read(value: &JsValue, what: &'static str, fields: &'static Fields) -> Result<Self, JsValue> {
        match read_fields(value, fields.id()) {
            -1 => Err(error("invalid_option", format!("{what} must be an object"))),
            -2 => {
                let key = field_value(0).as_string().unwrap_or_default();
                // Pushed, not `join`ed: one generic instantiation less in the wasm.
                let mut message = format!("{what}: unknown field `{key}`, expected one of:");
                for name in fields.names {
                    message.push_str(" `");
                    message.push_str(name);
                    message.push('`');
                }
                Err(error("invalid_option", message))
            }
            present => Ok(Self { present: present as u32, fields, what, next: Cell::new(0) }),
        }
    }

    /// The index of the field unless it is absent, undefined or null.
    fn index(&self, name: &str) -> Option<usize> {
        if self.present == 0 {
            return None;
        }
        let (names, hint) = (self.fields.names, self.next.get());
        let index = match names.get(hint) {
            Some(field) if *field == name => hint,
            _ => names.iter().position(|field| *field == name)?,
        };
        self.next.set(index + 1);
        (self.present & (1 << index) != 0).then_some(index)
    }

    /// The field unless it is absent, undefined or null.
    fn present(&self, name: &str) -> Option<JsValue> {
        self.index(name).map(|index| field_value(index as u32))
    }

    /// The field as given; undefined when absent (or null).
    pub fn value(&self, name: &str) -> JsValue {
        self.present(name).unwrap_or(JsValue::UNDEFINED)
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
        let Some(index) = self.index(name) else {
            return Ok(None);
        };
        let ms = field_ms(index as u32);
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

    /// An array-of-strings field (no string holding NUL); empty when absent. Crosses as one
    /// string (`joinStrings`), not one per item.
    pub fn strings(&self, name: &str) -> Result<Vec<String>, JsValue> {
        let Some(value) = self.present(name) else {
            return Ok(Vec::new());
        };
        let joined = join_strings(&value).ok_or_else(|| self.wrong(name, "an array of strings"))?;
        Ok(joined.split_terminator('\0').map(str::to_owned).collect())
    }
}

#[wasm_bindgen(inline_js = r#"
const UNITS = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5 };
function parseDuration(v) {
  if (typeof v === "number") return v;
  const m = typeof v === "string" ? /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(v) : null;
  return m ? Number(m[1]) * UNITS[m[2]] : NaN;
}
const lists = [];
let values = [];
export function registerFields(joined) {
  lists.push(joined.split(","));
  return lists.length - 1;
}
export function readFields(o, id) {
  if (o === undefined || o === null) return 0;
  if (typeof o !== "object" || Array.isArray(o)) return -1;
  const names = lists[id];
  let present = 0;
  values = [];
  for (const k of Object.keys(o)) {
    const i = names.indexOf(k);
    if (i < 0) {
      values[0] = k;
      return -2;
    }
    const v = o[k];
    if (v !== undefined && v !== null) {
      present |= 1 << i;
      values[i] = v;
    }
  }
  return present;
}
export function joinStrings(v) {
  if (!Array.isArray(v)) return undefined;
  let joined = "";
  for (const s of v) {
    if (typeof s !== "string" || s.includes("\0")) return undefined;
    joined += s + "\0";
  }
  return joined;
}
export function fieldValue(i) {
  return values[i];
}
export function fieldMs(i) {
  return parseDuration(values[i]);
}
export function loaderContext() {
  return { ttl: undefined, tags: [], skipped: false, skip() { this.skipped = true; } };
}
"#)]
extern "C" {
    /// Registers a comma-joined field list; its id for `readFields`.
    #[wasm_bindgen(js_name = registerFields)]
    fn register_fields(joined: &str) -> u32;
    /// The bits of the listed fields `o` has (neither undefined nor null); -1 when `o` is not a
    /// plain object, -2 when it has a field not listed (its name is then `fieldValue(0)`).
    #[wasm_bindgen(js_name = readFields)]
    fn read_fields(o: &JsValue, id: u32) -> i32;
    /// The strings of an array, each followed by NUL; `None` unless an array of strings none
    /// of which holds NUL.
    #[wasm_bindgen(js_name = joinStrings)]
    fn join_strings(v: &JsValue) -> Option<String>;
    /// The value of field `i` of the last object read.
    #[wasm_bindgen(js_name = fieldValue)]
    fn field_value(i: u32) -> JsValue;
    /// Field `i` of the last object read in milliseconds: a number as it is, a duration string's
    /// value, NaN for anything else. (One crossing with a number back, not two with a value.)
    #[wasm_bindgen(js_name = fieldMs)]
    fn field_ms(i: u32) -> f64;
    /// A new context for a `getOrSet` loader (bentocache's factory context does the same): it
    /// may set `ttl`, push `tags`, or `skip()` storing the value.
    #[wasm_bindgen(js_name = loaderContext)]
    pub(crate) fn loader_context() -> JsValue;
}

/// `n` as JS prints it. Rust's float formatting would add 17 KB of wasm for error messages.
pub(crate) fn shown(n: f64) -> String {
    js_sys::Number::from(n).to_string_with_radix(10).map(String::from).unwrap_or_default()
}
