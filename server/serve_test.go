package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/hardstatic/buildpack/internal/config"
	"github.com/hardstatic/buildpack/internal/launch"
	"github.com/hardstatic/buildpack/internal/manifest"
	"github.com/hardstatic/buildpack/internal/policy"
)

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close() //nolint:errcheck
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// TestServeWithCaddy runs the real Caddy configuration in-process and checks
// that every kind of response carries the hardened headers.
func TestServeWithCaddy(t *testing.T) {
	app := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(app, "public", "sub"), 0o755))
	must(t, os.WriteFile(filepath.Join(app, "public", "index.html"), []byte("<h1>home</h1>"), 0o644))
	must(t, os.WriteFile(filepath.Join(app, "public", "sub", "index.html"), []byte("sub"), 0o644))
	must(t, os.WriteFile(filepath.Join(app, "public", "404.html"), []byte("gone"), 0o644))
	file, err := manifest.Write(app, manifest.Manifest{Root: "public", Headers: policy.Defaults(), Config: notFound("404.html")})
	must(t, err)
	port := freePort(t)
	cfg, err := launch.Config(file, port, app)
	must(t, err)
	must(t, caddy.Load(cfg, true))
	t.Cleanup(func() { _ = caddy.Stop() })

	base := "http://127.0.0.1:" + port
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }, Timeout: 5 * time.Second}
	for _, tc := range []struct {
		method, path string
		status       int
	}{{"GET", "/", 200}, {"GET", "/sub", 301}, {"GET", "/missing", 404}, {"POST", "/", 405}, {"GET", "/.env", 404}} {
		req, _ := http.NewRequest(tc.method, base+tc.path, nil)
		resp, err := client.Do(req)
		must(t, err)
		_ = resp.Body.Close()
		if resp.StatusCode != tc.status {
			t.Errorf("%s %s: %d, want %d", tc.method, tc.path, resp.StatusCode, tc.status)
		}
		for _, h := range policy.Defaults() {
			if got := resp.Header.Get(h.Name); got != h.Value {
				t.Errorf("%s %s: %s = %q, want %q", tc.method, tc.path, h.Name, got, h.Value)
			}
		}
		if s := resp.Header.Get("Server"); s != "" {
			t.Errorf("%s %s: Server header %q", tc.method, tc.path, s)
		}
	}
}

func notFound(page string) *config.Config {
	c := config.Default()
	c.NotFound = page
	c.HTTPSOnly = false
	return c
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestExitCodes(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
	}{{[]string{"frob"}, 2}, {[]string{"serve", "--bogus"}, 2}, {[]string{"serve", "a", "b"}, 2}, {[]string{"migrate", "/nonexistent/static.json"}, 2}} {
		cmd := rootCmd()
		cmd.SetArgs(tc.args)
		cmd.SetOut(io.Discard)
		cmd.SetErr(io.Discard)
		err := cmd.Execute()
		if err == nil || exitCode(err) != tc.code {
			t.Errorf("%v: err %v, exit code %d, want %d", tc.args, err, exitCodeOf(err), tc.code)
		}
	}
}

func exitCodeOf(err error) int {
	if err == nil {
		return 0
	}
	return exitCode(err)
}
