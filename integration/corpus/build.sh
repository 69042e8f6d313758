#!/usr/bin/env bash
# Builds the real-site corpus of integration/corpus_test.go: published sites
# that nobody here wrote, taken as their packages ship them, into
#
#   ${XDG_CACHE_HOME:-~/.cache}/hardstatic/corpus/sites/NAME/       the site root
#   ${XDG_CACHE_HOME:-~/.cache}/hardstatic/corpus/sites/NAME.key    what it was built from
#
#   bash integration/corpus/build.sh [NAME...]    # default: every site
#   bash integration/corpus/build.sh --list       # NAME, source and version per site
#
# Offline but for npm: the Debian packages must be installed (.ci/run does it:
# APT_PACKAGES), and the npm packages are installed once per package-lock.json
# with `npm ci --ignore-scripts` into the cache. A site is rebuilt only when its
# key changes: the versions of the packages it is made from (Debian: installed
# version; npm: package-lock.json) and this script.
#
# Debian's packages replace bundled libraries (jQuery, underscore, fonts) with
# symbolic links into /usr/share/javascript and /usr/share/fonts; a site is
# copied with the links followed (cp -L), so that its root holds every file it
# serves, as on a web host.
#
# The versions below are the ones the corpus was checked with (Debian 12,
# bookworm). A Debian security or point release may install a newer one; the
# script then says so and builds from what is installed (the key changes).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/hardstatic/corpus
sites_dir=$cache/sites
script_sum=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)
lock_sum=$(cat "$here/package.json" "$here/package-lock.json" | sha256sum | cut -c1-16)
npm_dir=$cache/npm-$lock_sum

# NAME | source | package (version checked) | what
SITES=(
  "python-docs|deb|python3.11-doc=3.11.2-6+deb12u9|Python 3.11 documentation (Sphinx 5, python-docs-theme)"
  "sphinx-docs|deb|sphinx-doc=5.3.0-4|Sphinx 5.3 documentation (Sphinx, sphinx13 theme)"
  "mathjax-docs|deb|libjs-mathjax-doc=2.7+20171212-2|MathJax 2.7 documentation (Sphinx, Read the Docs theme)"
  "mkdocs-material|deb|mkdocs-material=8.2.5-1|Material for MkDocs 8.2 with MkDocs 1.4 (mkdocs build of corpus/mkdocs-material/)"
  "doxygen-manual|deb|doxygen-doc=1.9.4-4|Doxygen 1.9.4 manual (Doxygen)"
  "javadoc-commons-lang3|deb|libcommons-lang3-java-doc=3.12.0-2+deb12u1|Apache Commons Lang 3.12 API (javadoc, OpenJDK 17)"
  "rustdoc-alloc|deb|rust-doc=1.63.0+dfsg1-2|Rust 1.63 standard library API, the alloc crate (rustdoc)"
  "swagger-ui|npm|swagger-ui-dist|Swagger UI, as swagger-ui-dist ships it, on a local OpenAPI document"
  "redoc|npm|redoc|Redoc standalone bundle, the page of its README, on a local OpenAPI document"
  "reveal-js|npm|reveal.js|reveal.js, the presentation its package ships (index.html)"
  "docsify|npm|docsify|docsify, the page of its quick start, rendering two Markdown pages"
  "mermaid|npm|mermaid|mermaid, the page of its usage docs, rendering diagrams in the browser"
  "katex|npm|katex|KaTeX auto-render, the page of its docs, rendering TeX in the browser"
)

field() { # field N LINE: the Nth (from 0) |-separated field of LINE
  local n=$1 IFS='|'
  # shellcheck disable=SC2086
  set -- $2
  shift "$n"
  printf '%s' "$1"
}

deb_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || true; }

npm_version() { node -p "require('$npm_dir/node_modules/$1/package.json').version"; }

# key LINE: what the site is built from (LINE: source|package|what).
key() {
  local line=$1 src pkg want have
  src=$(field 0 "$line")
  pkg=$(field 1 "$line")
  case $src in
  deb)
    want=${pkg#*=}
    pkg=${pkg%%=*}
    have=$(deb_version "$pkg")
    if [ -z "$have" ]; then
      echo "corpus: Debian package $pkg is not installed (apt-get install $pkg; .ci/run does it)" >&2
      return 1
    fi
    if [ "$have" != "$want" ]; then
      echo "corpus: note: $pkg $have is installed; the corpus was checked with $want" >&2
    fi
    echo "deb $pkg=$have script=$script_sum$(extra_key "$pkg")"
    ;;
  npm)
    echo "npm $pkg=$(npm_version "$pkg") lock=$lock_sum script=$script_sum"
    ;;
  esac
}

# extra_key PACKAGE: more that a site is made from.
extra_key() {
  case $1 in
  mkdocs-material)
    printf ' mkdocs=%s src=%s' "$(deb_version mkdocs)" \
      "$(cd "$here/mkdocs-material" && find . -type f | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16)"
    ;;
  esac
}

ensure_npm() {
  [ -f "$npm_dir/.installed" ] && return 0
  echo "corpus: npm ci --ignore-scripts (integration/corpus/package-lock.json) into $npm_dir" >&2
  rm -rf "$npm_dir" && mkdir -p "$npm_dir"
  cp "$here/package.json" "$here/package-lock.json" "$npm_dir/"
  if ! (cd "$npm_dir" && npm ci --ignore-scripts --no-audit --no-fund >npm.log 2>&1); then
    cat "$npm_dir/npm.log" >&2
    return 1
  fi
  touch "$npm_dir/.installed"
}

