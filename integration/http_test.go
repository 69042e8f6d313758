package integration

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// One family of HTTP helpers for every test: a request describes what to
// send; do sends it, expect, expectRedirect, expectHeader and expectNoHeader
// check what came back. The older names (get, rawGet, cfgDo, cfgGet, ...)
// are thin wrappers around them.

// client never follows redirects and never asks for compression, so tests
// see responses exactly as sent.
var client = &http.Client{
	Timeout:       10 * time.Second,
	Transport:     &http.Transport{DisableCompression: true},
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// request is one request of a test. Zero fields mean: GET, the server's own
// host, no extra headers, no body, no credentials, sent by the Go client.
type request struct {
	method string
	path   string // the request target: path and query
	host   string
	header map[string]string
	body   io.Reader
	user   string
	pass   string
	// raw sends the request on a new connection exactly as given: the path is
	// neither cleaned nor escaped, Host is localhost unless host is set, and
	// the connection is closed after the response.
	raw bool
}

func (r request) String() string {
	var b strings.Builder
	b.WriteString(r.methodOrGet() + " " + r.path)
	if r.host != "" {
		b.WriteString(" (Host: " + r.host + ")")
	}
	for _, k := range slices.Sorted(maps.Keys(r.header)) {
		b.WriteString(" (" + k + ": " + r.header[k] + ")")
	}
	if r.user != "" {
		b.WriteString(" (as " + r.user + ")")
	}
	return b.String()
}

func (r request) methodOrGet() string {
	if r.method == "" {
		return http.MethodGet
	}
	return r.method
}

// do sends r to srv and returns the response with its body read. Redirects
// are not followed.
func do(t *testing.T, srv *lifecycle.Server, r request) (*http.Response, string) {
	t.Helper()
	return doAt(t, srv.URL, r)
}

// doAt is do for a server that is not a *lifecycle.Server (a cache in
// front, a metrics port): base is its http://host:port.
func doAt(t *testing.T, base string, r request) (*http.Response, string) {
	t.Helper()
	if r.raw {
		return sendRawTo(t, base, r.String(), r.wire(t))
	}
	req, err := http.NewRequest(r.methodOrGet(), base+r.path, r.body)
	if err != nil {
		t.Fatalf("%s: %v", r, err)
	}
	if r.host != "" {
		req.Host = r.host
	}
	for k, v := range r.header {
		req.Header.Set(k, v)
	}
	if r.user != "" {
		req.SetBasicAuth(r.user, r.pass)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", r, err)
	}
	defer resp.Body.Close() //nolint:errcheck // read below
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: reading the body: %v", r, err)
	}
	return resp, string(body)
}

// wire is r as the bytes of an HTTP/1.1 request.
func (r request) wire(t *testing.T) string {
	t.Helper()
	host := r.host
	if host == "" {
		host = "localhost"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", r.methodOrGet(), r.path, host)
	if r.user != "" {
		b.WriteString("Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(r.user+":"+r.pass)) + "\r\n")
	}
	for _, k := range slices.Sorted(maps.Keys(r.header)) {
		b.WriteString(k + ": " + r.header[k] + "\r\n")
	}
	var body []byte
	if r.body != nil {
		var err error
		if body, err = io.ReadAll(r.body); err != nil {
			t.Fatalf("%s: reading the request body: %v", r, err)
		}
		fmt.Fprintf(&b, "Content-Length: %d\r\n", len(body))
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.String()
}

// sendRaw sends request bytes exactly as given (a malformed request, one a
// request cannot describe) on a new connection and reads one response.
func sendRaw(t *testing.T, srv *lifecycle.Server, wire string) (*http.Response, string) {
	t.Helper()
	return sendRawTo(t, srv.URL, fmt.Sprintf("%.80q", wire), wire)
}

func sendRawTo(t *testing.T, base, what, wire string) (*http.Response, string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(base, "http://"), 5*time.Second)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	defer conn.Close() //nolint:errcheck // test connection
	_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(conn, wire); err != nil {
		t.Fatalf("%s: writing: %v", what, err)
	}
	method, _, _ := strings.Cut(wire, " ")
	resp, err := http.ReadResponse(bufio.NewReader(conn), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s: reading the response: %v", what, err)
	}
	defer resp.Body.Close() //nolint:errcheck // read below
	// A server that refuses a request it has not read in full (431) closes
	// the connection with the rest unread, which resets it: the body of
	// such an answer may end in ECONNRESET. What arrived is enough.
	body, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("%s: reading the body: %v", what, err)
	}
	return resp, string(body)
}

// expect sends r and checks the status and, when want is not "", that the
// body contains want. It returns the response for further checks.
func expect(t *testing.T, srv *lifecycle.Server, r request, status int, want string) (*http.Response, string) {
	t.Helper()
	resp, body := do(t, srv, r)
	checkStatus(t, r.String(), resp, body, status, want)
	return resp, body
}

// checkStatus checks a response's status and, when want is not "", that
// its body contains want; what names the request.
func checkStatus(t *testing.T, what string, resp *http.Response, body string, status int, want string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s: status %d, want %d (Location %q); body: %.200q", what, resp.StatusCode, status, resp.Header.Get("Location"), body)
	} else if want != "" && !strings.Contains(body, want) {
		t.Errorf("%s: body does not contain %q; body: %.300q", what, want, body)
	}
}

// expectRedirect sends r and checks it is answered with status and exactly
// location.
func expectRedirect(t *testing.T, srv *lifecycle.Server, r request, status int, location string) *http.Response {
	t.Helper()
	resp, body := do(t, srv, r)
	if resp.StatusCode != status || resp.Header.Get("Location") != location {
		t.Errorf("%s: got %d Location %q, want %d Location %q; body: %.200q",
			r, resp.StatusCode, resp.Header.Get("Location"), status, location, body)
	}
	return resp
}

// expectHeader checks that resp carries header name exactly once, equal to
// want; what names the request.
func expectHeader(t *testing.T, what string, resp *http.Response, name, want string) {
	t.Helper()
	if got := resp.Header.Values(name); len(got) != 1 || got[0] != want {
		t.Errorf("%s: %s = %q, want exactly %q", what, name, got, want)
	}
}

// expectNoHeader checks that resp does not carry header name.
func expectNoHeader(t *testing.T, what string, resp *http.Response, name string) {
	t.Helper()
	if got := resp.Header.Values(name); len(got) > 0 {
		t.Errorf("%s: %s = %q, want no such header", what, name, got)
	}
}

// The older names of the family, which many tests use.
type cfgReq = request

var (
	cfgDo       = do
	cfgGet      = expect
	cfgRedirect = expectRedirect
	cfgHeader   = expectHeader
	cfgNoHeader = expectNoHeader
)

// get requests path and returns the response with its body read.
func get(t *testing.T, srv *lifecycle.Server, path string) (*http.Response, string) {
	t.Helper()
	return do(t, srv, request{path: path})
}

// rawGet sends GET target exactly as given (see request.raw).
func rawGet(t *testing.T, srv *lifecycle.Server, target string) (*http.Response, string) {
	t.Helper()
	return do(t, srv, request{path: target, raw: true})
}

// expectStatus is checkStatus for GET path.
func expectStatus(t *testing.T, path string, resp *http.Response, body string, status int, want string) {
	t.Helper()
	checkStatus(t, "GET "+path, resp, body, status, want)
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
