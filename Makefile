# Hardened static-site buildpack. `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
GOOS ?= $(shell $(GO) env GOOS)
GOARCH ?= $(shell $(GO) env GOARCH)
VERSION := $(shell sed -n 's/^ *version = "\(.*\)"/\1/p' buildpack.toml | head -1)
LDFLAGS := -s -w -X github.com/hardstatic/buildpack/internal/version.Version=$(VERSION)
GOBUILD := CGO_ENABLED=0 GOOS=$(GOOS) GOARCH=$(GOARCH) $(GO) build -trimpath -ldflags '$(LDFLAGS)'
# Caddy's storage drivers the server never uses (it writes nothing): leaving
# them out saves ~6 MB of idle RSS and ~7 MB of binary (see BENCHMARKS.md).
SERVER_TAGS := nobadger,nomysql,nopgx,nobbolt
TOOLS := $(CURDIR)/.tools
GOLANGCI_LINT_VERSION := v2.15.0
PACK_VERSION := v0.40.9
PACKAGE_ARCHES := amd64 arm64
BUILDPACK_ID := $(shell sed -n 's/^ *id = "\(.*\)"/\1/p' buildpack.toml | head -1)
DIST := $(CURDIR)/dist
LICENSES := bin/static-server.licenses.json
PORT ?= 8080
EXAMPLE ?= examples/plain-html
FUZZTIME ?= 20s
OBSERVATORY := $(TOOLS)/observatory

.PHONY: help build run test test-unit test-integration test-corpus corpus lint fuzz tools observatory clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## make the repository root a complete buildpack for this machine's architecture
	$(GOBUILD) -o bin/main ./internal/cmd/buildpack
	$(GOBUILD) -tags '$(SERVER_TAGS)' -o bin/static-server ./server
	@ln -sf main bin/detect && ln -sf main bin/build

run: build ## build $(EXAMPLE) through the real lifecycle and serve it on http://localhost:$(PORT)
	@$(GO) build -o $(TOOLS)/run-example ./integration/cmd/run-example
	$(TOOLS)/run-example -app $(EXAMPLE) -port $(PORT)

test: build test-unit test-integration ## unit and integration tests

test-unit: taplo ## unit tests (config, Caddy translation, handler)
	$(GO) test -count=1 ./internal/... ./server/...

test-integration: build observatory package lifecycle-package ## end-to-end tests through the real CNB lifecycle
	$(GO) test -count=1 -timeout 30m ./integration/...

corpus: ## copy the real sites of the corpus from their Debian and npm packages into ~/.cache/hardstatic/corpus
	@bash integration/corpus/build.sh

test-corpus: build corpus ## only the real-site corpus in Chromium; CORPUS_SITES=a,b selects sites (bash integration/corpus/build.sh --list)
	$(GO) test -count=1 -timeout 30m -run '^TestCorpus$$' -v ./integration/

.PHONY: bench
bench: build ## compare the web process with nginx, stock Caddy and the Go floor via the real lifecycle (root, nginx, wrk); report on stdout; BENCH_ARGS="-duration 2s" for a quick run
	$(GO) run ./bench $(BENCH_ARGS)

# Targets are found in the test files' source rather than with `go test -list`,
# which would compile every test package once more without fuzzing
# instrumentation (minutes on a busy CI machine). A target that ends in the
# engine's "context deadline exceeded" without a failing input (its
# coordinator timing out on a loaded machine, no finding) is run once more.
fuzz: ## run each fuzz target for $(FUZZTIME)
	@set -eo pipefail; $(GO) list -f '{{.ImportPath}} {{.Dir}}' ./internal/... ./server/... | \
	while read -r pkg dir; do \
	  for f in $$(cat $$dir/*_test.go 2>/dev/null | sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*\*testing\.F).*/\1/p'); do \
	    echo "fuzz $$pkg $$f"; out=$$(mktemp); \
	    if ! $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg 2>&1 | tee $$out; then \
	      if grep -q 'context deadline exceeded' $$out && ! grep -q 'Failing input written' $$out; then \
	        echo "fuzz $$f: the fuzzing engine timed out with no failing input (a Go toolchain flake under load); once more"; \
	        $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || { rm -f $$out; exit 1; }; \
	      else rm -f $$out; exit 1; fi; \
	    fi; rm -f $$out; \
	  done; done

tools: $(TOOLS)/golangci-lint ## build the lint tool from the Go module proxy

# The .version file changes only when GOLANGCI_LINT_VERSION does, so a version
# bump rebuilds the tool. `go get` is quiet unless it fails; the binary is moved
# into place only once it is complete.
$(TOOLS)/golangci-lint.version: FORCE
	@mkdir -p $(TOOLS) && { echo '$(GOLANGCI_LINT_VERSION)' | cmp -s - $@ || echo '$(GOLANGCI_LINT_VERSION)' > $@; }

$(TOOLS)/golangci-lint: $(TOOLS)/golangci-lint.version
	@echo "building golangci-lint $(GOLANGCI_LINT_VERSION) into $@"
	@mkdir -p $(TOOLS)/src && cd $(TOOLS)/src && \
	  { [ -f go.mod ] || $(GO) mod init tools >/dev/null 2>&1; } && \
	  { $(GO) get github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION) >get.log 2>&1 || { cat get.log; exit 1; }; } && \
	  $(GO) build -o $@.tmp github.com/golangci/golangci-lint/v2/cmd/golangci-lint && mv -f $@.tmp $@

