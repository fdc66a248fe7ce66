#!/usr/bin/env bash
# Benchmark of the service's re-evaluation and findings listing
# (crates/wharf-server/examples/reeval_bench.rs), on SQLite and on
# PostgreSQL.
#
# Stores INVENTORIES synthetic image inventories (~PACKAGES packages each:
# Debian 12 plus npm/PyPI/Go/Maven, names overlapping the advisories)
# through the real store, then times: loading a SYNTH_RECORDS-advisory
# snapshot (bench/gen_osv_zip.py, seeded, imported as `wharf db update
# --source osv:all.zip` does), a full re-evaluation (all findings new, then
# nothing changed) through wharf_server::jobs::reevaluate, and QUERIES
# random findings listings (filters, sort orders, deep keyset cursors) with
# at least MIN_FINDINGS findings stored, through Store::findings and
# GET /api/v1/findings. Target: re-evaluation under 60 s on both backends.
#
# The OSV zip and the imported database are cached in
# target/bench-cache/reeval (WHARF_BENCH_CACHE). PostgreSQL: a scratch
# database is created on PG_ADMIN (default
# postgres://postgres@127.0.0.1:5432/postgres, trust auth) and dropped
# afterwards. Results go to bench/results/reeval-<UTC timestamp>.md.
#
# Usage: [INVENTORIES=10000] [PACKAGES=300] [SYNTH_RECORDS=300000] [SEED=42]
#        [MIN_FINDINGS=1000000] [QUERIES=1000] [BACKENDS="sqlite postgres"]
#        [PG_ADMIN=URL] bench/reeval.sh
set -euo pipefail
cd "$(dirname "$0")/.."
INVENTORIES=${INVENTORIES:-10000}
PACKAGES=${PACKAGES:-300}
SYNTH_RECORDS=${SYNTH_RECORDS:-300000}
SEED=${SEED:-42}
MIN_FINDINGS=${MIN_FINDINGS:-1000000}
QUERIES=${QUERIES:-1000}
BACKENDS=${BACKENDS:-"sqlite postgres"}
PG_ADMIN=${PG_ADMIN:-postgres://postgres@127.0.0.1:5432/postgres}
need() { command -v "$1" >/dev/null 2>&1 || { echo "bench/reeval.sh needs $1 ($2)" >&2; exit 1; }; }
need python3 "apt-get install python3"
need /usr/bin/time "apt-get install time"
case " $BACKENDS " in *" postgres "*) need psql "apt-get install postgresql-client" ;; esac

# An optimised build without whole-program LTO ([profile.bench-fast]).
cargo build --profile bench-fast --locked -q --example reeval_bench -p wharf-server
BENCH=$PWD/target/bench-fast/examples/reeval_bench

CACHE=$(realpath -m "${WHARF_BENCH_CACHE:-target/bench-cache}/reeval")
mkdir -p "$CACHE"
ZIP=$CACHE/osv-$SYNTH_RECORDS-$SEED.zip
DB=$CACHE/db-$SYNTH_RECORDS-$SEED
if [ ! -s "$ZIP" ]; then
  echo "generating $SYNTH_RECORDS synthetic OSV records"
  python3 bench/gen_osv_zip.py "$ZIP.tmp" "$SYNTH_RECORDS" "$SEED"
  mv "$ZIP.tmp" "$ZIP"
fi

work=$(mktemp -d)
pgdb=
cleanup() {
  if [ -n "$pgdb" ]; then psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

stamp=$(date -u +%Y%m%dT%H%M%SZ)
results="bench/results/reeval-$stamp.md"
cmds=()
for backend in $BACKENDS; do
  case $backend in
    sqlite) url="sqlite://$work/wharf-$backend.db?mode=rwc" ;;
    postgres)
      pgdb="wharf_bench_reeval_$$"
      psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" -c "CREATE DATABASE $pgdb" >/dev/null
      url="${PG_ADMIN%/*}/$pgdb" ;;
    *) echo "unknown backend $backend" >&2; exit 1 ;;
  esac
  cmd=("$BENCH" --database-url "$url" --vulndb-dir "$DB" --osv-zip "$ZIP"
       --inventories "$INVENTORIES" --packages "$PACKAGES" --seed "$SEED"
       --min-findings "$MIN_FINDINGS" --queries "$QUERIES" --data-dir "$work/data-$backend")
  echo "== $backend: ${cmd[*]}"
  /usr/bin/time -f '%e %M %U %S' -o "$work/time-$backend" "${cmd[@]}" 2>&1 | tee "$work/log-$backend"
  grep '^SUMMARY ' "$work/log-$backend" | tail -1 | cut -d' ' -f2- >"$work/summary-$backend.json"
  cmds+=("/usr/bin/time -f '%e %M %U %S' ${cmd[*]}")
  if [ "$backend" = postgres ]; then
    psql -q "$PG_ADMIN" -c "DROP DATABASE IF EXISTS $pgdb WITH (FORCE)" >/dev/null
    pgdb=
  fi
