package staticsite

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// site builds a small site with traps: dotfiles, config, links out.
func site(t testing.TB) string {
	t.Helper()
	root := writeSite(t, map[string]string{
		"index.html":                "home",
		"404.html":                  "custom not found",
		"about.html":                "about page",
		"sub/index.html":            "sub home",
		"noindex/a.txt":             "a",
		"app.webmanifest":           "{}",
		"font.woff2":                "font",
		"static.toml":               "root = 'public'",
		".env":                      "SECRET=1",
		".git/config":               "[core]",
		"sub/.hidden":               "hidden",
		".well-known/security.txt":  "contact",
		".well-known/.secret":       "nope",
		"../outside.txt":            "outside secret",
		"../outside-dir/passwd.txt": "outside secret dir",
	})
	for link, target := range map[string]string{
		"leak":     "../outside.txt",
		"leakdir":  "../outside-dir",
		"abs":      "/etc/passwd",
		"loop":     "loop",
		"inside":   "about.html",
		"sub/up":   "../index.html",
		"sub/dir2": "../noindex",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func newHandler(t *testing.T, h Handler) *Handler {
	t.Helper()
	if err := h.setup(nil); err != nil {
		t.Fatal(err)
	}
	if err := h.Validate(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Cleanup() })
	return &h
}

func TestServeHTTP(t *testing.T) {
	h := newHandler(t, Handler{Root: site(t), NotFound: "404.html", Hide: []string{"static.toml", "static.json"}, CleanURLs: true})
	tests := []struct {
		method, target string
		status         int
		body, location string
		contentType    string
	}{
		{"GET", "/", 200, "home", "", "text/html; charset=utf-8"},
		{"HEAD", "/", 200, "", "", "text/html; charset=utf-8"},
		{"GET", "/about.html", 301, "", "/about", ""},
		{"GET", "/index.html", 301, "", "/", ""},
		{"GET", "/sub/index.html", 301, "", "/sub/", ""},
		{"GET", "/about/", 301, "", "/about", ""},
		{"GET", "/about", 200, "about page", "", ""},
		{"GET", "/sub", 301, "", "/sub/", ""},
		{"GET", "/sub?x=1&y=2", 301, "", "/sub/?x=1&y=2", ""},
		{"GET", "//sub", 301, "", "/sub/", ""},
		{"GET", "/sub/", 200, "sub home", "", ""},
		{"GET", "/sub//", 200, "sub home", "", ""},
		{"GET", "/about.html/", 404, "custom not found", "", ""},
		{"GET", "/noindex", 404, "custom not found", "", ""},
		{"GET", "/noindex/", 404, "custom not found", "", ""},
		{"GET", "/app.webmanifest", 200, "{}", "", "application/manifest+json"},
		{"GET", "/font.woff2", 200, "font", "", "font/woff2"},
		{"GET", "/.well-known/security.txt", 200, "contact", "", "text/plain; charset=utf-8"},
		{"GET", "/sub/up.html", 404, "custom not found", "", ""},
		{"GET", "/inside", 200, "about page", "", ""},
		{"GET", "/sub/up", 200, "home", "", ""},
		{"GET", "/sub/dir2/a.txt", 200, "a", "", ""},
		{"POST", "/", 405, "", "", ""},
		{"DELETE", "/", 405, "", "", ""},
		{"TRACE", "/", 405, "", "", ""},
	}
	blocked := []string{
		"/static.toml", "/static.json", "/.env", "/.git/config", "/sub/.hidden", "/.well-known/.secret",
		"/leak", "/leakdir/passwd.txt", "/abs", "/loop", "/../outside.txt", "/sub/../../outside.txt",
		"/..", "/.", "/a\\..\\..\\outside.txt", "/index.html\x00.txt", "/nope", "/nope/",
		"/.well-known/", "/sub/.", "/.ENV",
	}
	for _, p := range blocked {
		tests = append(tests, struct {
			method, target string
			status         int
			body, location string
			contentType    string
		}{"GET", p, 404, "custom not found", "", "text/html; charset=utf-8"})
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "/", nil)
			r.URL.Path, r.URL.RawQuery, _ = strings.Cut(tt.target, "?")
			w := httptest.NewRecorder()
			if err := h.ServeHTTP(w, r, nil); err != nil {
				t.Fatal(err)
			}
			if w.Code != tt.status {
				t.Fatalf("status %d, want %d (body %q)", w.Code, tt.status, w.Body)
			}
			if tt.method == "GET" && tt.body != "" && w.Body.String() != tt.body {
				t.Errorf("body %q, want %q", w.Body, tt.body)
			}
			if strings.Contains(w.Body.String(), "secret") {
				t.Errorf("leaked %q", w.Body)
			}
			if got := w.Header().Get("Location"); got != tt.location {
				t.Errorf("Location %q, want %q", got, tt.location)
			}
			if tt.contentType != "" && w.Header().Get("Content-Type") != tt.contentType {
				t.Errorf("Content-Type %q, want %q", w.Header().Get("Content-Type"), tt.contentType)
			}
			if tt.status == 405 && w.Header().Get("Allow") != "GET, HEAD" {
				t.Errorf("Allow %q", w.Header().Get("Allow"))
			}
			if tt.status == 404 && w.Header().Get("Cache-Control") != "no-store" {
				t.Errorf("404 Cache-Control %q", w.Header().Get("Cache-Control"))
			}
		})
	}
}

