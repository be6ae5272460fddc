//! `signPurge` and `verifyPurge` for JS origins and JS workers, wire-compatible with npm
//! `standardwebhooks`.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use super::error::{error, purge_error};
use super::types::{to_js, PurgeHeaders, SignOptions, VerifiedPurge, VerifyOptions};
use crate::core::purge::{sign, verify, Secrets, SignedHeaders, VerifyLimits};

fn secrets(text: &str) -> Result<Secrets, JsValue> {
    Secrets::parse(text).map_err(|e| error("invalid_secret", e))
}

fn body_bytes(body: &JsValue) -> Result<Vec<u8>, JsValue> {
    if let Some(text) = body.as_string() {
        Ok(text.into_bytes())
    } else if let Some(bytes) = body.dyn_ref::<js_sys::Uint8Array>() {
        Ok(bytes.to_vec())
    } else {
        Err(error("invalid_body", "the body must be a string or a Uint8Array (the exact bytes sent)"))
    }
}

/// The three headers for sending `body` (a string or `Uint8Array`) as a signed purge, signed
/// with the first of `secrets` (space-separated `whsec_…`).
#[wasm_bindgen(js_name = signPurge, unchecked_return_type = "PurgeHeaders")]
pub fn sign_purge(
    secrets_text: &str,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] body: JsValue,
    #[wasm_bindgen(unchecked_param_type = "SignOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let options = SignOptions::read(&options)?;
    let secrets = secrets(secrets_text)?;
    let body = body_bytes(&body)?;
    let id = options.id.unwrap_or_else(|| {
        format!("msg_{:016x}{:08x}", crate::platform::random_seed(), (js_sys::Math::random() * 4e9) as u32)
    });
    let timestamp = match options.timestamp {
        None => (js_sys::Date::now() / 1000.0) as u64,
        Some(t) if t.is_finite() && t >= 0.0 && t.fract() == 0.0 && t < 1e12 => t as u64,
        Some(t) => {
            return Err(error(
                "invalid_option",
                format!("timestamp must be whole Unix seconds, not {}", super::options::shown(t)),
            ))
        }
    };
    let signature = sign(secrets.primary(), &id, timestamp, &body).map_err(|e| purge_error(&e))?;
    to_js(&PurgeHeaders { id, timestamp: timestamp.to_string(), signature })
}

/// Verifies a signed purge: `headers` (a `Headers` or a plain object), the exact `body` bytes.
/// Returns `{ id, timestamp }`, or throws `EdgeCacheError` whose `code` is the reason.
#[wasm_bindgen(js_name = verifyPurge, unchecked_return_type = "VerifiedPurge")]
pub fn verify_purge(
    secrets_text: &str,
    #[wasm_bindgen(unchecked_param_type = "Headers | PurgeHeaders | Record<string, string>")] headers: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string | Uint8Array")] body: JsValue,
    #[wasm_bindgen(unchecked_param_type = "VerifyOptions")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let options = VerifyOptions::read(&options)?;
    let secrets = secrets(secrets_text)?;
    let body = body_bytes(&body)?;
    let header = |name: &str| -> Option<String> {
        let get = Reflect::get(&headers, &"get".into()).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match get {
            Some(get) => get.call1(&headers, &name.into()).ok().and_then(|v| v.as_string()),
            None => Reflect::get(&headers, &name.into()).ok().and_then(|v| v.as_string()),
        }
    };
    let (id, ts, sig) = (header("webhook-id"), header("webhook-timestamp"), header("webhook-signature"));
    let signed = SignedHeaders { id: id.as_deref(), timestamp: ts.as_deref(), signature: sig.as_deref() };
    let mut limits = VerifyLimits::default();
    if let Some(t) = options.tolerance {
        limits.tolerance_secs = t.max(0.0) as u64;
    }
    let now = options.now.map_or_else(|| (js_sys::Date::now() / 1000.0) as u64, |n| n.max(0.0) as u64);
    let verified = verify(&secrets, &signed, &body, now, &limits).map_err(|e| purge_error(&e))?;
    to_js(&VerifiedPurge { id: verified.id, timestamp: verified.timestamp })
}