# copy SRC DEST: the tree with symbolic links followed.
copy() {
  mkdir -p "$2"
  cp -RL "$1/." "$2/"
}

# openapi DEST: the OpenAPI document Swagger UI and Redoc render, in place
# of the remote petstore.swagger.io document their samples load.
openapi() { cp "$here/openapi.json" "$1/openapi.json"; }

# make_NAME OUT: writes the site root OUT.
make_python-docs() { copy /usr/share/doc/python3.11/html "$1"; }
make_sphinx-docs() { copy /usr/share/doc/sphinx-doc/html "$1"; }
make_mathjax-docs() { copy /usr/share/doc/libjs-mathjax-doc/html "$1"; }
# Debian's mkdocs-doc is not used: its pages load highlight.js from
# file:///usr/share/javascript, which no browser allows from a web page.
# Instead, Debian's MkDocs and Material theme build a few pages of Markdown.
make_mkdocs-material() {
  local src
  src=$(mktemp -d)
  cp -R "$here/mkdocs-material/." "$src/"
  (cd "$src" && /usr/bin/mkdocs build --quiet --site-dir "$1")
  rm -rf "$src"
}
make_doxygen-manual() { copy /usr/share/doc/doxygen/html "$1"; }
make_javadoc-commons-lang3() { copy /usr/share/doc/libcommons-lang3-java/api "$1"; }

# The root of rust-doc's html/ (its index page, rustdoc's shared CSS, JS,
# fonts and search index) with the alloc crate (Vec, String, Box, Rc...): the
# whole of it is 580 MB (core 258 MB, std 103 MB,
# sources 76 MB), too much to compress on every CI run. The pages kept are as
# shipped; links from them into std/ and core/ lead to 404s.
make_rustdoc-alloc() {
  local src=/usr/share/doc/rust-doc/html f
  mkdir -p "$1"
  for f in "$src"/*; do
    [ -f "$f" ] && cp -L "$f" "$1/"
  done
  for f in alloc; do
    copy "$src/$f" "$1/$f"
  done
}

make_swagger-ui() {
  local d=$npm_dir/node_modules/swagger-ui-dist
  mkdir -p "$1"
  cp "$d"/*.html "$d"/*.css "$d"/*.js "$d"/*.png "$1/"
  # swagger-initializer.js is the file its README tells users to edit: point
  # it at the site's own document.
  sed -i 's#url: "https://petstore.swagger.io/v2/swagger.json"#url: "openapi.json"#' "$1/swagger-initializer.js"
  grep -q 'url: "openapi.json"' "$1/swagger-initializer.js"
  openapi "$1"
}

make_redoc() {
  mkdir -p "$1"
  cp "$npm_dir/node_modules/redoc/bundles/redoc.standalone.js" "$1/"
  cp "$here/pages/redoc.html" "$1/index.html"
  openapi "$1"
}

make_reveal-js() {
  local d=$npm_dir/node_modules/reveal.js
  mkdir -p "$1"
  cp "$d/index.html" "$1/"
  copy "$d/dist" "$1/dist"
}

make_docsify() {
  local d=$npm_dir/node_modules/docsify
  mkdir -p "$1"
  copy "$d/dist" "$1/dist"
  cp "$here/pages/docsify.html" "$1/index.html"
  cp "$here/pages/docsify-README.md" "$1/README.md"
  cp "$here/pages/docsify-guide.md" "$1/guide.md"
}

make_mermaid() {
  mkdir -p "$1"
  cp "$npm_dir/node_modules/mermaid/dist/mermaid.min.js" "$1/"
  cp "$here/pages/mermaid.html" "$1/index.html"
}

make_katex() {
  local d=$npm_dir/node_modules/katex/dist
  mkdir -p "$1/katex/contrib"
  cp "$d/katex.min.css" "$d/katex.min.js" "$1/katex/"
  cp "$d/contrib/auto-render.min.js" "$1/katex/contrib/"
  copy "$d/fonts" "$1/katex/fonts"
  cp "$here/pages/katex.html" "$1/index.html"
}

lookup() {
  local l
  for l in "${SITES[@]}"; do
    if [ "${l%%|*}" = "$1" ]; then
      printf '%s' "${l#*|}"
      return 0
    fi
  done
  echo "corpus: no site named $1 (--list shows them)" >&2
  return 1
}

if [ "${1:-}" = "--list" ]; then
  for l in "${SITES[@]}"; do
    IFS='|' read -r n s p w <<<"$l"
    printf '%-22s %-4s %-42s %s\n' "$n" "$s" "$p" "$w"
  done
  exit 0
fi

names=("$@")
if [ "${#names[@]}" -eq 0 ]; then
  for l in "${SITES[@]}"; do names+=("${l%%|*}"); done
fi

mkdir -p "$sites_dir"
for n in "${names[@]}"; do
  line=$(lookup "$n")
  if [ "$(field 0 "$line")" = npm ]; then ensure_npm; fi
  k=$(key "$line")
  if [ -d "$sites_dir/$n" ] && [ "$(cat "$sites_dir/$n.key" 2>/dev/null)" = "$k" ]; then
    echo "corpus: $n is up to date ($k)"
    continue
  fi
  echo "corpus: building $n ($k)"
  rm -rf "$sites_dir/$n.tmp" "$sites_dir/$n" "$sites_dir/$n.key"
  "make_$n" "$sites_dir/$n.tmp"
  mv "$sites_dir/$n.tmp" "$sites_dir/$n"
  echo "$k" >"$sites_dir/$n.key"
done