func TestPlainNotFoundWithoutPage(t *testing.T) {
	h := newHandler(t, Handler{Root: site(t)})
	w := httptest.NewRecorder()
	if err := h.ServeHTTP(w, httptest.NewRequest("GET", "/missing", nil), nil); err != nil {
		t.Fatal(err)
	}
	if w.Code != 404 || !strings.Contains(w.Body.String(), "404") {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
	// Without clean URLs, /about is not about.html.
	w = httptest.NewRecorder()
	_ = h.ServeHTTP(w, httptest.NewRequest("GET", "/about", nil), nil)
	if w.Code != 404 {
		t.Fatalf("/about without clean_urls: %d", w.Code)
	}
}

func TestRangeRequest(t *testing.T) {
	h := newHandler(t, Handler{Root: site(t)})
	r := httptest.NewRequest("GET", "/about.html", nil)
	r.Header.Set("Range", "bytes=0-4")
	w := httptest.NewRecorder()
	_ = h.ServeHTTP(w, r, nil)
	if w.Code != http.StatusPartialContent || w.Body.String() != "about" {
		t.Fatalf("got %d %q", w.Code, w.Body)
	}
}

func TestValidateMissingNotFoundPage(t *testing.T) {
	h := Handler{Root: site(t), NotFound: "missing.html"}
	if err := h.setup(nil); err != nil {
		t.Fatal(err)
	}
	if err := h.Validate(); err == nil || !strings.Contains(err.Error(), "missing.html") {
		t.Fatalf("Validate() = %v", err)
	}
}

func FuzzServePath(f *testing.F) {
	for _, s := range []string{"/", "/../outside.txt", "/.env", "/leak", "/sub/../..", "/%2e%2e/", "//x", "/.well-known/../.env", "/a\\b"} {
		f.Add(s)
	}
	root := site(f)
	f.Fuzz(func(t *testing.T, p string) {
		h := Handler{Root: root, NotFound: "404.html", Hide: []string{"static.toml"}}
		if err := h.setup(nil); err != nil {
			t.Fatal(err)
		}
		defer h.Cleanup() //nolint:errcheck
		r := httptest.NewRequest("GET", "/", nil)
		r.URL.Path = p
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, r, nil); err != nil {
			t.Fatal(err)
		}
		body := w.Body.String()
		if strings.Contains(body, "secret") || strings.Contains(body, "SECRET") || strings.Contains(body, "[core]") || strings.Contains(body, "root:") {
			t.Fatalf("%q leaked %q", p, body)
		}
		if w.Code >= 500 {
			t.Fatalf("%q: status %d", p, w.Code)
		}
		if loc := w.Header().Get("Location"); loc != "" && (!strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//")) {
			t.Fatalf("%q: open redirect to %q", p, loc)
		}
	})
}

func TestHideGlobs(t *testing.T) {
	root := site(t)
	for _, f := range []string{"app.js.map", "assets/x.css.map", "drafts/post.html"} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("private"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := newHandler(t, Handler{Root: root, CleanURLs: true, HideGlobs: []string{"/**/*.map", "/drafts/**", "/about.html"}})
	for target, want := range map[string]int{
		// inside links to the hidden about.html: a link to a file that is
		// never served is not served either.
		"/about.html": 404, "/about": 404, "/inside": 404,
		"/app.js.map": 404, "/assets/x.css.map": 404, "/drafts/post.html": 404, "/drafts/post": 404, "/drafts/": 404,
	} {
		w := httptest.NewRecorder()
		_ = h.ServeHTTP(w, httptest.NewRequest("GET", target, nil), nil)
		if w.Code != want || (want == 404 && strings.Contains(w.Body.String(), "private")) {
			t.Errorf("GET %s: %d %q, want %d", target, w.Code, w.Body, want)
		}
	}
}
