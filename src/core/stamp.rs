//! Stamps: the values that change on every invalidation. An entry records the stamps of its
//! scopes (everything, its key, its tags, its key prefixes) as they were before its value was
//! loaded; it is valid only while every current stamp still equals the recorded one. Equality,
//! not order, so clock skew between locations cannot make an old entry look new.

use crate::core::clock::Millis;

/// A new stamp: the write time (so a reader can tell a purge that raced its load) and 64 random
/// bits (so two writers never produce the same stamp).
pub(crate) fn new_stamp(now: Millis, random: u64) -> String {
    format!("{now:x}-{random:016x}")
}

/// The write time recorded in a stamp (the key scope's hard stamp is `{version}.{stamp}`).
pub(crate) fn stamp_time(stamp: &str) -> Option<Millis> {
    let stamp = stamp.rsplit_once('.').map_or(stamp, |(_, s)| s);
    let (time, _) = stamp.split_once('-')?;
    Millis::from_str_radix(time, 16).ok()
}

/// The managed version recorded in a key's hard stamp.
pub(crate) fn stamp_version(stamp: &str) -> Option<u64> {
    stamp.split_once('.').and_then(|(v, _)| v.parse().ok())
}

/// A stamp read from the store. Anything but 1-96 bytes of printable ASCII (a corrupt or foreign
/// value) reads as `!` and a hash of its bytes: present, so it invalidates entries that recorded
/// the scope's absence, and changing whenever its bytes do. (Absent is `None`; an entry
/// records absence as `""`, which no stamp equals.)
pub(crate) fn parse_stamp(bytes: &[u8]) -> String {
    if !bytes.is_empty() && bytes.len() <= 96 && bytes.iter().all(u8::is_ascii_graphic) {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    // FNV-1a: stable across builds and platforms, unlike std's hasher.
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    format!("!{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_carry_time_and_version() {
        let s = new_stamp(0x1234, 7);
        assert_eq!(stamp_time(&s), Some(0x1234));
        let versioned = format!("42.{s}");
        assert_eq!(stamp_time(&versioned), Some(0x1234));
        assert_eq!(stamp_version(&versioned), Some(42));
        assert_eq!(stamp_version(&s), None);
        assert_ne!(new_stamp(1, 1), new_stamp(1, 2));
    }

    #[test]
    fn corrupt_stamps_read_as_present_and_distinct() {
        let corrupt: Vec<&[u8]> = vec![b"", b"a b", &[0xff, 0x00], &[0xff, 0x01], &[b'a'; 97]];
        let read: Vec<String> = corrupt.iter().map(|b| parse_stamp(b)).collect();
        for (i, stamp) in read.iter().enumerate() {
            assert!(stamp.starts_with('!') && stamp.len() == 17, "{stamp}");
            assert!(!read[..i].contains(stamp), "two corrupt values read alike: {stamp}");
            assert_eq!(stamp_time(stamp), None);
        }
        assert_eq!(parse_stamp(b"1f-00ab"), "1f-00ab");
    }
}
