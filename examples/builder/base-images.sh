#!/usr/bin/env bash
# Makes the builder's two base images from Debian packages, with no registry:
# mmdebstrap writes a minimal Debian root file system as a tar, and the
# container engine imports it with the user, environment and labels the
# Cloud Native Buildpacks platform spec asks of a build and a run image.
#
#   examples/builder/base-images.sh            # imports into podman
#   ENGINE=docker examples/builder/base-images.sh
#
# Environment:
#   ENGINE      the engine CLI (default podman; docker works the same)
#   OUT         where the root file system tars are written (default: a temp
#               dir); tars already there are imported as they are
#   SUITE       Debian suite (default bookworm)
#   MIRROR      Debian mirror (default http://deb.debian.org/debian)
#   BUILD_IMAGE, RUN_IMAGE   names (default hardstatic/build:bookworm and
#               hardstatic/run:bookworm, as in builder.toml)
#   INPUTS      a label value recorded on both images (io.hardstatic.inputs);
#               the tests use it to know when the images are out of date
#
# The stack id label is for platforms that still match stacks by id (kpack's
# ClusterStack, examples/kubernetes/kpack.yaml); pack and the lifecycle use
# the distribution labels.
#
# The build image holds what the builder's buildpacks run: sh and coreutils
# (Debian's Essential set), ca-certificates and Node.js for the node-build
# buildpack. The run image holds only the Essential set and ca-certificates:
# the web process is a static binary. Both have the CNB user 1000:1000.
set -euo pipefail

ENGINE=${ENGINE:-podman}
SUITE=${SUITE:-bookworm}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}
BUILD_IMAGE=${BUILD_IMAGE:-hardstatic/build:$SUITE}
RUN_IMAGE=${RUN_IMAGE:-hardstatic/run:$SUITE}
INPUTS=${INPUTS:-unset}
OUT=${OUT:-}
if [ -z "$OUT" ]; then
  OUT=$(mktemp -d)
  trap 'rm -rf "$OUT"' EXIT
fi
mkdir -p "$OUT"

case "$(dpkg --print-architecture)" in
  amd64) arch=amd64 ;;
  arm64) arch=arm64 ;;
  *) echo "base-images.sh: unsupported architecture $(dpkg --print-architecture)" >&2; exit 1 ;;
esac

# Documentation, manual pages and translations are left out of both images.
slim=(
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
)
# The CNB user and group, and a home it owns; apt's lists are not kept.
cnb_user=(
  --customize-hook='echo "cnb:x:1000:1000:Cloud Native Buildpacks user:/home/cnb:/bin/sh" >> "$1/etc/passwd"'
  --customize-hook='echo "cnb:x:1000:" >> "$1/etc/group"'
  --customize-hook='mkdir -p "$1/home/cnb" && chown 1000:1000 "$1/home/cnb"'
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*'
)
# Both images come from one set of downloaded packages (.debs shared in $OUT/debs).
mkdir -p "$OUT/debs"
deb_cache=(
  --skip=download/empty --skip=essential/unlink
  --setup-hook='mkdir -p "$1/var/cache/apt/archives"'
  --setup-hook="sync-in $OUT/debs /var/cache/apt/archives"
  --customize-hook="sync-out /var/cache/apt/archives $OUT/debs"
  --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb'
)
# dpkg without fsync, where mmdebstrap's eatmydata hook can run (much faster).
hooks=()
if [ -d /usr/share/mmdebstrap/hooks/eatmydata ] && command -v eatmydata >/dev/null && command -v dpkg-architecture >/dev/null; then
  hooks=(--hook-dir=/usr/share/mmdebstrap/hooks/eatmydata)
fi
# Merged /usr the way Debian 12 has it (symlinks and usr-is-merged), without
# the usrmerge package and the Perl it needs.
hooks+=(--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr)
sources=(
  "deb $MIRROR $SUITE main"
  "deb $MIRROR $SUITE-updates main"
  "deb $SECURITY_MIRROR $SUITE-security main"
)

rootfs() { # rootfs NAME PACKAGES; a tar already in $OUT is reused
  if [ -s "$OUT/$1.tar" ]; then
    echo "base-images.sh: reusing $OUT/$1.tar"
    return
  fi
  echo "base-images.sh: mmdebstrap $SUITE ($2) -> $OUT/$1.tar"
  mmdebstrap --quiet --variant=essential --architectures="$arch" --include="$2" \
    "${hooks[@]}" "${deb_cache[@]}" "${slim[@]}" "${cnb_user[@]}" "$SUITE" "$OUT/$1.partial.tar" "${sources[@]}"
  mv -f "$OUT/$1.partial.tar" "$OUT/$1.tar"
}

rootfs run ca-certificates
rootfs build ca-certificates,nodejs
rm -rf "$OUT/debs" # the tars are what is kept

# The distribution version the images' labels name, from the image itself.
version=$(tar -xOf "$OUT/run.tar" ./usr/lib/os-release | sed -n 's/^VERSION_ID="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p')
[ -n "$version" ] || { echo "base-images.sh: no VERSION_ID in the run image's os-release" >&2; exit 1; }

common=(
  --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
  --change "ENV CNB_USER_ID=1000"
  --change "ENV CNB_GROUP_ID=1000"
  --change "USER 1000:1000"
  --change "WORKDIR /home/cnb"
  --change "LABEL io.buildpacks.stack.id=io.hardstatic.debian.$SUITE"
  --change "LABEL io.buildpacks.base.distro.name=debian"
  --change "LABEL io.buildpacks.base.distro.version=$version"
  --change "LABEL io.buildpacks.base.maintainer=hardstatic"
  --change "LABEL io.buildpacks.base.homepage=https://github.com/hardstatic/buildpack/tree/main/examples/builder"
  --change "LABEL io.hardstatic.inputs=$INPUTS"
)
$ENGINE import "${common[@]}" \
  --change "LABEL org.opencontainers.image.description=hardstatic build image: Debian $SUITE (Essential set, ca-certificates, nodejs)" \
  "$OUT/build.tar" "$BUILD_IMAGE"
$ENGINE import "${common[@]}" \
  --change "LABEL io.buildpacks.rebasable=true" \
  --change "LABEL org.opencontainers.image.description=hardstatic run image: Debian $SUITE (Essential set, ca-certificates)" \
  "$OUT/run.tar" "$RUN_IMAGE"
echo "base-images.sh: $BUILD_IMAGE and $RUN_IMAGE imported"
