package integration

import (
	"net/http"
	"strings"
	"testing"
)

// The Accept-Language headers browsers send, and the headers Cloudflare
// adds in front of the platform.
const (
	chromeSwissFrench = "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"
	firefoxGerman     = "de,en-US;q=0.7,en;q=0.3"
)

// Conditional rules (issue 13) through the real lifecycle: query, language,
// country, has/missing, shadowing, forced rewrites, rewrites with status
// 404, Heroku's "/*.html" route and per-directory 404 pages, with one
// built image.
func TestConfigConditions(t *testing.T) {
	ws, out := cfgBuilt(t, "cfg-conditions")
	// The build log shows every rule with its conditions.
	for _, want := range []string{
		"/store -> /blog/:id (301) if query id=:id",
		"/ -> /fr/ (302) if language fr",
		"/ -> /china/ (302) if country cn|hk|tw",
		"/about -> /home?authorized=:authorized (307) if has header X-Authorized ~ (?<authorized>yes|true)",
		"/welcome -> /tour (302) if missing cookie seen",
		"/docs/* -> /manual/:splat (301, only when no file is served there)",
		"/en/* -> /en/404.html (404, when no file matches)",
		"/pricing -> /beta/pricing.html (200, even over a file) if has cookie beta ~ 1",
		"/*.html -> /index.html (200, when no file matches)",
		"/api/* -> http://127.0.0.1:9/ (max body 25MB) if has header X-Beta ~ 1|yes",
		"404 pages by directory (a miss gets the nearest, else the root's): blog/404.html, en/404.html",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the build log lacks %q:\n%s", want, out)
		}
	}
	srv := launch(t, ws, nil)

	t.Run("query", func(t *testing.T) {
		resp := cfgRedirect(t, srv, cfgReq{path: "/store?id=42"}, http.StatusMovedPermanently, "/blog/42?id=42")
		checkDefaultHeaders(t, "GET /store?id=42", resp.Header)
		// Without the parameter the rule does not match: /store is a miss.
		cfgGet(t, srv, cfgReq{path: "/store"}, http.StatusNotFound, "CFG-CONDITIONS-ROOT-404")
	})

	t.Run("language and country", func(t *testing.T) {
		cfgRedirect(t, srv, cfgReq{path: "/", header: map[string]string{"Accept-Language": chromeSwissFrench}}, http.StatusFound, "/fr/")
		// German first (Firefox): no French rule; from Hong Kong (any case).
		cfgRedirect(t, srv, cfgReq{path: "/", header: map[string]string{"Accept-Language": firefoxGerman, "CF-IPCountry": "HK"}}, http.StatusFound, "/china/")
		// French and from Taiwan: the first matching rule wins.
		cfgRedirect(t, srv, cfgReq{path: "/", header: map[string]string{"Accept-Language": chromeSwissFrench, "CF-IPCountry": "TW"}}, http.StatusFound, "/fr/")
		// Neither: the fallback is the page itself.
		resp, _ := cfgGet(t, srv, cfgReq{path: "/", header: map[string]string{"Accept-Language": firefoxGerman, "CF-IPCountry": "DE"}}, http.StatusOK, "CFG-CONDITIONS-INDEX")
		cfgNoHeader(t, "GET / (German)", resp, "Location")
		// French refused with q=0 is not preferred.
		cfgGet(t, srv, cfgReq{path: "/", header: map[string]string{"Accept-Language": "fr;q=0, en"}}, http.StatusOK, "CFG-CONDITIONS-INDEX")
	})

	t.Run("has and missing", func(t *testing.T) {
		cfgRedirect(t, srv, cfgReq{path: "/about", header: map[string]string{"X-Authorized": "yes"}}, http.StatusTemporaryRedirect, "/home?authorized=yes")
		cfgGet(t, srv, cfgReq{path: "/about", header: map[string]string{"X-Authorized": "maybe"}}, http.StatusNotFound, "CFG-CONDITIONS-ROOT-404")
		cfgRedirect(t, srv, cfgReq{path: "/welcome"}, http.StatusFound, "/tour")
		cfgRedirect(t, srv, cfgReq{path: "/welcome", header: map[string]string{"Cookie": "_ga=GA1.2.3; theme=dark"}}, http.StatusFound, "/tour")
		cfgGet(t, srv, cfgReq{path: "/welcome", header: map[string]string{"Cookie": "theme=dark; seen=1"}}, http.StatusNotFound, "CFG-CONDITIONS-ROOT-404")
	})

	t.Run("shadowing", func(t *testing.T) {
		// force = false: a served file keeps its URL; a missing one moves.
		resp, _ := cfgGet(t, srv, cfgReq{path: "/docs/existing"}, http.StatusOK, "CFG-CONDITIONS-DOCS-EXISTING")
		cfgNoHeader(t, "GET /docs/existing", resp, "Location")
		cfgRedirect(t, srv, cfgReq{path: "/docs/existing.html"}, http.StatusMovedPermanently, "/docs/existing")
		cfgRedirect(t, srv, cfgReq{path: "/docs/gone/page?x=1"}, http.StatusMovedPermanently, "/manual/gone/page?x=1")
	})

	t.Run("rewrites", func(t *testing.T) {
		// Netlify's /en/* /en/404.html 404: the section's own page, status 404.
		resp, _ := cfgGet(t, srv, cfgReq{path: "/en/missing"}, http.StatusNotFound, "CFG-CONDITIONS-EN-404")
		cfgHeader(t, "GET /en/missing", resp, "Cache-Control", "no-store")
		cfgHeader(t, "GET /en/missing", resp, "Content-Type", "text/html; charset=utf-8")
		checkDefaultHeaders(t, "GET /en/missing", resp.Header)
		cfgGet(t, srv, cfgReq{path: "/en/"}, http.StatusOK, "CFG-CONDITIONS-EN-INDEX")
		// Forced (200!): beta testers get another page over a real file.
		cfgGet(t, srv, cfgReq{path: "/pricing", header: map[string]string{"Cookie": "beta=1"}}, http.StatusOK, "CFG-CONDITIONS-BETA-PRICING")
		cfgGet(t, srv, cfgReq{path: "/pricing", header: map[string]string{"Cookie": "beta=0"}}, http.StatusOK, "CFG-CONDITIONS-PRICING")
		cfgGet(t, srv, cfgReq{path: "/pricing"}, http.StatusOK, "CFG-CONDITIONS-PRICING")
		// Heroku's "/*.html": "index.html": any missing page of the top
		// directory, not deeper ones ("*" is one segment).
		resp, _ = cfgGet(t, srv, cfgReq{path: "/anything.html"}, http.StatusOK, "CFG-CONDITIONS-INDEX")
		cfgNoHeader(t, "GET /anything.html", resp, "Location")
		cfgGet(t, srv, cfgReq{path: "/deep/anything.html"}, http.StatusNotFound, "CFG-CONDITIONS-ROOT-404")
		// "/.html" is a dotfile's name: never served, whatever rule names it.
		cfgGet(t, srv, cfgReq{path: "/.html"}, http.StatusNotFound, "CFG-CONDITIONS-ROOT-404")
		cfgRedirect(t, srv, cfgReq{path: "/tour.html"}, http.StatusMovedPermanently, "/tour") // a real page keeps its clean URL
	})

	t.Run("proxy", func(t *testing.T) {
		// Forwarded (the origin is a closed port: 502); without the header
		// the proxy does not match and the site answers.
		cfgGet(t, srv, cfgReq{path: "/api/users", header: map[string]string{"X-Beta": "yes"}}, http.StatusBadGateway, "")
		cfgGet(t, srv, cfgReq{path: "/api/users"}, http.StatusNotFound, "CFG-CONDITIONS-ROOT-404")
	})

	t.Run("nearest 404 page", func(t *testing.T) {
		for path, want := range map[string]string{
			"/blog/missing":     "CFG-CONDITIONS-BLOG-404",
			"/blog/2024/gone/":  "CFG-CONDITIONS-BLOG-404",
			"/missing":          "CFG-CONDITIONS-ROOT-404",
			"/china/nothing":    "CFG-CONDITIONS-ROOT-404",
			"/blog/404.html/x/": "CFG-CONDITIONS-BLOG-404",
		} {
			resp, _ := cfgGet(t, srv, cfgReq{path: path}, http.StatusNotFound, want)
			cfgHeader(t, "GET "+path, resp, "Cache-Control", "no-store")
		}
	})
}
