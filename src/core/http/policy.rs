//! Whether and how long a shared cache at the edge may keep a response (RFC 9111 §3 and §4.2,
//! RFC 9213 targeted fields, RFC 5861 stale extensions), decided from plain data.

use super::date::parse_http_date;
use super::directives::Directives;
use super::headers::header;
use crate::core::clock::Millis;

/// Edge settings that shape the decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct EdgePolicy {
    /// Lifetime of a cacheable-by-default response without explicit freshness or validators
    /// (0: do not store such responses).
    pub default_ttl_ms: u64,
    /// Cap on heuristic freshness from `Last-Modified` (10 % of its age).
    pub heuristic_cap_ms: u64,
    /// Most tags a response may carry (more: not stored, so a purge can never miss it).
    pub max_tags: usize,
    /// Longest tag.
    pub max_tag_bytes: usize,
}

impl Default for EdgePolicy {
    fn default() -> Self {
        Self { default_ttl_ms: 0, heuristic_cap_ms: 86_400_000, max_tags: 64, max_tag_bytes: 128 }
    }
}

/// How long a stored response lives, and what it is tagged with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Lifetime {
    /// Remaining freshness after the response's age is taken off.
    pub fresh_ms: u64,
    /// Stale-while-revalidate window.
    pub swr_ms: u64,
    /// Stale-if-error window.
    pub sie_ms: u64,
    /// The response's age on arrival.
    pub age_ms: u64,
    /// Tags from `Cache-Tag` and `Surrogate-Key`.
    pub tags: Vec<String>,
    /// Which header set the lifetime (for `Cache-Status` details).
    pub source: &'static str,
    /// Never served stale, not even when the origin cannot be reached (`must-revalidate`,
    /// `proxy-revalidate`, `no-cache`, or `s-maxage`, which implies `proxy-revalidate` for a
    /// shared cache: RFC 9111 §5.2.2).
    pub must_revalidate: bool,
}

/// The decision for one response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Store it.
    Store(Lifetime),
    /// Do not store it; the reason goes into `Cache-Status` as `detail`.
    Bypass(&'static str),
}

/// Statuses cacheable by default (RFC 9110 §15.1), 206 left out: ranges are not cached.
const HEURISTIC: [u16; 11] = [200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501];

