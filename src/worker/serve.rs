//! Answers from a stored response: `Age`, `Cache-Status`, a 304 for a matching conditional
//! request, a 206 or 416 for a byte range, no body for HEAD.

use super::convert::{respond, Answer};
use crate::core::http::{
    not_modified, select_range, set_header, CacheStatus, HeaderList, RangeAnswer, StoredResponse, NOT_MODIFIED_HEADERS,
};
use crate::core::{Clock, EntryMeta};
use crate::platform::JsClock;

/// The `Age` of a stored response now: its age when it arrived plus the time since.
pub(super) fn age_secs(stored: &StoredResponse, meta: &EntryMeta) -> u64 {
    (stored.age_ms + JsClock.now_ms().saturating_sub(meta.stored_at)) / 1000
}

pub(super) fn secs_until(at: u64) -> i64 {
    (at as i64 - JsClock.now_ms() as i64).div_euclid(1000)
}

/// Answers from a stored response: `Age`, `Cache-Status`, 304 for a matching conditional
/// request, no body for HEAD.
pub(super) fn serve(
    stored: &StoredResponse,
    meta: &EntryMeta,
    status: CacheStatus,
    client: &HeaderList,
    head: bool,
) -> worker::Result<Answer> {
    if answers_not_modified(stored, client) {
        return serve_not_modified(stored, meta, &status);
    }
    let mut headers = stored.headers.clone();
    set_header(&mut headers, "age", age_secs(stored, meta).to_string());
    set_header(&mut headers, "cache-status", status.header());
    // Ranges of a complete response, for GET only (RFC 9110 §14.2).
    let len = stored.body.len();
    let range =
        if stored.status == 200 && !head { select_range(client, &stored.headers, len) } else { RangeAnswer::Full };
    match range {
        RangeAnswer::Full => respond(stored.status, &headers, if head { None } else { Some(stored.body.clone()) }),
        RangeAnswer::Partial { first, last } => {
            set_header(&mut headers, "content-range", format!("bytes {first}-{last}/{len}"));
            set_header(&mut headers, "content-length", (last - first + 1).to_string());
            respond(206, &headers, Some(stored.body.slice(first..=last)))
        }
        RangeAnswer::Unsatisfiable => {
            headers
                .retain(|(name, _)| !["content-type", "content-length"].iter().any(|n| name.eq_ignore_ascii_case(n)));
            set_header(&mut headers, "content-range", format!("bytes */{len}"));
            respond(416, &headers, None)
        }
    }
}

/// Whether a conditional request is answered 304 from `stored`.
pub(super) fn answers_not_modified(stored: &StoredResponse, client: &HeaderList) -> bool {
    stored.status == 200 && not_modified(client, &stored.headers)
}

/// The 304 for a matching conditional request: the validator headers, `Age`, `Cache-Status`.
pub(super) fn serve_not_modified(
    stored: &StoredResponse,
    meta: &EntryMeta,
    status: &CacheStatus,
) -> worker::Result<Answer> {
    let mut kept: HeaderList =
        stored.headers.iter().filter(|(n, _)| NOT_MODIFIED_HEADERS.contains(&n.as_str())).cloned().collect();
    set_header(&mut kept, "age", age_secs(stored, meta).to_string());
    set_header(&mut kept, "cache-status", status.header());
    respond(304, &kept, None)
}
