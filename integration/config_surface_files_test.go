package integration

// static.toml keys that decide which file answers a request: root,
// clean_urls, trailing_slash, not_found, fallback and charset.

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// root = "site" serves site/, even though public/index.html exists, and
// nothing outside it.
func TestCfgRoot(t *testing.T) {
	t.Parallel()
	ws, out := cfgBuilt(t, "cfg-root")
	if line := cfgLineMatching(out, regexp.MustCompile(`Root: site/ \(static\.toml sets root = "site"\)`)); line == "" {
		t.Errorf("build output does not say that static.toml's root site/ is served:\n%s", out)
	}
	srv := launch(t, ws, nil)

	resp, _ := cfgGet(t, srv, cfgReq{path: "/"}, http.StatusOK, "CFG-ROOT-SITE-HOME")
	checkDefaultHeaders(t, "GET /", resp.Header)
	cfgGet(t, srv, cfgReq{path: "/guide"}, http.StatusOK, "CFG-ROOT-SITE-GUIDE")
	for _, p := range []string{"/public/", "/public/index.html", "/site/index.html", "/notes.txt", "/static.toml"} {
		_, body := cfgGet(t, srv, cfgReq{path: p}, http.StatusNotFound, "")
		if strings.Contains(body, "CFG-ROOT-PUBLIC") || strings.Contains(body, "CFG-ROOT-APP-FILE") || strings.Contains(body, "root =") {
			t.Errorf("GET %s: a file outside the root was served: %.200q", p, body)
		}
	}
}

// clean_urls = true serves /about from about.html and redirects the .html
// address to the clean one; clean_urls = false serves files by their names.
func TestCfgCleanURLs(t *testing.T) {
	t.Parallel()
	t.Run("true", func(t *testing.T) {
		t.Parallel()
		ws, _ := cfgBuilt(t, "cfg-clean-urls-on")
		srv := launch(t, ws, nil)
		resp, _ := cfgGet(t, srv, cfgReq{path: "/about"}, http.StatusOK, "CFG-CLEAN-on-ABOUT")
		cfgHeader(t, "GET /about", resp, "Content-Type", "text/html; charset=utf-8")
		resp = cfgRedirect(t, srv, cfgReq{path: "/about.html"}, http.StatusMovedPermanently, "/about")
		checkDefaultHeaders(t, "GET /about.html (redirect)", resp.Header)
		cfgRedirect(t, srv, cfgReq{path: "/about.html?ref=nav&x=1"}, http.StatusMovedPermanently, "/about?ref=nav&x=1")
		cfgRedirect(t, srv, cfgReq{path: "/index.html"}, http.StatusMovedPermanently, "/")
		cfgRedirect(t, srv, cfgReq{path: "/docs/index.html"}, http.StatusMovedPermanently, "/docs/")
		cfgGet(t, srv, cfgReq{path: "/docs/"}, http.StatusOK, "CFG-CLEAN-on-DOCS")
		cfgGet(t, srv, cfgReq{path: "/"}, http.StatusOK, "CFG-CLEAN-on-HOME")
		cfgGet(t, srv, cfgReq{path: "/nothing"}, http.StatusNotFound, "")
		// No page is stranded: a name with dots (rustdoc, Sphinx), a page
		// next to a folder of the same name without an index (Heroku's
		// spec), a page shadowed by a folder with an index, a space.
		cfgRedirect(t, srv, cfgReq{path: "/struct.Vec.html"}, http.StatusMovedPermanently, "/struct.Vec")
		cfgGet(t, srv, cfgReq{path: "/struct.Vec"}, http.StatusOK, "CFG-CLEAN-on-STRUCT-VEC")
		cfgRedirect(t, srv, cfgReq{path: "/std/vec/fn.push.html"}, http.StatusMovedPermanently, "/std/vec/fn.push")
		cfgGet(t, srv, cfgReq{path: "/std/vec/fn.push"}, http.StatusOK, "CFG-CLEAN-on-VEC-PUSH")
		cfgRedirect(t, srv, cfgReq{path: "/foo.html"}, http.StatusMovedPermanently, "/foo")
		cfgGet(t, srv, cfgReq{path: "/foo"}, http.StatusOK, "CFG-CLEAN-on-FOO-PAGE")
		cfgGet(t, srv, cfgReq{path: "/foo/notes.txt"}, http.StatusOK, "CFG-CLEAN-on-FOO-DIR-FILE")
		cfgGet(t, srv, cfgReq{path: "/bar.html"}, http.StatusOK, "CFG-CLEAN-on-BAR-PAGE")
		cfgRedirect(t, srv, cfgReq{path: "/bar"}, http.StatusMovedPermanently, "/bar/")
		cfgGet(t, srv, cfgReq{path: "/bar/"}, http.StatusOK, "CFG-CLEAN-on-BAR-INDEX")
		cfgRedirect(t, srv, cfgReq{path: "/a%20page.html"}, http.StatusMovedPermanently, "/a%20page")
		cfgGet(t, srv, cfgReq{path: "/a%20page"}, http.StatusOK, "CFG-CLEAN-on-SPACE")
	})
	t.Run("false", func(t *testing.T) {
		t.Parallel()
		ws, out := cfgBuilt(t, "cfg-clean-urls-off")
		if !strings.Contains(out, "clean_urls = false") {
			t.Errorf("build output does not report clean_urls = false:\n%s", out)
		}
		srv := launch(t, ws, nil)
		cfgGet(t, srv, cfgReq{path: "/about"}, http.StatusNotFound, "")
		resp, _ := cfgGet(t, srv, cfgReq{path: "/about.html"}, http.StatusOK, "CFG-CLEAN-off-ABOUT")
		cfgHeader(t, "GET /about.html", resp, "Content-Type", "text/html; charset=utf-8")
		checkDefaultHeaders(t, "GET /about.html", resp.Header)
		cfgGet(t, srv, cfgReq{path: "/docs/"}, http.StatusOK, "CFG-CLEAN-off-DOCS")
		cfgGet(t, srv, cfgReq{path: "/"}, http.StatusOK, "CFG-CLEAN-off-HOME")
	})
}

