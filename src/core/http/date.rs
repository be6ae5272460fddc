//! HTTP dates (RFC 9110 §5.6.7): IMF-fixdate to and from milliseconds since the epoch, with the
//! obsolete RFC 850 and asctime forms accepted on input.

use crate::core::clock::Millis;

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Parses an HTTP date (RFC 9110 §5.6.7) by its grammar: IMF-fixdate, or the obsolete RFC 850
/// and asctime forms, single spaces and two-digit fields exactly where the grammar puts them.
/// Month, weekday and `GMT` are matched without regard to case, which RFC 9110 lets a recipient
/// do. `None` for anything else: one-digit hours, doubled spaces, a missing comma, dashes in
/// the fixdate, two dates joined by a comma (an invalid `Expires` means "already expired" to
/// callers).
///
/// ```
/// use edgecache::core::http::{format_http_date, parse_http_date};
/// let ms = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
/// assert_eq!(format_http_date(ms), "Sun, 06 Nov 1994 08:49:37 GMT");
/// assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(ms));
/// assert_eq!(parse_http_date("Sun Nov  6 08:49:37 1994"), Some(ms));
/// assert_eq!(parse_http_date("Sun, 06 Nov 1994 8:49:37 GMT"), None);
/// ```
#[must_use]
pub fn parse_http_date(text: &str) -> Option<Millis> {
    let b = text.as_bytes();
    if let Some(rest) = b.get(3..).filter(|_| b.get(3) == Some(&b',')) {
        // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
        let [b',', b' ', d1, d2, b' ', m1, m2, m3, b' ', y1, y2, y3, y4, b' ', ref time @ .., b' ', g, m, t] = *rest
        else {
            return None;
        };
        weekday(&b[..3], false)?;
        gmt(g, m, t)?;
        let year = digits(&[y1, y2, y3, y4])?;
        return assemble(digits(&[d1, d2])?, month(&[m1, m2, m3])?, year, time);
    }
    if let Some(comma) = text.find(',') {
        // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
        weekday(&b[..comma], true)?;
        let [b',', b' ', d1, d2, b'-', m1, m2, m3, b'-', y1, y2, b' ', ref time @ .., b' ', g, m, t] = b[comma..]
        else {
            return None;
        };
        gmt(g, m, t)?;
        let y = digits(&[y1, y2])?;
        // Two-digit years: the nearest century that is not more than 50 years ahead (RFC 9110).
        let year = if y < 70 { 2000 + y } else { 1900 + y };
        return assemble(digits(&[d1, d2])?, month(&[m1, m2, m3])?, year, time);
    }
    // asctime: "Sun Nov  6 08:49:37 1994" (a one-digit day is space-padded)
    let [w1, w2, w3, b' ', m1, m2, m3, b' ', d1, d2, b' ', ref time @ .., b' ', y1, y2, y3, y4] = *b else {
        return None;
    };
    weekday(&[w1, w2, w3], false)?;
    let day = if d1 == b' ' { digits(&[d2])? } else { digits(&[d1, d2])? };
    assemble(day, month(&[m1, m2, m3])?, digits(&[y1, y2, y3, y4])?, time)
}

const LONG_DAYS: [&str; 7] = ["Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday", "Wednesday"];

fn weekday(name: &[u8], long: bool) -> Option<()> {
    let names: &[&str] = if long { &LONG_DAYS } else { &DAYS };
    names.iter().any(|d| d.as_bytes().eq_ignore_ascii_case(name)).then_some(())
}

fn month(name: &[u8]) -> Option<u32> {
    MONTHS.iter().position(|m| m.as_bytes().eq_ignore_ascii_case(name)).map(|i| i as u32 + 1)
}

fn gmt(g: u8, m: u8, t: u8) -> Option<()> {
    [g, m, t].eq_ignore_ascii_case(b"GMT").then_some(())
}

/// The number the ASCII digits spell; `None` if any is not a digit.
fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |n, b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
}

/// `time` is exactly `HH:MM:SS`.
fn assemble(day: u32, month: u32, year: u32, time: &[u8]) -> Option<Millis> {
    let [h1, h2, b':', m1, m2, b':', s1, s2] = *time else {
        return None;
    };
    let (h, m, s) = (digits(&[h1, h2])?, digits(&[m1, m2])?, digits(&[s1, s2])?);
    if !(1970..=9999).contains(&year) || !(1..=31).contains(&day) || h > 23 || m > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(h * 3600 + m * 60 + s);
    u64::try_from(secs).ok().map(|s| s * 1000)
}

/// Formats milliseconds since the epoch as an IMF-fixdate.
#[must_use]
pub fn format_http_date(ms: Millis) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{}, {d:02} {} {y} {:02}:{:02}:{:02} GMT",
        DAYS[(days % 7) as usize],
        MONTHS[(m - 1) as usize],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

// Howard Hinnant's days-from-civil algorithms.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rejects_junk() {
        for bad in [
            "",
            "yesterday",
            "Sun, 06 Nov 1994 08:49:37 PST",
            "Sun, 32 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 24:00:00 GMT",
            "Thu, 01 Jan 1970 00:00:00 GMT, Fri, 02 Jan 1970 00:00:00 GMT",
            // RFC 9110's grammar, strictly: a one-digit hour or day, dashes in the fixdate,
            // doubled spaces, no comma, a long weekday in the fixdate, a bad weekday.
            "Sun, 06 Nov 1994 8:49:37 GMT",
            "Sun, 6 Nov 1994 08:49:37 GMT",
            "Sun, 06-Nov-1994 08:49:37 GMT",
            "Sun,  06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:37  GMT",
            "Sun 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06 Nov 1994 08:49:37 GMT",
            "Xyz, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 94 08:49:37 GMT",
            "Sunday, 06-Nov-1994 08:49:37 GMT",
            "Sun Nov 6 08:49:37 1994",
        ] {
            assert_eq!(parse_http_date(bad), None, "{bad}");
        }
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
    }

    #[test]
    fn accepts_what_recipients_may() {
        let ms = parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").unwrap();
        // Case in month, weekday and zone; the obsolete forms; a far future.
        assert_eq!(parse_http_date("sun, 06 NOV 1994 08:49:37 gmt"), Some(ms));
        assert_eq!(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), Some(ms));
        assert_eq!(parse_http_date("Sun Nov 06 08:49:37 1994"), Some(ms));
        assert!(parse_http_date("Fri, 31 Dec 9999 23:59:59 GMT").is_some());
    }

    proptest! {
        #[test]
        fn round_trips(secs in 0u64..253_402_300_799) {
            let ms = secs * 1000;
            prop_assert_eq!(parse_http_date(&format_http_date(ms)), Some(ms));
        }

        #[test]
        fn never_panics(text in ".{0,60}") {
            let _ = parse_http_date(&text);
        }
    }
}