/// Decides for a response to a GET. `request` and `response` are header lists; `now` is when
/// the response arrived.
///
/// ```
/// use edgecache::core::http::{decide, Decision, EdgePolicy};
/// let h = |v: &[(&str, &str)]| v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>();
/// let d = decide(&h(&[]), 200, &h(&[("cache-control", "max-age=60"), ("cdn-cache-control", "max-age=600"), ("cache-tag", "a,b")]), 0, &EdgePolicy::default());
/// let Decision::Store(life) = d else { panic!() };
/// assert_eq!((life.fresh_ms, life.tags.len(), life.source), (600_000, 2, "cdn-cache-control"));
/// ```
#[must_use]
pub fn decide(
    request: &[(String, String)],
    status: u16,
    response: &[(String, String)],
    now: Millis,
    policy: &EdgePolicy,
) -> Decision {
    if !(200..=599).contains(&status) || status == 206 || status == 304 {
        return Decision::Bypass("status");
    }
    // RFC 9213: a targeted field replaces Cache-Control for the caches it targets; one that is
    // not a valid Structured Field Dictionary is ignored whole. Surrogate-Control, older, has
    // Cache-Control's syntax.
    let (directives, source) = header(response, "cdn-cache-control")
        .and_then(Directives::parse_targeted)
        .map(|d| (d, "cdn-cache-control"))
        .or_else(|| header(response, "surrogate-control").map(|v| (Directives::parse(v), "surrogate-control")))
        .unwrap_or_else(|| (Directives::parse(header(response, "cache-control").unwrap_or("")), "cache-control"));
    let origin_cc = Directives::parse(header(response, "cache-control").unwrap_or(""));
    if directives.has("no-store") || (source == "cache-control" && directives.has("private")) {
        return Decision::Bypass(if directives.has("no-store") { "no-store" } else { "private" });
    }
    if header(response, "set-cookie").is_some() {
        return Decision::Bypass("set-cookie");
    }
    if header(response, "vary").is_some_and(|v| v.split(',').any(|f| f.trim() == "*")) {
        return Decision::Bypass("vary-star");
    }
    if header(request, "authorization").is_some()
        && !(origin_cc.has("public") || origin_cc.has("s-maxage") || origin_cc.has("must-revalidate"))
    {
        return Decision::Bypass("authorization");
    }
    let tags = match tags(response, policy) {
        Ok(tags) => tags,
        Err(reason) => return Decision::Bypass(reason),
    };
    let date = header(response, "date").and_then(parse_http_date);
    let explicit = if directives.has("no-cache") {
        Some(0)
    } else if let Some(s) = directives.seconds("s-maxage") {
        Some(s * 1000)
    } else if let Some(s) = directives.seconds("max-age") {
        Some(s * 1000)
    } else if source == "cache-control" {
        header(response, "expires").map(|e| {
            // An invalid or repeated (comma-joined) Expires means "already expired".
            let expires = parse_http_date(e).unwrap_or(0);
            expires.saturating_sub(date.unwrap_or(now))
        })
    } else {
        None
    };
    let lifetime = match explicit {
        Some(ms) => ms,
        None if !HEURISTIC.contains(&status) => return Decision::Bypass("status"),
        None => match header(response, "last-modified").and_then(parse_http_date) {
            Some(modified) => (date.unwrap_or(now).saturating_sub(modified) / 10).min(policy.heuristic_cap_ms),
            None if policy.default_ttl_ms > 0 => policy.default_ttl_ms,
            None => return Decision::Bypass("no-lifetime"),
        },
    };
    // RFC 9111 §5.1: Age is one non-negative integer (capped at 2^31 s). Of a list (or of two
    // field lines, joined by ", ") the first counts, so `7200, 0` is old; one that is not an
    // integer (a sign, a fraction, a word) is ignored, as recipients of an invalid field do.
    let first_age = header(response, "age").and_then(|a| a.split(',').next()).map(str::trim);
    let age_header = match first_age {
        Some(a) if !a.is_empty() && a.bytes().all(|b| b.is_ascii_digit()) => {
            a.parse::<u64>().unwrap_or(u64::MAX).min(1 << 31) * 1000
        }
        _ => 0,
    };
    let apparent = date.map_or(0, |d| now.saturating_sub(d));
    let age_ms = age_header.max(apparent);
    let window = |name: &str| directives.seconds(name).or_else(|| origin_cc.seconds(name)).unwrap_or(0) * 1000;
    let must_revalidate = directives.has("must-revalidate") || directives.has("proxy-revalidate");
    let never_stale = must_revalidate || directives.has("no-cache") || directives.has("s-maxage");
    Decision::Store(Lifetime {
        fresh_ms: lifetime.saturating_sub(age_ms),
        swr_ms: if must_revalidate { 0 } else { window("stale-while-revalidate") },
        sie_ms: if must_revalidate { 0 } else { window("stale-if-error") },
        age_ms,
        tags,
        source,
        must_revalidate: never_stale,
    })
}

