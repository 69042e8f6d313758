package launch_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/hardstatic/buildpack/internal/buildpack"
	"github.com/hardstatic/buildpack/internal/launch"
)

// diffSite is an app whose rules about paths (hide, basic_auth.paths,
// dotfiles, links, rewrites, a proxy) all meet.
var diffSite = map[string]string{
	"static.toml": `root = "public"
https_only = false
hide = ["/drafts/**", "/**/*.map"]
[basic_auth]
paths = ["/private/**", "/api/admin/**", "/graphql", "/manual/**"]
[[proxies]]
from = "/api/*"
to = "${DIFF_ORIGIN}/v1/"
[[proxies]]
from = "/graphql"
to = "${DIFF_ORIGIN}/graphql"
[[rewrites]]
from = "/docs/*"
to = "/manual/:splat"
`,
	"public/index.html":         "home",
	"public/404.html":           "not found page",
	"public/about.html":         "about",
	"public/struct.Vec.html":    "rustdoc page",
	"public/foo.html":           "foo page",
	"public/foo/bar.txt":        "foo folder file",
	"public/manual/page.html":   "manual page",
	"public/private/index.html": "private home",
	"public/private/notes.txt":  "private notes",
	"public/drafts/post.html":   "draft",
	"public/app.js":             "js",
	"public/app.js.map":         "map",
	"public/.env":               "SECRET",
	"public/.well-known/a.txt":  "well known",
	"public/id_rsa":             "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n",
}

var diffLinks = map[string]string{
	"public/env.txt":  ".env",
	"public/priv2":    "private",
	"public/preview":  "drafts",
	"public/inside":   "about.html",
	"public/outside":  "../static.toml",
	"public/key.txt":  "id_rsa",
	"public/sub/deep": "../manual",
}

// startDiffServer plans the app as the build does and runs the server the
// image runs, in this process, on a free loopback port.
func startDiffServer(tb testing.TB) string {
	tb.Helper()
	app := tb.TempDir()
	for name, body := range diffSite {
		p := filepath.Join(app, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	for link, target := range diffLinks {
		p := filepath.Join(app, filepath.FromSlash(link))
		_ = os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.Symlink(target, p); err != nil {
			tb.Fatal(err)
		}
	}
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "ORIGIN %s %s", r.Method, r.URL.EscapedPath())
	}))
	tb.Cleanup(origin.Close)
	hash, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Setenv("DIFF_ORIGIN", origin.URL)
	tb.Setenv("BASIC_AUTH_USERS", "alice:"+string(hash))
	plan, err := buildpack.NewPlan(buildpack.Options{AppDir: app})
	if err != nil {
		tb.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	_ = l.Close()
	cfg, err := launch.CaddyJSON(plan.Manifest, port, app, launch.Process())
	if err != nil {
		tb.Fatal(err)
	}
	// The access log goes to stdout: keep it out of the test output.
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		tb.Fatal(err)
	}
	stdout := os.Stdout
	os.Stdout = null // Caddy's stdout writer takes os.Stdout when it opens
	err = caddy.Load(cfg, true)
	os.Stdout = stdout
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = null.Close() })
	tb.Cleanup(func() { _ = caddy.Stop() })
	return "127.0.0.1:" + port
}

// diffClient sends raw request lines over one kept-alive connection.
type diffClient struct {
	addr string
	mu   sync.Mutex
	conn net.Conn
	br   *bufio.Reader
}

// decision is what a visitor learns from one answer.
type decision struct {
	status   int
	body     string
	location string
	auth     bool
}

func (c *diffClient) do(tb testing.TB, method, target, creds string) decision {
	tb.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for attempt := 0; ; attempt++ {
		if c.conn == nil {
			conn, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
			if err != nil {
				tb.Fatal(err)
			}
			c.conn, c.br = conn, bufio.NewReader(conn)
		}
		_ = c.conn.SetDeadline(time.Now().Add(10 * time.Second))
		req := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: localhost\r\n", method, target)
		if creds != "" {
			req += "Authorization: Basic YWxpY2U6cHc=\r\n" // alice:pw
		}
		_, err := io.WriteString(c.conn, req+"\r\n")
		var resp *http.Response
		if err == nil {
			resp, err = http.ReadResponse(c.br, &http.Request{Method: method})
		}
		if err != nil {
			_ = c.conn.Close()
			c.conn = nil
			if attempt < 2 {
				continue
			}
			tb.Fatalf("%s %s: %v", method, target, err)
		}
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.Close {
			_ = c.conn.Close()
			c.conn = nil
		}
		sum := sha256.Sum256(body)
		return decision{status: resp.StatusCode, body: hex.EncodeToString(sum[:8]) + " " + string(body[:min(len(body), 40)]),
			location: resp.Header.Get("Location"), auth: resp.Header.Get("WWW-Authenticate") != ""}
	}
}

