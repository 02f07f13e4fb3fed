#!/usr/bin/env bash
# Builds the Uplink container image (Dockerfile at the repository root) without a Docker daemon
# and without a container registry, using Buildah:
#
#   sudo scripts/build-image.sh                 # -> localhost/uplink:latest
#   sudo IMAGE=uplink:1.2.3 scripts/build-image.sh
#   sudo scripts/build-image.sh --rebuild-base  # make the local base image again
#
# Where a registry is reachable you do not need this script at all:
#
#   docker build -t uplink .        # or: podman build -t uplink . / buildah bud -t uplink .
#
# The Dockerfile starts FROM docker.io/library/node:24-bookworm-slim. When that image is not in
# Buildah's local storage (and cannot be pulled), this script makes a local stand-in with the same
# name and layout: a Debian bookworm minbase root filesystem (debootstrap, from the machine's
# Debian mirror), Node 24 from the npm registry's `node` package in /usr/local/bin/node, and npm
# in /usr/local/lib/node_modules/npm (the build stage installs pnpm with it). It is labelled
# uplink.local-stand-in=true so it is not mistaken for the official image.
#
# Needs: root (debootstrap and buildah mount; rootless Buildah can build once the base exists,
# with `buildah unshare`), buildah, debootstrap (apt-get install buildah debootstrap), npm on
# PATH, and the npm registry (for Node, npm and the build stage's `pnpm install`).
# Downloads are cached in $UPLINK_TOOLS_DIR (default ~/.cache/uplink-tools), shared with
# scripts/toolchain.mjs. Buildah settings may be overridden the usual way (BUILDAH_ISOLATION,
# STORAGE_DRIVER=vfs where overlay does not work). Behind a TLS-inspecting proxy, BUILD_CA (or
# NODE_EXTRA_CA_CERTS) names a CA bundle handed to the build as the secret `build-ca`.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS=${UPLINK_TOOLS_DIR:-$HOME/.cache/uplink-tools}
IMAGE=${IMAGE:-localhost/uplink:latest}
NODE_MAJOR=24
NPM_MAJOR=11
export BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}

# The base image's name, exactly as the Dockerfile's FROM spells it (ARG NODE_IMAGE's default).
BASE_IMAGE=$(sed -n 's/^ARG NODE_IMAGE=//p' "$ROOT/Dockerfile" | head -n 1)
[[ -n $BASE_IMAGE ]] || { echo "build-image: no 'ARG NODE_IMAGE=' in Dockerfile" >&2; exit 1; }

say() { printf '[build-image] %s\n' "$*" >&2; }
need() {
  command -v "$1" >/dev/null 2>&1 || { say "$1 is missing: apt-get install -y ${2:-$1}"; exit 1; }
}

# The first Debian mirror in the apt sources (one-line or deb822 format), else deb.debian.org.
debian_mirror() {
  local mirror
  mirror=$(
    cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
      grep -v '^[[:space:]]*#' | grep -Eo 'https?://[^ ]+/debian/?( |$)' | head -n 1 | tr -d ' ' || true
  )
  echo "${mirror:-http://deb.debian.org/debian}"
}

