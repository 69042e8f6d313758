package integration

// static.toml keys that answer before a file is looked up: https_only,
// canonical_host, [[redirects]] and [[rewrites]], and their precedence.

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

const hstsValue = "max-age=63072000; includeSubDomains"

// https_only redirects requests the router marks as plain HTTP to https,
// with HSTS on the redirect; https_only = false does not.
func TestCfgHTTPSOnly(t *testing.T) {
	t.Parallel()
	t.Run("true", func(t *testing.T) {
		t.Parallel()
		ws, _ := cfgBuilt(t, "cfg-https-on")
		srv := launch(t, ws, nil)
		plain := map[string]string{"X-Forwarded-Proto": "http"}
		resp := cfgRedirect(t, srv, cfgReq{path: "/about?x=1&y=%20z", host: "shop.example.com", header: plain},
			http.StatusMovedPermanently, "https://shop.example.com/about?x=1&y=%20z")
		cfgHeader(t, "redirect to https", resp, "Strict-Transport-Security", hstsValue)
		checkDefaultHeaders(t, "redirect to https", resp.Header)
		cfgRedirect(t, srv, cfgReq{path: "/", host: "shop.example.com", header: plain},
			http.StatusMovedPermanently, "https://shop.example.com/")
		// A missing page is redirected too: the redirect comes before files.
		cfgRedirect(t, srv, cfgReq{path: "/no/such/page", host: "shop.example.com", header: plain},
			http.StatusMovedPermanently, "https://shop.example.com/no/such/page")

		// No X-Forwarded-Proto (a health check on the port), or https: served.
		resp, _ = cfgGet(t, srv, cfgReq{path: "/about", host: "shop.example.com"}, http.StatusOK, "CFG-HTTPS-ON-ABOUT")
		cfgHeader(t, "GET /about", resp, "Strict-Transport-Security", hstsValue)
		cfgGet(t, srv, cfgReq{path: "/about", host: "shop.example.com", header: map[string]string{"X-Forwarded-Proto": "https"}},
			http.StatusOK, "CFG-HTTPS-ON-ABOUT")
	})
	t.Run("false", func(t *testing.T) {
		t.Parallel()
		ws, out := cfgBuilt(t, "cfg-https-off")
		if !strings.Contains(out, "https_only = false") {
			t.Errorf("build output does not report https_only = false:\n%s", out)
		}
		srv := launch(t, ws, nil)
		resp, _ := cfgGet(t, srv, cfgReq{path: "/about?x=1", host: "shop.example.com", header: map[string]string{"X-Forwarded-Proto": "http"}},
			http.StatusOK, "CFG-HTTPS-OFF-ABOUT")
		cfgNoHeader(t, "GET /about over http", resp, "Location")
	})
}

