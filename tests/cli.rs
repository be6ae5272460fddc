//! The `edgecache` command against a stand-in purge endpoint (the core's `PurgeEndpoint` behind
//! a minimal HTTP/1.1 server on loopback): receipts, exit codes, and secrets kept off the
//! command line.
#![cfg(not(target_arch = "wasm32"))] // native suites; tests/wasm.rs is the wasm one

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output};
use std::sync::Arc;

use edgecache::core::purge::{verify, MemoryReplayGuard, PurgeEndpoint, Secrets, SignedHeaders, VerifyLimits};
use edgecache::core::{Cache, CacheBuilder, Clock, Lookup, MemoryStore, SetOptions};
use edgecache::platform::SystemClock;
use futures::executor::block_on;

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const OTHER: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

struct Request {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut headers = Vec::new();
    loop {
        line.clear();
        reader.read_line(&mut line).ok()?;
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            break;
        }
        let (name, value) = trimmed.split_once(':')?;
        headers.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
    }
    let len = headers.iter().find(|(n, _)| n == "content-length").and_then(|(_, v)| v.parse().ok()).unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Request { headers, body })
}

fn respond(stream: &mut TcpStream, status: u16, body: &str) {
    let head = format!(
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

/// Serves `answer` on a loopback port; returns the endpoint URL.
fn serve(answer: impl Fn(Request) -> (u16, String) + Send + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/_edgecache/purge", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            if let Some(request) = read_request(&mut stream) {
                let (status, body) = answer(request);
                respond(&mut stream, status, &body);
            }
        }
    });
    url
}

/// A stand-in for the worker's purge endpoint, over a cache holding one tagged entry.
fn stand_in(secrets: &str) -> (String, Arc<Cache<MemoryStore>>) {
    let clock = SystemClock;
    let cache = Arc::new(CacheBuilder::new(MemoryStore::new(clock), clock).build().unwrap());
    block_on(cache.set("article:1", "v", SetOptions::new().tag("articles"))).unwrap();
    let endpoint = PurgeEndpoint::new(Secrets::parse(secrets).unwrap(), MemoryReplayGuard::new(100));
    let served = cache.clone();
    let url = serve(move |req| {
        let headers = SignedHeaders::from_list(&req.headers);
        match block_on(endpoint.handle(&*served, &headers, &req.body, clock.now_ms())) {
            Ok(receipt) => (200, serde_json::to_string(&receipt).unwrap()),
            Err(e) => (e.http_status(), serde_json::json!({"error": e.code(), "message": e.to_string()}).to_string()),
        }
    });
    (url, cache)
}