# pack, like golangci-lint: a scratch module under .tools/, rebuilt when
# PACK_VERSION changes. pack's own go.mod pins BurntSushi/toml with a replace,
# which a dependent module must repeat.
$(TOOLS)/pack.version: FORCE
	@mkdir -p $(TOOLS) && { echo '$(PACK_VERSION)' | cmp -s - $@ || echo '$(PACK_VERSION)' > $@; }

$(TOOLS)/pack: $(TOOLS)/pack.version
	@echo "building pack $(PACK_VERSION) into $@"
	@mkdir -p $(TOOLS)/pack-src && cd $(TOOLS)/pack-src && \
	  { [ -f go.mod ] || $(GO) mod init packtool >/dev/null 2>&1; } && \
	  $(GO) mod edit -replace github.com/BurntSushi/toml=github.com/BurntSushi/toml@v1.3.2 && \
	  { $(GO) get github.com/buildpacks/pack@$(PACK_VERSION) >get.log 2>&1 || { cat get.log; exit 1; }; } && \
	  CGO_ENABLED=0 $(GO) build -trimpath -ldflags "-s -w -X github.com/buildpacks/pack/pkg/client.Version=$(PACK_VERSION:v%=%)" \
	    -o $@.tmp github.com/buildpacks/pack && mv -f $@.tmp $@

pack-tool: $(TOOLS)/pack ## build pack $(PACK_VERSION) from the Go module proxy into .tools/

# The CNB lifecycle from source, packaged by the lifecycle's own packager
# (tools/packager: lifecycle.toml with the supported APIs, the phase symlinks)
# into the tgz that builder.toml's [lifecycle] uri takes (examples/builder).
LIFECYCLE_VERSION := 0.21.14
LIFECYCLE_ARCH := $(if $(filter amd64,$(GOARCH)),x86-64,$(GOARCH))
LIFECYCLE_TGZ := $(DIST)/lifecycle-v$(LIFECYCLE_VERSION)+linux.$(LIFECYCLE_ARCH).tgz
LIFECYCLE_SRC := $(TOOLS)/lifecycle-src
LIFECYCLE_MOD := github.com/buildpacks/lifecycle
.PHONY: lifecycle-package
lifecycle-package: $(LIFECYCLE_TGZ) ## dist/lifecycle-v$(LIFECYCLE_VERSION)+linux.<arch>.tgz, built from the Go module proxy, for `pack builder create`

$(LIFECYCLE_TGZ):
	@echo "building lifecycle $(LIFECYCLE_VERSION) for linux/$(GOARCH) into $@"
	@set -e; rm -rf $(LIFECYCLE_SRC) && mkdir -p $(LIFECYCLE_SRC)/out/lifecycle $(DIST) && cd $(LIFECYCLE_SRC) && \
	  printf 'module hardstatic.local/lifecycle-package\n\ngo 1.24\n\nrequire $(LIFECYCLE_MOD) v$(LIFECYCLE_VERSION)\n' > go.mod && \
	  printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "$(LIFECYCLE_MOD)/cmd/launcher"\n\t_ "$(LIFECYCLE_MOD)/cmd/lifecycle"\n\t_ "$(LIFECYCLE_MOD)/tools/packager"\n)\n' > tools.go && \
	  { GOWORK=off GOFLAGS=-mod=mod $(GO) mod tidy >tidy.log 2>&1 || { cat tidy.log; exit 1; }; } && \
	  for cmd in lifecycle launcher; do \
	    CGO_ENABLED=0 GOOS=linux GOARCH=$(GOARCH) GOWORK=off GOFLAGS=-mod=mod $(GO) build -trimpath \
	      -ldflags '-s -w -X $(LIFECYCLE_MOD)/cmd.Version=$(LIFECYCLE_VERSION)' -o out/lifecycle/$$cmd $(LIFECYCLE_MOD)/cmd/$$cmd; \
	  done && \
	  for phase in detector analyzer restorer builder exporter rebaser creator extender; do ln -sf lifecycle out/lifecycle/$$phase; done && \
	  GOWORK=off GOFLAGS=-mod=mod $(GO) build -o packager $(LIFECYCLE_MOD)/tools/packager && \
	  ./packager -inputDir $(LIFECYCLE_SRC)/out/lifecycle -archivePath $@.tmp \
	    -descriptorPath "$$(GOWORK=off $(GO) list -m -f '{{.Dir}}' $(LIFECYCLE_MOD))/lifecycle.toml" -version $(LIFECYCLE_VERSION) && \
	  mv -f $@.tmp $@ && rm -f $@.tmp.sha256 && ls -l $@

