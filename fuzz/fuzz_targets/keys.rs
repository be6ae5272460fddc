//! The KV key scheme: different user keys never share an entry key (injective), and a key read
//! back from a tag's index is the key that was stored (escape/unescape round trip) whenever it
//! fit unshortened.
#![no_main]
use edgecache::core::KeySpace;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (a, b) = text.split_at(text.char_indices().nth(text.chars().count() / 2).map_or(0, |(i, _)| i));
    let keys = KeySpace::new("fuzz", "0");
    if a != b {
        assert_ne!(keys.entry(a, 0), keys.entry(b, 0), "{a:?} and {b:?} share an entry key");
        for scope_pair in [
            (edgecache::core::Scope::Key(a.into()), edgecache::core::Scope::Key(b.into())),
            (edgecache::core::Scope::Tag(a.into()), edgecache::core::Scope::Tag(b.into())),
        ] {
            assert_ne!(keys.stamps(&scope_pair.0), keys.stamps(&scope_pair.1));
        }
    }
    let index = keys.index("tag", a, 7);
    if let Some((key, version)) = keys.member_of_index("tag", &index) {
        if !index.contains('~') {
            assert_eq!((key.as_str(), version), (a, 7), "index key {index:?}");
        }
    }
});
