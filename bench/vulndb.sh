#!/usr/bin/env bash
# Whole-process benchmark of `wharf db update` (release build), with
# /usr/bin/time (wall, peak RSS, user and system CPU).
#
# (a) Every advisory set in ../shared/testdata/advisories that wharf reads:
#     the PyPA advisory database and the Go vulndb (OSV directories),
#     RustSec, CISA KEV and each Alpine secdb YAML file, into an empty
#     database; then the identical command again (every fingerprint
#     unchanged: nothing is re-imported).
# (b) A synthetic osv.dev-style all.zip of SYNTH_RECORDS (default 300,000)
#     PyPI/npm records (bench/gen_osv_zip.py, seeded), into an empty
#     database; then the identical command again.
#
# ../shared is looked up next to the repository (the directory that holds
# this checkout), or at $WHARF_SHARED. Results (raw numbers, phase timings
# from wharf's log, and the exact commands) go to
# bench/results/vulndb-<UTC timestamp>.md.
#
# Needs python3 and /usr/bin/time.
#
# Usage: [SYNTH_RECORDS=300000] [SEED=42] [WHARF_SHARED=DIR] bench/vulndb.sh
set -euo pipefail
cd "$(dirname "$0")/.."
SYNTH_RECORDS=${SYNTH_RECORDS:-300000}
SEED=${SEED:-42}
need() { command -v "$1" >/dev/null 2>&1 || { echo "bench/vulndb.sh needs $1 ($2)" >&2; exit 1; }; }
need python3 "apt-get install python3"
need /usr/bin/time "apt-get install time"

SHARED=${WHARF_SHARED:-$(realpath -m "$PWD/../shared")}
ADV=$SHARED/testdata/advisories
for d in "$ADV/pypa-advisory-database/vulns" "$ADV/golang-vulndb/data/osv" \
         "$ADV/rustsec-advisory-db" "$ADV/cisa-kev/known_exploited_vulnerabilities.json" \
         "$ADV/alpine-secdb"; do
  [ -e "$d" ] || { echo "bench/vulndb.sh: $d not found (expects the shared test data at $SHARED; set WHARF_SHARED)" >&2; exit 1; }
done

cargo build --release --locked -q -p wharf
WHARF=$PWD/target/release/wharf
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

sources=(
  --source "osv:$ADV/pypa-advisory-database/vulns"
  --source "osv:$ADV/golang-vulndb/data/osv"
  --source "rustsec:$ADV/rustsec-advisory-db"
  --source "kev:$ADV/cisa-kev/known_exploited_vulnerabilities.json"
)
while IFS= read -r f; do sources+=(--source "alpine:$f"); done \
  < <(find "$ADV/alpine-secdb" -type f \( -name '*.yaml' -o -name '*.yml' \) | sort -V)

results="bench/results/vulndb-$(date -u +%Y%m%dT%H%M%SZ).md"
{
  echo "# wharf db update benchmark — $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, $(uname -sr)."
  echo "wharf: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo ' + uncommitted changes'), release build."
  echo "Shared test data: $SHARED"
  echo
  echo "| set | run | records imported | sources imported/unchanged | wall s | CPU s (user+sys) | records/s | peak RSS MiB | DB MiB |"
  echo "|---|---|---|---|---|---|---|---|---|"
} >"$results"

# run SET RUN DBDIR ARGS...: one timed `wharf db update`, a table row.
run() {
  local set=$1 runno=$2 db=$3; shift 3
  local cmd=("$WHARF" db update --db-dir "$db" --format json "$@")
  if ! /usr/bin/time -f '%e %M %U %S' -o "$work/time" "${cmd[@]}" >"$work/out.json" 2>"$work/log-$set-$runno"; then
    echo "bench/vulndb.sh: $set run $runno failed: ${cmd[*]}" >&2
    tail -20 "$work/log-$set-$runno" >&2
    exit 1
  fi
  read -r wall rss_kb cpu_user cpu_sys <"$work/time"
  read -r records imported unchanged < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(sum(s["records"] for s in r["imported"]), len(r["imported"]), len(r["unchanged"]))' "$work/out.json")
  local cpu rps size
  cpu=$(python3 -c "print(round($cpu_user + $cpu_sys, 2))")
  rps=$(python3 -c "print(round($records / max($wall, 0.001)) if $records else '-')")
  size=$(python3 -c "import os; print(round(os.path.getsize('$db/vulndb.sqlite') / 1048576, 1))")
  echo "| $set | $runno | $records | $imported/$unchanged | $wall | $cpu | $rps | $((rss_kb / 1024)) | $size |" >>"$results"
  echo "$set run $runno: $records records ($imported imported, $unchanged unchanged sources), ${wall}s wall, ${cpu}s CPU, $rps records/s, $((rss_kb / 1024)) MiB RSS, DB $size MiB"
  LAST_CMD="/usr/bin/time -f '%e %M %U %S' ${cmd[*]}"
}

# (a) the shared advisory sets
run shared 1 "$work/db-shared" "${sources[@]}"
cmd_shared=$LAST_CMD
run shared 2 "$work/db-shared" "${sources[@]}"

# (b) the synthetic all.zip
echo "generating $SYNTH_RECORDS synthetic OSV records"
gen_started=$(date +%s.%N)
python3 bench/gen_osv_zip.py "$work/all.zip" "$SYNTH_RECORDS" "$SEED"
gen_s=$(python3 -c "print(round($(date +%s.%N) - $gen_started, 1))")
zip_mib=$(python3 -c "import os; print(round(os.path.getsize('$work/all.zip') / 1048576, 1))")
run synthetic 1 "$work/db-synth" --source "osv:$work/all.zip"
cmd_synth=$LAST_CMD
run synthetic 2 "$work/db-synth" --source "osv:$work/all.zip"

{
  echo
  echo "Records = advisories (OSV, RustSec, Alpine) plus KEV entries imported; records/s = records / wall."
  echo "Run 2 repeats run 1's command unchanged: every source's fingerprint matches, nothing is re-imported."
  echo "Synthetic feed: $SYNTH_RECORDS records, seed $SEED, all.zip $zip_mib MiB (generated in ${gen_s}s, not timed)."
  echo
  echo "## Phase timings (wharf log, run 1)"
  echo
  echo '```'
  grep -h "phase" "$work/log-shared-1" "$work/log-synthetic-1" | sed 's/\x1b\[[0-9;]*m//g' || true
  echo '```'
  echo
  echo "## Commands"
  echo
  echo '```sh'
  echo "cargo build --release --locked -p wharf"
  echo "$cmd_shared"
  echo "python3 bench/gen_osv_zip.py ALL.zip $SYNTH_RECORDS $SEED"
  echo "$cmd_synth"
  echo '```'
  echo
  echo "Each command ran twice against the same --db-dir (empty before run 1)."
} >>"$results"
cat "$results"
echo "results: $results"