// trailing_slash decides the canonical address of directories and pages;
// the other form is redirected to it, keeping the query.
func TestCfgTrailingSlash(t *testing.T) {
	t.Parallel()
	type redirect struct{ from, to string }
	type served struct{ path, want string }
	for _, c := range []struct {
		mode      string
		redirects []redirect
		served    []served
	}{
		{
			mode: "auto",
			redirects: []redirect{
				{"/docs", "/docs/"},
				{"/docs?x=1", "/docs/?x=1"},
				{"/about/", "/about"},
				{"/docs/intro/", "/docs/intro"},
				{"/about.html", "/about"},
				{"/docs/index.html", "/docs/"},
			},
			served: []served{
				{"/", "CFG-TS-auto-HOME"},
				{"/docs/", "CFG-TS-auto-DOCS"},
				{"/about", "CFG-TS-auto-ABOUT"},
				{"/docs/intro", "CFG-TS-auto-DOCS-INTRO"},
			},
		},
		{
			mode: "always",
			redirects: []redirect{
				{"/docs", "/docs/"},
				{"/about", "/about/"},
				{"/about?x=1", "/about/?x=1"},
				{"/docs/intro", "/docs/intro/"},
				{"/about.html", "/about/"},
				{"/docs/index.html", "/docs/"},
			},
			served: []served{
				{"/", "CFG-TS-always-HOME"},
				{"/docs/", "CFG-TS-always-DOCS"},
				{"/about/", "CFG-TS-always-ABOUT"},
				{"/docs/intro/", "CFG-TS-always-DOCS-INTRO"},
			},
		},
		{
			mode: "never",
			redirects: []redirect{
				{"/docs/", "/docs"},
				{"/docs/?x=1", "/docs?x=1"},
				{"/about/", "/about"},
				{"/docs/intro/", "/docs/intro"},
				{"/about.html", "/about"},
				{"/docs/index.html", "/docs"},
			},
			served: []served{
				{"/", "CFG-TS-never-HOME"},
				{"/docs", "CFG-TS-never-DOCS"},
				{"/about", "CFG-TS-never-ABOUT"},
				{"/docs/intro", "CFG-TS-never-DOCS-INTRO"},
			},
		},
	} {
		t.Run(c.mode, func(t *testing.T) {
			t.Parallel()
			ws, out := cfgBuilt(t, "cfg-trailing-"+c.mode)
			if !strings.Contains(out, `trailing_slash = "`+c.mode+`"`) {
				t.Errorf("build output does not report trailing_slash = %q:\n%s", c.mode, out)
			}
			srv := launch(t, ws, nil)
			for _, r := range c.redirects {
				cfgRedirect(t, srv, cfgReq{path: r.from}, http.StatusMovedPermanently, r.to)
			}
			for _, s := range c.served {
				cfgGet(t, srv, cfgReq{path: s.path}, http.StatusOK, s.want)
			}
		})
	}
}

