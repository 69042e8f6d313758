package main

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// execute runs the CLI in-process, as main does, and returns stdout, stderr,
// the exit code main would use and the error.
func execute(t *testing.T, args ...string) (stdout, stderr string, code int, err error) {
	t.Helper()
	root := rootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetIn(strings.NewReader(""))
	root.SetArgs(args)
	err = root.Execute()
	if err != nil {
		code = exitCode(err)
	}
	return out.String(), errOut.String(), code, err
}

// writeApp creates an app directory from name -> content.
func writeApp(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		must(t, os.MkdirAll(filepath.Dir(p), 0o755))
		must(t, os.WriteFile(p, []byte(body), 0o644))
	}
	return dir
}

const fullConfig = `root = "site"
fallback = "/index.html"
canonical_host = "www.example.com"

[[redirects]]
from = "/old/*"
to = "/new/:splat"
status = 302

[[rewrites]]
from = "/app/*"
to = "/index.html"

[[proxies]]
from = "/api/*"
to = "https://api.example.com/"

[headers."/embed/**"]
X-Frame-Options = ""
Content-Security-Policy = "default-src 'self'; frame-ancestors *"

[headers."/assets/**"]
Cache-Control = "public, max-age=31536000, immutable"
`

func TestCheckPrintsRoutesHeadersAndVerdicts(t *testing.T) {
	// The build would add Subresource Integrity to this script tag; check must not.
	app := writeApp(t, map[string]string{"static.toml": fullConfig, "site/index.html": `<h1>x</h1><script src="/app.js"></script>`, "site/app.js": "x"})
	before, err := os.ReadFile(filepath.Join(app, "site", "index.html"))
	must(t, err)
	out, _, _, err := execute(t, "check", app)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	for _, want := range []string{
		"Config: static.toml is valid",
		"Root: site/",
		"https_only",
		"canonical_host: any other host -> www.example.com",
		"redirect /old/* -> /new/:splat (302)",
		"proxy /api/* -> https://api.example.com/",
		"rewrite /app/* -> /index.html",
		"fallback /index.html (200",
		"not found: a plain 404",
		"/embed/**\n    X-Frame-Options: (removed)",
		"Cache-Control: public, max-age=31536000, immutable",
		"ok      Content-Security-Policy: enforced",
		"ok      Strict-Transport-Security: max-age=63072000",
		"ok      X-Content-Type-Options: nosniff",
		"ok      X-Frame-Options: CSP frame-ancestors 'none'",
		"ok      Referrer-Policy: strict-origin-when-cross-origin",
		"ok      Cross-Origin-Resource-Policy: same-origin",
		"weak    X-Frame-Options on /embed/**: CSP frame-ancestors *",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	// The order of the routes is the order a request meets them.
	order := []string{"https_only", "canonical_host", "redirect ", "proxy ", "files from", "rewrite ", "fallback ", "not found"}
	last := -1
	for _, r := range order {
		i := strings.Index(out, r)
		if i < last {
			t.Errorf("%q is listed out of order:\n%s", r, out)
		}
		last = i
	}
	after, err := os.ReadFile(filepath.Join(app, "site", "index.html"))
	must(t, err)
	if !bytes.Equal(before, after) {
		t.Error("check changed the author's files")
	}
}

func TestCheckDefaultsAndWorkingDirectory(t *testing.T) {
	app := writeApp(t, map[string]string{"public/index.html": "x", "public/404.html": "gone"})
	t.Chdir(app)
	out, _, _, err := execute(t, "check")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Config: none", "Root: public/", "not found: 404.html (404)", "Headers by path: none"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "weak") || strings.Contains(out, "missing") {
		t.Errorf("the defaults should all be ok:\n%s", out)
	}
}