fn edgecache(args: &[&str], secret: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_edgecache"));
    command.args(args).env_remove("EDGECACHE_PURGE_SECRET");
    if let Some(secret) = secret {
        command.env("EDGECACHE_PURGE_SECRET", secret);
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn purge_sends_a_signed_request_and_prints_the_receipt() {
    let (url, cache) = stand_in(SECRET);
    let out = edgecache(&["purge", "--endpoint", &url, "--tag", "articles", "--tag", "author:7"], Some(SECRET));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let receipt: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(receipt["purged"], serde_json::json!({"tags": ["articles", "author:7"]}));
    assert_eq!(receipt["mode"], "hard");
    assert!(receipt["id"].as_str().unwrap().starts_with("msg_"));
    assert!(matches!(block_on(cache.get("article:1")).unwrap(), Lookup::Miss(_)));
}

#[test]
fn soft_purges_and_every_scope_kind_reach_the_endpoint() {
    let (url, _cache) = stand_in(SECRET);
    let out = edgecache(
        &[
            "purge",
            "--endpoint",
            &url,
            "--key",
            "k",
            "--url",
            "https://x.test/a",
            "--prefix",
            "/blog/",
            "--everything",
            "--soft",
        ],
        Some(SECRET),
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let receipt: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(receipt["mode"], "soft");
    assert_eq!(
        receipt["purged"],
        serde_json::json!({"keys": ["k"], "urls": ["https://x.test/a"], "prefixes": ["/blog/"], "everything": true, "mode": "soft"})
    );
}

#[test]
fn a_rejected_purge_exits_4_with_the_reason() {
    let (url, cache) = stand_in(OTHER);
    let out = edgecache(&["purge", "--endpoint", &url, "--tag", "articles"], Some(SECRET));
    assert_eq!(out.status.code(), Some(4));
    assert!(
        text(&out.stderr).contains("401") && text(&out.stderr).contains("signature_mismatch"),
        "{}",
        text(&out.stderr)
    );
    assert!(matches!(block_on(cache.get("article:1")).unwrap(), Lookup::Fresh(_)));
}

#[test]
fn a_failing_endpoint_exits_5() {
    let url = serve(|_| (503, "{\"error\":\"apply_failed\"}".into()));
    let out = edgecache(&["purge", "--endpoint", &url, "--tag", "t"], Some(SECRET));
    assert_eq!(out.status.code(), Some(5));
    assert!(text(&out.stderr).contains("503"));
}

#[test]
fn an_unreachable_endpoint_exits_3() {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port(); // bound, then freed
    let url = format!("http://127.0.0.1:{port}/_edgecache/purge");
    let out = edgecache(&["purge", "--endpoint", &url, "--tag", "t", "--timeout", "2"], Some(SECRET));
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("unreachable"));
}

#[test]
fn bad_arguments_and_configuration_exit_2() {
    let out = edgecache(&["purge", "--endpoint", "http://127.0.0.1:9/", "--tag", "t"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("EDGECACHE_PURGE_SECRET"));
    let out = edgecache(&["purge", "--endpoint", "http://127.0.0.1:9/"], Some(SECRET));
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("nothing to purge"));
    let out = edgecache(&["purge", "--endpoint", "http://127.0.0.1:9/", "--tag", "t"], Some("whsec_short"));
    assert_eq!(out.status.code(), Some(2));
    assert!(!text(&out.stderr).contains("whsec_short"), "the secret was echoed");
    assert_eq!(edgecache(&["purge", "--bogus"], Some(SECRET)).status.code(), Some(2));
    assert_eq!(
        edgecache(&["purge", "--secret", SECRET, "--endpoint", "x", "--tag", "t"], None).status.code(),
        Some(2),
        "no secret flag exists"
    );
}

#[test]
fn verify_and_secret_commands() {
    let dir = std::env::temp_dir().join(format!("edgecache-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body = dir.join("body.json");
    std::fs::write(&body, "{\"tags\":[\"a\"]}").unwrap();
    let body_path = body.to_str().unwrap();
    let signed = text(
        &edgecache(&["sign", "--id", "msg_v", "--timestamp", "1700000000", "--body-file", body_path], Some(SECRET))
            .stdout,
    );
    let sig = signed.lines().find_map(|l| l.strip_prefix("webhook-signature: ")).unwrap().to_owned();
    let verify = |secret: &str, now: &str| {
        edgecache(
            &[
                "verify",
                "--id",
                "msg_v",
                "--timestamp",
                "1700000000",
                "--signature",
                &sig,
                "--body-file",
                body_path,
                "--now",
                now,
            ],
            Some(secret),
        )
    };
    let ok = verify(SECRET, "1700000001");
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert_eq!(text(&ok.stdout).trim(), "ok msg_v 1700000000");
    assert_eq!(verify(OTHER, "1700000001").status.code(), Some(4));
    let late = verify(SECRET, "1700000400");
    assert_eq!(late.status.code(), Some(4));
    assert!(text(&late.stderr).contains("timestamp_too_old"));
    let fresh = text(&edgecache(&["secret"], None).stdout);
    assert!(Secrets::parse(fresh.trim()).is_ok(), "{fresh}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn sign_read_signs_the_method_and_target_of_a_get() {
    let signed = text(
        &edgecache(
            &["sign", "--id", "msg_r", "--timestamp", "1700000000", "--read", "/_edgecache/log?limit=10"],
            Some(SECRET),
        )
        .stdout,
    );
    let sig = signed.lines().find_map(|l| l.strip_prefix("webhook-signature: ")).unwrap().to_owned();
    let secrets = Secrets::parse(SECRET).unwrap();
    let headers = SignedHeaders { id: Some("msg_r"), timestamp: Some("1700000000"), signature: Some(&sig) };
    let check = |content: &str| verify(&secrets, &headers, content.as_bytes(), 1_700_000_001, &VerifyLimits::default());
    assert!(check("GET /_edgecache/log?limit=10").is_ok(), "{signed}");
    assert!(check("GET /_edgecache/log?limit=11").is_err());
    let neither = edgecache(&["sign"], Some(SECRET));
    assert_eq!(neither.status.code(), Some(2), "sign needs --body-file or --read");
}