// not_found names the 404 page; the status stays 404. A not_found file that
// does not exist fails the build at its line.
func TestCfgNotFound(t *testing.T) {
	t.Parallel()
	t.Run("custom page", func(t *testing.T) {
		t.Parallel()
		ws, out := cfgBuilt(t, "cfg-not-found")
		if !strings.Contains(out, "404 page: errors/missing.html") {
			t.Errorf("build output does not name the 404 page errors/missing.html:\n%s", out)
		}
		srv := launch(t, ws, nil)
		for _, p := range []string{"/nope", "/deep/er/nope", "/nope.css", "/nope.html"} {
			resp, body := cfgGet(t, srv, cfgReq{path: p}, http.StatusNotFound, "CFG-NF-CUSTOM-404")
			if strings.Contains(body, "CFG-NF-DEFAULT-404") {
				t.Errorf("GET %s: served 404.html, not the configured not_found page", p)
			}
			cfgHeader(t, "GET "+p, resp, "Content-Type", "text/html; charset=utf-8")
			checkDefaultHeaders(t, "GET "+p, resp.Header)
		}
		// HEAD gets the status without the page.
		resp, body := cfgDo(t, srv, cfgReq{method: http.MethodHead, path: "/nope"})
		if resp.StatusCode != http.StatusNotFound || body != "" {
			t.Errorf("HEAD /nope: %d with body %q, want 404 with no body", resp.StatusCode, body)
		}
		cfgGet(t, srv, cfgReq{path: "/"}, http.StatusOK, "CFG-NF-HOME")
	})
	t.Run("missing file fails the build", func(t *testing.T) {
		t.Parallel()
		cfgBuildFailsAt(t, "cfg-not-found-missing", "static.toml:3:1", "not_found", "oops/404.html")
	})
}

// fallback serves the app shell with 200 for routes that match nothing, but
// not for missing files with an extension; files and redirects win. A
// fallback file that does not exist fails the build at its line.
func TestCfgFallback(t *testing.T) {
	t.Parallel()
	t.Run("single-page app", func(t *testing.T) {
		t.Parallel()
		ws, _ := cfgBuilt(t, "cfg-fallback")
		srv := launch(t, ws, nil)
		for _, p := range []string{"/some/route", "/users/42/settings", "/dashboard?tab=2"} {
			resp, _ := cfgGet(t, srv, cfgReq{path: p}, http.StatusOK, "CFG-FALLBACK-SPA-SHELL")
			cfgHeader(t, "GET "+p, resp, "Content-Type", "text/html; charset=utf-8")
			checkDefaultHeaders(t, "GET "+p, resp.Header)
		}
		for _, p := range []string{"/missing.js", "/assets/missing.css", "/img/nope.png"} {
			_, body := cfgGet(t, srv, cfgReq{path: p}, http.StatusNotFound, "")
			if strings.Contains(body, "CFG-FALLBACK-SPA-SHELL") {
				t.Errorf("GET %s: a missing file with an extension got the app shell", p)
			}
		}
		cfgGet(t, srv, cfgReq{path: "/app.js"}, http.StatusOK, "CFG-FALLBACK-APP-JS")
		cfgGet(t, srv, cfgReq{path: "/about"}, http.StatusOK, "CFG-FALLBACK-ABOUT")
		cfgRedirect(t, srv, cfgReq{path: "/old-route"}, http.StatusMovedPermanently, "/new-route")
		cfgGet(t, srv, cfgReq{path: "/"}, http.StatusOK, "CFG-FALLBACK-SPA-SHELL")
	})
	t.Run("missing file fails the build", func(t *testing.T) {
		t.Parallel()
		cfgBuildFailsAt(t, "cfg-fallback-missing", "static.toml:3:1", "fallback", "app-shell.html")
	})
}

// charset is added to text content types; modern file types get their
// registered MIME types.
func TestCfgCharset(t *testing.T) {
	t.Parallel()
	ws, _ := cfgBuilt(t, "cfg-charset")
	srv := launch(t, ws, nil)
	for _, c := range []struct{ path, contentType string }{
		{"/", "text/html; charset=iso-8859-1"},
		{"/style.css", "text/css; charset=iso-8859-1"},
		{"/app.js", "text/javascript; charset=iso-8859-1"},
		{"/mod.mjs", "text/javascript; charset=iso-8859-1"},
		{"/notes.txt", "text/plain; charset=iso-8859-1"},
		{"/feed.xml", "application/xml; charset=iso-8859-1"},
		{"/data.json", "application/json"},
		{"/site.webmanifest", "application/manifest+json"},
		{"/app.wasm", "application/wasm"},
		{"/font.woff2", "font/woff2"},
		{"/photo.avif", "image/avif"},
		{"/photo.webp", "image/webp"},
	} {
		resp, _ := cfgGet(t, srv, cfgReq{path: c.path}, http.StatusOK, "")
		cfgHeader(t, "GET "+c.path, resp, "Content-Type", c.contentType)
		cfgHeader(t, "GET "+c.path, resp, "X-Content-Type-Options", "nosniff")
	}
}
