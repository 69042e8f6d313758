package integration

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// client never follows redirects and never asks for compression, so tests
// see responses exactly as sent.
var client = &http.Client{
	Timeout:       10 * time.Second,
	Transport:     &http.Transport{DisableCompression: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// get requests path and returns the response with its body read.
func get(t *testing.T, srv *lifecycle.Server, path string) (*http.Response, string) {
	t.Helper()
	resp, err := client.Get(srv.URL + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", path, err)
	}
	return resp, string(body)
}

// rawGet sends the request line exactly as given, with no client-side path
// cleaning or escaping, and returns the response with its body read.
func rawGet(t *testing.T, srv *lifecycle.Server, target string) (*http.Response, string) {
	t.Helper()
	return rawDo(t, srv, http.MethodGet, target, "", "")
}

// expectStatus checks the status and that the body holds want (when not "").
func expectStatus(t *testing.T, path string, resp *http.Response, body string, status int, want string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("GET %s: status %d, want %d; body: %.200q", path, resp.StatusCode, status, body)
		return
	}
	if want != "" && !strings.Contains(body, want) {
		t.Errorf("GET %s: body does not contain %q; body: %.300q", path, want, body)
	}
}

// expectIndex checks a request for an index.html by name: it is served, or
// redirected to its directory (the canonical address).
func expectIndex(t *testing.T, srv *lifecycle.Server, path, dir, want string) {
	t.Helper()
	resp, body := get(t, srv, path)
	switch {
	case resp.StatusCode == http.StatusOK:
		expectStatus(t, path, resp, body, http.StatusOK, want)
	case resp.StatusCode >= 300 && resp.StatusCode <= 399:
		if loc := resp.Header.Get("Location"); loc != dir && !strings.HasSuffix(loc, "://"+strings.TrimPrefix(srv.URL, "http://")+dir) {
			t.Errorf("GET %s: redirects to %q, want %s", path, loc, dir)
		}
		checkDefaultHeaders(t, "GET "+path+" (redirect)", resp.Header)
	default:
		t.Errorf("GET %s: status %d, want 200 or a redirect to %s; body: %.200q", path, resp.StatusCode, dir, body)
	}
}

// cspDirectives are the directives the default Content-Security-Policy must
// contain, after starting with default-src 'none'.
var cspDirectives = []string{
	"script-src 'self'", "style-src 'self'", "img-src 'self'", "font-src 'self'",
	"connect-src 'self'", "manifest-src 'self'", "media-src 'self'", "base-uri 'self'",
	"form-action 'self'", "frame-ancestors 'none'",
}

// exactHeaders are default headers with one fixed value.
var exactHeaders = [][2]string{
	{"Strict-Transport-Security", "max-age=63072000; includeSubDomains"},
	{"X-Content-Type-Options", "nosniff"},
	{"X-Frame-Options", "DENY"},
	{"Referrer-Policy", "strict-origin-when-cross-origin"},
	{"Cross-Origin-Opener-Policy", "same-origin"},
	{"Cross-Origin-Resource-Policy", "same-origin"},
}

// checkDefaultHeaders checks the hardened headers every response must carry,
// each exactly once, and that no Server header gives the software away. It
// reports all problems of one response in one error.
func checkDefaultHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	var problems []string
	once := func(name string) (string, bool) {
		switch vs := h.Values(name); len(vs) {
		case 0:
			problems = append(problems, "no "+name)
			return "", false
		case 1:
			return vs[0], true
		default:
			problems = append(problems, fmt.Sprintf("%s sent %d times: %q", name, len(vs), vs))
			return "", false
		}
	}
	if csp, ok := once("Content-Security-Policy"); ok {
		if !strings.HasPrefix(csp, "default-src 'none'") {
			problems = append(problems, fmt.Sprintf("Content-Security-Policy does not start with default-src 'none': %q", csp))
		}
		for _, d := range cspDirectives {
			if !strings.Contains(csp, d) {
				problems = append(problems, fmt.Sprintf("Content-Security-Policy lacks %q: %q", d, csp))
			}
		}
	}
	for _, nv := range exactHeaders {
		if got, ok := once(nv[0]); ok && got != nv[1] {
			problems = append(problems, fmt.Sprintf("%s: %q, want %q", nv[0], got, nv[1]))
		}
	}
	if pp, ok := once("Permissions-Policy"); ok && !strings.Contains(pp, "camera=()") {
		problems = append(problems, fmt.Sprintf("Permissions-Policy does not turn off the camera (camera=()): %q", pp))
	}
	if s := h.Values("Server"); len(s) > 0 {
		problems = append(problems, fmt.Sprintf("Server header present: %q", s))
	}
	if len(problems) > 0 {
		t.Errorf("%s: default headers wrong:\n\t%s", what, strings.Join(problems, "\n\t"))
	}
}
