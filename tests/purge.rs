//! The signed purge endpoint: every bad-input class is a distinct, typed rejection with a
//! reason code, and nothing is applied; good requests apply once, with a receipt.
#![cfg(not(target_arch = "wasm32"))] // native suites; tests/wasm.rs is the wasm one

use base64::Engine as _;
use edgecache::core::purge::{
    read_content, sign, Header, MemoryReplayGuard, PurgeEndpoint, PurgeError, PurgeRequest, Secrets, SignedHeaders,
    VerifyLimits,
};
use edgecache::core::{Cache, CacheBuilder, Clock, Lookup, ManualClock, MemoryStore, Mode, Scope, SetOptions};
use futures::executor::block_on;
use proptest::prelude::*;

const NOW: u64 = 1_700_000_000;
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

struct Fixture {
    cache: Cache<MemoryStore>,
    endpoint: PurgeEndpoint<MemoryReplayGuard>,
    clock: ManualClock,
}

fn fixture() -> Fixture {
    let clock = ManualClock::new(NOW * 1000);
    let cache = CacheBuilder::new(MemoryStore::new(clock.clone()), clock.clone()).build().unwrap();
    for (key, tag) in [("article:1", "articles"), ("/blog/a", "blog"), ("k", "other")] {
        block_on(cache.set(key, "v", SetOptions::new().tag(tag))).unwrap();
    }
    let endpoint = PurgeEndpoint::new(Secrets::parse(SECRET).unwrap(), MemoryReplayGuard::new(1000));
    Fixture { cache, endpoint, clock }
}

impl Fixture {
    fn send(
        &self,
        id: Option<&str>,
        ts: Option<&str>,
        sig: Option<&str>,
        body: &[u8],
    ) -> Result<edgecache::core::purge::Receipt, PurgeError> {
        let headers = SignedHeaders { id, timestamp: ts, signature: sig };
        block_on(self.endpoint.handle(&self.cache, &headers, body, self.clock.now_ms()))
    }

    /// Signs `body` properly and sends it.
    fn send_signed(&self, id: &str, body: &[u8]) -> Result<edgecache::core::purge::Receipt, PurgeError> {
        let sig = signature(id, NOW, body);
        self.send(Some(id), Some(&NOW.to_string()), Some(&sig), body)
    }

    fn assert_nothing_applied(&self) {
        for key in ["article:1", "/blog/a", "k"] {
            assert!(matches!(block_on(self.cache.get(key)).unwrap(), Lookup::Fresh(_)), "{key} was purged");
        }
        assert!(block_on(self.cache.log(0, None)).unwrap().records.is_empty());
        assert_eq!(self.cache.stats().invalidations, 0);
    }
}

fn signature(id: &str, ts: u64, body: &[u8]) -> String {
    sign(&Secrets::parse(SECRET).unwrap().primary().clone(), id, ts, body).unwrap()
}

fn body() -> Vec<u8> {
    PurgeRequest::new().tag("articles").to_json().into_bytes()
}

/// Sends a request and checks that it is refused with `code` and that nothing changed.
fn refused(f: &Fixture, result: Result<edgecache::core::purge::Receipt, PurgeError>, code: &str) -> PurgeError {
    let err = result.expect_err("accepted a bad request");
    assert_eq!(err.code(), code, "{err}");
    assert!(err.is_rejection());
    f.assert_nothing_applied();
    err
}

