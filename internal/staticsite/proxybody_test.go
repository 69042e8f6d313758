package staticsite

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hardstatic/buildpack/internal/basicauth"
)

// guardServer serves g in front of a handler that reads the whole body and
// answers what it got, on a server whose own read timeout is readTimeout.
func guardServer(t *testing.T, g *ProxyGuard, readTimeout time.Duration, next caddyhttp.HandlerFunc) *httptest.Server {
	t.Helper()
	if err := g.Provision(caddy.Context{}); err != nil {
		t.Fatal(err)
	}
	if next == nil {
		next = func(w http.ResponseWriter, r *http.Request) error {
			b, err := io.ReadAll(r.Body)
			fmt.Fprintf(w, "read %d bytes, error %v, trailer %v", len(b), err, r.Trailer)
			return nil
		}
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := g.ServeHTTP(w, r, next); err != nil {
			t.Error(err)
		}
	}))
	srv.Config.ReadTimeout = readTimeout
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// trickle sends a POST whose body is written in parts, with pause before
// each, and returns the response body ("" when the connection was cut).
func trickle(t *testing.T, srv *httptest.Server, parts []string, pause time.Duration, trailer string) string {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	head := "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
	if trailer != "" {
		head += "Trailer: X-Late\r\n"
	}
	fmt.Fprint(c, head+"\r\n")
	for _, p := range parts {
		time.Sleep(pause)
		if _, err := fmt.Fprintf(c, "%x\r\n%s\r\n", len(p), p); err != nil {
			return ""
		}
	}
	fmt.Fprint(c, "0\r\n"+trailer+"\r\n")
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return ""
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// A body that arrives over more than the server's read timeout, with short
// pauses, is read whole; the trailers are dropped.
func TestProxyGuardSlowUpload(t *testing.T) {
	g := &ProxyGuard{BodyIdle: caddy.Duration(time.Second)}
	srv := guardServer(t, g, 200*time.Millisecond, nil)
	got := trickle(t, srv, strings.Split("abcdefghij", ""), 100*time.Millisecond, "X-Late: 1\r\n")
	if got != "read 10 bytes, error <nil>, trailer map[]" {
		t.Errorf("slow upload with short pauses: %q, want the whole body and no trailer", got)
	}
}

// A pause longer than BodyIdle, or a body that takes longer than
// BodyTimeout, is cut.
func TestProxyGuardCutsStalledUpload(t *testing.T) {
	idle := guardServer(t, &ProxyGuard{BodyIdle: caddy.Duration(200 * time.Millisecond)}, time.Hour, nil)
	if got := trickle(t, idle, []string{"a", "b"}, time.Second, ""); strings.Contains(got, "error <nil>") {
		t.Errorf("a pause of 1s with body_idle 200ms: %q, want the body cut", got)
	}
	total := guardServer(t, &ProxyGuard{BodyTimeout: caddy.Duration(500 * time.Millisecond), BodyIdle: caddy.Duration(time.Hour)}, time.Hour, nil)
	if got := trickle(t, total, strings.Split("abcdefghijklmnopqrst", ""), 100*time.Millisecond, ""); strings.Contains(got, "error <nil>") {
		t.Errorf("a 2s upload with body_timeout 500ms: %q, want the body cut", got)
	}
}

// At MaxConns requests in flight, the next one waits QueueWait and gets 503
// with Retry-After.
func TestProxyGuardBound(t *testing.T) {
	release := make(chan struct{})
	entered := make(chan struct{}, 1)
	g := &ProxyGuard{MaxConns: 1, QueueWait: caddy.Duration(100 * time.Millisecond)}
	srv := guardServer(t, g, time.Minute, func(w http.ResponseWriter, r *http.Request) error {
		entered <- struct{}{}
		<-release
		return nil
	})
	done := make(chan error, 1)
	go func() {
		resp, err := http.Get(srv.URL)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	<-entered
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "1" || string(body) != "503 Service Unavailable\n" {
		t.Errorf("second request while the only slot is busy: %d Retry-After %q %q, want 503 with Retry-After 1",
			resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	go func() { <-entered }()
	resp, err = http.Get(srv.URL)
	if err != nil || resp.StatusCode != 200 {
		t.Errorf("after the slot is free: %v %v", resp, err)
	}
}

// The Authorization header of a request basic auth let through carries the
// site's password and is dropped; others keep theirs.
func TestProxyGuardDropsSiteCredentials(t *testing.T) {
	g := &ProxyGuard{DropSiteCredentials: true}
	if err := g.Provision(caddy.Context{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		user any
		want string
	}{
		{"alice", ""},
		{nil, "Bearer origin-token"},
	} {
		vars := map[string]any{}
		if c.user != nil {
			vars[basicauth.UserVar] = c.user
		}
		r := httptest.NewRequest(http.MethodGet, "/api/x", nil)
		r = r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars))
		r.Header.Set("Authorization", "Bearer origin-token")
		var got string
		err := g.ServeHTTP(httptest.NewRecorder(), r, caddyhttp.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) error {
			got = r.Header.Get("Authorization")
			return nil
		}))
		if err != nil || got != c.want {
			t.Errorf("authenticated as %v: the origin would get Authorization %q (%v), want %q", c.user, got, err, c.want)
		}
	}
}
