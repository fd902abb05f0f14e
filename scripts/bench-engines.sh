#!/usr/bin/env bash
# The engines a cluster's servers could tell each other new events through,
# measured side by side on this machine (target/release/engines): Redis
# pub/sub, Redis Streams and PostgreSQL LISTEN/NOTIFY, each on a throwaway
# instance in a temporary folder on a free port. ARCHITECTURE.md says which
# Confab uses and why. Needs: cargo build --release -p confab-loadgen.
#   scripts/bench-engines.sh
set -euo pipefail
cd "$(dirname "$0")/.."
engines=target/release/engines
[ -x "$engines" ] || { echo "$engines is not built: run cargo build --release -p confab-loadgen" >&2; exit 1; }
command -v redis-server >/dev/null || { echo "redis-server is not installed: run scripts/setup.sh --test" >&2; exit 1; }

dir=$(mktemp -d /tmp/confab-engines.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save "" --appendonly no >"$dir/redis.log" 2>&1 &
redis=$!
trap 'kill $redis 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 50); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.1
done

# shellcheck disable=SC2016 # expanded by the inner shell, where with-postgres.sh set it
scripts/with-postgres.sh bash -c '"$0" --redis-url "$1" --database-url "$CONFAB_TEST_POSTGRES"' \
  "$engines" "redis://127.0.0.1:$port"
