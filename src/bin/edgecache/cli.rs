use std::io::Read as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::{Parser, Subcommand};
use edgecache::core::purge::{read_content, sign, verify, PurgeRequest, Secret, Secrets, SignedHeaders, VerifyLimits};
use edgecache::core::Clock as _;
use edgecache::platform::SystemClock;

const SECRET_VAR: &str = "EDGECACHE_PURGE_SECRET";

#[derive(Parser)]
#[command(name = "edgecache", version, about = "Signed purges for edgecache (Standard Webhooks v1)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Send a signed purge to an edgecache endpoint and print its receipt.
    Purge {
        /// The purge endpoint, e.g. https://example.com/_edgecache/purge
        #[arg(long)]
        endpoint: String,
        /// A tag to purge (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// A cache key to purge (repeatable).
        #[arg(long = "key")]
        keys: Vec<String>,
        /// A URL to purge (repeatable).
        #[arg(long = "url")]
        urls: Vec<String>,
        /// A key prefix ending in '/' or ':' (repeatable).
        #[arg(long = "prefix")]
        prefixes: Vec<String>,
        /// Purge everything.
        #[arg(long)]
        everything: bool,
        /// Soft purge: serve stale while revalidating instead of dropping.
        #[arg(long)]
        soft: bool,
        /// Seconds to wait for the endpoint.
        #[arg(long, default_value_t = 10)]
        timeout: u64,
    },
    /// Print the three webhook headers for a body, or for a read of a signed control endpoint
    /// (--read), for use with curl.
    Sign {
        /// The webhook-id (default: a random msg_ id).
        #[arg(long)]
        id: Option<String>,
        /// The webhook-timestamp in Unix seconds (default: now).
        #[arg(long)]
        timestamp: Option<u64>,
        /// The body to sign ('-' for standard input).
        #[arg(long, required_unless_present = "read", conflicts_with = "read")]
        body_file: Option<PathBuf>,
        /// The path and query of a GET to sign instead of a body, exactly as it will be sent:
        /// e.g. '/_edgecache/log?limit=10'. The headers serve once.
        #[arg(long)]
        read: Option<String>,
    },
    /// Verify a captured request's headers and body against the secret(s).
    Verify {
        /// The webhook-id header.
        #[arg(long)]
        id: String,
        /// The webhook-timestamp header.
        #[arg(long)]
        timestamp: String,
        /// The webhook-signature header.
        #[arg(long)]
        signature: String,
        /// The raw body ('-' for standard input).
        #[arg(long)]
        body_file: PathBuf,
        /// Verify as of this Unix time (default: now).
        #[arg(long)]
        now: Option<u64>,
    },
    /// Print a new random whsec_ secret.
    Secret,
}

pub fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("edgecache: {message}");
            ExitCode::from(code)
        }
    }
}

type Failure = (u8, String);

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Purge { endpoint, tags, keys, urls, prefixes, everything, soft, timeout } => {
            let request = PurgeRequest { keys, urls, tags, prefixes, everything, ..PurgeRequest::default() };
            let request = if soft { request.soft() } else { request };
            if request.is_empty() {
                return Err((2, "nothing to purge: give --tag, --key, --url, --prefix or --everything".into()));
            }
            purge(&endpoint, &request, Duration::from_secs(timeout))
        }
        Command::Sign { id, timestamp, body_file, read } => {
            let secret = signing_secret()?;
            let body = match (read, body_file) {
                (Some(target), _) => read_content("GET", &target).into_bytes(),
                (None, Some(path)) => read_body(&path)?,
                (None, None) => return Err((2, "give --body-file or --read".into())),
            };
            let id = id.unwrap_or_else(new_id);
            let timestamp = timestamp.unwrap_or_else(now_secs);
            let signature = sign(&secret, &id, timestamp, &body).map_err(|e| (2, e.to_string()))?;
            println!("webhook-id: {id}\nwebhook-timestamp: {timestamp}\nwebhook-signature: {signature}");
            Ok(())
        }
        Command::Verify { id, timestamp, signature, body_file, now } => {
            let secrets = Secrets::parse(&secret_var()?).map_err(|e| (2, format!("{SECRET_VAR}: {e}")))?;
            let body = read_body(&body_file)?;
            let headers = SignedHeaders { id: Some(&id), timestamp: Some(&timestamp), signature: Some(&signature) };
            match verify(&secrets, &headers, &body, now.unwrap_or_else(now_secs), &VerifyLimits::default()) {
                Ok(verified) => {
                    println!("ok {} {}", verified.id, verified.timestamp);
                    Ok(())
                }
                Err(e) => Err((4, format!("{}: {e}", e.code()))),
            }
        }
        Command::Secret => {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).map_err(|e| (2, format!("no random source: {e}")))?;
            let secret = Secret::from_bytes(&key).map_err(|e| (2, e.to_string()))?;
            println!("{}", secret.expose());
            Ok(())
        }
    }
}

fn purge(endpoint: &str, request: &PurgeRequest, timeout: Duration) -> Result<(), Failure> {
    let secret = signing_secret()?;
    let body = request.to_json();
    let id = new_id();
    let timestamp = now_secs();
    let signature = sign(&secret, &id, timestamp, body.as_bytes()).map_err(|e| (2, e.to_string()))?;
    let agent = ureq::AgentBuilder::new().timeout(timeout).build();
    let response = agent
        .post(endpoint)
        .set("content-type", "application/json")
        .set("webhook-id", &id)
        .set("webhook-timestamp", &timestamp.to_string())
        .set("webhook-signature", &signature)
        .send_string(&body);
    match response {
        Ok(ok) => {
            println!("{}", ok.into_string().unwrap_or_default().trim_end());
            Ok(())
        }
        Err(ureq::Error::Status(status, answer)) => {
            let text = answer.into_string().unwrap_or_default();
            let code = if status >= 500 { 5 } else { 4 };
            Err((code, format!("{endpoint} answered {status}: {}", text.trim_end())))
        }
        Err(ureq::Error::Transport(e)) => Err((3, format!("{endpoint} unreachable: {e}"))),
    }
}

fn secret_var() -> Result<String, Failure> {
    std::env::var(SECRET_VAR).map_err(|_| (2, format!("set {SECRET_VAR} to the endpoint's whsec_ secret")))
}

fn signing_secret() -> Result<Secret, Failure> {
    let secrets = Secrets::parse(&secret_var()?).map_err(|e| (2, format!("{SECRET_VAR}: {e}")))?;
    Ok(secrets.primary().clone())
}

fn read_body(path: &PathBuf) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    let result = if path.as_os_str() == "-" {
        std::io::stdin().read_to_end(&mut body).map(|_| ())
    } else {
        std::fs::read(path).map(|bytes| body = bytes)
    };
    result.map_err(|e| (2, format!("cannot read {}: {e}", path.display())))?;
    Ok(body)
}

fn new_id() -> String {
    let mut bytes = [0u8; 12];
    // Uniqueness, not secrecy: fall back to the clock if the OS has no random source.
    if getrandom::fill(&mut bytes).is_err() {
        bytes[..8].copy_from_slice(
            &SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_nanos().to_le_bytes()[..8],
        );
    }
    format!("msg_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

fn now_secs() -> u64 {
    SystemClock.now_ms() / 1000
}
