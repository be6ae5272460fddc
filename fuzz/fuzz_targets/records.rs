//! The record codec's wire forms (feed pages, a purge's changes, invalidations, tag
//! memberships): never panic; whatever decodes encodes back to the same bytes' meaning.
#![no_main]
use edgecache::core::purge::Membership;
use edgecache::core::{Change, FeedPage, Invalidation};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(page) = FeedPage::decode(data) {
        assert_eq!(FeedPage::decode(&page.encode()).expect("re-decodes"), page);
    }
    if let Ok(changes) = Change::decode_all(data) {
        assert_eq!(Change::decode_all(&Change::encode_all(&changes)).expect("re-decodes"), changes);
    }
    if let Ok(invalidation) = Invalidation::decode(data) {
        assert_eq!(Invalidation::decode(&invalidation.encode()).expect("re-decodes"), invalidation);
    }
    if let Ok(members) = Membership::decode_all(data) {
        assert_eq!(Membership::decode_all(&Membership::encode_all(&members)).expect("re-decodes"), members);
    }
});