#[test]
fn a_good_purge_applies_once_with_a_receipt() {
    let f = fixture();
    let receipt = f.send_signed("msg_good", &body()).unwrap();
    assert_eq!(
        (receipt.id.as_str(), receipt.mode, receipt.stamp_writes, receipt.logged),
        ("msg_good", Mode::Hard, 2, true)
    );
    assert_eq!(receipt.purged, serde_json::json!({"tags": ["articles"]}));
    assert_eq!(receipt.applied_at, NOW * 1000);
    assert!(matches!(block_on(f.cache.get("article:1")).unwrap(), Lookup::Miss(_)));
    assert!(matches!(block_on(f.cache.get("k")).unwrap(), Lookup::Fresh(_)));
    let log = block_on(f.cache.log(0, None)).unwrap().records;
    assert_eq!(
        (log.len(), log[0].request_id.as_deref(), log[0].scopes.clone()),
        (1, Some("msg_good"), vec![Scope::Tag("articles".into())])
    );
    // The same delivery again: answered with the first receipt, not applied twice.
    let again = f.send_signed("msg_good", &body()).unwrap();
    assert!(again.replayed);
    assert_eq!((&again.id, again.applied_at, &again.purged), (&receipt.id, receipt.applied_at, &receipt.purged));
    assert_eq!(block_on(f.cache.log(0, None)).unwrap().records.len(), 1);
    assert_eq!(f.cache.stats().invalidations, 1);
    // Once the timestamp is outside the tolerance, the id is forgotten, and the old delivery is
    // refused for its age instead.
    f.clock.advance(301_000);
    assert_eq!(f.send_signed("msg_good", &body()).unwrap_err().code(), "timestamp_too_old");
}

#[test]
fn soft_prefix_key_and_everything_purges_apply() {
    let f = fixture();
    let receipt =
        f.send_signed("msg_1", PurgeRequest::new().prefix("/blog/").key("k").soft().to_json().as_bytes()).unwrap();
    assert_eq!((receipt.mode, receipt.stamp_writes), (Mode::Soft, 2));
    assert!(matches!(block_on(f.cache.get("/blog/a")).unwrap(), Lookup::Miss(_)), "soft without stale windows is gone");
    let receipt = f.send_signed("msg_2", PurgeRequest::new().everything().to_json().as_bytes()).unwrap();
    assert_eq!(receipt.stamp_writes, 2);
    assert!(matches!(block_on(f.cache.get("article:1")).unwrap(), Lookup::Miss(_)));
}

#[test]
fn rotation_accepts_any_configured_secret_and_any_token() {
    let clock = ManualClock::new(NOW * 1000);
    let cache = CacheBuilder::new(MemoryStore::new(clock.clone()), clock).build().unwrap();
    let endpoint =
        PurgeEndpoint::new(Secrets::parse(&format!("{OTHER} {SECRET}")).unwrap(), MemoryReplayGuard::new(10));
    let body = body();
    let old_key = Secrets::parse(SECRET).unwrap();
    let sig = sign(old_key.primary(), "msg_r", NOW, &body).unwrap();
    let header = format!("v1,{} {sig}", base64::engine::general_purpose::STANDARD.encode([7u8; 32]));
    let headers = SignedHeaders { id: Some("msg_r"), timestamp: Some("1700000000"), signature: Some(&header) };
    block_on(endpoint.handle(&cache, &headers, &body, NOW * 1000)).unwrap();
}

#[test]
fn missing_empty_and_duplicated_headers() {
    let f = fixture();
    let b = body();
    let sig = signature("msg_1", NOW, &b);
    let ts = NOW.to_string();
    for (id, t, s, header) in [
        (None, Some(ts.as_str()), Some(sig.as_str()), Header::Id),
        (Some("msg_1"), None, Some(sig.as_str()), Header::Timestamp),
        (Some("msg_1"), Some(ts.as_str()), None, Header::Signature),
    ] {
        assert_eq!(refused(&f, f.send(id, t, s, &b), "missing_header"), PurgeError::MissingHeader(header));
    }
    assert_eq!(
        refused(&f, f.send(Some(""), Some(&ts), Some(&sig), &b), "empty_header"),
        PurgeError::EmptyHeader(Header::Id)
    );
    assert_eq!(
        refused(&f, f.send(Some("msg_1"), Some(" "), Some(&sig), &b), "empty_header"),
        PurgeError::EmptyHeader(Header::Timestamp)
    );
    assert_eq!(
        refused(&f, f.send(Some("msg_1"), Some(&ts), Some(""), &b), "empty_header"),
        PurgeError::EmptyHeader(Header::Signature)
    );
    let twice = format!("{ts}, {ts}");
    assert_eq!(
        refused(&f, f.send(Some("msg_1"), Some(&twice), Some(&sig), &b), "duplicate_header"),
        PurgeError::DuplicateHeader(Header::Timestamp)
    );
    let twice = format!("{sig}, {sig}");
    assert_eq!(
        refused(&f, f.send(Some("msg_1"), Some(&ts), Some(&twice), &b), "duplicate_header"),
        PurgeError::DuplicateHeader(Header::Signature)
    );
    assert_eq!(
        refused(&f, f.send(Some("msg_1, msg_1"), Some(&ts), Some(&sig), &b), "duplicate_header"),
        PurgeError::DuplicateHeader(Header::Id)
    );
}