// canonical_host redirects other hosts to it, keeping path and query; it can
// come from the launch environment.
func TestCfgCanonicalHost(t *testing.T) {
	t.Parallel()
	t.Run("literal", func(t *testing.T) {
		t.Parallel()
		ws, out := cfgBuilt(t, "cfg-canonical-literal")
		if !strings.Contains(out, "Canonical host: www.example.com") {
			t.Errorf("build output does not name the canonical host:\n%s", out)
		}
		srv := launch(t, ws, nil)
		https := map[string]string{"X-Forwarded-Proto": "https"}
		resp := cfgRedirect(t, srv, cfgReq{path: "/about?ref=a&b=c", host: "example.com", header: https},
			http.StatusMovedPermanently, "https://www.example.com/about?ref=a&b=c")
		checkDefaultHeaders(t, "canonical host redirect", resp.Header)
		cfgRedirect(t, srv, cfgReq{path: "/", host: "old.example.org", header: https},
			http.StatusMovedPermanently, "https://www.example.com/")
		cfgRedirect(t, srv, cfgReq{path: "/deep/missing/page", host: "example.com", header: https},
			http.StatusMovedPermanently, "https://www.example.com/deep/missing/page")
		cfgGet(t, srv, cfgReq{path: "/about", host: "www.example.com", header: https}, http.StatusOK, "CFG-CANON-LITERAL-ABOUT")
		cfgGet(t, srv, cfgReq{path: "/", host: "www.example.com"}, http.StatusOK, "CFG-CANON-LITERAL-HOME")
	})
	t.Run("variable", func(t *testing.T) {
		t.Parallel()
		ws, _ := cfgBuilt(t, "cfg-canonical-var")
		srv := launch(t, ws, map[string]string{"SITE_HOST": "www.example.org"})
		cfgRedirect(t, srv, cfgReq{path: "/about?q=1", host: "example.org"},
			http.StatusMovedPermanently, "https://www.example.org/about?q=1")
		cfgGet(t, srv, cfgReq{path: "/about", host: "www.example.org"}, http.StatusOK, "CFG-CANON-VAR-ABOUT")
	})
	t.Run("missing variable", func(t *testing.T) {
		t.Parallel()
		ws, _ := cfgBuilt(t, "cfg-canonical-var")
		out := cfgLaunchFails(t, ws, nil)
		if !strings.Contains(out, "canonical_host") || !strings.Contains(out, "SITE_HOST") {
			t.Errorf("the server's output does not name the key canonical_host and the variable SITE_HOST:\n%s", out)
		}
	})
	t.Run("default", func(t *testing.T) {
		t.Parallel()
		ws, _ := cfgBuilt(t, "cfg-canonical-default")
		srv := launch(t, ws, nil)
		// https_only = false in this fixture: the redirect stays on http.
		cfgRedirect(t, srv, cfgReq{path: "/about?q=1", host: "example.net"},
			http.StatusMovedPermanently, "http://default.example.net/about?q=1")
		cfgGet(t, srv, cfgReq{path: "/about", host: "default.example.net"}, http.StatusOK, "CFG-CANON-DEFAULT-ABOUT")

		srv2 := launch(t, ws, map[string]string{"SITE_HOST": "set.example.net"})
		cfgRedirect(t, srv2, cfgReq{path: "/about", host: "default.example.net"},
			http.StatusMovedPermanently, "http://set.example.net/about")
		cfgGet(t, srv2, cfgReq{path: "/about", host: "set.example.net"}, http.StatusOK, "CFG-CANON-DEFAULT-ABOUT")
	})
}

