//! Benchmark: what verifying one signed purge costs (issue 6 target: ≤ 50 µs). Prints the
//! median of 5 rounds of 20,000 verifications, with min–max. Run: `cargo run --release --example verify_cost`.

use std::time::Instant;

use edgecache::core::purge::{sign, verify, PurgeRequest, Secrets, SignedHeaders, VerifyLimits};

fn main() {
    let secrets =
        Secrets::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
    let body = PurgeRequest::new().tag("articles").tag("article:hello").tag("author:7").to_json();
    // Signed with the second secret, so a rotation's worst case (both secrets tried) is measured.
    let second = Secrets::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
    let signature = sign(second.primary(), "msg_bench", 1_700_000_000, body.as_bytes()).unwrap();
    let headers = SignedHeaders { id: Some("msg_bench"), timestamp: Some("1700000000"), signature: Some(&signature) };
    let limits = VerifyLimits::default();
    let mut rounds = Vec::new();
    for _ in 0..5 {
        let n = 20_000;
        let start = Instant::now();
        for _ in 0..n {
            verify(&secrets, &headers, body.as_bytes(), 1_700_000_000, &limits).unwrap();
        }
        rounds.push(start.elapsed().as_secs_f64() * 1e6 / f64::from(n));
    }
    rounds.sort_by(f64::total_cmp);
    println!("{:.2} {:.2} {:.2}", rounds[2], rounds[0], rounds[4]);
}
