#!/usr/bin/env bash
# Uploads and downloads of a large file through the release server, and the
# server's memory while ten people upload one each at once: files stream
# to disk, so the peak stays near the idle figure instead of growing by
# ten files.
# Needs the release build: make release-site release-server.
#   scripts/bench-files.sh [file size in MiB, default 25]
set -euo pipefail
cd "$(dirname "$0")/.."
mib=${1:-25}
server=target/release/server
[ -x "$server" ] || { echo "No release build: run make release-server" >&2; exit 1; }

work=$(mktemp -d)
pid=
cleanup() { [ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
CONFAB_ADDR=127.0.0.1:$port CONFAB_DATA_DIR=$work/data CONFAB_MESSAGES_PER_SECOND=1000 RUST_LOG=warn \
  LEPTOS_SITE_ROOT=target/site "$server" &
pid=$!
url=http://127.0.0.1:$port
for _ in $(seq 100); do curl -sf "$url/healthz" >/dev/null && break; sleep 0.1; done

# Seconds since $1 (a `date +%s.%N`).
since() { awk -v now="$(date +%s.%N)" -v then="$1" 'BEGIN { print now - then }'; }

# Memory of the server process, in MiB: now (VmRSS) and its peak so far (VmHWM).
mem() { awk -v k="$1:" '$1 == k { printf "%.1f", $2 / 1024 }' "/proc/$pid/status"; }

jar=$work/cookies
api() { curl -sf -b "$jar" -c "$jar" -H 'Accept: application/json' "$url/api/$1" "${@:2}" >/dev/null; }
api register --data-urlencode username=bench --data-urlencode 'password=correct horse battery'
api create_org -d name=Bench -d slug=bench

head -c $((mib * 1024 * 1024)) /dev/urandom >"$work/big.bin"
upload() { # <file> <name>: prints the new file's id
  curl -sf -b "$jar" -H 'Content-Type: application/octet-stream' --data-binary "@$1" \
    "$url/api/upload?slug=bench&channel=general&name=$2" | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
}

echo "A $mib MiB file through the release server on 127.0.0.1 (curl; one run)"
idle_rss=$(mem VmRSS)
start=$(date +%s.%N)
id=$(upload "$work/big.bin" big.bin)
up=$(since "$start")
api send_message -d slug=bench -d channel=general -d client_id=big -d body=big -d "files[0]=$id"
start=$(date +%s.%N)
curl -sf -b "$jar" -o "$work/back.bin" "$url/api/files/bench/$id"
down=$(since "$start")
cmp -s "$work/big.bin" "$work/back.bin" || { echo "The file came back different" >&2; exit 1; }
awk -v m="$mib" -v u="$up" -v d="$down" 'BEGIN {
  printf "upload:   %6.2f s  %7.1f MiB/s\ndownload: %6.2f s  %7.1f MiB/s\n", u, m / u, d, m / d }'

# Ten at once, each a different file (nothing shared), the peak read after.
for i in $(seq 10); do head -c $((mib * 1024 * 1024)) /dev/urandom >"$work/f$i.bin"; done
before_peak=$(mem VmHWM)
start=$(date +%s.%N)
uploads=()
for i in $(seq 10); do
  upload "$work/f$i.bin" "f$i.bin" >/dev/null &
  uploads+=($!)
done
for u in "${uploads[@]}"; do wait "$u"; done
all=$(since "$start")
awk -v m="$mib" -v t="$all" -v i="$idle_rss" -v b="$before_peak" -v p="$(mem VmHWM)" 'BEGIN {
  printf "ten uploads at once: %.2f s (%.1f MiB/s in all)\n", t, 10 * m / t
  printf "server memory: %.1f MiB idle, peak %.1f MiB before, %.1f MiB during the ten (%.1f MiB of files)\n", i, b, p, 10 * m }'