// [[redirects]]: placeholders, status codes, query strings, ${VAR} targets,
// first match wins, redirects win over files and apply to /, and a capture
// cannot turn a local target into another site.
func TestCfgRedirects(t *testing.T) {
	t.Parallel()
	ws, out := cfgBuilt(t, "cfg-redirects")
	if !strings.Contains(out, "/blog/:year/:slug -> /posts/:year/:slug (308)") {
		t.Errorf("build output does not list the redirects with their status:\n%s", out)
	}
	srv := launch(t, ws, map[string]string{"DOCS_ORIGIN": "https://docs.example.com"})

	for _, c := range []struct {
		path     string
		status   int
		location string
	}{
		{"/", http.StatusFound, "/home"},
		{"/?utm=1", http.StatusFound, "/home?utm=1"},
		{"/old/a", http.StatusMovedPermanently, "/new/a"},
		{"/old/a/b/c.html", http.StatusMovedPermanently, "/new/a/b/c.html"},
		{"/old/a/b?q=1&r=two", http.StatusMovedPermanently, "/new/a/b?q=1&r=two"},
		{"/blog/2024/hello-world", http.StatusPermanentRedirect, "/posts/2024/hello-world"},
		{"/blog/2024/hello-world?c=1", http.StatusPermanentRedirect, "/posts/2024/hello-world?c=1"},
		{"/s301", http.StatusMovedPermanently, "/target-301"},
		{"/s303", http.StatusSeeOther, "/target-303"},
		{"/s307", http.StatusTemporaryRedirect, "/target-307"},
		// A redirect wins over an existing file.
		{"/existing.html", http.StatusMovedPermanently, "/moved-existing"},
		// The first matching rule wins.
		{"/first/x", http.StatusMovedPermanently, "/one/x"},
		// A target with a query gets the request's query appended.
		{"/search?q=shoes", http.StatusFound, "/find?src=old&q=shoes"},
		{"/search", http.StatusFound, "/find?src=old"},
		// ${DOCS_ORIGIN} comes from the launch environment.
		{"/docs/install/linux?v=2", http.StatusFound, "https://docs.example.com/manual/install/linux?v=2"},
	} {
		resp := cfgRedirect(t, srv, cfgReq{path: c.path}, c.status, c.location)
		if c.path == "/s307" {
			checkDefaultHeaders(t, "GET /s307 (redirect)", resp.Header)
		}
	}
	// Not matched: /blog/2024 lacks the :slug segment; served or 404 as usual.
	cfgGet(t, srv, cfgReq{path: "/blog/2024"}, http.StatusNotFound, "")
	cfgGet(t, srv, cfgReq{path: "/home"}, http.StatusOK, "CFG-REDIRECTS-HOME-PAGE")

	// from = "/go/*", to = "/:splat": no request may produce an off-site
	// Location (//host or /\host is another site to a browser).
	for _, c := range []struct{ target, location string }{
		{"/go/about", "/about"},
		{"/go//evil.example", "/evil.example"},
		{"/go///evil.example/x", "/evil.example/x"},
		{"/go/%2F%2Fevil.example", "/evil.example"},
		{"/go/%2Fevil.example", "/evil.example"},
		// A backslash is refused (400) by the canonical request path.
		{"/go/%5Cevil.example", ""},
		{"/go/%5C%5Cevil.example", ""},
	} {
		resp, body := rawGet(t, srv, c.target)
		loc := resp.Header.Get("Location")
		u, err := url.Parse(loc)
		switch {
		case c.location == "":
			if resp.StatusCode != http.StatusBadRequest || loc != "" {
				t.Errorf("GET %s: status %d, Location %q, want 400 and none", c.target, resp.StatusCode, loc)
			}
		case resp.StatusCode != http.StatusFound:
			t.Errorf("GET %s: status %d, want 302; body %.200q", c.target, resp.StatusCode, body)
		case err != nil || u.Host != "" || u.Scheme != "" || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\"):
			t.Errorf("GET %s: off-site Location %q", c.target, loc)
		case loc != c.location:
			t.Errorf("GET %s: Location %q, want %q", c.target, loc, c.location)
		}
	}
}

// [[rewrites]] serve the target's content with 200 when no file matches;
// real files win.
func TestCfgRewrites(t *testing.T) {
	t.Parallel()
	ws, _ := cfgBuilt(t, "cfg-rewrites")
	srv := launch(t, ws, nil)
	for _, p := range []string{"/app", "/app/", "/app/inbox", "/app/inbox/42?tab=1"} {
		resp, _ := cfgGet(t, srv, cfgReq{path: p}, http.StatusOK, "CFG-REWRITES-APP-SHELL")
		cfgHeader(t, "GET "+p, resp, "Content-Type", "text/html; charset=utf-8")
		cfgNoHeader(t, "GET "+p, resp, "Location")
		checkDefaultHeaders(t, "GET "+p, resp.Header)
	}
	// Real files win over the rewrite.
	resp, _ := cfgGet(t, srv, cfgReq{path: "/app/real.txt"}, http.StatusOK, "CFG-REWRITES-REAL-FILE")
	cfgHeader(t, "GET /app/real.txt", resp, "Content-Type", "text/plain; charset=utf-8")
	cfgGet(t, srv, cfgReq{path: "/app/settings"}, http.StatusOK, "CFG-REWRITES-REAL-PAGE")
	// :name is substituted into the target.
	cfgGet(t, srv, cfgReq{path: "/u/alice"}, http.StatusOK, "CFG-REWRITES-ALICE")
	// A target that does not exist is a 404, not an error.
	cfgGet(t, srv, cfgReq{path: "/u/bob"}, http.StatusNotFound, "")
	cfgGet(t, srv, cfgReq{path: "/elsewhere"}, http.StatusNotFound, "")
}

