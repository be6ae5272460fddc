//! Several stored responses per URL when the origin varies them (RFC 9111 §4.1). The first
//! response stored for a URL is kept under its key at version 0, like any other. A request that
//! a servable stored response's `Vary` does not select is looked up under version
//! `1 + hash(its values of the headers Vary names) % MAX_VARIANTS`, and its fill is stored
//! there. So a URL that does not vary costs no second read, one that varies costs one more
//! read for its other variants, and a URL keeps at most `1 + MAX_VARIANTS` responses (two
//! variants whose values hash alike take turns in one slot). Every version shares the URL's
//! key, so a purge of the URL, of a prefix of it or of its tags reaches them all.
//!
//! Selecting values are compared whitespace-normalised (RFC 9111 §4.1 allows it): runs of
//! spaces and tabs become one space, and none is kept around commas or at the ends.

use super::headers::{header, normalized};
use super::stored::StoredResponse;

/// Variants kept per URL besides the one at version 0.
const MAX_VARIANTS: u64 = 8;

impl StoredResponse {
    /// The version under which the variant `request` selects is kept, when this response
    /// varies and `request` does not select it (`None`: this response answers it, or nothing
    /// varies).
    #[must_use]
    pub fn variant_for(&self, request: &[(String, String)]) -> Option<u64> {
        if self.vary.is_empty() || self.matches(request) {
            return None;
        }
        // FNV-1a over the selecting values: stable across builds and platforms.
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for (name, _) in &self.vary {
            // Absent and empty are different values.
            let value = header(request, name).map(|v| format!("={}", normalized(v))).unwrap_or_default();
            for byte in name.bytes().chain(value.bytes()).chain([0]) {
                hash = (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3);
            }
        }
        Some(1 + hash % MAX_VARIANTS)
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use bytes::Bytes;

    use super::*;

    fn stored_for(request: &[(String, String)]) -> StoredResponse {
        let headers = vec![("vary".to_owned(), "Accept-Language, Accept-Encoding".to_owned())];
        StoredResponse {
            status: 200,
            vary: StoredResponse::vary_of(request, &headers),
            headers,
            age_ms: 0,
            must_revalidate: false,
            body: Bytes::new(),
        }
    }

    fn req(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn values_are_compared_whitespace_normalised() {
        assert_eq!(normalized("  gzip ,\tbr  deflate "), "gzip,br deflate");
        assert_eq!(normalized("en"), "en");
    }

    #[test]
    fn a_selected_response_has_no_variant_to_look_for() {
        let en = req(&[("accept-language", "en"), ("accept-encoding", "gzip, br")]);
        assert_eq!(stored_for(&en).variant_for(&en), None);
        // Whitespace differences select the same response.
        assert_eq!(
            stored_for(&en).variant_for(&req(&[("Accept-Language", " en "), ("accept-encoding", "gzip,br")])),
            None
        );
        let plain = StoredResponse { vary: Vec::new(), ..stored_for(&en) };
        assert_eq!(plain.variant_for(&req(&[("accept-language", "fr")])), None, "nothing varies");
    }

    #[test]
    fn other_values_map_to_a_slot_of_their_own_whatever_response_points_there() {
        let en = stored_for(&req(&[("accept-language", "en")]));
        let de = stored_for(&req(&[("accept-language", "de")]));
        let fr = req(&[("accept-language", "fr")]);
        let slot = en.variant_for(&fr).unwrap();
        assert!((1..=MAX_VARIANTS).contains(&slot));
        assert_eq!(de.variant_for(&fr), Some(slot), "the slot depends on the request only");
        assert_eq!(en.variant_for(&req(&[("accept-language", "fr"), ("x-other", "1")])), Some(slot));
        let slots: std::collections::HashSet<u64> = ["fr", "it", "es", "pt", "nl", "sv", "pl", "ja"]
            .iter()
            .map(|l| en.variant_for(&req(&[("accept-language", l)])).unwrap())
            .collect();
        assert!(slots.len() >= 4, "values spread over the slots: {slots:?}");
    }
}