#[test]
fn invalid_ids() {
    let f = fixture();
    let b = body();
    for id in ["x".repeat(65), "msg.1".into(), "msg 1".into(), "msg\t1".into(), "mség".into(), "msg\u{7f}".into()] {
        // `sign` refuses such ids, so the signature is for a good one: the id check comes first.
        refused(&f, f.send(Some(&id), Some(&NOW.to_string()), Some(&signature("msg_1", NOW, &b)), &b), "invalid_id");
    }
    assert!(f.send_signed(&"x".repeat(64), &b).is_ok(), "64 characters are allowed");
}

#[test]
fn invalid_timestamps() {
    let f = fixture();
    let b = body();
    let sig = signature("msg_1", NOW, &b);
    for ts in [
        "1700000000abc",
        "+1700000000",
        "-1",
        "1.7e9",
        "1700000000.0",
        "0x10",
        "1234567890123",
        " 1700000000",
        "1700000000 ",
        "١٧",
    ] {
        refused(&f, f.send(Some("msg_1"), Some(ts), Some(&sig), &b), "invalid_timestamp");
    }
}

#[test]
fn timestamps_outside_the_tolerance_either_way() {
    let f = fixture();
    let b = body();
    for (ts, code) in [(NOW - 301, "timestamp_too_old"), (NOW + 301, "timestamp_too_new")] {
        let sig = signature("msg_1", ts, &b);
        let err = refused(&f, f.send(Some("msg_1"), Some(&ts.to_string()), Some(&sig), &b), code);
        assert_eq!(err.http_status(), 401);
    }
    for ts in [NOW - 300, NOW + 300] {
        let sig = signature(&format!("msg_{ts}"), ts, &b);
        f.send(Some(&format!("msg_{ts}")), Some(&ts.to_string()), Some(&sig), &b).unwrap();
    }
}

#[test]
fn malformed_signature_headers() {
    let f = fixture();
    let b = body();
    let good = signature("msg_1", NOW, &b);
    let many = [good.as_str(); 9].join(" ");
    let short = format!("v1,{}", base64::engine::general_purpose::STANDARD.encode([1u8; 31]));
    let long = format!("v1,{}", base64::engine::general_purpose::STANDARD.encode([1u8; 33]));
    // A prefix of the right signature must not match either.
    let prefix = format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD
            .encode(&base64::engine::general_purpose::STANDARD.decode(&good[3..]).unwrap()[..16])
    );
    for (header, code) in [
        (many.as_str(), "too_many_signatures"),
        ("v1", "malformed_signature"),
        (",abc", "malformed_signature"),
        ("v1,a,b", "malformed_signature"),
        ("v1,", "empty_signature"),
        ("junk v1,Zm9v", "malformed_signature"),
        ("v1,@@@@", "invalid_base64"),
        (short.as_str(), "wrong_signature_length"),
        (long.as_str(), "wrong_signature_length"),
        (prefix.as_str(), "wrong_signature_length"),
        ("v1a,Zm9v", "no_v1_signature"),
        ("v2,Zm9v v1a,YmFy", "no_v1_signature"),
    ] {
        refused(&f, f.send(Some("msg_1"), Some(&NOW.to_string()), Some(header), &b), code);
    }
}

