#!/usr/bin/env bash
# Findings-listing latency at 1,000,000 findings (issue 8), one backend per
# run, through `wharf serve`'s HTTP API (not a timed test):
#
#   1. start `wharf serve` once on an empty database so it migrates, stop it;
#   2. fill the database with bench/listing_populate.sql (SQL only);
#   3. start it again and time 1,000 random GET /api/v1/findings
#      (bench/listing_drive.py: sorts, severity/kind/KEV/connector/repository
#      filters, cursors up to 200,000 rows deep); print p50/p95/p99/max.
#
# Usage: bench/listing.sh sqlite|postgres [QUERIES]
#   WHARF_BENCH_POSTGRES  server URL for the scratch database
#                         (default postgres://postgres@127.0.0.1:5432/postgres)
#   WHARF_BENCH_PROFILE   cargo profile of the wharf binary (default bench-fast)
#   WHARF_BIN             an already built wharf binary (no build then)
set -euo pipefail
cd "$(dirname "$0")/.."
backend=${1:?usage: bench/listing.sh sqlite|postgres [QUERIES]}
queries=${2:-1000}
profile=${WHARF_BENCH_PROFILE:-bench-fast}
wharf=${WHARF_BIN:-}
if [ -z "$wharf" ]; then
  cargo build --profile "$profile" --locked -q -p wharf
  wharf=$PWD/target/$profile/wharf
fi
work=$(mktemp -d)
port=$((20000 + RANDOM % 20000))
token=bench-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
export WHARF_ADMIN_TOKEN=$token WHARF_SECRET_KEY_FILE=$work/key WHARF_REEVALUATE_INTERVAL_SECS=86400000
db_args=(--data-dir "$work/data")
pg_server=${WHARF_BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432/postgres}
pg_db=wharf_listing_bench_$$
if [ "$backend" = postgres ]; then
  psql "$pg_server" -qAtc "CREATE DATABASE $pg_db"
  db_url=${pg_server%/*}/$pg_db
  db_args+=(--database-url "$db_url")
fi
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ "$backend" = postgres ] && psql "$pg_server" -qAtc "DROP DATABASE IF EXISTS $pg_db" || true
  rm -rf "$work"
}
trap cleanup EXIT
serve() {
  "$wharf" serve "${db_args[@]}" --listen "127.0.0.1:$port" >>"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 600); do
    curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  tail -20 "$work/serve.log" >&2
  exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=; }

serve
stop
started=$(date +%s)
if [ "$backend" = sqlite ]; then
  sqlite3 "$work/data/wharf.db" <bench/listing_populate.sql
else
  # The same statements in PostgreSQL's dialect.
  sed -e "s/substr('0000000000' || \([a-z]*\), -10, 10)/lpad(\1::text, 10, '0')/g" \
      -e "s/X'00'/'\\\\x00'::bytea/" bench/listing_populate.sql | psql -q -v ON_ERROR_STOP=1 "$db_url"
  psql -qAt "$db_url" -c "ANALYZE"
fi
echo "populated in $(( $(date +%s) - started )) s" >&2
serve
python3 bench/listing_drive.py "http://127.0.0.1:$port" "$token" "$queries"