# A Debian bookworm minbase root filesystem as a tarball, trimmed like debian:bookworm-slim.
debian_rootfs() {
  local tarball=$TOOLS/image/bookworm-minbase.tar
  if [[ ! -f $tarball ]]; then
    need debootstrap
    local mirror dir
    mirror=$(debian_mirror)
    dir=$(mktemp -d "$TOOLS/image/rootfs.XXXXXX")
    say "debootstrap --variant=minbase bookworm from $mirror"
    debootstrap --variant=minbase bookworm "$dir" "$mirror" >"$TOOLS/image/debootstrap.log" 2>&1 ||
      { say "debootstrap failed, see $TOOLS/image/debootstrap.log"; exit 1; }
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/cache/apt/*.bin "$dir"/var/lib/apt/lists/* \
      "$dir"/var/log/* "$dir"/usr/share/man/* "$dir"/usr/share/info/* "$dir"/usr/share/locale/*
    find "$dir"/usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete
    tar --numeric-owner -C "$dir" -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"
    rm -rf "$dir"
  fi
  echo "$tarball"
}

# Node from the npm registry's `node` package (the official Linux binary), where
# scripts/toolchain.mjs keeps it; and npm, for the build stage to install pnpm with.
node_binary() {
  local prefix=$TOOLS/node$NODE_MAJOR
  if [[ ! -x $prefix/node_modules/node/bin/node ]]; then
    say "npm install node@$NODE_MAJOR into $prefix"
    mkdir -p "$prefix"
    npm install --prefix "$prefix" --no-audit --no-fund "node@$NODE_MAJOR" >&2
  fi
  echo "$prefix/node_modules/node/bin/node"
}

npm_package() {
  local prefix=$TOOLS/image/npm$NPM_MAJOR
  if [[ ! -f $prefix/lib/node_modules/npm/package.json ]]; then
    say "npm install --global npm@$NPM_MAJOR into $prefix"
    mkdir -p "$prefix"
    npm install --global --prefix "$prefix" --no-audit --no-fund "npm@$NPM_MAJOR" >&2
  fi
  echo "$prefix/lib/node_modules/npm"
}

make_base_image() {
  need buildah
  need npm
  mkdir -p "$TOOLS/image"
  local rootfs node npm ctr mnt version
  rootfs=$(debian_rootfs)
  node=$(node_binary)
  npm=$(npm_package)
  version=$("$node" --version)
  say "making $BASE_IMAGE locally: Debian bookworm minbase + Node $version + npm $(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$npm/package.json")"
  ctr=$(buildah from scratch)
  # shellcheck disable=SC2064
  trap "buildah rm $ctr >/dev/null 2>&1 || true" EXIT
  mnt=$(buildah mount "$ctr")
  tar --numeric-owner -C "$mnt" -xf "$rootfs"
  install -m 0755 "$node" "$mnt/usr/local/bin/node"
  mkdir -p "$mnt/usr/local/lib/node_modules"
  cp -a "$npm" "$mnt/usr/local/lib/node_modules/npm"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$mnt/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$mnt/usr/local/bin/npx"
  # Like the official image: a `node` user (uid 1000), unused by Uplink's image.
  chroot "$mnt" sh -c 'groupadd --gid 1000 node && useradd --uid 1000 --gid node --shell /bin/bash --create-home node'
  chroot "$mnt" node --version >/dev/null
  buildah unmount "$ctr" >/dev/null
  buildah config \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="${version#v}" \
    --label uplink.local-stand-in=true \
    --label "uplink.local-stand-in.for=$BASE_IMAGE" \
    --cmd node "$ctr"
  buildah commit --quiet --rm "$ctr" "$BASE_IMAGE" >/dev/null
  trap - EXIT
  say "made $BASE_IMAGE"
}

main() {
  need buildah
  if [[ ${1:-} == --rebuild-base ]] && buildah inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
    buildah rmi "$BASE_IMAGE" >/dev/null || { say "cannot remove $BASE_IMAGE (in use?)"; exit 1; }
  fi
  if ! buildah inspect --type image "$BASE_IMAGE" >/dev/null 2>&1; then
    make_base_image
  else
    say "using $BASE_IMAGE from local storage"
  fi
  # Extra CA certificates for the build's HTTPS (a TLS-inspecting proxy), as a build secret: never
  # in a layer. BUILD_CA names the file; else NODE_EXTRA_CA_CERTS, which Node on this machine uses.
  local ca=${BUILD_CA:-${NODE_EXTRA_CA_CERTS:-}} secret=()
  if [[ -n $ca && -f $ca ]]; then
    secret=(--secret "id=build-ca,src=$ca")
    say "build secret build-ca: $ca"
  fi
  say "buildah bud -t $IMAGE (isolation $BUILDAH_ISOLATION)"
  buildah bud --pull=never --layers --format docker "${secret[@]}" -f "$ROOT/Dockerfile" -t "$IMAGE" "$ROOT"
  buildah images "$IMAGE"
}

main "$@"