done

{
  echo "# wharf re-evaluation and findings-listing benchmark — $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr)."
  echo "wharf: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates Cargo.toml || echo ' + uncommitted changes'), \`bench-fast\` profile (release, no LTO, 16 codegen units)."
  echo "PostgreSQL: $(psql -At "$PG_ADMIN" -c 'SHOW server_version' 2>/dev/null || echo n/a) on 127.0.0.1 (same machine)."
  echo "Population: $INVENTORIES inventories x ~$PACKAGES packages (seed $SEED); advisories: $SYNTH_RECORDS synthetic OSV records (bench/gen_osv_zip.py, seed $SEED)."
  echo
  python3 - "$work" $BACKENDS <<'EOF'
import json, os, sys
work, backends = sys.argv[1], sys.argv[2:]
rows = {}
for b in backends:
    s = json.load(open(os.path.join(work, f"summary-{b}.json")))
    wall, rss_kb, user, sys_ = open(os.path.join(work, f"time-{b}")).read().split()
    rows[b] = (s, float(wall), int(rss_kb) // 1024, float(user) + float(sys_))
def r(x, n=2): return f"{x:.{n}f}"
print("| backend | snapshot load s | re-eval 1 (all new) s | vs 60 s | re-eval 2 (unchanged) s | vs 60 s | new findings | findings listed over | listing p50 / p95 / p99 / max ms (store) | same via HTTP API | process wall s / CPU s / peak RSS MiB |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for b, (s, wall, rss, cpu) in rows.items():
    r1, r2 = s["reevaluation"][0], s["reevaluation"][1]
    ls, lh = s["listing_store"], s["listing_http"]
    print(f"| {b} | {r(s['snapshot_load_seconds'])} | {r(r1['seconds'])} | {r(r1['vs_target'])} | {r(r2['seconds'])} | {r(r2['vs_target'])} "
          f"| {r1['new']} | {s['findings_open']} | {ls['p50_ms']} / {ls['p95_ms']} / {ls['p99_ms']} / {ls['max_ms']} "
          f"| {lh['p50_ms']} / {lh['p95_ms']} / {lh['p99_ms']} / {lh['max_ms']} | {r(wall,1)} / {r(cpu,1)} / {rss} |")
if len(rows) == 2:
    (a, (sa, *_)), (b, (sb, *_)) = rows.items()
    print()
    print(f"Ratios {b}/{a}: re-eval 1 {sb['reevaluation'][0]['seconds'] / max(sa['reevaluation'][0]['seconds'], 1e-9):.2f}, "
          f"re-eval 2 {sb['reevaluation'][1]['seconds'] / max(sa['reevaluation'][1]['seconds'], 1e-9):.2f}, "
          f"listing p99 {sb['listing_store']['p99_ms'] / max(sa['listing_store']['p99_ms'], 1e-9):.2f}.")
print()
for b, (s, *_) in rows.items():
    print(f"- {b}: {s['inventories']} inventories stored in {s['setup_seconds']} s (setup, not timed); "
          f"{s['findings_from_reevaluation']} open findings from the re-evaluation, {s['findings_topped_up']} synthetic ones added "
          f"({s['topup_seconds']} s); deepest listing cursor {s['deepest_cursor_rows']} rows.")
print()
print("## Summaries (raw)")
print()
print("```")
for b, (s, *_) in rows.items():
    print(json.dumps(s))
print("```")
EOF
  echo
  echo "## Logs"
  for backend in $BACKENDS; do
    echo
    echo "### $backend"
    echo
    echo '```'
    grep -v '^SUMMARY \|^  stored ' "$work/log-$backend" || true
    echo '```'
  done
  echo
  echo "## Commands"
  echo
  echo '```sh'
  echo "cargo build --profile bench-fast --locked --example reeval_bench -p wharf-server"
  echo "python3 bench/gen_osv_zip.py ALL.zip $SYNTH_RECORDS $SEED"
  printf '%s\n' "${cmds[@]}"
  echo '```'
} >"$results"
cat "$results"
echo "results: $results"
