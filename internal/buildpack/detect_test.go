package buildpack

import (
	"strings"
	"testing"
)

func TestDecide(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		override string
		pass     bool
		reason   string
	}{
		{"static.toml", map[string]string{"static.toml": "root = \"site\"\n"}, "", true, "static.toml found"},
		{"broken static.toml still passes", map[string]string{"static.toml": "root = 5"}, "", true, "the build will report them"},
		{"public", map[string]string{"public/index.html": "x"}, "", true, "public/index.html exists"},
		{"dist", map[string]string{"dist/index.html": "x", "package.json": `{"scripts":{"build":"vite build"}}`}, "", true, "dist/index.html exists"},
		{"app root", map[string]string{"index.html": "x"}, "", true, "index.html exists in the app directory"},
		{"override", map[string]string{"package.json": "{}"}, "dist", true, "BP_STATIC_ROOT=dist"},
		{"procfile", map[string]string{"Procfile": "web: node server.js", "public/index.html": "x"}, "", false, "Procfile"},
		{"nothing", map[string]string{"README.md": "x"}, "", false, "no index.html in public/, dist/, dist/<project>/browser/, build/, _site/, out/, site/, _build/html/, docs/_build/html/"},
		{"mkdocs", map[string]string{"mkdocs.yml": "site_name: x", "docs/index.md": "# x", "site/index.html": "x"}, "", true, "site/index.html exists (MkDocs layout: mkdocs.yml)"},
		{"site without mkdocs.yml", map[string]string{"site/index.html": "x"}, "", true, "site/index.html exists"},
		{"sphinx", map[string]string{"conf.py": "project = 'x'", "_build/html/index.html": "x"}, "", true, "_build/html/index.html exists (Sphinx layout: conf.py)"},
		{"sphinx in docs", map[string]string{"docs/conf.py": "x", "docs/_build/html/index.html": "x", "setup.py": "x"}, "", true, "docs/_build/html/index.html exists (Sphinx layout: docs/conf.py)"},
		{"sphinx separate source", map[string]string{"source/conf.py": "x", "build/html/index.html": "x"}, "", true, "build/html/index.html exists (Sphinx layout: source/conf.py)"},
		{"angular", map[string]string{"angular.json": "{}", "dist/shop/browser/index.html": "x", "dist/shop/server/server.mjs": "x"}, "", true, "dist/shop/browser/index.html exists (Angular layout: angular.json)"},
		{"mdbook", map[string]string{"book.toml": "x", "book/index.html": "x"}, "", true, "book/index.html exists (mdBook layout: book.toml)"},
		{"mkdocs not built", map[string]string{"mkdocs.yml": "site_name: x", "docs/index.md": "# x"}, "", false, "MkDocs (mkdocs.yml) writes site/, so build the site first"},
		{"angular not built", map[string]string{"angular.json": "{}", "src/index.html": "x"}, "", false, "Angular (angular.json) writes dist/<project>/browser/"},
		{"node server", map[string]string{"index.html": "x", "package.json": `{"scripts":{"start":"node server.js"}}`}, "", false, `"start" script`},
		{"go app", map[string]string{"index.html": "x", "go.mod": "module x"}, "", false, "go.mod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeTree(t, tt.files)
			d := Decide(dir, tt.override)
			if d.Pass != tt.pass || !strings.Contains(d.Reason, tt.reason) {
				t.Fatalf("Decide = %+v; want pass=%v with %q", d, tt.pass, tt.reason)
			}
		})
	}
}
