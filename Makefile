# Hardened static-site buildpack. `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
GOOS ?= $(shell $(GO) env GOOS)
GOARCH ?= $(shell $(GO) env GOARCH)
VERSION := $(shell sed -n 's/^ *version = "\(.*\)"/\1/p' buildpack.toml | head -1)
LDFLAGS := -s -w -X github.com/hardstatic/buildpack/internal/version.Version=$(VERSION)
GOBUILD := CGO_ENABLED=0 GOOS=$(GOOS) GOARCH=$(GOARCH) $(GO) build -trimpath -ldflags '$(LDFLAGS)'
TOOLS := $(CURDIR)/.tools
GOLANGCI_LINT_VERSION := v2.15.0
PORT ?= 8080
EXAMPLE ?= examples/plain-html
FUZZTIME ?= 20s

.PHONY: help build run test test-unit test-integration lint fuzz tools clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

build: ## make the repository root a complete buildpack for this machine's architecture
	$(GOBUILD) -o bin/main ./internal/cmd/buildpack
	$(GOBUILD) -o bin/static-server ./server
	@ln -sf main bin/detect && ln -sf main bin/build

run: build ## build $(EXAMPLE) through the real lifecycle and serve it on http://localhost:$(PORT)
	$(GO) run ./integration/cmd/run-example -app $(EXAMPLE) -port $(PORT)

test: build test-unit test-integration ## unit and integration tests

test-unit: ## unit tests (config, Caddy translation, handler)
	$(GO) test -count=1 ./internal/... ./server/...

test-integration: build ## end-to-end tests through the real CNB lifecycle
	$(GO) test -count=1 -timeout 30m ./integration/...

fuzz: ## run each fuzz target for $(FUZZTIME)
	@set -e; for pkg in $$($(GO) list ./internal/... ./server/...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
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

FORCE:

lint: tools ## gofmt, go vet and golangci-lint (all three run; fails if any fails)
	@rc=0; \
	  out=$$(git ls-files -z --cached --others --exclude-standard '*.go' | xargs -0 -r gofmt -l); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; rc=1; fi; \
	  echo "$(GO) vet ./..."; $(GO) vet ./... || rc=1; \
	  echo "golangci-lint run ./..."; $(TOOLS)/golangci-lint run ./... || rc=1; \
	  exit $$rc

clean: ## remove build products
	rm -rf bin/main bin/static-server dist