// reference is the plain form of a request target: percent-decoded, dot
// segments resolved, slashes collapsed, then escaped again; ok is false
// when the target is not a request a client could send.
func reference(target string) (string, bool) {
	if target == "" || target[0] != '/' || strings.ContainsAny(target, " \t\r\n\x00#") {
		return "", false
	}
	u, err := url.ParseRequestURI(target)
	if err != nil {
		return "", false
	}
	clean := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && clean != "/" {
		clean += "/"
	}
	ref := (&url.URL{Path: clean}).EscapedPath()
	if u.RawQuery != "" {
		ref += "?" + u.RawQuery
	}
	return ref, true
}

var diffSeeds = []string{
	"/", "/about", "/about.html", "/struct.Vec", "/struct.Vec.html", "/foo", "/foo.html", "/foo/bar.txt",
	"/docs/page", "/private/", "/private/notes.txt", "/priv2/notes.txt", "/preview/post", "/env.txt",
	"/key.txt", "/id_rsa", "/.env", "/.well-known/a.txt", "/app.js.map", "/inside", "/outside", "/sub/deep/page",
	"/api/admin/users", "/api/x", "/graphql", "//private/notes.txt", "/%70rivate/notes.txt",
	"/private%2fnotes.txt", "/api/admin%2Fusers", "/docs/%2e%2e/private/notes.txt", "/x/../private/notes.txt",
	"/api/%2e/admin/users", "/api/x/../admin/users", "/.well-known/../.env", "/%2e%2e/static.toml",
	"/docs/%252e%252e/private/notes.txt", "/api//admin//users", "/about/", "/private", "/Private/notes.txt",
}

// FuzzDifferentialPaths: any two request targets that name the same path
// get the same answer from the running server (status, body, redirect,
// credentials asked), including what a proxy's origin is sent; a target
// with "." or ".." segments is refused outright.
func FuzzDifferentialPaths(f *testing.F) {
	for _, s := range diffSeeds {
		f.Add(s, false)
		f.Add(s, true)
	}
	c := &diffClient{addr: startDiffServer(f)}
	f.Fuzz(func(t *testing.T, target string, withCreds bool) {
		ref, ok := reference(target)
		if !ok || len(target) > 512 {
			return
		}
		creds := ""
		if withCreds {
			creds = "alice"
		}
		for _, method := range []string{"GET", "POST"} {
			got := c.do(t, method, target, creds)
			if got.status == http.StatusBadRequest {
				continue // refused: nothing was decided about the file
			}
			if strings.Contains(got.body, "SECRET") || strings.Contains(got.body, "OPENSSH") {
				t.Fatalf("%s %q leaked a secret: %+v", method, target, got)
			}
			want := c.do(t, method, ref, creds)
			if got != want {
				t.Fatalf("%s %q and %s %q name the same path but got\n  %+v\nand\n  %+v", method, target, method, ref, got, want)
			}
		}
	})
}

// TestDifferentialSeeds runs the seeds as a plain test, so that make test
// checks them without fuzzing.
func TestDifferentialSeeds(t *testing.T) {
	c := &diffClient{addr: startDiffServer(t)}
	for _, target := range diffSeeds {
		ref, ok := reference(target)
		if !ok {
			t.Fatalf("seed %q is not a request target", target)
		}
		for _, creds := range []string{"", "alice"} {
			got := c.do(t, "GET", target, creds)
			if got.status == http.StatusBadRequest {
				continue
			}
			if want := c.do(t, "GET", ref, creds); got != want {
				t.Errorf("GET %q and %q (creds %q): %+v vs %+v", target, ref, creds, got, want)
			}
		}
	}
	// And what each path gets, as a visitor sees it.
	for target, want := range map[string]int{
		"/struct.Vec": 200, "/struct.Vec.html": 301, "/foo": 200, "/foo.html": 301, "/private/notes.txt": 401,
		"/priv2/notes.txt": 404, "/env.txt": 404, "/key.txt": 404, "/inside": 200, "/outside": 404,
		"/docs/page": 401, "/x/../private/notes.txt": 400, "/preview/post": 404, "/app.js.map": 404,
		"/sub/deep/page": 404, "/.well-known/a.txt": 200, "/manual/page": 401,
	} {
		if got := c.do(t, "GET", target, ""); got.status != want {
			t.Errorf("GET %s: %d, want %d (%+v)", target, got.status, want, got)
		}
	}
}
