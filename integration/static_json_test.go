package integration

import (
	"strings"
	"testing"
)

// A Heroku static.json modelled on real-world usage (SPA routes, redirects
// with ${ENV}, headers per glob, https_only, error_page, proxies) is migrated
// at build time, the equivalent static.toml is printed, and the site serves
// the same behaviour.
func TestStaticJSON(t *testing.T) {
	up := newCfgUpstream(t)
	ws := newWorkspace(t, "static-json")
	if out := detect(t, ws); !strings.Contains(out, "static.json found") {
		t.Errorf("detect does not say why it passed:\n%s", out)
	}
	out := build(t, ws)
	for _, want := range []string{
		"Config: static.json (Heroku's format), migrated",
		`root = "build"`,
		"[[redirects]]",
		"[[proxies]]",
		`[headers."/assets/**"]`,
		"Root: build/",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("build output lacks %q:\n%s", want, out)
		}
	}
	srv := launch(t, ws, map[string]string{"BLOG_URL": "https://blog.example.com", "API_ORIGIN": up.URL})

	cfgGet(t, srv, cfgReq{path: "/"}, 200, "STATIC-JSON-SPA-INDEX")
	cfgGet(t, srv, cfgReq{path: "/some/client/route"}, 200, "STATIC-JSON-SPA-INDEX")
	cfgGet(t, srv, cfgReq{path: "/docs/getting-started"}, 200, "STATIC-JSON-DOCS-INDEX")
	// "/*.html": "index.html", the example of Heroku's README: a missing
	// page with an extension (which the fallback leaves a 404) gets index.html.
	cfgGet(t, srv, cfgReq{path: "/legacy-page.html"}, 200, "STATIC-JSON-SPA-INDEX")
	cfgGet(t, srv, cfgReq{path: "/docs/legacy-page.html"}, 200, "STATIC-JSON-DOCS-INDEX")
	cfgRedirect(t, srv, cfgReq{path: "/blog"}, 302, "https://blog.example.com/posts")
	cfgRedirect(t, srv, cfgReq{path: "/old-page"}, 301, "/about")
	// The router's https port is 443: the redirect drops the backend's port.
	cfgRedirect(t, srv, cfgReq{path: "/?q=1", header: map[string]string{"X-Forwarded-Proto": "http"}}, 301, "https://127.0.0.1/?q=1")

	resp, _ := cfgGet(t, srv, cfgReq{path: "/assets/app.js"}, 200, "")
	cfgHeader(t, "/assets/app.js", resp, "Cache-Control", "public, max-age=31536000, immutable")
	resp, _ = cfgGet(t, srv, cfgReq{path: "/assets/fonts/site.woff2"}, 200, "")
	cfgHeader(t, "font", resp, "Access-Control-Allow-Origin", "*")
	resp, body := cfgDo(t, srv, cfgReq{path: "/missing.js"})
	if resp.StatusCode != 404 || !strings.Contains(body, "STATIC-JSON-NOT-FOUND") {
		t.Errorf("/missing.js: %d %q", resp.StatusCode, body)
	}

	cfgGet(t, srv, cfgReq{path: "/api/users?page=2"}, 200, "")
	seen := up.last(t)
	if seen.Path != "/v1/users" || seen.Query != "page=2" {
		t.Errorf("the origin saw %s?%s, want /v1/users?page=2", seen.Path, seen.Query)
	}
}
