#!/usr/bin/env bash
# Runs Confab as a cluster on this machine: PostgreSQL, Redis, three Confab
# servers and HAProxy in front of them, all on 127.0.0.1, with everything
# they keep in one folder (data/cluster: the database, the logs, the
# generated haproxy.cfg). Prints the address; Ctrl-C stops everything. The
# database is kept between runs; remove the folder to start afresh.
#   scripts/cluster.sh            (make cluster builds the release first)
# Settings: CONFAB_CLUSTER_DIR (data/cluster), CONFAB_CLUSTER_PORT (3000,
# where people connect), CONFAB_CLUSTER_NODES (3), CONFAB_CLUSTER_SERVER
# (target/release/server: the binary to run) and CONFAB_CLUSTER_SITE
# (target/site: the front end it serves). Each server's process id is in
# the folder (server1.pid…), for trying what a dead one changes.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=$(realpath -m "${CONFAB_CLUSTER_DIR:-data/cluster}")
port=${CONFAB_CLUSTER_PORT:-3000}
nodes=${CONFAB_CLUSTER_NODES:-3}
server=${CONFAB_CLUSTER_SERVER:-target/release/server}
site=${CONFAB_CLUSTER_SITE:-target/site}
say() { printf '\033[1m==> %s\033[0m\n' "$*"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

for tool in redis-server haproxy; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed: run scripts/setup.sh --cluster" >&2; exit 1; }
done
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
[ -n "$bin" ] && [ -x "$bin/initdb" ] || { echo "PostgreSQL is not installed: run scripts/setup.sh --cluster" >&2; exit 1; }
[ -x "$server" ] || { echo "$server is not built: run make cluster" >&2; exit 1; }
if python3 -c "import socket, sys; s = socket.socket(); sys.exit(s.connect_ex(('127.0.0.1', $port)) != 0)"; then
  echo "Port $port is taken (is make run or another cluster running?): set CONFAB_CLUSTER_PORT" >&2
  exit 1
fi

mkdir -p "$dir/logs"
# As root, PostgreSQL runs as `postgres`, which must reach its folder in here.
[ "$(id -u)" = 0 ] && chmod a+x "$dir"
pids=()
stop() {
  trap - EXIT INT TERM
  say "Stopping"
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  as_owner "$bin/pg_ctl" -D "$dir/postgres" -m fast stop >/dev/null 2>&1 || true
}
trap stop EXIT INT TERM

# PostgreSQL refuses to run as root; as root, its folder belongs to `postgres`.
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_port=$(free_port)
if [ ! -f "$dir/postgres/PG_VERSION" ]; then
  say "Creating the database in $dir/postgres"
  mkdir -p "$dir/postgres"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir/postgres"
  as_owner "$bin/initdb" -D "$dir/postgres" -U confab --auth=trust -E UTF8 >"$dir/logs/initdb.log" 2>&1 \
    || { cat "$dir/logs/initdb.log" >&2; exit 1; }
fi
[ "$(id -u)" = 0 ] && chown postgres: "$dir/logs"
as_owner "$bin/pg_ctl" -D "$dir/postgres" -l "$dir/logs/postgres.log" -w -t 30 start \
  -o "-p $pg_port -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200" >/dev/null \
  || { cat "$dir/logs/postgres.log" >&2; exit 1; }
as_owner "$bin/psql" -h 127.0.0.1 -p "$pg_port" -U confab -d postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname = 'confab'" | grep -q 1 \
  || as_owner "$bin/createdb" -h 127.0.0.1 -p "$pg_port" -U confab confab
database_url="postgres://confab@127.0.0.1:$pg_port/confab"

redis_port=$(free_port)
mkdir -p "$dir/redis"
redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$dir/redis" --save "" --appendonly no \
  >"$dir/logs/redis.log" 2>&1 &
pids+=($!)
redis_url="redis://127.0.0.1:$redis_port"

servers=""
for i in $(seq 1 "$nodes"); do
  node_port=$(free_port)
  # The first server migrates the database; the others start after it.
  CONFAB_ADDR="127.0.0.1:$node_port" CONFAB_DATABASE_URL="$database_url" CONFAB_REDIS_URL="$redis_url" \
    CONFAB_TRUSTED_PROXIES=127.0.0.1 LEPTOS_SITE_ROOT="$site" \
    CONFAB_DATA_DIR="$dir/server$i" CONFAB_FILES_DIR="$dir/files" \
    "$server" >"$dir/logs/server$i.log" 2>&1 &
  pids+=($!)
  echo $! >"$dir/server$i.pid"
  for _ in $(seq 1 300); do
    curl -sf "http://127.0.0.1:$node_port/healthz" >/dev/null && break
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$dir/logs/server$i.log" >&2; exit 1; }
    sleep 0.1
  done
  servers+="    server s$i 127.0.0.1:$node_port cookie s$i"$'\n'
done

python3 - "$dir/haproxy.cfg" "127.0.0.1:$port" "$servers" <<'EOF'
import sys
path, bind, servers = sys.argv[1:]
template = open("deploy/haproxy.cfg").read()
open(path, "w").write(template.replace("@BIND@", bind).replace("@SERVERS@", servers))
EOF
haproxy -db -f "$dir/haproxy.cfg" >"$dir/logs/haproxy.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  kill -0 "${pids[-1]}" 2>/dev/null || { cat "$dir/logs/haproxy.log" >&2; exit 1; }
  sleep 0.1
done

say "Confab: $nodes servers behind HAProxy on http://127.0.0.1:$port (PostgreSQL :$pg_port, Redis :$redis_port; logs in $dir/logs). Ctrl-C stops everything."
# A server that is killed leaves the others serving: wait for Ctrl-C.
wait || true
