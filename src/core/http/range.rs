//! Answering a byte-range request from a stored complete response (RFC 9110 §14).

use super::headers::header;

/// The request headers [`select_range`] reads.
pub const RANGE_HEADERS: [&str; 2] = ["range", "if-range"];

/// How to answer a GET from a stored `200` of `len` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// The whole response: no `Range`, one this cache ignores (another unit, several ranges,
    /// bad syntax), or an `If-Range` that no longer matches.
    Full,
    /// `206 Partial Content` with bytes `first..=last`.
    Partial {
        /// The first byte.
        first: usize,
        /// The last byte, included.
        last: usize,
    },
    /// `416 Range Not Satisfiable`: the one range asked for starts past the end.
    Unsatisfiable,
}

/// How to answer `request` (a GET) from a stored 200 whose headers are `stored` and whose body
/// has `len` bytes: one `bytes` range (`first-last`, `first-`, `-suffix`) is served as a part;
/// several ranges get the whole response (RFC 9110 §14.2 allows it); `If-Range` must match the
/// stored `ETag` strongly, or equal its `Last-Modified`, else the whole response is sent.
///
/// ```
/// use edgecache::core::http::{select_range, RangeAnswer};
/// let h = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
/// assert_eq!(select_range(&h(&[("range", "bytes=0-4")]), &[], 10), RangeAnswer::Partial { first: 0, last: 4 });
/// assert_eq!(select_range(&h(&[("range", "bytes=-3")]), &[], 10), RangeAnswer::Partial { first: 7, last: 9 });
/// assert_eq!(select_range(&h(&[("range", "bytes=10-")]), &[], 10), RangeAnswer::Unsatisfiable);
/// assert_eq!(select_range(&h(&[("range", "bytes=0-1,5-6")]), &[], 10), RangeAnswer::Full);
/// ```
#[must_use]
pub fn select_range(request: &[(String, String)], stored: &[(String, String)], len: usize) -> RangeAnswer {
    let Some(range) = header(request, "range") else {
        return RangeAnswer::Full;
    };
    if let Some(condition) = header(request, "if-range") {
        if !if_range_holds(condition.trim(), stored) {
            return RangeAnswer::Full;
        }
    }
    let Some((unit, specs)) = range.split_once('=') else {
        return RangeAnswer::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || specs.contains(',') {
        return RangeAnswer::Full;
    }
    let Some((first, last)) = specs.trim().split_once('-') else {
        return RangeAnswer::Full;
    };
    let number = |text: &str| -> Option<usize> {
        let text = text.trim();
        // Digits only (no sign, no space inside); a number past usize is past any body.
        (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().unwrap_or(usize::MAX))
    };
    match (number(first), first.trim().is_empty(), number(last), last.trim().is_empty()) {
        // -suffix: the last `suffix` bytes.
        (None, true, Some(suffix), false) => {
            if suffix == 0 || len == 0 {
                RangeAnswer::Unsatisfiable
            } else {
                RangeAnswer::Partial { first: len - suffix.min(len), last: len - 1 }
            }
        }
        // first- : from `first` to the end.
        (Some(first), _, None, true) if first < len => RangeAnswer::Partial { first, last: len - 1 },
        (Some(_), _, None, true) => RangeAnswer::Unsatisfiable,
        // first-last
        (Some(first), _, Some(last), _) if first <= last => {
            if first < len {
                RangeAnswer::Partial { first, last: last.min(len - 1) }
            } else {
                RangeAnswer::Unsatisfiable
            }
        }
        _ => RangeAnswer::Full,
    }
}

/// `If-Range` (RFC 9110 §13.1.5): an entity tag matching the stored one strongly (neither weak),
/// or a date equal to the stored `Last-Modified`.
fn if_range_holds(condition: &str, stored: &[(String, String)]) -> bool {
    if condition.starts_with('"') || condition.starts_with("W/") {
        let etag = header(stored, "etag").map(str::trim);
        return !condition.starts_with("W/") && etag.is_some_and(|tag| !tag.starts_with("W/") && tag == condition);
    }
    header(stored, "last-modified").is_some_and(|modified| modified.trim() == condition)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;

    fn h(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    fn range(value: &str, len: usize) -> RangeAnswer {
        select_range(&h(&[("range", value)]), &[], len)
    }

    #[test]
    fn the_three_forms_of_one_byte_range() {
        assert_eq!(range("bytes=2-5", 10), RangeAnswer::Partial { first: 2, last: 5 });
        assert_eq!(range("bytes=2-500", 10), RangeAnswer::Partial { first: 2, last: 9 }, "last clipped");
        assert_eq!(range("bytes=9-9", 10), RangeAnswer::Partial { first: 9, last: 9 });
        assert_eq!(range("bytes=3-", 10), RangeAnswer::Partial { first: 3, last: 9 });
        assert_eq!(range("bytes=-4", 10), RangeAnswer::Partial { first: 6, last: 9 });
        assert_eq!(range("bytes=-40", 10), RangeAnswer::Partial { first: 0, last: 9 }, "suffix longer than the body");
        assert_eq!(range("Bytes = 0-0", 10), RangeAnswer::Partial { first: 0, last: 0 }, "unit case and spaces");
    }

    #[test]
    fn unsatisfiable_ranges_are_416() {
        assert_eq!(range("bytes=10-20", 10), RangeAnswer::Unsatisfiable);
        assert_eq!(range("bytes=10-", 10), RangeAnswer::Unsatisfiable);
        assert_eq!(range("bytes=-0", 10), RangeAnswer::Unsatisfiable);
        assert_eq!(range("bytes=0-", 0), RangeAnswer::Unsatisfiable);
        assert_eq!(range("bytes=99999999999999999999999-", 10), RangeAnswer::Unsatisfiable);
    }

    #[test]
    fn what_this_cache_ignores_gets_the_whole_response() {
        for value in ["items=0-1", "bytes=0-1,3-4", "bytes=5-2", "bytes=a-b", "bytes=-", "bytes=1", "0-1", "bytes=+1-2"]
        {
            assert_eq!(range(value, 10), RangeAnswer::Full, "{value}");
        }
        assert_eq!(select_range(&[], &[], 10), RangeAnswer::Full);
    }

    #[test]
    fn if_range_must_match_strongly_or_equal_the_date() {
        let stored = h(&[("etag", "\"v1\""), ("last-modified", "Sun, 06 Nov 1994 08:49:37 GMT")]);
        let ask = |condition: &str| select_range(&h(&[("range", "bytes=0-1"), ("if-range", condition)]), &stored, 10);
        assert_eq!(ask("\"v1\""), RangeAnswer::Partial { first: 0, last: 1 });
        assert_eq!(ask("\"v2\""), RangeAnswer::Full);
        assert_eq!(ask("W/\"v1\""), RangeAnswer::Full, "a weak tag never matches");
        assert_eq!(ask("Sun, 06 Nov 1994 08:49:37 GMT"), RangeAnswer::Partial { first: 0, last: 1 });
        assert_eq!(ask("Mon, 07 Nov 1994 08:49:37 GMT"), RangeAnswer::Full);
        let weak = h(&[("etag", "W/\"v1\"")]);
        let asked = h(&[("range", "bytes=0-1"), ("if-range", "\"v1\"")]);
        assert_eq!(select_range(&asked, &weak, 10), RangeAnswer::Full, "a weak stored tag never matches");
    }
}