#[test]
fn no_secret_verifies() {
    let f = fixture();
    let b = body();
    let wrong = sign(Secrets::parse(OTHER).unwrap().primary(), "msg_1", NOW, &b).unwrap();
    let err = refused(&f, f.send(Some("msg_1"), Some(&NOW.to_string()), Some(&wrong), &b), "signature_mismatch");
    assert_eq!(err.http_status(), 401);
    // Signed for another id, timestamp or body: same refusal.
    let sig = signature("msg_1", NOW, &b);
    refused(&f, f.send(Some("msg_2"), Some(&NOW.to_string()), Some(&sig), &b), "signature_mismatch");
    refused(&f, f.send(Some("msg_1"), Some(&(NOW + 1).to_string()), Some(&sig), &b), "signature_mismatch");
    refused(
        &f,
        f.send(Some("msg_1"), Some(&NOW.to_string()), Some(&sig), b"{\"tags\":[\"blog\"]}"),
        "signature_mismatch",
    );
}

#[test]
fn oversized_bodies_are_refused_before_any_mac() {
    let f = fixture();
    let big = format!("{{\"keys\":[\"{}\"]}}", "k".repeat(64 * 1024));
    let err = refused(&f, f.send_signed("msg_big", big.as_bytes()), "body_too_large");
    assert_eq!(err.http_status(), 413);
    let custom = PurgeEndpoint::new(Secrets::parse(SECRET).unwrap(), MemoryReplayGuard::new(1)).verify_limits({
        let mut l = VerifyLimits::default();
        l.max_body_bytes = 10;
        l
    });
    let b = body();
    let sig = signature("msg_1", NOW, &b);
    let headers = SignedHeaders { id: Some("msg_1"), timestamp: Some("1700000000"), signature: Some(&sig) };
    assert_eq!(block_on(custom.handle(&f.cache, &headers, &b, NOW * 1000)).unwrap_err().code(), "body_too_large");
}

#[test]
fn verified_bodies_that_are_not_a_valid_request() {
    let f = fixture();
    let long_key = format!("{{\"keys\":[\"{}\"]}}", "k".repeat(2049));
    let many = format!("{{\"tags\":[{}]}}", (0..101).map(|i| format!("\"t{i}\"")).collect::<Vec<_>>().join(","));
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (vec![0xff, 0xfe, b'{', b'}'], "body_not_json"),
        (b"not json".to_vec(), "body_not_json"),
        (b"[\"tags\"]".to_vec(), "body_not_json"),
        (b"{\"tags\":[\"a\"]".to_vec(), "body_not_json"),
        (b"{\"tagz\":[\"a\"]}".to_vec(), "unknown_field"),
        (b"{\"tags\":[\"a\"],\"extra\":1}".to_vec(), "unknown_field"),
        (b"{\"tags\":\"articles\"}".to_vec(), "wrong_type"),
        (b"{\"tags\":[1]}".to_vec(), "wrong_type"),
        (b"{\"everything\":\"yes\"}".to_vec(), "wrong_type"),
        (b"{\"tags\":[\"a\"],\"mode\":\"gentle\"}".to_vec(), "wrong_type"),
        (b"{}".to_vec(), "empty_request"),
        (b"{\"everything\":false}".to_vec(), "empty_request"),
        (b"{\"tags\":[]}".to_vec(), "empty_list"),
        (many.into_bytes(), "list_too_long"),
        (long_key.into_bytes(), "item_too_long"),
        (b"{\"tags\":[\"\"]}".to_vec(), "item_too_long"),
        (b"{\"prefixes\":[\"/blog\"]}".to_vec(), "invalid_item"),
        (b"{\"tags\":[\"bad\\u0000tag\"]}".to_vec(), "invalid_item"),
    ];
    for (i, (b, code)) in cases.into_iter().enumerate() {
        let err = refused(&f, f.send_signed(&format!("msg_{i}"), &b), code);
        assert_eq!(err.http_status(), 422, "{code}");
    }
}

