package integration

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// Without static.toml, a site generator's output directory holding an
// index.html is found and served, and nothing beside it; detect and build
// say which generator's layout they recognised.
func TestRootDirectoryFound(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ fixture, dir, home, layout string }{
		{"public-dir", "public", "PUBLIC-DIR-HOME", ""},
		{"dist-dir", "dist", "DIST-DIR-HOME", ""},
		{"layout-mkdocs", "site", "LAYOUT-MKDOCS-HOME", "(MkDocs layout: mkdocs.yml)"},
		{"layout-sphinx", "_build/html", "LAYOUT-SPHINX-HOME", "(Sphinx layout: conf.py)"},
		{"layout-sphinx-docs", "docs/_build/html", "LAYOUT-SPHINX-DOCS-HOME", "(Sphinx layout: docs/conf.py)"},
		{"layout-angular", "dist/shop/browser", "LAYOUT-ANGULAR-HOME", "(Angular layout: angular.json)"},
	} {
		t.Run(c.dir, func(t *testing.T) {
			t.Parallel()
			ws := newWorkspace(t, c.fixture)
			detectOut := detect(t, ws)
			if want := "PASS: " + c.dir + "/index.html exists"; !strings.Contains(detectOut, want) {
				t.Errorf("detect output does not say %q:\n%s", want, detectOut)
			}
			if !strings.Contains(detectOut, c.layout) {
				t.Errorf("detect output does not name the layout %q:\n%s", c.layout, detectOut)
			}
			buildOut := build(t, ws)
			want := c.dir + "/ (" + c.dir + "/index.html exists"
			if c.layout != "" {
				want += " " + c.layout
			}
			if !regexp.MustCompile(`(?m)^\s*Root: ` + regexp.QuoteMeta(want+")") + `$`).MatchString(buildOut) {
				t.Errorf("build output does not say %s/ is the root, found as the %s:\n%s", c.dir, c.layout, buildOut)
			}
			srv := launch(t, ws, nil)
			resp, body := get(t, srv, "/")
			expectStatus(t, "/", resp, body, http.StatusOK, c.home)
			checkDefaultHeaders(t, "GET /", resp.Header)
			expectIndex(t, srv, "/index.html", "/", c.home)
			// The app directory around the root is not served.
			for _, p := range []string{"/README.md", "/" + c.dir + "/index.html", "/index.md", "/conf.py", "/src/index.html", "/3rdpartylicenses.txt"} {
				resp, body := get(t, srv, p)
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("GET %s: status %d, want 404 (only %s/ is served); body: %.200q", p, resp.StatusCode, c.dir, body)
				}
			}
		})
	}
}
