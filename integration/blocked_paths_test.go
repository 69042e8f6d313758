package integration

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Every secret in the fixtures contains this marker; no response may.
const secretMarker = "SECRET-"

// expectBlocked checks that a response is the site's 404 page, with the
// default headers, and gives nothing away.
func expectBlocked(t *testing.T, target string, resp *http.Response, body, notFoundPage string) {
	t.Helper()
	if hasDotSegment(target) {
		// The canonical request path refuses . and .. segments, raw or
		// percent-encoded, before any routing.
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s: status %d, want 400 (a dot segment); body: %.200q", target, resp.StatusCode, body)
		}
	} else if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET %s: status %d, want 404; body: %.200q", target, resp.StatusCode, body)
	} else if !strings.Contains(body, notFoundPage) {
		t.Errorf("GET %s: 404 without the site's 404 page (%s); body: %.200q", target, notFoundPage, body)
	}
	if strings.Contains(body, secretMarker) || strings.Contains(body, "root:x:0:0") {
		t.Errorf("GET %s: the body leaks a secret: %.300q", target, body)
	}
	if loc := resp.Header.Get("Location"); loc != "" {
		t.Errorf("GET %s: redirects to %q", target, loc)
	}
	checkDefaultHeaders(t, "GET "+target+" (blocked)", resp.Header)
}

// hasDotSegment reports whether a raw request target has a "." or ".."
// segment once percent-decoded (%2F decodes to a separator too).
func hasDotSegment(target string) bool {
	p, err := url.PathUnescape(strings.SplitN(target, "?", 2)[0])
	if err != nil {
		return false
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// Dotfiles, the site's own configuration, directory listings, symlinks that
// leave the root and path traversal all get the site's 404 page.
func TestBlockedPaths(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t, "blocked")

	// What git cannot hold is made in the workspace's copy of the app: a .git
	// directory, and symbolic links to absolute paths outside the app. The
	// targets are readable by the app's user, so only the server stands in
	// the way.
	writeFile(t, filepath.Join(ws.AppDir, ".git", "config"),
		"[remote \"origin\"]\n\turl = https://SECRET-GIT-CONFIG@example.com/site.git\n")
	writeFile(t, filepath.Join(ws.AppDir, ".git", "HEAD"), "ref: refs/heads/main\n")
	outside := filepath.Join(ws.Dir, "outside") // beside the app, outside it
	writeFile(t, filepath.Join(outside, "secret.txt"), "SECRET-OUTSIDE-APP\n")
	symlink(t, filepath.Join(outside, "secret.txt"), filepath.Join(ws.AppDir, "abs-leak.txt"))
	symlink(t, "../outside/secret.txt", filepath.Join(ws.AppDir, "rel-leak.txt"))
	symlink(t, outside, filepath.Join(ws.AppDir, "leakdir"))
	symlink(t, "/etc/passwd", filepath.Join(ws.AppDir, "passwd.txt"))
	symlink(t, "/etc", filepath.Join(ws.AppDir, "etc"))

	detect(t, ws)
	build(t, ws)
	srv := launch(t, ws, nil)
	const notFound = "BLOCKED-SITE-NOT-FOUND-PAGE"

	t.Run("served", func(t *testing.T) {
		for path, want := range map[string]string{
			"/":                         "BLOCKED-SITE-HOME",
			"/sub/visible.txt":          "BLOCKED-SITE-SUB-VISIBLE",
			"/.well-known/security.txt": "Contact: mailto:security@example.com",
		} {
			resp, body := get(t, srv, path)
			expectStatus(t, path, resp, body, http.StatusOK, want)
		}
	})

	t.Run("hidden files", func(t *testing.T) {
		for _, p := range []string{
			"/.env", "/.htpasswd", "/.git/config", "/.git/HEAD", "/.git/", "/.git",
			"/sub/.hidden", "/static.toml", "/static.json",
		} {
			resp, body := get(t, srv, p)
			expectBlocked(t, p, resp, body, notFound)
		}
	})

	t.Run("directory without index.html", func(t *testing.T) {
		resp, body := get(t, srv, "/noindex/")
		expectBlocked(t, "/noindex/", resp, body, notFound)
	})

	t.Run("symlinks leaving the root", func(t *testing.T) {
		for _, p := range []string{
			"/abs-leak.txt", "/rel-leak.txt", "/leakdir/secret.txt", "/leakdir/", "/passwd.txt", "/etc/passwd", "/etc/",
		} {
			resp, body := get(t, srv, p)
			expectBlocked(t, p, resp, body, notFound)
		}
	})

	// Sent byte for byte: an HTTP client would clean or escape these.
	t.Run("traversal and encoded names", func(t *testing.T) {
		for _, p := range []string{
			"/../../etc/passwd",
			"/../outside/secret.txt",
			"/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
			"/%2E%2E/outside/secret.txt",
			"/.%2e/.%2e/.%2e/etc/passwd",
			"/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
			"/..%2f..%2f..%2fetc%2fpasswd",
			"/sub/..%2f..%2foutside%2fsecret.txt",
			"/sub/%2e%2e/%2e%2e/outside/secret.txt",
			"/%2eenv",
			"/sub/%2ehidden",
			"/sub/../.env",
			"/./static.toml",
			"//static.toml",
			"/index.html/../static.json",
			"/static%2etoml",
			"/.git%2fconfig",
		} {
			resp, body := rawGet(t, srv, p)
			expectBlocked(t, p, resp, body, notFound)
		}
	})
}

// Relative symbolic links committed inside the served root that lead out of
// it, to a file or a directory elsewhere in the app, are not followed.
func TestSymlinksOutsideRoot(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t, "symlinks")
	for _, l := range []string{"public/leak.txt", "public/leakdir"} {
		if fi, err := os.Lstat(filepath.Join(ws.AppDir, l)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
			t.Fatalf("fixture %s is not a symbolic link in the workspace (was the repository checked out without symlinks?)", l)
		}
	}
	detect(t, ws)
	build(t, ws)
	srv := launch(t, ws, nil)
	const notFound = "SYMLINKS-SITE-NOT-FOUND-PAGE"

	resp, body := get(t, srv, "/")
	expectStatus(t, "/", resp, body, http.StatusOK, "SYMLINKS-SITE-HOME")
	for _, p := range []string{"/leak.txt", "/leakdir/", "/leakdir/key.txt", "/leakdir", "/secret.txt", "/static.toml", "/private/key.txt"} {
		resp, body := get(t, srv, p)
		expectBlocked(t, p, resp, body, notFound)
	}
	for _, p := range []string{"/../secret.txt", "/%2e%2e/secret.txt", "/..%2fprivate%2fkey.txt", "/../static.toml"} {
		resp, body := rawGet(t, srv, p)
		expectBlocked(t, p, resp, body, notFound)
	}
}
