package buildpack

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/internal/config"
)

// NewPlan says, as values, where the configuration came from, which root
// was chosen and why, and what it warned about; it changes no file unless
// told it may.
func TestNewPlan(t *testing.T) {
	page := `<h1>x</h1><script src="/app.js"></script>`
	app := writeTree(t, map[string]string{
		"static.json":    `{"root": "build/", "clean_urls": false}`,
		"build/app.js":   "x",
		"build/404.html": page,
		"build/.env":     "KEY=1",
	})
	var log bytes.Buffer
	p, err := NewPlan(Options{AppDir: app, Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	if p.Source != config.StaticJSONName || !strings.Contains(string(p.Migrated), `root = "build"`) {
		t.Errorf("source %q, migrated %q", p.Source, p.Migrated)
	}
	if got := p.RootDetail(); got != `build/ (static.json sets root = "build")` {
		t.Errorf("RootDetail = %q", got)
	}
	if p.Manifest.Root != "build" || p.Manifest.Config.CleanURLs || p.Manifest.Config.NotFound != "404.html" || p.Manifest.PolicyHeader != "Content-Security-Policy" {
		t.Errorf("manifest: %+v", p.Manifest)
	}
	if !slices.Contains(p.Warnings, "build/ has no index.html: requests for / will get the 404 page") {
		t.Errorf("warnings %q lack the missing index.html", p.Warnings)
	}
	for _, w := range p.Warnings {
		if !strings.Contains(log.String(), "WARNING: "+w+"\n") {
			t.Errorf("warning %q is not in the log:\n%s", w, log.String())
		}
	}
	if got, _ := os.ReadFile(filepath.Join(app, "build", "404.html")); string(got) != page {
		t.Errorf("the plan changed a page: %s", got)
	}
	if _, err := NewPlan(Options{AppDir: app, ChangeFiles: true}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(app, "build", "404.html")); !strings.Contains(string(got), `integrity="sha384-`) {
		t.Errorf("with ChangeFiles the plan adds Subresource Integrity: %s", got)
	}
}

// RootOverride (BP_STATIC_ROOT) wins over static.toml and says so.
func TestNewPlanRootOverride(t *testing.T) {
	app := writeTree(t, map[string]string{"static.toml": "root = \"public\"\n", "public/index.html": "a", "dist/index.html": "b"})
	p, err := NewPlan(Options{AppDir: app, RootOverride: "dist"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Source != config.FileName || p.Manifest.Root != "dist" || p.RootDetail() != `dist/ (BP_STATIC_ROOT sets root = "dist")` {
		t.Errorf("source %q root %q detail %q", p.Source, p.Manifest.Root, p.RootDetail())
	}
}
