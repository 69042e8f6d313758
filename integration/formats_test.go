package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// A Netlify / Cloudflare Pages site whose root holds _redirects and
// _headers (the platforms' documented examples): the build reads both,
// logs their static.toml equivalent, never serves them, and the site
// answers as the rules say, conditions included, with the headers a real
// CDN sends (Cloudflare's CF-IPCountry, a browser's Accept-Language).
func TestFormatNetlifyFiles(t *testing.T) {
	up := newCfgUpstream(t)
	ws := newWorkspace(t, "fmt-netlify")
	appendFile(t, filepath.Join(ws.AppDir, "public", "_redirects"),
		"\n# Proxying to another site (Netlify's \"Rewrites and proxies\")\n/api/*  "+up.URL+"/v1/:splat  200\n")
	detect(t, ws)
	out := build(t, ws)
	for _, want := range []string{
		"Rules: _redirects and _headers in the root, applied before static.toml's (never served)",
		`from = "/store"`,
		`[headers."/static/**"]`,
		"a rule without a status (line 17) redirects with 301",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("build output lacks %q", want)
		}
	}
	srv := launch(t, ws, nil)
	get := func(r cfgReq, status int, body string) { t.Helper(); cfgGet(t, srv, r, status, body) }
	t.Run("never served", func(t *testing.T) {
		get(cfgReq{path: "/_redirects"}, 404, "FMT-NETLIFY-ROOT-404")
		get(cfgReq{path: "/_headers"}, 404, "FMT-NETLIFY-ROOT-404")
	})
	t.Run("redirects", func(t *testing.T) {
		cfgRedirect(t, srv, cfgReq{path: "/home"}, 301, "/")
		cfgRedirect(t, srv, cfgReq{path: "/my-redirect"}, 302, "/")
		cfgRedirect(t, srv, cfgReq{path: "/news/2024/launch"}, 301, "/blog/2024/launch")
		cfgRedirect(t, srv, cfgReq{path: "/news-archive/2024/01/02/hello"}, 301, "/blog/2024/01/02/hello")
	})
	t.Run("query parameters", func(t *testing.T) {
		// The query string is kept, as for every redirect here (a
		// migration note says so; Netlify drops the matched parameters).
		cfgRedirect(t, srv, cfgReq{path: "/store?id=42"}, 301, "/blog/42?id=42")
		get(cfgReq{path: "/store"}, 404, "FMT-NETLIFY-ROOT-404")
	})
	t.Run("rewrites and 404 pages", func(t *testing.T) {
		get(cfgReq{path: "/pass-through"}, 200, "FMT-NETLIFY-INDEX")
		get(cfgReq{path: "/ecommerce"}, 404, "FMT-NETLIFY-STORE-CLOSED")
		get(cfgReq{path: "/en/missing"}, 404, "FMT-NETLIFY-EN-404")
		get(cfgReq{path: "/en/"}, 200, "FMT-NETLIFY-EN-INDEX")
	})
	t.Run("shadowing and force", func(t *testing.T) {
		get(cfgReq{path: "/shadowed"}, 200, "FMT-NETLIFY-SHADOWED-FILE")
		get(cfgReq{path: "/app/real"}, 200, "FMT-NETLIFY-APP-SHELL")
	})
	t.Run("country and language", func(t *testing.T) {
		cfgRedirect(t, srv, cfgReq{path: "/", header: map[string]string{"CF-IPCountry": "AU"}}, 302, "/anz")
		cfgRedirect(t, srv, cfgReq{path: "/", header: map[string]string{"CF-IPCountry": "nz"}}, 302, "/anz")
		get(cfgReq{path: "/", header: map[string]string{"CF-IPCountry": "FR"}}, 200, "FMT-NETLIFY-INDEX")
		get(cfgReq{path: "/"}, 200, "FMT-NETLIFY-INDEX")
		cfgRedirect(t, srv, cfgReq{path: "/china/about", header: map[string]string{"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"}}, 302, "/china/zh-cn/about")
		get(cfgReq{path: "/china/about", header: map[string]string{"Accept-Language": "en-US,en;q=0.9"}}, 404, "")
	})
	t.Run("proxy", func(t *testing.T) {
		get(cfgReq{path: "/api/users?page=2"}, 200, "")
		if seen := up.last(t); seen.Path != "/v1/users" || seen.Query != "page=2" {
			t.Errorf("the origin saw %s?%s, want /v1/users?page=2", seen.Path, seen.Query)
		}
	})
	t.Run("headers", func(t *testing.T) {
		resp, _ := cfgGet(t, srv, cfgReq{path: "/secure/page"}, 200, "FMT-NETLIFY-SECURE")
		cfgHeader(t, "/secure/page", resp, "Referrer-Policy", "no-referrer")
		resp, _ = cfgGet(t, srv, cfgReq{path: "/static/logo.txt"}, 200, "FMT-NETLIFY-STATIC")
		cfgHeader(t, "/static/logo.txt", resp, "Access-Control-Allow-Origin", "*")
		cfgHeader(t, "/static/logo.txt", resp, "X-Robots-Tag", "nosnippet")
		cfgHeader(t, "/static/logo.txt", resp, "Cache-Control", "max-age=0, no-cache")
		resp, _ = cfgGet(t, srv, cfgReq{path: "/movies/alien"}, 200, "FMT-NETLIFY-MOVIE")
		cfgHeader(t, "/movies/alien", resp, "X-Robots-Tag", "noindex")
		resp, _ = cfgGet(t, srv, cfgReq{path: "/images/photo.jpg"}, 200, "FMT-NETLIFY-JPEG")
		cfgNoHeader(t, "/images/photo.jpg", resp, "Content-Security-Policy")
		resp, _ = cfgGet(t, srv, cfgReq{path: "/"}, 200, "FMT-NETLIFY-INDEX")
		if resp.Header.Get("Content-Security-Policy") == "" {
			t.Error("/: the default policy is gone, want it removed on *.jpg only")
		}
	})
}

