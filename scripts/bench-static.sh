#!/usr/bin/env bash
# Server CPU per download of the site's wasm, by encoding: served from the
# files compressed at build time (as `make run` does) against compressed on
# every request (the same site without its .br and .gz files).
# Needs the release build: make release-site release-server.
#   scripts/bench-static.sh [downloads per encoding, default 100]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-100}
server=target/release/server
[ -x "$server" ] && ls target/site/pkg/*.wasm.br >/dev/null 2>&1 \
  || { echo "No release build with precompressed files: run make release-site release-server" >&2; exit 1; }

work=$(mktemp -d)
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ticks=$(getconf CLK_TCK)

# The server's CPU time so far (user + system), in clock ticks.
cpu() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }

# Starts the server on a free port with the given site folder; sets pid and url.
start() {
  local site=$1 port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  CONFAB_ADDR=127.0.0.1:$port CONFAB_DATA_DIR=$work/data LEPTOS_SITE_ROOT=$site RUST_LOG=warn "$server" &
  pid=$!
  url=http://127.0.0.1:$port
  for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null && return; sleep 0.1; done
  echo "The server did not start" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

# Downloads the wasm n times with one Accept-Encoding and prints one line.
measure() {
  local label=$1 encoding=$2 wasm before after bytes header
  wasm=$(cd "$site/pkg" && ls -- *.wasm)
  header=$(curl -s -o /dev/null -D - -H "Accept-Encoding: $encoding" "$url/pkg/$wasm" | tr -d '\r' \
    | awk -F': ' 'tolower($1) == "content-encoding" { print $2 }')
  before=$(cpu)
  for _ in $(seq "$n"); do
    bytes=$(curl -s -o /dev/null -w '%{size_download}' -H "Accept-Encoding: $encoding" "$url/pkg/$wasm")
  done
  after=$(cpu)
  awk -v l="$label" -v e="${header:-identity}" -v b="$bytes" -v t=$((after - before)) -v hz="$ticks" -v n="$n" \
    'BEGIN { printf "%-28s %-9s %8.1f KB   %7.2f ms CPU per download\n", l, e, b / 1000, t * 1000 / hz / n }'
}

echo "wasm downloads: $n per line; server CPU = user + system time of the server process"
site=target/site
start "$site"
for encoding in br gzip identity; do measure "precompressed at build time" "$encoding"; done
stop

site=$work/site
cp -r target/site "$site"
find "$site" \( -name '*.br' -o -name '*.gz' \) -delete
start "$site"
for encoding in br gzip; do measure "compressed per request" "$encoding"; done
stop
