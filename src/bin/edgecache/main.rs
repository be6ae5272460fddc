//! `edgecache`: send signed purges, sign bodies for curl, verify captured requests, make secrets.
//!
//! Secrets come from the environment (`EDGECACHE_PURGE_SECRET`), never from flags, so they stay
//! out of shell history and process listings.
//!
//! Exit codes: 0 done; 2 bad arguments or configuration; 3 endpoint unreachable; 4 request
//! rejected (4xx, or a signature that does not verify); 5 endpoint failed (5xx).

#[cfg(not(target_arch = "wasm32"))]
mod cli;

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    cli::main()
}

// The CLI is native only; a wasm32 build of the whole package gets an empty binary.
#[cfg(target_arch = "wasm32")]
fn main() {}