// cfgHash is a bcrypt hash of password at the lowest cost (fast tests).
func cfgHash(t *testing.T, password string) string {
	t.Helper()
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(h)
}

// One fixture with overlapping rules proves the documented order: https
// redirect, canonical host, basic auth, redirects, proxies, files, rewrites,
// fallback, 404.
func TestCfgPrecedence(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("UPSTREAM " + r.URL.Path))
	}))
	t.Cleanup(upstream.Close)

	ws, _ := cfgBuilt(t, "cfg-precedence")
	srv := launch(t, ws, map[string]string{
		"UPSTREAM":         upstream.URL,
		"BASIC_AUTH_USERS": "member:" + cfgHash(t, "pw-member"),
	})
	const canon = "www.example.com"
	https := map[string]string{"X-Forwarded-Proto": "https"}
	plain := map[string]string{"X-Forwarded-Proto": "http"}
	member := func(r cfgReq) cfgReq { r.user, r.pass = "member", "pw-member"; return r }

	// 1. https redirect before the canonical host (keeps the requested host)
	// and before basic auth.
	cfgRedirect(t, srv, cfgReq{path: "/members/new?a=1", host: "other.example.com", header: plain},
		http.StatusMovedPermanently, "https://other.example.com/members/new?a=1")
	cfgRedirect(t, srv, cfgReq{path: "/members/new", host: canon, header: plain},
		http.StatusMovedPermanently, "https://www.example.com/members/new")
	// 2. canonical host before basic auth and redirects.
	cfgRedirect(t, srv, cfgReq{path: "/members/old?a=1", host: "other.example.com", header: https},
		http.StatusMovedPermanently, "https://www.example.com/members/old?a=1")
	// 3. basic auth before redirects.
	resp, _ := cfgGet(t, srv, cfgReq{path: "/members/old", host: canon, header: https}, http.StatusUnauthorized, "")
	cfgNoHeader(t, "GET /members/old without credentials", resp, "Location")
	// 4. with credentials, the redirect applies.
	cfgRedirect(t, srv, member(cfgReq{path: "/members/old", host: canon, header: https}),
		http.StatusMovedPermanently, "/members/new")
	cfgGet(t, srv, member(cfgReq{path: "/members/new", host: canon, header: https}), http.StatusOK, "CFG-PREC-MEMBERS-NEW")
	// Redirects before proxies and before files (and clean-URL redirects).
	cfgRedirect(t, srv, cfgReq{path: "/api/moved", host: canon, header: https}, http.StatusMovedPermanently, "/api/new")
	cfgRedirect(t, srv, cfgReq{path: "/page.html", host: canon, header: https}, http.StatusMovedPermanently, "/page-moved")
	// 5. proxies before files: public/api/local.txt exists but is proxied.
	_, body := cfgGet(t, srv, cfgReq{path: "/api/local.txt", host: canon, header: https}, http.StatusOK, "")
	if body != "UPSTREAM /local.txt" {
		t.Errorf("GET /api/local.txt: body %q, want the upstream's %q", body, "UPSTREAM /local.txt")
	}
	// 6. files before rewrites: docs/real.html exists (clean URL /docs/real).
	cfgGet(t, srv, cfgReq{path: "/docs/real", host: canon, header: https}, http.StatusOK, "CFG-PREC-DOCS-REAL")
	// 7. rewrites before fallback.
	cfgGet(t, srv, cfgReq{path: "/docs/anything/else", host: canon, header: https}, http.StatusOK, "CFG-PREC-DOCS-SHELL")
	// 8. fallback before 404.
	cfgGet(t, srv, cfgReq{path: "/somewhere/else", host: canon, header: https}, http.StatusOK, "CFG-PREC-FALLBACK-SHELL")
	// 9. 404 last: a missing file with an extension.
	_, body = cfgGet(t, srv, cfgReq{path: "/missing.png", host: canon, header: https}, http.StatusNotFound, "")
	if strings.Contains(body, "CFG-PREC") {
		t.Errorf("GET /missing.png: got a page instead of the 404: %.200q", body)
	}
}
