package integration

// Every way around basic_auth.paths, hide and the dotfile rule that an
// attacker found on an earlier version (raw and encoded dot segments on
// proxied routes, links inside the root, rewrites and the fallback), and
// the variants around them. Each request is sent byte for byte.

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// bypassProbe is one hostile request and what it must get.
type bypassProbe struct {
	method, target string
	status         int
}

func TestAuthAndHideCannotBeBypassed(t *testing.T) {
	t.Parallel()
	up := newCfgUpstream(t)
	ws := newWorkspace(t, "sec-bypass")
	pub := filepath.Join(ws.AppDir, "public")
	writeFile(t, filepath.Join(pub, ".env"), "API_KEY=SECRET-BYPASS-DOTENV\n")
	writeFile(t, filepath.Join(pub, ".git", "config"), "[remote]\n\turl = https://SECRET-BYPASS-GIT@example.com\n")
	writeFile(t, filepath.Join(pub, "id_rsa"), "-----BEGIN OPENSSH PRIVATE KEY-----\nSECRET-BYPASS-KEY\n-----END OPENSSH PRIVATE KEY-----\n")
	for link, target := range map[string]string{
		"env.txt":  ".env",
		"gitdir":   ".git",
		"key.txt":  "id_rsa",
		"preview":  "drafts",
		"priv2":    "private",
		"notes":    "private/notes.txt",
		"sub/deep": "../private",
	} {
		if strings.Contains(link, "/") {
			writeFile(t, filepath.Join(pub, filepath.Dir(link), "keep.txt"), "x")
		}
		symlink(t, target, filepath.Join(pub, link))
	}
	detect(t, ws)
	out := build(t, ws)
	expectOutput(t, "the build log", out,
		"env.txt: a link to .env, which is never served (a dotfile or dot-directory)",
		"gitdir: a link to .git, which is never served (a dotfile or dot-directory)",
		"key.txt: an SSH private key (id_rsa). Not served: hidden by the build",
		"preview: a link to drafts, which is never served (hidden by hide = /drafts/**)",
		"priv2/index.html: a link to the protected private/index.html from a path basic auth does not protect",
		"notes: a link to the protected private/notes.txt from a path basic auth does not protect",
		"id_rsa: an SSH private key (id_rsa). Not served: hidden by the build",
	)
	users := "alice:" + cfgHash(t, "correct horse")
	srv := launch(t, ws, map[string]string{"API_ORIGIN": up.URL, "BASIC_AUTH_USERS": users})

	probes := []bypassProbe{
		// Observation 1: the auth matcher, the router and the proxy's
		// upstream path saw different forms of the path.
		{"POST", "/graphql", 401},
		{"POST", "/x/../graphql", 400},
		{"POST", "/graphql/.", 400},
		{"POST", "/graphql/", 405}, // not the proxy's path: the site's own 405
		{"POST", "//graphql", 401},
		{"POST", "/%67raphql", 401},
		{"GET", "/api/admin/users", 401},
		{"GET", "/api/./admin/users", 400},
		{"GET", "/api/%2e/admin/users", 400},
		{"GET", "/api/%2E/admin/users", 400},
		{"GET", "/api/x/../admin/users", 400},
		{"GET", "/api/x/%2e%2e/admin/users", 400},
		{"GET", "/api/x%2f..%2fadmin/users", 400},
		{"GET", "/api//admin/users", 401},
		{"GET", "/api/admin%2fusers", 401},
		{"GET", "/api/admin/users/", 401},
		{"HEAD", "/api/admin/users", 401},
		{"DELETE", "/api/admin/users", 401},
		{"GET", "/api/%2e%2e/api/x", 400},
		{"GET", "/api/..%2f..%2fetc/passwd", 400},
		{"GET", "/api/admin\\users", 400},
		// Observation 2: links inside the root.
		{"GET", "/env.txt", 404},
		{"GET", "/gitdir/config", 404},
		{"GET", "/key.txt", 404},
		{"GET", "/id_rsa", 404},
		{"GET", "/preview/post.html", 404},
		{"GET", "/preview/post", 404},
		{"GET", "/priv2/", 404},
		{"GET", "/priv2/index.html", 404},
		{"GET", "/notes", 404},
		{"GET", "/sub/deep/notes.txt", 404},
		{"GET", "/private/", 401},
		{"GET", "/private", 401},
		{"GET", "/private/index.html", 401},
		{"GET", "/private/notes.txt", 401},
		{"GET", "/Private/notes.txt", 404},
		{"GET", "/drafts/post.html", 401},
		// Observation 3: rewrites lead to protected files.
		{"GET", "/docs/page", 401},
		{"GET", "/docs/page.html", 401},
		{"GET", "/docs/%2e%2e/private/notes.txt", 400},
		{"GET", "/docs/%252e%252e/private/notes.txt", 404},
	}
	before := up.count()
	for _, p := range probes {
		resp, body := do(t, srv, request{raw: true, method: p.method, path: p.target,
			header: map[string]string{"Content-Type": "application/json"}, body: strings.NewReader(`{"query":"{ admin }"}`)})
		if resp.StatusCode != p.status {
			t.Errorf("%s %s: status %d, want %d; body %.200q", p.method, p.target, resp.StatusCode, p.status, body)
		}
		if strings.Contains(body, "SECRET-BYPASS") || strings.Contains(body, "SEC-BYPASS-PRIVATE") ||
			strings.Contains(body, "SEC-BYPASS-MANUAL") || strings.Contains(body, "SEC-BYPASS-DRAFT") {
			t.Errorf("%s %s: a protected or secret body was sent: %.200q", p.method, p.target, body)
		}
		checkDefaultHeaders(t, p.method+" "+p.target, resp.Header)
	}
	if n := up.count() - before; n != 0 {
		t.Errorf("the origin received %d requests without credentials (last: %+v)", n, up.last(t))
	}

	// With credentials: the same files, and the proxied path never leaves
	// the proxy's base path.
	for _, c := range []struct{ target, want string }{
		{"/docs/page", "SEC-BYPASS-MANUAL-PAGE"},
		{"/private/notes.txt", "SEC-BYPASS-PRIVATE-NOTES"},
		{"/private/", "SEC-BYPASS-PRIVATE"},
	} {
		resp, body := do(t, srv, request{raw: true, path: c.target, user: "alice", pass: "correct horse"})
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, c.want) {
			t.Errorf("GET %s as alice: %d %.200q, want 200 with %s", c.target, resp.StatusCode, body, c.want)
		}
	}
	resp, body := do(t, srv, request{raw: true, path: "/api//admin/users", user: "alice", pass: "correct horse"})
	if resp.StatusCode != http.StatusOK || up.last(t).Path != "/v1/admin/users" {
		t.Errorf("GET /api//admin/users as alice: %d %.200q; the origin saw %q, want /v1/admin/users", resp.StatusCode, body, up.last(t).Path)
	}
	// Files that only rules hide stay hidden with credentials too.
	for _, p := range []string{"/key.txt", "/env.txt", "/preview/post.html", "/priv2/"} {
		if resp, body := do(t, srv, request{raw: true, path: p, user: "alice", pass: "correct horse"}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s as alice: %d %.200q, want 404", p, resp.StatusCode, body)
		}
	}
}

