#!/usr/bin/env bash
# Writes server/core/.sqlx: what sqlx's query macros learn of each query from
# a live database (its columns, their types, which can be NULL), so that
# every other build checks the queries with no database at hand. Run it after
# changing a query or a migration, and commit what it writes.
# Each dialect is checked against a fresh, migrated database of its own:
# SQLite in a temporary file, PostgreSQL in a throwaway cluster
# (scripts/with-postgres.sh), with the other dialect's queries left out.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
out=$PWD/server/core/.sqlx

check() { # <dialect> <database URL>
  touch server/core/src/store.rs # so that the macros run again
  SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$out" DATABASE_URL="$2" \
    RUSTFLAGS="--cfg sqlx_prepare=\"$1\"" CARGO_TARGET_DIR=target/sqlx-prepare \
    cargo check --quiet -p confab-core --features server
}

if [ "${1:-}" = --postgres ]; then
  for f in server/core/migrations/postgres/*.sql; do
    psql --quiet -v ON_ERROR_STOP=1 "$CONFAB_TEST_POSTGRES" -f "$f" >/dev/null
  done
  check postgres "$CONFAB_TEST_POSTGRES"
  exit
fi

rm -rf "$out" && mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$work/prepare.db" server/core/migrations/sqlite/*.sql <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for path in sorted(sys.argv[2:]):
    db.executescript(open(path).read())
db.commit()
PY
check sqlite "sqlite://$work/prepare.db"
scripts/with-postgres.sh "$0" --postgres
echo "wrote $(ls "$out" | wc -l) query descriptions to ${out#"$PWD/"}"
