package staticsite

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hardstatic/buildpack/internal/headerset"
)

// newFront provisions f as Caddy would.
func newFront(t *testing.T, f Front) *Front {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	if err := f.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	return &f
}

// frontDo sends one request through f, with Caddy's request context (the
// replacer and the variables), to a next handler that answers 200 "next".
func frontDo(f *Front, method, target string, hdr map[string]string) (*httptest.ResponseRecorder, map[string]any) {
	r := httptest.NewRequest(method, target, nil)
	r.RequestURI = r.URL.RequestURI() // origin form, as browsers send it
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	vars := map[string]any{}
	ctx := context.WithValue(r.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer())
	ctx = context.WithValue(ctx, caddyhttp.VarsCtxKey, vars)
	r = r.WithContext(ctx)
	w := httptest.NewRecorder()
	w.Header().Set("Server", "Caddy")
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		_, _ = w.Write([]byte("next " + r.URL.Path))
		return nil
	})
	_ = f.ServeHTTP(w, r, next)
	return w, vars
}

// The front answers what the routes it replaced answered: Caddy's path
// matchers ignore case and clean the path, the probe carries no site header
// and is left out of the access log, the redirects keep the request URI.
func TestFront(t *testing.T) {
	f := newFront(t, Front{
		HeaderConfig:  HeaderConfig{Site: []headerset.Header{{Name: "X-Frame-Options", Value: "DENY"}}, DropServer: true},
		Probe:         true,
		ProbePath:     "/.well-known/hardstatic/health",
		Env:           &Env{Values: map[string]string{"A": "1"}},
		EnvPaths:      []string{"/.well-known/hardstatic/env.js", "/.well-known/hardstatic/env.json"},
		HTTPSOnly:     true,
		CanonicalHost: "www.example.com",
	})
	for _, c := range []struct {
		method, target string
		hdr            map[string]string
		status         int
		body, location string
		siteHeaders    bool
	}{
		{"GET", "http://www.example.com/.well-known/hardstatic/health", nil, 200, "ok\n", "", false},
		{"HEAD", "http://www.example.com//.well-known//hardstatic/HEALTH", nil, 200, "ok\n", "", false},
		{"GET", "http://www.example.com/x/../.well-known/hardstatic/health", nil, 200, "ok\n", "", false},
		{"POST", "http://www.example.com/.well-known/hardstatic/health", nil, 200, "next /.well-known/hardstatic/health", "", true},
		{"GET", "http://www.example.com/health", nil, 200, "next /health", "", true},
		{"GET", "http://www.example.com/.well-known/hardstatic/ENV.JSON", nil, 200, "{\"A\":\"1\"}\n", "", true},
		{"GET", "http://www.example.com//.well-known/hardstatic/env.js", nil, 200, "window.__ENV = Object.freeze({\"A\":\"1\"});\n", "", true},
		{"GET", "http://www.example.com:8080/a?b=c", map[string]string{"X-Forwarded-Proto": "HTTP, https"}, 301, "", "https://www.example.com/a?b=c", true},
		{"GET", "http://www.example.com/.well-known/hardstatic/env.json", map[string]string{"X-Forwarded-Proto": "http"}, 301, "", "https://www.example.com/.well-known/hardstatic/env.json", true},
		{"GET", "http://other.example:8080/a?b=c", map[string]string{"X-Forwarded-Proto": "https"}, 301, "", "https://www.example.com/a?b=c", true},
		{"GET", "http://WWW.EXAMPLE.COM:8080//a", map[string]string{"X-Forwarded-Proto": "https"}, 200, "next /a", "", true},
		{"GET", "http://www.example.com/a/%2e%2e/b", nil, 400, "400 bad request: the path has a . or .. segment, a backslash or a control character\n", "", true},
	} {
		w, vars := frontDo(f, c.method, c.target, c.hdr)
		name := c.method + " " + c.target
		if w.Code != c.status || w.Body.String() != c.body || w.Header().Get("Location") != c.location {
			t.Errorf("%s: %d %q Location %q, want %d %q %q", name, w.Code, w.Body.String(), w.Header().Get("Location"), c.status, c.body, c.location)
		}
		if got := w.Header().Get("X-Frame-Options") == "DENY"; got != c.siteHeaders {
			t.Errorf("%s: site headers %v, want %v", name, got, c.siteHeaders)
		}
		if s := w.Header().Get("Server"); s != "" {
			t.Errorf("%s: Server %q", name, s)
		}
		probe := strings.HasPrefix(c.body, "ok")
		if skip, _ := vars[caddyhttp.LogSkipVar].(bool); skip != probe {
			t.Errorf("%s: log_skip %v, want %v", name, skip, probe)
		}
		if c.status == 301 {
			if ct, ok := w.Header()["Content-Type"]; !ok || ct != nil {
				t.Errorf("%s: Content-Type %v, want none (and none sniffed)", name, ct)
			}
		}
	}
}

// withStdout runs f with os.Stdout going to a file (the access log's writer
// takes os.Stdout when it opens) and returns what was written.
func withStdout(t *testing.T, f func()) string {
	t.Helper()
	file, err := os.Create(filepath.Join(t.TempDir(), "stdout"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	stdout := os.Stdout
	os.Stdout = file
	defer func() { os.Stdout = stdout }()
	f()
	b, err := os.ReadFile(file.Name())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// The front writes each request's access-log line with the status and
// size sent, none for the probe; a request that ends in an error is logged
// by static_error_log around the error route, with the error route's
// answer and the front's start.
func TestFrontAccessLog(t *testing.T) {
	out := withStdout(t, func() {
		f := newFront(t, Front{Probe: true, ProbePath: "/.well-known/hardstatic/health", AccessLog: "on"})
		ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
		defer cancel()
		e := &ErrorLog{AccessLog: "on"}
		if err := e.Provision(ctx); err != nil {
			t.Fatal(err)
		}
		frontDo(f, "GET", "http://example.com/a?n=1", nil)
		frontDo(f, "GET", "http://example.com/.well-known/hardstatic/health", nil)
		// An error: the front logs nothing, the error route does.
		r := httptest.NewRequest("GET", "/fail?n=2", nil)
		r = r.WithContext(context.WithValue(context.WithValue(r.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer()),
			caddyhttp.VarsCtxKey, map[string]any{}))
		w := httptest.NewRecorder()
		err := f.ServeHTTP(w, r, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
			return caddyhttp.Error(http.StatusBadGateway, errors.New("origin down"))
		}))
		if err == nil {
			t.Fatal("the error was not passed on to the error route")
		}
		_ = e.ServeHTTP(w, r, caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			w.WriteHeader(http.StatusBadGateway)
			_, _ = w.Write([]byte("502 Bad Gateway\n"))
			return nil
		}))
		_ = f.Cleanup()
		_ = e.Cleanup()
	})
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2 (none for the probe):\n%s", len(lines), out)
	}
	for i, want := range []string{`"uri":"/a?n=1"`, `"uri":"/fail?n=2"`} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d %s, want %s", i, lines[i], want)
		}
	}
	for i, want := range []string{`"size":7,"status":200}`, `"size":16,"status":502}`} {
		if !strings.HasSuffix(lines[i], want) {
			t.Errorf("line %d %s, want it to end in %s", i, lines[i], want)
		}
	}
	if !strings.HasPrefix(lines[1], `{"level":"error"`) {
		t.Errorf("a 502 is logged at error level: %s", lines[1])
	}
}
