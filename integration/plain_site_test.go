package integration

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// A site with index.html in the app directory and no configuration is served
// as it is, with the hardened headers on every response.
func TestPlainSite(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t, "plain")

	detectOut := detect(t, ws)
	if !strings.Contains(detectOut, "index.html") {
		t.Errorf("detect output does not say why it passed (no mention of index.html):\n%s", detectOut)
	}

	buildOut := build(t, ws)
	// The author is told which directory is served: here, the app directory.
	rootLine := regexp.MustCompile(`(?im)^.*\broot\b.*$`).FindString(buildOut)
	if rootLine == "" {
		t.Errorf("build output does not say which directory is served (no line mentions the root):\n%s", buildOut)
	} else if !regexp.MustCompile(`(?i)app directory|app dir|\s\.(\s|$)|\./`).MatchString(rootLine) {
		t.Errorf("build output's root line does not name the app directory: %q", rootLine)
	}
	// The log reads like a Paketo buildpack's: a title with the version,
	// indented steps, what was decided and why, the security posture.
	for _, want := range []string{
		"Hardened Static Site Buildpack 0.1.0\n  Config: none (no static.toml; using the hardened defaults)\n",
		"  Root: the app directory (index.html exists in the app directory)\n",
		"  Security posture: 6 of 6 Observatory-graded headers strong",
		"    ok  Strict-Transport-Security: max-age=63072000 (730 days)\n",
		"  404 page: 404.html\n",
		"  Process web: static-server serve (listens on $PORT, default 8080)\n",
	} {
		if !strings.Contains(buildOut, want) {
			t.Errorf("build output lacks %q:\n%s", want, buildOut)
		}
	}
	if !regexp.MustCompile(`(?m)^  Done in \d+(\.\d+)?(ms|s)$`).MatchString(buildOut) {
		t.Errorf("build output does not end with the build's duration:\n%s", buildOut)
	}
	procs, err := ws.Processes()
	if err != nil {
		t.Fatal(err)
	}
	var web bool
	for _, p := range procs {
		if p.Type == "web" {
			web = true
			if !p.Default {
				t.Errorf("the web process is not the default process: %+v", p)
			}
		}
	}
	if !web {
		t.Fatalf("the build declared no web process: %+v", procs)
	}

	srv := launch(t, ws, nil)

	t.Run("pages", func(t *testing.T) {
		for _, c := range []struct {
			path, want, contentType string
		}{
			{"/", "PLAIN-SITE-HOME", "text/html"},
			{"/css/site.css", "PLAIN-SITE-CSS", "text/css"},
			{"/js/app.js", "PLAIN-SITE-JS", "javascript"},
			{"/subdir/", "PLAIN-SITE-SUBDIR", "text/html"},
			{"/noindex/notes.txt", "PLAIN-SITE-NOINDEX-FILE", "text/plain"},
			{"/.well-known/security.txt", "Contact: mailto:security@example.com", "text/plain"},
		} {
			resp, body := get(t, srv, c.path)
			expectStatus(t, c.path, resp, body, http.StatusOK, c.want)
			if ct := resp.Header.Get("Content-Type"); !strings.Contains(ct, c.contentType) {
				t.Errorf("GET %s: Content-Type %q, want one containing %q", c.path, ct, c.contentType)
			}
		}
	})

	t.Run("index.html is the home page", func(t *testing.T) {
		expectIndex(t, srv, "/index.html", "/", "PLAIN-SITE-HOME")
		expectIndex(t, srv, "/subdir/index.html", "/subdir/", "PLAIN-SITE-SUBDIR")
	})

	t.Run("headers on 200", func(t *testing.T) {
		resp, body := get(t, srv, "/")
		expectStatus(t, "/", resp, body, http.StatusOK, "PLAIN-SITE-HOME")
		checkDefaultHeaders(t, "GET / (200)", resp.Header)
		resp, _ = get(t, srv, "/css/site.css")
		checkDefaultHeaders(t, "GET /css/site.css (200)", resp.Header)
	})

	t.Run("directory without slash redirects", func(t *testing.T) {
		resp, body := get(t, srv, "/subdir")
		switch resp.StatusCode {
		case http.StatusMovedPermanently, http.StatusFound, http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		default:
			t.Fatalf("GET /subdir: status %d, want a redirect to /subdir/; body: %.200q", resp.StatusCode, body)
		}
		loc := resp.Header.Get("Location")
		if loc != "/subdir/" && !strings.HasSuffix(loc, "://"+strings.TrimPrefix(srv.URL, "http://")+"/subdir/") {
			t.Errorf("GET /subdir: Location %q, want /subdir/", loc)
		}
		checkDefaultHeaders(t, "GET /subdir (redirect)", resp.Header)
	})

	t.Run("404 page", func(t *testing.T) {
		for _, p := range []string{"/no-such-page", "/no/such/dir/", "/css/missing.css"} {
			resp, body := get(t, srv, p)
			expectStatus(t, p, resp, body, http.StatusNotFound, "PLAIN-SITE-NOT-FOUND-PAGE")
			checkDefaultHeaders(t, "GET "+p+" (404)", resp.Header)
		}
	})

	t.Run("directory without index.html is not listed", func(t *testing.T) {
		resp, body := get(t, srv, "/noindex/")
		expectStatus(t, "/noindex/", resp, body, http.StatusNotFound, "PLAIN-SITE-NOT-FOUND-PAGE")
		if strings.Contains(body, "notes.txt") {
			t.Errorf("GET /noindex/: the body lists the directory: %.300q", body)
		}
		// Without the slash, a redirect to /noindex/ is acceptable too.
		resp, body = get(t, srv, "/noindex")
		if resp.StatusCode != http.StatusNotFound && (resp.StatusCode < 300 || resp.StatusCode > 399) {
			t.Errorf("GET /noindex: status %d, want 404 or a redirect; body: %.200q", resp.StatusCode, body)
		}
		if strings.Contains(body, "notes.txt") {
			t.Errorf("GET /noindex: the body lists the directory: %.300q", body)
		}
	})
}