/// Tags from `Cache-Tag` (comma-separated) and `Surrogate-Key` (space-separated), deduplicated.
fn tags(response: &[(String, String)], policy: &EdgePolicy) -> Result<Vec<String>, &'static str> {
    let mut tags: Vec<String> = Vec::new();
    let comma = response.iter().filter(|(n, _)| n.eq_ignore_ascii_case("cache-tag")).flat_map(|(_, v)| v.split(','));
    let space = response
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("surrogate-key"))
        .flat_map(|(_, v)| v.split_whitespace());
    for tag in comma.chain(space).map(str::trim).filter(|t| !t.is_empty()) {
        if tag.len() > policy.max_tag_bytes || tag.chars().any(char::is_control) {
            return Err("invalid-tag");
        }
        if !tags.iter().any(|t| t == tag) {
            tags.push(tag.to_owned());
        }
    }
    if tags.len() > policy.max_tags {
        return Err("too-many-tags");
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
    }

    fn store(status: u16, response: &[(&str, &str)]) -> Lifetime {
        match decide(&[], status, &h(response), 1_000_000_000_000, &EdgePolicy::default()) {
            Decision::Store(l) => l,
            Decision::Bypass(r) => panic!("bypassed: {r}"),
        }
    }

    fn bypass(request: &[(&str, &str)], status: u16, response: &[(&str, &str)]) -> &'static str {
        match decide(&h(request), status, &h(response), 1_000_000_000_000, &EdgePolicy::default()) {
            Decision::Bypass(r) => r,
            Decision::Store(l) => panic!("stored: {l:?}"),
        }
    }

    #[test]
    fn precedence_of_lifetimes() {
        assert_eq!(store(200, &[("cache-control", "max-age=60, s-maxage=120")]).fresh_ms, 120_000);
        assert_eq!(
            store(200, &[("cache-control", "max-age=60"), ("surrogate-control", "max-age=30")]).fresh_ms,
            30_000
        );
        assert_eq!(
            store(200, &[("surrogate-control", "max-age=30"), ("cdn-cache-control", "max-age=90")]).fresh_ms,
            90_000
        );
        assert_eq!(
            store(200, &[("cache-control", "private"), ("cdn-cache-control", "max-age=90")]).fresh_ms,
            90_000,
            "targeted field replaces Cache-Control"
        );
        let date = "Sun, 09 Sep 2001 01:46:40 GMT"; // 1_000_000_000 s
        assert_eq!(store(200, &[("date", date), ("expires", "Sun, 09 Sep 2001 01:47:40 GMT")]).fresh_ms, 60_000);
        assert_eq!(
            store(200, &[("cache-control", "max-age=60"), ("expires", "Thu, 01 Jan 1970 00:00:00 GMT")]).fresh_ms,
            60_000,
            "max-age beats Expires"
        );
        assert_eq!(
            store(200, &[("date", date), ("expires", "junk")]).fresh_ms,
            0,
            "invalid Expires is already expired"
        );
        // Heuristic: 10% of the time since Last-Modified.
        assert_eq!(store(200, &[("date", date), ("last-modified", "Sun, 09 Sep 2001 01:30:00 GMT")]).fresh_ms, 100_000);
        assert_eq!(store(404, &[("cache-control", "max-age=5")]).fresh_ms, 5_000);
        assert_eq!(
            store(503, &[("cache-control", "max-age=5")]).fresh_ms,
            5_000,
            "explicit freshness makes any final status storable"
        );
    }

    #[test]
    fn age_is_taken_off() {
        let l = store(200, &[("cache-control", "max-age=60"), ("age", "20")]);
        assert_eq!((l.fresh_ms, l.age_ms), (40_000, 20_000));
        assert_eq!(store(200, &[("cache-control", "max-age=60"), ("age", "90")]).fresh_ms, 0);
    }

    #[test]
    fn stale_windows_and_must_revalidate() {
        let l = store(200, &[("cache-control", "max-age=1, stale-while-revalidate=30, stale-if-error=600")]);
        assert_eq!((l.swr_ms, l.sie_ms), (30_000, 600_000));
        let l = store(200, &[("cache-control", "max-age=1, must-revalidate, stale-if-error=600")]);
        assert_eq!((l.swr_ms, l.sie_ms), (0, 0));
        let l = store(200, &[("cache-control", "no-cache, stale-if-error=60")]);
        assert_eq!(l.fresh_ms, 0, "no-cache: stored, always revalidated");
    }

    #[test]
    fn a_malformed_cdn_cache_control_is_ignored_whole_and_never_overrides_no_store() {
        // RFC 9213 §2.1: not a Structured Field Dictionary → the field is ignored entirely, so
        // Cache-Control decides, and its no-store holds.
        for cdn in [
            "max-age=10000, &&&&&",
            "max-age=10000,",
            "max-age=\"10000\"",
            "max-age=10.5",
            "max-age=-1",
            "max-age=(1 2)",
            "max-age=1000000000000000",
        ] {
            assert_eq!(
                bypass(&[], 200, &[("cdn-cache-control", cdn), ("cache-control", "no-store")]),
                "no-store",
                "{cdn}"
            );
        }
        // A valid one still replaces Cache-Control at the edge; huge lifetimes are capped at 2^31 s.
        assert_eq!(
            store(200, &[("cdn-cache-control", "max-age=600"), ("cache-control", "no-store")]).fresh_ms,
            600_000
        );
        assert_eq!(store(200, &[("cdn-cache-control", "max-age=99999999999")]).fresh_ms, (1u64 << 31) * 1000);
        assert_eq!(store(200, &[("cdn-cache-control", "no-store=?0, max-age=60")]).fresh_ms, 60_000, "?0 is absent");
    }

    #[test]
    fn the_first_age_counts_an_invalid_one_is_ignored_an_invalid_expires_is_stale() {
        let fresh = |age| store(200, &[("cache-control", "max-age=3600"), ("age", age)]).fresh_ms;
        for (age, ms) in
            [("7200, 0", 0), ("7200, 7200", 0), ("0, 7200", 3_600_000), ("0, 0", 3_600_000), ("600", 3_000_000)]
        {
            assert_eq!(fresh(age), ms, "Age: {age}");
        }
        for age in ["-7200", "1.5", "", "abc", "2147483648"] {
            let ms = if age == "2147483648" { 0 } else { 3_600_000 };
            assert_eq!(fresh(age), ms, "Age: {age}");
        }
        let date = "Sun, 09 Sep 2001 01:46:40 GMT"; // the tests' `now`
        for expires in [
            "Sun, 09 Sep 2001 1:46:40 GMT",
            "Sun,  09 Sep 2001 02:46:40 GMT",
            "Sun 09 Sep 2001 02:46:40 GMT",
            "Sun, 09-Sep-2001 02:46:40 GMT",
            "Sun, 09 Sep 2001 02:46:40 GMT, Sun, 09 Sep 2001 03:46:40 GMT",
        ] {
            assert_eq!(store(200, &[("date", date), ("expires", expires)]).fresh_ms, 0, "Expires: {expires}");
        }
        assert_eq!(store(200, &[("date", date), ("expires", "sun, 09 SEP 2001 02:46:40 gmt")]).fresh_ms, 3_600_000);
    }

    #[test]
    fn what_is_never_stored() {
        assert_eq!(bypass(&[], 200, &[("cache-control", "no-store, max-age=60")]), "no-store");
        assert_eq!(bypass(&[], 200, &[("cache-control", "private, max-age=60")]), "private");
        assert_eq!(bypass(&[], 200, &[("cdn-cache-control", "no-store"), ("cache-control", "max-age=60")]), "no-store");
        assert_eq!(bypass(&[], 200, &[("cache-control", "max-age=60"), ("set-cookie", "a=b")]), "set-cookie");
        assert_eq!(bypass(&[], 200, &[("cache-control", "max-age=60"), ("vary", "accept, *")]), "vary-star");
        assert_eq!(bypass(&[("authorization", "Bearer x")], 200, &[("cache-control", "max-age=60")]), "authorization");
        assert_eq!(store(200, &[("cache-control", "public, max-age=60")]).fresh_ms, 60_000);
        assert_eq!(bypass(&[], 206, &[("cache-control", "max-age=60")]), "status");
        assert_eq!(bypass(&[], 500, &[]), "status");
        assert_eq!(bypass(&[], 200, &[]), "no-lifetime");
        let too_many: String = (0..65).map(|i| format!("t{i}")).collect::<Vec<_>>().join(",");
        assert_eq!(bypass(&[], 200, &[("cache-control", "max-age=60"), ("cache-tag", &too_many)]), "too-many-tags");
    }

    #[test]
    fn tags_from_both_headers() {
        let l = store(200, &[("cache-control", "max-age=60"), ("cache-tag", "a, b,,a"), ("surrogate-key", "b c  d")]);
        assert_eq!(l.tags, ["a", "b", "c", "d"]);
    }

    #[test]
    fn default_ttl_applies_only_without_anything_explicit() {
        let policy = EdgePolicy { default_ttl_ms: 30_000, ..EdgePolicy::default() };
        let d = decide(&[], 200, &[], 0, &policy);
        assert!(matches!(d, Decision::Store(ref l) if l.fresh_ms == 30_000));
        assert!(matches!(decide(&[], 500, &[], 0, &policy), Decision::Bypass("status")));
    }
}
