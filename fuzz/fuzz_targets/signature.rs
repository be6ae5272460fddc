//! The signature headers of a purge (id, timestamp, signature list) and its body: verification
//! never panics, and what it accepts was signed with the configured secret.
#![no_main]
use edgecache::core::purge::{sign, verify, Secrets, SignedHeaders, VerifyLimits};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fuzz_target!(|data: &[u8]| {
    let secrets = Secrets::parse(SECRET).unwrap();
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(4, '\n');
    let (id, timestamp, signature, body) = (parts.next(), parts.next(), parts.next(), parts.next().unwrap_or(""));
    let headers = SignedHeaders { id, timestamp, signature };
    if let Ok(verified) = verify(&secrets, &headers, body.as_bytes(), 1_700_000_000, &VerifyLimits::default()) {
        let expected = sign(secrets.primary(), &verified.id, verified.timestamp, body.as_bytes()).unwrap();
        assert!(signature.unwrap_or("").split(' ').any(|s| s == expected), "accepted an unsigned request");
    }
});