// A rule the server cannot honour fails the build with the file, the line
// and the reason; no image is made.
func TestFormatNetlifyFilesRefused(t *testing.T) {
	ws := newWorkspace(t, "fmt-netlify")
	appendFile(t, filepath.Join(ws.AppDir, "public", "_redirects"), "/admin/*  /admin/:splat  200!  Role=admin\n")
	appendFile(t, filepath.Join(ws.AppDir, "public", "_headers"), "/private/*\n  Basic-Auth: someuser:somepassword\n")
	detect(t, ws)
	out := buildFails(t, ws)
	for _, want := range []string{
		"_redirects:34:1: Role= matches the roles of a Netlify Identity token, which this server does not read (protect the paths with [basic_auth]",
		"_headers:23:1: Basic-Auth holds plain-text passwords",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("build output lacks %q", want)
		}
	}
}

// vercel.json, firebase.json and netlify.toml: `static-server migrate` on
// the app writes static.toml, and the image built from it answers as the
// platform's documented rules say.
func TestFormatMigrateThenBuild(t *testing.T) {
	t.Run("vercel", func(t *testing.T) {
		srv, out := migrateAndLaunch(t, "fmt-vercel")
		if !strings.Contains(out, `NOT MIGRATED: vercel.json:10:1`) {
			t.Errorf("the migration does not name the rule it left out:\n%s", out)
		}
		cfgRedirect(t, srv, cfgReq{path: "/me"}, 308, "/profile.html")
		cfgRedirect(t, srv, cfgReq{path: "/user"}, 307, "/api/user")
		cfgRedirect(t, srv, cfgReq{path: "/view-source"}, 308, "https://github.com/vercel/vercel")
		cfgRedirect(t, srv, cfgReq{path: "/blog/hello"}, 308, "/news/hello")
		cfgRedirect(t, srv, cfgReq{path: "/shop/shoes", header: map[string]string{"x-vercel-ip-country": "GB"}}, 307, "/uk/shop/shoes")
		cfgGet(t, srv, cfgReq{path: "/shop/shoes"}, 200, "FMT-VERCEL-INDEX")
		cfgGet(t, srv, cfgReq{path: "/about"}, 200, "FMT-VERCEL-ABOUT")
		cfgGet(t, srv, cfgReq{path: "/some/client/route"}, 200, "FMT-VERCEL-INDEX")
		cfgRedirect(t, srv, cfgReq{path: "/profile/"}, 301, "/profile")
		resp, _ := cfgGet(t, srv, cfgReq{path: "/service-worker.js"}, 200, "addEventListener")
		cfgHeader(t, "/service-worker.js", resp, "Cache-Control", "public, max-age=0, must-revalidate")
		resp, _ = cfgGet(t, srv, cfgReq{path: "/"}, 200, "FMT-VERCEL-INDEX")
		cfgHeader(t, "/", resp, "X-XSS-Protection", "1; mode=block")
	})
	t.Run("firebase", func(t *testing.T) {
		srv, out := migrateAndLaunch(t, "fmt-firebase")
		if !strings.Contains(out, "NOT MIGRATED: firebase.json:14:1: a rewrite to a Cloud Function") {
			t.Errorf("the migration does not name the rule it left out:\n%s", out)
		}
		cfgRedirect(t, srv, cfgReq{path: "/foo"}, 301, "/bar")
		cfgRedirect(t, srv, cfgReq{path: "/firebase/docs"}, 302, "https://firebase.google.com/")
		cfgRedirect(t, srv, cfgReq{path: "/blog/2024/hello"}, 301, "https://blog.myapp.com/2024/hello")
		cfgRedirect(t, srv, cfgReq{path: "/users/7/profile"}, 301, "/users/7/newProfile")
		cfgGet(t, srv, cfgReq{path: "/users/7/newProfile"}, 200, "FMT-FIREBASE-PROFILE")
		cfgRedirect(t, srv, cfgReq{path: "/bar.html"}, 301, "/bar")
		cfgGet(t, srv, cfgReq{path: "/some/client/route"}, 200, "FMT-FIREBASE-INDEX")
		resp, _ := cfgGet(t, srv, cfgReq{path: "/logo.png"}, 200, "FMT-FIREBASE-PNG")
		cfgHeader(t, "/logo.png", resp, "Cache-Control", "max-age=7200")
		resp, _ = cfgGet(t, srv, cfgReq{path: "/fonts/site.woff"}, 200, "FMT-FIREBASE-FONT")
		cfgHeader(t, "/fonts/site.woff", resp, "Access-Control-Allow-Origin", "*")
	})
	t.Run("netlify.toml", func(t *testing.T) {
		srv, out := migrateAndLaunch(t, "fmt-netlify-toml")
		if !strings.Contains(out, "NOT MIGRATED: netlify.toml: build.command") {
			t.Errorf("the migration does not name the key it left out:\n%s", out)
		}
		both := map[string]string{"Accept-Language": "en-US,en;q=0.9", "CF-IPCountry": "US"}
		cfgRedirect(t, srv, cfgReq{path: "/old-path?path=x", header: both}, 301, "/new-path?path=x")
		cfgGet(t, srv, cfgReq{path: "/old-path?path=x", header: map[string]string{"Accept-Language": "en"}}, 200, "FMT-NETLIFY-TOML-INDEX")
		cfgRedirect(t, srv, cfgReq{path: "/news"}, 301, "/new-path")
		cfgGet(t, srv, cfgReq{path: "/some/client/route"}, 200, "FMT-NETLIFY-TOML-INDEX")
		resp, _ := cfgGet(t, srv, cfgReq{path: "/"}, 200, "FMT-NETLIFY-TOML-INDEX")
		cfgHeader(t, "/", resp, "Content-Security-Policy", "frame-ancestors https://www.facebook.com")
		cfgHeader(t, "/", resp, "Cache-Control", "max-age=0, no-cache, no-store, must-revalidate")
	})
}

// migrateAndLaunch runs `static-server migrate` (the buildpack's own
// binary, as an author would) on a copy of fixture, writes static.toml
// next to the platform's file, builds and launches the image. It returns
// the server and the static.toml written.
func migrateAndLaunch(t *testing.T, fixture string) (*lifecycle.Server, string) {
	t.Helper()
	ws := newWorkspace(t, fixture)
	bin, err := filepath.Abs(filepath.Join("..", "bin", "static-server"))
	if err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(ws.AppDir, "static.toml")
	cmd := exec.Command(bin, "migrate", ws.AppDir, "-o", target)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("static-server migrate: %v\n%s", err, msg)
	}
	written, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	logOnFailure(t, "static.toml", string(written))
	detect(t, ws)
	build(t, ws)
	return launch(t, ws, nil), string(written)
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
