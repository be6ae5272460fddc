//! Interoperability with the reference Standard Webhooks libraries, run for real: the PyPI and
//! npm `standardwebhooks` packages (installed by `scripts/setup.sh`) sign, edgecache verifies;
//! edgecache (library and CLI) signs, both libraries verify. Known answers come from running
//! the libraries now, never from values typed in here.
#![cfg(not(target_arch = "wasm32"))] // native suites; tests/wasm.rs is the wasm one

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use edgecache::core::purge::{sign, verify, PurgeRequest, Secret, Secrets, SignedHeaders, VerifyLimits};
use serde_json::{json, Value};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    std::env::var_os("EDGECACHE_PYTHON").map_or_else(|| root().join(".venv/bin/python"), PathBuf::from)
}

/// Runs a reference-library script with `cases` on stdin; returns its JSON answer.
fn run_library(program: &Path, script: &str, mode: &str, cases: &Value) -> Vec<Value> {
    let mut child = Command::new(program)
        .arg(root().join("tests/interop").join(script))
        .arg(mode)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {} ({e}); run `make test`, which installs the reference libraries", program.display())
        });
    child.stdin.take().unwrap().write_all(cases.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{script} {mode} failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn libraries() -> [(PathBuf, &'static str); 2] {
    [(python(), "standardwebhooks_py.py"), (PathBuf::from("node"), "standardwebhooks_js.mjs")]
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Secrets of the three edge lengths, made from fixed byte patterns (no randomness needed).
fn secrets() -> Vec<Secret> {
    [24usize, 32, 64]
        .iter()
        .map(|&n| Secret::from_bytes(&(0..n).map(|i| (i * 37 + n) as u8).collect::<Vec<_>>()).unwrap())
        .collect()
}

fn bodies() -> Vec<String> {
    vec![
        PurgeRequest::new().tag("articles").tag("article:hello").tag("author:7").to_json(),
        PurgeRequest::new().tag("café ☕").key("/naïve/path?q=ü").soft().to_json(),
        PurgeRequest::new().everything().to_json(),
        format!(
            "{{\"keys\":[{}]}}",
            (0..100).map(|i| format!("\"/articles/{i:03}/{}\"", "x".repeat(60))).collect::<Vec<_>>().join(",")
        ),
        "{\n  \"tags\" : [ \"spaced\" ]\n}\n".to_owned(),
    ]
}

fn cases() -> Vec<Value> {
    let ts = now();
    let mut cases = Vec::new();
    for (i, secret) in secrets().iter().enumerate() {
        for (j, body) in bodies().into_iter().enumerate() {
            cases.push(json!({"secret": secret.expose(), "id": format!("msg_{i}_{j}"), "timestamp": ts, "body": body}));
        }
    }
    cases
}

fn str_of<'a>(case: &'a Value, field: &str) -> &'a str {
    case[field].as_str().unwrap()
}

#[test]
fn signatures_from_the_reference_libraries_verify_in_edgecache() {
    let cases = cases();
    for (program, script) in libraries() {
        let signatures = run_library(&program, script, "sign", &json!(cases));
        assert_eq!(signatures.len(), cases.len());
        for (case, signature) in cases.iter().zip(&signatures) {
            let signature = signature.as_str().unwrap();
            let secret = Secret::parse(str_of(case, "secret")).unwrap();
            let ts = case["timestamp"].as_u64().unwrap();
            let body = str_of(case, "body").as_bytes();
            // The known answer: the library's signature, byte for byte.
            assert_eq!(sign(&secret, str_of(case, "id"), ts, body).unwrap(), signature, "{script}");
            let secrets = Secrets::new(vec![secret]).unwrap();
            let ts_text = ts.to_string();
            let headers =
                SignedHeaders { id: Some(str_of(case, "id")), timestamp: Some(&ts_text), signature: Some(signature) };
            verify(&secrets, &headers, body, ts, &VerifyLimits::default()).unwrap();
            // Tampering with one byte of the body must fail.
            let mut tampered = body.to_vec();
            tampered[1] ^= 1;
            assert!(verify(&secrets, &headers, &tampered, ts, &VerifyLimits::default()).is_err());
        }
    }
}

#[test]
fn signatures_from_edgecache_verify_in_the_reference_libraries() {
    let mut cases = cases();
    for case in &mut cases {
        let secret = Secret::parse(str_of(case, "secret")).unwrap();
        let signature =
            sign(&secret, str_of(case, "id"), case["timestamp"].as_u64().unwrap(), str_of(case, "body").as_bytes())
                .unwrap();
        case["signature"] = json!(signature);
    }
    // A rotation header (an unknown scheme, a stale key's signature, then ours) and a
    // tampered case the libraries must refuse.
    let mut rotated = cases[0].clone();
    let other = Secret::from_bytes(&[9u8; 32]).unwrap();
    let stale = sign(
        &other,
        str_of(&rotated, "id"),
        rotated["timestamp"].as_u64().unwrap(),
        str_of(&rotated, "body").as_bytes(),
    )
    .unwrap();
    rotated["signature"] = json!(format!("v1a,Zm9v {stale} {}", str_of(&cases[0], "signature")));
    cases.push(rotated);
    let mut tampered = cases[0].clone();
    tampered["body"] = json!(format!("{} ", str_of(&cases[0], "body")));
    for (program, script) in libraries() {
        let verdicts = run_library(&program, script, "verify", &json!(cases));
        assert!(verdicts.iter().all(|v| v == &json!(true)), "{script}: {verdicts:?}");
        let refused = run_library(&program, script, "verify", &json!([tampered]));
        assert_ne!(refused[0], json!(true), "{script} accepted a tampered body");
    }
}

#[test]
fn the_sign_command_output_verifies_in_the_reference_libraries() {
    let secret = &secrets()[1];
    let dir = std::env::temp_dir().join(format!("edgecache-sign-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let body_file = dir.join("body.json");
    let body = PurgeRequest::new().tag("articles").prefix("/blog/").to_json();
    std::fs::write(&body_file, &body).unwrap();
    let ts = now();
    let out = Command::new(env!("CARGO_BIN_EXE_edgecache"))
        .args(["sign", "--id", "msg_cli", "--timestamp", &ts.to_string(), "--body-file"])
        .arg(&body_file)
        .env("EDGECACHE_PURGE_SECRET", secret.expose())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let header = |name: &str| text.lines().find_map(|l| l.strip_prefix(&format!("{name}: "))).unwrap().to_owned();
    assert_eq!(header("webhook-id"), "msg_cli");
    assert_eq!(header("webhook-timestamp"), ts.to_string());
    let case = json!({"secret": secret.expose(), "id": header("webhook-id"), "timestamp": ts, "signature": header("webhook-signature"), "body": body});
    for (program, script) in libraries() {
        assert_eq!(run_library(&program, script, "verify", &json!([case])), [json!(true)], "{script}");
    }
    std::fs::remove_dir_all(dir).ok();
}
