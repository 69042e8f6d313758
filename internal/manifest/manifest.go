// Package manifest is the hand-over from build to launch: what the build
// decided about the site, written once into a launch layer and read once by
// the server when it starts.
package manifest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/policy"
)

// FileName is the manifest's name inside its layer.
const FileName = "site.json"

// Manifest describes the site to serve.
type Manifest struct {
	// Root is the served directory, relative to the app directory.
	Root string `json:"root"`
	// Hide lists paths relative to Root that are never served.
	Hide []string `json:"hide,omitempty"`
	// Headers are the site-wide response headers, in order.
	Headers []policy.Header `json:"headers"`
	// PolicyHeader names the header among Headers that carries the site's
	// Content-Security-Policy: "Content-Security-Policy", or
	// "Content-Security-Policy-Report-Only" with csp.report_only. The
	// policies of PagePolicies are sent under it.
	PolicyHeader string `json:"policy_header"`
	// FilesIndex is the absolute path of the build's file table (see
	// internal/site/table): every served file with its ETag, Cache-Control
	// and precompressed variants. "": none, the server walks the root when
	// it starts (static-server serve DIR).
	FilesIndex string `json:"files_index,omitempty"`
	// Files is what the build's analysis of the root found, for tools such
	// as the benchmark; the server does not use it. nil without FilesIndex.
	Files *Files `json:"files,omitempty"`
	// Source is the configuration file the build read: "static.toml",
	// "static.json" (Heroku's, migrated) or "" for none.
	Source string `json:"source,omitempty"`
	// Config is the validated static.toml (or its defaults), with ${VAR}
	// references still unresolved and not_found checked against the root.
	Config *config.Config `json:"config"`
	// PagePolicies maps HTML files (relative to Root) that need more than the
	// site-wide Content-Security-Policy to the policy computed for them.
	PagePolicies map[string]string `json:"page_policies,omitempty"`
}

// Files summarises the build's file table.
type Files struct {
	// Count is the number of served files.
	Count int `json:"count"`
	// Bytes is their total size.
	Bytes int64 `json:"bytes"`
	// Summary is the build log's line after "Files: ": files, bytes,
	// precompression, variants reused and made, and the time it took.
	Summary string `json:"summary"`
}

// Write stores m as dir/site.json.
func Write(dir string, m Manifest) (string, error) {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", fmt.Errorf("encoding the site manifest: %w", err)
	}
	file := filepath.Join(dir, FileName)
	if err := os.WriteFile(file, append(data, '\n'), 0o644); err != nil { //nolint:gosec // the image's files are world-readable by design
		return "", fmt.Errorf("writing the site manifest: %w", err)
	}
	return file, nil
}

// Read loads a manifest written by Write.
func Read(file string) (Manifest, error) {
	var m Manifest
	data, err := os.ReadFile(file) //nolint:gosec // the path comes from the process definition
	if err != nil {
		return m, fmt.Errorf("reading the site manifest: %w", err)
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("decoding the site manifest %s: %w", file, err)
	}
	if m.Config == nil {
		m.Config = config.Default()
	}
	if m.Root == "" {
		return m, fmt.Errorf("the site manifest %s names no root", file)
	}
	return m, nil
}
