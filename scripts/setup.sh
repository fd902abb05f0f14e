#!/usr/bin/env bash
# Installs whatever this machine is missing to build and test Confab, and skips
# what is already there. Safe to run again.
#   scripts/setup.sh          build tools (toolchain, cargo-leptos, wasm-bindgen, npm packages)
#   scripts/setup.sh --test   the same, plus Chromium for the browser tests,
#                             PostgreSQL for the server tests' second pass,
#                             Redis and HAProxy for the cluster's tests and
#                             moto's S3 server for files kept in a bucket
#   scripts/setup.sh --cluster  build tools, PostgreSQL, Redis and HAProxy
#                             (make cluster, make bench)
set -euo pipefail
cd "$(dirname "$0")/.."

for_tests=false
for_cluster=false
[ "${1:-}" = "--test" ] && for_tests=true && for_cluster=true
[ "${1:-}" = "--cluster" ] && for_cluster=true
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
export PATH="$HOME/.cargo/bin:$PATH"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
apt_updated=false
apt_install() {
  if ! $apt_updated; then as_root apt-get update -qq; apt_updated=true; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# 1. The pinned Rust toolchain with the wasm target (RUSTUP_AUTO_INSTALL=0 here).
toolchain=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)
if rustup run "$toolchain" rustc --version >/dev/null 2>&1 \
  && rustup target list --installed --toolchain "$toolchain" | grep -q wasm32-unknown-unknown; then
  say "Rust $toolchain: installed"
else
  say "Installing Rust $toolchain with the wasm target"
  rustup toolchain install "$toolchain" --profile minimal \
    --target wasm32-unknown-unknown --component clippy,rustfmt
fi

# The build tools are built without optimizations: how fast they compile
# matters far more here than how fast they run, except for the few crates that
# do the heavy lifting at build time (compressing the site, rewriting wasm),
# which keep full optimization. The two tools build side by side (each leaves
# a core idle for part of its build) while the next steps download.
quick_tool=(
  --config profile.release.opt-level=0
  --config profile.release.debug=0
  --config profile.release.lto=false
  --config profile.release.codegen-units=256
  --config profile.release.incremental=false
  --config profile.release.strip=true
)
for hot in brotli brotli-decompressor miniz_oxide libflate walrus wasmparser; do
  quick_tool+=(--config "profile.release.package.$hot.opt-level=3")
done

installs=()
# A step that fails stops the tool builds still running in the background.
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

# 2. cargo-leptos, pinned.
leptos_version=0.3.11
if cargo leptos --version 2>/dev/null | grep -q "$leptos_version"; then
  say "cargo-leptos $leptos_version: installed"
else
  say "Installing cargo-leptos $leptos_version (about 4 minutes on 2 cores)"
  cargo install cargo-leptos --version "$leptos_version" --locked "${quick_tool[@]}" &
  installs+=($!)
fi

# 3. wasm-bindgen-cli at exactly the lockfile's wasm-bindgen version.
#    (No --locked: one of its locked dependencies is not on the registry.)
wbg_version=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
if wasm-bindgen --version 2>/dev/null | grep -q "$wbg_version"; then
  say "wasm-bindgen $wbg_version: installed"
else
  say "Installing wasm-bindgen-cli $wbg_version"
  cargo install wasm-bindgen-cli --version "$wbg_version" "${quick_tool[@]}" &
  installs+=($!)
fi

# OpenSSL's headers, for encrypting push notifications (the ece crate).
if pkg-config --exists openssl 2>/dev/null; then
  say "OpenSSL headers: installed"
else
  say "Installing OpenSSL's headers"
  apt_install libssl-dev pkg-config
fi

# 4. Node packages: Playwright, binaryen (wasm-opt), socket.io-client.
if ! command -v npm >/dev/null 2>&1; then
  say "Installing Node.js and npm"
  apt_install nodejs npm
fi
if [ -f end2end/node_modules/.package-lock.json ] \
  && [ ! end2end/package-lock.json -nt end2end/node_modules/.package-lock.json ]; then
  say "npm packages: installed"
else
  say "Installing npm packages"
  (cd end2end && npm ci --no-audit --no-fund)
fi

# 5. Chromium for the browser tests (Playwright cannot download its own here),
#    and a font for emoji.
if $for_tests; then
  if command -v chromium >/dev/null 2>&1; then
    say "Chromium: installed"
  else
    say "Installing Chromium"
    apt_install chromium
  fi
  # Reactions are emoji: without a font for them the browser draws boxes.
  if dpkg -s fonts-noto-color-emoji >/dev/null 2>&1; then
    say "Emoji font: installed"
  else
    say "Installing an emoji font"
    apt_install fonts-noto-color-emoji
  fi
fi

# 6. PostgreSQL's programs for the server tests (scripts/with-postgres.sh
#    runs a throwaway cluster of its own; no system service is used).
if $for_cluster; then
  if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    say "PostgreSQL: installed"
  else
    say "Installing PostgreSQL"
    apt_install postgresql
  fi
fi

# 7. Redis for the cluster's tests (each starts a throwaway redis-server of
#    its own on a free port; no system service is used).
if $for_cluster; then
  if command -v redis-server >/dev/null 2>&1; then
    say "Redis: installed"
  else
    say "Installing Redis"
    apt_install redis-server
  fi
fi

# 8. HAProxy, the load balancer in front of the cluster's test servers (a
#    throwaway instance per test, from a config in a temporary folder).
if $for_cluster; then
  if command -v haproxy >/dev/null 2>&1; then
    say "HAProxy: installed"
  else
    say "Installing HAProxy"
    apt_install haproxy
  fi
fi

# 9. moto's S3 server, a real implementation of the S3 API from PyPI, for
#    the tests of files kept in a bucket (a throwaway server per test).
if $for_tests; then
  if command -v moto_server >/dev/null 2>&1; then
    say "moto (S3 server): installed"
  else
    say "Installing moto's S3 server"
    python3 -m pip install --quiet 'moto[server]==5.2.1' \
      || python3 -m pip install --quiet --break-system-packages 'moto[server]==5.2.1'
    # pyenv's Python finds new commands through its shims.
    if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
  fi
fi

# The tool builds started above.
for pid in "${installs[@]}"; do
  wait "$pid"
done
say "Ready"