// A fallback under a protected path is protected wherever it is served.
func TestProtectedFallback(t *testing.T) {
	t.Parallel()
	ws, _ := cfgBuilt(t, "sec-fallback-protected")
	srv := launch(t, ws, map[string]string{"BASIC_AUTH_USERS": "alice:" + cfgHash(t, "pw")})
	for _, p := range []string{"/some/route", "/dashboard", "/private/app.html", "/private/app"} {
		resp, body := rawGet(t, srv, p)
		if resp.StatusCode != http.StatusUnauthorized || strings.Contains(body, "SEC-FB-APP-SHELL") {
			t.Errorf("GET %s without credentials: %d %.200q, want 401 without the app shell", p, resp.StatusCode, body)
		}
		resp, body = do(t, srv, request{raw: true, path: p, user: "alice", pass: "pw"})
		if p == "/private/app.html" {
			if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/private/app" {
				t.Errorf("GET %s as alice: %d to %q, want 301 to its clean URL", p, resp.StatusCode, resp.Header.Get("Location"))
			}
			continue
		}
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, "SEC-FB-APP-SHELL") {
			t.Errorf("GET %s as alice: %d %.200q, want the app shell", p, resp.StatusCode, body)
		}
	}
	if resp, body := rawGet(t, srv, "/"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "SEC-FB-HOME") {
		t.Errorf("GET /: %d %.200q, want the public home page", resp.StatusCode, body)
	}
}

// The files the configuration names are checked the way the server opens
// them: a 404 page that is a link out of the root is dropped with a
// warning (the image still starts), a fallback that is one fails the build
// with the key and the reason, and no image that cannot start is produced.
func TestConfiguredFilesCheckedAsServed(t *testing.T) {
	t.Parallel()
	t.Run("404.html links out", func(t *testing.T) {
		t.Parallel()
		ws := newWorkspace(t, "plain")
		outside := filepath.Join(ws.Dir, "outside.html")
		writeFile(t, outside, "SECRET-OUTSIDE-404")
		_ = os.Remove(filepath.Join(ws.AppDir, "404.html"))
		symlink(t, outside, filepath.Join(ws.AppDir, "404.html"))
		detect(t, ws)
		out := build(t, ws)
		if !strings.Contains(out, "404.html is never served (a link that leaves the site root): 404s get a plain page") {
			t.Errorf("the build does not warn about the 404 page:\n%s", out)
		}
		srv := launch(t, ws, nil)
		resp, body := rawGet(t, srv, "/missing")
		if resp.StatusCode != http.StatusNotFound || strings.Contains(body, "SECRET-OUTSIDE") {
			t.Errorf("GET /missing: %d %.200q, want a plain 404", resp.StatusCode, body)
		}
	})
	t.Run("fallback links out", func(t *testing.T) {
		t.Parallel()
		ws := newWorkspace(t, "plain")
		outside := filepath.Join(ws.Dir, "shell.html")
		writeFile(t, outside, "SECRET-OUTSIDE-SHELL")
		symlink(t, outside, filepath.Join(ws.AppDir, "shell.html"))
		writeFile(t, filepath.Join(ws.AppDir, "static.toml"), "fallback = \"/shell.html\"\n")
		detect(t, ws)
		out := buildFails(t, ws)
		if !strings.Contains(out, `static.toml: fallback = "shell.html" is never served (a link that leaves the site root)`) {
			t.Errorf("the build error does not name the key and the reason:\n%s", out)
		}
		if strings.Contains(out, "SECRET-OUTSIDE") {
			t.Errorf("the build log shows the link target's content:\n%s", out)
		}
	})
}
