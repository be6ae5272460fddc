//! A purge body (after a valid signature): never panics; an accepted request re-serialises to
//! one that parses to the same request.
#![no_main]
use edgecache::core::purge::{PurgeRequest, RequestLimits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = RequestLimits::default();
    let Ok(request) = PurgeRequest::parse(data, &limits) else { return };
    let again = PurgeRequest::parse(request.to_json().as_bytes(), &limits).expect("its own JSON parses");
    assert_eq!(again, request);
});