#[test]
fn a_body_that_fails_after_verification_leaves_the_id_usable() {
    let f = fixture();
    refused(&f, f.send_signed("msg_1", b"{}"), "empty_request");
    // The id was not remembered: a corrected request under the same id applies.
    f.send_signed("msg_1", &body()).unwrap();
}

#[test]
fn secrets_never_appear_in_debug_or_errors() {
    let f = fixture();
    let shown = format!("{:?}", f.endpoint);
    assert!(!shown.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), "{shown}");
    let key_b64 = &SECRET[6..];
    let err = f.send_signed("msg_1", b"{}").unwrap_err();
    assert!(!format!("{err} {err:?}").contains(key_b64));
}

proptest! {
    #[test]
    fn arbitrary_headers_and_bodies_never_panic(
        id in proptest::option::of(".{0,80}"),
        ts in proptest::option::of(prop_oneof![".{0,16}", "[0-9]{1,13}"]),
        sig in proptest::option::of(prop_oneof![".{0,200}", "(v1,[A-Za-z0-9+/=]{0,50} ?){0,10}"]),
        body in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let f = fixture();
        let result = f.send(id.as_deref(), ts.as_deref(), sig.as_deref(), &body);
        prop_assert!(result.is_err(), "an unsigned request was accepted");
        f.assert_nothing_applied();
    }

    #[test]
    fn arbitrary_signed_bodies_never_panic_and_apply_only_if_valid(body in prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..200),
        "\\{\"(tags|keys|prefixes|urls|everything|mode|x)\":(\\[(\"[a-z/:]{0,5}\",?){0,3}\\]|true|false|\"soft\"|1)\\}".prop_map(String::into_bytes),
    ]) {
        let f = fixture();
        if let Err(e) = f.send_signed("msg_prop", &body) {
            prop_assert!(e.is_rejection());
            f.assert_nothing_applied();
        }
    }
}

/// A signed read of a control endpoint signs what it asks (method and target): its headers ask
/// for nothing else, serve once, and never purge.
#[test]
fn a_signed_read_signs_what_it_asks_and_serves_once() {
    let f = fixture();
    let now = f.clock.now_ms();
    let target = "/_edgecache/log?limit=10";
    let sig = signature("msg_read", NOW, read_content("GET", target).as_bytes());
    let headers = SignedHeaders { id: Some("msg_read"), timestamp: Some(&NOW.to_string()), signature: Some(&sig) };
    let other_query = block_on(f.endpoint.admit_read(&headers, "GET", "/_edgecache/log?limit=1000", now));
    assert_eq!(other_query.unwrap_err().code(), "signature_mismatch", "headers for one query read another");
    let other_path = block_on(f.endpoint.admit_read(&headers, "GET", "/_edgecache/tagged?limit=10", now));
    assert_eq!(other_path.unwrap_err().code(), "signature_mismatch");
    let empty = signature("msg_empty", NOW, b"");
    let old_style = SignedHeaders { id: Some("msg_empty"), timestamp: Some(&NOW.to_string()), signature: Some(&empty) };
    let refused = block_on(f.endpoint.admit_read(&old_style, "GET", target, now)).unwrap_err();
    assert_eq!(refused.code(), "signature_mismatch", "a signature over an empty body reads nothing");
    block_on(f.endpoint.admit_read(&headers, "GET", target, now)).expect("the signed read is admitted");
    let again = block_on(f.endpoint.admit_read(&headers, "GET", target, now)).unwrap_err();
    assert_eq!((again.code(), again.http_status()), ("already_used", 409));
    // The read's headers are no purge, and its id is spent for purges too.
    let purge = f.send(Some("msg_read"), Some(&NOW.to_string()), Some(&sig), read_content("GET", target).as_bytes());
    assert!(purge.is_err());
    f.assert_nothing_applied();
}
