package integration

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hardstatic/buildpack/integration/engine"
	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// testBehindVarnish serves testdata/cdn from an image built with pack, with
// Varnish (examples/cdn/varnish.vcl) in front as the shared cache a CDN is,
// and checks what the cache makes of the image's headers: fingerprinted
// assets come from the cache, HTML is revalidated with the origin (304 thanks
// to the ETag), Vary keeps brotli from gzip-only clients, 404s and
// authenticated responses are not stored, and after a rebuild with a changed
// page the page is fresh while the unchanged assets stay cached.
func testBehindVarnish(t *testing.T, env *engineEnv) {
	varnishd, err := exec.LookPath("varnishd")
	if err != nil {
		if os.Getenv("CI") == "" {
			t.Skip("varnishd not found (apt-get install varnish)")
		}
		t.Fatal("varnishd not found in CI: .ci/run installs the varnish package")
	}
	app := filepath.Join(t.TempDir(), "cdn-site")
	if err := lifecycle.CopyTree(filepath.Join(env.root, "integration", "testdata", "cdn"), app); err != nil {
		t.Fatal(err)
	}
	build := func() {
		t.Helper()
		out := env.run(t, "pack", "build", "cdn-site", "--path", app, "--builder", engine.BuilderImage, "--trust-builder", "--docker-host", "inherit", "--pull-policy", "never", "--no-color")
		if !strings.Contains(out, "Successfully built image 'cdn-site'") {
			t.Fatalf("pack build cdn-site:\n%s", out)
		}
	}
	build()
	port := freePort(t)
	users := "BASIC_AUTH_USERS=alice:" + cfgHash(t, "s3cret")
	origin := env.dockerRun(t, "hardstatic-cdn-origin", port, "cdn-site", "--env", users)
	cdn := startVarnish(t, varnishd, filepath.Join(env.root, "examples", "cdn", "varnish.vcl"), port)

	const (
		js  = "/assets/app.5d41402a.js"
		css = "/assets/site.3f9a1c2b.css"
	)
	t.Run("fingerprinted assets come from the cache", func(t *testing.T) {
		firstResp, firstBody := doAt(t, cdn, request{path: js})
		expectStatus(t, js, firstResp, firstBody, http.StatusOK, "CDN-ASSET-APP-JS")
		cfgHeader(t, "GET "+js, firstResp, "Cache-Control", "public, max-age=31536000, immutable")
		secondResp, secondBody := doAt(t, cdn, request{path: js})
		expectStatus(t, js, secondResp, secondBody, http.StatusOK, "CDN-ASSET-APP-JS")
		if got := secondResp.Header.Get("X-Cache"); got != "HIT" {
			t.Errorf("GET %s again: X-Cache %q, want HIT (served from the cache)", js, got)
		}
		if secondBody != firstBody {
			t.Errorf("GET %s: the cached body differs from the origin's", js)
		}
		if n := originRequests(t, env, origin, js, 0); n != 1 {
			t.Errorf("the origin served %s %d times for two requests, want 1", js, n)
		}
	})

	t.Run("HTML is revalidated with the ETag", func(t *testing.T) {
		firstResp, firstBody := doAt(t, cdn, request{path: "/"})
		expectStatus(t, "/", firstResp, firstBody, http.StatusOK, "CDN-HOME-V1")
		cfgHeader(t, "GET /", firstResp, "Cache-Control", "no-cache")
		if firstResp.Header.Get("ETag") == "" {
			t.Fatalf("GET /: no ETag: %v", firstResp.Header)
		}
		checkDefaultHeaders(t, "GET / through Varnish", firstResp.Header)
		secondResp, secondBody := doAt(t, cdn, request{path: "/"})
		expectStatus(t, "/", secondResp, secondBody, http.StatusOK, "CDN-HOME-V1")
		if got := secondResp.Header.Get("X-Cache-Revalidated"); got != "304" {
			t.Errorf("GET / again: X-Cache-Revalidated %q, want 304 (the origin confirmed the stored copy)", got)
		}
		if n := originRequests(t, env, origin, "/", http.StatusNotModified); n < 1 {
			t.Errorf("the origin's access log shows no 304 for / (Varnish did not revalidate)")
		}
		if secondResp.Header.Get("ETag") != firstResp.Header.Get("ETag") {
			t.Errorf("GET / again: ETag %q, want %q", secondResp.Header.Get("ETag"), firstResp.Header.Get("ETag"))
		}
	})

	t.Run("Vary keeps brotli from gzip-only clients", func(t *testing.T) {
		for range 2 {
			brResp, _ := doAt(t, cdn, request{path: css, header: map[string]string{"Accept-Encoding": "br"}})
			if brResp.StatusCode != http.StatusOK || brResp.Header.Get("Content-Encoding") != "br" {
				t.Fatalf("GET %s (Accept-Encoding: br): %d, Content-Encoding %q", css, brResp.StatusCode, brResp.Header.Get("Content-Encoding"))
			}
			if !strings.Contains(brResp.Header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("GET %s: Vary %q lacks Accept-Encoding", css, brResp.Header.Get("Vary"))
			}
		}
		gzResp, gzBody := doAt(t, cdn, request{path: css, header: map[string]string{"Accept-Encoding": "gzip"}})
		if enc := gzResp.Header.Get("Content-Encoding"); enc != "gzip" {
			t.Fatalf("GET %s (Accept-Encoding: gzip) after brotli clients: Content-Encoding %q, want gzip", css, enc)
		}
		zr, err := gzip.NewReader(strings.NewReader(gzBody))
		if err != nil {
			t.Fatalf("GET %s (gzip): the body is not gzip: %v", css, err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil || !bytes.Contains(plain, []byte(".card-60")) {
			t.Errorf("GET %s (gzip): the decompressed body is not the stylesheet (%v)", css, err)
		}
		idResp, idBody := doAt(t, cdn, request{path: css, header: map[string]string{"Accept-Encoding": "identity"}})
		if enc := idResp.Header.Get("Content-Encoding"); enc != "" || !strings.Contains(idBody, ".card-60") {
			t.Errorf("GET %s (identity): Content-Encoding %q, body %.80q", css, enc, idBody)
		}
		if gz2Resp, _ := doAt(t, cdn, request{path: css, header: map[string]string{"Accept-Encoding": "gzip"}}); gz2Resp.Header.Get("X-Cache") != "HIT" ||
			gz2Resp.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("GET %s (gzip) again: X-Cache %q, Content-Encoding %q, want a cached gzip copy", css,
				gz2Resp.Header.Get("X-Cache"), gz2Resp.Header.Get("Content-Encoding"))
		}
	})

	t.Run("404s are not cached", func(t *testing.T) {
		for i := range 2 {
			rResp, rBody := doAt(t, cdn, request{path: "/no-such-page"})
			expectStatus(t, "/no-such-page", rResp, rBody, http.StatusNotFound, "CDN-NOT-FOUND")
			cfgHeader(t, "GET /no-such-page", rResp, "Cache-Control", "no-store")
			if got := rResp.Header.Get("X-Cache"); got != "MISS" {
				t.Errorf("GET /no-such-page #%d: X-Cache %q, want MISS", i+1, got)
			}
		}
		if n := originRequests(t, env, origin, "/no-such-page", http.StatusNotFound); n != 2 {
			t.Errorf("the origin answered /no-such-page %d times for two requests, want 2", n)
		}
	})

	t.Run("authenticated responses are not cached", func(t *testing.T) {
		for i := range 2 {
			rResp, rBody := doAt(t, cdn, request{path: "/private/", user: "alice", pass: "s3cret"})
			expectStatus(t, "/private/ as alice", rResp, rBody, http.StatusOK, "CDN-PRIVATE-PAGE")
			if got := rResp.Header.Get("X-Cache"); got != "MISS" {
				t.Errorf("GET /private/ as alice #%d: X-Cache %q, want MISS", i+1, got)
			}
		}
		anonResp, anonBody := doAt(t, cdn, request{path: "/private/"})
		expectStatus(t, "/private/ without credentials", anonResp, anonBody, http.StatusUnauthorized, "")
		if strings.Contains(anonBody, "CDN-PRIVATE-PAGE") {
			t.Errorf("GET /private/ without credentials: the cache gave away the page")
		}
		if n := originRequests(t, env, origin, "/private/", http.StatusOK); n != 2 {
			t.Errorf("the origin served /private/ %d times for two authenticated requests, want 2", n)
		}
	})

	t.Run("after a rebuild the page is fresh and unchanged assets stay cached", func(t *testing.T) {
		page := filepath.Join(app, "index.html")
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(page, bytes.ReplaceAll(data, []byte("CDN-HOME-V1"), []byte("CDN-HOME-V2")), 0o644); err != nil {
			t.Fatal(err)
		}
		build()
		// The new image takes the old one's place behind the cache.
		env.run(t, "docker", "rm", "--force", origin.name)
		origin = env.dockerRun(t, "hardstatic-cdn-origin", port, "cdn-site", "--env", users)

		rResp, rBody := doAt(t, cdn, request{path: "/"})
		expectStatus(t, "/ after the rebuild", rResp, rBody, http.StatusOK, "CDN-HOME-V2")
		if got := rResp.Header.Get("X-Cache-Revalidated"); got != "" {
			t.Errorf("GET / after the rebuild: X-Cache-Revalidated %q: the old page was confirmed", got)
		}
		aResp, aBody := doAt(t, cdn, request{path: js})
		expectStatus(t, js+" after the rebuild", aResp, aBody, http.StatusOK, "CDN-ASSET-APP-JS")
		if got := aResp.Header.Get("X-Cache"); got != "HIT" {
			t.Errorf("GET %s after the rebuild: X-Cache %q, want HIT", js, got)
		}
		if n := originRequests(t, env, origin, js, 0); n != 0 {
			t.Errorf("the new origin served %s %d times; the cached copy should have been used", js, n)
		}
	})
}

// originRequests counts the origin's access-log entries (Caddy's JSON lines
// in `docker logs`) for path, with the status when status is not 0. The
// server writes access-log lines in batches and in order
// (internal/accesslog): it first sends the origin a marker request of its
// own and waits until the marker's line is there, so that every request
// before it is counted.
func originRequests(t *testing.T, env *engineEnv, c *container, path string, status int) int {
	t.Helper()
	marker := fmt.Sprintf("/origin-requests-marker-%d", markers.Add(1))
	do(t, c.srv, request{path: marker})
	if !waitUntil(10*time.Second, func() bool { return countOriginRequests(t, env, c, marker, 0) > 0 }) {
		t.Fatalf("the origin's access log never showed the marker request %s", marker)
	}
	return countOriginRequests(t, env, c, path, status)
}

// markers numbers originRequests' marker requests.
var markers atomic.Int64

func countOriginRequests(t *testing.T, env *engineEnv, c *container, path string, status int) int {
	t.Helper()
	logs := env.run(t, "docker", "logs", c.name)
	n := 0
	for line := range strings.SplitSeq(logs, "\n") {
		var entry struct {
			Logger  string `json:"logger"`
			Status  int    `json:"status"`
			Request struct {
				URI string `json:"uri"`
			} `json:"request"`
		}
		if json.Unmarshal([]byte(line), &entry) != nil || !strings.HasPrefix(entry.Logger, "http.log.access") {
			continue
		}
		if entry.Request.URI == path && (status == 0 || entry.Status == status) {
			n++
		}
	}
	return n
}

// startVarnish runs varnishd in the foreground with vcl, its backend port
// changed to the origin's, on a free loopback port, and stops it when the
// test ends. It returns the cache's base URL.
func startVarnish(t *testing.T, varnishd, vcl string, originPort int) string {
	t.Helper()
	src, err := os.ReadFile(vcl) //nolint:gosec // the repository's example
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`\.port = "8080";`)
	if !re.Match(src) {
		t.Fatalf("%s has no backend .port = \"8080\" to point at the origin", vcl)
	}
	dir, err := os.MkdirTemp("", "hardstatic-varnish-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "site.vcl")
	if err := os.WriteFile(file, re.ReplaceAll(src, []byte(fmt.Sprintf(`.port = "%d";`, originPort))), 0o644); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	cmd := exec.Command(varnishd, "-F", "-n", filepath.Join(dir, "work"), "-a", fmt.Sprintf("127.0.0.1:%d", port),
		"-f", file, "-s", "malloc,64m", "-p", "http_gzip_support=off", "-T", "none")
	p := startProcess(t, "varnishd", cmd, syscall.SIGTERM)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	listening := func() bool {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			_ = conn.Close()
		}
		return err == nil
	}
	if !waitUntil(60*time.Second, func() bool { return p.exited() || listening() }) || p.exited() {
		t.Fatalf("varnishd does not listen on %s (exited: %v):\n%s", addr, p.exited(), p.out.String())
	}
	return "http://" + addr
}