func TestCheckExitCodes(t *testing.T) {
	bad := writeApp(t, map[string]string{"static.toml": "roots = \"x\"\n", "index.html": "x"})
	noRoot := writeApp(t, map[string]string{"static.toml": "root = \"dist\"\n"})
	file := filepath.Join(bad, "static.toml")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown key", []string{"check", bad}, 1, `static.toml:1:1: key "roots": unknown key (did you mean "root"?)`},
		{"missing root", []string{"check", noRoot}, 1, "dist"},
		{"two directories", []string{"check", bad, bad}, 2, "check takes one app directory, got 2 arguments"},
		{"no such directory", []string{"check", filepath.Join(bad, "nope")}, 2, "no such directory"},
		{"a file", []string{"check", file}, 2, "is not a directory"},
		{"unknown flag", []string{"check", "--frobnicate"}, 2, "unknown flag: --frobnicate (see static-server check --help)"},
		{"serve: unknown flag", []string{"serve", "--frobnicate"}, 2, "see static-server serve --help"},
		{"serve: two directories", []string{"serve", bad, bad}, 2, "serve takes one app directory"},
		{"serve: bad config", []string{"serve", bad}, 1, "unknown key"},
		{"serve: nothing", []string{"serve", "--manifest", ""}, 2, "static-server serve DIR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, code, err := execute(t, tc.args...)
			if err == nil {
				t.Fatalf("%v: no error", tc.args)
			}
			if code != tc.code || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%v: exit %d, %q; want exit %d with %q", tc.args, code, err, tc.code, tc.want)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") || strings.Contains(msg, "goroutine") {
				t.Errorf("the error is not one line: %q", msg)
			}
		})
	}
}

func TestCompletionIsEnabled(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish", "powershell"} {
		out, _, _, err := execute(t, "completion", shell)
		if err != nil || !strings.Contains(out, "static-server") {
			t.Errorf("completion %s: %v\n%.200s", shell, err, out)
		}
	}
	// DIR arguments complete to directories (ShellCompDirectiveFilterDirs = 16).
	out, _, _, err := execute(t, "__complete", "check", "")
	if err != nil || !strings.Contains(out, ":16") {
		t.Errorf("__complete check: %v\n%s", err, out)
	}
	out, _, _, _ = execute(t, "__complete", "")
	for _, cmd := range []string{"serve", "check", "completion"} {
		if !strings.Contains(out, cmd) {
			t.Errorf("%s is not offered:\n%s", cmd, out)
		}
	}
}

// serve DIR plans the app like the build and serves it with the launch
// configuration; canonical_host is not applied to a local preview.
func TestServePreview(t *testing.T) {
	app := writeApp(t, map[string]string{"static.toml": fullConfig, "site/index.html": "PREVIEW-HOME", "site/404.html": "x"})
	port := freePort(t)
	var log bytes.Buffer
	cfg, err := previewConfig(app, port, &log)
	must(t, err)
	if !strings.Contains(log.String(), "Root: site/") || !strings.Contains(log.String(), "canonical_host") {
		t.Errorf("the plan's log is not shown:\n%s", log.String())
	}
	must(t, caddy.Load(cfg, true))
	t.Cleanup(func() { _ = caddy.Stop() })
	client := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		path   string
		status int
		body   string
	}{{"/", 200, "PREVIEW-HOME"}, {"/some/spa/route", 200, "PREVIEW-HOME"}, {"/old/x", 302, ""}} {
		resp, err := client.Get("http://127.0.0.1:" + port + tc.path)
		must(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != tc.status || !strings.Contains(string(body), tc.body) {
			t.Errorf("GET %s: %d %.100q; want %d %q", tc.path, resp.StatusCode, body, tc.status, tc.body)
		}
		if got := resp.Header.Get("Content-Security-Policy"); !strings.HasPrefix(got, "default-src 'none'") {
			t.Errorf("GET %s: CSP %q", tc.path, got)
		}
	}
	if got := previewURL(port); got != "http://localhost:"+port+"/" {
		t.Errorf("previewURL = %q", got)
	}
}

func TestCheckNamesRootRulesAndNearestNotFound(t *testing.T) {
	app := writeApp(t, map[string]string{
		"public/index.html":     "<h1>x</h1>",
		"public/404.html":       "<h1>gone</h1>",
		"public/docs/404.html":  "<h1>no such doc</h1>",
		"public/_redirects":     "/old /new 302\n/home / \n",
		"public/docs/page.html": "<h1>page</h1>",
	})
	out, _, _, err := execute(t, "check", app)
	if err != nil {
		t.Fatalf("check: %v", err)
	}
	for _, want := range []string{
		"Rules: _redirects in the root (Netlify / Cloudflare Pages syntax) are valid",
		"redirect /old -> /new (302, only when no file is served there)",
		"Warning: _redirects:",
		"not found: the nearest of docs/404.html, else 404.html (404)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
}
