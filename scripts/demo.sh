#!/usr/bin/env bash
# One command to see wharf work on this machine: builds wharf, starts a real
# Distribution registry on 127.0.0.1 (Debian's docker-registry), pushes a
# small set of sample images (single- and multi-platform, Docker and OCI, an
# attestation-carrying index, a Helm chart artifact), discovers it, and lists
# the packages of one image.
#
# Usage: scripts/demo.sh [extra `wharf discover` flags, e.g. --format json]
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v docker-registry >/dev/null && ! command -v registry >/dev/null; then
  echo "installing the Distribution registry (Debian package docker-registry)…" >&2
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq docker-registry >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq docker-registry >/dev/null; fi
fi
cargo build --locked -q -p wharf -p wharf-testkit
work=$(mktemp -d)
target/debug/wharf-testkit registry >"$work/url" 2>"$work/log" &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(head -1 "$work/url")
target/debug/wharf-testkit sample --registry "$url" >&2
target/debug/wharf discover "$url" "$@"
target/debug/wharf sbom "${url#http://}/team/multi:1.0" --platform linux/arm64 --no-cache
