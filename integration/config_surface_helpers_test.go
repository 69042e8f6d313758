package integration

// Helpers of the static.toml configuration-surface tests (config_surface_*).

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/hardstatic/buildpack/integration/lifecycle"
)

// cfgReq is one request of a configuration test. Zero fields mean: GET, the
// server's own host, no extra headers, no body, no credentials.
type cfgReq struct {
	method string
	path   string
	host   string
	header map[string]string
	body   io.Reader
	user   string
	pass   string
}

func (r cfgReq) String() string {
	var b strings.Builder
	if r.method == "" {
		b.WriteString("GET ")
	} else {
		b.WriteString(r.method + " ")
	}
	b.WriteString(r.path)
	if r.host != "" {
		b.WriteString(" (Host: " + r.host + ")")
	}
	for k, v := range r.header {
		b.WriteString(" (" + k + ": " + v + ")")
	}
	if r.user != "" {
		b.WriteString(" (as " + r.user + ")")
	}
	return b.String()
}

// cfgDo sends r and returns the response with its body read. Redirects are
// not followed.
func cfgDo(t *testing.T, srv *lifecycle.Server, r cfgReq) (*http.Response, string) {
	t.Helper()
	method := r.method
	if method == "" {
		method = http.MethodGet
	}
	req, err := http.NewRequest(method, srv.URL+r.path, r.body)
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
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s: reading the body: %v", r, err)
	}
	return resp, string(body)
}

// cfgGet sends r and checks the status and, when want is not "", that the
// body contains want. It returns the response for further checks.
func cfgGet(t *testing.T, srv *lifecycle.Server, r cfgReq, status int, want string) (*http.Response, string) {
	t.Helper()
	resp, body := cfgDo(t, srv, r)
	if resp.StatusCode != status {
		t.Errorf("%s: status %d, want %d (Location %q); body: %.200q", r, resp.StatusCode, status, resp.Header.Get("Location"), body)
	} else if want != "" && !strings.Contains(body, want) {
		t.Errorf("%s: body does not contain %q; body: %.300q", r, want, body)
	}
	return resp, body
}

// cfgRedirect sends r and checks it is answered with status and exactly
// location.
func cfgRedirect(t *testing.T, srv *lifecycle.Server, r cfgReq, status int, location string) *http.Response {
	t.Helper()
	resp, body := cfgDo(t, srv, r)
	if resp.StatusCode != status || resp.Header.Get("Location") != location {
		t.Errorf("%s: got %d Location %q, want %d Location %q; body: %.200q",
			r, resp.StatusCode, resp.Header.Get("Location"), status, location, body)
	}
	return resp
}

// cfgHeader checks that resp carries header name exactly once, equal to want.
func cfgHeader(t *testing.T, what string, resp *http.Response, name, want string) {
	t.Helper()
	if got := resp.Header.Values(name); len(got) != 1 || got[0] != want {
		t.Errorf("%s: %s = %q, want exactly %q", what, name, got, want)
	}
}

// cfgNoHeader checks that resp does not carry header name.
func cfgNoHeader(t *testing.T, what string, resp *http.Response, name string) {
	t.Helper()
	if got := resp.Header.Values(name); len(got) > 0 {
		t.Errorf("%s: %s = %q, want no such header", what, name, got)
	}
}

// cfgBuilt makes a workspace from fixture and detects and builds it.
func cfgBuilt(t *testing.T, fixture string) (*lifecycle.Workspace, string) {
	t.Helper()
	ws := newWorkspace(t, fixture)
	detect(t, ws)
	return ws, build(t, ws)
}

// cfgLaunchFails launches ws with env and checks that the server refuses to
// start (it exits before answering HTTP). It returns the server's output.
func cfgLaunchFails(t *testing.T, ws *lifecycle.Workspace, env map[string]string) string {
	t.Helper()
	srv, err := ws.Launch(env)
	if err == nil {
		_, _ = srv.Stop()
		t.Fatalf("the server started with env %q; want it to refuse\n--- server output ---\n%s", env, srv.Output())
	}
	if srv == nil {
		t.Fatalf("launch: %v", err)
	}
	select {
	case <-srv.Done():
	default:
		t.Fatalf("the server did not exit, it did not answer HTTP: %v", err)
	}
	if srv.ExitCode() == 0 {
		t.Errorf("the server exited with code 0; want a failure code\n%s", srv.Output())
	}
	return srv.Output()
}

// cfgLineMatching returns the first line of out matching re, or "".
func cfgLineMatching(out string, re *regexp.Regexp) string {
	for line := range strings.SplitSeq(out, "\n") {
		if re.MatchString(line) {
			return line
		}
	}
	return ""
}