FORCE:

# taplo validates static.toml files against schema/static.schema.json (see
# internal/config/taplo_test.go). It is installed from npm only when the
# installed version differs from TAPLO_VERSION.
TAPLO_VERSION := 0.7.0
.PHONY: taplo
taplo: ## install the taplo CLI (static.toml schema checks) from npm into .tools/
	@if [ "$$(node -p 'require("$(TOOLS)/node_modules/@taplo/cli/package.json").version' 2>/dev/null)" != '$(TAPLO_VERSION)' ] || \
	    [ ! -x $(TOOLS)/node_modules/.bin/taplo ]; then \
	  echo "installing @taplo/cli@$(TAPLO_VERSION) into $(TOOLS)"; \
	  mkdir -p $(TOOLS) && \
	  { npm install --prefix $(TOOLS) --no-audit --no-fund --save-exact @taplo/cli@$(TAPLO_VERSION) >$(TOOLS)/taplo-install.log 2>&1 || \
	    { cat $(TOOLS)/taplo-install.log; exit 1; }; }; \
	fi

# The MDN HTTP Observatory scanner, run offline by integration/observatory_test.go,
# pinned with its dependencies in integration/observatory/package-lock.json.
# Its postinstall script downloads the HSTS preload list, so scripts are off and
# an empty list is written instead. A change to the lock file reinstalls.
observatory: $(OBSERVATORY)/.installed ## install the pinned MDN HTTP Observatory into .tools/observatory
	@:

$(OBSERVATORY)/.installed: integration/observatory/package.json integration/observatory/package-lock.json
	@echo "installing the MDN HTTP Observatory (integration/observatory/package-lock.json) into $(OBSERVATORY)"
	@rm -f $@ $(OBSERVATORY)/.installed-* && mkdir -p $(OBSERVATORY) && cp $^ $(OBSERVATORY)/ && cd $(OBSERVATORY) && \
	  { npm ci --ignore-scripts --no-audit --no-fund >npm.log 2>&1 || { cat npm.log; exit 1; }; } && \
	  echo '{}' > node_modules/@mdn/mdn-http-observatory/conf/hsts-preload.json && \
	  touch $@

lint: tools ## gofmt, go vet and golangci-lint (all three run; fails if any fails)
	@rc=0; \
	  out=$$(git ls-files -z --cached --others --exclude-standard '*.go' | xargs -0 -r gofmt -l); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; rc=1; fi; \
	  echo "$(GO) vet ./..."; $(GO) vet ./... || rc=1; \
	  echo "golangci-lint run ./..."; $(TOOLS)/golangci-lint run ./... || rc=1; \
	  exit $$rc

.PHONY: package pack-tool _package-bins

# One .cnb per architecture: stage buildpack.toml and cross-compiled binaries
# under dist/<arch>/ (bin/detect and bin/build stay symlinks to main), then let
# pack write an OCI image layout archive. No container engine is needed.
package: $(TOOLS)/pack ## dist/<id>-<version>-<arch>.cnb for each of $(PACKAGE_ARCHES), with pack $(PACK_VERSION)
	@set -e; name=$$(echo '$(BUILDPACK_ID)' | tr / -); \
	for arch in $(PACKAGE_ARCHES); do \
	  stage=$(DIST)/$$arch; rm -rf $$stage; mkdir -p $$stage/bin; \
	  cp buildpack.toml $$stage/; \
	  $(MAKE) --no-print-directory _package-bins GOARCH=$$arch STAGE=$$stage; \
	  ln -sf main $$stage/bin/detect; ln -sf main $$stage/bin/build; \
	  printf '[buildpack]\nuri = "%s"\n\n[platform]\nos = "linux"\n' "$$stage" > $(DIST)/package-$$arch.toml; \
	  out=$(DIST)/$$name-$(VERSION)-$$arch.cnb; rm -f $$out; \
	  echo "pack buildpack package $$out (linux/$$arch)"; \
	  $(TOOLS)/pack buildpack package $$out --config $(DIST)/package-$$arch.toml --format file \
	    --target linux/$$arch --no-color --quiet; \
	done; ls -l $(DIST)/*.cnb

_package-bins: $(LICENSES)
	$(GOBUILD) -o $(STAGE)/bin/main ./internal/cmd/buildpack
	$(GOBUILD) -tags '$(SERVER_TAGS)' -o $(STAGE)/bin/static-server ./server
	cp $(LICENSES) $(STAGE)/bin/

# The licence table behind the server's SBOM (internal/sbom), from the licence
# files of the modules ./server links, read from the module cache.
build: $(LICENSES)
$(LICENSES): go.mod go.sum $(wildcard internal/sbom/*.go internal/cmd/licenses/*.go)
	$(GO) run ./internal/cmd/licenses -o $@ ./server

clean: ## remove build products
	rm -rf bin/main bin/static-server dist
