#!/usr/bin/env bash
# Whole-process benchmark of `wharf discover` against a loopback Distribution
# registry holding REPOS repositories x TAGS tags (3 distinct images per
# repository, so tags share digests as in real registries).
#
# Compares the default concurrency against a sequential baseline
# (--concurrency 1) on the same machine in the same run, and reports wall
# time, requests/s and peak RSS. Results (raw numbers and the exact commands)
# go to bench/results/discover-<timestamp>.md.
#
# LATENCY_MS=N puts a proxy in front of the registry that delays every
# request by N ms, as a remote registry's round trip would (loopback has no
# netem here); without it, wharf and the registry share this machine's cores
# and the registry's CPU caps the speed-up.
#
# Usage: [LATENCY_MS=20] [CONCURRENCIES="1 16"] bench/discover.sh [REPOS] [TAGS] [RUNS]
#        (defaults: 1000 5 3, no latency, concurrencies "1 4 16 32")
set -euo pipefail
cd "$(dirname "$0")/.."
REPOS=${1:-1000}
TAGS=${2:-5}
RUNS=${3:-3}
CONCURRENCIES=${CONCURRENCIES:-"1 4 16 32"}

cargo build --release --locked -q -p wharf -p wharf-testkit
WHARF=target/release/wharf
TESTKIT=target/release/wharf-testkit
work=$(mktemp -d)
LATENCY_MS=${LATENCY_MS:-0}
proxy_pid=
trap 'kill $registry_pid $proxy_pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

"$TESTKIT" registry >"$work/url" 2>"$work/registry.log" &
registry_pid=$!
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(head -1 "$work/url")
[ -n "$url" ] || { echo "registry did not start" >&2; cat "$work/registry.log" >&2; exit 1; }
echo "registry at $url; populating $REPOS x $TAGS"
"$TESTKIT" populate --registry "$url" --repos "$REPOS" --tags "$TAGS" --distinct-digests-per-repo 3 --concurrency 16
if [ "$LATENCY_MS" -gt 0 ]; then
  "$TESTKIT" proxy --upstream "${url#http://}" --delay-ms "$LATENCY_MS" >"$work/proxy" &
  proxy_pid=$!
  for _ in $(seq 100); do [ -s "$work/proxy" ] && break; sleep 0.1; done
  url=$(head -1 "$work/proxy")
  echo "discovering through a ${LATENCY_MS} ms latency proxy at $url"
fi

results="bench/results/discover-$(date -u +%Y%m%dT%H%M%SZ)-latency${LATENCY_MS}ms.md"
{
  echo "# wharf discover benchmark — $(date -u +%FT%TZ)"
  echo
  echo "Machine: $(nproc) cores, $(uname -sr); registry: $(docker-registry --version 2>/dev/null || echo distribution) on 127.0.0.1."
  echo "Registry content: $REPOS repositories x $TAGS tags, 3 distinct image digests per repository."
  echo "Added latency per request: ${LATENCY_MS} ms."
  echo
  echo "| mode | concurrency | run | wall s | wharf CPU s | requests | requests/s | peak RSS MiB |"
  echo "|---|---|---|---|---|---|---|---|"
} >"$results"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A MEDIAN
for mode in full tags-only; do
  extra=()
  [ "$mode" = tags-only ] && extra=(--no-platforms)
  for c in $CONCURRENCIES; do
    walls=()
    for run in $(seq "$RUNS"); do
      cmd=("$WHARF" discover "$url" --format json --quiet --concurrency "$c" "${extra[@]}" --output "$work/out.json")
      /usr/bin/time -f '%e %M %U %S' -o "$work/time" "${cmd[@]}"
      read -r wall rss_kb cpu_user cpu_sys <"$work/time"
      cpu=$(python3 -c "print(round($cpu_user + $cpu_sys, 2))")
      reqs=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["requests"]["requests"])' "$work/out.json")
      tags=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["summary"]["tags"])' "$work/out.json")
      [ "$tags" -eq $((REPOS * TAGS)) ] || { echo "expected $((REPOS * TAGS)) tags, got $tags" >&2; exit 1; }
      rps=$(python3 -c "print(round($reqs / max($wall, 0.001)))")
      echo "| $mode | $c | $run | $wall | $cpu | $reqs | $rps | $((rss_kb / 1024)) |" >>"$results"
      echo "$mode concurrency=$c run=$run: ${wall}s wall, ${cpu}s CPU, $reqs requests, $rps req/s, $((rss_kb / 1024)) MiB"
      walls+=("$wall")
    done
    MEDIAN["$mode/$c"]=$(printf '%s\n' "${walls[@]}" | median)
  done
done

{
  echo
  echo "## Medians and speed-up against the sequential baseline (--concurrency 1)"
  echo
  echo "| mode | concurrency | median wall s | speed-up |"
  echo "|---|---|---|---|"
  for mode in full tags-only; do
    base=${MEDIAN["$mode/1"]:-}
    for c in $CONCURRENCIES; do
      m=${MEDIAN["$mode/$c"]}
      ratio=$( [ -n "$base" ] && python3 -c "print(f'{$base / max($m, 0.001):.2f}x')" || echo n/a)
      echo "| $mode | $c | $m | $ratio |"
    done
  done
  echo
  echo "Command: \`$WHARF discover $url --format json --quiet --concurrency N [--no-platforms]\`"
  echo "Registry: \`$TESTKIT registry\`; content: \`$TESTKIT populate --repos $REPOS --tags $TAGS --distinct-digests-per-repo 3\`"
} >>"$results"
tail -16 "$results"
echo "results: $results"
