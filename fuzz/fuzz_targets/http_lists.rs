//! The list-valued HTTP fields, each with its own properties: entity-tag lists (`If-None-Match`,
//! `ETag`) read back the tags they were written from, whatever characters the tags hold (commas
//! included) and however they are spaced, and a conditional request matches a stored `ETag`
//! exactly when the list holds its opaque tag (weak comparison); a `Vary` response stored for a
//! request is selected by that request (and by its whitespace-respelled twin), and any request
//! it does not select is sent to one of the other variant slots.
#![no_main]
use bytes::Bytes;
use edgecache::core::http::{entity_tags, not_modified, StoredResponse};
use libfuzzer_sys::fuzz_target;

fn pairs(list: &[(&str, String)]) -> Vec<(String, String)> {
    list.iter().map(|(n, v)| ((*n).to_owned(), v.clone())).collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = entity_tags(text);
    let mut lines = text.split('\n');
    let spacing = lines.next().unwrap_or_default();
    // Entity tags: the visible characters a tag may hold (no DQUOTE, no control, no space).
    let tag_of = |line: &str| -> String { line.chars().filter(|c| c.is_ascii_graphic() && *c != '"').collect() };
    let tags: Vec<(bool, String)> =
        lines.by_ref().take(6).map(|line| (line.starts_with('w'), format!("\"{}\"", tag_of(line)))).collect();
    if let Some((stored_weak, stored)) = tags.first() {
        let gap = if spacing.contains('t') { ",\t " } else if spacing.contains('s') { " , " } else { "," };
        let written: Vec<String> = tags.iter().map(|(weak, tag)| format!("{}{tag}", if *weak { "W/" } else { "" })).collect();
        let list = written.join(gap);
        let read: Vec<(bool, String)> = entity_tags(&list).into_iter().map(|(w, t)| (w, t.to_owned())).collect();
        assert_eq!(read, tags, "{list:?}");
        let etag = format!("{}{stored}", if *stored_weak { "W/" } else { "" });
        let stored_headers = pairs(&[("etag", etag.clone())]);
        let others: Vec<&String> = written.iter().skip(1).collect();
        let holds = tags.iter().skip(1).any(|(_, t)| t == stored);
        let without = others.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(gap);
        if !without.is_empty() {
            assert_eq!(not_modified(&pairs(&[("if-none-match", without.clone())]), &stored_headers), holds, "{without:?} vs {etag:?}");
        }
        assert!(not_modified(&pairs(&[("if-none-match", list.clone())]), &stored_headers), "{list:?} holds {etag:?}");
    }
    // Vary: the rest are header lines of a request; the response varies on their names.
    let request: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned()))
        .take(4)
        .collect();
    if request.is_empty() {
        return;
    }
    let names: Vec<&str> = request.iter().map(|(n, _)| n.as_str()).collect();
    let response = pairs(&[("vary", names.join(", "))]);
    let stored = StoredResponse {
        status: 200,
        headers: response.clone(),
        vary: StoredResponse::vary_of(&request, &response),
        age_ms: 0,
        must_revalidate: false,
        body: Bytes::new(),
    };
    assert!(stored.matches(&request), "{request:?}");
    assert_eq!(stored.variant_for(&request), None);
    let respelled: Vec<(String, String)> =
        request.iter().map(|(n, v)| (n.clone(), format!(" {}\t", v.replace(", ", " ,  ")))).collect();
    assert!(stored.matches(&respelled), "whitespace is not a different value: {respelled:?}");
    let other: Vec<(String, String)> = request.iter().map(|(n, v)| (n.clone(), format!("{v}x"))).collect();
    if !stored.matches(&other) {
        assert!(matches!(stored.variant_for(&other), Some(1..=8)));
    }
});
