//! HTTP fields from origin responses and client requests: Cache-Control and CDN-Cache-Control
//! directives, HTTP dates, ranges, and the whole storage decision. Never panic; a parsed date
//! formats to a date that parses to the same instant.
#![no_main]
use edgecache::core::http::{decide, format_http_date, parse_http_date, select_range, Directives, EdgePolicy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = Directives::parse(text);
    let _ = Directives::parse_targeted(text);
    if let Some(at) = parse_http_date(text) {
        assert_eq!(parse_http_date(&format_http_date(at)), Some(at), "{text:?}");
    }
    let headers: Vec<(String, String)> = text
        .split('\n')
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let range = vec![("range".to_owned(), text.to_owned())];
    let _ = select_range(&range, &headers, 1_000);
    let _ = select_range(&headers, &headers, 1_000);
    let _ = decide(&headers, 200, &headers, 1_000_000_000_000, &EdgePolicy::default());
});
