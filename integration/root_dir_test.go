package integration

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// Without static.toml, a site generator's output directory holding an
// index.html is found and served, and nothing beside it.
func TestRootDirectoryFound(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ fixture, dir, home string }{
		{"public-dir", "public", "PUBLIC-DIR-HOME"},
		{"dist-dir", "dist", "DIST-DIR-HOME"},
	} {
		t.Run(c.dir, func(t *testing.T) {
			t.Parallel()
			ws := newWorkspace(t, c.fixture)
			detectOut := detect(t, ws)
			if !strings.Contains(detectOut, c.dir+"/index.html") {
				t.Errorf("detect output does not say it found %s/index.html:\n%s", c.dir, detectOut)
			}
			buildOut := build(t, ws)
			if !regexp.MustCompile(`(?im)\broot\b.*\b` + c.dir + `\b`).MatchString(buildOut) {
				t.Errorf("build output does not say %s/ is the root:\n%s", c.dir, buildOut)
			}
			srv := launch(t, ws, nil)
			resp, body := get(t, srv, "/")
			expectStatus(t, "/", resp, body, http.StatusOK, c.home)
			checkDefaultHeaders(t, "GET /", resp.Header)
			expectIndex(t, srv, "/index.html", "/", c.home)
			// The app directory around the root is not served.
			for _, p := range []string{"/README.md", "/" + c.dir + "/index.html"} {
				resp, body := get(t, srv, p)
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("GET %s: status %d, want 404 (only %s/ is served); body: %.200q", p, resp.StatusCode, c.dir, body)
				}
			}
		})
	}
}
