//! A stored HTTP response read back from KV: never panics; what decodes re-encodes to itself.
#![no_main]
use bytes::Bytes;
use edgecache::core::http::StoredResponse;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(stored) = StoredResponse::decode(&Bytes::copy_from_slice(data)) else { return };
    let again = stored.encode().expect("a decoded response encodes");
    assert_eq!(StoredResponse::decode(&again).expect("its own encoding decodes"), stored);
});
