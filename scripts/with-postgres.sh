#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster: a temporary folder, a
# free port on 127.0.0.1, no system service; stopped and removed afterwards.
# The command finds it in CONFAB_TEST_POSTGRES (a URL to its `postgres`
# database, as a superuser that may create databases).
#   scripts/with-postgres.sh cargo test -p server
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "PostgreSQL is not installed (no initdb under /usr/lib/postgresql): run scripts/setup.sh --test" >&2
  exit 1
fi

dir=$(mktemp -d /tmp/confab-pg.XXXXXX)
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# PostgreSQL refuses to run as root; as root, the cluster belongs to `postgres`.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres: "$dir"

stop() {
  as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT

if ! as_owner "$bin/initdb" -D "$dir/data" -U confab --auth=trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1; then
  echo "Could not create a PostgreSQL cluster in $dir:" >&2
  cat "$dir/initdb.log" >&2
  exit 1
fi
if ! as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=400" >/dev/null; then
  echo "Could not start PostgreSQL on port $port:" >&2
  cat "$dir/server.log" >&2
  exit 1
fi

export CONFAB_TEST_POSTGRES="postgres://confab@127.0.0.1:$port/postgres"
"$@"
