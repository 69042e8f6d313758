#!/usr/bin/env bash
# Makes the lifecycle image pack asks for when it runs the lifecycle's phases
# in separate containers (an untrusted builder, or `pack build --buildpack`
# adding buildpacks to a builder): buildpacksio/lifecycle:<version>, here
# from the lifecycle package `make lifecycle-package` builds from source, on
# top of the run image from base-images.sh. Nothing is pulled.
#
#   examples/builder/lifecycle-image.sh dist/lifecycle-v0.21.14+linux.x86-64.tgz
#
# Environment: ENGINE (podman or docker; default podman), BASE_IMAGE (default
# hardstatic/run:bookworm), INPUTS (recorded as the io.hardstatic.inputs label).
set -euo pipefail

ENGINE=${ENGINE:-podman}
BASE_IMAGE=${BASE_IMAGE:-hardstatic/run:bookworm}
INPUTS=${INPUTS:-unset}
tgz=${1:?usage: lifecycle-image.sh LIFECYCLE.tgz}

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
tar -xzf "$tgz" -C "$ctx"
version=$(sed -n 's/^ *version = "\(.*\)"/\1/p' "$ctx/lifecycle.toml" | head -1)
[ -n "$version" ] || { echo "lifecycle-image.sh: no [lifecycle] version in $tgz's lifecycle.toml" >&2; exit 1; }
# The Platform and Buildpack APIs the lifecycle supports, as the
# io.buildpacks.lifecycle.apis label of the official image has them.
apis() { # apis buildpack|platform -> {"deprecated":[...],"supported":[...]}
  awk -v sect="[apis.$1]" '
    $0 == sect { on = 1; next }
    /^\[/ { on = 0 }
    on && $1 == "deprecated" { sub(/^[^=]*= */, ""); dep = $0 }
    on && $1 == "supported" { sub(/^[^=]*= */, ""); sup = $0 }
    END { gsub(/ /, "", dep); gsub(/ /, "", sup); printf "{\"deprecated\":%s,\"supported\":%s}", dep, sup }
  ' "$ctx/lifecycle.toml"
}
apis_label="{\"buildpack\":$(apis buildpack),\"platform\":$(apis platform)}"

cat >"$ctx/Containerfile" <<CONTAINERFILE
FROM $BASE_IMAGE
USER root
COPY lifecycle /cnb/lifecycle
WORKDIR /layers
LABEL io.buildpacks.lifecycle.version="$version" \\
      io.buildpacks.lifecycle.apis='$apis_label' \\
      org.opencontainers.image.description="CNB lifecycle $version, built from source (hardstatic examples/builder)" \
      io.hardstatic.inputs="$INPUTS"
CONTAINERFILE
$ENGINE build --quiet --tag "docker.io/buildpacksio/lifecycle:$version" --file "$ctx/Containerfile" "$ctx" >/dev/null
echo "lifecycle-image.sh: docker.io/buildpacksio/lifecycle:$version from $tgz on $BASE_IMAGE"
